r"""Izhikevich modules: :class:`IzhikevichCell`, :class:`Izhikevich`, :class:`IzhikevichRecurrentCell`,
:class:`IzhikevichRecurrent`.

Each takes a *spiking behaviour* (parameters and initial state, e.g. :data:`snn_neurons.tonic_spiking`)
and runs :func:`snn_neurons.izhikevich_feed_forward_step` (with $k = \tau^{-1}\Delta t$):

$$ v_1 = v + k\,(((0.04\,v^2 + 5v) + 140) - u + I), \quad u_1 = u + k\,a\,(b\,v - u), \quad
   z = \Theta(v_1 - 30), \quad v' = (1 - z)\,v_1 + z\,c, \quad u' = (1 - z)\,u_1 + z\,(u_1 + d) $$

Initial states are fresh full-shape tensors filled with the behaviour's $v_0$, $u_0$ (Norse hands
out the behaviour's own shared 0-dim tensors and sets ``requires_grad`` on them; this never does).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..functional.izhikevich import (
    IzhikevichRecurrentState,
    IzhikevichSpikingBehavior,
    IzhikevichState,
    izhikevich_feed_forward_step,
    izhikevich_recurrent_step,
)
from ._checks import filled, zeros
from ._common import prepare, sequence_function
from .base import SNN, SNNCell, SNNRecurrent, SNNRecurrentCell

__all__ = ["Izhikevich", "IzhikevichCell", "IzhikevichRecurrent", "IzhikevichRecurrentCell"]


def _check_behavior(owner: str, spiking_method: Any) -> IzhikevichSpikingBehavior:
    if not (hasattr(spiking_method, "p") and hasattr(spiking_method, "s")):
        raise TypeError(
            f"{owner}: spiking_method must be an IzhikevichSpikingBehavior (e.g. snn_neurons.tonic_spiking), "
            f"got {type(spiking_method).__name__}"
        )
    prepare(owner, spiking_method.p)
    return spiking_method


def _state(behavior: IzhikevichSpikingBehavior, shape: tuple[int, ...], like: Tensor) -> IzhikevichState:
    return IzhikevichState(
        v=filled(shape, behavior.s.v, like, "spiking_method.s.v"),
        u=filled(shape, behavior.s.u, like, "spiking_method.s.u"),
    )


def _recurrent_state(
    behavior: IzhikevichSpikingBehavior, shape: tuple[int, ...], like: Tensor
) -> IzhikevichRecurrentState:
    s = _state(behavior, shape, like)
    return IzhikevichRecurrentState(z=zeros(shape, like), v=s.v, u=s.u)


class IzhikevichCell(SNNCell):
    r"""One Izhikevich step per call; the initial state is the behaviour's $(v_0, u_0)$ like the input.

    Args:
        spiking_method: the behaviour (parameters ``p`` and initial state ``s``).
        dt: integration time step (> 0), as a keyword.

    Example:
        >>> from snn_neurons import tonic_spiking
        >>> z, s = IzhikevichCell(tonic_spiking)(torch.full((2, 3), 10.0))
        >>> s.v.shape
        torch.Size([2, 3])
    """

    check_state_shapes = True

    def __init__(self, spiking_method: IzhikevichSpikingBehavior, **kwargs: Any) -> None:
        spiking_method = _check_behavior(type(self).__name__, spiking_method)
        super().__init__(izhikevich_feed_forward_step, self.initial_state, spiking_method.p, **kwargs)
        self.spiking_method = spiking_method

    def initial_state(self, input_tensor: Tensor) -> IzhikevichState:
        """The behaviour's $v_0$, $u_0$ with the input's shape, dtype and device."""
        return _state(self.spiking_method, tuple(input_tensor.shape), input_tensor)


class Izhikevich(SNN):
    r"""Izhikevich neurons over a time-first input ``[T, ...]``.

    Args:
        spiking_method: the behaviour (parameters ``p`` and initial state ``s``).
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend (see :class:`SNN`).

    Example:
        >>> from snn_neurons import tonic_spiking
        >>> z, s = Izhikevich(tonic_spiking)(torch.full((1000, 1), 10.0))
        >>> bool(z.sum() > 0)
        True
    """

    check_state_shapes = True

    def __init__(self, spiking_method: IzhikevichSpikingBehavior, **kwargs: Any) -> None:
        spiking_method = _check_behavior(type(self).__name__, spiking_method)
        super().__init__(
            activation=izhikevich_feed_forward_step,
            state_fallback=self.initial_state,
            p=spiking_method.p,
            sequence=sequence_function("izhikevich_feed_forward_sequence"),
            **kwargs,
        )
        self.spiking_method = spiking_method

    def initial_state(self, input_tensor: Tensor) -> IzhikevichState:
        """The behaviour's $v_0$, $u_0$ shaped ``input.shape[1:]``."""
        return _state(self.spiking_method, tuple(input_tensor.shape[1:]), input_tensor)


class IzhikevichRecurrentCell(SNNRecurrentCell):
    r"""One recurrent Izhikevich step per call: ``[..., input_size] -> [..., hidden_size]``.

    The drive $W_{in} I + W_{rec} z_{t-1}$ enters the $v$ update (:func:`snn_neurons.izhikevich_recurrent_step`).

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        spiking_method: the behaviour.
        input_weights, recurrent_weights, autapses, dt: keywords, see :class:`SNNRecurrentCell`.

    Example:
        >>> from snn_neurons import tonic_spiking
        >>> z, s = IzhikevichRecurrentCell(4, 8, tonic_spiking)(torch.rand(2, 4))
        >>> z.shape
        torch.Size([2, 8])
    """

    check_state_shapes = True

    def __init__(
        self, input_size: int, hidden_size: int, spiking_method: IzhikevichSpikingBehavior, **kwargs: Any
    ) -> None:
        spiking_method = _check_behavior(type(self).__name__, spiking_method)
        super().__init__(
            activation=izhikevich_recurrent_step,
            state_fallback=self.initial_state,
            input_size=input_size,
            hidden_size=hidden_size,
            p=spiking_method.p,
            **kwargs,
        )
        self.spiking_method = spiking_method

    def initial_state(self, input_tensor: Tensor) -> IzhikevichRecurrentState:
        """$z = 0$ and the behaviour's $v_0$, $u_0$ shaped ``(*input.shape[:-1], hidden_size)``."""
        return _recurrent_state(self.spiking_method, self.expected_state_shape(input_tensor), input_tensor)


class IzhikevichRecurrent(SNNRecurrent):
    r"""Recurrent Izhikevich neurons over a time-first input ``[T, ..., input_size]``.

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        spiking_method: the behaviour.
        *args: further positional arguments of :class:`SNNRecurrent` (``input_weights``, ...).
        **kwargs: ``input_weights``, ``recurrent_weights``, ``autapses``, ``dt``, ``record_states``.

    Example:
        >>> from snn_neurons import tonic_spiking
        >>> z, s = IzhikevichRecurrent(4, 8, tonic_spiking)(torch.rand(20, 2, 4))
        >>> z.shape
        torch.Size([20, 2, 8])
    """

    check_state_shapes = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        spiking_method: IzhikevichSpikingBehavior,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        spiking_method = _check_behavior(type(self).__name__, spiking_method)
        super().__init__(
            izhikevich_recurrent_step,
            self.initial_state,
            input_size,
            hidden_size,
            spiking_method.p,
            *args,
            **kwargs,
        )
        self.spiking_method = spiking_method

    def initial_state(self, input_tensor: Tensor) -> IzhikevichRecurrentState:
        """$z = 0$ and the behaviour's $v_0$, $u_0$ shaped ``(*input.shape[1:-1], hidden_size)``."""
        return _recurrent_state(self.spiking_method, self.expected_state_shape(input_tensor), input_tensor)
