r"""LIF over a whole sequence with the compiled CPU loops of ``lif.c``.

The forward loop is the step function's arithmetic (outputs and final state bit for bit); the
backward loop is the adjoint recursion of :func:`snn_neurons.sequence.lif_feed_forward_sequence`
computed in one sweep, with the surrogate derivative evaluated in C for snn-core's built-in
thresholds. Without a grad-requiring input the forward loop stores nothing but the spikes.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
from torch import Tensor

import snn_core

from ._build import library

__all__ = ["lif_feed_forward_sequence", "surrogate_kind", "supported"]

_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}
_is_wrapped = torch._C._functorch.is_functorch_wrapped_tensor


def _kinds() -> dict[Any, int]:
    """Threshold function -> its code in ``lif.c``'s ``enum surrogate``."""
    return {
        snn_core.heaviside: 0,
        snn_core.super_fn: 1,
        snn_core.heavi_tanh_fn: 2,
        snn_core.heavi_erfc_fn: 3,
        snn_core.heavi_circ_fn: 4,
        snn_core.triangle_fn: 5,
    }


def surrogate_kind(method: str) -> int | None:
    """The C code of a registered threshold, ``None`` if ``lif.c`` does not implement it.

    Matched by the function object, so a threshold registered under a built-in's name by someone
    else is never mistaken for it.
    """
    spec = snn_core.registry().thresholds.get(method)
    return None if spec is None else _kinds().get(spec.fn)


class _Plan(NamedTuple):
    """The loop's constants for one parameter set and ``dt``, rounded as the step rounds them."""

    a: float  # dt * tau_mem_inv
    c: float  # -dt * tau_syn_inv
    v_leak: float
    v_th: float
    v_reset: float
    alpha: float
    kind: int


def _scalar(value: Any) -> float | None:
    """A parameter as a Python float when it is one CPU number that needs no gradient, else ``None``."""
    if type(value) is float or type(value) is int:
        return float(value)
    if isinstance(value, Tensor):
        if value.dim() > 0 or value.requires_grad or value.device.type != "cpu" or value.is_complex():
            return None
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _make_plan(p: Any, dt: float) -> _Plan | None:
    kind = surrogate_kind(p.method)
    values = [_scalar(v) for v in (p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha)]
    if kind is None or any(v is None for v in values):
        return None
    # dt * tau_inv first, in the parameter's own type: the step computes the product this way
    a, c = _scalar(dt * p.tau_mem_inv), _scalar(-dt * p.tau_syn_inv)
    _, _, v_leak, v_th, v_reset, alpha = values
    return _Plan(a, c, v_leak, v_th, v_reset, alpha, kind)  # type: ignore[arg-type]


_plans: dict[tuple[Any, ...], tuple[Any, _Plan | None]] = {}


def _plan(p: Any, dt: float) -> _Plan | None:
    """:func:`_make_plan`, cached by the parameters' identity and version (in-place edits show)."""
    fields = (p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha)
    key = (
        dt,
        p.method,
        id(snn_core.registry().thresholds),
        *((id(v), v._version, v.requires_grad) if isinstance(v, Tensor) else v for v in fields),
    )
    hit = _plans.get(key)
    if hit is None:
        if len(_plans) > 64:
            _plans.clear()
        # the entry keeps the parameter objects alive, so their ids cannot be reused meanwhile
        hit = _plans[key] = (fields, _make_plan(p, dt))
    return hit[1]


def _runnable(xs: Tensor, state: Any) -> bool:
    if xs.device.type != "cpu" or xs.dtype not in _SUFFIX or xs.dim() < 2 or _is_wrapped(xs):
        return False
    for field in (state.v, state.i):
        if not isinstance(field, Tensor) or field.shape != xs.shape[1:] or field.dtype != xs.dtype:
            return False
        if field.device.type != "cpu" or _is_wrapped(field):
            return False
    return library() is not None


def supported(xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> bool:
    """Whether the compiled loop reproduces the step here: CPU float32/float64 input, full-shape
    tensor states of its dtype, scalar parameters without gradient, a threshold built into ``lif.c``."""
    return _runnable(xs, state) and _plan(p, dt) is not None


def _ptr(tensor: Tensor | None) -> int | None:
    return None if tensor is None else tensor.data_ptr()


def _forward(xs: Tensor, v0: Tensor, i0: Tensor, plan: _Plan, keep: bool) -> tuple[Any, ...]:
    """Run the forward loop; returns ``(zs, v, i, v1s or None)`` (new tensors, inputs untouched)."""
    xs, v0, i0 = xs.contiguous(), v0.contiguous(), i0.contiguous()
    zs = torch.empty_like(xs, memory_format=torch.contiguous_format)
    v = torch.empty_like(v0, memory_format=torch.contiguous_format)
    i = torch.empty_like(i0, memory_format=torch.contiguous_format)
    v1s = torch.empty_like(zs) if keep else None
    run = getattr(library(), f"snn_lif_forward_{_SUFFIX[xs.dtype]}")
    run(
        xs.shape[0],
        v.numel(),
        xs.data_ptr(),
        v0.data_ptr(),
        i0.data_ptr(),
        v.data_ptr(),
        i.data_ptr(),
        zs.data_ptr(),
        _ptr(v1s),
        plan.a,
        plan.c,
        plan.v_leak,
        plan.v_th,
        plan.v_reset,
    )
    return zs, v, i, v1s


# sqrt(pi) rounded as snn-core's heavi_erfc derivative rounds it (a 0-dim tensor of the default dtype)
def _sqrt_pi() -> float:
    return float(torch.as_tensor(math.pi).sqrt())


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
    def backward(ctx: Any, g_zs: Tensor | None, g_v: Tensor | None, g_i: Tensor | None) -> Any:
        (v1s,) = ctx.saved_tensors
        plan: _Plan = ctx.plan
        # the loop updates g_v and g_i in place: always work on fresh copies
        g_v = (
            torch.zeros_like(v1s[0])
            if g_v is None
            else g_v.to(v1s.dtype, memory_format=torch.contiguous_format, copy=True)
        )
        g_i = (
            torch.zeros_like(v1s[0])
            if g_i is None
            else g_i.to(v1s.dtype, memory_format=torch.contiguous_format, copy=True)
        )
        g_zs = None if g_zs is None or plan.kind == 0 else g_zs.contiguous()
        g_xs = torch.empty_like(v1s)
        run = getattr(library(), f"snn_lif_backward_{_SUFFIX[v1s.dtype]}")
        run(
            plan.kind,
            v1s.shape[0],
            g_v.numel(),
            v1s.data_ptr(),
            _ptr(g_zs),
            g_xs.data_ptr(),
            g_v.data_ptr(),
            g_i.data_ptr(),
            plan.a,
            plan.c,
            plan.v_th,
            plan.v_reset,
            plan.alpha,
            _sqrt_pi(),
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
