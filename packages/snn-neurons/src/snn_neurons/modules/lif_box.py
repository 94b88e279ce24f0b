r"""LIF box modules (LIF without synaptic current): :class:`LIFBoxCell` and :class:`LIFBox`.

See :func:`snn_neurons.lif_box_feed_forward_step`:

$$ v_1 = v + (\Delta t\,\tau_{mem}^{-1})\,((x + v_{leak}) - v), \qquad z = \Theta(v_1 - v_{th}),
   \qquad v' = \mathrm{reset\_method}(z, v_1, v_{reset}, v_{th}) $$
"""

from __future__ import annotations

from torch import Tensor

from ..functional.lif_box import LIFBoxFeedForwardState, LIFBoxParameters, lif_box_feed_forward_step
from ._checks import filled
from ._model import Model, ModelCell, ModelLayer

__all__ = ["LIFBox", "LIFBoxCell"]


def _box_state(p: LIFBoxParameters, shape: tuple[int, ...], like: Tensor) -> LIFBoxFeedForwardState:
    return LIFBoxFeedForwardState(v=filled(shape, p.v_leak, like, "p.v_leak"))


_LIF_BOX = Model(
    feed_forward_state=_box_state,
    feed_forward=lambda adjoint: (lif_box_feed_forward_step, None),
    sequence="lif_box_feed_forward_sequence",
)


class LIFBoxCell(ModelCell):
    r"""One LIF-box step per call; initial state $v = v_{leak}$ shaped like the input.

    Args:
        p: LIF box parameters (``reset_method`` chooses value or subtractive reset).
        dt: integration time step (> 0).

    Example:
        >>> z, s = LIFBoxCell()(torch.full((2, 3), 200.0))
        >>> z.sum()
        tensor(6.)
    """

    _model = _LIF_BOX

    def __init__(self, p: LIFBoxParameters = LIFBoxParameters(), dt: float = 0.001) -> None:
        super().__init__(p, dt=dt)


class LIFBox(ModelLayer):
    r"""LIF box neurons over a time-first input ``[T, ...]`` (Norse's main branch has it; 1.1.0 does not).

    The initial state (``state=None``) is $v = v_{leak}$ shaped ``input.shape[1:]``, in the input's dtype
    and device.

    Args:
        p: LIF box parameters.
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"``, ``"torch"`` or a kernel backend (see :class:`SNN`).

    Example:
        >>> z, s = LIFBox()(torch.full((10, 2, 3), 200.0))
        >>> z.shape
        torch.Size([10, 2, 3])
    """

    _model = _LIF_BOX

    def __init__(
        self,
        p: LIFBoxParameters = LIFBoxParameters(),
        dt: float = 0.001,
        record_states: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__(p, dt=dt, record_states=record_states, backend=backend)
