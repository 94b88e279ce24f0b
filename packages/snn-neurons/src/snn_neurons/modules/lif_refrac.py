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
from ._common import WithMethod, adjoint_recurrent_steps, is_adjoint, prepare, tensor_fields
from ._model import Model, ModelCell, ModelLayer, ModelRecurrent, ModelRecurrentCell

__all__ = ["LIFRefrac", "LIFRefracCell", "LIFRefracRecurrent", "LIFRefracRecurrentCell"]


def _refrac_parameters(owner: str, p: LIFRefracParameters, dt: float) -> LIFRefracParameters:
    p = LIFRefracParameters(tensor_fields(p.lif), torch.as_tensor(p.rho_reset))
    return prepare(owner, p, dt)


def _feed_forward_steps(adjoint: bool) -> tuple[Any, None]:
    return (
        WithMethod(lif_refrac_feed_forward_adjoint_step) if adjoint else lif_refrac_feed_forward_step
    ), None


def _recurrent_steps(owner: str, adjoint: bool) -> tuple[Any, Any]:
    if not adjoint:
        return lif_refrac_step, lif_refrac_step_sparse
    from ..functional import lif_refrac_adjoint

    return adjoint_recurrent_steps(owner, lif_refrac_adjoint, "lif_refrac_adjoint_step", "p.lif.method")


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


_LIF_REFRAC = Model(
    feed_forward_state=_feed_forward_state,
    feed_forward=_feed_forward_steps,
    sequence="lif_refrac_feed_forward_sequence",
    recurrent_state=_recurrent_state,
    recurrent=_recurrent_steps,
    parameters=_refrac_parameters,
    is_adjoint=is_adjoint,
)


class LIFRefracCell(ModelCell):
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

    _model = _LIF_REFRAC

    def __init__(self, p: LIFRefracParameters = LIFRefracParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIFRefrac(ModelLayer):
    r"""Refractory LIF neurons over a time-first input ``[T, ...]`` (a time layer Norse 1.1.0 lacks).

    The initial state (``state=None``) is $v = v_{leak}$, $i = 0$, $\rho = 0$ shaped ``input.shape[1:]``,
    in the input's dtype and device.

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

    _model = _LIF_REFRAC

    def __init__(self, p: LIFRefracParameters = LIFRefracParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIFRefracRecurrentCell(ModelRecurrentCell):
    r"""One recurrent refractory-LIF step per call: ``[..., input_size] -> [..., hidden_size]``.

    The initial state (``state=None``) is $z = 0$, $v = v_{leak}$, $i = 0$, $\rho = 0$ shaped
    ``(*input.shape[:-1], hidden_size)``, in the input's dtype and device.

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

    _model = _LIF_REFRAC

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFRefracParameters = LIFRefracParameters(), **kwargs: Any
    ) -> None:
        super().__init__(input_size, hidden_size, p, **kwargs)


class LIFRefracRecurrent(ModelRecurrent):
    r"""Recurrent refractory-LIF neurons over a time-first input ``[T, ..., input_size]``.

    The initial state (``state=None``) is $z = 0$, $v = v_{leak}$, $i = 0$, $\rho = 0$ shaped
    ``(*input.shape[1:-1], hidden_size)``, in the input's dtype and device.

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

    _model = _LIF_REFRAC

    def __init__(
        self, input_size: int, hidden_size: int, p: LIFRefracParameters = LIFRefracParameters(), **kwargs: Any
    ) -> None:
        super().__init__(input_size, hidden_size, p, **kwargs)
