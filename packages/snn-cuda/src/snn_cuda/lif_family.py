r"""Fused Triton paths for refractory, exponential and adaptive exponential LIF (snn-neurons' signatures).

``lif_refrac_feed_forward_sequence``, ``lif_ex_feed_forward_sequence`` and
``lif_adex_feed_forward_sequence`` take ``(xs, state, p=None, dt=1e-3, backend="cuda")`` like the
torch paths in ``snn_neurons.sequence`` and run the registered torch path for arguments the kernels
do not cover (float16/bfloat16, a parameter that requires grad, a stochastic or third-party
threshold, state of another dtype or shape).

Refractory LIF has no transcendental function: spikes, outputs and the final state are bit for bit
those of looping ``lif_refrac_feed_forward_step``, gradients agree up to float round-off. Per
neuron-step the kernels move ``8 * itemsize`` bytes (forward: read the input, write the spike, the
pre-reset voltage and the counter entering the step; backward: read the output gradient and those
two saved values, write the input gradient), plus one int32 per neuron (the first spike's step).
The torch path keeps three values per step where the kernels keep two.

Exponential and adaptive exponential LIF evaluate $\Delta_T\,e^{(v - v_{th})/\Delta_T}$ each step.
Every other operation is the torch step's, in its order and rounding (the division rounds to nearest:
``tl.div_rn`` in float32); the exponential is the one place where the kernels can differ:

* On a GPU the kernels call libdevice's ``exp`` (``__nv_expf`` for float32, ``__nv_exp`` for float64),
  the implementation behind CUDA's ``expf``/``exp``, which torch's CUDA ``exp`` calls, and compile it
  without flushing subnormals (``enable_reflect_ftz=False``; triton versions without that option
  flush subnormal results of ``exp`` to zero, where torch keeps them). Bit-identical outputs on CUDA
  are therefore expected but were not verified: no GPU was available where these kernels were
  written. One known difference: torch on CUDA divides by a CPU scalar (a Python float or a CPU
  0-dim ``delta_T``) as a multiplication by its reciprocal, so when $1/\Delta_T$ is not exact in the
  dtype (e.g. $\Delta_T = 0.3$) its exponent can differ from the kernels' correctly rounded quotient
  by one unit in the last place (ulp). A power of two (the default 0.5) is exact either way.
* Under Triton's interpreter (the CPU tests) ``tl.exp`` is numpy's ``exp``; torch's CPU ``exp`` is
  its vectorised SLEEF one. Of 4 million arguments (2 million evenly spaced in [-40, 10], 2 million
  normal with standard deviation 3) they differ for 39 % in float32 (by up to 2 ulp) and for 4.5 %
  in float64 (by 1 ulp), measured with numpy 2.4 and torch 2.13 (AVX512 build).
  Scaled by $a\,\Delta_T$ (``dt * tau_mem_inv * delta_T``) that difference mostly rounds away in
  $v_1$: in 100 steps of 1024 neurons ($\Delta_T = 0.3$, inputs uniform in [0, 1.5]) 0.19 % (Ex)
  and 0.36 % (AdEx) of the float32 voltages differed from the torch path, by at most 1.6e-7
  relative; 0.02 % and 0.03 % in float64, by at most 2.2e-16; no spike differed. A spike can flip
  only where the torch path's $v_1$ lies within a few ulp of $v_{th}$; that neuron's trajectory then
  follows the other branch of the reset. The tests compare states to 8 machine epsilons (relative
  and absolute), spikes exactly except at such a first flip within 4 ulp of the threshold, and
  gradients to float round-off.

Both move ``4 * itemsize`` bytes per neuron-step, as LIF does (the adaptation current stays in
registers): one saved value, the pre-reset voltage; the backward pass rebuilds the voltage entering
each step from the step before and re-evaluates the exponential there.
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
    "lif_adex_feed_forward_sequence",
    "lif_ex_feed_forward_sequence",
    "lif_refrac_feed_forward_sequence",
]


def _kernels() -> Any:
    from . import _lif_family_kernels

    return _lif_family_kernels


class _Refrac(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, rho: Tensor, p: Any, dt: float) -> Any:
        lif = p.lif
        shape, dtype, device = xs.shape[1:], xs.dtype, xs.device
        values = (
            dt * lif.tau_mem_inv,
            (-dt) * lif.tau_syn_inv,
            lif.v_leak,
            lif.v_th,
            lif.v_reset,
            p.rho_reset,
        )
        a, c, v_leak, v_th, v_reset, rho_reset = (full(value, shape, dtype, device) for value in values)
        xs = xs.contiguous()
        zs, v1s, rhos = torch.empty_like(xs), torch.empty_like(xs), torch.empty_like(xs)
        starts = [full(s, shape, dtype, device) for s in (v, i, rho)]
        ends = [torch.empty_like(s) for s in starts]
        first = torch.empty(shape, dtype=torch.int32, device=device)
        n = a.numel()
        _kernels().refrac_forward_kernel[grid(n)](
            xs, zs, v1s, rhos, first, *starts, a, c, v_leak, v_th, v_reset, rho_reset, *ends, n, xs.shape[0],
            BLOCK=BLOCK, **launch_options(device),
        )  # fmt: skip
        threshold = threshold_fn(lif.method)
        ctx.save_for_backward(v1s, rhos, first, starts[0], a, c, v_th, v_reset, rho_reset, v, i, rho)
        ctx.threshold, ctx.alpha = threshold, lif.alpha
        mark_spikes(ctx, zs, threshold)
        return (zs, *ends)

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor, g_rho: Tensor) -> Any:
        v1s, rhos, first, v_start, a, c, v_th, v_reset, rho_reset, v0, i0, rho0 = ctx.saved_tensors
        code = surrogate_code(ctx.threshold)
        if code == 0:  # the threshold acts on v1 - v_th (spike) and on rho (refractory mask)
            table_v = surrogate_table(ctx.threshold, v1s - v_th, ctx.alpha)
            table_rho = surrogate_table(ctx.threshold, rhos, ctx.alpha)
        else:
            table_v = table_rho = v1s
        g_xs = torch.empty_like(v1s)
        g0 = [torch.empty_like(a) for _ in range(3)]
        n = a.numel()
        _kernels().refrac_backward_kernel[grid(n)](
            g_zs.contiguous(), v1s, rhos, first, table_v, table_rho, g_xs, g_v.contiguous(), g_i.contiguous(),
            g_rho.contiguous(), v_start, a, c, v_th, v_reset, rho_reset, alpha_tensor(code, ctx.alpha, v1s), *g0, n,
            v1s.shape[0], SURROGATE=code, BLOCK=BLOCK, **launch_options(a.device),
        )  # fmt: skip
        return g_xs, reduce(g0[0], v0), reduce(g0[1], i0), reduce(g0[2], rho0), None, None


class _ExpLIF(torch.autograd.Function):
    """Exponential LIF (``w is None``) or adaptive exponential LIF (adaptation current ``w``)."""

    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, w: Tensor | None, p: Any, dt: float) -> Any:
        adapt = w is not None
        shape, dtype, device = xs.shape[1:], xs.dtype, xs.device
        values = (dt * p.tau_mem_inv, -dt * p.tau_syn_inv, p.v_leak, p.v_th, p.v_reset, p.delta_T)
        a, c, v_leak, v_th, v_reset, delta = (full(value, shape, dtype, device) for value in values)
        if adapt:
            adaptation = (dt * p.tau_ada_inv, p.adaptation_current, p.adaptation_spike)
            d, coupling, jump = (full(value, shape, dtype, device) for value in adaptation)
        else:  # never read by the kernels
            d = coupling = jump = a
        xs = xs.contiguous()
        zs, v1s = torch.empty_like(xs), torch.empty_like(xs)
        starts = [full(s, shape, dtype, device) for s in (v, i, w if adapt else v)]
        ends = [torch.empty_like(s) for s in starts]
        n = a.numel()
        k = _kernels()
        k.exp_lif_forward_kernel[grid(n)](
            xs, zs, v1s, *starts[:2], starts[2], a, c, d, v_leak, v_th, v_reset, delta, coupling, jump, *ends, n,
            xs.shape[0], ADAPT=adapt, LIBDEVICE=not k.INTERPRETED, BLOCK=BLOCK, **launch_options(device),
        )  # fmt: skip
        threshold = threshold_fn(p.method)
        ctx.save_for_backward(
            v1s, starts[0], a, c, d, v_th, v_reset, delta, coupling, jump, v, i, w if adapt else v
        )
        ctx.threshold, ctx.alpha, ctx.adapt = threshold, p.alpha, adapt
        mark_spikes(ctx, zs, threshold)
        return (zs, *ends) if adapt else (zs, *ends[:2])

    @staticmethod
    def backward(ctx: Any, g_zs: Tensor, g_v: Tensor, g_i: Tensor, g_w: Tensor | None = None) -> Any:
        v1s, v_start, a, c, d, v_th, v_reset, delta, coupling, jump, v0, i0, w0 = ctx.saved_tensors
        code = surrogate_code(ctx.threshold)
        table = surrogate_table(ctx.threshold, v1s - v_th, ctx.alpha) if code == 0 else v1s
        g_xs = torch.empty_like(v1s)
        g0 = [torch.empty_like(a) for _ in range(3)]
        n = a.numel()
        k = _kernels()
        k.exp_lif_backward_kernel[grid(n)](
            g_zs.contiguous(), v1s, table, g_xs, g_v.contiguous(), g_i.contiguous(),
            a if g_w is None else g_w.contiguous(), v_start, a, c, d, v_th, v_reset, delta, coupling, jump,
            alpha_tensor(code, ctx.alpha, v1s), *g0, n, v1s.shape[0], ADAPT=ctx.adapt, SURROGATE=code,
            LIBDEVICE=not k.INTERPRETED, BLOCK=BLOCK, **launch_options(a.device),
        )  # fmt: skip
        g_w0 = reduce(g0[2], w0) if ctx.adapt else None
        return g_xs, reduce(g0[0], v0), reduce(g0[1], i0), g_w0, None, None


@torch.compiler.disable
def lif_refrac_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "cuda"
) -> Any:
    r"""LIF with an absolute refractory period over a time-first sequence with fused Triton kernels.

    $$ m = [\rho > 0],\; v' = m\,v + (1 - m)\,v_{LIF},\; z = (1 - m)\,z_{LIF},\;
       \rho' = (1 - z)\,\mathrm{relu}(\rho - m) + z\,\rho_{reset} $$

    Args:
        xs: input currents ``[T, ...]`` on a CUDA device (or CPU under ``TRITON_INTERPRET=1``).
        state: ``LIFRefracFeedForwardState(LIFFeedForwardState(v, i), rho)``.
        p: ``LIFRefracParameters``; ``None`` means the registered neuron's defaults.
        dt: time step.
        backend: accepted for signature compatibility; the kernels run whatever it says.

    Returns:
        ``(zs, final_state)``: the numbers of ``snn_neurons.lif_refrac_feed_forward_step`` in a loop.
    """
    dt, p = snn_core.check_dt(dt), defaults("lif_refrac", p)
    lif = p.lif
    params = (lif.tau_syn_inv, lif.tau_mem_inv, lif.v_leak, lif.v_th, lif.v_reset, lif.alpha, p.rho_reset)
    fields = (state.lif.v, state.lif.i, state.rho)
    if not supports(xs, fields, params, lif.method, lif.alpha):
        return torch_path("lif_refrac", xs, state, p, dt)
    zs, v, i, rho = _Refrac.apply(xs, *fields, p, dt)
    return zs, state._replace(lif=state.lif._replace(v=v, i=i), rho=rho)


@torch.compiler.disable
def lif_ex_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "cuda"
) -> Any:
    r"""Exponential LIF over a time-first sequence with fused Triton kernels.

    $$ j = i + x,\; v_1 = v + a\big(((v_{leak} - v) + \Delta_T e^{(v - v_{th})/\Delta_T}) + j\big),\;
       i' = j + c\,j,\; z = [v_1 > v_{th}],\; v' = z ? v_{reset} : v_1 $$

    with $a = \Delta t\,\tau_{mem}^{-1}$, $c = -\Delta t\,\tau_{syn}^{-1}$. The exponential may differ
    from torch's in the last bit (see the module docstring); everything else is the step's arithmetic.

    Args:
        xs: input currents ``[T, ...]`` on a CUDA device (or CPU under ``TRITON_INTERPRET=1``).
        state: ``LIFExFeedForwardState(v, i)``.
        p: ``LIFExParameters``; ``None`` means the registered neuron's defaults.
        dt: time step.
        backend: accepted for signature compatibility; the kernels run whatever it says.

    Returns:
        ``(zs, final_state)``.
    """
    dt, p = snn_core.check_dt(dt), defaults("lif_ex", p)
    params = (p.delta_T, p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha)
    if not supports(xs, (state.v, state.i), params, p.method, p.alpha):
        return torch_path("lif_ex", xs, state, p, dt)
    zs, v, i = _ExpLIF.apply(xs, state.v, state.i, None, p, dt)
    return zs, state._replace(v=v, i=i)


@torch.compiler.disable
def lif_adex_feed_forward_sequence(
    xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "cuda"
) -> Any:
    r"""Adaptive exponential LIF (AdEx) over a time-first sequence with fused Triton kernels.

    The exponential LIF step with the adaptation current $w$ (``state.a``) subtracted from the drive,
    $w_1 = w + d\,(A_c (v - v_{leak}) - w)$ from the voltage entering the step ($d = \Delta t\,\tau_{ada}^{-1}$),
    and $w' = w_1 + z A_s$. The exponential may differ from torch's in the last bit (module docstring).

    Args:
        xs: input currents ``[T, ...]`` on a CUDA device (or CPU under ``TRITON_INTERPRET=1``).
        state: ``LIFAdExFeedForwardState(v, i, a)``.
        p: ``LIFAdExParameters``; ``None`` means the registered neuron's defaults.
        dt: time step.
        backend: accepted for signature compatibility; the kernels run whatever it says.

    Returns:
        ``(zs, final_state)``.
    """
    dt, p = snn_core.check_dt(dt), defaults("lif_adex", p)
    params = (
        p.adaptation_current,
        p.adaptation_spike,
        p.delta_T,
        p.tau_ada_inv,
        p.tau_syn_inv,
        p.tau_mem_inv,
        p.v_leak,
        p.v_th,
        p.v_reset,
        p.alpha,
    )
    if not supports(xs, (state.v, state.i, state.a), params, p.method, p.alpha):
        return torch_path("lif_adex", xs, state, p, dt)
    zs, v, i, w = _ExpLIF.apply(xs, state.v, state.i, state.a, p, dt)
    return zs, state._replace(v=v, i=i, a=w)
