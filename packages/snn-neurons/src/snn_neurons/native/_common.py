"""Plumbing shared by the compiled loops: scalar parameters, cached constants, pointers, gradients.

A loop's constants are computed once per parameter set with torch's own arithmetic (``dt * tau_inv``
in the parameter's type, as the step computes it) and handed to C as Python floats; ctypes rounds
them to the loop's type exactly as torch rounds a 0-dim operand to a tensor's dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

import snn_core

from ._build import library

__all__ = [
    "SUFFIX",
    "PlanCache",
    "fresh_grad",
    "is_wrapped",
    "ptr",
    "runnable",
    "scalar",
    "scalars",
    "sqrt_pi",
    "surrogate_kind",
]

#: dtype -> the suffix of its C functions
SUFFIX = {torch.float32: "f32", torch.float64: "f64"}

is_wrapped: Callable[[Tensor], bool] = torch._C._functorch.is_functorch_wrapped_tensor


def _kinds() -> dict[Any, int]:
    """Threshold function -> its code in ``_common.h``'s ``enum surrogate``."""
    return {
        snn_core.heaviside: 0,
        snn_core.super_fn: 1,
        snn_core.heavi_tanh_fn: 2,
        snn_core.heavi_erfc_fn: 3,
        snn_core.heavi_circ_fn: 4,
        snn_core.triangle_fn: 5,
    }


def surrogate_kind(method: str) -> int | None:
    """The C code of a registered threshold, ``None`` if ``_common.h`` does not implement it.

    Matched by the function object, so a threshold registered under a built-in's name by someone
    else is never mistaken for it.
    """
    spec = snn_core.registry().thresholds.get(method)
    return None if spec is None else _kinds().get(spec.fn)


def scalar(value: Any) -> float | None:
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


def scalars(*values: Any) -> tuple[float, ...] | None:
    """:func:`scalar` of each value, or ``None`` if any of them is not one."""
    out = tuple(scalar(v) for v in values)
    return None if any(v is None for v in out) else out  # type: ignore[return-value]


def _key(value: Any) -> Any:
    """A cache key of one parameter: identity and version for tensors (in-place edits show)."""
    if isinstance(value, Tensor):
        return (id(value), value._version, value.requires_grad)
    if type(value) is float:
        return (float, value.hex())  # tells -0.0 from 0.0
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value), value)


class PlanCache:
    """``make(p, dt)`` cached by ``dt``, the threshold registry and the identity of ``fields(p)``.

    Tensor parameters are keyed by identity and version, so an in-place edit makes a new plan. An
    entry keeps its parameter objects (and the registry's table) alive, so their ids cannot be reused
    by other objects while it exists.
    """

    def __init__(
        self, fields: Callable[[Any], Sequence[Any]], make: Callable[[Any, float], Any], size: int = 64
    ) -> None:
        self.fields, self.make, self.size = fields, make, size
        self.entries: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def __call__(self, p: Any, dt: float) -> Any:
        fields = tuple(self.fields(p))
        table = snn_core.registry().thresholds
        key = (dt, id(table), *(_key(v) for v in fields))
        hit = self.entries.get(key)
        if hit is None:
            if len(self.entries) >= self.size:
                self.entries.clear()
            hit = self.entries[key] = ((fields, table), self.make(p, dt))
        return hit[1]


def runnable(xs: Tensor, states: Sequence[Any], contiguous: bool = False) -> bool:
    """Whether the C loops can take these arrays: a CPU float32/float64 ``[T, ...]`` input and state
    tensors of its dtype and full shape ``xs.shape[1:]`` (``contiguous``: already contiguous), no
    ``torch.func`` transform, and a library that loads."""
    if xs.device.type != "cpu" or xs.dtype not in SUFFIX or xs.dim() < 2 or xs.layout != torch.strided:
        return False
    if is_wrapped(xs) or (contiguous and not xs.is_contiguous()):
        return False
    for field in states:
        if not isinstance(field, Tensor) or field.shape != xs.shape[1:] or field.dtype != xs.dtype:
            return False
        if field.device.type != "cpu" or field.layout != torch.strided or is_wrapped(field):
            return False
        if contiguous and not field.is_contiguous():
            return False
    return library() is not None


def ptr(tensor: Tensor | None) -> int | None:
    """The data pointer of ``tensor`` (``None``, a C ``NULL``, for no tensor)."""
    return None if tensor is None else tensor.data_ptr()


def fresh_grad(grad: Tensor | None, shape: Sequence[int], dtype: torch.dtype) -> Tensor:
    """A contiguous copy of an incoming gradient (zeros for none), which the C loops may overwrite."""
    if grad is None:
        return torch.zeros(tuple(shape), dtype=dtype)
    return grad.to(dtype, memory_format=torch.contiguous_format, copy=True)


def sqrt_pi() -> float:
    """sqrt(pi) rounded as snn-core's heavi_erfc derivative rounds it (a 0-dim tensor of the default dtype)."""
    return float(torch.as_tensor(math.pi).sqrt())
