r"""The runners of ``trace.c``'s loops (non-dual, non-recurrent layers).

:func:`supports` says whether the compiled loop reproduces the torch fused path for a plan and its
arguments; :func:`forward` and :func:`backward` take the places of
:func:`~snn_tracelayers.fused.forward.run_forward` and
:func:`~snn_tracelayers.fused.backward.run_backward` inside the fused path's autograd node
(:class:`~snn_tracelayers.fused.FusedTraceSequence`, which records ``ctx.native``). The backward pass is the recursion of
:mod:`snn_tracelayers.fused.backward` for a single membrane (and synaptic trace), with the
per-element parameter sums accumulated in C over time in the same order, then summed over the
batch by torch exactly as the fused path sums them.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from ..fused.backward import _reduce
from ..fused.plan import BINARY, NONE, TERNARY, FusedPlan
from ._build import exp_kernel, library, openmp_split, sigmoid_chunk, sigmoid_ready

__all__ = ["ENABLED", "backward", "forward", "supports"]

#: Set to ``False`` to keep every call on the torch fused path (``SNN_DISABLE_NATIVE=1`` also does).
ENABLED = True

_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}
_SYNAPSE, _EMA, _SCALED = 1, 2, 4
_is_wrapped = torch._C._functorch.is_functorch_wrapped_tensor


def _plan_supported(plan: FusedPlan) -> bool:
    """The recipes ``trace.c`` implements: one membrane, optional synapse, no recurrence, and firing
    with ``sigmoid4x`` and no quantizer."""
    if plan.dual or plan.recurrence or plan.quant is not None:
        return False
    return plan.firing == NONE or (plan.spike is not None and plan.spike.kind == "sigmoid4x")


def supports(plan: FusedPlan, xs: Tensor, states: dict[str, Tensor], params: dict[str, Tensor]) -> bool:
    """Whether the compiled loop runs this call (arguments already accepted by the fused path).

    Needs a CPU float32/float64 input with at least one element per step, a plan of
    :func:`_plan_supported`, a library that loads, and for firing layers a verified sigmoid
    (:func:`~snn_tracelayers.native._build.sigmoid_ready`) and contiguous input and states: torch's
    ``sigmoid`` splits its vector blocks in memory order, which the loop reproduces only when memory
    order is the element order.
    """
    if not ENABLED or not _plan_supported(plan):
        return False
    if xs.device.type != "cpu" or xs.dtype not in _SUFFIX or xs.layout != torch.strided or _is_wrapped(xs):
        return False
    if xs[0].numel() == 0 or xs.shape[-1] == 0:
        return False
    tensors = [states[k] for k in plan.state_names] + [params[k] for k in plan.param_names]
    if any(t.layout != torch.strided or _is_wrapped(t) for t in tensors):
        return False
    contiguous = xs.is_contiguous() and all(states[k].is_contiguous() for k in plan.state_names)
    if plan.firing != NONE and not contiguous:
        return False
    if library() is None:
        return False
    if plan.firing != NONE and sigmoid_chunk(xs[0].numel()) < xs[0].numel() and not openmp_split():
        return False  # a multi-threaded torch sigmoid whose chunking the loop does not know
    return plan.firing == NONE or sigmoid_ready(xs.dtype)


def _row(p: Tensor | None, width: int, dtype: torch.dtype) -> Tensor | None:
    """A parameter of shape ``[]``, ``[1]`` or ``[width]`` as a contiguous ``[width]`` row (same values)."""
    if p is None:
        return None
    return p.detach().reshape(-1).expand(width).to(dtype).contiguous()


def _ptr(t: Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def _rows(plan: FusedPlan, params: dict[str, Tensor], width: int, dtype: torch.dtype) -> list[Tensor | None]:
    """alpha, beta, threshold (pos_threshold), neg_threshold, bias, pos_scale, neg_scale (``None`` if absent)."""
    threshold = params.get("threshold") if plan.firing == BINARY else params.get("pos_threshold")
    names = ("alpha", "beta", None, "neg_threshold", "bias", "pos_scale", "neg_scale")
    rows = [_row(params.get(k) if k else threshold, width, dtype) for k in names]
    return rows


def _flags(plan: FusedPlan) -> int:
    return (_SYNAPSE if plan.synapse else 0) | (_EMA if plan.ema else 0) | (_SCALED if plan.scaled else 0)


def forward(
    plan: FusedPlan, xs: Tensor, states: dict[str, Tensor], params: dict[str, Tensor], keep: bool
) -> tuple[Tensor, dict[str, Tensor], dict[str, Tensor | None]]:
    """All steps in one C call; returns ``(outputs, final states, saved rows)`` (inputs untouched).

    ``keep=False`` (inference) saves nothing for the backward pass.
    """
    xs = xs.detach().contiguous()
    dtype, steps, width = xs.dtype, xs.shape[0], xs.shape[-1]
    n = xs[0].numel()
    mem = states["mem"].detach().clone(memory_format=torch.contiguous_format)
    syn = states["syn"].detach().clone(memory_format=torch.contiguous_format) if plan.synapse else None
    outs = torch.empty_like(xs)
    ternary = plan.firing == TERNARY
    saved: dict[str, Tensor | None] = {
        "mem": torch.empty_like(xs) if keep else None,
        "syn": torch.empty_like(xs) if keep and plan.synapse else None,
        "fp": torch.empty_like(xs) if keep and ternary else None,
        "fn": torch.empty_like(xs) if keep and ternary else None,
    }
    firing = plan.firing != NONE
    e1 = torch.empty(n, dtype=dtype) if firing else None
    e2 = torch.empty(n, dtype=dtype) if ternary else None
    kernel = exp_kernel(dtype) if firing else None
    rows = _rows(plan, params, width, dtype)
    getattr(library(), f"snn_trace_forward_{_SUFFIX[dtype]}")(
        steps,
        n // width,
        width,
        plan.firing,
        _flags(plan),
        xs.data_ptr(),
        _ptr(syn),
        mem.data_ptr(),
        outs.data_ptr(),
        _ptr(saved["syn"]),
        _ptr(saved["mem"]),
        _ptr(saved["fp"]),
        _ptr(saved["fn"]),
        _ptr(e1),
        _ptr(e2),
        *(_ptr(r) for r in rows),
        kernel.cap if kernel is not None else 0,
        kernel.fn if kernel is not None else None,
        sigmoid_chunk(n),
    )
    final = {"mem": mem}
    if syn is not None:
        final["syn"] = syn
    return outs, final, saved


def _fresh(grad: Tensor | None, like: Tensor) -> Tensor:
    """A contiguous copy of an incoming gradient (zeros for none), which the C loop overwrites."""
    if grad is None:
        return torch.zeros_like(like, memory_format=torch.contiguous_format)
    return grad.to(like.dtype, memory_format=torch.contiguous_format, copy=True)


def backward(
    plan: FusedPlan,
    xs: Tensor,
    states: dict[str, Tensor],
    params: dict[str, Tensor],
    outs: Tensor,
    saved: dict[str, Tensor | None],
    g_outs: Tensor | None,
    g_final: Mapping[str, Tensor | None],
    needs: set[str],
) -> dict[str, Tensor]:
    """Gradients for ``"x"``, every initial state and every parameter in ``needs`` (as
    :func:`~snn_tracelayers.fused.backward.run_backward` returns them), from :func:`forward`'s values."""
    dtype, steps, width = outs.dtype, outs.shape[0], outs.shape[-1]
    size = outs[0].numel()
    xs_c = xs.detach().contiguous()
    mem0 = states["mem"].detach().contiguous()
    syn0 = states["syn"].detach().contiguous() if plan.synapse else None
    # the loop updates the state gradients in place: always fresh copies
    g_mem = _fresh(g_final.get("mem"), mem0)
    g_syn = _fresh(g_final.get("syn"), syn0) if syn0 is not None else None
    g_o = None if g_outs is None else g_outs.to(dtype).contiguous()
    g_xs = torch.empty_like(outs)
    acc = torch.zeros(8, size, dtype=dtype) if needs else None
    alpha, beta, threshold, neg_threshold, _, pos_scale, neg_scale = _rows(plan, params, width, dtype)
    getattr(library(), f"snn_trace_backward_{_SUFFIX[dtype]}")(
        steps,
        size // width,
        width,
        plan.firing,
        _flags(plan),
        xs_c.data_ptr(),
        _ptr(syn0),
        mem0.data_ptr(),
        _ptr(saved["syn"]),
        _ptr(saved["mem"]),
        outs.data_ptr(),
        _ptr(saved["fp"]),
        _ptr(saved["fn"]),
        _ptr(g_o),
        g_xs.data_ptr(),
        _ptr(g_syn),
        g_mem.data_ptr(),
        _ptr(acc),
        *(_ptr(r) for r in (alpha, beta, threshold, neg_threshold, pos_scale, neg_scale)),
    )
    grads: dict[str, Tensor] = {"x": g_xs, "mem": g_mem}
    if g_syn is not None:
        grads["syn"] = g_syn
    if acc is None:
        return grads
    # the fused path's closing sums (reset scale 1 for a single membrane)
    step_shape = outs.shape[1:]
    a = dict(
        zip(("alpha", "beta", "a0", "a1", "a2", "a3", "a4", "a5"), (row.view(step_shape) for row in acc))
    )
    sums = {"alpha": a["alpha"], "beta": a["beta"]}
    if plan.firing == BINARY:
        sums["bias"] = a["a0"]
        sums["threshold"] = -(a["a0"] + a["a1"])
    elif plan.firing == TERNARY:
        sums["pos_threshold"] = -(a["a0"] + a["a2"])
        sums["neg_threshold"] = a["a1"] - a["a3"]
        sums["bias"] = a["a0"] + a["a1"]
        sums["pos_scale"], sums["neg_scale"] = a["a4"], a["a5"]
    for name in needs:
        if name in sums:
            grads[name] = _reduce(sums[name], params[name])
    return grads
