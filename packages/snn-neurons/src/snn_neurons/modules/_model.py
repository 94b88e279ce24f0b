r"""Generic bases of the per-model module classes, filled in from one :class:`Model` table per model.

Most models come as four classes (cell, layer, recurrent cell, recurrent layer) that differ only in
how they validate ``p``, which step functions they run, their fused sequence path and their initial
state. A model file describes those once in a :class:`Model` and derives its public classes from
:class:`ModelCell`, :class:`ModelLayer`, :class:`ModelRecurrentCell` and :class:`ModelRecurrent`,
keeping only their public signatures and docstrings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

from torch import Tensor, nn

import snn_core

from ._checks import check_size, check_state_matches
from ._common import prepare, sequence_function
from .base import SNN, SNNCell, SNNRecurrent, SNNRecurrentCell

__all__ = ["Model", "ModelCell", "ModelLayer", "ModelRecurrent", "ModelRecurrentCell", "SizedCell"]

#: a step function and its sparse-input variant (or ``None``)
Steps = tuple[Callable[..., Any], Callable[..., Any] | None]
#: ``(p, shape, like) -> state``: the initial state of ``shape`` in ``like``'s dtype and device
StateFactory = Callable[[Any, tuple[int, ...], Tensor], Any]


def _never_adjoint(p: Any) -> bool:
    return False


class Model(NamedTuple):
    """How one neuron model fills the generic module classes.

    Attributes:
        feed_forward_state: initial state of the feed-forward cell and layer.
        feed_forward: ``adjoint -> (step, sparse step)`` of the feed-forward classes.
        sequence: name of the fused whole-sequence function in ``snn_neurons.sequence`` (layers only;
            not used when the adjoint steps run).
        recurrent_state: initial state of the recurrent cell and layer.
        recurrent: ``(owner, adjoint) -> (step, sparse step)`` of the recurrent classes.
        recurrent_sequence: name of the fused whole-sequence function of the recurrent layer
            (``(xs, state, input_weights, recurrent_weights, p, dt, backend=...)``; not used when the
            adjoint steps run).
        parameters: ``(owner, p, dt) -> p``, validates (and may convert) ``p`` once.
        is_adjoint: ``p -> bool``, whether ``p`` itself selects the adjoint steps.
    """

    feed_forward_state: StateFactory
    feed_forward: Callable[[bool], Steps]
    sequence: str | None = None
    recurrent_state: StateFactory | None = None
    recurrent: Callable[[str, bool], Steps] | None = None
    recurrent_sequence: str | None = None
    parameters: Callable[[str, Any, float], Any] = prepare
    is_adjoint: Callable[[Any], bool] = _never_adjoint


def _sparse_kwargs(sparse: Callable[..., Any] | None) -> dict[str, Any]:
    # only passed when the model has one, so a caller's own ``activation_sparse`` keyword still clashes
    return {} if sparse is None else {"activation_sparse": sparse}


class _ModelMixin:
    """Validates ``p`` once, resolves the steps and builds the initial state from ``_model``."""

    _model: ClassVar[Model]
    check_state_shapes = True
    p: Any

    def _prepare(self, p: Any, adjoint: bool, kwargs: dict[str, Any]) -> tuple[Any, bool]:
        p = self._model.parameters(type(self).__name__, p, kwargs.get("dt", 0.001))
        return p, bool(adjoint) or self._model.is_adjoint(p)

    def _make_state(self, input_tensor: Tensor, factory: StateFactory | None) -> Any:
        assert factory is not None
        return factory(self.p, self.expected_state_shape(input_tensor), input_tensor)  # type: ignore[attr-defined]


class ModelCell(_ModelMixin, SNNCell):
    """A model's feed-forward cell (see :class:`SNNCell`)."""

    def __init__(self, p: Any, _adjoint: bool = False, **kwargs: Any) -> None:
        p, adjoint = self._prepare(p, _adjoint, kwargs)
        step, sparse = self._model.feed_forward(adjoint)
        SNNCell.__init__(self, step, self.initial_state, p=p, **_sparse_kwargs(sparse), **kwargs)

    def initial_state(self, input_tensor: Tensor) -> Any:
        """The model's initial state (see the class docstring) shaped like the input, in its dtype and device."""
        return self._make_state(input_tensor, self._model.feed_forward_state)


class ModelLayer(_ModelMixin, SNN):
    """A model's feed-forward layer over a time-first input (see :class:`SNN`)."""

    def __init__(self, p: Any, _adjoint: bool = False, **kwargs: Any) -> None:
        p, adjoint = self._prepare(p, _adjoint, kwargs)
        step, sparse = self._model.feed_forward(adjoint)
        name = self._model.sequence
        sequence = None if adjoint or name is None else sequence_function(name)
        SNN.__init__(
            self, step, self.initial_state, p=p, sequence=sequence, **_sparse_kwargs(sparse), **kwargs
        )

    def initial_state(self, input_tensor: Tensor) -> Any:
        """The model's initial state (see the class docstring) shaped ``input.shape[1:]``."""
        return self._make_state(input_tensor, self._model.feed_forward_state)


class _RecurrentModelMixin(_ModelMixin):
    def _recurrent_init(
        self,
        input_size: int,
        hidden_size: int,
        p: Any,
        adjoint: bool,
        kwargs: dict[str, Any],
        layer: bool = False,
    ) -> None:
        p, adjoint = self._prepare(p, adjoint, kwargs)
        assert self._model.recurrent is not None
        step, sparse = self._model.recurrent(type(self).__name__, adjoint)
        extra = _sparse_kwargs(sparse)
        name = self._model.recurrent_sequence
        if layer and not adjoint and name is not None:
            extra["sequence"] = sequence_function(name)
        super().__init__(  # type: ignore[call-arg]
            step, self.initial_state, input_size, hidden_size, p, **extra, **kwargs
        )

    def initial_state(self, input_tensor: Tensor) -> Any:
        """The model's initial state (see the class docstring) shaped :meth:`expected_state_shape`."""
        return self._make_state(input_tensor, self._model.recurrent_state)


class ModelRecurrentCell(_RecurrentModelMixin, SNNRecurrentCell):
    """A model's recurrent cell (see :class:`SNNRecurrentCell`)."""

    def __init__(
        self, input_size: int, hidden_size: int, p: Any, _adjoint: bool = False, **kwargs: Any
    ) -> None:
        self._recurrent_init(input_size, hidden_size, p, _adjoint, kwargs)


class ModelRecurrent(_RecurrentModelMixin, SNNRecurrent):
    """A model's recurrent layer over a time-first input (see :class:`SNNRecurrent`)."""

    def __init__(
        self, input_size: int, hidden_size: int, p: Any, _adjoint: bool = False, **kwargs: Any
    ) -> None:
        self._recurrent_init(input_size, hidden_size, p, _adjoint, kwargs, layer=True)


class SizedCell(nn.Module):
    """A one-step cell with ``input_size``, ``hidden_size``, ``p`` and ``dt`` validated once.

    For cells outside the :class:`SNNCell` family (their step takes only the weights they own);
    subclasses create their weights after this ``__init__`` and define ``initial_state``.
    """

    p: Any

    def __init__(self, input_size: int, hidden_size: int, p: Any, dt: float) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = check_size(owner, "input_size", input_size)
        self.hidden_size = check_size(owner, "hidden_size", hidden_size)
        self.p = prepare(owner, p, dt)
        self.dt = snn_core.check_dt(dt)

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}, p={self.p}, dt={self.dt}"

    def initial_state(self, input_tensor: Tensor) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _checked_state(self, input_tensor: Tensor, state: Any) -> Any:
        """Check the input's last dimension, then return ``state`` (checked) or the initial state."""
        owner = type(self).__name__
        if input_tensor.dim() == 0 or input_tensor.shape[-1] != self.input_size:
            raise ValueError(
                f"{owner}: the input's last dimension must be input_size={self.input_size}, "
                f"got input of shape {tuple(input_tensor.shape)}"
            )
        if state is None:
            return self.initial_state(input_tensor)
        check_state_matches(owner, state, (*input_tensor.shape[:-1], self.hidden_size), input_tensor.shape)
        return state
