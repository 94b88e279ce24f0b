"""``snn_core.Neuron``: any registered neuron model as a time-first ``nn.Module``."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from .plugins.manager import registry
from .plugins.specs import NeuronSpec

__all__ = ["Neuron", "check_dt"]


def check_dt(dt: Any) -> float:
    """Return ``dt`` as a float, or raise ``ValueError`` naming it unless it is finite and > 0."""
    try:
        value = float(dt)
    except (TypeError, ValueError):
        raise TypeError(f"dt must be a positive number, got {type(dt).__name__}: {dt!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"dt must be a finite number > 0, got {dt!r}")
    return value


class Neuron(nn.Module):
    r"""Run the registered neuron ``name`` over a time-first input ``[T, ...]``.

    $$ (z_t, s_t) = \mathrm{step}(x_t, s_{t-1}, p, \Delta t), \qquad s_0 = \mathrm{initial\_state}(x_0, p) $$

    Uses the model's whole-sequence path when it registers one, else loops its step function.

    Args:
        name: a registered neuron (``snn components --kind neurons``), e.g. ``"lif"``.
        p: the model's parameter NamedTuple; ``None`` uses its defaults.
        dt: integration time step (> 0).

    Example:
        >>> lif = snn_core.Neuron("lif")                     # needs snn-neurons
        >>> spikes, state = lif(torch.rand(100, 8, 32))

    Raises:
        UnknownComponentError: (a ``KeyError``) with the package to install if ``name`` is unknown.
        TypeError: if ``p`` is not an instance of the model's parameter type.
        ValueError: if ``dt`` is not > 0.
    """

    def __init__(self, name: str, p: Any = None, dt: float = 1e-3) -> None:
        super().__init__()
        spec: NeuronSpec = registry().neurons[name]
        if p is None:
            p = spec.parameters()
        elif not isinstance(p, spec.parameters):
            raise TypeError(
                f"p must be a {spec.parameters.__name__} for neuron {name!r}, got {type(p).__name__}"
            )
        self.name = name
        self.spec = spec
        self.p = p
        self.dt = check_dt(dt)

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        if x.dim() < 1 or x.shape[0] == 0:
            raise ValueError(f"x must be time-first with at least one step, got shape {tuple(x.shape)}")
        if state is None:
            state = self.spec.initial_state(x[0], self.p)
        if self.spec.sequence is not None:
            return self.spec.sequence(x, state, self.p, self.dt)
        outputs = []
        for x_t in x.unbind(0):
            z, state = self.spec.step(x_t, state, self.p, self.dt)
            outputs.append(z)
        return torch.stack(outputs), state

    def extra_repr(self) -> str:
        return f"{self.name!r}, dt={self.dt}"
