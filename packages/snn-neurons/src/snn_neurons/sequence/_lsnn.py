r"""Fused whole-sequence LSNN (adaptive threshold): two saved tensors per step, hand-written adjoint.

Step (jump-last): $v_1 = v + a((v_{leak} - v) + i)$, $i_1 = i + c\,i$, $b_1 = b + d(v_{th} - b)$,
$z = H(v_1 - b_1)$, $v_2 = (1 - z)v_1 + z v_{reset}$, $b_2 = b_1 + z\beta$, $i_2 = i_1 + x$ with
$a = \Delta t\,\tau_m^{-1}$, $c = -\Delta t\,\tau_s^{-1}$, $d = \Delta t\,\tau_b^{-1}$. Backward per step,
from the gradients $\bar v_2, \bar i_2, \bar b_2$ of the state after it:

$$ \bar u = \big(\bar z + \bar v_2 (v_{reset} - v_1) + \bar b_2 \beta\big)\,\sigma'(v_1 - b_1),\quad
   \bar v_1 = (1 - z)\bar v_2 + \bar u,\quad \bar b_1 = \bar b_2 - \bar u,\quad \bar x = \bar i_2 $$
$$ \bar v = (1 - a)\bar v_1,\quad \bar i = a\,\bar v_1 + (1 + c)\,\bar i_2,\quad \bar b = (1 - d)\,\bar b_1. $$
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ._common import as_loop_tensor, constant_like, mark_spikes, reduce_grad, scripted, time_chunks

__all__ = ["LSNNSequence"]

CHUNK_ELEMENTS = 1 << 18


def _lsnn_forward_loop(
    xs: Tensor,
    v: Tensor,
    i: Tensor,
    b: Tensor,
    v1s: Tensor,
    b1s: Tensor,
    a: Tensor,
    c: Tensor,
    d: Tensor,
    v_leak: Tensor,
    v_th: Tensor,
    v_reset: Tensor,
    beta: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    drive = torch.empty_like(v)
    spiked = torch.empty(v.shape, dtype=torch.bool, device=v.device)
    for t in range(1, xs.shape[0]):
        torch.sub(v_leak, v, out=drive)
        drive.add_(i).mul_(a)
        v1 = torch.add(v, drive, out=v1s[t])
        torch.mul(i, c, out=drive)
        i.add_(drive).add_(xs[t])  # (i + c i) + x
        torch.sub(v_th, b, out=drive)
        drive.mul_(d)
        b1 = torch.add(b, drive, out=b1s[t])
        torch.gt(v1, b1, out=spiked)
        torch.where(spiked, v_reset, v1, out=v)
        torch.add(b1, beta, out=drive)
        torch.where(spiked, drive, b1, out=b)
    return v, i, b


def _lsnn_backward_loop(
    g: Tensor,
    not_spiked: Tensor,
    k_v: Tensor,
    k_b: Tensor,
    g_xs: Tensor,
    g_v: Tensor,
    g_i: Tensor,
    g_b: Tensor,
    keep_v: Tensor,
    decay_i: Tensor,
    a: Tensor,
    keep_b: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    """One chunk backwards in time; ``g`` holds dL/dz * sigma' and is overwritten with dL/du."""
    for t in range(g.shape[0] - 1, -1, -1):
        g_xs[t].copy_(g_i)
        u = g[t].addcmul_(g_v, k_v[t]).addcmul_(g_b, k_b[t])
        g_v1 = torch.addcmul(u, g_v, not_spiked[t])
        g_b = (g_b - u).mul_(keep_b)
        g_i = torch.addcmul(g_i * decay_i, g_v1, a)
        g_v = g_v1.mul_(keep_v)
    return g_v, g_i, g_b


_forward = scripted(_lsnn_forward_loop)
_backward = scripted(_lsnn_backward_loop)


class LSNNSequence(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, xs: Tensor, v: Tensor, i: Tensor, b: Tensor, p: Any, dt: float, derivative: Any
    ) -> Any:
        a = dt * p.tau_mem_inv
        c = -dt * p.tau_syn_inv
        d = dt * p.tau_adapt_inv
        v1 = v + a * ((p.v_leak - v) + i)
        i1 = i + c * i
        b1 = b + d * (p.v_th - b)
        spiked = v1 > b1
        v_next = torch.where(spiked, p.v_reset, v1)
        b_next = torch.where(spiked, b1 + p.beta, b1)
        i_next = i1 + xs[0]
        v1s = torch.empty(xs.shape, dtype=v1.dtype, device=xs.device)
        b1s = torch.empty(xs.shape, dtype=v1.dtype, device=xs.device)
        v1s[0], b1s[0] = v1, b1
        device = xs.device
        shape = xs.shape[1:]
        v_last, i_last, b_last = _forward(
            xs,
            v_next.expand(shape).contiguous(),
            i_next.expand(shape).contiguous(),
            b_next.expand(shape).contiguous(),
            v1s,
            b1s,
            *(as_loop_tensor(value, device) for value in (a, c, d, p.v_leak, p.v_th, p.v_reset, p.beta)),
        )
        zs = torch.gt(v1s, b1s, out=torch.empty_like(v1s))
        ctx.save_for_backward(v1s, b1s, v, i, b)
        ctx.p, ctx.coefficients, ctx.derivative = p, (a, c, d), derivative
        mark_spikes(ctx, zs, derivative)
        return zs, v_last, i_last, b_last

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor, g_b: Tensor) -> Any:
        v1s, b1s, v0, i0, b0 = ctx.saved_tensors
        p = ctx.p
        a, c, d = (constant_like(k, v1s) for k in ctx.coefficients)
        beta = constant_like(p.beta, v1s)
        g_xs = torch.empty_like(v1s)
        g_v, g_i, g_b = g_v.clone(), g_i.clone(), g_b.clone()
        for start, stop in time_chunks(v1s.shape[0], v1s[0].numel(), CHUNK_ELEMENTS):
            v1 = v1s[start:stop]
            x = v1 - b1s[start:stop]
            s = ctx.derivative(x, p.alpha)
            not_spiked = torch.le(x, 0, out=torch.empty_like(x))
            k_v = torch.sub(p.v_reset, v1, out=x).mul_(s)
            k_b = s * beta
            g = s.mul_(g_zs[start:stop])
            g_v, g_i, g_b = _backward(
                g, not_spiked, k_v, k_b, g_xs[start:stop], g_v, g_i, g_b, 1 - a, 1 + c, a, 1 - d
            )
        return g_xs, reduce_grad(g_v, v0), reduce_grad(g_i, i0), reduce_grad(g_b, b0), None, None, None
