r"""The runners of ``trace.c``'s loops (non-recurrent layers, single or dual traces).

:func:`supports` says whether the compiled loop reproduces the torch fused path for a plan and its
arguments; :func:`forward` and :func:`backward` take the places of
:func:`~snn_tracelayers.fused.forward.run_forward` and
:func:`~snn_tracelayers.fused.backward.run_backward` inside the fused path's autograd node
(:class:`~snn_tracelayers.fused.FusedTraceSequence`, which records ``ctx.native``). The backward
pass is the recursion of :mod:`snn_tracelayers.fused.backward` for a membrane (single, or dual with
the masks $[v \ge 0]$, $[v \le 0]$ of the sign splits) and its synaptic trace, with the per-element
parameter sums accumulated in C over time in the same order, then summed over the batch by torch
exactly as the fused path sums them.

A ``round_ste(h)`` quantizer $q(f) = \operatorname{round}(f/h)\,h$ is evaluated in C as
``nearbyint(f / h) * h`` (round half to even under the default rounding mode, like ``torch.round``;
a division, as torch divides by the scalar step, so the bits agree); its straight-through
derivative $q' = 1$ leaves the adjoint recursion as it is, except that the spike values entering
the reset and scale sums are the quantized $z = q(f)$ while $f'(u) = 4f(1-f)$ uses the saved $f$.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from ..fused.backward import _reduce
from ..fused.plan import BINARY, NONE, TERNARY, FusedPlan
from ..fused.rules import ROUND
from ._build import exp_kernel, library, openmp_split, sigmoid_chunk, sigmoid_ready, variant

__all__ = ["ENABLED", "backward", "forward", "supports"]

#: Set to ``False`` to keep every call on the torch fused path (``SNN_DISABLE_NATIVE=1`` also does).
ENABLED = True

_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}
_SYNAPSE, _EMA, _SCALED, _DUAL, _STRICT = 1, 2, 4, 8, 16
#: rows of the backward pass's per-element sums (see trace_backward in trace.c)
_ACC_ROWS = ("alpha", "beta", "a0", "a1", "a2", "a3", "a4", "a5", "neg_alpha", "neg_beta")
_is_wrapped = torch._C._functorch.is_functorch_wrapped_tensor


def _plan_supported(plan: FusedPlan) -> bool:
    """The recipes ``trace.c`` implements: a single or dual membrane, optional synapse, no
    recurrence, and firing with ``sigmoid4x`` and no quantizer or ``round_ste``."""
    if plan.recurrence:
        return False
    if plan.firing == NONE:
        return True
    if plan.spike is None or plan.spike.kind != "sigmoid4x":
        return False
    return plan.quant is None or plan.quant.kind == ROUND


def supports(plan: FusedPlan, xs: Tensor, states: dict[str, Tensor], params: dict[str, Tensor]) -> bool:
    """Whether the compiled loop runs this call (arguments already accepted by the fused path).

    Needs a CPU float32/float64 input with at least one element per step, a plan of
    :func:`_plan_supported` whose combination of flags the library compiled
    (:func:`~snn_tracelayers.native._build.variant`), a library that loads, and for firing layers a verified sigmoid
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
    if library() is None or not variant(plan.firing, _flags(plan)):
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


def _names(plan: FusedPlan, base: str) -> tuple[str, str | None]:
    """The state or parameter names of a trace: ``(base, None)``, or ``(pos_base, neg_base)`` if dual."""
    return (f"pos_{base}", f"neg_{base}") if plan.dual else (base, None)


def _rows(plan: FusedPlan, params: dict[str, Tensor], width: int, dtype: torch.dtype) -> list[Tensor | None]:
    """alpha, neg alpha, beta, neg beta, threshold (pos_threshold), neg_threshold, bias, pos_scale,
    neg_scale (``None`` if absent; the negative decays only for a dual layer)."""
    threshold = "threshold" if plan.firing == BINARY else "pos_threshold"
    names = (
        *_names(plan, "alpha"),
        *_names(plan, "beta"),
        threshold,
        "neg_threshold",
        "bias",
        "pos_scale",
        "neg_scale",
    )
    return [_row(params.get(k), width, dtype) if k else None for k in names]


def _flags(plan: FusedPlan) -> int:
    flags = (_SYNAPSE if plan.synapse else 0) | (_EMA if plan.ema else 0) | (_SCALED if plan.scaled else 0)
    return flags | (_DUAL if plan.dual else 0) | (_STRICT if plan.strict_negative else 0)


def _quant_step(plan: FusedPlan) -> float:
    """round_ste's step $h$, or 0 for no quantizer (the C loops' convention)."""
    return 0.0 if plan.quant is None or plan.firing == NONE else plan.quant.step


def _state(t: Tensor | None) -> Tensor | None:
    """A contiguous copy of an initial state, which the C loop advances in place."""
    return None if t is None else t.detach().clone(memory_format=torch.contiguous_format)


def forward(
    plan: FusedPlan, xs: Tensor, states: dict[str, Tensor], params: dict[str, Tensor], keep: bool
) -> tuple[Tensor, dict[str, Tensor], dict[str, Tensor | None]]:
    """All steps in one C call; returns ``(outputs, final states, saved rows)`` (inputs untouched).

    ``keep=False`` (inference) saves nothing for the backward pass. The saved states are
    ``[T, C, ...]`` (``C = 2`` for the positive and negative traces of a dual layer).
    """
    xs = xs.detach().contiguous()
    dtype, steps, width = xs.dtype, xs.shape[0], xs.shape[-1]
    n = xs[0].numel()
    mem_name, neg_mem_name = _names(plan, "mem")
    syn_name, neg_syn_name = _names(plan, "syn")
    mem, neg_mem = _state(states[mem_name]), _state(states.get(neg_mem_name) if neg_mem_name else None)
    syn = _state(states[syn_name]) if plan.synapse else None
    neg_syn = _state(states[neg_syn_name]) if plan.synapse and neg_syn_name else None
    assert mem is not None
    outs = torch.empty_like(xs)
    ternary = plan.firing == TERNARY
    quant = _quant_step(plan)
    saved_shape = (steps, 2, *xs.shape[1:]) if plan.dual else xs.shape
    saved: dict[str, Tensor | None] = {
        "mem": xs.new_empty(saved_shape) if keep else None,
        "syn": xs.new_empty(saved_shape) if keep and plan.synapse else None,
        "f": torch.empty_like(xs) if keep and plan.firing == BINARY and quant > 0 else None,
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
        quant,
        xs.data_ptr(),
        _ptr(syn),
        _ptr(neg_syn),
        mem.data_ptr(),
        _ptr(neg_mem),
        outs.data_ptr(),
        *(_ptr(saved[k]) for k in ("syn", "mem", "f", "fp", "fn")),
        _ptr(e1),
        _ptr(e2),
        *(_ptr(r) for r in rows),
        kernel.cap if kernel is not None else 0,
        kernel.fn if kernel is not None else None,
        sigmoid_chunk(n),
    )
    final = {mem_name: mem}
    if neg_mem_name is not None and neg_mem is not None:
        final[neg_mem_name] = neg_mem
    if syn is not None:
        final[syn_name] = syn
    if neg_syn_name is not None and neg_syn is not None:
        final[neg_syn_name] = neg_syn
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
    # the state names in C argument order: positive (or single) trace, then negative (or None)
    names = [*_names(plan, "syn"), *_names(plan, "mem")]
    if not plan.synapse:
        names[0] = names[1] = None
    initial = {k: states[k].detach().contiguous() for k in names if k is not None}
    # the loop updates the state gradients in place: always fresh copies
    g_states = {k: _fresh(g_final.get(k), v) for k, v in initial.items()}
    g_o = None if g_outs is None else g_outs.to(dtype).contiguous()
    g_xs = torch.empty_like(outs)
    acc = torch.zeros(len(_ACC_ROWS), size, dtype=dtype) if needs else None
    alpha, neg_alpha, beta, neg_beta, threshold, neg_threshold, _, pos_scale, neg_scale = _rows(
        plan, params, width, dtype
    )
    getattr(library(), f"snn_trace_backward_{_SUFFIX[dtype]}")(
        steps,
        size // width,
        width,
        plan.firing,
        _flags(plan),
        _quant_step(plan),
        xs_c.data_ptr(),
        *(_ptr(initial[k]) if k is not None else None for k in names),
        _ptr(saved["syn"]),
        _ptr(saved["mem"]),
        outs.data_ptr(),
        *(_ptr(saved[k]) for k in ("f", "fp", "fn")),
        _ptr(g_o),
        g_xs.data_ptr(),
        *(_ptr(g_states[k]) if k is not None else None for k in names),
        _ptr(acc),
        *(
            _ptr(r)
            for r in (alpha, neg_alpha, beta, neg_beta, threshold, neg_threshold, pos_scale, neg_scale)
        ),
    )
    grads: dict[str, Tensor] = {"x": g_xs, **g_states}
    if acc is None:
        return grads
    # the fused path's closing sums (a dual membrane resets each branch by half of z * theta)
    reset = 0.5 if plan.dual else 1.0
    a = dict(zip(_ACC_ROWS, (row.view(outs.shape[1:]) for row in acc)))
    alpha_name, neg_alpha_name = _names(plan, "alpha")
    beta_name, neg_beta_name = _names(plan, "beta")
    sums = {alpha_name: a["alpha"], beta_name: a["beta"]}
    if neg_alpha_name is not None and neg_beta_name is not None:
        sums[neg_alpha_name], sums[neg_beta_name] = a["neg_alpha"], a["neg_beta"]
    if plan.firing == BINARY:
        sums["bias"] = a["a0"]
        sums["threshold"] = -(a["a0"] + a["a1"] * reset)
    elif plan.firing == TERNARY:
        sums["pos_threshold"] = -(a["a0"] + a["a2"] * reset)
        sums["neg_threshold"] = a["a1"] - a["a3"] * reset
        sums["bias"] = a["a0"] + a["a1"]
        sums["pos_scale"], sums["neg_scale"] = a["a4"], a["a5"]
    for name in needs:
        if name in sums:
            grads[name] = _reduce(sums[name], params[name])
    return grads
