"""The demo's spiking classifiers, built from registered components only (no plugin imports).

``lif``: ``Linear -> LIF (snn-neurons) -> Linear -> leaky integrator (snn-neurons)``; the class score is the
read-out voltage averaged over time (more stable across seeds than its maximum).

``lib``: ``Linear -> LIB (snn-tracelayers, traceTorch's leaky integrate-and-fire layer with binary spikes
through a rounding straight-through estimator) -> Linear``; the class score is the read-out averaged over time.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from ..neuron import Neuron
from ..plugins.manager import registry

__all__ = ["LIBClassifier", "LIFClassifier", "Recording", "build_classifier"]


class Recording(NamedTuple):
    """What a network did on one input: each ``[T, B, N]``."""

    hidden_spikes: Tensor
    hidden_voltage: Tensor
    readout: Tensor


def _run_steps(neuron: Neuron, x: Tensor) -> tuple[Tensor, Tensor]:
    """Step a :class:`~snn_core.Neuron` by hand to record its membrane voltage ``state.v`` over time."""
    spec, p, dt = neuron.spec, neuron.p, neuron.dt
    state = spec.initial_state(x[0], p)
    outputs, voltages = [], []
    for x_t in x.unbind(0):
        z, state = spec.step(x_t, state, p, dt)
        outputs.append(z)
        voltages.append(getattr(state, "v", z))
    return torch.stack(outputs), torch.stack(voltages)


class LIFClassifier(nn.Module):
    """Two dense layers around a LIF hidden layer, with a leaky-integrator read-out.

    $$ z^{(1)} = \\mathrm{LIF}(W_1 x + b_1), \\qquad v^{(2)} = \\mathrm{LI}(W_2 z^{(1)}), \\qquad
       \\hat y = \\frac{1}{T} \\sum_t v^{(2)}_t $$

    Args:
        inputs: input features (64 pixels).
        hidden: LIF neurons.
        classes: output classes.
        dt: time step in seconds.

    Raises:
        UnknownComponentError: naming ``pip install snn-neurons`` when ``lif``/``li`` are not registered.
    """

    def __init__(self, inputs: int, hidden: int, classes: int, dt: float = 1e-3) -> None:
        super().__init__()
        self.fc_in = nn.Linear(inputs, hidden)
        self.hidden = Neuron("lif", dt=dt)
        self.fc_out = nn.Linear(hidden, classes, bias=False)
        self.readout = Neuron("li", dt=dt)

    def forward(self, spikes: Tensor) -> Tensor:
        """Class scores ``[B, classes]`` for time-first input spikes ``[T, B, inputs]``."""
        z, _ = self.hidden(self.fc_in(spikes))
        v, _ = self.readout(self.fc_out(z))
        return v.mean(dim=0)

    @torch.no_grad()
    def record(self, spikes: Tensor) -> Recording:
        z, v = _run_steps(self.hidden, self.fc_in(spikes))
        readout, _ = _run_steps(self.readout, self.fc_out(z))
        return Recording(z, v, readout)


def _rounding_quantizer() -> Any:
    try:
        from ..functional import round_ste
    except ImportError:  # pragma: no cover - older snn-core
        return None
    return round_ste()


class LIBClassifier(nn.Module):
    """Two dense layers around traceTorch's ``LIB`` layer (stepped one time step per call).

    $$ s_t = \\mathrm{LIB}(W_1 x_t + b_1), \\qquad \\hat y = \\frac{1}{T} \\sum_t (W_2 s_t + b_2) $$

    The ``LIB`` layer spikes through ``round_ste`` (binary spikes forward, straight-through backward).

    Raises:
        UnknownComponentError: naming ``pip install snn-tracelayers`` when ``LIB`` is not registered.
    """

    def __init__(self, inputs: int, hidden: int, classes: int, dt: float = 1e-3) -> None:
        super().__init__()
        layer_cls = registry().layers["LIB"].cls
        quantizer = _rounding_quantizer()
        self.fc_in = nn.Linear(inputs, hidden)
        self.hidden = layer_cls(hidden) if quantizer is None else layer_cls(hidden, quant_fn=quantizer)
        self.fc_out = nn.Linear(hidden, classes)

    def _reset(self) -> None:
        zero_states = getattr(self.hidden, "zero_states", None)
        if zero_states is not None:
            zero_states()

    def _steps(self, spikes: Tensor, keep_voltage: bool) -> tuple[Tensor, Tensor | None]:
        self._reset()
        outputs, voltages = [], []
        for x_t in self.fc_in(spikes).unbind(0):
            outputs.append(self.hidden(x_t))
            if keep_voltage:
                voltages.append(getattr(self.hidden, "mem", outputs[-1]).detach().clone())
        self._reset()
        return torch.stack(outputs), torch.stack(voltages) if keep_voltage else None

    def forward(self, spikes: Tensor) -> Tensor:
        sequence = getattr(self.hidden, "sequence", None)
        if sequence is None:  # a LIB without a whole-sequence path: one call per step
            s, _ = self._steps(spikes, keep_voltage=False)
        else:
            self._reset()
            s = sequence(self.fc_in(spikes))
            self._reset()
        return self.fc_out(s).mean(dim=0)

    @torch.no_grad()
    def record(self, spikes: Tensor) -> Recording:
        s, v = self._steps(spikes, keep_voltage=True)
        assert v is not None
        return Recording(s, v, self.fc_out(s))


def build_classifier(model: str, inputs: int, hidden: int, classes: int, dt: float = 1e-3) -> nn.Module:
    """The demo network ``model`` (``"lif"`` or ``"lib"``)."""
    if model == "lif":
        return LIFClassifier(inputs, hidden, classes, dt)
    if model == "lib":
        return LIBClassifier(inputs, hidden, classes, dt)
    raise ValueError(f"model must be 'lif' or 'lib', got {model!r}")
