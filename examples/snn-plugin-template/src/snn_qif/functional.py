r"""The quadratic integrate-and-fire (QIF) neuron as a pure step function.

Between spikes the membrane voltage follows

$$ \tau_{mem} \dot v = a (v - v_{rest})(v - v_c) + x, $$

integrated with one explicit Euler step of length $\Delta t$:

$$ \tilde v_t = v_{t-1} + \frac{\Delta t}{\tau_{mem}} \big(a (v_{t-1} - v_{rest})(v_{t-1} - v_c) + x_t\big), \quad
   z_t = H(\tilde v_t - v_{peak}), \quad v_t = (1 - z_t)\,\tilde v_t + z_t\, v_{reset}. $$

Below the critical voltage $v_c$ the voltage relaxes to $v_{rest}$; above it, it runs away to
$v_{peak}$, where the neuron spikes and is reset. $H$ is the threshold function named by
``method`` (any registered one, ``"fast_sigmoid"`` by default), which gives the surrogate gradient.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

import snn_core

__all__ = ["QIFParameters", "QIFState", "qif_initial_state", "qif_sequence", "qif_step"]


class QIFParameters(NamedTuple):
    """Parameters of the QIF neuron (every field has a default).

    Attributes:
        tau_mem: membrane time constant in seconds (> 0).
        a: sharpness of the quadratic term (> 0).
        v_rest: resting voltage.
        v_c: critical voltage (> ``v_rest``): above it the voltage runs away to a spike.
        v_peak: spike threshold (> ``v_c``).
        v_reset: voltage after a spike (< ``v_peak``).
        method: registered threshold function giving the surrogate gradient.
        alpha: hyperparameter of that threshold function.
    """

    tau_mem: float | Tensor = 1e-2
    a: float | Tensor = 1.0
    v_rest: float | Tensor = 0.0
    v_c: float | Tensor = 0.5
    v_peak: float | Tensor = 1.0
    v_reset: float | Tensor = 0.0
    method: str = "fast_sigmoid"
    alpha: float = 10.0

    def checked(self) -> QIFParameters:
        """Return ``self`` after validating it once (call at construction, never per step).

        Raises:
            ValueError: naming the field, its value and the expected range.
        """

        def value(name: str) -> float:
            v = getattr(self, name)
            return (
                float(v.min() if name in ("tau_mem", "a", "v_peak", "v_c") else v.max())
                if isinstance(v, Tensor)
                else float(v)
            )

        for name in ("tau_mem", "a"):
            if not math.isfinite(value(name)) or value(name) <= 0:
                raise ValueError(f"{name} must be finite and > 0, got {getattr(self, name)!r}")
        if not value("v_rest") < value("v_c") < value("v_peak"):
            raise ValueError(
                f"expected v_rest < v_c < v_peak, got v_rest={self.v_rest!r}, v_c={self.v_c!r}, v_peak={self.v_peak!r}"
            )
        if not value("v_reset") < value("v_peak"):
            raise ValueError(f"v_reset must be < v_peak={self.v_peak!r}, got {self.v_reset!r}")
        if not isinstance(self.method, str):
            raise TypeError(f"method must be the name of a registered threshold, got {self.method!r}")
        return self


class QIFState(NamedTuple):
    """State of the QIF neuron.

    Attributes:
        v: membrane voltage, shaped like one time step of input.
    """

    v: Tensor


def qif_initial_state(x: Tensor, p: QIFParameters = QIFParameters()) -> QIFState:
    """The state before the first input: $v = v_{rest}$, in ``x``'s shape, dtype and device."""
    return QIFState(v=torch.zeros_like(x) + p.v_rest)


def qif_step(
    x: Tensor, state: QIFState, p: QIFParameters = QIFParameters(), dt: float = 1e-3
) -> tuple[Tensor, QIFState]:
    r"""One Euler step of the QIF neuron (see the module docstring for the equations).

    Pure: returns new tensors and never modifies ``state``.

    Args:
        x: input current of one time step.
        state: the previous :class:`QIFState`.
        p: parameters (validate them once with :meth:`QIFParameters.checked`).
        dt: integration time step in seconds.

    Returns:
        ``(z, state)``: spikes in ``x``'s dtype and the new state.

    Example:
        >>> x = torch.full((3,), 200.0)
        >>> z, s = qif_step(x, qif_initial_state(x), QIFParameters(), 1e-2)
        >>> z
        tensor([1., 1., 1.])
    """
    v = state.v
    dv = dt / p.tau_mem * (p.a * (v - p.v_rest) * (v - p.v_c) + x)
    v_new = v + dv
    z = snn_core.threshold(v_new - p.v_peak, p.method, p.alpha)
    v_out = (1 - z) * v_new + z * p.v_reset
    return z, QIFState(v=v_out)


def qif_sequence(
    xs: Tensor, state: QIFState, p: QIFParameters = QIFParameters(), dt: float = 1e-3
) -> tuple[Tensor, QIFState]:
    """:func:`qif_step` over a time-first input ``xs`` of shape ``[T, ...]``; returns ``(zs, state)``."""
    outputs = []
    for x in xs.unbind(0):
        z, state = qif_step(x, state, p, dt)
        outputs.append(z)
    return torch.stack(outputs), state
