r"""Fused whole-sequence adaptive exponential LIF (``lif_adex``): one saved tensor per step.

Step: $j = i + x$, $e = \Delta_T e^{(v - v_{th})/\Delta_T}$,
$v_1 = v + a_m\big((((v_{leak} - v) + e) + j) - w\big)$, $i_1 = j + c\,j$,
$w_1 = w + d\,(A_c (v - v_{leak}) - w)$, $z = H(v_1 - v_{th})$, $v_2 = (1 - z)v_1 + z v_{reset}$,
$w_2 = w_1 + z A_s$ ($w$: the adaptation current ``a``). Backward per step from the gradients of the
state after it:

$$ \bar u = (\bar z + \bar v_2 (v_{reset} - v_1) + \bar w_2 A_s)\,\sigma',\quad
   \bar v_1 = (1 - z)\bar v_2 + \bar u,\quad \bar x = \bar j = a_m \bar v_1 + (1 + c)\,\bar i_2 $$
$$ \bar v = \big(1 + a_m (e^{(v - v_{th})/\Delta_T} - 1)\big)\bar v_1 + d A_c\,\bar w_2,\quad
   \bar w = (1 - d)\,\bar w_2 - a_m \bar v_1,\quad \bar i = \bar j. $$
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ._common import as_loop_tensor, mark_spikes, reduce_grad, scripted, time_chunks
from ._ex import entering_voltage

__all__ = ["AdExSequence"]

CHUNK_ELEMENTS = 1 << 18


def _adex_forward_loop(
    xs: Tensor,
    v: Tensor,
    i: Tensor,
    w: Tensor,
    v1s: Tensor,
    a: Tensor,
    c: Tensor,
    d: Tensor,
    v_leak: Tensor,
    v_th: Tensor,
    v_reset: Tensor,
    delta_t: Tensor,
    adaptation_current: Tensor,
    adaptation_spike: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    j = torch.empty_like(v)
    drive = torch.empty_like(v)
    term = torch.empty_like(v)
    spiked = torch.empty(v.shape, dtype=torch.bool, device=v.device)
    for t in range(1, xs.shape[0]):
        torch.add(i, xs[t], out=j)
        torch.sub(v_leak, v, out=drive)
        torch.sub(v, v_th, out=term)
        term.div_(delta_t).exp_().mul_(delta_t)
        drive.add_(term).add_(j).sub_(w).mul_(a)
        # adaptation uses the voltage entering the step: before v is overwritten
        torch.sub(v, v_leak, out=term)
        term.mul_(adaptation_current).sub_(w).mul_(d)
        w.add_(term)
        v1 = torch.add(v, drive, out=v1s[t])
        torch.mul(j, c, out=i)
        i.add_(j)
        torch.gt(v1, v_th, out=spiked)
        torch.where(spiked, v_reset, v1, out=v)
        torch.add(w, adaptation_spike, out=term)
        torch.where(spiked, term, w, out=w)
    return v, i, w


def _adex_backward_loop(
    g: Tensor,
    not_spiked: Tensor,
    k_v: Tensor,
    k_w: Tensor,
    keep_v: Tensor,
    g_xs: Tensor,
    g_v: Tensor,
    g_i: Tensor,
    g_w: Tensor,
    a: Tensor,
    decay_i: Tensor,
    keep_w: Tensor,
    w_to_v: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    for t in range(g.shape[0] - 1, -1, -1):
        u = g[t].addcmul_(g_v, k_v[t]).addcmul_(g_w, k_w[t])
        g_v1 = torch.addcmul(u, g_v, not_spiked[t])
        g_i = torch.addcmul(g_i * decay_i, g_v1, a, out=g_xs[t])
        g_v_next = torch.addcmul(g_w * w_to_v, g_v1, keep_v[t])
        g_w = torch.addcmul(g_w * keep_w, g_v1, a, value=-1.0)
        g_v = g_v_next
    return g_v, g_i, g_w


_forward = scripted(_adex_forward_loop)
_backward = scripted(_adex_backward_loop)


class AdExSequence(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, xs: Tensor, v: Tensor, i: Tensor, w: Tensor, p: Any, dt: float, derivative: Any
    ) -> Any:
        a = dt * p.tau_mem_inv
        c = -dt * p.tau_syn_inv
        d = dt * p.tau_ada_inv
        j = i + xs[0]
        dv_leak = p.v_leak - v
        dv_exp = p.delta_T * torch.exp((v - p.v_th) / p.delta_T)
        v1 = v + a * (dv_leak + dv_exp + j - w)
        i_next = j + c * j
        w1 = w + d * (p.adaptation_current * (v - p.v_leak) - w)
        spiked = v1 > p.v_th
        v_next = torch.where(spiked, p.v_reset, v1)
        w_next = torch.where(spiked, w1 + p.adaptation_spike, w1)
        v1s = torch.empty(xs.shape, dtype=v1.dtype, device=xs.device)
        v1s[0] = v1
        shape, device = xs.shape[1:], xs.device
        v_th = as_loop_tensor(p.v_th, device)
        constants = (
            a,
            c,
            d,
            p.v_leak,
            p.v_th,
            p.v_reset,
            p.delta_T,
            p.adaptation_current,
            p.adaptation_spike,
        )
        v_last, i_last, w_last = _forward(
            xs,
            v_next.expand(shape).contiguous(),
            i_next.expand(shape).contiguous(),
            w_next.expand(shape).contiguous(),
            v1s,
            *(as_loop_tensor(value, device) for value in constants),
        )
        zs = torch.gt(v1s, v_th, out=torch.empty_like(v1s))
        ctx.save_for_backward(v1s, v, i, w)
        ctx.p, ctx.coefficients, ctx.derivative = p, (a, c, d), derivative
        mark_spikes(ctx, zs, derivative)
        return zs, v_last, i_last, w_last

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor, g_w: Tensor) -> Any:
        v1s, v0, i0, w0 = ctx.saved_tensors
        p = ctx.p

        def constant(value: Any) -> Tensor:
            return torch.as_tensor(value, device=v1s.device).to(v1s.dtype)

        a, c, d = (constant(k) for k in ctx.coefficients)
        delta_t, spike_jump = constant(p.delta_T), constant(p.adaptation_spike)
        w_to_v = d * constant(p.adaptation_current)
        g_xs = torch.empty_like(v1s)
        g_v, g_i, g_w = g_v.clone(), g_i.clone(), g_w.clone()
        for start, stop in time_chunks(v1s.shape[0], v1s[0].numel(), CHUNK_ELEMENTS):
            v1 = v1s[start:stop]
            v_in = entering_voltage(v1s, start, stop, v0, p.v_th, p.v_reset)
            keep_v = v_in.sub_(p.v_th).div_(delta_t).exp_().sub_(1).mul_(a).add_(1)  # dv1/dv
            x = v1 - p.v_th
            s = ctx.derivative(x, p.alpha)
            not_spiked = torch.le(x, 0, out=torch.empty_like(x))
            k_v = torch.sub(p.v_reset, v1, out=x).mul_(s)
            k_w = s * spike_jump
            g = s.mul_(g_zs[start:stop])
            g_v, g_i, g_w = _backward(
                g, not_spiked, k_v, k_w, keep_v, g_xs[start:stop], g_v, g_i, g_w, a, 1 + c, 1 - d, w_to_v
            )
        return (
            g_xs,
            reduce_grad(g_v, v0),
            reduce_grad(g_i, i0),
            reduce_grad(g_w, w0),
            None,
            None,
            None,
        )
