r"""One runner and one autograd node for the compiled loops of every model.

A model is described by a :class:`Model`: its C prefix, its state tensors in C order, how many
tensors per step the backward pass reads, and a cached :class:`Plan` of constants. Every C file
follows one calling convention (see ``_build._signatures``):

* ``snn_<model>_forward_<f32|f64>(steps, n, xs, *initial, *final, outs, *saved, *constants)``: all
  ``T`` steps in one call; ``saved`` pointers are ``NULL`` for inference (nothing is stored);
* ``snn_<model>_backward_<f32|f64>(kind, steps, n, *saved, g_outs, g_xs, *g_state, *constants)``:
  the adjoint recursion backwards in time; ``g_state`` holds the final state's gradients on entry
  and the initial state's on exit, ``g_outs`` may be ``NULL``.

The exponential models (``lif_ex``, ``lif_adex``) keep torch's ``exp`` in the forward pass, since
its vectorised CPU kernel is not bit-identical to libm's: per step the runner calls
``torch.exp(arg, out=e)`` and then ``snn_<model>_step(args, t)``, with ``args`` a C struct of the
pointers and constants (:class:`Stepwise`), and ``snn_<model>_begin(args)`` once before the first step.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from ._build import library
from ._common import SUFFIX, fresh_grad, ptr, runnable, sqrt_pi

__all__ = ["SQRT_PI", "Model", "NativeSequence", "Plan", "Stepwise", "run", "supported"]

#: placeholder among a plan's backward constants, replaced by :func:`sqrt_pi` at each backward call
SQRT_PI = object()


class Plan(NamedTuple):
    """Constants of one parameter set and ``dt``, rounded as the step rounds them."""

    forward: tuple[Any, ...]  # the forward call's trailing arguments
    backward: tuple[Any, ...]  # the backward call's trailing arguments (SQRT_PI: filled in per call)
    kind: int  # surrogate code of _common.h (0: heaviside, spikes carry no gradient; -1: no threshold)


class Stepwise(NamedTuple):
    """The per-step argument struct of an exponential model: its pointer and constant field names."""

    pointers: tuple[str, ...]  # after ``n``: xs, the state fields, zs, the saved tensors, e, arg
    constants: tuple[str, ...]

    def struct(self, dtype: torch.dtype) -> type[ctypes.Structure]:
        """The ctypes mirror of the C struct for ``dtype`` (built once)."""
        key = (self, dtype)
        if key not in _structs:
            real = ctypes.c_float if dtype == torch.float32 else ctypes.c_double
            fields = [("n", ctypes.c_int64), *((name, ctypes.c_void_p) for name in self.pointers)]
            fields += [(name, real) for name in self.constants]
            _structs[key] = type("Args", (ctypes.Structure,), {"_fields_": fields})
        return _structs[key]


_structs: dict[tuple[Stepwise, torch.dtype], type[ctypes.Structure]] = {}


class Model(NamedTuple):
    """What the runner needs to know about a model's C functions."""

    name: str  # C prefix: snn_<name>_forward_f32, ...
    fields: tuple[str, ...]  # state tensors in C order; "lif.v" for a nested state
    saved: int  # per-step tensors the backward pass reads
    spikes: bool  # the outputs are spikes (not differentiable under the heaviside threshold)
    plan: Callable[[Any, float], Plan | None]  # cached; None where the C loop does not reproduce the step
    stepwise: Stepwise | None = None  # exponential models: one C call per step around torch.exp


def _get(state: Any, path: str) -> Any:
    for name in path.split("."):
        state = getattr(state, name)
    return state


def _with(state: Any, path: str, value: Tensor) -> Any:
    head, _, rest = path.partition(".")
    return state._replace(**{head: _with(getattr(state, head), rest, value) if rest else value})


def _function(model: Model, dtype: torch.dtype, what: str) -> Any:
    return getattr(library(), f"snn_{model.name}_{what}_{SUFFIX[dtype]}")


def _forward(model: Model, plan: Plan, xs: Tensor, states: Sequence[Tensor], keep: bool) -> Any:
    """Run all steps; returns ``(outs, final states, saved tensors or Nones)``, inputs untouched."""
    xs = xs.contiguous()
    outs = torch.empty_like(xs, memory_format=torch.contiguous_format)
    saved = [torch.empty_like(outs) for _ in range(model.saved)] if keep else [None] * model.saved
    n = outs[0].numel()
    if model.stepwise is None:
        states = [s.contiguous() for s in states]
        final = [torch.empty_like(s, memory_format=torch.contiguous_format) for s in states]
        _function(model, xs.dtype, "forward")(
            xs.shape[0],
            n,
            xs.data_ptr(),
            *(s.data_ptr() for s in states),
            *(s.data_ptr() for s in final),
            outs.data_ptr(),
            *(ptr(s) for s in saved),
            *plan.forward,
        )
        return outs, final, saved
    # the step's exp(...) is torch's; the C step does the rest and writes the next argument
    final = [s.clone(memory_format=torch.contiguous_format) for s in states]
    arg, e = torch.empty_like(final[0]), torch.empty_like(final[0])
    pointers = [xs, *final, outs, *saved, e, arg]
    args = model.stepwise.struct(xs.dtype)(n, *(ptr(t) for t in pointers), *plan.forward)
    ref = ctypes.byref(args)
    _function(model, xs.dtype, "begin")(ref)
    step = _function(model, xs.dtype, "step")
    for t in range(xs.shape[0]):
        torch.exp(arg, out=e)
        step(ref, t)
    return outs, final, saved


class NativeSequence(torch.autograd.Function):
    """The autograd node of a compiled loop; one subclass per model names the node."""

    @staticmethod
    def forward(ctx: Any, model: Model, plan: Plan, xs: Tensor, *states: Tensor) -> Any:
        outs, final, saved = _forward(model, plan, xs, states, keep=True)
        ctx.save_for_backward(*saved)
        ctx.model, ctx.plan, ctx.shape, ctx.dtype = model, plan, outs.shape, outs.dtype
        ctx.set_materialize_grads(False)
        if model.spikes and plan.kind == 0:  # Heaviside: the spikes carry no gradient
            ctx.mark_non_differentiable(outs)
        return (outs, *final)

    @staticmethod
    @once_differentiable  # the C adjoint builds no graph: a second derivative raises instead of being wrong
    def backward(ctx: Any, g_outs: Tensor | None, *g_state: Tensor | None) -> Any:
        model: Model = ctx.model
        plan: Plan = ctx.plan
        saved = ctx.saved_tensors
        shape, dtype = ctx.shape, ctx.dtype
        # the loop updates the state gradients in place: always work on fresh copies
        grads = [fresh_grad(g, shape[1:], dtype) for g in g_state]
        if g_outs is not None and not (model.spikes and plan.kind == 0):
            g_outs = g_outs.to(dtype).contiguous()
        else:
            g_outs = None
        g_xs = torch.empty(shape, dtype=dtype)
        _function(model, dtype, "backward")(
            plan.kind,
            shape[0],
            g_xs[0].numel(),
            *(s.data_ptr() for s in saved),
            ptr(g_outs),
            g_xs.data_ptr(),
            *(g.data_ptr() for g in grads),
            *(sqrt_pi() if c is SQRT_PI else c for c in plan.backward),
        )
        return (None, None, g_xs, *grads)


def _plan(model: Model, xs: Tensor, states: Sequence[Any], p: Any, dt: float) -> Plan | None:
    # an exponential model's exp runs over contiguous buffers: the step's must be laid out alike
    if not runnable(xs, states, contiguous=model.stepwise is not None):
        return None
    return model.plan(p, dt)


def supported(model: Model, xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> bool:
    """Whether ``model``'s compiled loop reproduces the step for these arguments."""
    return _plan(model, xs, [_get(state, f) for f in model.fields], p, dt) is not None


def run(
    model: Model,
    node: type[NativeSequence],
    xs: Tensor,
    state: Any,
    p: Any,
    dt: float,
    fallback: Callable[..., Any],
) -> tuple[Tensor, Any]:
    """The compiled loop where :func:`supported` (node ``node`` when a gradient is needed), else
    ``fallback(xs, state, p, dt, backend="torch")``."""
    states = [_get(state, f) for f in model.fields]
    plan = _plan(model, xs, states, p, dt)
    if plan is None:
        return fallback(xs, state, p, dt, backend="torch")
    if torch.is_grad_enabled() and (xs.requires_grad or any(s.requires_grad for s in states)):
        outs, *final = node.apply(model, plan, xs, *states)
    else:
        outs, final, _ = _forward(model, plan, xs, states, keep=False)
    for path, value in zip(model.fields, final):
        state = _with(state, path, value)
    return outs, state
