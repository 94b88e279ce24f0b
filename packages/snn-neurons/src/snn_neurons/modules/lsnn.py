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
from ._common import prepare, sequence_function
from .base import SNN, SNNCell, SNNRecurrent, SNNRecurrentCell

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


class LSNNCell(SNNCell):
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

    check_state_shapes = True

    def __init__(self, p: LSNNParameters = LSNNParameters(), adjoint: bool = False, **kwargs: Any) -> None:
        p = prepare(type(self).__name__, p, kwargs.get("dt", 0.001))
        step = lsnn_feed_forward_adjoint_step if adjoint else lsnn_feed_forward_step
        super().__init__(step, self.initial_state, p=p, **kwargs)
        self.adjoint = bool(adjoint)

    def initial_state(self, input_tensor: Tensor) -> LSNNFeedForwardState:
        """$v = v_{leak}$, $i = 0$, $b = v_{th}$ with the input's shape, dtype and device."""
        return _feed_forward_state(self.p, tuple(input_tensor.shape), input_tensor)


class LSNN(SNN):
    r"""LSNN neurons over a time-first input ``[T, ...]``.

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

    check_state_shapes = True

    def __init__(self, p: LSNNParameters = LSNNParameters(), adjoint: bool = False, **kwargs: Any) -> None:
        p = prepare(type(self).__name__, p, kwargs.get("dt", 0.001))
        step = lsnn_feed_forward_adjoint_step if adjoint else lsnn_feed_forward_step
        sequence = None if adjoint else sequence_function("lsnn_feed_forward_sequence")
        super().__init__(step, self.initial_state, p=p, sequence=sequence, **kwargs)
        self.adjoint = bool(adjoint)

    def initial_state(self, input_tensor: Tensor) -> LSNNFeedForwardState:
        """$v = v_{leak}$, $i = 0$, $b = v_{th}$ shaped ``input.shape[1:]``."""
        return _feed_forward_state(self.p, tuple(input_tensor.shape[1:]), input_tensor)


class LSNNRecurrentCell(SNNRecurrentCell):
    r"""One recurrent LSNN step per call: ``[..., input_size] -> [..., hidden_size]``.

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

    check_state_shapes = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        p: LSNNParameters = LSNNParameters(),
        adjoint: bool = False,
        **kwargs: Any,
    ) -> None:
        p = prepare(type(self).__name__, p, kwargs.get("dt", 0.001))
        step = lsnn_adjoint_step if adjoint else lsnn_step
        super().__init__(step, self.initial_state, input_size, hidden_size, p, **kwargs)
        self.adjoint = bool(adjoint)

    def initial_state(self, input_tensor: Tensor) -> LSNNState:
        """$z = 0$, $v = v_{leak}$, $i = 0$, $b = v_{th}$ shaped ``(*input.shape[:-1], hidden_size)``."""
        return _recurrent_state(self.p, self.expected_state_shape(input_tensor), input_tensor)


class LSNNRecurrent(SNNRecurrent):
    r"""Recurrent LSNN neurons over a time-first input ``[T, ..., input_size]``.

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

    check_state_shapes = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        p: LSNNParameters = LSNNParameters(),
        adjoint: bool = False,
        **kwargs: Any,
    ) -> None:
        p = prepare(type(self).__name__, p, kwargs.get("dt", 0.001))
        step = lsnn_adjoint_step if adjoint else lsnn_step
        super().__init__(step, self.initial_state, input_size, hidden_size, p, **kwargs)
        self.adjoint = bool(adjoint)

    def initial_state(self, input_tensor: Tensor) -> LSNNState:
        """$z = 0$, $v = v_{leak}$, $i = 0$, $b = v_{th}$ shaped ``(*input.shape[1:-1], hidden_size)``."""
        return _recurrent_state(self.p, self.expected_state_shape(input_tensor), input_tensor)
