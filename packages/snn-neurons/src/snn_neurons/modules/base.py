r"""Base classes of the module wrappers: cells (one step) and layers (a whole time-first sequence).

A *cell* wraps a step function $(z, s') = f(x, s, p, \Delta t)$ and performs one step per call.
A *layer* loops the same step over the first (time) dimension of its input $[T, \dots]$:

$$ (z_t, s_t) = f(x_t, s_{t-1}, p, \Delta t), \quad t = 1..T, \qquad
   \text{returns } (\mathrm{stack}_t\, z_t,\; s_T) $$

Recurrent variants own an input weight matrix $W_{in}$ ``[hidden, input]`` and a recurrent matrix
$W_{rec}$ ``[hidden, hidden]`` and pass both to a recurrent step
$f(x, s, W_{in}, W_{rec}, p, \Delta t)$.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

import snn_core
from snn_core.kernels import check_backend

from ._checks import check_size, check_state_matches, stack_states

__all__ = ["SNN", "SNNCell", "SNNRecurrent", "SNNRecurrentCell"]

FeedForwardStep = Callable[[Tensor, Any, Any, float], tuple[Tensor, Any]]
RecurrentStep = Callable[[Tensor, Any, Tensor, Tensor, Any, float], tuple[Tensor, Any]]
SequenceFn = Callable[..., tuple[Tensor, Any]]


def _time_steps(owner: str, input_tensor: Tensor, min_dims: int = 1) -> list[Tensor]:
    """The input's time slices (``unbind``, so backward stays linear in T); checks the shape first."""
    if input_tensor.dim() < min_dims or input_tensor.shape[0] == 0:
        raise ValueError(
            f"{owner}: the input must be time-first [T, ...] with at least one step and {min_dims} "
            f"dimension(s), got shape {tuple(input_tensor.shape)}"
        )
    if input_tensor.is_sparse:
        return [input_tensor.select(0, t) for t in range(input_tensor.shape[0])]
    return list(input_tensor.unbind(0))


class SNNCell(nn.Module):
    r"""A feed-forward neuron cell: one step of ``activation`` per call, no time dimension.

    $$ (z, s') = \mathrm{activation}(x, s, p, \Delta t), \qquad s = \mathrm{state\_fallback}(x)
       \text{ when no state is given} $$

    Args:
        activation: step function ``(input, state, p, dt) -> (output, state)``.
        state_fallback: ``input -> state``, used when ``forward`` gets ``state=None``.
        p: the model's parameter NamedTuple (stored as ``self.p``; not registered as parameters).
        dt: integration time step, finite and > 0.
        activation_sparse: optional step used instead when the input is a sparse tensor.

    Raises:
        ValueError: if ``dt`` is not finite and > 0.

    Example:
        >>> cell = SNNCell(lambda x, s, p, dt: (x + s, x + s), lambda x: torch.zeros_like(x), p=None)
        >>> cell(torch.ones(2))[0]
        tensor([1., 1.])
    """

    #: whether ``forward`` checks a given state against the input's shape (model classes turn it on)
    check_state_shapes: bool = False

    def __init__(
        self,
        activation: FeedForwardStep,
        state_fallback: Callable[[Tensor], Any],
        p: Any,
        dt: float = 0.001,
        activation_sparse: FeedForwardStep | None = None,
    ) -> None:
        super().__init__()
        self.activation = activation
        self.activation_sparse = activation_sparse
        self.state_fallback = state_fallback
        self.p = p
        self.dt = snn_core.check_dt(dt)

    def extra_repr(self) -> str:
        return f"p={self.p}, dt={self.dt}"

    def expected_state_shape(self, input_tensor: Tensor) -> tuple[int, ...]:
        """The shape of a state for ``input_tensor``: the input's own shape."""
        return tuple(input_tensor.shape)

    def _state(self, input_tensor: Tensor, state: Any) -> Any:
        if state is None:
            return self.state_fallback(input_tensor)
        if self.check_state_shapes:
            check_state_matches(
                type(self).__name__, state, self.expected_state_shape(input_tensor), input_tensor.shape
            )
        return state

    def _step_fn(self, input_tensor: Tensor) -> Callable[..., tuple[Tensor, Any]]:
        if self.activation_sparse is not None and input_tensor.is_sparse:
            return self.activation_sparse
        return self.activation

    def forward(self, input_tensor: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """One step: returns ``(output, new_state)``; ``state=None`` starts from the initial state."""
        state = self._state(input_tensor, state)
        return self._step_fn(input_tensor)(input_tensor, state, self.p, self.dt)


class SNN(SNNCell):
    r"""A feed-forward neuron layer over a time-first input ``[T, ...]``.

    Loops ``activation`` over ``input.unbind(0)`` (or, for the model classes, calls their fused
    whole-sequence path) and returns ``(stack(outputs) [T, ...], state)``. With
    ``record_states=True`` the returned state has the same type with every field stacked over time
    (``[T, ...]``, recursively for nested states); it holds the state *after* each step.

    Args:
        activation: step function ``(input, state, p, dt) -> (output, state)``.
        state_fallback: ``input [T, ...] -> state`` used when ``forward`` gets ``state=None``.
        p: the model's parameter NamedTuple.
        dt: integration time step, finite and > 0.
        activation_sparse: optional step used instead for sparse inputs.
        record_states: return every step's state stacked over time instead of the final one.
        backend: ``"auto"`` (fused path and kernels when available), ``"torch"`` or a registered
            kernel backend such as ``"cuda"`` (an explicit backend that cannot run raises).
        sequence: optional whole-sequence function ``(xs, state, p, dt, backend=...) -> (zs, state)``
            giving the same numbers as the loop; used for dense inputs when ``record_states`` is off.

    Raises:
        ValueError: for ``dt <= 0`` or an invalid ``backend``; in ``forward`` for an input without a
            time step.

    Example:
        >>> layer = SNN(lambda x, s, p, dt: (x + s, x + s), lambda x: torch.zeros_like(x[0]), p=None)
        >>> layer(torch.ones(3, 2))[0][:, 0]
        tensor([1., 2., 3.])
    """

    def __init__(
        self,
        activation: FeedForwardStep,
        state_fallback: Callable[[Tensor], Any],
        p: Any,
        dt: float = 0.001,
        activation_sparse: FeedForwardStep | None = None,
        record_states: bool = False,
        backend: str = "auto",
        sequence: SequenceFn | None = None,
    ) -> None:
        super().__init__(activation, state_fallback, p, dt, activation_sparse)
        self.record_states = bool(record_states)
        self.backend = check_backend(backend)
        self.sequence = sequence

    def extra_repr(self) -> str:
        return f"p={self.p}, dt={self.dt}, record_states={self.record_states}, backend={self.backend!r}"

    def expected_state_shape(self, input_tensor: Tensor) -> tuple[int, ...]:
        """The shape of a state for a time-first input: ``input.shape[1:]``."""
        return tuple(input_tensor.shape[1:])

    def _sequence_for(self, input_tensor: Tensor) -> SequenceFn | None:
        """The whole-sequence path when it applies to this call, else ``None`` (loop the step)."""
        if self.record_states or input_tensor.is_sparse or not input_tensor.is_floating_point():
            return None
        return self.sequence

    def forward(self, input_tensor: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """Run all ``T`` steps; returns ``(outputs [T, ...], final state or recorded states)``."""
        owner = type(self).__name__
        steps = _time_steps(owner, input_tensor)
        state = self._state(input_tensor, state)
        sequence = self._sequence_for(input_tensor)
        if sequence is not None:
            return sequence(input_tensor, state, self.p, self.dt, backend=self.backend)
        if self.backend not in ("auto", "torch"):
            raise snn_core.BackendUnavailableError(
                f"{owner}: backend={self.backend!r} has no whole-sequence path for this call "
                f"(record_states={self.record_states}, sparse input={input_tensor.is_sparse}); "
                f"use backend='auto' or 'torch'"
            )
        step = self._step_fn(input_tensor)
        outputs, states = [], []
        for x_t in steps:
            out, state = step(x_t, state, self.p, self.dt)
            outputs.append(out)
            if self.record_states:
                states.append(state)
        return torch.stack(outputs), (stack_states(states) if self.record_states else state)


def _recurrent_scale(hidden_size: int) -> Tensor:
    # sqrt(2 / hidden) evaluated in the default float dtype, as a 0-dim tensor
    return torch.sqrt(torch.tensor(2.0) / hidden_size)


def _zero_diagonal_grad(grad: Tensor) -> Tensor:
    """Gradient hook: the same gradient with its diagonal set to zero (no autapse learning)."""
    grad = grad.clone()
    torch.diagonal(grad).zero_()
    return grad


def _as_weight(owner: str, arg: str, weight: Tensor, shape: tuple[int, int]) -> nn.Parameter:
    if not isinstance(weight, Tensor):
        raise TypeError(f"{owner}: {arg} must be a tensor of shape {shape}, got {type(weight).__name__}")
    if tuple(weight.shape) != shape:
        raise ValueError(f"{owner}: {arg} must have shape {shape}, got {tuple(weight.shape)}")
    if isinstance(weight, nn.Parameter):
        return weight
    return nn.Parameter(weight.detach().clone())


class _RecurrentWeights:
    """Mixin: creates ``input_weights``/``recurrent_weights`` the way Norse does and handles autapses."""

    def _init_weights(
        self,
        input_size: int,
        hidden_size: int,
        input_weights: Tensor | None,
        recurrent_weights: Tensor | None,
        autapses: bool,
    ) -> None:
        owner = type(self).__name__
        self.input_size = check_size(owner, "input_size", input_size)
        self.hidden_size = check_size(owner, "hidden_size", hidden_size)
        self.autapses = bool(autapses)
        # Same random stream as Norse: W_in first, then W_rec, both scaled by sqrt(2 / hidden).
        if input_weights is None:
            w_in = torch.randn(self.hidden_size, self.input_size) * _recurrent_scale(self.hidden_size)
            self.input_weights = nn.Parameter(w_in)
        else:
            shape = (self.hidden_size, self.input_size)
            self.input_weights = _as_weight(owner, "input_weights", input_weights, shape)
        if recurrent_weights is None:
            w_rec = torch.randn(self.hidden_size, self.hidden_size) * _recurrent_scale(self.hidden_size)
            self.recurrent_weights = nn.Parameter(w_rec)
        else:
            shape = (self.hidden_size, self.hidden_size)
            self.recurrent_weights = _as_weight(owner, "recurrent_weights", recurrent_weights, shape)
        if not self.autapses:
            with torch.no_grad():
                torch.diagonal(self.recurrent_weights).zero_()
            self.recurrent_weights.requires_grad_(True)
            self.recurrent_weights.register_hook(_zero_diagonal_grad)

    def effective_recurrent_weights(self) -> Tensor:
        """``recurrent_weights`` as used in the step: with ``autapses=False`` its diagonal is masked out.

        The mask makes the no-autapse rule hold even where the gradient hook is lost (after
        ``copy.deepcopy``, pickling, or loading weights with a non-zero diagonal); off-diagonal
        values and gradients are unchanged bit for bit.
        """
        w = self.recurrent_weights
        if self.autapses:
            return w
        return w - torch.diag_embed(torch.diagonal(w))

    def _check_input_size(self, input_tensor: Tensor) -> None:
        if input_tensor.dim() == 0 or input_tensor.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: the input's last dimension must be input_size={self.input_size}, "
                f"got input of shape {tuple(input_tensor.shape)}"
            )


class SNNRecurrentCell(_RecurrentWeights, SNNCell):
    r"""A recurrent neuron cell: one step of a recurrent step function per call.

    $$ (z, s') = \mathrm{activation}(x, s, W_{in}, W_{rec}, p, \Delta t) $$

    Default weights are drawn as in Norse, in this order of the global RNG:
    $W_{in} = \mathcal{N}(0,1)^{h\times n}\sqrt{2/h}$, then $W_{rec} = \mathcal{N}(0,1)^{h\times h}\sqrt{2/h}$
    (both scaled by the *hidden* size). With ``autapses=False`` the diagonal of $W_{rec}$ is zeroed
    (given weights too) and a gradient hook keeps its gradient's diagonal at zero.

    Args:
        activation: ``(input, state, input_weights, recurrent_weights, p, dt) -> (output, state)``.
        state_fallback: ``input -> state`` used when ``forward`` gets ``state=None``.
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: the model's parameter NamedTuple.
        input_weights: optional ``[hidden, input]`` weights. An ``nn.Parameter`` is used as it is
            (shared); any other tensor is copied into a new parameter (the caller's tensor is never
            modified).
        recurrent_weights: optional ``[hidden, hidden]`` weights, treated the same way.
        autapses: allow self-connections (a non-zero diagonal of $W_{rec}$).
        dt: integration time step, finite and > 0.
        activation_sparse: optional step used instead for sparse inputs.

    Raises:
        ValueError: for non-positive sizes, weights of the wrong shape or ``dt <= 0``; in
            ``forward`` for an input whose last dimension is not ``input_size``.
    """

    def __init__(
        self,
        activation: RecurrentStep,
        state_fallback: Callable[[Tensor], Any],
        input_size: int,
        hidden_size: int,
        p: Any,
        input_weights: Tensor | None = None,
        recurrent_weights: Tensor | None = None,
        autapses: bool = False,
        dt: float = 0.001,
        activation_sparse: RecurrentStep | None = None,
    ) -> None:
        SNNCell.__init__(self, activation, state_fallback, p, dt, activation_sparse)  # type: ignore[arg-type]
        self._init_weights(input_size, hidden_size, input_weights, recurrent_weights, autapses)

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, p={self.p}, "
            f"autapses={self.autapses}, dt={self.dt}"
        )

    def expected_state_shape(self, input_tensor: Tensor) -> tuple[int, ...]:
        """``(*input.shape[:-1], hidden_size)``."""
        return (*input_tensor.shape[:-1], self.hidden_size)

    def forward(self, input_tensor: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """One recurrent step: returns ``(output, new_state)``."""
        self._check_input_size(input_tensor)
        state = self._state(input_tensor, state)
        step = self._step_fn(input_tensor)
        w_rec = self.effective_recurrent_weights()
        return step(input_tensor, state, self.input_weights, w_rec, self.p, self.dt)


class SNNRecurrent(_RecurrentWeights, SNN):
    r"""A recurrent neuron layer over a time-first input ``[T, ..., input_size]``.

    Loops the recurrent step over ``input.unbind(0)`` (or calls the model's fused whole-sequence
    path, with the same numbers); weights, autapses and ``record_states`` as in
    :class:`SNNRecurrentCell` and :class:`SNN`.

    Args:
        activation: ``(input, state, input_weights, recurrent_weights, p, dt) -> (output, state)``.
        state_fallback: ``input [T, ...] -> state`` used when ``forward`` gets ``state=None``.
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: the model's parameter NamedTuple.
        input_weights: optional ``[hidden, input]`` weights (see :class:`SNNRecurrentCell`).
        recurrent_weights: optional ``[hidden, hidden]`` weights.
        autapses: allow self-connections.
        dt: integration time step, finite and > 0.
        activation_sparse: optional step used instead for sparse inputs.
        record_states: return every step's state stacked over time instead of the final one.
        sequence: optional whole-sequence function
            ``(xs, state, input_weights, recurrent_weights, p, dt, backend=...) -> (zs, state)`` giving
            the same numbers as the loop; used for dense floating-point inputs when ``record_states``
            is off.

    Raises:
        ValueError: as :class:`SNNRecurrentCell`, and for an input without a time step.
    """

    def __init__(
        self,
        activation: RecurrentStep,
        state_fallback: Callable[[Tensor], Any],
        input_size: int,
        hidden_size: int,
        p: Any,
        input_weights: Tensor | None = None,
        recurrent_weights: Tensor | None = None,
        autapses: bool = False,
        dt: float = 0.001,
        activation_sparse: RecurrentStep | None = None,
        record_states: bool = False,
        sequence: SequenceFn | None = None,
    ) -> None:
        SNN.__init__(
            self,
            activation,  # type: ignore[arg-type]
            state_fallback,
            p,
            dt,
            activation_sparse,  # type: ignore[arg-type]
            record_states,
            sequence=sequence,
        )
        self._init_weights(input_size, hidden_size, input_weights, recurrent_weights, autapses)

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, p={self.p}, "
            f"autapses={self.autapses}, dt={self.dt}, record_states={self.record_states}"
        )

    def expected_state_shape(self, input_tensor: Tensor) -> tuple[int, ...]:
        """``(*input.shape[1:-1], hidden_size)``."""
        return (*input_tensor.shape[1:-1], self.hidden_size)

    def forward(self, input_tensor: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """Run all ``T`` recurrent steps; returns ``(outputs [T, ..., hidden], state)``."""
        steps = _time_steps(type(self).__name__, input_tensor, min_dims=2)
        self._check_input_size(input_tensor)
        state = self._state(input_tensor, state)
        w_in, w_rec = self.input_weights, self.effective_recurrent_weights()
        sequence = self._sequence_for(input_tensor)
        if sequence is not None:
            return sequence(input_tensor, state, w_in, w_rec, self.p, self.dt, backend=self.backend)
        step = self._step_fn(input_tensor)
        outputs, states = [], []
        for x_t in steps:
            out, state = step(x_t, state, w_in, w_rec, self.p, self.dt)
            outputs.append(out)
            if self.record_states:
                states.append(state)
        return torch.stack(outputs), (stack_states(states) if self.record_states else state)
