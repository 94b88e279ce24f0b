r"""Conductance-based LIF neuron (CobaLIF).

$$ C_m \dot v = g_l (v_{rest} - v) + g_e (E_E - v) + g_i (E_I - v),\qquad
   \dot g_e = -\tau_{e}^{-1} g_e,\qquad \dot g_i = -\tau_{i}^{-1} g_i $$

The positive part of the input jumps into $g_e$, the negative part into $g_i$; the conductances
decay and the decayed values drive the voltage in the same step.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear, relu

from snn_core import threshold

__all__ = [
    "CobaLIFParameters",
    "CobaLIFFeedForwardState",
    "CobaLIFState",
    "coba_lif_feed_forward_step",
    "coba_lif_step",
]


class CobaLIFParameters(NamedTuple):
    """Parameters of a conductance-based LIF neuron.

    The reversal, rest, reset and threshold potentials default to 0-dim **int64** tensors, as in
    Norse 1.1.0 (harmless for float arithmetic).

    Attributes:
        tau_syn_exc_inv: inverse excitatory synaptic time constant (0.2).
        tau_syn_inh_inv: inverse inhibitory synaptic time constant (0.2).
        c_m_inv: inverse membrane capacitance (5.0).
        g_l: leak conductance (0.25).
        e_rev_I: inhibitory reversal potential (-100).
        e_rev_E: excitatory reversal potential (60).
        v_rest: rest potential (-20).
        v_reset: reset potential (-70).
        v_thresh: threshold potential (-10).
        method: registered threshold name.
        alpha: the surrogate's hyperparameter.
    """

    tau_syn_exc_inv: Tensor = torch.as_tensor(1.0 / 5)
    tau_syn_inh_inv: Tensor = torch.as_tensor(1.0 / 5)
    c_m_inv: Tensor = torch.as_tensor(1 / 0.2)
    g_l: Tensor = torch.as_tensor(1 / 20 * 1 / 0.2)
    e_rev_I: Tensor = torch.as_tensor(-100)
    e_rev_E: Tensor = torch.as_tensor(60)
    v_rest: Tensor = torch.as_tensor(-20)
    v_reset: Tensor = torch.as_tensor(-70)
    v_thresh: Tensor = torch.as_tensor(-10)
    method: str = "super"
    alpha: float = 100.0


class CobaLIFFeedForwardState(NamedTuple):
    """Feed-forward state: voltage ``v``, excitatory ``g_e`` and inhibitory ``g_i`` conductances."""

    v: Tensor
    g_e: Tensor
    g_i: Tensor


class CobaLIFState(NamedTuple):
    """Recurrent state: last spikes ``z``, voltage ``v`` and conductances ``g_e``, ``g_i``."""

    z: Tensor
    v: Tensor
    g_e: Tensor
    g_i: Tensor


def _coba_update(
    g_e: Tensor, g_i: Tensor, v: Tensor, p: CobaLIFParameters, dt: float
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    g_e = g_e + -dt * p.tau_syn_exc_inv * g_e
    g_i = g_i + -dt * p.tau_syn_inh_inv * g_i
    dv = dt * p.c_m_inv * (p.g_l * (p.v_rest - v) + g_e * (p.e_rev_E - v) + g_i * (p.e_rev_I - v))
    v_decayed = v + dv
    z_new = threshold(v_decayed - p.v_thresh, p.method, p.alpha)
    v_new = (1 - z_new) * v_decayed + z_new * p.v_reset
    return z_new, v_new, g_e, g_i


def coba_lif_feed_forward_step(
    input_tensor: Tensor,
    state: CobaLIFFeedForwardState,
    p: CobaLIFParameters = CobaLIFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, CobaLIFFeedForwardState]:
    r"""One Euler step of a feed-forward conductance-based LIF neuron.

    $$ \begin{aligned}
      g_e &\leftarrow g_e + \max(x, 0),\quad g_i \leftarrow g_i + \max(-x, 0) \\
      g_e' &= g_e + (-\Delta t\,\tau_e^{-1})\,g_e,\quad g_i' = g_i + (-\Delta t\,\tau_i^{-1})\,g_i \\
      v_1 &= v + (\Delta t\,C_m^{-1})\,\big((g_l(v_{rest} - v) + g_e'(E_E - v)) + g_i'(E_I - v)\big) \\
      z &= \Theta(v_1 - v_{thresh}),\quad v' = (1 - z)\,v_1 + z\,v_{reset}
    \end{aligned} $$

    Args:
        input_tensor: signed input; its sign selects the conductance.
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, CobaLIFFeedForwardState(v', g_e', g_i'))``.

    Example:
        >>> s = CobaLIFFeedForwardState(torch.full((2,), -20.0), torch.zeros(2), torch.zeros(2))
        >>> z, s = coba_lif_feed_forward_step(torch.tensor([100.0, -5.0]), s)
        >>> z, s.v
        (tensor([1., 0.]), tensor([-70.0000, -21.9996]))
    """
    g_e = state.g_e + relu(input_tensor)
    g_i = state.g_i + relu(-input_tensor)
    z_new, v_new, g_e, g_i = _coba_update(g_e, g_i, state.v, p, dt)
    return z_new, CobaLIFFeedForwardState(v_new, g_e, g_i)


def coba_lif_step(
    input_spikes: Tensor,
    state: CobaLIFState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: CobaLIFParameters = CobaLIFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, CobaLIFState]:
    r"""One step of a recurrent conductance-based LIF neuron.

    Positive weights drive $g_e$, negative weights $g_i$, from both the input and the previous spikes:

    $$ g_e \leftarrow (g_e + x\,\max(W_{in}, 0)^T) + z\,\max(W_{rec}, 0)^T,\quad
       g_i \leftarrow (g_i + x\,\max(-W_{in}, 0)^T) + z\,\max(-W_{rec}, 0)^T $$

    then the update of :func:`coba_lif_feed_forward_step`. Norse 1.1.0 overwrites the input jump
    with the recurrent one, so external input is lost there; this function keeps both (see
    "Differences from Norse").

    Args:
        input_spikes: input of this step (added to the synaptic current).
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', CobaLIFState(z', v', g_e', g_i'))``.
    """
    g_e = state.g_e + linear(input_spikes, relu(input_weights)) + linear(state.z, relu(recurrent_weights))
    g_i = state.g_i + linear(input_spikes, relu(-input_weights)) + linear(state.z, relu(-recurrent_weights))
    z_new, v_new, g_e, g_i = _coba_update(g_e, g_i, state.v, p, dt)
    return z_new, CobaLIFState(z_new, v_new, g_e, g_i)
