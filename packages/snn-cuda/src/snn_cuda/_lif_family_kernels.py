r"""Triton kernels for refractory LIF and exponential / adaptive exponential LIF (imported on first launch).

Same layout as the other kernels: one program per ``BLOCK`` neurons, state in registers across all
``T`` steps, the step's expressions in the torch path's order (compiled without FMA contraction on GPU).

Refractory LIF stores, per neuron-step, the pre-reset voltage $v_1$ and the counter $\rho$ entering
the step, and per neuron the index of the first spike. The backward pass rebuilds the voltage
entering step $t$ from them: after a non-refractory step it is $v_{reset}$ or $v_1$ of that step; a
refractory run holds the voltage of the step before it, which is a spike step ($v_{reset}$) or, for
a run that starts at $t = 0$ (initial $\rho > 0$), the initial voltage.

Exponential and adaptive exponential LIF store $v_1$ only; the voltage entering step $t$ is
$v_{reset}$ or $v_1$ of step $t - 1$ (the initial voltage for $t = 0$), and the backward pass
re-evaluates $e^{(v - v_{th})/\Delta_T}$ from it.

Division is round-to-nearest (``tl.div_rn`` in float32: Triton's float32 ``/`` is ``div.full.f32``, which
is not). The exponential is libdevice's ``exp`` (``__nv_expf`` / ``__nv_exp``, what CUDA's
``expf``/``exp`` and thus torch's CUDA ``exp`` compute) when compiled, and ``tl.exp`` (numpy's
``exp``) under the interpreter, which cannot run libdevice calls.
"""

from __future__ import annotations

import triton
import triton.language as tl
from triton.language.extra import libdevice

from ._lif_kernels import lanes, lif_grad_lanes, lif_lanes, surrogate

__all__ = ["INTERPRETED", "exp_lif_backward_kernel", "exp_lif_forward_kernel", "refrac_backward_kernel",
           "refrac_forward_kernel"]  # fmt: skip


@triton.jit
def exp_of(x, LIBDEVICE: tl.constexpr):
    """``exp(x)``: libdevice's on a GPU (CUDA's ``expf``), numpy's under the interpreter."""
    if LIBDEVICE:
        y = libdevice.exp(x)
    else:
        y = tl.exp(x)
    return y


@triton.jit
def quotient(x, y):
    """``x / y`` rounded to nearest (``tl.div_rn`` is float32 only; Triton's float64 ``/`` is ``div.rn``)."""
    if x.dtype == tl.float64:
        q = x / y
    else:
        q = tl.div_rn(x, y)
    return q


@triton.jit
def adapt_lanes(w_ptr, d_ptr, coupling_ptr, jump_ptr, offs, mask):
    """The adaptation current (or its gradient) at ``w_ptr`` and the parameters ``(d, A_c, A_s)``."""
    w = tl.load(w_ptr + offs, mask=mask, other=0.0)
    d = tl.load(d_ptr + offs, mask=mask, other=0.0)
    coupling = tl.load(coupling_ptr + offs, mask=mask, other=0.0)
    jump = tl.load(jump_ptr + offs, mask=mask, other=0.0)
    return w, d, coupling, jump


@triton.jit
def refrac_forward_kernel(
    xs_ptr, zs_ptr, v1s_ptr, rhos_ptr, first_ptr, v_ptr, i_ptr, rho_ptr, a_ptr, c_ptr, v_leak_ptr, v_th_ptr,
    v_reset_ptr, rho_reset_ptr, v_out_ptr, i_out_ptr, rho_out_ptr, n, steps, BLOCK: tl.constexpr,
):  # fmt: skip
    offs, n64, mask = lanes(n, BLOCK)
    v, i, a, c, v_leak, v_th, v_reset = lif_lanes(
        v_ptr, i_ptr, a_ptr, c_ptr, v_leak_ptr, v_th_ptr, v_reset_ptr, offs, mask
    )
    rho = tl.load(rho_ptr + offs, mask=mask, other=0.0)
    rho_reset = tl.load(rho_reset_ptr + offs, mask=mask, other=0.0)
    # no spike yet; not tl.zeros, a jit function of triton's standard library (compiled-mode if triton
    # was imported before TRITON_INTERPRET was set)
    first = offs.to(tl.int32) * 0 + steps
    for t in range(steps):
        at = t * n64 + offs
        j = i + tl.load(xs_ptr + at, mask=mask, other=0.0)
        v1 = v + a * ((v_leak - v) + j)
        i = j + c * j
        spiked = v1 > v_th
        refractory = rho > 0
        z = spiked & ~refractory
        tl.store(v1s_ptr + at, v1, mask=mask)
        tl.store(rhos_ptr + at, rho, mask=mask)
        tl.store(zs_ptr + at, z.to(zs_ptr.dtype.element_ty), mask=mask)
        v = tl.where(refractory, v, tl.where(spiked, v_reset, v1))
        counted = tl.where(refractory, rho - 1.0, rho)
        rho = tl.where(z, rho_reset, tl.where(counted < 0, 0.0, counted))  # relu that keeps NaN, like torch's
        first = tl.where(z & (first == steps), t, first)
    tl.store(v_out_ptr + offs, v, mask=mask)
    tl.store(i_out_ptr + offs, i, mask=mask)
    tl.store(rho_out_ptr + offs, rho, mask=mask)
    tl.store(first_ptr + offs, first, mask=mask)


@triton.jit
def refrac_backward_kernel(
    g_zs_ptr, v1s_ptr, rhos_ptr, first_ptr, table_v_ptr, table_rho_ptr, g_xs_ptr, g_v_ptr, g_i_ptr, g_rho_ptr,
    v0_ptr, a_ptr, c_ptr, v_th_ptr, v_reset_ptr, rho_reset_ptr, alpha_ptr, g_v0_ptr, g_i0_ptr, g_rho0_ptr, n, steps,
    SURROGATE: tl.constexpr, BLOCK: tl.constexpr,
):  # fmt: skip
    r"""Adjoint of the refractory LIF step, from the gradients $\bar v', \bar i', \bar\rho'$ after it.

    With $\sigma_0'$ at $v_1 - v_{th}$, $\sigma_m'$ at $\rho$, $z_0 = [v_1 > v_{th}]$, $m = [\rho > 0]$,
    $z = (1 - m) z_0$, $v_0 = z_0 ? v_{reset} : v_1$, $r = \rho - m$:

    $\bar z_{tot} = \bar z + \bar\rho'(\rho_r - \mathrm{relu}(r))$,
    $\bar v_1 = (1 - m)\big(\bar v'((1 - z_0) + (v_{reset} - v_1)\sigma_0') + \bar z_{tot}\sigma_0'\big)$,
    $\bar m = \bar v'(v - v_0) - \bar z_{tot} z_0 - \bar\rho'(1 - z)[r > 0]$,
    $\bar\rho = \bar\rho'(1 - z)[r > 0] + \bar m\,\sigma_m'$, $\bar v = (1 - a)\bar v_1 + m\bar v'$,
    $\bar x = \bar i = a\bar v_1 + (1 + c)\bar i'$.
    """
    offs, n64, mask = lanes(n, BLOCK)
    g_v, g_i, a, c, v_th, v_reset, alpha = lif_grad_lanes(
        g_v_ptr, g_i_ptr, a_ptr, c_ptr, v_th_ptr, v_reset_ptr, alpha_ptr, offs, mask
    )
    g_rho = tl.load(g_rho_ptr + offs, mask=mask, other=0.0)
    v0 = tl.load(v0_ptr + offs, mask=mask, other=0.0)
    first = tl.load(first_ptr + offs, mask=mask, other=0)
    rho_reset = tl.load(rho_reset_ptr + offs, mask=mask, other=0.0)
    keep = 1.0 - a
    decay = 1.0 + c
    last = (steps - 1) * n64 + offs
    v1 = tl.load(v1s_ptr + last, mask=mask, other=0.0)
    rho = tl.load(rhos_ptr + last, mask=mask, other=0.0)
    for step in range(steps):
        t = steps - 1 - step
        at = t * n64 + offs
        # the step before (step 0 again for t = 0, unused): gives the voltage entering this step
        before = tl.maximum(t - 1, 0) * n64 + offs
        v1_prev = tl.load(v1s_ptr + before, mask=mask, other=0.0)
        rho_prev = tl.load(rhos_ptr + before, mask=mask, other=0.0)
        held = tl.where(first < t, v_reset, v0)
        after_prev = tl.where(v1_prev > v_th, v_reset, v1_prev)
        v_in = tl.where(t > 0, tl.where(rho_prev > 0, held, after_prev), v0)
        x0 = v1 - v_th
        s0 = surrogate(x0, alpha, table_v_ptr, at, mask, SURROGATE)
        s_m = surrogate(rho, alpha, table_rho_ptr, at, mask, SURROGATE)
        z0 = tl.where(x0 > 0, 1.0, 0.0)
        m = tl.where(rho > 0, 1.0, 0.0)
        free = 1.0 - m
        shifted = rho - m
        b = tl.where(
            shifted > 0, 1.0, 0.0
        )  # (1 - z) relu'(rho - m): a spike needs rho <= 0, so z = 1 gives 0 here
        q = rho_reset - tl.where(shifted > 0, shifted, 0.0)
        g_z = tl.load(g_zs_ptr + at, mask=mask, other=0.0) + g_rho * q
        g_v1 = (g_v * (((v_reset - v1) * s0 + 1.0) - z0) + g_z * s0) * free
        g_m = g_v * (v_in - tl.where(x0 > 0, v_reset, v1)) - g_z * z0 - g_rho * b
        g_rho = g_rho * b + g_m * s_m
        g_v = g_v1 * keep + g_v * m
        g_i = g_v1 * a + g_i * decay
        tl.store(g_xs_ptr + at, g_i, mask=mask)
        v1 = v1_prev
        rho = rho_prev
    tl.store(g_v0_ptr + offs, g_v, mask=mask)
    tl.store(g_i0_ptr + offs, g_i, mask=mask)
    tl.store(g_rho0_ptr + offs, g_rho, mask=mask)


@triton.jit
def exp_lif_forward_kernel(
    xs_ptr, zs_ptr, v1s_ptr, v_ptr, i_ptr, w_ptr, a_ptr, c_ptr, d_ptr, v_leak_ptr, v_th_ptr, v_reset_ptr,
    delta_ptr, coupling_ptr, jump_ptr, v_out_ptr, i_out_ptr, w_out_ptr, n, steps,
    ADAPT: tl.constexpr, LIBDEVICE: tl.constexpr, BLOCK: tl.constexpr,
):  # fmt: skip
    """Exponential LIF, or with ``ADAPT`` the adaptive one (adaptation current ``w``; ``w_*`` unused otherwise)."""
    offs, n64, mask = lanes(n, BLOCK)
    v, i, a, c, v_leak, v_th, v_reset = lif_lanes(
        v_ptr, i_ptr, a_ptr, c_ptr, v_leak_ptr, v_th_ptr, v_reset_ptr, offs, mask
    )
    delta = tl.load(delta_ptr + offs, mask=mask, other=1.0)
    if ADAPT:
        w, d, coupling, jump = adapt_lanes(w_ptr, d_ptr, coupling_ptr, jump_ptr, offs, mask)
    for t in range(steps):
        at = t * n64 + offs
        j = i + tl.load(xs_ptr + at, mask=mask, other=0.0)
        e = delta * exp_of(quotient(v - v_th, delta), LIBDEVICE)
        drive = ((v_leak - v) + e) + j
        if ADAPT:
            drive = drive - w
            w = w + d * (coupling * (v - v_leak) - w)  # from the voltage entering the step
        v1 = v + a * drive
        i = j + c * j
        spiked = v1 > v_th
        tl.store(v1s_ptr + at, v1, mask=mask)
        tl.store(zs_ptr + at, spiked.to(zs_ptr.dtype.element_ty), mask=mask)
        v = tl.where(spiked, v_reset, v1)
        if ADAPT:
            w = tl.where(spiked, w + jump, w)
    tl.store(v_out_ptr + offs, v, mask=mask)
    tl.store(i_out_ptr + offs, i, mask=mask)
    if ADAPT:
        tl.store(w_out_ptr + offs, w, mask=mask)


@triton.jit
def exp_lif_backward_kernel(
    g_zs_ptr, v1s_ptr, table_ptr, g_xs_ptr, g_v_ptr, g_i_ptr, g_w_ptr, v0_ptr, a_ptr, c_ptr, d_ptr, v_th_ptr,
    v_reset_ptr, delta_ptr, coupling_ptr, jump_ptr, alpha_ptr, g_v0_ptr, g_i0_ptr, g_w0_ptr, n, steps,
    ADAPT: tl.constexpr, SURROGATE: tl.constexpr, LIBDEVICE: tl.constexpr, BLOCK: tl.constexpr,
):  # fmt: skip
    r"""Adjoint of the (adaptive) exponential LIF step, from the gradients $\bar v', \bar i', \bar w'$ after it.

    $\bar u = (\bar z + \bar v'(v_{reset} - v_1) + \bar w' A_s)\sigma'$, $\bar v_1 = (1 - z)\bar v' + \bar u$,
    $\bar x = \bar i = a\bar v_1 + (1 + c)\bar i'$, $\bar v = (1 + a(e^{(v - v_{th})/\Delta_T} - 1))\bar v_1
    + d A_c \bar w'$, $\bar w = (1 - d)\bar w' - a\bar v_1$ (the $w$ terms only with ``ADAPT``).
    """
    offs, n64, mask = lanes(n, BLOCK)
    g_v, g_i, a, c, v_th, v_reset, alpha = lif_grad_lanes(
        g_v_ptr, g_i_ptr, a_ptr, c_ptr, v_th_ptr, v_reset_ptr, alpha_ptr, offs, mask
    )
    v0 = tl.load(v0_ptr + offs, mask=mask, other=0.0)
    delta = tl.load(delta_ptr + offs, mask=mask, other=1.0)
    if ADAPT:
        g_w, d, coupling, jump = adapt_lanes(g_w_ptr, d_ptr, coupling_ptr, jump_ptr, offs, mask)
    decay = 1.0 + c
    v1 = tl.load(v1s_ptr + (steps - 1) * n64 + offs, mask=mask, other=0.0)
    for step in range(steps):
        t = steps - 1 - step
        at = t * n64 + offs
        v1_prev = tl.load(v1s_ptr + tl.maximum(t - 1, 0) * n64 + offs, mask=mask, other=0.0)  # t = 0: unused
        v_in = tl.where(t > 0, tl.where(v1_prev > v_th, v_reset, v1_prev), v0)
        x = v1 - v_th
        s = surrogate(x, alpha, table_ptr, at, mask, SURROGATE)
        g_z = tl.load(g_zs_ptr + at, mask=mask, other=0.0)
        if ADAPT:
            g_z = g_z + g_w * jump
        u = (g_z + g_v * (v_reset - v1)) * s
        g_v1 = g_v * tl.where(x > 0, 0.0, 1.0) + u
        g_i = a * g_v1 + decay * g_i
        tl.store(g_xs_ptr + at, g_i, mask=mask)
        slope = 1.0 + a * (exp_of(quotient(v_in - v_th, delta), LIBDEVICE) - 1.0)  # dv1/dv
        g_v = slope * g_v1
        if ADAPT:
            g_v = g_v + (d * coupling) * g_w
            g_w = (1.0 - d) * g_w - a * g_v1
        v1 = v1_prev
    tl.store(g_v0_ptr + offs, g_v, mask=mask)
    tl.store(g_i0_ptr + offs, g_i, mask=mask)
    if ADAPT:
        tl.store(g_w0_ptr + offs, g_w, mask=mask)


try:  # kernels decorated while TRITON_INTERPRET=1 run in numpy, where libdevice calls do not exist
    from triton.runtime.interpreter import InterpretedFunction

    INTERPRETED = isinstance(exp_lif_forward_kernel, InterpretedFunction)
except ImportError:  # pragma: no cover - a triton without the interpreter
    INTERPRETED = False
