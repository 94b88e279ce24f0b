r"""Fused whole-sequence exponential LIF (``lif_ex``): one saved tensor per step.

Step: $j = i + x$, $v_1 = v + a\big(((v_{leak} - v) + \Delta_T e^{(v - v_{th})/\Delta_T}) + j\big)$,
$i_1 = j + c\,j$, $z = H(v_1 - v_{th})$, $v_2 = (1 - z)v_1 + z v_{reset}$. The backward pass is the LIF
adjoint with the membrane factor $1 - a$ replaced by
$\partial v_1/\partial v = 1 + a\,(e^{(v - v_{th})/\Delta_T} - 1)$, where the voltage entering each step
is recomputed from the saved pre-reset voltage of the step before.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ._common import (
    as_loop_tensor,
    constant_like,
    mark_spikes,
    reduce_grad,
    reset_factor,
    scripted,
    time_chunks,
)

__all__ = ["ExSequence", "entering_voltage"]

CHUNK_ELEMENTS = 1 << 18


def _ex_forward_loop(
    xs: Tensor,
    v: Tensor,
    i: Tensor,
    v1s: Tensor,
    a: Tensor,
    c: Tensor,
    v_leak: Tensor,
    v_th: Tensor,
    v_reset: Tensor,
    delta_t: Tensor,
) -> tuple[Tensor, Tensor]:
    j = torch.empty_like(v)
    drive = torch.empty_like(v)
    exp_term = torch.empty_like(v)
    spiked = torch.empty(v.shape, dtype=torch.bool, device=v.device)
    for t in range(1, xs.shape[0]):
        torch.add(i, xs[t], out=j)
        torch.sub(v_leak, v, out=drive)
        torch.sub(v, v_th, out=exp_term)
        exp_term.div_(delta_t).exp_().mul_(delta_t)
        drive.add_(exp_term).add_(j).mul_(a)
        v1 = torch.add(v, drive, out=v1s[t])
        torch.mul(j, c, out=i)
        i.add_(j)
        torch.gt(v1, v_th, out=spiked)
        torch.where(spiked, v_reset, v1, out=v)
    return v, i


def _ex_backward_loop(g: Tensor, k: Tensor, keep: Tensor, g_v: Tensor) -> tuple[Tensor, Tensor]:
    """``g[t] <- g[t] + k[t] * (dL/dv2_t)``, ``dL/dv2_{t-1} = keep[t] * g[t]``; returns (g, dL/dv_0)."""
    for t in range(g.shape[0] - 1, -1, -1):
        u = g[t].addcmul_(g_v, k[t])
        g_v = u * keep[t]
    return g, g_v


def _current_loop(g: Tensor, decay: Tensor, g_last: Tensor) -> Tensor:
    steps = g.shape[0]
    g[steps - 1].addcmul_(g_last, decay)
    for t in range(steps - 2, -1, -1):
        g[t].addcmul_(g[t + 1], decay)
    return g


def entering_voltage(v1s: Tensor, start: int, stop: int, v0: Tensor, v_th: Any, v_reset: Any) -> Tensor:
    """The voltage entering steps ``start .. stop-1``: the previous step's reset voltage (``v0`` first)."""
    v_reset = constant_like(v_reset, v1s)
    v_in = torch.empty_like(v1s[start:stop])
    first = start if start > 0 else 1
    if start == 0:
        v_in[0] = v0
    if stop > first:
        before = v1s[first - 1 : stop - 1]
        v_in[first - start :] = torch.where(torch.gt(before, v_th), v_reset, before)
    return v_in


_forward = scripted(_ex_forward_loop)
_backward = scripted(_ex_backward_loop)
_current = scripted(_current_loop)


class ExSequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, p: Any, dt: float, derivative: Any) -> Any:
        a = dt * p.tau_mem_inv
        c = -dt * p.tau_syn_inv
        j = i + xs[0]
        dv_leak = p.v_leak - v
        dv_exp = p.delta_T * torch.exp((v - p.v_th) / p.delta_T)
        v1 = v + a * (dv_leak + dv_exp + j)
        i_next = j + c * j
        v1s = torch.empty(xs.shape, dtype=v1.dtype, device=xs.device)
        v1s[0] = v1
        v_next = torch.where(v1 > p.v_th, p.v_reset, v1)
        shape, device = xs.shape[1:], xs.device
        v_th = as_loop_tensor(p.v_th, device)
        v_last, i_last = _forward(
            xs,
            v_next.expand(shape).contiguous(),
            i_next.expand(shape).contiguous(),
            v1s,
            *(as_loop_tensor(value, device) for value in (a, c, p.v_leak)),
            v_th,
            as_loop_tensor(p.v_reset, device),
            as_loop_tensor(p.delta_T, device),
        )
        zs = torch.gt(v1s, v_th, out=torch.empty_like(v1s))
        ctx.save_for_backward(v1s, v, i)
        ctx.p, ctx.a, ctx.c, ctx.derivative = p, a, c, derivative
        mark_spikes(ctx, zs, derivative)
        return zs, v_last, i_last

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor) -> Any:
        v1s, v0, i0 = ctx.saved_tensors
        p = ctx.p
        a = constant_like(ctx.a, v1s)
        c = constant_like(ctx.c, v1s)
        delta_t = constant_like(p.delta_T, v1s)
        decay = 1 + c
        g_xs = torch.empty_like(v1s)
        g_j = g_i
        for start, stop in time_chunks(v1s.shape[0], v1s[0].numel(), CHUNK_ELEMENTS):
            v1 = v1s[start:stop]
            out = g_xs[start:stop]
            v_in = entering_voltage(v1s, start, stop, v0, p.v_th, p.v_reset)
            keep = v_in.sub_(p.v_th).div_(delta_t).exp_().sub_(1).mul_(a).add_(1)  # dv1/dv
            k = reset_factor(v1, g_zs[start:stop], out, p, ctx.derivative)
            gv1, g_v = _backward(out, k, keep, g_v)
            g_j = _current(gv1.mul_(a), decay, g_j)[0]
        return g_xs, reduce_grad(g_v, v0), reduce_grad(g_j, i0), None, None, None
