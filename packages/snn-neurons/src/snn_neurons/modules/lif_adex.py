r"""Adaptive exponential LIF modules: :class:`LIFAdExCell`, :class:`LIFAdEx`, :class:`LIFAdExRecurrentCell`, :class:`LIFAdExRecurrent`.

Adaptive exponential integrate-and-fire neurons (see :func:`snn_neurons.lif_adex_feed_forward_step`):

$$ \begin{aligned}
  j &= i + x, \qquad v_1 = v + (\Delta t\,\tau_{mem}^{-1})\,((((v_{leak} - v) + \Delta_T e^{(v - v_{th})/\Delta_T}) + j) - a) \\
  a_1 &= a + (\Delta t\,\tau_{ada}^{-1})\,(a_{current}(v - v_{leak}) - a), \qquad z = \Theta(v_1 - v_{th}) \\
  v' &= (1 - z)\,v_1 + z\,v_{reset}, \qquad a' = a_1 + z\,a_{spike}
\end{aligned} $$

The recurrent modules use $x = W_{in}\,x_{in} + W_{rec}\,z_{t-1}$ (:func:`snn_neurons.lif_adex_step`).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..functional.lif_adex import (
    LIFAdExFeedForwardState,
    LIFAdExParameters,
    LIFAdExState,
    lif_adex_feed_forward_step,
    lif_adex_step,
)
from ._checks import filled, zeros
from ._model import Model, ModelCell, ModelLayer, ModelRecurrent, ModelRecurrentCell

__all__ = ["LIFAdEx", "LIFAdExCell", "LIFAdExRecurrent", "LIFAdExRecurrentCell"]


def _feed_forward_state(
    p: LIFAdExParameters, shape: tuple[int, ...], like: Tensor
) -> LIFAdExFeedForwardState:
    v = filled(shape, p.v_leak, like, "p.v_leak")
    return LIFAdExFeedForwardState(v, zeros(shape, like), zeros(shape, like))


def _recurrent_state(p: LIFAdExParameters, shape: tuple[int, ...], like: Tensor) -> LIFAdExState:
    v = filled(shape, p.v_leak, like, "p.v_leak")
    return LIFAdExState(zeros(shape, like), v, zeros(shape, like), zeros(shape, like))


_LIF_ADEX = Model(
    feed_forward_state=_feed_forward_state,
    feed_forward=lambda adjoint: (lif_adex_feed_forward_step, None),
    sequence="lif_adex_feed_forward_sequence",
    recurrent_state=_recurrent_state,
    recurrent=lambda owner, adjoint: (lif_adex_step, None),
)


class LIFAdExCell(ModelCell):
    r"""One Adaptive exponential LIF step per call; the initial state is $v = v_{leak}$, $i = a = 0$ shaped like the input.

    Args:
        p: Adaptive exponential LIF parameters.
        dt: integration time step (> 0), as a keyword.

    Example:
        >>> z, s = LIFAdExCell()(torch.full((8, 4), 200.0))
        >>> z.shape, s.v.shape
        (torch.Size([8, 4]), torch.Size([8, 4]))

    Raises:
        ValueError: for out-of-range parameters, ``dt <= 0`` or a state that does not match the input.
    """

    _model = _LIF_ADEX

    def __init__(self, p: LIFAdExParameters = LIFAdExParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIFAdEx(ModelLayer):
    r"""Adaptive exponential LIF neurons over a time-first input ``[T, ...]``; returns ``(spikes [T, ...], state)``.

    The initial state (``state=None``) is $v = v_{leak}$, $i = a = 0$ shaped ``input.shape[1:]``, in the
    input's dtype and device.

    Args:
        p: Adaptive exponential LIF parameters.
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend (see :class:`SNN`).

    Example:
        >>> z, s = LIFAdEx()(torch.full((50, 8, 4), 200.0))
        >>> z.shape
        torch.Size([50, 8, 4])
    """

    _model = _LIF_ADEX

    def __init__(self, p: LIFAdExParameters = LIFAdExParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIFAdExRecurrentCell(ModelRecurrentCell):
    r"""One recurrent Adaptive exponential LIF step per call: ``[..., input_size] -> [..., hidden_size]``.

    The initial state (``state=None``) is $z = 0$ and $v = v_{leak}$, $i = a = 0$ shaped
    ``(*input.shape[:-1], hidden_size)``, in the input's dtype and device.

    Weights, autapses and their initialisation as in :class:`SNNRecurrentCell`.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: Adaptive exponential LIF parameters.
        input_weights, recurrent_weights, autapses, dt: keywords, see :class:`SNNRecurrentCell`.

    Example:
        >>> z, s = LIFAdExRecurrentCell(4, 16)(torch.rand(8, 4))
        >>> z.shape
        torch.Size([8, 16])
    """

    _model = _LIF_ADEX

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFAdExParameters = LIFAdExParameters(), **kwargs: Any
    ) -> None:
        super().__init__(input_size, hidden_size, p, **kwargs)


class LIFAdExRecurrent(ModelRecurrent):
    r"""Recurrent Adaptive exponential LIF neurons over a time-first input ``[T, ..., input_size]``.

    The initial state (``state=None``) is $z = 0$ and $v = v_{leak}$, $i = a = 0$ shaped
    ``(*input.shape[1:-1], hidden_size)``, in the input's dtype and device.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: Adaptive exponential LIF parameters.
        input_weights, recurrent_weights, autapses, dt, record_states: keywords, see
            :class:`SNNRecurrent`.

    Example:
        >>> z, s = LIFAdExRecurrent(4, 16)(torch.rand(50, 8, 4))
        >>> z.shape
        torch.Size([50, 8, 16])
    """

    _model = _LIF_ADEX

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFAdExParameters = LIFAdExParameters(), **kwargs: Any
    ) -> None:
        super().__init__(input_size, hidden_size, p, **kwargs)
