r"""``QIF``: the QIF neuron as a stateful one-timestep layer on :class:`snn_core.Layer`.

The voltage $v$ is a hidden state created lazily from the first input; the critical voltage
$v_c$ (any real) and the peak $v_{peak}$ (positive) are learnable per-neuron parameters. The
equations are those of :mod:`snn_qif.functional`.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

import snn_core

from .functional import QIFParameters, QIFState, qif_step

__all__ = ["QIF"]


class QIF(snn_core.Layer):
    r"""A layer of QIF neurons, called one time step at a time: ``spikes = layer(x)``.

    Args:
        num_neurons: size of the feature axis ``dim``.
        tau_mem: membrane time constant in seconds (> 0).
        v_c: critical voltage (learnable, one per neuron).
        v_peak: spike threshold (learnable, positive, one per neuron).
        dt: integration time step in seconds (> 0).
        method: registered threshold function for the surrogate gradient.
        alpha: its hyperparameter.
        dim: which axis of the input holds the neurons.
        learn: whether ``v_c`` and ``v_peak`` are trained (else they are buffers).

    Raises:
        ValueError: for out-of-range parameters (see :meth:`QIFParameters.checked`) or ``dt <= 0``.

    Example:
        >>> layer = QIF(4)
        >>> spikes = [layer(torch.full((2, 4), 300.0)) for _ in range(3)]
        >>> layer.zero_states()   # before a new sequence
    """

    def __init__(
        self,
        num_neurons: int,
        tau_mem: float = 1e-2,
        v_c: float = 0.5,
        v_peak: float = 1.0,
        dt: float = 1e-3,
        method: str = "fast_sigmoid",
        alpha: float = 10.0,
        dim: int = -1,
        learn: bool = True,
    ) -> None:
        super().__init__(num_neurons, dim)
        self.p = QIFParameters(tau_mem=tau_mem, v_c=v_c, v_peak=v_peak, method=method, alpha=alpha).checked()
        self.dt = snn_core.check_dt(dt)
        self._register_bias("v_c", v_c, rank=1, learnable=learn)
        self._register_threshold("v_peak", v_peak, rank=1, learnable=learn)
        self._initialize_state("v")

    def forward(self, x: Tensor) -> Tensor:
        self._ensure_states(x)
        p = self.p._replace(v_c=self.v_c, v_peak=self.v_peak)
        z, state = qif_step(self._to_working_dim(x), QIFState(self._to_working_dim(self.v)), p, self.dt)
        self.v = self._from_working_dim(state.v)
        return self._from_working_dim(z)

    def extra_repr(self) -> str:
        base: Any = super().extra_repr()
        return f"{base}, tau_mem={self.p.tau_mem}, dt={self.dt}, method={self.p.method!r}"
