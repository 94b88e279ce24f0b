"""Triton kernels for the LIF neuron over a whole sequence (imported only when a kernel launches).

One program handles ``BLOCK`` neurons; their state stays in registers across all ``T`` steps.
Forward reads the input and writes the spike and the pre-reset membrane voltage per neuron-step;
backward reads the output gradient and that voltage and writes the input gradient.
"""

from __future__ import annotations

import triton
import triton.language as tl

SURROGATE_TABLE = 0  # surrogate factors precomputed by torch and passed in
SURROGATE_SUPER = 1
SURROGATE_TRIANGLE = 2
SURROGATE_NONE = 3  # heaviside: spikes carry no gradient


@triton.jit
def surrogate(x, alpha, table_ptr, at, mask, SURROGATE: tl.constexpr):
    """sigma'(x): 0 = precomputed table, 1 = super, 2 = triangle, 3 = none (heaviside)."""
    if SURROGATE == 0:
        s = tl.load(table_ptr + at, mask=mask, other=0.0)
    elif SURROGATE == 1:
        d = alpha * tl.abs(x) + 1.0
        s = 1.0 / (d * d)
    elif SURROGATE == 2:
        s = alpha * tl.maximum(1.0 - tl.abs(x), 0.0)
    else:
        s = x * 0.0
    return s


@triton.jit
def lanes(n, BLOCK: tl.constexpr):
    """This program's neuron offsets, the row stride ``n`` in int64 (``t * n`` in int32 overflows past
    2**31 elements) and the mask of offsets below ``n``."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    return offs, offs * 0 + n, offs < n


@triton.jit
def lif_lanes(v_ptr, i_ptr, a_ptr, c_ptr, v_leak_ptr, v_th_ptr, v_reset_ptr, offs, mask):
    """The LIF state ``(v, i)`` and parameters ``(a, c, v_leak, v_th, v_reset)`` of these neurons."""
    v = tl.load(v_ptr + offs, mask=mask, other=0.0)
    i = tl.load(i_ptr + offs, mask=mask, other=0.0)
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    c = tl.load(c_ptr + offs, mask=mask, other=0.0)
    v_leak = tl.load(v_leak_ptr + offs, mask=mask, other=0.0)
    v_th = tl.load(v_th_ptr + offs, mask=mask, other=0.0)
    v_reset = tl.load(v_reset_ptr + offs, mask=mask, other=0.0)
    return v, i, a, c, v_leak, v_th, v_reset


@triton.jit
def lif_grad_lanes(g_v_ptr, g_i_ptr, a_ptr, c_ptr, v_th_ptr, v_reset_ptr, alpha_ptr, offs, mask):
    """The gradients ``(g_v, g_i)`` after the last step, ``(a, c, v_th, v_reset)`` and the surrogate's alpha."""
    g_v = tl.load(g_v_ptr + offs, mask=mask, other=0.0)
    g_i = tl.load(g_i_ptr + offs, mask=mask, other=0.0)
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    c = tl.load(c_ptr + offs, mask=mask, other=0.0)
    v_th = tl.load(v_th_ptr + offs, mask=mask, other=0.0)
    v_reset = tl.load(v_reset_ptr + offs, mask=mask, other=0.0)
    return g_v, g_i, a, c, v_th, v_reset, tl.load(alpha_ptr)


@triton.jit
def lif_forward_kernel(
    xs_ptr,
    zs_ptr,
    v1s_ptr,
    v_ptr,
    i_ptr,
    a_ptr,
    c_ptr,
    v_leak_ptr,
    v_th_ptr,
    v_reset_ptr,
    v_out_ptr,
    i_out_ptr,
    n,
    steps,
    BLOCK: tl.constexpr,
):
    offs, n64, mask = lanes(n, BLOCK)
    v, i, a, c, v_leak, v_th, v_reset = lif_lanes(
        v_ptr, i_ptr, a_ptr, c_ptr, v_leak_ptr, v_th_ptr, v_reset_ptr, offs, mask
    )
    for t in range(steps):
        at = t * n64 + offs
        x = tl.load(xs_ptr + at, mask=mask, other=0.0)
        j = i + x
        v1 = v + a * ((v_leak - v) + j)
        i = j + c * j
        spike = v1 > v_th
        tl.store(v1s_ptr + at, v1, mask=mask)
        tl.store(zs_ptr + at, spike.to(zs_ptr.dtype.element_ty), mask=mask)
        v = tl.where(spike, v_reset, v1)
    tl.store(v_out_ptr + offs, v, mask=mask)
    tl.store(i_out_ptr + offs, i, mask=mask)


@triton.jit
def lif_backward_kernel(
    gzs_ptr,
    v1s_ptr,
    table_ptr,
    gxs_ptr,
    gv_ptr,
    gi_ptr,
    a_ptr,
    c_ptr,
    v_th_ptr,
    v_reset_ptr,
    alpha_ptr,
    gv0_ptr,
    gi0_ptr,
    n,
    steps,
    SURROGATE: tl.constexpr,
    BLOCK: tl.constexpr,
):
    offs, n64, mask = lanes(n, BLOCK)
    gv, gi, a, c, v_th, v_reset, alpha = lif_grad_lanes(
        gv_ptr, gi_ptr, a_ptr, c_ptr, v_th_ptr, v_reset_ptr, alpha_ptr, offs, mask
    )
    keep = 1.0 - a
    decay = 1.0 + c
    for step in range(steps):
        t = steps - 1 - step
        at = t * n64 + offs
        v1 = tl.load(v1s_ptr + at, mask=mask, other=0.0)
        gz = tl.load(gzs_ptr + at, mask=mask, other=0.0)
        x = v1 - v_th
        s = surrogate(x, alpha, table_ptr, at, mask, SURROGATE)
        not_spiked = tl.where(x > 0, 0.0, 1.0)
        gv1 = gz * s + gv * (not_spiked + (v_reset - v1) * s)
        gj = a * gv1 + decay * gi
        tl.store(gxs_ptr + at, gj, mask=mask)
        gv = keep * gv1
        gi = gj
    tl.store(gv0_ptr + offs, gv, mask=mask)
    tl.store(gi0_ptr + offs, gi, mask=mask)
