r"""Exponential LIF modules: :class:`LIFExCell`, :class:`LIFEx`, :class:`LIFExRecurrentCell`, :class:`LIFExRecurrent`.

Exponential integrate-and-fire neurons (see :func:`snn_neurons.lif_ex_feed_forward_step`):

$$ \begin{aligned}
  j &= i + x, \qquad v_1 = v + (\Delta t\,\tau_{mem}^{-1})\,(((v_{leak} - v) + \Delta_T e^{(v - v_{th})/\Delta_T}) + j) \\
  z &= \Theta(v_1 - v_{th}), \qquad v' = (1 - z)\,v_1 + z\,v_{reset}
\end{aligned} $$

The recurrent modules use $x = W_{in}\,x_{in} + W_{rec}\,z_{t-1}$ (:func:`snn_neurons.lif_ex_step`).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..functional.lif_ex import (
    LIFExFeedForwardState,
    LIFExParameters,
    LIFExState,
    lif_ex_feed_forward_step,
    lif_ex_step,
)
from ._checks import filled, zeros
from ._model import Model, ModelCell, ModelLayer, ModelRecurrent, ModelRecurrentCell

__all__ = ["LIFEx", "LIFExCell", "LIFExRecurrent", "LIFExRecurrentCell"]


def _feed_forward_state(p: LIFExParameters, shape: tuple[int, ...], like: Tensor) -> LIFExFeedForwardState:
    v = filled(shape, p.v_leak, like, "p.v_leak")
    return LIFExFeedForwardState(v, zeros(shape, like))


def _recurrent_state(p: LIFExParameters, shape: tuple[int, ...], like: Tensor) -> LIFExState:
    v = filled(shape, p.v_leak, like, "p.v_leak")
    return LIFExState(zeros(shape, like), v, zeros(shape, like))


_LIF_EX = Model(
    feed_forward_state=_feed_forward_state,
    feed_forward=lambda adjoint: (lif_ex_feed_forward_step, None),
    sequence="lif_ex_feed_forward_sequence",
    recurrent_state=_recurrent_state,
    recurrent=lambda owner, adjoint: (lif_ex_step, None),
)


class LIFExCell(ModelCell):
    r"""One Exponential LIF step per call; the initial state is $v = v_{leak}$, $i = 0$ shaped like the input.

    Args:
        p: Exponential LIF parameters.
        dt: integration time step (> 0), as a keyword.

    Example:
        >>> z, s = LIFExCell()(torch.full((8, 4), 200.0))
        >>> z.shape, s.v.shape
        (torch.Size([8, 4]), torch.Size([8, 4]))

    Raises:
        ValueError: for out-of-range parameters, ``dt <= 0`` or a state that does not match the input.
    """

    _model = _LIF_EX

    def __init__(self, p: LIFExParameters = LIFExParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIFEx(ModelLayer):
    r"""Exponential LIF neurons over a time-first input ``[T, ...]``; returns ``(spikes [T, ...], state)``.

    The initial state (``state=None``) is $v = v_{leak}$, $i = 0$ shaped ``input.shape[1:]``, in the
    input's dtype and device.

    Args:
        p: Exponential LIF parameters.
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend (see :class:`SNN`).

    Example:
        >>> z, s = LIFEx()(torch.full((50, 8, 4), 200.0))
        >>> z.shape
        torch.Size([50, 8, 4])
    """

    _model = _LIF_EX

    def __init__(self, p: LIFExParameters = LIFExParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIFExRecurrentCell(ModelRecurrentCell):
    r"""One recurrent Exponential LIF step per call: ``[..., input_size] -> [..., hidden_size]``.

    The initial state (``state=None``) is $z = 0$ and $v = v_{leak}$, $i = 0$ shaped ``(*input.shape[:-1],
    hidden_size)``, in the input's dtype and device.

    Weights, autapses and their initialisation as in :class:`SNNRecurrentCell`.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: Exponential LIF parameters.
        input_weights, recurrent_weights, autapses, dt: keywords, see :class:`SNNRecurrentCell`.

    Example:
        >>> z, s = LIFExRecurrentCell(4, 16)(torch.rand(8, 4))
        >>> z.shape
        torch.Size([8, 16])
    """

    _model = _LIF_EX

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFExParameters = LIFExParameters(), **kwargs: Any
    ) -> None:
        super().__init__(input_size, hidden_size, p, **kwargs)


class LIFExRecurrent(ModelRecurrent):
    r"""Recurrent Exponential LIF neurons over a time-first input ``[T, ..., input_size]``.

    The initial state (``state=None``) is $z = 0$ and $v = v_{leak}$, $i = 0$ shaped
    ``(*input.shape[1:-1], hidden_size)``, in the input's dtype and device.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: Exponential LIF parameters.
        input_weights, recurrent_weights, autapses, dt, record_states: keywords, see
            :class:`SNNRecurrent`.

    Example:
        >>> z, s = LIFExRecurrent(4, 16)(torch.rand(50, 8, 4))
        >>> z.shape
        torch.Size([50, 8, 16])
    """

    _model = _LIF_EX

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFExParameters = LIFExParameters(), **kwargs: Any
    ) -> None:
        super().__init__(input_size, hidden_size, p, **kwargs)
