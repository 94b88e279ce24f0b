r"""Leaky-integrator modules: :class:`LICell`, :class:`LI` and :class:`LILinearCell`.

A leaky integrator is a LIF neuron without threshold; its output is the voltage
(see :func:`snn_neurons.li_feed_forward_step`):

$$ j = i + x, \qquad v' = v + (\Delta t\,\tau_{mem}^{-1})\,((v_{leak} - v) + j), \qquad
   i' = j + (-\Delta t\,\tau_{syn}^{-1})\,j, \qquad \text{output } v' $$
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from ..functional.leaky_integrator import LIParameters, LIState, li_feed_forward_step, li_step
from ._checks import filled, zeros
from ._model import Model, ModelCell, ModelLayer, SizedCell

__all__ = ["LI", "LICell", "LILinearCell"]


def _li_state(p: LIParameters, shape: tuple[int, ...], like: Tensor) -> LIState:
    return LIState(v=filled(shape, p.v_leak, like, "p.v_leak"), i=zeros(shape, like))


_LI = Model(
    feed_forward_state=_li_state,
    feed_forward=lambda adjoint: (li_feed_forward_step, None),
    sequence="li_feed_forward_sequence",
)


class LICell(ModelCell):
    r"""One leaky-integrator step per call; returns ``(v, state)``.

    The initial state is $v = v_{leak}$, $i = 0$ shaped like the input (its dtype and device).

    Args:
        p: leaky-integrator parameters.
        dt: integration time step (> 0), as a keyword.

    Example:
        >>> cell = LICell()
        >>> v, s = cell(torch.ones(8, 4))
        >>> v.shape
        torch.Size([8, 4])

    Raises:
        ValueError: for out-of-range parameters, ``dt <= 0`` or a state that does not match the input.
    """

    _model = _LI

    def __init__(self, p: LIParameters = LIParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LI(ModelLayer):
    r"""Leaky integrators over a time-first input ``[T, ...]``; returns ``(voltages [T, ...], state)``.

    The initial state (``state=None``) is $v = v_{leak}$, $i = 0$ shaped ``input.shape[1:]``, in the
    input's dtype and device.

    Args:
        p: leaky-integrator parameters.
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend (see :class:`SNN`).

    Example:
        >>> v, s = LI()(torch.ones(100, 8, 4))
        >>> v.shape, s.i.shape
        (torch.Size([100, 8, 4]), torch.Size([8, 4]))
    """

    _model = _LI

    def __init__(self, p: LIParameters = LIParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LILinearCell(SizedCell):
    r"""A linear map followed by one leaky-integrator step: $x = W x_{in}$ (no bias), then :class:`LICell`.

    The weights are drawn as in Norse: $W = \mathcal{N}(0, 1)^{h \times n} / \sqrt{n}$.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of integrators.
        p: leaky-integrator parameters.
        dt: integration time step (> 0).

    Example:
        >>> readout = LILinearCell(16, 10)
        >>> v, s = readout(torch.rand(8, 16))
        >>> v.shape
        torch.Size([8, 10])

    Raises:
        ValueError: for invalid sizes, parameters or ``dt``; an input whose last dimension is not
            ``input_size``; a state that does not match ``(*input.shape[:-1], hidden_size)``.
    """

    def __init__(
        self, input_size: int, hidden_size: int, p: LIParameters = LIParameters(), dt: float = 0.001
    ) -> None:
        super().__init__(input_size, hidden_size, p, dt)
        w = torch.randn(self.hidden_size, self.input_size) / math.sqrt(self.input_size)
        self.input_weights = nn.Parameter(w)

    def initial_state(self, input_tensor: Tensor) -> LIState:
        """$v = v_{leak}$, $i = 0$ shaped ``(*input.shape[:-1], hidden_size)``."""
        return _li_state(self.p, (*input_tensor.shape[:-1], self.hidden_size), input_tensor)

    def forward(self, input_tensor: Tensor, state: LIState | None = None) -> tuple[Tensor, LIState]:
        """One step: returns ``(v, LIState)``."""
        state = self._checked_state(input_tensor, state)
        return li_step(input_tensor, state, self.input_weights, self.p, self.dt)
