r"""LIF over a whole sequence with the compiled CPU loops of ``lif.c``.

The forward loop is the step function's arithmetic (outputs and final state bit for bit); the
backward loop is the adjoint recursion of :func:`snn_neurons.sequence.lif_feed_forward_sequence`
computed in one sweep, with the surrogate derivative evaluated in C for snn-core's built-in
thresholds. Without a grad-requiring input the forward loop stores nothing but the spikes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from ._build import library
from ._common import SUFFIX, PlanCache, fresh_grad, ptr, runnable, scalar, scalars, sqrt_pi, surrogate_kind

__all__ = ["lif_feed_forward_sequence", "surrogate_kind", "supported"]


class _Plan(NamedTuple):
    """The loop's constants for one parameter set and ``dt``, rounded as the step rounds them."""

    a: float  # dt * tau_mem_inv
    c: float  # -dt * tau_syn_inv
    v_leak: float
    v_th: float
    v_reset: float
    alpha: float
    kind: int


def _make_plan(p: Any, dt: float) -> _Plan | None:
    kind = surrogate_kind(p.method)
    values = scalars(p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha)
    if kind is None or values is None:
        return None
    # dt * tau_inv first, in the parameter's own type: the step computes the product this way
    a, c = scalar(dt * p.tau_mem_inv), scalar(-dt * p.tau_syn_inv)
    _, _, v_leak, v_th, v_reset, alpha = values
    return _Plan(a, c, v_leak, v_th, v_reset, alpha, kind)  # type: ignore[arg-type]


def _fields(p: Any) -> tuple[Any, ...]:
    return (p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha, p.method)


#: :func:`_make_plan`, cached by the parameters' identity and version (in-place edits show)
_plan = PlanCache(_fields, _make_plan)


def _runnable(xs: Tensor, state: Any) -> bool:
    return runnable(xs, (state.v, state.i))


def supported(xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> bool:
    """Whether the compiled loop reproduces the step here: CPU float32/float64 input, full-shape
    tensor states of its dtype, scalar parameters without gradient, a threshold built into ``lif.c``."""
    return _runnable(xs, state) and _plan(p, dt) is not None


def _forward(xs: Tensor, v0: Tensor, i0: Tensor, plan: _Plan, keep: bool) -> tuple[Any, ...]:
    """Run the forward loop; returns ``(zs, v, i, v1s or None)`` (new tensors, inputs untouched)."""
    xs, v0, i0 = xs.contiguous(), v0.contiguous(), i0.contiguous()
    zs = torch.empty_like(xs, memory_format=torch.contiguous_format)
    v = torch.empty_like(v0, memory_format=torch.contiguous_format)
    i = torch.empty_like(i0, memory_format=torch.contiguous_format)
    v1s = torch.empty_like(zs) if keep else None
    run = getattr(library(), f"snn_lif_forward_{SUFFIX[xs.dtype]}")
    run(
        xs.shape[0],
        v.numel(),
        xs.data_ptr(),
        v0.data_ptr(),
        i0.data_ptr(),
        v.data_ptr(),
        i.data_ptr(),
        zs.data_ptr(),
        ptr(v1s),
        plan.a,
        plan.c,
        plan.v_leak,
        plan.v_th,
        plan.v_reset,
    )
    return zs, v, i, v1s


class _NativeLIF(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xs: Tensor, v: Tensor, i: Tensor, plan: _Plan) -> Any:
        zs, v_last, i_last, v1s = _forward(xs, v, i, plan, keep=True)
        ctx.save_for_backward(v1s)
        ctx.plan = plan
        if plan.kind == 0:  # Heaviside: the spikes carry no gradient
            ctx.mark_non_differentiable(zs)
        return zs, v_last, i_last

    @staticmethod
    @once_differentiable  # the C backward records no graph: a second derivative raises, never a silent zero
    def backward(ctx: Any, g_zs: Tensor | None, g_v: Tensor | None, g_i: Tensor | None) -> Any:
        (v1s,) = ctx.saved_tensors
        plan: _Plan = ctx.plan
        # the loop updates g_v and g_i in place: always work on fresh copies
        g_v, g_i = (fresh_grad(g, v1s.shape[1:], v1s.dtype) for g in (g_v, g_i))
        g_zs = None if g_zs is None or plan.kind == 0 else g_zs.contiguous()
        g_xs = torch.empty_like(v1s)
        run = getattr(library(), f"snn_lif_backward_{SUFFIX[v1s.dtype]}")
        run(
            plan.kind,
            v1s.shape[0],
            g_v.numel(),
            v1s.data_ptr(),
            ptr(g_zs),
            g_xs.data_ptr(),
            g_v.data_ptr(),
            g_i.data_ptr(),
            plan.a,
            plan.c,
            plan.v_th,
            plan.v_reset,
            plan.alpha,
            sqrt_pi(),
        )
        return g_xs, g_v, g_i, None


def lif_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:lif``: the compiled loop where :func:`supported`, else torch.

    Called by :func:`snn_neurons.sequence.lif_feed_forward_sequence` (which validates ``xs`` and
    ``dt`` and keeps ``torch.compile`` out) through the kernel registry.
    """
    plan = _plan(p, dt) if _runnable(xs, state) else None
    if plan is None:
        from ..sequence import lif_feed_forward_sequence as torch_path

        return torch_path(xs, state, p, dt, backend="torch")
    if torch.is_grad_enabled() and (xs.requires_grad or state.v.requires_grad or state.i.requires_grad):
        zs, v, i = _NativeLIF.apply(xs, state.v, state.i, plan)
    else:
        zs, v, i, _ = _forward(xs, state.v, state.i, plan, keep=False)
    return zs, state._replace(v=v, i=i)
