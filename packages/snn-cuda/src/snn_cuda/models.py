r"""Fused Triton paths for LI, IAF, LIF box and LSNN (snn-neurons' sequence signatures).

Each ``<model>_feed_forward_sequence(xs, state, p, dt=1e-3, backend="cuda")`` gives the numbers of
looping the model's step function (outputs and state bit for bit, gradients to round-off) and
runs the registered torch path for arguments the kernels do not cover.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

import snn_core

from ._common import (
    BLOCK,
    alpha_tensor,
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

__all__ = [
    "iaf_feed_forward_sequence",
    "li_feed_forward_sequence",
    "lif_box_feed_forward_sequence",
    "lsnn_feed_forward_sequence",
]


def _kernels() -> Any:
    from . import _more_kernels

    return _more_kernels


class _LI(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, p: Any, dt: float) -> Any:
        shape, dtype, device = xs.shape[1:], xs.dtype, xs.device
        a = full(dt * p.tau_mem_inv, shape, dtype, device)
        c = full((-dt) * p.tau_syn_inv, shape, dtype, device)
        xs = xs.contiguous()
        outs = torch.empty_like(xs)
        v_start, i_start = full(v, shape, dtype, device), full(i, shape, dtype, device)
        v_out, i_out = torch.empty_like(v_start), torch.empty_like(i_start)
        n = v_start.numel()
        _kernels().li_forward_kernel[grid(n)](
            xs, outs, v_start, i_start, a, c, full(p.v_leak, shape, dtype, device), v_out, i_out, n, xs.shape[0],
            BLOCK=BLOCK, **launch_options(device),
        )  # fmt: skip
        ctx.save_for_backward(a, c, v, i)
        return outs, v_out, i_out

    @staticmethod
    def backward(ctx: Any, g_outs: Tensor, g_v: Tensor, g_i: Tensor) -> Any:
        a, c, v0, i0 = ctx.saved_tensors
        g_outs = g_outs.contiguous()
        g_xs = torch.empty_like(g_outs)
        g_v0, g_i0 = torch.empty_like(a), torch.empty_like(a)
        n = a.numel()
        _kernels().li_backward_kernel[grid(n)](
            g_outs, g_xs, g_v.contiguous(), g_i.contiguous(), a, c, g_v0, g_i0, n, g_outs.shape[0],
            BLOCK=BLOCK, **launch_options(a.device),
        )  # fmt: skip
        return g_xs, reduce(g_v0, v0), reduce(g_i0, i0), None, None


class _IAF(torch.autograd.Function):
    """IAF (``leaky=False``) and LIF box (``leaky=True``), value or subtractive reset."""

    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, p: Any, dt: float, leaky: bool, subtract: bool) -> Any:
        shape, dtype, device = xs.shape[1:], xs.dtype, xs.device
        a = full(dt * p.tau_mem_inv if leaky else 0.0, shape, dtype, device)
        v_leak = full(p.v_leak if leaky else 0.0, shape, dtype, device)
        v_th, v_reset = full(p.v_th, shape, dtype, device), full(p.v_reset, shape, dtype, device)
        xs = xs.contiguous()
        zs, v1s = torch.empty_like(xs), torch.empty_like(xs)
        v_start = full(v, shape, dtype, device)
        v_out = torch.empty_like(v_start)
        n = v_start.numel()
        _kernels().iaf_forward_kernel[grid(n)](
            xs, zs, v1s, v_start, a, v_leak, v_th, v_reset, v_out, n, xs.shape[0],
            LEAKY=leaky, SUBTRACT=subtract, BLOCK=BLOCK, **launch_options(device),
        )  # fmt: skip
        threshold = threshold_fn(p.method)
        ctx.save_for_backward(v1s, a, v_th, v_reset, v)
        ctx.threshold, ctx.alpha, ctx.leaky, ctx.subtract = threshold, p.alpha, leaky, subtract
        mark_spikes(ctx, zs, threshold)
        return zs, v_out

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor) -> Any:
        v1s, a, v_th, v_reset, v0 = ctx.saved_tensors
        code = surrogate_code(ctx.threshold)
        table = surrogate_table(ctx.threshold, v1s - v_th, ctx.alpha) if code == 0 else v1s
        g_xs = torch.empty_like(v1s)
        g_v0 = torch.empty_like(a)
        n = a.numel()
        _kernels().iaf_backward_kernel[grid(n)](
            g_zs.contiguous(), v1s, table, g_xs, g_v.contiguous(), a, v_th, v_reset, alpha_tensor(code, ctx.alpha, v1s), g_v0,
            n, v1s.shape[0], LEAKY=ctx.leaky, SUBTRACT=ctx.subtract, SURROGATE=code, BLOCK=BLOCK,
            **launch_options(a.device),
        )  # fmt: skip
        return g_xs, reduce(g_v0, v0), None, None, None, None


class _LSNN(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, b: Tensor, p: Any, dt: float) -> Any:
        shape, dtype, device = xs.shape[1:], xs.dtype, xs.device
        values = (
            dt * p.tau_mem_inv,
            -dt * p.tau_syn_inv,
            dt * p.tau_adapt_inv,
            p.v_leak,
            p.v_th,
            p.v_reset,
            p.beta,
        )
        a, c, d, v_leak, v_th, v_reset, beta = (full(value, shape, dtype, device) for value in values)
        xs = xs.contiguous()
        zs, v1s, b1s = torch.empty_like(xs), torch.empty_like(xs), torch.empty_like(xs)
        starts = [full(s, shape, dtype, device) for s in (v, i, b)]
        ends = [torch.empty_like(s) for s in starts]
        n = a.numel()
        _kernels().lsnn_forward_kernel[grid(n)](
            xs, zs, v1s, b1s, *starts, a, c, d, v_leak, v_th, v_reset, beta, *ends, n, xs.shape[0],
            BLOCK=BLOCK, **launch_options(device),
        )  # fmt: skip
        threshold = threshold_fn(p.method)
        ctx.save_for_backward(v1s, b1s, a, c, d, v_reset, beta, v, i, b)
        ctx.threshold, ctx.alpha = threshold, p.alpha
        mark_spikes(ctx, zs, threshold)
        return (zs, *ends)

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor, g_b: Tensor) -> Any:
        v1s, b1s, a, c, d, v_reset, beta, v0, i0, b0 = ctx.saved_tensors
        code = surrogate_code(ctx.threshold)
        table = surrogate_table(ctx.threshold, v1s - b1s, ctx.alpha) if code == 0 else v1s
        g_xs = torch.empty_like(v1s)
        g0 = [torch.empty_like(a) for _ in range(3)]
        n = a.numel()
        _kernels().lsnn_backward_kernel[grid(n)](
            g_zs.contiguous(), v1s, b1s, table, g_xs, g_v.contiguous(), g_i.contiguous(), g_b.contiguous(),
            a, c, d, v_reset, beta, alpha_tensor(code, ctx.alpha, v1s), *g0, n, v1s.shape[0], SURROGATE=code, BLOCK=BLOCK,
            **launch_options(a.device),
        )  # fmt: skip
        return g_xs, reduce(g0[0], v0), reduce(g0[1], i0), reduce(g0[2], b0), None, None


def _reset_kind(reset: Any) -> bool | None:
    """False: snn-neurons' value reset; True: its subtractive reset; None: anything else."""
    if not getattr(reset, "__module__", "").startswith("snn_neurons"):
        return None
    return {"reset_value": False, "reset_subtract": True}.get(getattr(reset, "__name__", ""))


@torch.compiler.disable
def li_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "cuda"
) -> Any:
    """Leaky integrator over a time-first sequence with a fused Triton kernel (outputs ``v``)."""
    dt, p = snn_core.check_dt(dt), defaults("li", p)
    params = (p.tau_syn_inv, p.tau_mem_inv, p.v_leak)
    if not supports(xs, (state.v, state.i), params, None, None):
        return torch_path("li", xs, state, p, dt)
    outs, v, i = _LI.apply(xs, state.v, state.i, p, dt)
    return outs, state._replace(v=v, i=i)


@torch.compiler.disable
def iaf_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "cuda"
) -> Any:
    """Integrate-and-fire over a time-first sequence with fused Triton kernels."""
    dt, p = snn_core.check_dt(dt), defaults("iaf", p)
    if not supports(xs, (state.v,), (p.v_th, p.v_reset, p.alpha), p.method, p.alpha):
        return torch_path("iaf", xs, state, p, dt)
    zs, v = _IAF.apply(xs, state.v, p, dt, False, False)
    return zs, state._replace(v=v)


@torch.compiler.disable
def lif_box_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "cuda"
) -> Any:
    """LIF box (value or subtractive reset) over a time-first sequence with fused Triton kernels."""
    dt, p = snn_core.check_dt(dt), defaults("lif_box", p)
    subtract = _reset_kind(p.reset_method)
    params = (p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha)
    if subtract is None or not supports(xs, (state.v,), params, p.method, p.alpha):
        return torch_path("lif_box", xs, state, p, dt)
    zs, v = _IAF.apply(xs, state.v, p, dt, True, subtract)
    return zs, state._replace(v=v)


@torch.compiler.disable
def lsnn_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "cuda"
) -> Any:
    """LSNN (adaptive threshold) over a time-first sequence with fused Triton kernels."""
    dt, p = snn_core.check_dt(dt), defaults("lsnn", p)
    params = (p.tau_syn_inv, p.tau_mem_inv, p.tau_adapt_inv, p.v_leak, p.v_th, p.v_reset, p.beta, p.alpha)
    if not supports(xs, (state.v, state.i, state.b), params, p.method, p.alpha):
        return torch_path("lsnn", xs, state, p, dt)
    zs, v, i, b = _LSNN.apply(xs, state.v, state.i, state.b, p, dt)
    return zs, state._replace(v=v, i=i, b=b)
