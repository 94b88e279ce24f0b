"""snn-core's own plugin: the threshold functions, registered through the public hook."""

from __future__ import annotations

from .. import surrogates as s
from .hookspecs import hookimpl
from .specs import ThresholdSpec


@hookimpl
def snn_register_thresholds() -> list[ThresholdSpec]:
    return [
        ThresholdSpec(
            name="super",
            fn=s.super_fn,
            derivative=s.DERIVATIVES[s.super_fn],
            summary="SuperSpike: 1/(alpha|x|+1)^2 surrogate",
        ),
        ThresholdSpec(
            name="tanh",
            fn=s.heavi_tanh_fn,
            derivative=s.DERIVATIVES[s.heavi_tanh_fn],
            summary="1 - tanh^2(alpha x) surrogate",
        ),
        ThresholdSpec(
            name="heavi_erfc",
            fn=s.heavi_erfc_fn,
            derivative=s.DERIVATIVES[s.heavi_erfc_fn],
            summary="2/sqrt(pi) exp(-(alpha x)^2) surrogate",
        ),
        ThresholdSpec(
            name="circ",
            fn=s.heavi_circ_fn,
            derivative=s.DERIVATIVES[s.heavi_circ_fn],
            summary="alpha^3/(alpha^2+x^2)^1.5 surrogate",
        ),
        ThresholdSpec(
            name="triangle",
            fn=s.triangle_fn,
            derivative=s.DERIVATIVES[s.triangle_fn],
            summary="alpha relu(1-|x|) surrogate",
        ),
        ThresholdSpec(
            name="heaviside",
            fn=s.heaviside,
            derivative=s.DERIVATIVES[s.heaviside],
            summary="plain step, no gradient",
        ),
        ThresholdSpec(name="logistic", fn=s.logistic_fn, summary="stochastic Bernoulli(1/2+tanh(alpha x)/2)"),
        ThresholdSpec(name="circ_dist", fn=s.circ_dist_fn, summary="stochastic Bernoulli, circ surrogate"),
        ThresholdSpec(name="sigmoid4x", fn=s.sigmoid4x, summary="traceTorch's smooth sigmoid(4x)"),
    ]
