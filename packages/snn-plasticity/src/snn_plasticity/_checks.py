"""Parameter checks, run once when parameters are built or a module is constructed (never per step)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch

__all__ = ["check_finite", "check_nonnegative", "check_int_at_least", "tracing"]


def tracing() -> bool:
    """True while ``torch.compile`` traces: value checks are skipped then."""
    return torch.compiler.is_compiling()


def _values(name: str, value: Any) -> torch.Tensor:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, torch.Tensor)):
        raise TypeError(f"{name} must be a number or a tensor, got {type(value).__name__}: {value!r}")
    return torch.as_tensor(value).detach()


def check_finite(name: str, value: Any) -> None:
    """Raise unless ``value`` (number or tensor) is finite everywhere."""
    values = _values(name, value)
    if tracing():
        return
    if values.is_floating_point() and not bool(torch.isfinite(values).all()):
        raise ValueError(f"{name} must be finite, got {value!r}")


def check_nonnegative(name: str, value: Any) -> None:
    """Raise unless ``value`` (number or tensor) is finite and >= 0 everywhere."""
    check_finite(name, value)
    if tracing():
        return
    if bool((_values(name, value) < 0).any()):
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def check_int_at_least(name: str, value: Any, minimum: int) -> Any:
    """Raise unless ``value`` is an int >= ``minimum`` or a tuple of such ints; returns it."""
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            raise TypeError(f"{name} must be an int >= {minimum} (or a tuple of them), got {value!r}")
        if item < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def is_finite_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
