r"""Adaptive exponential integrate-and-fire neuron (AdEx).

$$ \begin{aligned}
  \dot v &= \tau_{mem}^{-1}\,\big(v_{leak} - v + \Delta_T e^{(v - v_{th})/\Delta_T} + i - a\big) \\
  \dot i &= -\tau_{syn}^{-1}\, i \\
  \dot a &= \tau_{ada}^{-1}\,\big(a_c\,(v - v_{leak}) - a\big)
\end{aligned} $$

with $z = \Theta(v - v_{th})$, the reset $v \leftarrow v_{reset}$ and the jump $a \leftarrow a + a_s$
at each spike. The input jumps into the current first.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

from snn_core import threshold

__all__ = [
    "LIFAdExParameters",
    "LIFAdExFeedForwardState",
    "LIFAdExState",
    "lif_adex_feed_forward_step",
    "lif_adex_step",
    "lif_adex_current_encoder",
]


class LIFAdExParameters(NamedTuple):
    """Parameters of an adaptive exponential LIF neuron.

    Attributes:
        adaptation_current: subthreshold adaptation coupling $a_c$ (int64 ``tensor(4)`` as in Norse).
        adaptation_spike: spike-triggered adaptation jump $a_s$.
        delta_T: sharpness $\\Delta_T$ of the exponential term (> 0).
        tau_ada_inv: inverse adaptation time constant.
        tau_syn_inv: inverse synaptic time constant.
        tau_mem_inv: inverse membrane time constant.
        v_leak: leak potential.
        v_th: threshold potential.
        v_reset: reset potential.
        method: registered threshold name.
        alpha: the surrogate's hyperparameter.
    """

    adaptation_current: Tensor = torch.as_tensor(4)
    adaptation_spike: Tensor = torch.as_tensor(0.02)
    delta_T: Tensor = torch.as_tensor(0.5)
    tau_ada_inv: Tensor = torch.as_tensor(2.0)
    tau_syn_inv: Tensor = torch.as_tensor(1.0 / 5e-3)
    tau_mem_inv: Tensor = torch.as_tensor(1.0 / 1e-2)
    v_leak: Tensor = torch.as_tensor(0.0)
    v_th: Tensor = torch.as_tensor(1.0)
    v_reset: Tensor = torch.as_tensor(0.0)
    method: str = "super"
    alpha: float = 100.0


class LIFAdExFeedForwardState(NamedTuple):
    """Feed-forward state: voltage ``v``, synaptic current ``i`` and adaptation current ``a``."""

    v: Tensor
    i: Tensor
    a: Tensor


class LIFAdExState(NamedTuple):
    """Recurrent state: last spikes ``z``, voltage ``v``, current ``i``, adaptation ``a``."""

    z: Tensor
    v: Tensor
    i: Tensor
    a: Tensor


def _adex_update(
    i_jump: Tensor, v: Tensor, a: Tensor, p: LIFAdExParameters, dt: float
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    dv_leak = p.v_leak - v  # created before the exponential: same gradient accumulation order as Norse
    dv_exp = p.delta_T * torch.exp((v - p.v_th) / p.delta_T)
    v_decayed = v + dt * p.tau_mem_inv * (dv_leak + dv_exp + i_jump - a)
    i_decayed = i_jump + -dt * p.tau_syn_inv * i_jump
    a_decayed = a + dt * p.tau_ada_inv * (p.adaptation_current * (v - p.v_leak) - a)
    z_new = threshold(v_decayed - p.v_th, p.method, p.alpha)
    v_new = (1 - z_new) * v_decayed + z_new * p.v_reset
    a_new = a_decayed + z_new * p.adaptation_spike
    return z_new, v_new, i_decayed, a_new


def lif_adex_feed_forward_step(
    input_spikes: Tensor,
    state: LIFAdExFeedForwardState = LIFAdExFeedForwardState(0, 0, 0),  # type: ignore[arg-type]
    p: LIFAdExParameters = LIFAdExParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFAdExFeedForwardState]:
    r"""One Euler step of a feed-forward AdEx neuron.

    $$ \begin{aligned}
      j &= i + x,\quad e = \Delta_T \exp((v - v_{th})/\Delta_T) \\
      v_1 &= v + (\Delta t\,\tau_{mem}^{-1})\,((((v_{leak} - v) + e) + j) - a) \\
      i' &= j + (-\Delta t\,\tau_{syn}^{-1})\,j \\
      a_1 &= a + (\Delta t\,\tau_{ada}^{-1})\,(a_c (v - v_{leak}) - a) \\
      z &= \Theta(v_1 - v_{th}),\quad v' = (1 - z)\,v_1 + z\,v_{reset},\quad a' = a_1 + z\,a_s
    \end{aligned} $$

    The default state ``(0, 0, 0)`` broadcasts, so the function runs without a state (``lift``).

    Args:
        input_spikes: input of this step (added to the synaptic current).
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LIFAdExFeedForwardState(v', i', a'))``.

    Example:
        >>> z, s = lif_adex_feed_forward_step(torch.tensor([1.0, 30.0]))
        >>> z, s.a
        (tensor([0., 1.]), tensor([0.0000, 0.0200]))
    """
    z_new, v_new, i_new, a_new = _adex_update(state.i + input_spikes, state.v, state.a, p, dt)
    return z_new, LIFAdExFeedForwardState(v_new, i_new, a_new)


def lif_adex_step(
    input_spikes: Tensor,
    state: LIFAdExState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LIFAdExParameters = LIFAdExParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFAdExState]:
    r"""Recurrent AdEx step: $j = (i + W_{in} x) + W_{rec} z$, then the update of
    :func:`lif_adex_feed_forward_step`.

    Args:
        input_spikes: input of this step (added to the synaptic current).
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFAdExState(z', v', i', a'))``.
    """
    i_jump = state.i + linear(input_spikes, input_weights) + linear(state.z, recurrent_weights)
    z_new, v_new, i_new, a_new = _adex_update(i_jump, state.v, state.a, p, dt)
    return z_new, LIFAdExState(z_new, v_new, i_new, a_new)


def lif_adex_current_encoder(
    input_current: Tensor,
    voltage: Tensor,
    adaptation: Tensor,
    p: LIFAdExParameters = LIFAdExParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, Tensor, Tensor]:
    r"""One AdEx step driven directly by a current (no synaptic current state).

    $$ \begin{aligned}
      e &= \Delta_T \exp((v - v_{th})/\Delta_T) \\
      v_1 &= v + (\Delta t\,\tau_{mem}^{-1})\,((((v_{leak} - v) + e) + I) - a) \\
      z &= \Theta(v_1 - v_{th}),\quad v' = v_1 - z\,(v_1 - v_{reset}) \\
      a' &= \big(a + (\Delta t\,\tau_{ada}^{-1})\,(a_c (v - v_{leak}) - a)\big) + z\,a_s
    \end{aligned} $$

    The adaptation is integrated like in :func:`lif_adex_feed_forward_step` (Euler step from the
    pre-step voltage, then the spike jump). Norse 1.1.0 drops ``dt`` and the ``a +`` term and uses the
    post-reset voltage, which makes ``a`` explode; see "Differences from Norse".

    Args:
        input_current: input current of this step.
        voltage: membrane voltage.
        adaptation: adaptation current.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, v', a')``.

    Example:
        >>> lif_adex_current_encoder(torch.tensor([1.0, 40.0]), torch.zeros(2), torch.zeros(2))
        (tensor([0., 1.]), tensor([0.1068, 0.0000]), tensor([0.0000, 0.0200]))
    """
    dv_leak = p.v_leak - voltage
    dv_exp = p.delta_T * torch.exp((voltage - p.v_th) / p.delta_T)
    v_new = voltage + dt * p.tau_mem_inv * (dv_leak + dv_exp + input_current - adaptation)
    a_new = adaptation + dt * p.tau_ada_inv * (p.adaptation_current * (voltage - p.v_leak) - adaptation)
    z = threshold(v_new - p.v_th, p.method, p.alpha)
    v_new = v_new - z * (v_new - p.v_reset)
    a_new = a_new + z * p.adaptation_spike
    return z, v_new, a_new
