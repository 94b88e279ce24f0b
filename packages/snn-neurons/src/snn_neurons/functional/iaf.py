r"""Integrate-and-fire (IAF): a perfect integrator with a threshold and a reset, no leak.

$$ v_1 = v + x,\qquad z = \Theta(v_1 - v_{th}),\qquad v' = (1 - z)\,v_1 + z\,v_{reset} $$

``dt`` is accepted and ignored (the input is added as a voltage jump).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

from snn_core import threshold

__all__ = ["IAFParameters", "IAFFeedForwardState", "IAFState", "iaf_feed_forward_step", "iaf_step"]


class IAFParameters(NamedTuple):
    """Parameters of an integrate-and-fire neuron.

    Attributes:
        v_th: threshold potential.
        v_reset: reset potential.
        method: registered threshold (surrogate gradient) name.
        alpha: the surrogate's hyperparameter.
    """

    v_th: Tensor = torch.as_tensor(1.0)
    v_reset: Tensor = torch.as_tensor(0.0)
    method: str = "super"
    alpha: float = torch.as_tensor(100.0)  # type: ignore[assignment]


class IAFFeedForwardState(NamedTuple):
    """State of a feed-forward IAF neuron: the membrane voltage ``v``."""

    v: Tensor


class IAFState(NamedTuple):
    """State of a recurrent IAF neuron: last spikes ``z`` and voltage ``v``."""

    z: Tensor
    v: Tensor


def iaf_feed_forward_step(
    input_spikes: Tensor,
    state: IAFFeedForwardState,
    p: IAFParameters = IAFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, IAFFeedForwardState]:
    r"""One step of a feed-forward integrate-and-fire neuron.

    $$ v_1 = v + x,\quad z = \Theta(v_1 - v_{th}),\quad v' = (1 - z)\,v_1 + z\,v_{reset} $$

    Args:
        input_spikes: input added to the voltage.
        state: previous state.
        p: parameters.
        dt: ignored (kept for the common step signature).

    Returns:
        ``(z, IAFFeedForwardState(v'))``.

    Example:
        >>> z, s = iaf_feed_forward_step(torch.tensor([0.6, 1.2]), IAFFeedForwardState(torch.zeros(2)))
        >>> z, s.v
        (tensor([0., 1.]), tensor([0.6000, 0.0000]))
    """
    v_new = state.v + input_spikes
    z_new = threshold(v_new - p.v_th, p.method, p.alpha)
    v_new = (1 - z_new) * v_new + z_new * p.v_reset
    return z_new, IAFFeedForwardState(v=v_new)


def iaf_step(
    input_spikes: Tensor,
    state: IAFState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: IAFParameters = IAFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, IAFState]:
    r"""One step of a recurrent integrate-and-fire neuron.

    $$ v_1 = (v + W_{in} x) + W_{rec} z,\quad z' = \Theta(v_1 - v_{th}),\quad
       v' = (1 - z')\,v_1 + z'\,v_{reset} $$

    Args:
        input_spikes: input ``[batch, in]``.
        state: previous ``IAFState(z, v)``.
        input_weights: ``[hidden, in]``.
        recurrent_weights: ``[hidden, hidden]``.
        p: parameters.
        dt: ignored.

    Returns:
        ``(z', IAFState(z', v'))``.
    """
    v_new = state.v + linear(input_spikes, input_weights) + linear(state.z, recurrent_weights)
    z_new = threshold(v_new - p.v_th, p.method, p.alpha)
    v_new = (1 - z_new) * v_new + z_new * p.v_reset
    return z_new, IAFState(z_new, v_new)
