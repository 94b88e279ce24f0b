"""Methods that make a parameter NamedTuple behave like Norse's pytree "state tuples".

Called by the methods of :class:`LIFParameters` and :class:`LIFBoxParameters`; they map over
the tensor fields only and leave strings, numbers and functions alone. (NamedTuples are pytree
nodes in ``torch.utils._pytree`` already, so ``torch.compile`` and ``torch.func`` see through them.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import Tensor

T = TypeVar("T", bound=tuple)


def map_tensors(self: T, fn: Callable[[Tensor], Tensor]) -> T:
    """A copy of the NamedTuple ``self`` with ``fn`` applied to every tensor field."""
    return type(self)(*(fn(v) if isinstance(v, Tensor) else v for v in self))


def _broadcast_one(value: Tensor, template: Tensor) -> Tensor:
    if value.numel() == 1:
        return torch.full_like(template, value.detach().reshape(()).item())
    if value.shape == template.shape:
        return value
    raise ValueError(
        f"Cannot broadcast a non-scalar tensor of shape {tuple(value.shape)} to the template shape "
        f"{tuple(template.shape)}"
    )


def broadcast(self: T, template: Tensor) -> T:
    """Every single-element tensor field becomes ``torch.full_like(template, value)``.

    Tensors already shaped like ``template`` are kept; any other shape raises ``ValueError``.
    """
    return map_tensors(self, lambda v: _broadcast_one(v, template))


def to(self: T, *args: Any, **kwargs: Any) -> T:
    """Move (or cast) every tensor field with ``Tensor.to(*args, **kwargs)``, keeping ``requires_grad``."""

    def move(v: Tensor) -> Tensor:
        out = v.to(*args, **kwargs)
        if v.requires_grad and not out.requires_grad and out.is_floating_point():
            out.requires_grad_(True)
        return out

    return map_tensors(self, move)


def cuda(self: T) -> T:
    """Every tensor field on the default CUDA device."""
    return to(self, "cuda")


def cpu(self: T) -> T:
    """Every tensor field on the CPU."""
    return to(self, "cpu")


def int_(self: T) -> T:
    """Every tensor field cast with ``Tensor.int()``."""
    return map_tensors(self, lambda v: v.int())


def float_(self: T) -> T:
    """Every tensor field cast with ``Tensor.float()``."""
    return map_tensors(self, lambda v: v.float())


__all__ = ["broadcast", "cpu", "cuda", "float_", "int_", "map_tensors", "to"]
