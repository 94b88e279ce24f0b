r"""LIF feed-forward step with Norse's event-based adjoint backward pass.

The forward values equal :func:`lif_feed_forward_step` bit for bit. The backward pass does not
differentiate the forward pass (the surrogate ``method`` plays no role); it propagates the
adjoint variables $\lambda_v, \lambda_i$ of the continuous LIF dynamics and applies a jump at
every spike. With $D^- = \tau_{mem}^{-1}((v_{leak} - v) + i)$ and
$D^+ = \tau_{mem}^{-1}((v_{leak} - v') + i)$ (old $v, i$, new $v'$):

$$ \begin{aligned}
  \lambda_i' &= \lambda_i + \Delta t\,(\tau_{syn}^{-1}(\lambda_v - \lambda_i)) \\
  \lambda_v' &= \lambda_v - (\tau_{mem}^{-1}\Delta t)\,\lambda_v \\
  \lambda_v'' &= ((1 - z)\,\lambda_v' + z\,\tfrac{D^+}{D^-}\,\lambda_v') + z\,\tfrac{1}{D^-}\,g_z
\end{aligned} $$

(NaN terms from $D^- = 0$ are set to 0). Gradients: input and $i$ get $\lambda_i'$, $v$ gets
$\lambda_v''$.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ._adjoint_common import membrane_slopes, nan_to_zero, weight_gradients
from .lif import (
    LIFFeedForwardState,
    LIFParameters,
    LIFState,
    lif_feed_forward_step,
    lif_feed_forward_step_sparse,
    lif_step,
)

__all__ = [
    "LIFFeedForwardAdjointFunction",
    "LIFFeedForwardSparseAdjointFunction",
    "lif_feed_forward_adjoint_step",
    "lif_feed_forward_adjoint_step_sparse",
    "LIFAdjointFunction",
    "lif_adjoint_step",
]


def _lif_adjoint_backward(
    z: Tensor,
    d_minus: Tensor,
    d_plus: Tensor,
    p: LIFParameters,
    dt: float,
    g_z: Tensor,
    lam_v: Tensor,
    lam_i: Tensor,
) -> tuple[Tensor, Tensor]:
    lam_i = lam_i + dt * (p.tau_syn_inv * (lam_v - lam_i))
    lam_v = lam_v - p.tau_mem_inv * dt * lam_v
    output_term = nan_to_zero(z * (1 / d_minus) * g_z)
    jump_term = nan_to_zero(z * (d_plus / d_minus))
    lam_v = (1 - z) * lam_v + jump_term * lam_v + output_term
    return lam_v, lam_i


class LIFFeedForwardAdjointFunction(torch.autograd.Function):
    """``apply(input, v, i, p, dt) -> (z, v', i')`` with the adjoint backward pass."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, input: Tensor, v: Tensor, i: Tensor, p: LIFParameters = LIFParameters(), dt: float = 0.001
    ) -> tuple[Tensor, Tensor, Tensor]:
        z, s = lif_feed_forward_step(input, LIFFeedForwardState(v, i), p, dt)
        d_minus, d_plus = membrane_slopes(p, v, i, s.v)
        ctx.p = p
        ctx.dt = dt
        ctx.save_for_backward(z, d_minus, d_plus)
        return z, s.v, s.i

    @staticmethod
    def backward(ctx: Any, g_z: Tensor, lam_v: Tensor, lam_i: Tensor):  # type: ignore[override]
        z, d_minus, d_plus = ctx.saved_tensors
        lam_v, lam_i = _lif_adjoint_backward(z, d_minus, d_plus, ctx.p, ctx.dt, g_z, lam_v, lam_i)
        return lam_i, lam_v, lam_i, None, None


class LIFFeedForwardSparseAdjointFunction(torch.autograd.Function):
    """As :class:`LIFFeedForwardAdjointFunction`, saving only the values at spikes (sparse)."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, input: Tensor, v: Tensor, i: Tensor, p: LIFParameters = LIFParameters(), dt: float = 0.001
    ) -> tuple[Tensor, Tensor, Tensor]:
        z, s = lif_feed_forward_step_sparse(input, LIFFeedForwardState(v, i), p, dt)
        d_minus, d_plus = membrane_slopes(p, v, i, s.v)
        ctx.p = p
        ctx.dt = dt
        ctx.save_for_backward(z, d_minus.sparse_mask(z), d_plus.sparse_mask(z))
        return z.to_dense(), s.v, s.i

    @staticmethod
    def backward(ctx: Any, g_z: Tensor, lam_v: Tensor, lam_i: Tensor):  # type: ignore[override]
        z, d_minus, d_plus = (t.to_dense() for t in ctx.saved_tensors)
        lam_v, lam_i = _lif_adjoint_backward(z, d_minus, d_plus, ctx.p, ctx.dt, g_z, lam_v, lam_i)
        return lam_i, lam_v, lam_i, None, None


def lif_feed_forward_adjoint_step(
    input: Tensor,
    s: LIFFeedForwardState,
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFFeedForwardState]:
    r""":func:`lif_feed_forward_step` with the adjoint backward pass described in this module.

    Args:
        input: input current.
        s: previous state (full-shape tensors, like the input).
        p: parameters; ``p.method`` must be a registered threshold (it sets the forward only).
        dt: time step.

    Returns:
        ``(z, LIFFeedForwardState(v', i'))``, bit-identical to :func:`lif_feed_forward_step`.
    """
    z, v, i = LIFFeedForwardAdjointFunction.apply(input, s.v, s.i, p, dt)
    return z, LIFFeedForwardState(v, i)


def lif_feed_forward_adjoint_step_sparse(
    input: Tensor,
    s: LIFFeedForwardState,
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFFeedForwardState]:
    """:func:`lif_feed_forward_adjoint_step` that stores sparse tensors; returns dense spikes.

    Args:
        input: input of this step.
        s: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LIFFeedForwardState(v', i'))`` with dense ``z``.
    """
    z, v, i = LIFFeedForwardSparseAdjointFunction.apply(input, s.v, s.i, p, dt)
    return z, LIFFeedForwardState(v, i)


class LIFAdjointFunction(torch.autograd.Function):
    r"""``apply(input, z, v, i, W_in, W_rec, p, dt) -> (z', v', i')`` for the recurrent LIF step.

    Besides the adjoint state it returns weight gradients $\lambda_i^T x$ and $\lambda_i^T z'$
    (the incoming $\lambda_i$ and the *new* spikes, as Norse 1.1.0) and input/spike gradients
    $\lambda_i' W$.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        input_tensor: Tensor,
        z: Tensor,
        v: Tensor,
        i: Tensor,
        input_weights: Tensor,
        recurrent_weights: Tensor,
        p: LIFParameters = LIFParameters(),
        dt: float = 0.001,
    ) -> tuple[Tensor, Tensor, Tensor]:
        z_new, s = lif_step(input_tensor, LIFState(z, v, i), input_weights, recurrent_weights, p, dt)
        d_minus, d_plus = membrane_slopes(p, v, i, s.v)
        ctx.p = p
        ctx.dt = dt
        ctx.save_for_backward(input_tensor, z_new, d_minus, d_plus, input_weights, recurrent_weights)
        return z_new, s.v, s.i

    @staticmethod
    def backward(ctx: Any, g_z: Tensor, lam_v: Tensor, lam_i: Tensor):  # type: ignore[override]
        x, z, d_minus, d_plus, w_in, w_rec = ctx.saved_tensors
        dw_in, dw_rec = weight_gradients(lam_i, x, z)
        lam_v, lam_i = _lif_adjoint_backward(z, d_minus, d_plus, ctx.p, ctx.dt, g_z, lam_v, lam_i)
        return lam_i.mm(w_in), lam_i.mm(w_rec), lam_v, lam_i, dw_in, dw_rec, None, None


def lif_adjoint_step(
    input: Tensor,
    s: LIFState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFState]:
    """:func:`lif_step` with the adjoint backward pass (``[batch, features]`` tensors).

    Args:
        input: input spikes ``[batch, in]``.
        s: previous ``LIFState(z, v, i)``.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFState(z', v', i'))``, bit-identical to :func:`lif_step`.
    """
    z, v, i = LIFAdjointFunction.apply(input, s.z, s.v, s.i, input_weights, recurrent_weights, p, dt)
    return z, LIFState(z, v, i)
