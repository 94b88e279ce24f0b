r"""Multi-compartment LIF modules: :class:`LIFMCRecurrentCell` and :class:`LIFMCRefracRecurrentCell`.

Recurrent LIF (or refractory LIF) neurons whose compartments are coupled by a matrix $G$
``[hidden, hidden]`` (see :func:`snn_neurons.lif_mc_step`, :func:`snn_neurons.lif_mc_refrac_step`).
$G$ is a parameter drawn after the weights, $G = \mathcal{N}(0,1)^{h\times h}/\sqrt{h}$, as in Norse.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ..functional.lif import LIFParameters, LIFState
from ..functional.lif_mc import lif_mc_step
from ..functional.lif_mc_refrac import lif_mc_refrac_step
from ..functional.lif_refrac import LIFRefracParameters, LIFRefracState
from ._checks import filled, zeros
from ._common import prepare
from .base import SNNRecurrentCell, _as_weight

__all__ = ["LIFMCRecurrentCell", "LIFMCRefracRecurrentCell"]


def _coupling(owner: str, hidden_size: int, g_coupling: Tensor | None) -> nn.Parameter:
    if g_coupling is None:
        return nn.Parameter(torch.randn(hidden_size, hidden_size) / math.sqrt(hidden_size))
    return _as_weight(owner, "g_coupling", g_coupling, (hidden_size, hidden_size))


def _lif_state(p: LIFParameters, shape: tuple[int, ...], like: Tensor) -> LIFState:
    return LIFState(z=zeros(shape, like), v=filled(shape, p.v_leak, like, "p.v_leak"), i=zeros(shape, like))


class _MCRecurrentCell(SNNRecurrentCell):
    """A recurrent cell whose step also takes the coupling matrix ``g_coupling``."""

    check_state_shapes = True
    _step: Callable[..., tuple[Tensor, Any]]

    def __init__(
        self, input_size: int, hidden_size: int, p: Any, g_coupling: Tensor | None, **kwargs: Any
    ) -> None:
        owner = type(self).__name__
        p = prepare(owner, p, kwargs.get("dt", 0.001))
        super().__init__(type(self)._step, self.initial_state, input_size, hidden_size, p, **kwargs)
        self.g_coupling = _coupling(owner, self.hidden_size, g_coupling)

    def initial_state(self, input_tensor: Tensor) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def forward(self, input_tensor: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """One step: returns ``(spikes, state)``."""
        self._check_input_size(input_tensor)
        state = self._state(input_tensor, state)
        w_in, w_rec = self.input_weights, self.effective_recurrent_weights()
        return type(self)._step(input_tensor, state, w_in, w_rec, self.g_coupling, self.p, self.dt)


class LIFMCRecurrentCell(_MCRecurrentCell):
    r"""One recurrent multi-compartment LIF step: :func:`snn_neurons.lif_step`, then
    $v' = v_{LIF} + \Delta t\,(v_{LIF} G^T)$.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons (compartments).
        p: LIF parameters.
        g_coupling: optional ``[hidden, hidden]`` coupling (an ``nn.Parameter`` is shared, any other
            tensor copied into a new parameter); drawn at random when ``None``.
        input_weights, recurrent_weights, autapses, dt: keywords, see :class:`SNNRecurrentCell`.

    Example:
        >>> z, s = LIFMCRecurrentCell(4, 8)(torch.rand(2, 4))
        >>> z.shape
        torch.Size([2, 8])
    """

    _step = staticmethod(lif_mc_step)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        p: LIFParameters = LIFParameters(),
        g_coupling: Tensor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(input_size, hidden_size, p, g_coupling, **kwargs)

    def initial_state(self, input_tensor: Tensor) -> LIFState:
        """$z = 0$, $v = v_{leak}$, $i = 0$ shaped ``(*input.shape[:-1], hidden_size)``."""
        return _lif_state(self.p, self.expected_state_shape(input_tensor), input_tensor)


class LIFMCRefracRecurrentCell(_MCRecurrentCell):
    r"""One recurrent multi-compartment refractory LIF step (:func:`snn_neurons.lif_mc_refrac_step`).

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons (compartments).
        p: refractory LIF parameters.
        g_coupling: optional ``[hidden, hidden]`` coupling; drawn at random when ``None``.
        input_weights, recurrent_weights, autapses, dt: keywords, see :class:`SNNRecurrentCell`.

    Example:
        >>> z, s = LIFMCRefracRecurrentCell(4, 8)(torch.rand(2, 4))
        >>> s.rho.shape
        torch.Size([2, 8])
    """

    _step = staticmethod(lif_mc_refrac_step)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        p: LIFRefracParameters = LIFRefracParameters(),
        g_coupling: Tensor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(input_size, hidden_size, p, g_coupling, **kwargs)

    def initial_state(self, input_tensor: Tensor) -> LIFRefracState:
        """$z = 0$, $v = v_{leak}$, $i = 0$, $\\rho = 0$ shaped ``(*input.shape[:-1], hidden_size)``."""
        shape = self.expected_state_shape(input_tensor)
        return LIFRefracState(_lif_state(self.p.lif, shape, input_tensor), rho=zeros(shape, input_tensor))
