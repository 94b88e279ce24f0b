r"""Exponential integrate-and-fire neuron (LIFEx).

$$ \dot v = \tau_{mem}^{-1}\,\big(v_{leak} - v + \Delta_T e^{(v - v_{th})/\Delta_T} + i\big),\qquad
   \dot i = -\tau_{syn}^{-1}\, i $$

with $z = \Theta(v - v_{th})$ and the reset $v \leftarrow v_{reset}$; the input jumps into the current first.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

from snn_core import threshold

__all__ = [
    "LIFExParameters",
    "LIFExFeedForwardState",
    "LIFExState",
    "lif_ex_feed_forward_step",
    "lif_ex_step",
    "lif_ex_current_encoder",
]


class LIFExParameters(NamedTuple):
    """Parameters of an exponential LIF neuron.

    Attributes:
        delta_T: sharpness $\\Delta_T$ of the exponential term (> 0).
        tau_syn_inv: inverse synaptic time constant.
        tau_mem_inv: inverse membrane time constant.
        v_leak: leak potential.
        v_th: threshold potential.
        v_reset: reset potential.
        method: registered threshold name.
        alpha: the surrogate's hyperparameter.
    """

    delta_T: Tensor = torch.as_tensor(0.5)
    tau_syn_inv: Tensor = torch.as_tensor(1.0 / 5e-3)
    tau_mem_inv: Tensor = torch.as_tensor(1.0 / 1e-2)
    v_leak: Tensor = torch.as_tensor(0.0)
    v_th: Tensor = torch.as_tensor(1.0)
    v_reset: Tensor = torch.as_tensor(0.0)
    method: str = "super"
    alpha: float = 100.0


class LIFExFeedForwardState(NamedTuple):
    """Feed-forward state: voltage ``v`` and synaptic current ``i``."""

    v: Tensor
    i: Tensor


class LIFExState(NamedTuple):
    """Recurrent state: last spikes ``z``, voltage ``v`` and current ``i``."""

    z: Tensor
    v: Tensor
    i: Tensor


def _ex_update(i_jump: Tensor, v: Tensor, p: LIFExParameters, dt: float) -> tuple[Tensor, Tensor, Tensor]:
    dv_leak = p.v_leak - v  # created before the exponential: same gradient accumulation order as Norse
    dv_exp = p.delta_T * torch.exp((v - p.v_th) / p.delta_T)
    v_decayed = v + dt * p.tau_mem_inv * (dv_leak + dv_exp + i_jump)
    i_decayed = i_jump + -dt * p.tau_syn_inv * i_jump
    z_new = threshold(v_decayed - p.v_th, p.method, p.alpha)
    v_new = (1 - z_new) * v_decayed + z_new * p.v_reset
    return z_new, v_new, i_decayed


def lif_ex_feed_forward_step(
    input_spikes: Tensor,
    state: LIFExFeedForwardState = LIFExFeedForwardState(0, 0),  # type: ignore[arg-type]
    p: LIFExParameters = LIFExParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFExFeedForwardState]:
    r"""One Euler step of a feed-forward exponential LIF neuron.

    $$ \begin{aligned}
      j &= i + x,\quad e = \Delta_T \exp((v - v_{th})/\Delta_T) \\
      v_1 &= v + (\Delta t\,\tau_{mem}^{-1})\,(((v_{leak} - v) + e) + j),\quad
      i' = j + (-\Delta t\,\tau_{syn}^{-1})\,j \\
      z &= \Theta(v_1 - v_{th}),\quad v' = (1 - z)\,v_1 + z\,v_{reset}
    \end{aligned} $$

    The default state ``(0, 0)`` broadcasts, so the function runs without a state.

    Args:
        input_spikes: input of this step (added to the synaptic current).
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LIFExFeedForwardState(v', i'))``.

    Example:
        >>> z, s = lif_ex_feed_forward_step(torch.tensor([1.0, 30.0]))
        >>> z, s.v
        (tensor([0., 1.]), tensor([0.1068, 0.0000]))
    """
    z_new, v_new, i_new = _ex_update(state.i + input_spikes, state.v, p, dt)
    return z_new, LIFExFeedForwardState(v_new, i_new)


def lif_ex_step(
    input_tensor: Tensor,
    state: LIFExState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LIFExParameters = LIFExParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFExState]:
    r"""Recurrent exponential LIF step: $j = (i + W_{in} x) + W_{rec} z$, then the feed-forward update.

    Args:
        input_tensor: input of this step.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFExState(z', v', i'))``.
    """
    i_jump = state.i + linear(input_tensor, input_weights) + linear(state.z, recurrent_weights)
    z_new, v_new, i_new = _ex_update(i_jump, state.v, p, dt)
    return z_new, LIFExState(z_new, v_new, i_new)


def lif_ex_current_encoder(
    input_current: Tensor,
    voltage: Tensor,
    p: LIFExParameters = LIFExParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, Tensor]:
    r"""One exponential-LIF step driven directly by a current.

    $$ e = \Delta_T \exp((v - v_{th})/\Delta_T),\quad
       v_1 = v + (\Delta t\,\tau_{mem}^{-1})(((v_{leak} - v) + e) + I),\quad
       z = \Theta(v_1 - v_{th}),\quad v' = v_1 - z\,(v_1 - v_{reset}) $$

    Args:
        input_current: input current of this step.
        voltage: membrane voltage.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, v')``.

    Example:
        >>> lif_ex_current_encoder(torch.tensor([1.0, 40.0]), torch.zeros(2))
        (tensor([0., 1.]), tensor([0.1068, 0.0000]))
    """
    dv_leak = p.v_leak - voltage
    dv_exp = p.delta_T * torch.exp((voltage - p.v_th) / p.delta_T)
    v_new = voltage + dt * p.tau_mem_inv * (dv_leak + dv_exp + input_current)
    z = threshold(v_new - p.v_th, p.method, p.alpha)
    v_new = v_new - z * (v_new - p.v_reset)
    return z, v_new
