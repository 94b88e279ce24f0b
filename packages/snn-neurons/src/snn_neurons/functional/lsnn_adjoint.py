r"""LSNN steps with Norse's event-based adjoint backward pass.

Forward values equal :func:`lsnn_feed_forward_step` / :func:`lsnn_step`. With
$D_v^\pm = \tau_{mem}^{-1}((v_{leak} - v^\pm) + i)$ and $D_b^\pm = \tau_b^{-1}(v_{th} - b^\pm)$ (old
state $-$, new state $+$), the backward pass is

$$ \begin{aligned}
  \lambda_i' &= \lambda_i + \Delta t\,(\tau_{syn}^{-1}(\lambda_v - \lambda_i)),\quad
  \lambda_v' = \lambda_v - (\tau_{mem}^{-1}\Delta t)\lambda_v,\quad
  \lambda_b' = \lambda_b - (\tau_b^{-1}\Delta t)\lambda_b \\
  \lambda_v'' &= ((1 - z)\lambda_v' + z\tfrac{D_v^+}{D_v^-}\lambda_v') + z\tfrac{g_z}{D_v^-},\quad
  \lambda_b'' = ((1 - z)\lambda_b' + z\tfrac{D_b^+}{D_b^-}\lambda_b') + z\tfrac{g_z}{D_b^-}
\end{aligned} $$

(terms with $D^- = 0$ are 0). The recurrent variant also returns $\lambda_i^T x$ and
$\lambda_i^T z'$ as weight gradients and $\lambda_i' W$ as input/spike gradients (Norse 1.1.0's
choice: the incoming $\lambda_i$ and the *new* spikes).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ._adjoint_common import membrane_slopes, weight_gradients
from .lsnn import LSNNFeedForwardState, LSNNParameters, LSNNState, lsnn_feed_forward_step, lsnn_step

__all__ = [
    "LSNNFeedForwardAdjointFunction",
    "LSNNAdjointFunction",
    "lsnn_feed_forward_adjoint_step",
    "lsnn_adjoint_step",
]


def _saved_terms(
    p: LSNNParameters, v: Tensor, i: Tensor, b: Tensor, v_new: Tensor, b_new: Tensor
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    dv_m, dv_p = membrane_slopes(p, v, i, v_new)
    db_m = p.tau_adapt_inv * (p.v_th - b)
    db_p = p.tau_adapt_inv * (p.v_th - b_new)
    return dv_m, dv_p, db_m, db_p


def _lsnn_adjoint(
    ctx: Any,
    z: Tensor,
    dv_m: Tensor,
    dv_p: Tensor,
    db_m: Tensor,
    db_p: Tensor,
    g_z: Tensor,
    lam_v: Tensor,
    lam_i: Tensor,
    lam_b: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    p, dt = ctx.p, ctx.dt
    lam_i = lam_i + dt * (p.tau_syn_inv * (lam_v - lam_i))
    lam_v = lam_v - p.tau_mem_inv * dt * lam_v
    lam_b = lam_b - p.tau_adapt_inv * dt * lam_b
    zero = torch.zeros_like(z)
    v_output = torch.where(dv_m != 0, z * (1 / dv_m) * g_z, zero)
    v_jump = torch.where(dv_m != 0, z * (dv_p / dv_m), zero)
    b_output = torch.where(db_m != 0, z * (1 / db_m) * g_z, zero)
    b_jump = torch.where(db_m != 0, z * (db_p / db_m), zero)
    lam_v = (1 - z) * lam_v + v_jump * lam_v + v_output
    lam_b = (1 - z) * lam_b + b_jump * lam_b + b_output
    return lam_v, lam_i, lam_b


class LSNNFeedForwardAdjointFunction(torch.autograd.Function):
    """``apply(input, v, i, b, p, dt) -> (z, v', i', b')`` with the adjoint backward pass."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        input: Tensor,
        v: Tensor,
        i: Tensor,
        b: Tensor,
        p: LSNNParameters = LSNNParameters(),
        dt: float = 0.001,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        z, s = lsnn_feed_forward_step(input, LSNNFeedForwardState(v, i, b), p, dt)
        ctx.p = p
        ctx.dt = dt
        ctx.save_for_backward(z, *_saved_terms(p, v, i, b, s.v, s.b))
        return z, s.v, s.i, s.b

    @staticmethod
    def backward(ctx: Any, g_z: Tensor, lam_v: Tensor, lam_i: Tensor, lam_b: Tensor):  # type: ignore[override]
        z, dv_m, dv_p, db_m, db_p = ctx.saved_tensors
        lam_v, lam_i, lam_b = _lsnn_adjoint(ctx, z, dv_m, dv_p, db_m, db_p, g_z, lam_v, lam_i, lam_b)
        return lam_i, lam_v, lam_i, lam_b, None, None


class LSNNAdjointFunction(torch.autograd.Function):
    """``apply(input, z, v, i, b, W_in, W_rec, p, dt) -> (z', v', i', b')`` (2-D tensors)."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        input_tensor: Tensor,
        z: Tensor,
        v: Tensor,
        i: Tensor,
        b: Tensor,
        input_weights: Tensor,
        recurrent_weights: Tensor,
        p: LSNNParameters = LSNNParameters(),
        dt: float = 0.001,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        z_new, s = lsnn_step(input_tensor, LSNNState(z, v, i, b), input_weights, recurrent_weights, p, dt)
        ctx.p = p
        ctx.dt = dt
        ctx.save_for_backward(
            input_tensor, z_new, *_saved_terms(p, v, i, b, s.v, s.b), input_weights, recurrent_weights
        )
        return z_new, s.v, s.i, s.b

    @staticmethod
    def backward(ctx: Any, g_z: Tensor, lam_v: Tensor, lam_i: Tensor, lam_b: Tensor):  # type: ignore[override]
        x, z, dv_m, dv_p, db_m, db_p, w_in, w_rec = ctx.saved_tensors
        dw_in, dw_rec = weight_gradients(lam_i, x, z)
        lam_v, lam_i, lam_b = _lsnn_adjoint(ctx, z, dv_m, dv_p, db_m, db_p, g_z, lam_v, lam_i, lam_b)
        return lam_i.mm(w_in), lam_i.mm(w_rec), lam_v, lam_i, lam_b, dw_in, dw_rec, None, None


def lsnn_feed_forward_adjoint_step(
    input: Tensor,
    s: LSNNFeedForwardState,
    p: LSNNParameters = LSNNParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LSNNFeedForwardState]:
    """:func:`lsnn_feed_forward_step` with the adjoint backward pass of this module.

    Args:
        input: input of this step.
        s: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LSNNFeedForwardState(v', i', b'))``.
    """
    z, v, i, b = LSNNFeedForwardAdjointFunction.apply(input, s.v, s.i, s.b, p, dt)
    return z, LSNNFeedForwardState(v, i, b)


def lsnn_adjoint_step(
    input: Tensor,
    s: LSNNState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LSNNParameters = LSNNParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LSNNState]:
    """:func:`lsnn_step` with the adjoint backward pass (``[batch, features]`` tensors).

    Args:
        input: input of this step.
        s: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LSNNState(z', v', i', b'))``.
    """
    z, v, i, b = LSNNAdjointFunction.apply(input, s.z, s.v, s.i, s.b, input_weights, recurrent_weights, p, dt)
    return z, LSNNState(z, v, i, b)
