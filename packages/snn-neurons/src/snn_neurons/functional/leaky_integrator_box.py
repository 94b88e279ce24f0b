r"""Leaky integrator "box": a leaky membrane without a synaptic current.

The input acts on the voltage directly (a box-shaped response to a pulse):

$$ v' = v + (\Delta t\,\tau_{mem}^{-1})\,((v_{leak} - v) + x) $$
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

__all__ = ["LIBoxParameters", "LIBoxState", "li_box_feed_forward_step", "li_box_step"]


class LIBoxParameters(NamedTuple):
    """Parameters of a leaky integrator without a current term.

    Attributes:
        tau_mem_inv: inverse membrane time constant (100 = 1/10 ms).
        v_leak: leak potential.
    """

    tau_mem_inv: Tensor = torch.as_tensor(1.0 / 1e-2)
    v_leak: Tensor = torch.as_tensor(0.0)


class LIBoxState(NamedTuple):
    """State of a leaky integrator box: the voltage ``v``."""

    v: Tensor


def li_box_feed_forward_step(
    input_tensor: Tensor,
    state: LIBoxState,
    p: LIBoxParameters = LIBoxParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIBoxState]:
    r"""One Euler step: $v' = v + (\Delta t\,\tau_{mem}^{-1})((v_{leak} - v) + x)$.

    Args:
        input_tensor: input of this step.
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(v', LIBoxState(v'))``.

    Example:
        >>> li_box_feed_forward_step(torch.tensor([2.0]), LIBoxState(torch.tensor([1.0])))[0]
        tensor([1.1000])
    """
    v_new = state.v + dt * p.tau_mem_inv * ((p.v_leak - state.v) + input_tensor)
    return v_new, LIBoxState(v_new)


def li_box_step(
    input_spikes: Tensor,
    state: LIBoxState,
    input_weights: Tensor,
    p: LIBoxParameters = LIBoxParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIBoxState]:
    r""":func:`li_box_feed_forward_step` with a weighted input $W_{in} x$.

    Args:
        input_spikes: input ``[batch, in]``.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(v', LIBoxState(v'))``.
    """
    return li_box_feed_forward_step(linear(input_spikes, input_weights), state, p, dt)
