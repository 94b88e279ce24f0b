r"""Whole-sequence LIF: one autograd node for ``T`` steps of ``lif_feed_forward_step``."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

import snn_core

from ._common import (
    as_loop_tensor,
    check_sequence,
    constant_like,
    dispatch,
    fusable,
    mark_spikes,
    reduce_grad,
    reset_factor,
    scripted,
    step_loop,
    time_chunks,
)
from ._surrogate import surrogate_derivative

__all__ = ["lif_feed_forward_sequence"]


def _functional(name: str) -> Any:
    from .. import functional

    return getattr(functional, name)


def _lif_forward_loop(
    xs: Tensor,
    v: Tensor,
    i: Tensor,
    v1s: Tensor,
    a: Tensor,
    c: Tensor,
    v_leak: Tensor,
    v_th: Tensor,
    v_reset: Tensor,
    zero_leak: bool,
) -> tuple[Tensor, Tensor]:
    """Steps 1..T-1 of the LIF step, in place on ``v`` and ``i``; writes ``v1`` into ``v1s[t]``.

    Every rounding step of ``lif_feed_forward_step`` is kept: ``(v_leak - v) + j``, times ``a``,
    plus ``v``; ``j + c j`` (added in either order: addition commutes exactly). With
    ``v_leak == 0``, ``(0 - v) + j`` equals ``j - v`` except for the sign of a zero.
    The reset ``(1 - z) v_1 + z v_reset`` equals ``where(v_1 > v_th, v_reset, v_1)`` for finite
    voltages, and ``v_1 - v_th > 0`` is ``v_1 > v_th`` in floating point.
    """
    j = torch.empty_like(v)
    drive = torch.empty_like(v)
    spiked = torch.empty(v.shape, dtype=torch.bool, device=v.device)
    for t in range(1, xs.shape[0]):
        torch.add(i, xs[t], out=j)
        if zero_leak:
            torch.sub(j, v, out=drive)
        else:
            torch.sub(v_leak, v, out=drive)
            drive.add_(j)
        drive.mul_(a)
        v1 = torch.add(v, drive, out=v1s[t])
        torch.mul(j, c, out=i)
        i.add_(j)
        torch.gt(v1, v_th, out=spiked)
        torch.where(spiked, v_reset, v1, out=v)
    return v, i


def _lif_forward_loop_negated(
    xs: Tensor,
    w: Tensor,
    i: Tensor,
    w1s: Tensor,
    minus_a: Tensor,
    c: Tensor,
    v_leak: Tensor,
    keep_above: float,
    minus_v_reset: float,
    zero_leak: bool,
) -> tuple[Tensor, Tensor]:
    """The same steps on ``w = -v`` (exact: IEEE negation commutes with every rounding here).

    The reset becomes one ``threshold`` op instead of a comparison and a ``where``: with
    ``keep_above`` the float just below ``-v_th``, ``w_1 > keep_above`` is exactly ``v_1 <= v_th``
    (no spike: keep), else ``w = -v_reset``; a NaN voltage stays NaN as in the step.
    Needs scalar ``v_th`` and ``v_reset``. Writes ``-v_1`` into ``w1s[t]``.
    """
    j = torch.empty_like(w)
    drive = torch.empty_like(w)
    inputs = xs.unbind(0)  # one call for all views: cheaper than indexing per step
    outputs = w1s.unbind(0)
    for t in range(1, len(inputs)):
        torch.add(i, inputs[t], out=j)
        if zero_leak:
            torch.add(j, w, out=drive)  # (0 - v) + j
        else:
            torch.add(v_leak, w, out=drive)
            drive.add_(j)
        drive.mul_(minus_a)
        w1 = torch.add(w, drive, out=outputs[t])
        torch.mul(j, c, out=i)
        i.add_(j)
        torch.threshold(w1, keep_above, minus_v_reset, out=w)
    return w, i


def _membrane_backward_loop(g: Tensor, k: Tensor, k_last: Tensor, g_last: Tensor) -> Tensor:
    """Solve ``u[t] = g[t] + k[t] * u[t + 1]`` backwards in place, with ``u[T] * k[T-1]`` given."""
    rows = g.unbind(0)
    factors = k.unbind(0)
    steps = len(rows)
    rows[steps - 1].addcmul_(g_last, k_last)
    for t in range(steps - 2, -1, -1):
        rows[t].addcmul_(rows[t + 1], factors[t])
    return g


_forward_loop = scripted(_lif_forward_loop)
_forward_loop_negated = scripted(_lif_forward_loop_negated)
_backward_loop = scripted(_membrane_backward_loop)


def _in_dtype(value: Any, dtype: torch.dtype, device: torch.device) -> Tensor:
    """A scalar parameter as a 0-dim tensor of ``dtype``, rounded once (Python floats from float64)."""
    if not isinstance(value, Tensor):
        value = torch.tensor(float(value), dtype=torch.float64)
    return value.to(device=device, dtype=dtype).reshape(())


class _LIFSequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, p: Any, dt: float, derivative: Any) -> Any:
        a = dt * p.tau_mem_inv
        c = (-dt) * p.tau_syn_inv
        # step 0 with the arguments as given (0-dim states, Python numbers): the dtype rules of the step
        j = i + xs[0]
        v1 = v + a * ((p.v_leak - v) + j)
        i_next = j + c * j
        v1s = torch.empty(xs.shape, dtype=v1.dtype, device=xs.device)
        v1s[0] = v1
        v_next = torch.where(v1 > p.v_th, p.v_reset, v1)
        device = xs.device
        v_th = as_loop_tensor(p.v_th, device)
        zero_leak = bool(torch.all(torch.as_tensor(p.v_leak) == 0))
        if v_th.numel() == 1 and torch.as_tensor(p.v_reset).numel() == 1 and xs.shape[0] > 1:
            # negated loop: -v_1 just below -v_th keeps the voltage; compared in the computation dtype
            minus_th = -_in_dtype(p.v_th, v1s.dtype, device)
            keep_above = torch.nextafter(minus_th, torch.full_like(minus_th, -math.inf)).item()
            minus_reset = -_in_dtype(p.v_reset, v1s.dtype, device).item()
            w_last, i_last = _forward_loop_negated(
                xs,
                v_next.neg(),
                i_next,
                v1s,
                -as_loop_tensor(a, device),
                as_loop_tensor(c, device),
                as_loop_tensor(p.v_leak, device),
                keep_above,
                minus_reset,
                zero_leak,
            )
            v1s[1:].neg_()
            v_last = w_last.neg_()
        else:
            v_last, i_last = _forward_loop(
                xs,
                v_next,
                i_next,
                v1s,
                as_loop_tensor(a, device),
                as_loop_tensor(c, device),
                as_loop_tensor(p.v_leak, device),
                v_th,
                as_loop_tensor(p.v_reset, device),
                zero_leak,
            )
        zs = torch.gt(v1s, v_th, out=torch.empty_like(v1s))  # spikes straight into the float output
        ctx.save_for_backward(v1s, v, i)
        ctx.p, ctx.a, ctx.c, ctx.derivative = p, a, c, derivative
        mark_spikes(ctx, zs, derivative)
        return zs, v_last, i_last

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor) -> Any:
        v1s, v0, i0 = ctx.saved_tensors
        p = ctx.p
        # the decay factors in the gradient's dtype (1 - a rounded in float32 would bias float64 grads)
        a = constant_like(ctx.a, v1s)
        c = constant_like(ctx.c, v1s)
        keep, decay = 1 - a, 1 + c
        g_xs = torch.empty_like(v1s)
        g_v2 = g_v  # dL/d(v after reset) of the latest step not yet processed
        g_j = g_i  # dL/dj of that step (i_{t+1} = (1 + c) j_t)
        for start, stop in time_chunks(v1s.shape[0], v1s[0].numel(), _CHUNK_ELEMENTS):
            v1 = v1s[start:stop]
            out = g_xs[start:stop]
            # dv2/dv1 through the reset and the spike; the spike outputs' own part goes into out
            k = reset_factor(v1, g_zs[start:stop], out, p, ctx.derivative)
            k_last = k[-1].clone()
            gv1 = _backward_loop(out, k.mul_(keep), k_last, g_v2)  # dL/dv1 per step
            g_v2 = keep * gv1[0]
            g_j = _backward_loop(gv1.mul_(a), decay.expand(out.shape), decay, g_j)[0]
        return g_xs, reduce_grad(g_v2, v0), reduce_grad(g_j, i0), None, None, None


# backward works on chunks of this many elements (a few MB), so its temporaries stay in cache
_CHUNK_ELEMENTS = 1 << 18


@torch.compiler.disable
def lif_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "auto"
) -> tuple[Tensor, Any]:
    r"""Run ``lif_feed_forward_step`` over a whole time-first sequence in one call.

    Same numbers as looping the step (outputs and final state bit for bit), computed without an
    autograd graph per step: the forward pass keeps only the membrane voltage before reset
    $v_1$ per step; the backward pass recomputes spikes and surrogate derivatives from it and
    runs the adjoint recursion

    $$ \bar v_{1,t} = \bar z_t\,\sigma'_t + \bar v_{2,t}\big((1 - z_t) + (v_{reset} - v_{1,t})\,\sigma'_t\big),\quad
       \bar v_{2,t-1} = (1 - \Delta t\,\tau_m^{-1})\,\bar v_{1,t} $$
    $$ \bar x_t = \bar j_t = \Delta t\,\tau_m^{-1}\,\bar v_{1,t} + (1 - \Delta t\,\tau_s^{-1})\,\bar j_{t+1} $$

    with $\sigma'_t$ the surrogate derivative of ``p.method`` at $v_{1,t} - v_{th}$.

    Gradients flow to ``xs`` and to the initial state; parameters are constants here. When a
    parameter tensor requires grad, when ``p.method`` is not one of snn-core's deterministic
    thresholds (``super``, ``tanh``, ``triangle``, ``circ``, ``heavi_erfc``, ``heaviside``), or for
    unusual argument types (Python numbers as state, mixed dtypes, an input smaller than the
    state), the step function is looped instead (same numbers, more memory and time).

    Args:
        xs: input currents ``[T, ...]``.
        state: ``LIFFeedForwardState(v, i)`` at the start; fields broadcast to ``xs.shape[1:]``.
        p: ``LIFParameters``; ``None`` means the defaults.
        dt: time step.
        backend: ``"auto"`` (a registered kernel for ``xs.device`` if one is available, else torch),
            ``"torch"``, or a kernel backend such as ``"cuda"`` (raises if unavailable).

    Returns:
        ``(zs, final_state)``: spikes ``[T, ...]`` and the state after the last step.

    Raises:
        TypeError: if ``xs`` is not a floating-point tensor.
        ValueError: if ``xs`` has no time step or ``dt`` is not positive.
        BackendUnavailableError: for an explicit ``backend`` that cannot run here.

    Example:
        >>> from snn_neurons import LIFFeedForwardState, LIFParameters
        >>> xs = torch.ones(100, 2, 3)
        >>> state = LIFFeedForwardState(v=torch.zeros(2, 3), i=torch.zeros(2, 3))
        >>> zs, state = lif_feed_forward_sequence(xs, state, LIFParameters())
        >>> zs.shape
        torch.Size([100, 2, 3])
    """
    check_sequence(xs, "lif_feed_forward_sequence")
    dt = snn_core.check_dt(dt)
    kernel = dispatch("neuron:lif", xs, backend)
    if p is None:
        p = _functional("LIFParameters")()
    if kernel is not None:
        return kernel(xs, state, p, dt)
    derivative = surrogate_derivative(p.method)
    params = (p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha)
    if derivative is None or not fusable(xs, (state.v, state.i), params):
        return step_loop(_functional("lif_feed_forward_step"), xs, state, p, dt)
    zs, v, i = _LIFSequence.apply(xs, state.v, state.i, p, dt, derivative)
    return zs, state._replace(v=v, i=i)
