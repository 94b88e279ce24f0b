r"""Integrate-and-fire modules: :class:`IAFCell` and :class:`IAF`.

No leak and no time constant (``dt`` is not used by the equations,
see :func:`snn_neurons.iaf_feed_forward_step`):

$$ v_1 = v + x, \qquad z = \Theta(v_1 - v_{th}), \qquad v' = (1 - z)\,v_1 + z\,v_{reset} $$
"""

from __future__ import annotations

from torch import Tensor

from ..functional.iaf import IAFFeedForwardState, IAFParameters, iaf_feed_forward_step
from ._checks import filled
from ._model import Model, ModelCell, ModelLayer

__all__ = ["IAF", "IAFCell"]


def _iaf_state(p: IAFParameters, shape: tuple[int, ...], like: Tensor) -> IAFFeedForwardState:
    return IAFFeedForwardState(v=filled(shape, p.v_reset, like, "p.v_reset"))


_IAF = Model(
    feed_forward_state=_iaf_state,
    feed_forward=lambda adjoint: (iaf_feed_forward_step, None),
    sequence="iaf_feed_forward_sequence",
)


class IAFCell(ModelCell):
    r"""One integrate-and-fire step per call; returns ``(spikes, state)``.

    The initial state is $v = v_{reset}$ as a fresh tensor shaped like the input. (Norse uses the
    parameter tensor itself and sets ``requires_grad`` on the shared default; this never does.)

    Args:
        p: IAF parameters.
        dt: integration time step (> 0; unused by the model).

    Example:
        >>> z, s = IAFCell()(torch.full((2, 3), 2.0))
        >>> z
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """

    _model = _IAF

    def __init__(self, p: IAFParameters = IAFParameters(), dt: float = 0.001) -> None:
        super().__init__(p, dt=dt)


class IAF(ModelLayer):
    r"""Integrate-and-fire neurons over a time-first input ``[T, ...]``.

    The initial state (``state=None``) is $v = v_{reset}$ shaped ``input.shape[1:]``, in the input's dtype
    and device.

    Args:
        p: IAF parameters.
        dt: integration time step (> 0; unused by the model).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend (see :class:`SNN`).

    Example:
        >>> z, s = IAF()(torch.full((4, 1), 0.6))
        >>> z.flatten()
        tensor([0., 1., 0., 1.])
    """

    _model = _IAF

    def __init__(
        self,
        p: IAFParameters = IAFParameters(),
        dt: float = 0.001,
        record_states: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__(p, dt=dt, record_states=record_states, backend=backend)
