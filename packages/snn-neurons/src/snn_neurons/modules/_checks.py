"""Shape checks and state-building helpers shared by the module wrappers (run once per call, not per step)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor

__all__ = [
    "check_size",
    "check_state_matches",
    "filled",
    "is_namedtuple",
    "state_dtype",
    "stack_states",
    "zeros",
]


def is_namedtuple(value: Any) -> bool:
    """True for instances of ``typing.NamedTuple`` / ``collections.namedtuple`` classes."""
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _tensor_fields(state: Any, prefix: str) -> Iterator[tuple[str, Tensor]]:
    if is_namedtuple(state):
        for field, value in zip(state._fields, state):
            yield from _tensor_fields(value, f"{prefix}.{field}")
    elif isinstance(state, Tensor):
        yield prefix, state


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(a in (1, b) for a, b in zip(reversed(shape), reversed(target)))


def check_state_matches(
    owner: str, state: Any, expected: tuple[int, ...], input_shape: tuple[int, ...]
) -> None:
    """Raise ``ValueError`` unless every tensor field of ``state`` broadcasts to ``expected``.

    ``expected`` is the state shape the input implies (``input.shape`` for a cell,
    ``input.shape[1:]`` for a time layer, ``(..., hidden_size)`` for recurrent modules). Fields that
    broadcast to it (Norse's 0-dim states included) pass; fields that would change the output's
    shape or cannot broadcast raise, naming both shapes. Plain Python numbers are not checked.
    """
    if not is_namedtuple(state):
        raise TypeError(f"{owner}: state must be a state NamedTuple or None, got {type(state).__name__}")
    for name, value in _tensor_fields(state, "state"):
        shape = tuple(value.shape)
        if not _broadcasts_to(shape, expected):
            raise ValueError(
                f"{owner}: {name} has shape {shape}, which does not match the input of shape "
                f"{tuple(input_shape)} (state fields must have shape {tuple(expected)} or broadcast to it)"
            )


def check_size(owner: str, arg: str, value: Any) -> int:
    """Return ``value`` as an ``int`` after checking that it is a positive integer."""
    if isinstance(value, Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{owner}: {arg} must be a positive integer, got {value!r}")
    return value


def state_dtype(like: Tensor) -> torch.dtype:
    """The dtype of states created for input ``like``: its own if floating, else the default."""
    return like.dtype if like.is_floating_point() else torch.get_default_dtype()


def zeros(shape: tuple[int, ...], like: Tensor) -> Tensor:
    """A fresh zero tensor of ``shape`` on ``like``'s device, in :func:`state_dtype` of ``like``."""
    return torch.zeros(shape, dtype=state_dtype(like), device=like.device)


def filled(shape: tuple[int, ...], value: Any, like: Tensor, name: str = "value") -> Tensor:
    """A fresh tensor of ``shape`` holding ``value`` (a number or a tensor that broadcasts to ``shape``).

    The value is detached, so a parameter that requires grad never leaks into a fresh state, and is
    cast to the state dtype of ``like`` (a float32 default keeps its float32 rounding).
    """
    source = torch.as_tensor(value).detach().to(device=like.device, dtype=state_dtype(like))
    if not _broadcasts_to(tuple(source.shape), tuple(shape)):
        raise ValueError(
            f"{name} has shape {tuple(source.shape)}, which does not broadcast to the state shape {tuple(shape)}"
        )
    return source.expand(shape).clone()


def stack_states(states: list[Any]) -> Any:
    """Stack a list of same-typed (possibly nested) state NamedTuples field by field along a new dim 0."""
    first = states[0]
    if is_namedtuple(first):
        return type(first)(*(stack_states([s[k] for s in states]) for k in range(len(first))))
    if isinstance(first, Tensor):
        if first.is_sparse:
            return torch.stack([s.to_dense() for s in states])
        return torch.stack(states)
    return torch.stack([torch.as_tensor(s) for s in states])
