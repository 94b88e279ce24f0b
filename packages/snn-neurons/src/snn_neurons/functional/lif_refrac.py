r"""LIF neuron with an absolute refractory period.

A refractory counter $\rho$ is set to $\rho_{reset}$ at every spike and counts down by one per step
(independent of ``dt``). While $\rho > 0$ the voltage is held at its pre-step value and spikes are
suppressed; the current keeps integrating input:

$$ m = \Theta(\rho),\quad v' = (1 - m)\,v_{LIF} + m\,v,\quad z = (1 - m)\,z_{LIF},\quad
   \rho' = (1 - z)\,\max(\rho - m, 0) + z\,\rho_{reset} $$

The mask goes through the surrogate threshold, so $\rho$ receives gradients.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import relu

from snn_core import threshold

from .lif import (
    LIFFeedForwardState,
    LIFParameters,
    LIFState,
    lif_feed_forward_step,
    lif_step,
    lif_step_sparse,
)

__all__ = [
    "LIFRefracParameters",
    "LIFRefraxParameters",
    "LIFRefracFeedForwardState",
    "LIFRefraxFeedForwardState",
    "LIFRefracState",
    "compute_refractory_update",
    "lif_refrac_feed_forward_step",
    "lif_refrac_step",
    "lif_refrac_step_sparse",
]


class LIFRefracParameters(NamedTuple):
    """Parameters of a refractory LIF neuron.

    Attributes:
        lif: the :class:`LIFParameters` of the underlying LIF neuron.
        rho_reset: refractory period in steps (default 5).
    """

    lif: LIFParameters = LIFParameters()
    rho_reset: Tensor = torch.as_tensor(5.0)


class LIFRefracFeedForwardState(NamedTuple):
    """Feed-forward state: the LIF state ``lif`` and the refractory counter ``rho``."""

    lif: LIFFeedForwardState
    rho: Tensor


class LIFRefracState(NamedTuple):
    """Recurrent state: the recurrent LIF state ``lif`` (with ``z``) and the counter ``rho``."""

    lif: LIFState
    rho: Tensor


LIFRefraxParameters = LIFRefracParameters
"""Alias of :class:`LIFRefracParameters` (the spelling in Norse's documentation)."""
LIFRefraxFeedForwardState = LIFRefracFeedForwardState
"""Alias of :class:`LIFRefracFeedForwardState` (the spelling in Norse's documentation)."""


def compute_refractory_update(
    state: Any, z_new: Tensor, v_new: Tensor, p: LIFRefracParameters = LIFRefracParameters()
) -> tuple[Tensor, Tensor, Tensor]:
    r"""Apply the refractory mask to a LIF step's result.

    $$ m = \Theta(\rho),\quad v = (1 - m)\,v_{new} + m\,v_{old},\quad z = (1 - m)\,z_{new},\quad
       \rho' = (1 - z)\,\max(\rho - m, 0) + z\,\rho_{reset} $$

    Args:
        state: the previous refractory state (``state.rho`` and ``state.lif.v`` are read).
        z_new: spikes of the plain LIF step.
        v_new: voltage after the plain LIF step.
        p: parameters.

    Returns:
        ``(v, z, rho')``.
    """
    refrac_mask = threshold(state.rho, p.lif.method, p.lif.alpha)
    v_new = (1 - refrac_mask) * v_new + refrac_mask * state.lif.v
    z_new = (1 - refrac_mask) * z_new
    rho_new = (1 - z_new) * relu(state.rho - refrac_mask) + z_new * p.rho_reset
    return v_new, z_new, rho_new


def lif_refrac_feed_forward_step(
    input_tensor: Tensor,
    state: LIFRefracFeedForwardState,
    p: LIFRefracParameters = LIFRefracParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFRefracFeedForwardState]:
    r"""One step of a feed-forward refractory LIF neuron.

    Runs :func:`lif_feed_forward_step`, then :func:`compute_refractory_update`.

    Args:
        input_tensor: input of this step.
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LIFRefracFeedForwardState(LIFFeedForwardState(v', i'), rho'))``.

    Example:
        >>> s = LIFRefracFeedForwardState(LIFFeedForwardState(torch.zeros(1), torch.zeros(1)), torch.zeros(1))
        >>> z, s = lif_refrac_feed_forward_step(torch.tensor([20.0]), s)
        >>> z, s.rho
        (tensor([1.]), tensor([5.]))
    """
    z_new, s_new = lif_feed_forward_step(input_tensor, state.lif, p.lif, dt)
    v_new, z_new, rho_new = compute_refractory_update(state, z_new, s_new.v, p)
    return z_new, LIFRefracFeedForwardState(LIFFeedForwardState(v_new, s_new.i), rho_new)


def lif_refrac_step(
    input_tensor: Tensor,
    state: LIFRefracState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LIFRefracParameters = LIFRefracParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFRefracState]:
    r"""One step of a recurrent refractory LIF neuron: :func:`lif_step`, then the refractory update.

    Args:
        input_tensor: input of this step.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFRefracState(LIFState(z', v', i'), rho'))``.
    """
    z_new, s_new = lif_step(input_tensor, state.lif, input_weights, recurrent_weights, p.lif, dt)
    v_new, z_new, rho_new = compute_refractory_update(state, z_new, s_new.v, p)
    return z_new, LIFRefracState(LIFState(z_new, v_new, s_new.i), rho_new)


def lif_refrac_step_sparse(
    input_tensor: Tensor,
    state: LIFRefracState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LIFRefracParameters = LIFRefracParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFRefracState]:
    """:func:`lif_refrac_step` on sparse spikes (via :func:`lif_step_sparse`).

    Args:
        input_tensor: sparse COO input spikes ``[batch, in]``.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFRefracState(LIFState(z', v', i'), rho'))`` with sparse ``z'``.
    """
    z_new, s_new = lif_step_sparse(input_tensor, state.lif, input_weights, recurrent_weights, p.lif, dt)
    v_new, z_new, rho_new = compute_refractory_update(state, z_new, s_new.v, p)
    return z_new, LIFRefracState(LIFState(z_new, v_new, s_new.i), rho_new)
