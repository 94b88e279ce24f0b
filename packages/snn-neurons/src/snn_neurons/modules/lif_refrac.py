r"""Refractory LIF modules: :class:`LIFRefracCell`, :class:`LIFRefrac`, :class:`LIFRefracRecurrentCell`,
:class:`LIFRefracRecurrent`.

A LIF step followed by an absolute refractory period of ``rho_reset`` steps
(see :func:`snn_neurons.lif_refrac_feed_forward_step`): with $m = \Theta(\rho)$,

$$ v' = (1 - m)\,v_{lif} + m\,v, \qquad z = (1 - m)\,z_{lif}, \qquad
   \rho' = (1 - z)\max(\rho - m, 0) + z\,\rho_{reset} $$

``p.lif.method="adjoint"`` selects the adjoint step functions (it raised ``ValueError`` in Norse 1.1.0).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..functional.lif import LIFFeedForwardState, LIFState
from ..functional.lif_refrac import (
    LIFRefracFeedForwardState,
    LIFRefracParameters,
    LIFRefracState,
    lif_refrac_feed_forward_step,
    lif_refrac_step,
    lif_refrac_step_sparse,
)
from ..functional.lif_refrac_adjoint import lif_refrac_feed_forward_adjoint_step
from ._checks import filled, zeros
from ._common import WithMethod, is_adjoint, prepare, sequence_function, tensor_fields
from .base import SNN, SNNCell, SNNRecurrent, SNNRecurrentCell

__all__ = ["LIFRefrac", "LIFRefracCell", "LIFRefracRecurrent", "LIFRefracRecurrentCell"]


def _refrac_parameters(owner: str, p: LIFRefracParameters, dt: float) -> LIFRefracParameters:
    p = LIFRefracParameters(tensor_fields(p.lif), torch.as_tensor(p.rho_reset))
    return prepare(owner, p, dt)


def _feed_forward_step(p: LIFRefracParameters) -> Any:
    return WithMethod(lif_refrac_feed_forward_adjoint_step) if is_adjoint(p) else lif_refrac_feed_forward_step


def _recurrent_steps(owner: str, p: LIFRefracParameters) -> tuple[Any, Any]:
    if not is_adjoint(p):
        return lif_refrac_step, lif_refrac_step_sparse
    from ..functional import lif_refrac_adjoint

    step = getattr(lif_refrac_adjoint, "lif_refrac_adjoint_step", None)
    if step is None:
        raise ValueError(
            f"{owner}: p.lif.method='adjoint' needs snn_neurons.lif_refrac_adjoint_step, which this "
            f"version does not provide; use a surrogate method such as 'super'"
        )
    sparse = getattr(lif_refrac_adjoint, "lif_refrac_adjoint_step_sparse", None)
    return WithMethod(step), (WithMethod(sparse) if sparse is not None else None)


def _feed_forward_state(
    p: LIFRefracParameters, shape: tuple[int, ...], like: Tensor
) -> LIFRefracFeedForwardState:
    lif = LIFFeedForwardState(v=filled(shape, p.lif.v_leak, like, "p.lif.v_leak"), i=zeros(shape, like))
    return LIFRefracFeedForwardState(lif, rho=zeros(shape, like))


def _recurrent_state(p: LIFRefracParameters, shape: tuple[int, ...], like: Tensor) -> LIFRefracState:
    z = zeros(shape, like)
    lif = LIFState(
        z=z.to_sparse() if like.is_sparse else z,
        v=filled(shape, p.lif.v_leak, like, "p.lif.v_leak"),
        i=zeros(shape, like),
    )
    return LIFRefracState(lif, rho=zeros(shape, like))


class LIFRefracCell(SNNCell):
    r"""One refractory-LIF step per call; initial state $v = v_{leak}$, $i = 0$, $\rho = 0$ like the input.

    Args:
        p: refractory LIF parameters; ``p.lif.method="adjoint"`` uses
            :func:`snn_neurons.lif_refrac_feed_forward_adjoint_step`.
        dt: integration time step (> 0), as a keyword.

    Example:
        >>> z, s = LIFRefracCell()(torch.full((8, 4), 200.0))
        >>> s.rho.unique()
        tensor([5.])

    Raises:
        ValueError: for out-of-range parameters, ``dt <= 0`` or a state that does not match the input.
    """

    check_state_shapes = True

    def __init__(self, p: LIFRefracParameters = LIFRefracParameters(), **kwargs: Any) -> None:
        p = _refrac_parameters(type(self).__name__, p, kwargs.get("dt", 0.001))
        super().__init__(_feed_forward_step(p), self.initial_state, p=p, **kwargs)

    def initial_state(self, input_tensor: Tensor) -> LIFRefracFeedForwardState:
        """$v = v_{leak}$, $i = 0$, $\\rho = 0$ with the input's shape, dtype and device."""
        return _feed_forward_state(self.p, tuple(input_tensor.shape), input_tensor)


class LIFRefrac(SNN):
    r"""Refractory LIF neurons over a time-first input ``[T, ...]`` (a time layer Norse 1.1.0 lacks).

    Args:
        p: refractory LIF parameters; ``p.lif.method="adjoint"`` uses the adjoint step.
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend (see :class:`SNN`).

    Example:
        >>> z, s = LIFRefrac()(torch.full((12, 1), 200.0))
        >>> z.flatten()
        tensor([1., 0., 0., 0., 0., 0., 1., 0., 0., 0., 0., 0.])
    """

    check_state_shapes = True

    def __init__(self, p: LIFRefracParameters = LIFRefracParameters(), **kwargs: Any) -> None:
        p = _refrac_parameters(type(self).__name__, p, kwargs.get("dt", 0.001))
        sequence = None if is_adjoint(p) else sequence_function("lif_refrac_feed_forward_sequence")
        super().__init__(_feed_forward_step(p), self.initial_state, p=p, sequence=sequence, **kwargs)

    def initial_state(self, input_tensor: Tensor) -> LIFRefracFeedForwardState:
        """$v = v_{leak}$, $i = 0$, $\\rho = 0$ shaped ``input.shape[1:]``."""
        return _feed_forward_state(self.p, tuple(input_tensor.shape[1:]), input_tensor)


class LIFRefracRecurrentCell(SNNRecurrentCell):
    r"""One recurrent refractory-LIF step per call: ``[..., input_size] -> [..., hidden_size]``.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: refractory LIF parameters.
        input_weights, recurrent_weights, autapses, dt: keywords, see :class:`SNNRecurrentCell`.

    Example:
        >>> z, s = LIFRefracRecurrentCell(4, 16)(torch.rand(8, 4))
        >>> z.shape
        torch.Size([8, 16])
    """

    check_state_shapes = True

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFRefracParameters = LIFRefracParameters(), **kwargs: Any
    ) -> None:
        owner = type(self).__name__
        p = _refrac_parameters(owner, p, kwargs.get("dt", 0.001))
        step, step_sparse = _recurrent_steps(owner, p)
        super().__init__(
            activation=step,
            state_fallback=self.initial_state,
            input_size=input_size,
            hidden_size=hidden_size,
            p=p,
            activation_sparse=step_sparse,
            **kwargs,
        )

    def initial_state(self, input_tensor: Tensor) -> LIFRefracState:
        """$z = 0$, $v = v_{leak}$, $i = 0$, $\\rho = 0$ shaped ``(*input.shape[:-1], hidden_size)``."""
        return _recurrent_state(self.p, self.expected_state_shape(input_tensor), input_tensor)


class LIFRefracRecurrent(SNNRecurrent):
    r"""Recurrent refractory-LIF neurons over a time-first input ``[T, ..., input_size]``.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: refractory LIF parameters.
        input_weights, recurrent_weights, autapses, dt, record_states: keywords, see
            :class:`SNNRecurrent`.

    Example:
        >>> z, s = LIFRefracRecurrent(4, 16)(torch.rand(50, 8, 4))
        >>> z.shape
        torch.Size([50, 8, 16])
    """

    check_state_shapes = True

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFRefracParameters = LIFRefracParameters(), **kwargs: Any
    ) -> None:
        owner = type(self).__name__
        p = _refrac_parameters(owner, p, kwargs.get("dt", 0.001))
        step, step_sparse = _recurrent_steps(owner, p)
        super().__init__(
            activation=step,
            state_fallback=self.initial_state,
            input_size=input_size,
            hidden_size=hidden_size,
            p=p,
            activation_sparse=step_sparse,
            **kwargs,
        )

    def initial_state(self, input_tensor: Tensor) -> LIFRefracState:
        """$z = 0$, $v = v_{leak}$, $i = 0$, $\\rho = 0$ shaped ``(*input.shape[1:-1], hidden_size)``."""
        return _recurrent_state(self.p, self.expected_state_shape(input_tensor), input_tensor)
