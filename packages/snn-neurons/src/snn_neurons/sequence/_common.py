"""Shared machinery of the whole-sequence paths: validation, dispatch, fallbacks, TorchScript loops."""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor

import snn_core

__all__ = [
    "check_sequence",
    "dispatch",
    "step_loop",
    "scripted",
    "as_loop_tensor",
    "params_require_grad",
    "dimensioned_dtypes_match",
    "fusable",
    "reduce_grad",
    "time_chunks",
    "constant_like",
    "mark_spikes",
    "reset_factor",
]


def check_sequence(xs: Any, name: str) -> None:
    """Raise unless ``xs`` is a floating time-first tensor with at least one step."""
    if not isinstance(xs, Tensor):
        raise TypeError(f"{name}: xs must be a time-first torch.Tensor [T, ...], got {type(xs).__name__}")
    if xs.dim() < 1 or xs.shape[0] < 1:
        raise ValueError(f"{name}: xs must have shape [T, ...] with T >= 1, got shape {tuple(xs.shape)}")
    if not xs.is_floating_point():
        raise TypeError(f"{name}: xs must be a floating-point tensor, got dtype {xs.dtype}")


def dispatch(target: str, xs: Tensor, backend: str) -> Callable[..., Any] | None:
    """The registered kernel's ``fn`` for ``target`` on ``xs.device``, or ``None`` for the torch path.

    ``backend="auto"`` silently falls back; an explicit unavailable backend raises
    :class:`snn_core.BackendUnavailableError` (from :func:`snn_core.select_kernel`).
    """
    if backend == "torch":
        return None
    kernel = snn_core.select_kernel(target, xs.device, backend)
    return None if kernel is None else kernel.fn


def step_loop(step: Callable[..., Any], xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """Reference path: call ``step`` once per time step (autograd records every operation)."""
    outputs = []
    for x in xs.unbind(0):
        out, state = step(x, state, p, dt)
        outputs.append(out)
    return torch.stack(outputs), state


def params_require_grad(values: Iterable[Any]) -> bool:
    """Whether any tensor among ``values`` requires grad (then the fused paths step aside)."""
    return any(isinstance(v, Tensor) and v.requires_grad for v in values)


def dimensioned_dtypes_match(values: Iterable[Any], dtype: torch.dtype) -> bool:
    """Every tensor with at least one dimension has ``dtype`` (0-dim tensors never change a dtype)."""
    return all(not isinstance(v, Tensor) or v.dim() == 0 or v.dtype == dtype for v in values)


def as_loop_tensor(value: Any, device: torch.device) -> Tensor:
    """A parameter as a tensor for the compiled loops, with the same arithmetic as the original.

    From the second step on every operation has a dimensioned operand, so a Python float acts
    exactly like a 0-dim float64 tensor (both are rounded to the computation dtype) and a 0-dim
    tensor keeps its value.
    """
    if isinstance(value, Tensor):
        return value if value.dim() > 0 or value.device == device else value.to(device)
    return torch.tensor(float(value), dtype=torch.float64, device=device)


_JIT_DISABLED = os.environ.get("SNN_DISABLE_JIT", "") not in ("", "0")


def scripted(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled with TorchScript on first use (tens of milliseconds), or ``fn`` itself.

    TorchScript runs the per-step loop without Python overhead (about 2x faster at small sizes).
    ``SNN_DISABLE_JIT=1`` or any scripting failure keeps the plain Python function, which gives
    identical numbers.
    """
    compiled: list[Callable[..., Any]] = []

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        if not compiled:
            compiled.append(_try_script(fn))
        return compiled[0](*args)

    call.python = fn  # type: ignore[attr-defined]
    return call


def _try_script(fn: Callable[..., Any]) -> Callable[..., Any]:
    if _JIT_DISABLED:
        return fn
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.jit.script(fn)
    except Exception:
        return fn


#: dtypes in which the fused loops reproduce the step bit for bit (float16/bfloat16 kernels round
#: some mixed-precision scalar operations differently in place and out of place)
EXACT_DTYPES = (torch.float32, torch.float64)


def fusable(xs: Tensor, state: Iterable[Any], params: Iterable[Any]) -> bool:
    """Whether the fused torch path reproduces the step loop exactly for these arguments.

    It does when the input is a full-shape ``[T, ...]`` tensor (states and tensor parameters
    broadcast to ``xs.shape[1:]``), every state field is a tensor, every dimensioned tensor has the
    input's dtype and device, no parameter requires grad, no ``torch.func`` transform is active,
    and the dtype is float32 or float64. Anything else (0-dim inputs, Python numbers as state, mixed
    dtypes, float16/bfloat16, trainable parameters, ``torch.func.grad``/``vmap``) runs the step loop.
    """
    state = list(state)
    params = [v for v in params if isinstance(v, Tensor)]
    if xs.dim() < 2 or xs.dtype not in EXACT_DTYPES or not all(isinstance(s, Tensor) for s in state):
        return False
    if any(_functorch_wrapped(t) for t in [xs, *state]):
        return False  # under torch.func transforms (grad, vmap): the step loop composes with them
    tensors = [*state, *params]
    if params_require_grad(params) or not dimensioned_dtypes_match(tensors, xs.dtype):
        return False
    if any(t.dim() > 0 and t.device != xs.device for t in tensors):
        return False
    try:
        shape = torch.broadcast_shapes(xs.shape[1:], *(t.shape for t in tensors))
    except RuntimeError:
        return False
    return shape == xs.shape[1:]


def _functorch_wrapped(tensor: Tensor) -> bool:
    try:
        return bool(torch._C._functorch.is_functorch_wrapped_tensor(tensor))
    except AttributeError:  # pragma: no cover - older torch without functorch bindings
        return False


def reduce_grad(grad: Tensor, like: Tensor) -> Tensor:
    """``grad`` summed over broadcast dimensions to the shape of ``like``, in its dtype."""
    if grad.shape != like.shape:
        grad = grad.sum_to_size(like.shape)
    return grad.to(like.dtype)


def time_chunks(steps: int, numel: int, chunk_elements: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges covering ``0 .. steps`` backwards, about ``chunk_elements`` per range."""
    size = max(1, chunk_elements // max(1, numel))
    return [(max(0, stop - size), stop) for stop in range(steps, 0, -size)]


def constant_like(value: Any, tensor: Tensor) -> Tensor:
    """``value`` as a tensor with the dtype and device of ``tensor``."""
    return torch.as_tensor(value, dtype=tensor.dtype, device=tensor.device)


def mark_spikes(ctx: Any, zs: Tensor, derivative: Any) -> None:
    """Mark ``zs`` non-differentiable when the surrogate ``derivative`` says so."""
    if not derivative.differentiable:
        ctx.mark_non_differentiable(zs)


def reset_factor(v1: Tensor, g_zs: Tensor, out: Tensor, p: Any, derivative: Any) -> Tensor:
    r"""Value-reset LIF backward factors for one chunk of steps.

    Writes the spike outputs' own part $\bar z\,\sigma'$ into ``out`` and returns
    $\partial v_2/\partial v_1 = (1 - z) + (v_{reset} - v_1)\,\sigma'$ (with $\sigma'$ at $v_1 - v_{th}$).
    """
    x = v1 - p.v_th
    s = derivative(x, p.alpha)
    not_spiked = torch.le(x, 0, out=torch.empty_like(x))
    k = torch.sub(p.v_reset, v1, out=x).mul_(s).add_(not_spiked)
    torch.mul(s, g_zs, out=out)
    return k
