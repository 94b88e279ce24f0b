r"""LSNN modules (adaptive threshold): :class:`LSNNCell`, :class:`LSNN`, :class:`LSNNRecurrentCell`,
:class:`LSNNRecurrent`.

See :func:`snn_neurons.lsnn_feed_forward_step`; the threshold $b$ jumps by $\beta$ at each spike and
relaxes to $v_{th}$; the input enters the current *after* the step:

$$ v_1 = v + (\Delta t\,\tau_{mem}^{-1})((v_{leak} - v) + i), \quad
   b_1 = b + (\Delta t\,\tau_{b}^{-1})(v_{th} - b), \quad z = \Theta(v_1 - b_1), \quad
   b' = b_1 + z\beta, \quad i' = i + (-\Delta t\,\tau_{syn}^{-1})\,i + x $$

``adjoint=True`` selects the adjoint step functions (event-based backward pass).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..functional.lsnn import (
    LSNNFeedForwardState,
    LSNNParameters,
    LSNNState,
    lsnn_feed_forward_step,
    lsnn_step,
)
from ..functional.lsnn_adjoint import lsnn_adjoint_step, lsnn_feed_forward_adjoint_step
from ._checks import filled, zeros
from ._model import Model, ModelCell, ModelLayer, ModelRecurrent, ModelRecurrentCell

__all__ = ["LSNN", "LSNNCell", "LSNNRecurrent", "LSNNRecurrentCell"]


def _feed_forward_state(p: LSNNParameters, shape: tuple[int, ...], like: Tensor) -> LSNNFeedForwardState:
    return LSNNFeedForwardState(
        v=filled(shape, p.v_leak, like, "p.v_leak"),
        i=zeros(shape, like),
        b=filled(shape, p.v_th, like, "p.v_th"),
    )


def _recurrent_state(p: LSNNParameters, shape: tuple[int, ...], like: Tensor) -> LSNNState:
    s = _feed_forward_state(p, shape, like)
    return LSNNState(z=zeros(shape, like), v=s.v, i=s.i, b=s.b)


_LSNN = Model(
    feed_forward_state=_feed_forward_state,
    feed_forward=lambda adjoint: (
        lsnn_feed_forward_adjoint_step if adjoint else lsnn_feed_forward_step,
        None,
    ),
    sequence="lsnn_feed_forward_sequence",
    recurrent_state=_recurrent_state,
    recurrent=lambda owner, adjoint: (lsnn_adjoint_step if adjoint else lsnn_step, None),
)


class LSNNCell(ModelCell):
    r"""One LSNN step per call; the initial state is $v = v_{leak}$, $i = 0$, $b = v_{th}$ like the input.

    Args:
        p: LSNN parameters.
        adjoint: use :func:`snn_neurons.lsnn_feed_forward_adjoint_step`.
        dt: integration time step (> 0), as a keyword.

    Example:
        >>> z, s = LSNNCell()(torch.full((2, 3), 200.0))
        >>> s.b.shape
        torch.Size([2, 3])
    """

    _model = _LSNN

    def __init__(self, p: LSNNParameters = LSNNParameters(), adjoint: bool = False, **kwargs: Any) -> None:
        super().__init__(p, adjoint, **kwargs)
        self.adjoint = bool(adjoint)


class LSNN(ModelLayer):
    r"""LSNN neurons over a time-first input ``[T, ...]``.

    The initial state (``state=None``) is $v = v_{leak}$, $i = 0$, $b = v_{th}$ shaped
    ``input.shape[1:]``, in the input's dtype and device.

    Args:
        p: LSNN parameters.
        adjoint: use the adjoint step function.
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend (see :class:`SNN`).

    Example:
        >>> z, s = LSNN()(torch.full((50, 2, 3), 200.0))
        >>> z.shape
        torch.Size([50, 2, 3])
    """

    _model = _LSNN

    def __init__(self, p: LSNNParameters = LSNNParameters(), adjoint: bool = False, **kwargs: Any) -> None:
        super().__init__(p, adjoint, **kwargs)
        self.adjoint = bool(adjoint)


class LSNNRecurrentCell(ModelRecurrentCell):
    r"""One recurrent LSNN step per call: ``[..., input_size] -> [..., hidden_size]``.

    The initial state (``state=None``) is $z = 0$, $v = v_{leak}$, $i = 0$, $b = v_{th}$ shaped
    ``(*input.shape[:-1], hidden_size)``, in the input's dtype and device.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: LSNN parameters.
        adjoint: use :func:`snn_neurons.lsnn_adjoint_step`.
        input_weights, recurrent_weights, autapses, dt: keywords, see :class:`SNNRecurrentCell`.

    Example:
        >>> z, s = LSNNRecurrentCell(4, 8)(torch.rand(2, 4))
        >>> z.shape
        torch.Size([2, 8])
    """

    _model = _LSNN

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        p: LSNNParameters = LSNNParameters(),
        adjoint: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(input_size, hidden_size, p, adjoint, **kwargs)
        self.adjoint = bool(adjoint)


class LSNNRecurrent(ModelRecurrent):
    r"""Recurrent LSNN neurons over a time-first input ``[T, ..., input_size]``.

    The initial state (``state=None``) is $z = 0$, $v = v_{leak}$, $i = 0$, $b = v_{th}$ shaped
    ``(*input.shape[1:-1], hidden_size)``, in the input's dtype and device.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: LSNN parameters.
        adjoint: use :func:`snn_neurons.lsnn_adjoint_step`.
        input_weights, recurrent_weights, autapses, dt, record_states: keywords, see
            :class:`SNNRecurrent`.

    Example:
        >>> z, s = LSNNRecurrent(4, 8)(torch.rand(50, 2, 4))
        >>> z.shape
        torch.Size([50, 2, 8])
    """

    _model = _LSNN

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        p: LSNNParameters = LSNNParameters(),
        adjoint: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(input_size, hidden_size, p, adjoint, **kwargs)
        self.adjoint = bool(adjoint)
