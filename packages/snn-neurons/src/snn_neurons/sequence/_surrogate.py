r"""Surrogate derivatives $\sigma'(x)$ for the fused backward passes.

A fused path replaces the per-step threshold call by $z = [x > 0]$ in the forward loop and needs
$\sigma'(x)$ for every step in the backward pass. It obtains it from the registered threshold
function itself, in one vectorised autograd call over the whole sequence with an incoming gradient
of ones, so the factor is bit for bit what the threshold's backward would multiply by, and follows
snn-core when a surrogate changes.

This is valid only for thresholds whose forward pass is the Heaviside step: snn-core's
``super``, ``tanh``, ``heavi_erfc``, ``circ``, ``triangle`` and ``heaviside`` (identified by the
registered function object, not the name). For any other method (a third-party surrogate, the
stochastic ``logistic``/``circ_dist``, the smooth ``sigmoid4x``) the sequence functions loop the
step function instead, which calls the threshold per step and is correct for anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

import snn_core

__all__ = ["HEAVISIDE_FORWARD", "surrogate_derivative"]

#: snn-core's threshold functions whose forward pass is exactly ``torch.gt(x, 0).to(x.dtype)``.
HEAVISIDE_FORWARD = (
    snn_core.super_fn,
    snn_core.heavi_tanh_fn,
    snn_core.heavi_erfc_fn,
    snn_core.heavi_circ_fn,
    snn_core.triangle_fn,
    snn_core.heaviside,
)


# snn-core's own backward formulas ``derivative(x, alpha, grad)``, when it exposes them; a
# vectorised autograd call through the threshold gives the same numbers more slowly otherwise.
_CORE_DERIVATIVES = {
    snn_core.super_fn: "_super_derivative",
    snn_core.heavi_tanh_fn: "_tanh_derivative",
    snn_core.heavi_erfc_fn: "_erfc_derivative",
    snn_core.heavi_circ_fn: "_circ_derivative",
    snn_core.triangle_fn: "_triangle_derivative",
}


class Derivative:
    """``derivative(x, alpha)``: the surrogate factor of threshold ``fn`` at every element of ``x``."""

    def __init__(self, fn: Callable[[Tensor, Any], Tensor]) -> None:
        self.fn = fn
        self.differentiable = fn is not snn_core.heaviside
        self.formula = getattr(snn_core.surrogates, _CORE_DERIVATIVES.get(fn, ""), None)

    def __call__(self, x: Tensor, alpha: Any) -> Tensor:
        if not self.differentiable:
            return torch.zeros_like(x)
        if self.fn is snn_core.super_fn and self.formula is not None:
            # 1 / (alpha |x| + 1)^2 in place (one buffer instead of five); same roundings as snn-core
            factor = torch.abs(x)
            return factor.mul_(alpha).add_(1.0).pow_(2).reciprocal_()
        if self.formula is not None:
            return self.formula(x, alpha, torch.ones((), dtype=x.dtype, device=x.device))
        with torch.enable_grad():
            leaf = x.detach().requires_grad_(True)
            spikes = self.fn(leaf, alpha)
            (grad,) = torch.autograd.grad(spikes, leaf, torch.ones_like(spikes))
        return grad


def surrogate_derivative(method: str) -> Derivative | None:
    """The derivative for a registered Heaviside-forward method, or ``None`` for any other method.

    Raises:
        UnknownComponentError: (a ``KeyError``) if ``method`` is not registered at all.
    """
    fn = snn_core.registry().thresholds[method].fn
    return Derivative(fn) if fn in HEAVISIDE_FORWARD else None
