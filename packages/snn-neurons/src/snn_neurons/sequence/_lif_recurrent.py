r"""Whole-sequence recurrent LIF: one autograd node for ``T`` steps of ``lif_step``.

Per step $t$ (row-vector convention, ``linear(x, W) = x W^T``):

$$ \begin{aligned}
  j_t &= (i_{t-1} + x_t W_{in}^T) + z_{t-1} W_{rec}^T \\
  v_{1,t} &= v_{t-1} + a\,((v_{leak} - v_{t-1}) + j_t), \qquad i_t = j_t + c\,j_t \\
  z_t &= \Theta(v_{1,t} - v_{th}), \qquad v_t = (1 - \mathrm{sg}(z_t))\,v_{1,t} + \mathrm{sg}(z_t)\,v_{reset}
\end{aligned} $$

with $a = \Delta t\,\tau_{mem}^{-1}$, $c = -\Delta t\,\tau_{syn}^{-1}$ and $\mathrm{sg}$ the stop-gradient of the
reset (``z.detach()`` in the step).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable
from torch.nn.functional import linear

import snn_core

from ._common import (
    EXACT_DTYPES,
    _functorch_wrapped,
    as_loop_tensor,
    check_sequence,
    constant_like,
    dimensioned_dtypes_match,
    dispatch,
    params_require_grad,
    reduce_grad,
    scripted,
    time_chunks,
)
from ._surrogate import surrogate_derivative

__all__ = ["lif_recurrent_sequence"]

# the backward pass evaluates surrogate factors for chunks of this many elements (a few MB)
_CHUNK_ELEMENTS = 1 << 18


def _functional(name: str) -> Any:
    from .. import functional

    return getattr(functional, name)


def _step_loop(xs: Tensor, state: Any, w_in: Tensor, w_rec: Tensor, p: Any, dt: float) -> tuple[Tensor, Any]:
    """Reference path: ``lif_step`` once per time step (autograd records every operation)."""
    step = _functional("lif_step")
    outputs = []
    for x in xs.unbind(0):
        z, state = step(x, state, w_in, w_rec, p, dt)
        outputs.append(z)
    return torch.stack(outputs), state


def _fusable(xs: Tensor, state: Any, w_in: Any, w_rec: Any, params: tuple[Any, ...]) -> bool:
    """Whether the fused path reproduces the step loop exactly (``_common.fusable``'s rules).

    Besides those rules (dense float32/float64 input without ``torch.func`` wrapping, tensor state
    fields, one dtype and device for every dimensioned tensor, no trainable parameter), both
    weights must be dense 2-D tensors of shapes ``[hidden, in]`` and ``[hidden, hidden]``, and the
    state and parameters must broadcast to ``(*xs.shape[1:-1], hidden)``.
    """
    fields = list(state)
    weights = [w_in, w_rec]
    if xs.is_sparse or xs.dim() < 2 or xs.dtype not in EXACT_DTYPES:
        return False
    if not all(isinstance(t, Tensor) and not t.is_sparse for t in [*fields, *weights]):
        return False
    if any(w.dim() != 2 or w.dtype != xs.dtype or w.device != xs.device for w in weights):
        return False
    hidden = w_rec.shape[0]
    if w_rec.shape[1] != hidden or tuple(w_in.shape) != (hidden, xs.shape[-1]):
        return False
    if any(_functorch_wrapped(t) for t in [xs, *fields, *weights]):
        return False  # under torch.func transforms (grad, vmap): the step loop composes with them
    tensors = [*fields, *(v for v in params if isinstance(v, Tensor))]
    if params_require_grad(params) or not dimensioned_dtypes_match(tensors, xs.dtype):
        return False
    if any(t.is_sparse or (t.dim() > 0 and t.device != xs.device) for t in tensors):
        return False
    target = (*xs.shape[1:-1], hidden)
    try:
        shape = torch.broadcast_shapes(target, *(t.shape for t in tensors))
    except RuntimeError:
        return False
    return tuple(shape) == target


def _recurrent_forward_loop(
    xs: Tensor,
    z: Tensor,
    v: Tensor,
    i: Tensor,
    w_in: Tensor,
    w_rec: Tensor,
    zs: Tensor,
    v1s: Tensor,
    a: Tensor,
    c: Tensor,
    v_leak: Tensor,
    v_th: Tensor,
    v_reset: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    """Steps 1..T-1 of ``lif_step``; writes spikes into ``zs[t]`` and the pre-reset voltage into ``v1s[t]``.

    Every rounding of the step is kept: ``(i + x W_in^T) + z W_rec^T`` (the second sum in place),
    ``((v_leak - v) + j) * a`` added to ``v``, ``c j + j`` (addition commutes exactly) and the reset
    ``(1 - z) v_1 + z v_reset``. ``v_1 > v_th`` is ``v_1 - v_th > 0`` in floating point (the
    difference of two floats rounds to zero only when they are equal). ``z`` is a fresh tensor each
    step, so the recurrent GEMM reads an allocation like the step loop's (MKL may block a GEMM by
    the operand's alignment).
    """
    steps = xs.shape[0]
    for t in range(1, steps):
        j = i + linear(xs[t], w_in)
        j.add_(linear(z, w_rec))
        drive = v_leak - v
        drive.add_(j).mul_(a)
        v1 = torch.add(v, drive, out=v1s[t])
        i = torch.mul(j, c).add_(j)
        z = torch.gt(v1, v_th).to(v1.dtype)
        zs[t].copy_(z)
        v = (1 - z).mul_(v1).add_(z * v_reset)
    return z, v, i


def _recurrent_backward_loop(
    g_zs: Tensor,
    sigma: Tensor,
    free: Tensor,
    g_js: Tensor,
    w_rec: Tensor,
    a: Tensor,
    decay: Tensor,
    keep: Tensor,
    g_v2: Tensor,
    g_j: Tensor,
    g_rec: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    """The adjoint recursion over one chunk of steps, last step first; writes ``dL/dj_t`` into ``g_js[t]``.

    ``sigma``, ``free`` (``1 - z``) and ``g_zs`` are the chunk's rows; ``g_v2``, ``g_j`` and ``g_rec``
    come from the step after the chunk and are returned for the step before it.
    """
    for k in range(g_zs.shape[0] - 1, -1, -1):
        g_v1 = torch.addcmul((g_zs[k] + g_rec).mul_(sigma[k]), g_v2, free[k])
        g_j = torch.mul(g_j, decay).add_(a * g_v1)
        g_js[k].copy_(g_j)
        g_rec = torch.matmul(g_j, w_rec)
        g_v2 = keep * g_v1
    return g_v2, g_j, g_rec


_forward_loop = scripted(_recurrent_forward_loop)
_backward_loop = scripted(_recurrent_backward_loop)


class _LIFRecurrentSequence(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        xs: Tensor,
        z0: Tensor,
        v0: Tensor,
        i0: Tensor,
        w_in: Tensor,
        w_rec: Tensor,
        p: Any,
        dt: float,
        derivative: Any,
    ) -> Any:
        # Step 0 runs the step's expressions verbatim on the arguments as given (0-dim states, Python
        # numbers: the step's dtype rules), the compiled loop the rest. The input projection stays
        # per step: one GEMM over all T may block the sum differently.
        a = dt * p.tau_mem_inv
        c = -dt * p.tau_syn_inv
        j = i0 + linear(xs[0], w_in) + linear(z0, w_rec)
        v1 = v0 + a * ((p.v_leak - v0) + j)
        i = j + c * j
        z = torch.gt(v1 - p.v_th, 0.0).to(v1.dtype)
        v = (1 - z) * v1 + z * p.v_reset
        zs = torch.empty((xs.shape[0], *z.shape), dtype=z.dtype, device=z.device)
        v1s = torch.empty((xs.shape[0], *v1.shape), dtype=v1.dtype, device=v1.device)
        zs[0] = z
        v1s[0] = v1
        if xs.shape[0] > 1:
            device = xs.device
            loop_tensors = [as_loop_tensor(value, device) for value in (a, c, p.v_leak, p.v_th, p.v_reset)]
            z, v, i = _forward_loop(xs, z, v, i, w_in, w_rec, zs, v1s, *loop_tensors)
        ctx.save_for_backward(xs, z0, v0, i0, w_in, w_rec, v1s, zs)
        ctx.p, ctx.dt, ctx.derivative = p, dt, derivative
        if not derivative.differentiable:  # one call: each mark_non_differentiable replaces the last
            ctx.mark_non_differentiable(zs, z)
        return zs, z, v, i

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, g_zs: Tensor, g_z: Tensor, g_v: Tensor, g_i: Tensor) -> Any:
        xs, z0, v0, i0, w_in, w_rec, v1s, zs = ctx.saved_tensors
        p, dt = ctx.p, ctx.dt
        # the step's constants in the gradient's dtype (as autograd multiplies by them)
        a = constant_like(dt * p.tau_mem_inv, v1s)
        c = constant_like(-dt * p.tau_syn_inv, v1s)
        keep, decay = 1 - a, 1 + c
        steps, hidden = v1s.shape[0], v1s.shape[-1]
        g_js = torch.empty_like(v1s)
        g_v2 = g_v  # dL/dv_t after reset, of the latest step not yet processed
        g_j = g_i  # dL/di_t = dL/dj_{t+1}
        g_rec = g_z  # dL/dz_t through the next step's recurrent input (or the final state)
        for start, stop in time_chunks(steps, v1s[0].numel(), _CHUNK_ELEMENTS):
            sigma = ctx.derivative(v1s[start:stop] - p.v_th, p.alpha)
            free = 1 - zs[start:stop]  # d v_t / d v_{1,t}: the reset's z is detached
            g_v2, g_j, g_rec = _backward_loop(
                g_zs[start:stop], sigma, free, g_js[start:stop], w_rec, a, decay, keep, g_v2, g_j, g_rec
            )
        need_xs, need_z0, need_v0, need_i0, need_w_in, need_w_rec = ctx.needs_input_grad[:6]
        g_xs = torch.matmul(g_js, w_in) if need_xs else None
        flat = g_js.reshape(-1, hidden)
        g_w_in = flat.t().mm(xs.reshape(-1, xs.shape[-1])) if need_w_in else None
        g_w_rec = None
        if need_w_rec:
            # step 0 reads the initial spikes (broadcast to the batch), step t > 0 the spikes of t - 1
            z_first = z0.expand(g_js.shape[1:]).reshape(-1, hidden)
            g_w_rec = g_js[0].reshape(-1, hidden).t().mm(z_first)
            if steps > 1:
                g_w_rec.addmm_(g_js[1:].reshape(-1, hidden).t(), zs[:-1].reshape(-1, hidden))
        return (
            g_xs,
            reduce_grad(g_rec, z0) if need_z0 else None,
            reduce_grad(g_v2, v0) if need_v0 else None,
            reduce_grad(g_j, i0) if need_i0 else None,
            g_w_in,
            g_w_rec,
            None,
            None,
            None,
        )


@torch.compiler.disable
def lif_recurrent_sequence(
    xs: Tensor,
    state: Any,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: Any = None,
    dt: float = 1e-3,
    backend: str = "auto",
) -> tuple[Tensor, Any]:
    r"""Run ``lif_step`` over a whole time-first sequence in one call (one autograd node).

    Outputs and final state are bit for bit those of looping :func:`snn_neurons.lif_step`: the
    forward pass runs the step's operations in its order (the input projection per step), without
    an autograd graph, and keeps only the pre-reset voltage $v_{1,t}$ per step besides the spikes.
    The backward pass is the adjoint recursion through time, with $\sigma'_t$ the surrogate
    derivative of ``p.method`` at $v_{1,t} - v_{th}$ and $\bar j_T = \bar i_T$,
    $\bar v_{2,T} = \bar v_T$, $\bar r_T = \bar z_T$ from the final state:

    $$ \begin{aligned}
      \bar v_{1,t} &= (\bar z_t + \bar r_t)\,\sigma'_t + (1 - z_t)\,\bar v_{2,t} \\
      \bar j_t &= a\,\bar v_{1,t} + (1 + c)\,\bar j_{t+1}, \qquad
      \bar r_{t-1} = \bar j_t W_{rec}, \qquad \bar v_{2,t-1} = (1 - a)\,\bar v_{1,t}
    \end{aligned} $$

    ($\bar r_t$: the gradient reaching $z_t$ through the next step's recurrent input; the reset's
    spike is detached, so $(v_{reset} - v_1)\,\sigma'$ does not appear). Then
    $\bar x_t = \bar j_t W_{in}$, $\bar W_{in} = \sum_t \bar j_t^T x_t$,
    $\bar W_{rec} = \sum_t \bar j_t^T z_{t-1}$ (two GEMMs over all steps) and the initial state gets
    $(\bar r_{-1}, \bar v_{2,-1}, \bar j_0)$. Gradients agree with BPTT through the step loop up to
    float round-off.

    The step loop runs instead (same numbers, more time and memory) when a parameter tensor requires
    grad, ``p.method`` declares no surrogate derivative (stochastic or smooth thresholds, plugins
    without one), the input or state is sparse, the dtype is not float32/float64, a ``torch.func``
    transform is active, or tensors differ in dtype or device.

    Args:
        xs: input ``[T, ..., in]``.
        state: ``LIFState(z, v, i)`` at the start; fields broadcast to ``(*xs.shape[1:-1], hidden)``.
        input_weights: ``[hidden, in]``.
        recurrent_weights: ``[hidden, hidden]``.
        p: ``LIFParameters``; ``None`` means the defaults.
        dt: time step.
        backend: ``"auto"`` (a kernel registered for ``"neuron:lif_recurrent"`` on ``xs.device`` if
            any, else torch), ``"torch"``, or a named kernel backend (raises if unavailable).

    Returns:
        ``(zs, final_state)``: spikes ``[T, ..., hidden]`` and the ``LIFState`` after the last step.

    Raises:
        TypeError: if ``xs`` is not a floating-point tensor.
        ValueError: if ``xs`` has no time step or ``dt`` is not positive.
        BackendUnavailableError: for an explicit ``backend`` that cannot run here.

    Example:
        >>> from snn_neurons import LIFParameters, LIFState
        >>> xs = torch.rand(50, 8, 4)
        >>> state = LIFState(z=torch.zeros(8, 16), v=torch.zeros(8, 16), i=torch.zeros(8, 16))
        >>> zs, state = lif_recurrent_sequence(xs, state, torch.randn(16, 4), torch.randn(16, 16))
        >>> zs.shape
        torch.Size([50, 8, 16])
    """
    check_sequence(xs, "lif_recurrent_sequence")
    dt = snn_core.check_dt(dt)
    kernel = dispatch("neuron:lif_recurrent", xs, backend)
    if p is None:
        p = _functional("LIFParameters")()
    if kernel is not None:
        return kernel(xs, state, input_weights, recurrent_weights, p, dt)
    derivative = surrogate_derivative(p.method)
    params = (p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha)
    if derivative is None or not _fusable(xs, state, input_weights, recurrent_weights, params):
        return _step_loop(xs, state, input_weights, recurrent_weights, p, dt)
    zs, z, v, i = _LIFRecurrentSequence.apply(
        xs, state.z, state.v, state.i, input_weights, recurrent_weights, p, dt, derivative
    )
    return zs, state._replace(z=z, v=v, i=i)
