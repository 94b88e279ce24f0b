r"""Fused whole-sequence paths for LI, IAF and LIF box (one saved tensor per step or none).

Same scheme as the LIF path: the forward loop (TorchScript) keeps every rounding step of the step
function; the backward pass runs each model's adjoint recursion in chunks of time steps:

* LI (linear): $\bar v_{1,t} = \bar o_t + (1 - a)\,\bar v_{1,t+1}$, $\bar j_t = a\,\bar v_{1,t} + (1 + c)\,\bar j_{t+1}$.
* IAF: $\bar v_{1,t} = \bar z_t\sigma'_t + \bar v_{1,t+1}\big((1 - z_t) + (v_{reset} - v_{1,t})\sigma'_t\big)$, $\bar x_t = \bar v_{1,t}$.
* LIF box: as IAF with $\bar v_{2,t-1} = (1 - a)\bar v_{1,t}$ and $\bar x_t = a\,\bar v_{1,t}$; for the
  subtractive reset $\partial v_2/\partial v_1 = 1$ and $\partial v_2/\partial z = (v_1 - v_{th}) - v_1$.

with $a = \Delta t\,\tau_m^{-1}$, $c = -\Delta t\,\tau_s^{-1}$.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ._common import as_loop_tensor, constant_like, mark_spikes, reduce_grad, scripted, time_chunks

__all__ = ["LISequence", "IAFSequence", "LIFBoxSequence", "CHUNK_ELEMENTS"]

CHUNK_ELEMENTS = 1 << 18


def _li_forward_loop(
    xs: Tensor, v: Tensor, i: Tensor, outs: Tensor, a: Tensor, c: Tensor, v_leak: Tensor
) -> tuple[Tensor, Tensor]:
    j = torch.empty_like(v)
    drive = torch.empty_like(v)
    for t in range(1, xs.shape[0]):
        torch.add(i, xs[t], out=j)
        torch.sub(v_leak, v, out=drive)
        drive.add_(j).mul_(a)
        v = torch.add(v, drive, out=outs[t])
        torch.mul(j, c, out=i)
        i.add_(j)
    return v, i


def _spiking_forward_loop(
    xs: Tensor, v: Tensor, v1s: Tensor, a: Tensor, v_th: Tensor, v_reset: Tensor, leaky: bool, subtract: bool
) -> Tensor:
    """IAF (``leaky=False``: ``v1 = v + x``) or LIF box (``xs`` holds ``x + v_leak``: ``v1 = v + a (xs - v)``)."""
    drive = torch.empty_like(v)
    spiked = torch.empty(v.shape, dtype=torch.bool, device=v.device)
    for t in range(1, xs.shape[0]):
        if leaky:
            torch.sub(xs[t], v, out=drive)
            drive.mul_(a)
            v1 = torch.add(v, drive, out=v1s[t])
        else:
            v1 = torch.add(v, xs[t], out=v1s[t])
        torch.gt(v1, v_th, out=spiked)
        if subtract:
            torch.sub(v1, v_th, out=drive)
            torch.where(spiked, drive, v1, out=v)
        else:
            torch.where(spiked, v_reset, v1, out=v)
    return v


def _backward_loop(g: Tensor, k: Tensor, k_last: Tensor, g_last: Tensor) -> Tensor:
    steps = g.shape[0]
    g[steps - 1].addcmul_(g_last, k_last)
    for t in range(steps - 2, -1, -1):
        g[t].addcmul_(g[t + 1], k[t])
    return g


_li_forward = scripted(_li_forward_loop)
_spiking_forward = scripted(_spiking_forward_loop)
_backward = scripted(_backward_loop)


class LISequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, p: Any, dt: float) -> Any:
        a = dt * p.tau_mem_inv
        c = (-dt) * p.tau_syn_inv
        j = i + xs[0]
        v1 = v + a * ((p.v_leak - v) + j)
        i1 = j + c * j
        outs = torch.empty(xs.shape, dtype=v1.dtype, device=xs.device)
        outs[0] = v1
        device = xs.device
        v_last, i_last = _li_forward(
            xs,
            outs[0],
            i1,
            outs,
            as_loop_tensor(a, device),
            as_loop_tensor(c, device),
            as_loop_tensor(p.v_leak, device),
        )
        ctx.save_for_backward(v, i)
        ctx.a, ctx.c = a, c
        ctx.shape, ctx.dtype = outs.shape, outs.dtype
        return outs, v_last.clone(), i_last

    @staticmethod
    def backward(ctx: Any, g_outs: Tensor, g_v: Tensor, g_i: Tensor) -> Any:
        v0, i0 = ctx.saved_tensors
        a, c = constant_like(ctx.a, g_outs), constant_like(ctx.c, g_outs)
        keep, decay = 1 - a, 1 + c
        g_xs = g_outs.clone()
        one = torch.ones((), dtype=g_outs.dtype, device=g_outs.device)
        g_v1, g_j = g_v, g_i
        for start, stop in time_chunks(g_xs.shape[0], g_xs[0].numel(), CHUNK_ELEMENTS):
            out = g_xs[start:stop]
            u = _backward(out, keep.expand(out.shape), one, g_v1)  # dL/dv1 per step
            g_v1 = keep * u[0]
            g_j = _backward(u.mul_(a), decay.expand(out.shape), decay, g_j)[0]
        return g_xs, reduce_grad(g_v1, v0), reduce_grad(g_j, i0), None, None


class IAFSequence(torch.autograd.Function):
    """IAF (``leak=None``) and LIF box (``leak=(a, v_leak)``), value or subtractive reset."""

    @staticmethod
    def forward(
        ctx: Any, xs: Tensor, v: Tensor, p: Any, dt: float, derivative: Any, leaky: bool, subtract: bool
    ) -> Any:
        device = xs.device
        if leaky:
            a = dt * p.tau_mem_inv
            drive = xs + p.v_leak  # (x + v_leak) per step, as the step computes it
            v1 = v + a * (drive[0] - v)
        else:
            a = 0.0
            drive = xs
            v1 = v + xs[0]
        v1s = torch.empty(xs.shape, dtype=v1.dtype, device=device)
        v1s[0] = v1
        spiked = v1 > p.v_th
        v_next = torch.where(spiked, v1 - p.v_th, v1) if subtract else torch.where(spiked, p.v_reset, v1)
        v_th = as_loop_tensor(p.v_th, device)
        v_last = _spiking_forward(
            drive,
            v_next,
            v1s,
            as_loop_tensor(a, device),
            v_th,
            as_loop_tensor(p.v_reset, device),
            leaky,
            subtract,
        )
        zs = torch.gt(v1s, v_th, out=torch.empty_like(v1s))
        ctx.save_for_backward(v1s, v)
        ctx.p, ctx.a, ctx.derivative, ctx.leaky, ctx.subtract = p, a, derivative, leaky, subtract
        mark_spikes(ctx, zs, derivative)
        return zs, v_last

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor) -> Any:
        v1s, v0 = ctx.saved_tensors
        p = ctx.p
        a = constant_like(ctx.a, v1s)
        keep = 1 - a if ctx.leaky else torch.ones((), dtype=v1s.dtype, device=v1s.device)
        g_xs = torch.empty_like(v1s)
        g_v2 = g_v
        for start, stop in time_chunks(v1s.shape[0], v1s[0].numel(), CHUNK_ELEMENTS):
            v1 = v1s[start:stop]
            out = g_xs[start:stop]
            x = v1 - p.v_th
            s = ctx.derivative(x, p.alpha)
            if ctx.subtract:  # dv2/dv1 = 1, dv2/dz = (v1 - v_th) - v1
                k = x.sub_(v1).mul_(s).add_(1)
            else:  # dv2/dv1 = 1 - z, dv2/dz = v_reset - v1
                not_spiked = torch.le(x, 0, out=torch.empty_like(x))
                k = torch.sub(p.v_reset, v1, out=x).mul_(s).add_(not_spiked)
            torch.mul(s, g_zs[start:stop], out=out)
            del s
            k_last = k[-1].clone()
            u = _backward(out, k.mul_(keep), k_last, g_v2)
            g_v2 = keep * u[0]
            if ctx.leaky:
                u.mul_(a)
        return g_xs, reduce_grad(g_v2, v0), None, None, None, None, None


LIFBoxSequence = IAFSequence
