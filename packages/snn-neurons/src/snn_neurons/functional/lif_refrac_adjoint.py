r"""Refractory LIF feed-forward step with Norse's event-based adjoint backward pass.

Forward values equal :func:`lif_refrac_feed_forward_step`. Backward, with
$m = H(\rho')$, $D^\pm$ as in the LIF adjoint and $e = [\rho = 1]$ (end of the refractory period):

$$ \begin{aligned}
  \lambda_i' &= \lambda_i + \Delta t\,(\tau_{syn}^{-1}((1 - m)\lambda_v - \lambda_i)) \\
  \lambda_v' &= \lambda_v - (((1 - m)\,\tau_{mem}^{-1})\,\Delta t)\,\lambda_v \\
  \lambda_v'' &= ((1 - z)\lambda_v' + z\,\lambda_\rho / D^-) + z\,g_z / D^- \\
  \lambda_\rho' &= (1 - e)\,\lambda_\rho + (e\,\lambda_v'')\,D^+
\end{aligned} $$
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from snn_core import heaviside

from ._adjoint_common import membrane_slopes, nan_to_zero
from .lif import LIFFeedForwardState
from .lif_refrac import LIFRefracFeedForwardState, LIFRefracParameters, lif_refrac_feed_forward_step

__all__ = ["LIFAdjointRefracFeedForwardFunction", "lif_refrac_feed_forward_adjoint_step"]


class LIFAdjointRefracFeedForwardFunction(torch.autograd.Function):
    """``apply(input, v, i, rho, p, dt) -> (z, v', i', rho')`` with the adjoint backward pass."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        input: Tensor,
        v: Tensor,
        i: Tensor,
        rho: Tensor,
        p: LIFRefracParameters = LIFRefracParameters(),
        dt: float = 0.001,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        state = LIFRefracFeedForwardState(LIFFeedForwardState(v, i), rho)
        z, s = lif_refrac_feed_forward_step(input, state, p, dt)
        d_minus, d_plus = membrane_slopes(p.lif, v, i, s.lif.v)
        period_end = (rho == 1).to(z.dtype)
        ctx.p = p
        ctx.dt = dt
        ctx.save_for_backward(z, s.rho, period_end, d_minus, d_plus)
        return z, s.lif.v, s.lif.i, s.rho

    @staticmethod
    def backward(ctx: Any, g_z: Tensor, lam_v: Tensor, lam_i: Tensor, lam_rho: Tensor):  # type: ignore[override]
        z, rho_new, period_end, d_minus, d_plus = ctx.saved_tensors
        lif = ctx.p.lif
        dt = ctx.dt
        refrac_mask = heaviside(rho_new)
        lam_i = lam_i + dt * (lif.tau_syn_inv * ((1 - refrac_mask) * lam_v - lam_i))
        lam_v = lam_v - (1 - refrac_mask) * lif.tau_mem_inv * dt * lam_v
        output_term = nan_to_zero(z * (1 / d_minus) * g_z)
        jump_term = nan_to_zero(z * (lam_rho / d_minus))
        lam_v = (1 - z) * lam_v + jump_term + output_term
        lam_rho = (1 - period_end) * lam_rho + period_end * lam_v * d_plus
        return lam_i, lam_v, lam_i, lam_rho, None, None


def lif_refrac_feed_forward_adjoint_step(
    input: Tensor,
    s: LIFRefracFeedForwardState,
    p: LIFRefracParameters = LIFRefracParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFRefracFeedForwardState]:
    r""":func:`lif_refrac_feed_forward_step` with the adjoint backward pass of this module.

    Args:
        input: input of this step.
        s: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LIFRefracFeedForwardState(LIFFeedForwardState(v', i'), rho'))``.
    """
    z, v, i, rho = LIFAdjointRefracFeedForwardFunction.apply(input, s.lif.v, s.lif.i, s.rho, p, dt)
    return z, LIFRefracFeedForwardState(LIFFeedForwardState(v, i), rho)
