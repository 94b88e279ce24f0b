"""Argument checks shared by the encoders.

Scalar checks are plain Python and cost nothing. Checks that read tensor values (finite, non-negative)
synchronise with the device, so they run once per encoder call (never inside a time loop) and are
skipped while ``torch.compile`` traces.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch
from torch import Tensor

__all__ = [
    "check_tensor",
    "check_seq_length",
    "check_rate",
    "check_positive_int",
    "check_finite_values",
    "check_nonnegative_values",
    "tracing",
]


def tracing() -> bool:
    """True while ``torch.compile`` traces: value checks are skipped then."""
    return torch.compiler.is_compiling()


def _has_values(value: Tensor) -> bool:
    # meta tensors (shape propagation) and traced tensors have no values to check
    return not tracing() and value.device.type != "meta"


def check_tensor(name: str, value: Any) -> Tensor:
    """Raise ``TypeError`` unless ``value`` is a real-valued tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}: {value!r}")
    if value.is_complex():
        raise TypeError(f"{name} must be real-valued, got dtype {value.dtype}")
    return value


def check_seq_length(seq_length: Any) -> int:
    """Raise unless ``seq_length`` is an int >= 0; returns it."""
    if isinstance(seq_length, bool) or not isinstance(seq_length, numbers.Integral):
        raise TypeError(f"seq_length must be an int >= 0, got {type(seq_length).__name__}: {seq_length!r}")
    if seq_length < 0:
        raise ValueError(f"seq_length must be an int >= 0, got {seq_length}")
    return int(seq_length)


def check_positive_int(name: str, value: Any) -> int:
    """Raise unless ``value`` is an int >= 1; returns it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= 1, got {type(value).__name__}: {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value}")
    return int(value)


def check_rate(name: str, value: Any) -> float:
    """Raise unless ``value`` is a finite real number >= 0 (a rate such as ``f_max``); returns a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite number >= 0, got {type(value).__name__}: {value!r}")
    result = float(value)
    if not math.isfinite(result) or result < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return result


def check_finite_values(name: str, value: Tensor) -> None:
    """Raise ``ValueError`` if ``value`` holds NaN or infinity (skipped while compiling)."""
    if not _has_values(value) or not value.is_floating_point():
        return
    if not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} must contain only finite values, found NaN or infinity")


def check_nonnegative_values(name: str, value: Tensor, hint: str = "") -> None:
    """Raise ``ValueError`` if ``value`` is negative or not finite anywhere (skipped while compiling)."""
    if not _has_values(value):
        return
    check_finite_values(name, value)
    if value.numel() and bool((value < 0).any()):
        raise ValueError(f"{name} must be >= 0 everywhere, got a minimum of {float(value.min())}{hint}")
