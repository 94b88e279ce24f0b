r"""LIF modules: :class:`LIFCell`, :class:`LIF`, :class:`LIFRecurrentCell`, :class:`LIFRecurrent`.

Current-based leaky integrate-and-fire neurons (see :func:`snn_neurons.lif_feed_forward_step`):

$$ \begin{aligned}
  j &= i + x, \qquad v_1 = v + (\Delta t\,\tau_{mem}^{-1})\,((v_{leak} - v) + j), \qquad
  i' = j + (-\Delta t\,\tau_{syn}^{-1})\,j \\
  z &= \Theta(v_1 - v_{th}), \qquad v' = (1 - z)\,v_1 + z\,v_{reset}
\end{aligned} $$

The recurrent modules use $x = W_{in}\,x_{in} + W_{rec}\,z_{t-1}$ (:func:`snn_neurons.lif_step`).
``p.method="adjoint"`` selects the adjoint step functions (event-based backward pass); it works
here, unlike in Norse 1.1.0, where it raised ``ValueError``.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..functional.lif import (
    LIFFeedForwardState,
    LIFParameters,
    LIFState,
    lif_feed_forward_step,
    lif_feed_forward_step_sparse,
    lif_step,
    lif_step_sparse,
)
from ..functional.lif_adjoint import lif_feed_forward_adjoint_step, lif_feed_forward_adjoint_step_sparse
from ._checks import filled, zeros
from ._common import WithMethod, adjoint_recurrent_steps, is_adjoint, prepare, tensor_fields
from ._model import Model, ModelCell, ModelLayer, ModelRecurrent, ModelRecurrentCell

__all__ = ["LIF", "LIFCell", "LIFRecurrent", "LIFRecurrentCell"]


def _lif_parameters(owner: str, p: LIFParameters, dt: float) -> LIFParameters:
    return prepare(owner, tensor_fields(p), dt)


def _feed_forward_steps(adjoint: bool) -> tuple[Any, Any]:
    if adjoint:
        return WithMethod(lif_feed_forward_adjoint_step), WithMethod(lif_feed_forward_adjoint_step_sparse)
    return lif_feed_forward_step, lif_feed_forward_step_sparse


def _recurrent_steps(owner: str, adjoint: bool) -> tuple[Any, Any]:
    if not adjoint:
        return lif_step, lif_step_sparse
    from ..functional import lif_adjoint

    return adjoint_recurrent_steps(owner, lif_adjoint, "lif_adjoint_step", "p.method")


def _feed_forward_state(p: LIFParameters, shape: tuple[int, ...], like: Tensor) -> LIFFeedForwardState:
    return LIFFeedForwardState(v=filled(shape, p.v_leak, like, "p.v_leak"), i=zeros(shape, like))


def _recurrent_state(p: LIFParameters, shape: tuple[int, ...], like: Tensor) -> LIFState:
    z = zeros(shape, like)
    return LIFState(
        z=z.to_sparse() if like.is_sparse else z,
        v=filled(shape, p.v_leak, like, "p.v_leak"),
        i=zeros(shape, like),
    )


_LIF = Model(
    feed_forward_state=_feed_forward_state,
    feed_forward=_feed_forward_steps,
    sequence="lif_feed_forward_sequence",
    recurrent_state=_recurrent_state,
    recurrent=_recurrent_steps,
    recurrent_sequence="lif_recurrent_sequence",
    parameters=_lif_parameters,
    is_adjoint=is_adjoint,
)


class LIFCell(ModelCell):
    r"""One LIF step per call (no time dimension); see the module docstring for the equations.

    The initial state (``state=None``) is $v = v_{leak}$, $i = 0$, shaped like the input, on its
    device and in its dtype (Norse starts from a 0-dim ``v``; the numbers are the same).

    Args:
        p: LIF parameters; ``method="adjoint"`` uses :func:`snn_neurons.lif_feed_forward_adjoint_step`.
        dt: integration time step (> 0), as a keyword.

    Example:
        >>> cell = LIFCell()
        >>> z, s = cell(torch.full((8, 4), 200.0))      # one step
        >>> z, s = cell(torch.full((8, 4), 200.0), s)   # the next step
        >>> z.shape, s.v.shape
        (torch.Size([8, 4]), torch.Size([8, 4]))

    Raises:
        ValueError: for out-of-range parameters, ``dt <= 0``, or a state that does not match the input.
    """

    _model = _LIF

    def __init__(self, p: LIFParameters = LIFParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIF(ModelLayer):
    r"""LIF neurons over a time-first input ``[T, ...]``; returns ``(spikes [T, ...], state)``.

    The initial state (``state=None``) is $v = v_{leak}$, $i = 0$ shaped ``input.shape[1:]``, in the
    input's dtype and device.

    Uses the fused whole-sequence path (``snn_neurons.sequence``) when it is available, the input is
    dense, ``record_states`` is off and ``method`` is not ``"adjoint"``; otherwise loops
    :func:`snn_neurons.lif_feed_forward_step` over time. Both give the same numbers.

    Args:
        p: LIF parameters; ``method="adjoint"`` uses the adjoint step functions.
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend such as ``"cuda"`` (see :class:`SNN`).

    Example:
        >>> layer = LIF()
        >>> spikes, state = layer(torch.full((100, 8, 4), 200.0))
        >>> spikes.shape, state.v.shape
        (torch.Size([100, 8, 4]), torch.Size([8, 4]))

    Raises:
        ValueError: for out-of-range parameters, ``dt <= 0``, an invalid ``backend``, an input without
            a time step, or a state that does not match ``input.shape[1:]``.
    """

    _model = _LIF

    def __init__(self, p: LIFParameters = LIFParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIFRecurrentCell(ModelRecurrentCell):
    r"""One recurrent LIF step per call: input ``[..., input_size]`` to spikes ``[..., hidden_size]``.

    The initial state (``state=None``) is $z = 0$, $v = v_{leak}$, $i = 0$ shaped ``(*input.shape[:-1],
    hidden_size)``, in the input's dtype and device.

    $x = W_{in}\,x_{in} + W_{rec}\,z_{t-1}$ enters the current; the reset uses the detached spike.
    Weights, autapses and their initialisation as in :class:`SNNRecurrentCell`.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: LIF parameters; ``method="adjoint"`` uses :func:`snn_neurons.lif_adjoint_step`.
        input_weights, recurrent_weights, autapses, dt: keywords, see :class:`SNNRecurrentCell`.

    Example:
        >>> cell = LIFRecurrentCell(4, 16)
        >>> z, s = cell(torch.rand(8, 4))
        >>> z.shape
        torch.Size([8, 16])

    Raises:
        ValueError: for invalid sizes, weights, parameters or ``dt``; an input whose last dimension is
            not ``input_size``; a state that does not match ``(*input.shape[:-1], hidden_size)``.
    """

    _model = _LIF

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFParameters = LIFParameters(), **kwargs: Any
    ) -> None:
        super().__init__(input_size, hidden_size, p, **kwargs)


class LIFRecurrent(ModelRecurrent):
    r"""Recurrent LIF neurons over a time-first input ``[T, ..., input_size]``.

    The initial state (``state=None``) is $z = 0$, $v = v_{leak}$, $i = 0$ shaped ``(*input.shape[1:-1],
    hidden_size)``, in the input's dtype and device.

    Loops :class:`LIFRecurrentCell`'s step over time; returns ``(spikes [T, ..., hidden], state)``.
    For dense input with ``record_states`` off and ``method`` not ``"adjoint"`` it calls the fused
    whole-sequence path :func:`snn_neurons.sequence.lif_recurrent_sequence` instead (one autograd node
    for all steps; same outputs and state bit for bit, gradients up to float round-off).

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: LIF parameters; ``method="adjoint"`` uses :func:`snn_neurons.lif_adjoint_step`.
        input_weights, recurrent_weights, autapses, dt, record_states: keywords, see
            :class:`SNNRecurrent`.

    Example:
        >>> layer = LIFRecurrent(4, 16)
        >>> spikes, state = layer(torch.rand(50, 8, 4))
        >>> spikes.shape
        torch.Size([50, 8, 16])
    """

    _model = _LIF

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFParameters = LIFParameters(), **kwargs: Any
    ) -> None:
        super().__init__(input_size, hidden_size, p, **kwargs)
