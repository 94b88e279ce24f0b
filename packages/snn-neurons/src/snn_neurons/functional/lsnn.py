r"""Long short-term memory spiking neuron (LSNN): a LIF neuron with an adaptive threshold $b$.

$$ \dot v = \tau_{mem}^{-1}(v_{leak} - v + i),\quad \dot i = -\tau_{syn}^{-1} i,\quad
   \dot b = \tau_{b}^{-1}(v_{th} - b),\quad z = \Theta(v - b) $$

At a spike $v \leftarrow v_{reset}$ and $b \leftarrow b + \beta$. The threshold *is* $b$, so start
from $b = v_{th}$. The input is added to the current after the step (jump-last):

$$ \begin{aligned}
  v_1 &= v + (\Delta t\,\tau_{mem}^{-1})((v_{leak} - v) + i),\quad
  i_1 = i + (-\Delta t\,\tau_{syn}^{-1})\,i,\quad b_1 = b + (\Delta t\,\tau_b^{-1})(v_{th} - b) \\
  z &= \Theta(v_1 - b_1),\quad v' = (1 - z)\,v_1 + z\,v_{reset},\quad b' = b_1 + z\,\beta,\quad
  i' = i_1 + x
\end{aligned} $$
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

from snn_core import threshold

__all__ = ["LSNNParameters", "LSNNFeedForwardState", "LSNNState", "lsnn_feed_forward_step", "lsnn_step"]


class LSNNParameters(NamedTuple):
    """Parameters of an LSNN neuron.

    Attributes:
        tau_syn_inv: inverse synaptic time constant (200).
        tau_mem_inv: inverse membrane time constant (100).
        tau_adapt_inv: inverse threshold-adaptation time constant (1/800).
        v_leak: leak potential.
        v_th: resting threshold that $b$ relaxes to.
        v_reset: reset potential.
        beta: threshold jump per spike (1.8).
        method: registered threshold name.
        alpha: the surrogate's hyperparameter.
    """

    tau_syn_inv: Tensor = torch.as_tensor(1.0 / 5e-3)
    tau_mem_inv: Tensor = torch.as_tensor(1.0 / 1e-2)
    tau_adapt_inv: Tensor = torch.as_tensor(1.0 / 800)
    v_leak: Tensor = torch.as_tensor(0.0)
    v_th: Tensor = torch.as_tensor(1.0)
    v_reset: Tensor = torch.as_tensor(0.0)
    beta: Tensor = torch.as_tensor(1.8)
    method: str = "super"
    alpha: float = 100.0


class LSNNFeedForwardState(NamedTuple):
    """Feed-forward state: voltage ``v``, current ``i`` and adaptive threshold ``b``."""

    v: Tensor
    i: Tensor
    b: Tensor


class LSNNState(NamedTuple):
    """Recurrent state: last spikes ``z``, voltage ``v``, current ``i``, adaptive threshold ``b``."""

    z: Tensor
    v: Tensor
    i: Tensor
    b: Tensor


def _lsnn_decay(
    v: Tensor, i: Tensor, b: Tensor, p: LSNNParameters, dt: float
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    v_decayed = v + dt * p.tau_mem_inv * ((p.v_leak - v) + i)
    i_decayed = i + -dt * p.tau_syn_inv * i
    b_decayed = b + dt * p.tau_adapt_inv * (p.v_th - b)
    z_new = threshold(v_decayed - b_decayed, p.method, p.alpha)
    return z_new, v_decayed, i_decayed, b_decayed


def lsnn_feed_forward_step(
    input_tensor: Tensor,
    state: LSNNFeedForwardState,
    p: LSNNParameters = LSNNParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LSNNFeedForwardState]:
    r"""One Euler step of a feed-forward LSNN neuron (equations in the module docstring).

    Args:
        input_tensor: input current, added to ``i`` after the step.
        state: previous state; initialise ``b`` to ``p.v_th``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LSNNFeedForwardState(v', i', b'))``.

    Example:
        >>> s = LSNNFeedForwardState(torch.tensor([0.0, 0.9]), torch.tensor([0.0, 5.0]), torch.ones(2))
        >>> z, s = lsnn_feed_forward_step(torch.tensor([1.0, 1.0]), s)
        >>> z, s.b
        (tensor([0., 1.]), tensor([1.0000, 2.8000]))
    """
    z_new, v_decayed, i_decayed, b_decayed = _lsnn_decay(state.v, state.i, state.b, p, dt)
    v_new = (1 - z_new) * v_decayed + z_new * p.v_reset
    b_new = b_decayed + z_new * p.beta
    i_new = i_decayed + input_tensor
    return z_new, LSNNFeedForwardState(v=v_new, i=i_new, b=b_new)


def lsnn_step(
    input_tensor: Tensor,
    state: LSNNState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LSNNParameters = LSNNParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LSNNState]:
    r"""Recurrent LSNN step: after the update $i' = (i_1 + W_{in} x) + W_{rec} z_{prev}$.

    The reset and the threshold jump use ``z.detach()``.

    Args:
        input_tensor: input of this step.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LSNNState(z', v', i', b'))``.
    """
    z_new, v_decayed, i_decayed, b_decayed = _lsnn_decay(state.v, state.i, state.b, p, dt)
    z_fixed = z_new.detach()
    v_new = (1 - z_fixed) * v_decayed + z_fixed * p.v_reset
    i_new = i_decayed + linear(input_tensor, input_weights) + linear(state.z, recurrent_weights)
    b_new = b_decayed + z_fixed * p.beta
    return z_new, LSNNState(z_new, v_new, i_new, b_new)
