"""Helpers shared by the per-model module files: parameter preparation, adjoint dispatch, fused paths."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import torch

from ..functional._validation import validate_parameters

__all__ = [
    "ADJOINT",
    "WithMethod",
    "adjoint_recurrent_steps",
    "is_adjoint",
    "prepare",
    "sequence_function",
    "tensor_fields",
]

#: the pseudo-method that selects the adjoint step functions in the LIF and refractory modules
ADJOINT = "adjoint"
#: the threshold the adjoint steps run their forward pass with (its value is the same for every method)
_ADJOINT_FORWARD_METHOD = "super"


def tensor_fields(p: Any, skip: tuple[str, ...] = ("method",)) -> Any:
    """``p`` with every field except ``skip`` passed through ``torch.as_tensor`` (shares, never copies).

    Norse's LIF modules do this, so Python numbers given as parameters become 0-dim tensors.
    """
    return type(p)(*(v if f in skip else torch.as_tensor(v) for f, v in zip(p._fields, p)))


def _without_adjoint(p: Any) -> Any:
    """``p`` (or its nested ``lif`` parameters) with ``method="adjoint"`` replaced for the forward pass."""
    if getattr(p, "method", None) == ADJOINT:
        return p._replace(method=_ADJOINT_FORWARD_METHOD)
    if hasattr(p, "lif") and getattr(p.lif, "method", None) == ADJOINT:
        return p._replace(lif=p.lif._replace(method=_ADJOINT_FORWARD_METHOD))
    return p


def is_adjoint(p: Any) -> bool:
    """True when ``p.method`` (or ``p.lif.method``) is ``"adjoint"``."""
    method = getattr(p, "method", None)
    if method is None and hasattr(p, "lif"):
        method = getattr(p.lif, "method", None)
    return method == ADJOINT


def prepare(owner: str, p: Any, dt: float | None = None) -> Any:
    """Validate ``p`` once (``method="adjoint"`` accepted) and return it unchanged."""
    validate_parameters(_without_adjoint(p), name=f"{owner}: p", dt=dt)
    return p


class WithMethod:
    """Call a step function with ``method="adjoint"`` in ``p`` replaced by a real threshold.

    The adjoint step functions run the normal step in their forward pass, which needs a registered
    threshold method; their hand-written backward ignores it. Picklable (no closures).
    """

    def __init__(self, step: Callable[..., Any]) -> None:
        self.step = step

    def __call__(self, *args: Any) -> Any:
        *head, p, dt = args
        return self.step(*head, _without_adjoint(p), dt)

    def __repr__(self) -> str:
        return f"WithMethod({getattr(self.step, '__name__', self.step)!r})"


def adjoint_recurrent_steps(owner: str, module: Any, name: str, field: str) -> tuple[Any, Any]:
    """``WithMethod`` of ``module.<name>`` and of its ``<name>_sparse`` variant (``None`` if absent).

    Raises:
        ValueError: naming ``field`` when ``module`` has no ``name`` (no recurrent adjoint step yet).
    """
    step = getattr(module, name, None)
    if step is None:
        raise ValueError(
            f"{owner}: {field}='adjoint' needs snn_neurons.{name}, which this version does not provide; "
            f"use a surrogate method such as 'super'"
        )
    sparse = getattr(module, f"{name}_sparse", None)
    return WithMethod(step), (WithMethod(sparse) if sparse is not None else None)


def sequence_function(name: str) -> Callable[..., Any] | None:
    """The fused whole-sequence function ``snn_neurons.sequence.<name>``, or ``None`` if absent."""
    try:
        module = importlib.import_module("snn_neurons.sequence")
    except ModuleNotFoundError as error:
        if error.name == "snn_neurons.sequence":
            return None
        raise
    return getattr(module, name, None)
