r"""Leaky-integrator box modules (no synaptic current): :class:`LIBoxCell` and :class:`LIBox`.

The input drives the membrane directly and the output is the voltage
(see :func:`snn_neurons.li_box_feed_forward_step`):

$$ v' = v + (\Delta t\,\tau_{mem}^{-1})\,((v_{leak} - v) + x), \qquad \text{output } v' $$

A constant input $x$ relaxes $v$ towards $v_{leak} + x$ with time constant $\tau_{mem}$, so a pulse
gives a box-shaped (rise, hold, decay) response; :class:`snn_encoding.TemporalReceptiveField` uses
banks of these with different $\tau_{mem}$ as temporal scale spaces.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..functional.leaky_integrator_box import LIBoxParameters, LIBoxState, li_box_feed_forward_step
from ._checks import filled
from ._model import Model, ModelCell, ModelLayer

__all__ = ["LIBox", "LIBoxCell"]


def _li_box_state(p: LIBoxParameters, shape: tuple[int, ...], like: Tensor) -> LIBoxState:
    return LIBoxState(v=filled(shape, p.v_leak, like, "p.v_leak"))


_LI_BOX = Model(
    feed_forward_state=_li_box_state,
    feed_forward=lambda adjoint: (li_box_feed_forward_step, None),
)


class LIBoxCell(ModelCell):
    r"""One leaky-integrator-box step per call; returns ``(v, state)``.

    The initial state is $v = v_{leak}$ (detached) shaped like the input, in its dtype and device.
    ``p`` may hold per-neuron tensors (or ``nn.Parameter``\ s) that broadcast against the input; they
    are used as they are, so gradients reach them.

    Args:
        p: leaky-integrator-box parameters.
        dt: integration time step (> 0), as a keyword.

    Example:
        >>> cell = LIBoxCell()
        >>> v, s = cell(torch.ones(2, 3))
        >>> v                            # 0 + 0.001 * 100 * (0 - 0 + 1)
        tensor([[0.1000, 0.1000, 0.1000],
                [0.1000, 0.1000, 0.1000]])
        >>> cell(torch.ones(2, 3), s)[0][0, 0]    # 0.1 + 0.1 * (1 - 0.1)
        tensor(0.1900)

    Raises:
        ValueError: for out-of-range parameters, ``dt <= 0`` or a state that does not match the input.
    """

    _model = _LI_BOX

    def __init__(self, p: LIBoxParameters = LIBoxParameters(), **kwargs: Any) -> None:
        super().__init__(p, **kwargs)


class LIBox(ModelLayer):
    r"""Leaky-integrator boxes over a time-first input ``[T, ...]``; returns ``(voltages [T, ...], state)``.

    Norse's main branch has this layer; 1.1.0 has only the cell. The initial state (``state=None``) is
    $v = v_{leak}$ shaped ``input.shape[1:]``, in the input's dtype and device. There is no fused
    whole-sequence path for this model: every backend except an explicit kernel name runs the step loop.

    Args:
        p: leaky-integrator-box parameters.
        dt: integration time step (> 0).
        record_states: return the state after every step, stacked over time.
        backend: ``"auto"`` or ``"torch"`` (see :class:`SNN`).

    Example:
        >>> v, s = LIBox()(torch.ones(50, 2, 3))
        >>> v.shape, s.v.shape
        (torch.Size([50, 2, 3]), torch.Size([2, 3]))
        >>> v[-1, 0, 0]                  # 1 - 0.9 ** 50
        tensor(0.9948)
    """

    _model = _LI_BOX

    def __init__(
        self,
        p: LIBoxParameters = LIBoxParameters(),
        dt: float = 0.001,
        record_states: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__(p, dt=dt, record_states=record_states, backend=backend)
