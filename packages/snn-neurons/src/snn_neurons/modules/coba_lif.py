r"""Conductance-based LIF module: :class:`CobaLIFCell` (recurrent, one step per call).

See :func:`snn_neurons.coba_lif_step`: positive weights drive the excitatory conductance $g_e$,
negative weights the inhibitory $g_i$; both decay, then

$$ v' = v + (\Delta t\,c_m^{-1})\,(g_l(v_{rest} - v) + g_e(E_E - v) + g_i(E_I - v)),
   \qquad z = \Theta(v' - v_{thresh}) $$
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..functional.coba_lif import CobaLIFParameters, CobaLIFState, coba_lif_step
from ._checks import zeros
from ._model import SizedCell

__all__ = ["CobaLIFCell"]


class CobaLIFCell(SizedCell):
    r"""One step of recurrent conductance-based LIF neurons: ``[..., input_size] -> [..., hidden_size]``.

    Weights are drawn as in Norse, in this order: $W_{in} = \mathcal{N}(0,1)^{h\times n}/\sqrt{n}$,
    then $W_{rec} = \mathcal{N}(0,1)^{h\times h}/\sqrt{h}$ (self-connections are kept). The initial
    state is all zeros, including $v = 0$ (not $v_{rest}$), as in Norse.

    Unlike Norse 1.1.0, whose recurrent step discarded the external input, the input drives the
    conductances here (see :func:`snn_neurons.coba_lif_step`).

    Args:
        input_size: size of the input's last dimension.
        hidden_size: number of neurons.
        p: conductance-based LIF parameters.
        dt: integration time step (> 0).

    Example:
        >>> cell = CobaLIFCell(4, 8)
        >>> z, s = cell(torch.rand(2, 4))
        >>> z.shape, s.g_e.shape
        (torch.Size([2, 8]), torch.Size([2, 8]))

    Raises:
        ValueError: for invalid sizes, parameters or ``dt``; an input whose last dimension is not
            ``input_size``; a state that does not match ``(*input.shape[:-1], hidden_size)``.
    """

    def __init__(
        self, input_size: int, hidden_size: int, p: CobaLIFParameters = CobaLIFParameters(), dt: float = 0.001
    ) -> None:
        super().__init__(input_size, hidden_size, p, dt)
        w_in = torch.randn(self.hidden_size, self.input_size) / math.sqrt(self.input_size)
        self.input_weights = nn.Parameter(w_in)
        w_rec = torch.randn(self.hidden_size, self.hidden_size) / math.sqrt(self.hidden_size)
        self.recurrent_weights = nn.Parameter(w_rec)

    def initial_state(self, input_tensor: Tensor) -> CobaLIFState:
        """All-zero ``z``, ``v``, ``g_e``, ``g_i`` shaped ``(*input.shape[:-1], hidden_size)``."""
        shape = (*input_tensor.shape[:-1], self.hidden_size)
        return CobaLIFState(*(zeros(shape, input_tensor) for _ in range(4)))

    def forward(self, input_tensor: Tensor, state: CobaLIFState | None = None) -> tuple[Tensor, CobaLIFState]:
        """One step: returns ``(spikes, CobaLIFState)``."""
        state = self._checked_state(input_tensor, state)
        return coba_lif_step(input_tensor, state, self.input_weights, self.recurrent_weights, self.p, self.dt)
