r"""Activity regularisation: accumulate spike counts or voltages over a simulation.

An accumulator is called as ``accumulator(z, s, state) -> state``; :func:`regularize_step` passes
the spikes through and returns the updated accumulator state, which can be added to a loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

__all__ = ["Accumulator", "regularize_step", "spike_accumulator", "voltage_accumulator"]

Accumulator = Callable[[Tensor, Any, Any], Any]
"""The type of an accumulator: ``(z, neuron_state, accumulator_state) -> accumulator_state``."""


def spike_accumulator(z: Tensor, _: Any, state: Tensor | None = None) -> Tensor:
    r"""Total spike count: $\mathrm{state}' = \mathrm{state} + \sum z$ (starting from 0).

    Args:
        z: spikes of this step.
        _: ignored (the neuron state).
        state: the previous count, or ``None`` to start at 0.

    Returns:
        A 0-dim tensor.

    Example:
        >>> spike_accumulator(torch.tensor([1.0, 0.0, 1.0]), None)
        tensor(2.)
    """
    return (0 if state is None else state) + z.sum()


def voltage_accumulator(z: Tensor, s: Any, state: Tensor | None = None) -> Tensor:
    r"""Summed voltage: $\mathrm{state}' = \mathrm{state} + s.v$ (starting from zeros like ``s.v``).

    Args:
        z: spikes of this step.
        s: the neuron state (its ``v`` is read).
        state: the previous sum, or ``None`` to start at zeros.

    Returns:
        The summed voltage.

    Example:
        >>> voltage_accumulator(None, LIFFeedForwardState(torch.ones(2), torch.zeros(2)))
        tensor([1., 1.])
    """
    return (torch.zeros_like(s.v) if state is None else state) + s.v


def regularize_step(
    z: Tensor,
    s: Any,
    accumulator: Accumulator = spike_accumulator,
    state: Any | None = None,
) -> tuple[Tensor, Any]:
    r"""Pass spikes through and accumulate a regularisation term.

    Args:
        z: spikes of this step (returned unchanged).
        s: the neuron state of this step (read by e.g. :func:`voltage_accumulator`).
        accumulator: the accumulator function.
        state: the previous accumulator state (``None`` to start).

    Returns:
        ``(z, accumulator(z, s, state))``.

    Example:
        >>> z, count = regularize_step(torch.ones(3), None)
        >>> count
        tensor(3.)
    """
    return z, accumulator(z, s, state)
