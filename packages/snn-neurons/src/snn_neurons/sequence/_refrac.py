r"""Fused whole-sequence LIF with refractory period (``lif_refrac``), hand-written adjoint.

Step: the LIF step gives $z_0, v_0$ (after reset), $i_1$ from $v_1$ (before reset); then
$m = H(\rho)$, $v' = (1 - m)v_0 + m v$, $z = (1 - m)z_0$, $\rho' = (1 - z)\,\mathrm{relu}(\rho - m) + z\rho_r$.
Saved per step: $v_1$, and the $v$ and $\rho$ entering the step. Backward per step, from the
gradients $\bar v', \bar i', \bar\rho'$ of the state after it ($\sigma_0'$ at $v_1 - v_{th}$,
$\sigma_m'$ at $\rho$, $R' = [\rho - m > 0]$):

$$ \bar z_{tot} = \bar z + \bar\rho'(\rho_r - \mathrm{relu}(\rho - m)),\quad
   \bar v_1 = (1 - m)\big(\bar v'((1 - z_0) + (v_{reset} - v_1)\sigma_0') + \bar z_{tot}\sigma_0'\big) $$
$$ \bar m = \bar v'(v - v_0) - \bar z_{tot} z_0 - \bar\rho'(1 - z)R',\quad
   \bar\rho = \bar\rho'(1 - z)R' + \bar m\,\sigma_m' $$
$$ \bar v = (1 - a)\bar v_1 + m\,\bar v',\quad \bar x = \bar i = a\bar v_1 + (1 + c)\,\bar i'. $$
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ._common import as_loop_tensor, constant_like, mark_spikes, reduce_grad, scripted, time_chunks

__all__ = ["RefracSequence"]

CHUNK_ELEMENTS = 1 << 17


def _refrac_forward_loop(
    xs: Tensor,
    v: Tensor,
    i: Tensor,
    rho: Tensor,
    v_in: Tensor,
    v1s: Tensor,
    rho_in: Tensor,
    a: Tensor,
    c: Tensor,
    v_leak: Tensor,
    v_th: Tensor,
    v_reset: Tensor,
    rho_reset: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    j = torch.empty_like(v)
    drive = torch.empty_like(v)
    v_spiked = torch.empty_like(v)
    spiked = torch.empty(v.shape, dtype=torch.bool, device=v.device)
    refractory = torch.empty(v.shape, dtype=torch.bool, device=v.device)
    for t in range(1, xs.shape[0]):
        v_in[t].copy_(v)
        rho_in[t].copy_(rho)
        torch.add(i, xs[t], out=j)
        torch.sub(v_leak, v, out=drive)
        drive.add_(j).mul_(a)
        v1 = torch.add(v, drive, out=v1s[t])
        torch.mul(j, c, out=i)
        i.add_(j)
        torch.gt(v1, v_th, out=spiked)
        torch.gt(rho, 0, out=refractory)
        torch.where(spiked, v_reset, v1, out=v_spiked)
        torch.where(refractory, v, v_spiked, out=v)  # held while refractory
        torch.gt(spiked, refractory, out=spiked)  # z = z0 and not m
        torch.sub(rho, 1, out=drive)
        torch.where(refractory, drive, rho, out=drive)
        drive.relu_()
        torch.where(spiked, rho_reset, drive, out=rho)
    return v, i, rho


def _refrac_backward_loop(
    g_zs: Tensor,
    q: Tensor,
    a1: Tensor,
    a2: Tensor,
    b: Tensor,
    dv: Tensor,
    z0: Tensor,
    sm: Tensor,
    m: Tensor,
    g_xs: Tensor,
    g_v: Tensor,
    g_i: Tensor,
    g_rho: Tensor,
    a: Tensor,
    keep: Tensor,
    decay: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    for t in range(g_zs.shape[0] - 1, -1, -1):
        g_z = torch.addcmul(g_zs[t], g_rho, q[t])
        g_v1 = (g_v * a1[t]).addcmul_(g_z, a2[t])
        g_m = (g_v * dv[t]).addcmul_(g_z, z0[t], value=-1.0).addcmul_(g_rho, b[t], value=-1.0)
        g_rho = (g_rho * b[t]).addcmul_(g_m, sm[t])
        g_v = (g_v1 * keep).addcmul_(g_v, m[t])
        g_i = torch.addcmul(g_i * decay, g_v1, a, out=g_xs[t])
    return g_v, g_i, g_rho


_forward = scripted(_refrac_forward_loop)
_backward = scripted(_refrac_backward_loop)


class RefracSequence(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, xs: Tensor, v: Tensor, i: Tensor, rho: Tensor, p: Any, dt: float, derivative: Any
    ) -> Any:
        lif = p.lif
        a = dt * lif.tau_mem_inv
        c = (-dt) * lif.tau_syn_inv
        # step 0 with the arguments as given (dtype rules of the step)
        j = i + xs[0]
        v1 = v + a * ((lif.v_leak - v) + j)
        i_next = j + c * j
        spiked = v1 > lif.v_th
        refractory = rho > 0
        v_spiked = torch.where(spiked, lif.v_reset, v1)
        v_next = torch.where(refractory, v, v_spiked)
        z = torch.logical_and(spiked, torch.logical_not(refractory))
        rho_next = torch.where(z, p.rho_reset, torch.relu(torch.where(refractory, rho - 1, rho)))
        shape, device = xs.shape[1:], xs.device
        dtype = v1.dtype
        v_in = torch.empty(xs.shape, dtype=dtype, device=device)
        v1s = torch.empty(xs.shape, dtype=dtype, device=device)
        rho_in = torch.empty(xs.shape, dtype=dtype, device=device)
        v_in[0], v1s[0], rho_in[0] = v, v1, rho
        v_last, i_last, rho_last = _forward(
            xs,
            v_next.expand(shape).to(dtype).contiguous(),
            i_next.expand(shape).contiguous(),
            rho_next.expand(shape).to(dtype).contiguous(),
            v_in,
            v1s,
            rho_in,
            *(
                as_loop_tensor(value, device)
                for value in (a, c, lif.v_leak, lif.v_th, lif.v_reset, p.rho_reset)
            ),
        )
        zs = torch.logical_and(torch.gt(v1s, lif.v_th), torch.le(rho_in, 0)).to(dtype)
        ctx.save_for_backward(v_in, v1s, rho_in, v, i, rho)
        ctx.p, ctx.a, ctx.c, ctx.derivative = p, a, c, derivative
        mark_spikes(ctx, zs, derivative)
        return zs, v_last, i_last, rho_last

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor, g_rho: Tensor) -> Any:
        v_in, v1s, rho_in, v0, i0, rho0 = ctx.saved_tensors
        p, lif = ctx.p, ctx.p.lif
        a = constant_like(ctx.a, v1s)
        c = constant_like(ctx.c, v1s)
        g_xs = torch.empty_like(v1s)
        g_v, g_i, g_rho = g_v.clone(), g_i.clone(), g_rho.clone()
        for start, stop in time_chunks(v1s.shape[0], v1s[0].numel(), CHUNK_ELEMENTS):
            v1, rho, v = v1s[start:stop], rho_in[start:stop], v_in[start:stop]
            x0 = v1 - lif.v_th
            s0 = ctx.derivative(x0, lif.alpha)
            sm = ctx.derivative(rho, lif.alpha)
            z0 = torch.gt(x0, 0, out=torch.empty_like(x0))
            m = torch.gt(rho, 0, out=torch.empty_like(rho))
            free = 1 - m
            z = z0 * free
            v_after = torch.where(z0 > 0, constant_like(lif.v_reset, v1), v1)
            shifted = rho - m
            r = torch.relu(shifted)
            b = torch.gt(shifted, 0, out=shifted).mul_(1 - z)  # (1 - z) relu'(rho - m)
            q = constant_like(p.rho_reset, v1) - r
            a1 = torch.sub(lif.v_reset, v1, out=x0).mul_(s0).add_(1).sub_(z0).mul_(free)
            a2 = s0.mul_(free)
            dv = v - v_after
            g_v, g_i, g_rho = _backward(
                g_zs[start:stop],
                q,
                a1,
                a2,
                b,
                dv,
                z0,
                sm,
                m,
                g_xs[start:stop],
                g_v,
                g_i,
                g_rho,
                a,
                1 - a,
                1 + c,
            )
        return (
            g_xs,
            reduce_grad(g_v, v0),
            reduce_grad(g_i, i0),
            reduce_grad(g_rho, rho0),
            None,
            None,
            None,
        )
