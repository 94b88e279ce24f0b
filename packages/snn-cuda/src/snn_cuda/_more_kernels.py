"""Triton kernels for LI, IAF / LIF box and LSNN over a whole sequence (imported on first launch).

Same layout as the LIF kernels: one program per block of neurons, state in registers across all
``T`` steps; expressions in the step functions' order (compiled without FMA contraction on GPU).
"""

from __future__ import annotations

import triton
import triton.language as tl

from ._lif_kernels import lanes, lif_lanes, surrogate


@triton.jit
def li_forward_kernel(
    xs_ptr,
    out_ptr,
    v_ptr,
    i_ptr,
    a_ptr,
    c_ptr,
    v_leak_ptr,
    v_out_ptr,
    i_out_ptr,
    n,
    steps,
    BLOCK: tl.constexpr,
):
    offs, n64, mask = lanes(n, BLOCK)
    v = tl.load(v_ptr + offs, mask=mask, other=0.0)
    i = tl.load(i_ptr + offs, mask=mask, other=0.0)
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    c = tl.load(c_ptr + offs, mask=mask, other=0.0)
    v_leak = tl.load(v_leak_ptr + offs, mask=mask, other=0.0)
    for t in range(steps):
        at = t * n64 + offs
        j = i + tl.load(xs_ptr + at, mask=mask, other=0.0)
        v = v + a * ((v_leak - v) + j)
        i = j + c * j
        tl.store(out_ptr + at, v, mask=mask)
    tl.store(v_out_ptr + offs, v, mask=mask)
    tl.store(i_out_ptr + offs, i, mask=mask)


@triton.jit
def li_backward_kernel(
    g_out_ptr, g_xs_ptr, g_v_ptr, g_i_ptr, a_ptr, c_ptr, g_v0_ptr, g_i0_ptr, n, steps, BLOCK: tl.constexpr
):
    offs, n64, mask = lanes(n, BLOCK)
    g_v = tl.load(g_v_ptr + offs, mask=mask, other=0.0)
    g_i = tl.load(g_i_ptr + offs, mask=mask, other=0.0)
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    c = tl.load(c_ptr + offs, mask=mask, other=0.0)
    keep = 1.0 - a
    decay = 1.0 + c
    for step in range(steps):
        at = (steps - 1 - step) * n64 + offs
        u = tl.load(g_out_ptr + at, mask=mask, other=0.0) + g_v
        g_i = a * u + decay * g_i
        tl.store(g_xs_ptr + at, g_i, mask=mask)
        g_v = keep * u
    tl.store(g_v0_ptr + offs, g_v, mask=mask)
    tl.store(g_i0_ptr + offs, g_i, mask=mask)


@triton.jit
def iaf_forward_kernel(
    xs_ptr, zs_ptr, v1s_ptr, v_ptr, a_ptr, v_leak_ptr, v_th_ptr, v_reset_ptr, v_out_ptr, n, steps,
    LEAKY: tl.constexpr, SUBTRACT: tl.constexpr, BLOCK: tl.constexpr,
):  # fmt: skip
    """IAF (``v1 = v + x``) or LIF box (``v1 = v + a ((x + v_leak) - v)``), value or subtractive reset."""
    offs, n64, mask = lanes(n, BLOCK)
    v = tl.load(v_ptr + offs, mask=mask, other=0.0)
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    v_leak = tl.load(v_leak_ptr + offs, mask=mask, other=0.0)
    v_th = tl.load(v_th_ptr + offs, mask=mask, other=0.0)
    v_reset = tl.load(v_reset_ptr + offs, mask=mask, other=0.0)
    for t in range(steps):
        at = t * n64 + offs
        x = tl.load(xs_ptr + at, mask=mask, other=0.0)
        if LEAKY:
            v1 = v + a * ((x + v_leak) - v)
        else:
            v1 = v + x
        spike = v1 > v_th
        tl.store(v1s_ptr + at, v1, mask=mask)
        tl.store(zs_ptr + at, spike.to(zs_ptr.dtype.element_ty), mask=mask)
        if SUBTRACT:
            v = tl.where(spike, v1 - v_th, v1)
        else:
            v = tl.where(spike, v_reset, v1)
    tl.store(v_out_ptr + offs, v, mask=mask)


@triton.jit
def iaf_backward_kernel(
    g_zs_ptr, v1s_ptr, table_ptr, g_xs_ptr, g_v_ptr, a_ptr, v_th_ptr, v_reset_ptr, alpha_ptr, g_v0_ptr, n, steps,
    LEAKY: tl.constexpr, SUBTRACT: tl.constexpr, SURROGATE: tl.constexpr, BLOCK: tl.constexpr,
):  # fmt: skip
    offs, n64, mask = lanes(n, BLOCK)
    g_v = tl.load(g_v_ptr + offs, mask=mask, other=0.0)
    alpha = tl.load(alpha_ptr)
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    v_th = tl.load(v_th_ptr + offs, mask=mask, other=0.0)
    v_reset = tl.load(v_reset_ptr + offs, mask=mask, other=0.0)
    for step in range(steps):
        at = (steps - 1 - step) * n64 + offs
        v1 = tl.load(v1s_ptr + at, mask=mask, other=0.0)
        g_z = tl.load(g_zs_ptr + at, mask=mask, other=0.0)
        x = v1 - v_th
        s = surrogate(x, alpha, table_ptr, at, mask, SURROGATE)
        if SUBTRACT:
            k = 1.0 + ((v1 - v_th) - v1) * s
        else:
            k = tl.where(x > 0, 0.0, 1.0) + (v_reset - v1) * s
        u = g_z * s + g_v * k
        if LEAKY:
            tl.store(g_xs_ptr + at, a * u, mask=mask)
            g_v = (1.0 - a) * u
        else:
            tl.store(g_xs_ptr + at, u, mask=mask)
            g_v = u
    tl.store(g_v0_ptr + offs, g_v, mask=mask)


@triton.jit
def lsnn_forward_kernel(
    xs_ptr, zs_ptr, v1s_ptr, b1s_ptr, v_ptr, i_ptr, b_ptr, a_ptr, c_ptr, d_ptr, v_leak_ptr, v_th_ptr,
    v_reset_ptr, beta_ptr, v_out_ptr, i_out_ptr, b_out_ptr, n, steps, BLOCK: tl.constexpr,
):  # fmt: skip
    offs, n64, mask = lanes(n, BLOCK)
    v, i, a, c, v_leak, v_th, v_reset = lif_lanes(
        v_ptr, i_ptr, a_ptr, c_ptr, v_leak_ptr, v_th_ptr, v_reset_ptr, offs, mask
    )
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    d = tl.load(d_ptr + offs, mask=mask, other=0.0)
    beta = tl.load(beta_ptr + offs, mask=mask, other=0.0)
    for t in range(steps):
        at = t * n64 + offs
        v1 = v + a * ((v_leak - v) + i)
        i1 = i + c * i
        b1 = b + d * (v_th - b)
        spike = v1 > b1
        tl.store(v1s_ptr + at, v1, mask=mask)
        tl.store(b1s_ptr + at, b1, mask=mask)
        tl.store(zs_ptr + at, spike.to(zs_ptr.dtype.element_ty), mask=mask)
        v = tl.where(spike, v_reset, v1)
        b = tl.where(spike, b1 + beta, b1)
        i = i1 + tl.load(xs_ptr + at, mask=mask, other=0.0)
    tl.store(v_out_ptr + offs, v, mask=mask)
    tl.store(i_out_ptr + offs, i, mask=mask)
    tl.store(b_out_ptr + offs, b, mask=mask)


@triton.jit
def lsnn_backward_kernel(
    g_zs_ptr, v1s_ptr, b1s_ptr, table_ptr, g_xs_ptr, g_v_ptr, g_i_ptr, g_b_ptr, a_ptr, c_ptr, d_ptr,
    v_reset_ptr, beta_ptr, alpha_ptr, g_v0_ptr, g_i0_ptr, g_b0_ptr, n, steps,
    SURROGATE: tl.constexpr, BLOCK: tl.constexpr,
):  # fmt: skip
    offs, n64, mask = lanes(n, BLOCK)
    g_v = tl.load(g_v_ptr + offs, mask=mask, other=0.0)
    alpha = tl.load(alpha_ptr)
    g_i = tl.load(g_i_ptr + offs, mask=mask, other=0.0)
    g_b = tl.load(g_b_ptr + offs, mask=mask, other=0.0)
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    c = tl.load(c_ptr + offs, mask=mask, other=0.0)
    d = tl.load(d_ptr + offs, mask=mask, other=0.0)
    v_reset = tl.load(v_reset_ptr + offs, mask=mask, other=0.0)
    beta = tl.load(beta_ptr + offs, mask=mask, other=0.0)
    for step in range(steps):
        at = (steps - 1 - step) * n64 + offs
        v1 = tl.load(v1s_ptr + at, mask=mask, other=0.0)
        b1 = tl.load(b1s_ptr + at, mask=mask, other=0.0)
        g_z = tl.load(g_zs_ptr + at, mask=mask, other=0.0)
        x = v1 - b1
        s = surrogate(x, alpha, table_ptr, at, mask, SURROGATE)
        u = (g_z + g_v * (v_reset - v1) + g_b * beta) * s
        g_v1 = g_v * tl.where(x > 0, 0.0, 1.0) + u
        tl.store(g_xs_ptr + at, g_i, mask=mask)
        g_b = (1.0 - d) * (g_b - u)
        g_i = a * g_v1 + (1.0 + c) * g_i
        g_v = (1.0 - a) * g_v1
    tl.store(g_v0_ptr + offs, g_v, mask=mask)
    tl.store(g_i0_ptr + offs, g_i, mask=mask)
    tl.store(g_b0_ptr + offs, g_b, mask=mask)
