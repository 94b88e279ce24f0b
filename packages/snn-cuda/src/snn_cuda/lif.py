r"""Fused LIF over a whole time-first sequence: Triton forward and backward kernels.

``lif_feed_forward_sequence(xs, state, p, dt=1e-3, backend="cuda")`` has the signature of
``snn_neurons.sequence.lif_feed_forward_sequence`` and gives the same numbers: the forward kernel
evaluates the step's expressions in the same order, without fused multiply-adds, so spikes and the
final state are bit for bit those of looping ``lif_feed_forward_step``; the backward kernel runs the
adjoint recursion of the torch path, so gradients agree up to float round-off.

Per neuron-step the kernels move ``4 * itemsize`` bytes (forward: read input, write spike and
pre-reset voltage; backward: read output gradient and voltage, write input gradient) plus the
surrogate table for methods other than ``super``, ``triangle`` and ``heaviside``.

Arguments the kernels do not cover (float16/bfloat16, a parameter that requires grad, a stochastic
or third-party threshold, state of another dtype) run the torch path registered by snn-neurons.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

import snn_core

from ._common import (
    BLOCK,
    defaults,
    full,
    grid,
    launch_options,
    mark_spikes,
    reduce,
    supports,
    surrogate_code,
    surrogate_table,
    threshold_fn,
    torch_path,
)

__all__ = ["lif_feed_forward_sequence", "lif_forward", "lif_backward", "BLOCK"]


def _kernels() -> Any:
    from . import _lif_kernels

    return _lif_kernels


def lif_forward(
    xs: Tensor, v: Tensor, i: Tensor, a: Tensor, c: Tensor, v_leak: Tensor, v_th: Tensor, v_reset: Tensor
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Launch the forward kernel; every tensor but ``xs`` is contiguous with shape ``xs.shape[1:]``.

    Returns ``(zs, v1s, v_final, i_final)`` (``v1s``: pre-reset voltage per step, for backward).
    """
    k = _kernels()
    xs = xs.contiguous()
    steps, n = xs.shape[0], xs[0].numel()
    zs, v1s = torch.empty_like(xs), torch.empty_like(xs)
    v_out, i_out = torch.empty_like(v), torch.empty_like(i)
    k.lif_forward_kernel[grid(n)](
        xs, zs, v1s, v, i, a, c, v_leak, v_th, v_reset, v_out, i_out, n, steps, BLOCK=BLOCK,
        **launch_options(xs.device),
    )  # fmt: skip
    return zs, v1s, v_out, i_out


def lif_backward(
    g_zs: Tensor,
    v1s: Tensor,
    table: Tensor | None,
    g_v: Tensor,
    g_i: Tensor,
    a: Tensor,
    c: Tensor,
    v_th: Tensor,
    v_reset: Tensor,
    alpha: Any,
    surrogate: int,
) -> tuple[Tensor, Tensor, Tensor]:
    """Launch the backward kernel; returns ``(g_xs, g_v0, g_i0)`` in the shapes of the kernel state."""
    k = _kernels()
    g_zs = g_zs.contiguous()
    steps, n = v1s.shape[0], v1s[0].numel()
    g_xs = torch.empty_like(v1s)
    g_v0, g_i0 = torch.empty_like(g_v), torch.empty_like(g_i)
    k.lif_backward_kernel[grid(n)](
        g_zs, v1s, v1s if table is None else table.contiguous(), g_xs, g_v.contiguous(), g_i.contiguous(),
        a, c, v_th, v_reset, full(alpha, (1,), v1s.dtype, v1s.device), g_v0, g_i0, n, steps, SURROGATE=surrogate, BLOCK=BLOCK,
        **launch_options(v1s.device),
    )  # fmt: skip
    return g_xs, g_v0, g_i0


class _LIFKernelSequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, p: Any, dt: float, threshold: Any) -> Any:
        shape, dtype, device = xs.shape[1:], xs.dtype, xs.device
        a = full(dt * p.tau_mem_inv, shape, dtype, device)
        c = full((-dt) * p.tau_syn_inv, shape, dtype, device)
        v_th = full(p.v_th, shape, dtype, device)
        v_reset = full(p.v_reset, shape, dtype, device)
        v_leak = full(p.v_leak, shape, dtype, device)
        v_start = v.to(dtype).expand(shape).contiguous()
        i_start = i.to(dtype).expand(shape).contiguous()
        zs, v1s, v_last, i_last = lif_forward(xs, v_start, i_start, a, c, v_leak, v_th, v_reset)
        ctx.save_for_backward(v1s, a, c, v_th, v_reset, v, i)
        ctx.threshold, ctx.alpha = threshold, p.alpha
        mark_spikes(ctx, zs, threshold)
        return zs, v_last, i_last

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor) -> Any:
        v1s, a, c, v_th, v_reset, v0, i0 = ctx.saved_tensors
        surrogate = surrogate_code(ctx.threshold)
        table = None if surrogate else surrogate_table(ctx.threshold, v1s - v_th, ctx.alpha)
        alpha = ctx.alpha if surrogate in (1, 2) else 0.0
        g_xs, g_v0, g_i0 = lif_backward(g_zs, v1s, table, g_v, g_i, a, c, v_th, v_reset, alpha, surrogate)
        return g_xs, reduce(g_v0, v0), reduce(g_i0, i0), None, None, None


def kernel_supports(xs: Tensor, state: Any, p: Any) -> bool:
    """Whether the kernels reproduce the torch path for these arguments (else it runs instead)."""
    params = (p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha)
    return supports(xs, (state.v, state.i), params, p.method, p.alpha)


def _torch_path(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    return torch_path("lif", xs, state, p, dt)


@torch.compiler.disable
def lif_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "cuda"
) -> tuple[Tensor, Any]:
    r"""LIF over a time-first sequence with the fused Triton kernels (snn-neurons' signature).

    $$ j = i + x,\; v_1 = v + \Delta t\,\tau_m^{-1}((v_{leak} - v) + j),\; i' = j - \Delta t\,\tau_s^{-1} j,\;
       z = [v_1 > v_{th}],\; v' = (1 - z)\,v_1 + z\,v_{reset} $$

    Args:
        xs: input currents ``[T, ...]`` on a CUDA device (or CPU under ``TRITON_INTERPRET=1``).
        state: ``LIFFeedForwardState(v, i)``.
        p: ``LIFParameters``; ``None`` means the registered neuron's defaults.
        dt: time step.
        backend: accepted for signature compatibility; the kernels run whatever it says.

    Returns:
        ``(zs, final_state)`` with the numbers of ``snn_neurons.lif_feed_forward_step`` in a loop.

    Example:
        >>> zs, state = lif_feed_forward_sequence(xs.cuda(), state, p)  # doctest: +SKIP
    """
    dt, p = snn_core.check_dt(dt), defaults("lif", p)
    if not kernel_supports(xs, state, p):
        return _torch_path(xs, state, p, dt)
    threshold = threshold_fn(p.method)
    zs, v, i = _LIFKernelSequence.apply(xs, state.v, state.i, p, dt, threshold)
    return zs, state._replace(v=v, i=i)
