"""snn-core's own plugin: the threshold functions, registered through the public hook."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from .. import surrogates as s
from .hookspecs import hookimpl
from .specs import ThresholdSpec

#: method name -> (threshold function, summary); Norse's method names plus traceTorch's sigmoid4x
THRESHOLDS: dict[str, tuple[Callable[..., Tensor], str]] = {
    "super": (s.super_fn, "SuperSpike: 1/(alpha|x|+1)^2 surrogate"),
    "tanh": (s.heavi_tanh_fn, "1 - tanh^2(alpha x) surrogate"),
    "heavi_erfc": (s.heavi_erfc_fn, "2/sqrt(pi) exp(-(alpha x)^2) surrogate"),
    "circ": (s.heavi_circ_fn, "alpha^3/(alpha^2+x^2)^1.5 surrogate"),
    "triangle": (s.triangle_fn, "alpha relu(1-|x|) surrogate"),
    "heaviside": (s.heaviside, "plain step, no gradient"),
    "logistic": (s.logistic_fn, "stochastic Bernoulli(1/2+tanh(alpha x)/2)"),
    "circ_dist": (s.circ_dist_fn, "stochastic Bernoulli, circ surrogate"),
    "sigmoid4x": (s.sigmoid4x, "traceTorch's smooth sigmoid(4x)"),
}


@hookimpl
def snn_register_thresholds() -> list[ThresholdSpec]:
    # Only the deterministic Heaviside-forward thresholds declare a derivative (see ThresholdSpec).
    return [
        ThresholdSpec(name=name, fn=fn, derivative=s.DERIVATIVES.get(fn), summary=summary)
        for name, (fn, summary) in THRESHOLDS.items()
    ]
