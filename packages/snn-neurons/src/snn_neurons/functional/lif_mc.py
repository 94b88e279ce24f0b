r"""Multi-compartment LIF: LIF neurons whose voltages are coupled linearly.

$$ \dot v = \tau_{mem}^{-1}(v_{leak} - v + i) + G\,v $$

with a coupling matrix $G$ (``g_coupling``, ``[n, n]``) over the last dimension.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

from .lif import LIFFeedForwardState, LIFParameters, LIFState, lif_feed_forward_step, lif_step

__all__ = [
    "LIFMCParameters",
    "lif_mc_feed_forward_step",
    "lif_mc_step",
    "lif_mc_neuron_step",
]


def lif_mc_feed_forward_step(
    input_tensor: Tensor,
    state: LIFFeedForwardState,
    g_coupling: Tensor,
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFFeedForwardState]:
    r"""Couple the voltages, then take a :func:`lif_feed_forward_step`.

    $$ v_c = v + \Delta t\,(v\,G^T),\qquad (z, s') = \mathrm{lif\_feed\_forward\_step}(x, (v_c, i)) $$

    Args:
        input_tensor: input current ``[..., n]``.
        state: previous state.
        g_coupling: coupling matrix ``[n, n]``.
        p: LIF parameters.
        dt: time step.

    Returns:
        ``(z, LIFFeedForwardState(v', i'))``.

    Example:
        >>> g = torch.tensor([[0.0, 100.0], [0.0, 0.0]])
        >>> s = LIFFeedForwardState(torch.tensor([0.0, 1.0]), torch.zeros(2))
        >>> lif_mc_feed_forward_step(torch.zeros(2), s, g)[1].v
        tensor([0.0900, 0.9000])
    """
    v_coupled = state.v + dt * linear(state.v, g_coupling)
    return lif_feed_forward_step(input_tensor, LIFFeedForwardState(v_coupled, state.i), p, dt)


def lif_mc_step(
    input_tensor: Tensor,
    state: LIFState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    g_coupling: Tensor,
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFState]:
    r"""A recurrent :func:`lif_step`, then the coupling $v' = v_{LIF} + \Delta t\,(v_{LIF} G^T)$.

    (The recurrent variant couples *after* the LIF step, the feed-forward one *before*, as in Norse.)

    Args:
        input_tensor: input of this step.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        g_coupling: coupling matrix ``[n, n]`` over the last dimension.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFState(z', v', i'))``.
    """
    z, s = lif_step(input_tensor, state, input_weights, recurrent_weights, p, dt)
    v_new = s.v + dt * linear(s.v, g_coupling)
    return z, LIFState(s.z, v_new, s.i)


class LIFMCParameters(NamedTuple):
    """:class:`LIFParameters` plus the coupling matrix, for the registered neuron ``"lif_mc"``.

    ``snn_core.Neuron("lif_mc", p)`` needs the coupling in its parameters; ``g_coupling=None`` means
    no coupling (the model is then exactly LIF).

    Attributes:
        tau_syn_inv, tau_mem_inv, v_leak, v_th, v_reset, method, alpha: as in :class:`LIFParameters`.
        g_coupling: ``[n, n]`` coupling matrix over the last input dimension, or ``None``.
    """

    tau_syn_inv: Tensor = torch.as_tensor(1.0 / 5e-3)
    tau_mem_inv: Tensor = torch.as_tensor(1.0 / 1e-2)
    v_leak: Tensor = torch.as_tensor(0.0)
    v_th: Tensor = torch.as_tensor(1.0)
    v_reset: Tensor = torch.as_tensor(0.0)
    method: str = "super"
    alpha: float = torch.as_tensor(100.0)  # type: ignore[assignment]
    g_coupling: Tensor | None = None

    def lif(self) -> LIFParameters:
        """The LIF part of these parameters."""
        return LIFParameters(*self[:7])


def lif_mc_neuron_step(
    input_tensor: Tensor, state: LIFFeedForwardState, p: LIFMCParameters, dt: float = 0.001
) -> tuple[Tensor, LIFFeedForwardState]:
    """The step registered as ``"lif_mc"``: :func:`lif_mc_feed_forward_step` with ``p.g_coupling``.

    Without a coupling matrix it is :func:`lif_feed_forward_step`.

    Args:
        input_tensor: input of this step.
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LIFFeedForwardState(v', i'))``.
    """
    if p.g_coupling is None:
        return lif_feed_forward_step(input_tensor, state, p, dt)  # type: ignore[arg-type]
    return lif_mc_feed_forward_step(input_tensor, state, p.g_coupling, p, dt)  # type: ignore[arg-type]
