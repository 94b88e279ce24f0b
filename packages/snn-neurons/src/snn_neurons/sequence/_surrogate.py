r"""Surrogate derivatives $\sigma'(x)$ for the fused backward passes.

A fused path replaces the per-step threshold call by $z = [x > 0]$ in the forward loop and needs
$\sigma'(x)$ for every step in the backward pass. It obtains it from the registered threshold
function itself, in one vectorised autograd call over the whole sequence with an incoming gradient
of ones, so the factor is bit for bit what the threshold's backward would multiply by, and follows
snn-core when a surrogate changes.

It comes from the registered :class:`snn_core.ThresholdSpec`: a threshold whose forward pass is the
Heaviside step declares ``derivative(x, alpha)`` (snn-core's ``super``, ``tanh``, ``heavi_erfc``,
``circ``, ``triangle`` and ``heaviside`` do, and so can a third-party surrogate). For a threshold
without one (the stochastic ``logistic``/``circ_dist``, the smooth ``sigmoid4x``, a plugin that
gives none) the sequence functions loop the step function instead, which calls the threshold per
step and is correct for anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

import snn_core

__all__ = ["Derivative", "surrogate_derivative"]


class Derivative:
    """``derivative(x, alpha)``: the surrogate factor of a registered threshold at every element of ``x``."""

    def __init__(self, spec: snn_core.ThresholdSpec) -> None:
        if spec.derivative is None:
            raise ValueError(
                f"Derivative: threshold {spec.name!r} declares no derivative; "
                f"expected a ThresholdSpec with derivative set (see surrogate_derivative)"
            )
        self.fn = spec.fn
        self.factor: Callable[[Tensor, Any], Tensor] = spec.derivative
        self.differentiable = spec.fn is not snn_core.heaviside

    def __call__(self, x: Tensor, alpha: Any) -> Tensor:
        if self.fn is snn_core.super_fn:
            # 1 / (alpha |x| + 1)^2 in place (one buffer instead of five); same roundings as snn-core
            factor = torch.abs(x)
            return factor.mul_(alpha).add_(1.0).pow_(2).reciprocal_()
        return self.factor(x, alpha)


def surrogate_derivative(method: str) -> Derivative | None:
    """The derivative of a registered threshold that declares one, else ``None`` (loop the step).

    Raises:
        UnknownComponentError: (a ``KeyError``) if ``method`` is not registered at all.
    """
    spec = snn_core.registry().thresholds[method]
    return None if spec.derivative is None else Derivative(spec)
