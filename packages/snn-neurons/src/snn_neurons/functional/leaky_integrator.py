r"""Leaky integrator (LI): a current-based membrane without a threshold.

$$ \dot v = \tau_{mem}^{-1}\,(v_{leak} - v + i),\qquad \dot i = -\tau_{syn}^{-1}\, i $$

with the input added to the current before the Euler step (current jump first):

$$ j = i + x,\quad v' = v + \Delta t\,\tau_{mem}^{-1}\,((v_{leak} - v) + j),\quad
   i' = j - \Delta t\,\tau_{syn}^{-1}\, j $$
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

__all__ = ["LIParameters", "LIState", "li_feed_forward_step", "li_step"]


class LIParameters(NamedTuple):
    """Parameters of a leaky integrator.

    Attributes:
        tau_syn_inv: inverse synaptic time constant $1/\\tau_{syn}$ (default 200 = 1/5 ms).
        tau_mem_inv: inverse membrane time constant $1/\\tau_{mem}$ (default 100 = 1/10 ms).
        v_leak: leak (resting) potential.
    """

    tau_syn_inv: Tensor = torch.as_tensor(1.0 / 5e-3)
    tau_mem_inv: Tensor = torch.as_tensor(1.0 / 1e-2)
    v_leak: Tensor = torch.as_tensor(0.0)


class LIState(NamedTuple):
    """State of a leaky integrator: voltage ``v`` and synaptic current ``i``."""

    v: Tensor
    i: Tensor


def _li_update(i_jump: Tensor, state: LIState, p: LIParameters, dt: float) -> tuple[Tensor, LIState]:
    v_new = state.v + dt * p.tau_mem_inv * ((p.v_leak - state.v) + i_jump)
    i_new = i_jump + -dt * p.tau_syn_inv * i_jump
    return v_new, LIState(v_new, i_new)


def li_feed_forward_step(
    input_tensor: Tensor,
    state: LIState,
    p: LIParameters = LIParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIState]:
    r"""One Euler step of a feed-forward leaky integrator.

    $$ j = i + x,\quad v' = v + (\Delta t\,\tau_{mem}^{-1})\,((v_{leak} - v) + j),\quad
       i' = j + (-\Delta t\,\tau_{syn}^{-1})\,j $$

    Args:
        input_tensor: input current added to ``i`` before the step.
        state: previous ``LIState(v, i)``.
        p: parameters.
        dt: time step.

    Returns:
        ``(v', LIState(v', i'))``; the output is the new voltage (the same tensor as ``state.v``).

    Example:
        >>> v, s = li_feed_forward_step(torch.ones(1), LIState(torch.zeros(1), torch.zeros(1)))
        >>> v, s.i
        (tensor([0.1000]), tensor([0.8000]))
    """
    return _li_update(state.i + input_tensor, state, p, dt)


def li_step(
    input_spikes: Tensor,
    state: LIState,
    input_weights: Tensor,
    p: LIParameters = LIParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIState]:
    r""":func:`li_feed_forward_step` with a weighted input: $j = i + W_{in} x$.

    Args:
        input_spikes: input ``[batch, in]``.
        state: previous ``LIState(v, i)``.
        input_weights: ``[hidden, in]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(v', LIState(v', i'))``.
    """
    return _li_update(state.i + linear(input_spikes, input_weights), state, p, dt)
