r"""Multi-compartment LIF with a refractory period (Norse's ``lif_mc_refrac``).

Unlike :mod:`.lif_refrac`, refractoriness here only freezes the leak/current drive of $v$; it
neither holds $v$ nor blocks spikes. The coupling $v\,G^T$ is added without a factor $\Delta t$
and the input is added to the current *after* the step (jump-last), all as in Norse 1.1.0:

$$ \begin{aligned}
  m &= \Theta(\rho) \\
  v_1 &= v + \big((((1 - m)\,\Delta t)\,\tau_{mem}^{-1})((v_{leak} - v) + i) + v\,G^T\big) \\
  i_1 &= i + (-\Delta t\,\tau_{syn}^{-1})\,i \\
  z &= \Theta(v_1 - v_{th}),\quad v' = (1 - z)\,v_1 + z\,v_{reset},\quad i' = i_1 + x \\
  \rho' &= (1 - z)\,\max(\rho - m, 0) + z\,\rho_{reset}
\end{aligned} $$
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear, relu

from snn_core import threshold

from .lif import LIFFeedForwardState, LIFParameters, LIFState
from .lif_refrac import LIFRefracFeedForwardState, LIFRefracParameters, LIFRefracState

__all__ = [
    "LIFMCRefracParameters",
    "lif_mc_refrac_feed_forward_step",
    "lif_mc_refrac_step",
    "lif_mc_refrac_neuron_step",
]


def _mc_refrac_update(
    v: Tensor, i: Tensor, rho: Tensor, g_coupling: Tensor, p: LIFRefracParameters, dt: float
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    lif = p.lif
    refrac_mask = threshold(rho, lif.method, lif.alpha)
    dv = (1 - refrac_mask) * dt * lif.tau_mem_inv * ((lif.v_leak - v) + i) + linear(v, g_coupling)
    v_decayed = v + dv
    i_decayed = i + -dt * lif.tau_syn_inv * i
    z_new = threshold(v_decayed - lif.v_th, lif.method, lif.alpha)
    v_new = (1 - z_new) * v_decayed + z_new * lif.v_reset
    return z_new, v_new, i_decayed, refrac_mask, relu(rho - refrac_mask)


def lif_mc_refrac_feed_forward_step(
    input_tensor: Tensor,
    state: LIFRefracFeedForwardState,
    g_coupling: Tensor,
    p: LIFRefracParameters = LIFRefracParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFRefracFeedForwardState]:
    r"""One feed-forward step of the refractory multi-compartment LIF neuron (module equations).

    Args:
        input_tensor: input current, added to ``i`` after the step.
        state: previous state.
        g_coupling: coupling matrix ``[n, n]`` (not scaled by ``dt``).
        p: parameters (the LIF part is ``p.lif``).
        dt: time step.

    Returns:
        ``(z, LIFRefracFeedForwardState(LIFFeedForwardState(v', i'), rho'))``.
    """
    z_new, v_new, i_decayed, _, rho_left = _mc_refrac_update(
        state.lif.v, state.lif.i, state.rho, g_coupling, p, dt
    )
    i_new = i_decayed + input_tensor
    rho_new = (1 - z_new) * rho_left + z_new * p.rho_reset
    return z_new, LIFRefracFeedForwardState(LIFFeedForwardState(v_new, i_new), rho_new)


def lif_mc_refrac_step(
    input_tensor: Tensor,
    state: LIFRefracState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    g_coupling: Tensor,
    p: LIFRefracParameters = LIFRefracParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFRefracState]:
    r"""Recurrent variant: after the step $i' = (i_1 + W_{in} x) + W_{rec} z_{prev}$.

    Args:
        input_tensor: input of this step.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        g_coupling: coupling matrix ``[n, n]`` over the last dimension.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFRefracState(LIFState(z', v', i'), rho'))``.
    """
    z_new, v_new, i_decayed, _, rho_left = _mc_refrac_update(
        state.lif.v, state.lif.i, state.rho, g_coupling, p, dt
    )
    i_new = i_decayed + linear(input_tensor, input_weights) + linear(state.lif.z, recurrent_weights)
    rho_new = (1 - z_new) * rho_left + z_new * p.rho_reset
    return z_new, LIFRefracState(LIFState(z_new, v_new, i_new), rho_new)


class LIFMCRefracParameters(NamedTuple):
    """:class:`LIFRefracParameters` plus the coupling, for the registered neuron ``"lif_mc_refrac"``.

    Attributes:
        lif: LIF parameters.
        rho_reset: refractory period in steps.
        g_coupling: ``[n, n]`` coupling matrix, or ``None`` for no coupling (a zero matrix).
    """

    lif: LIFParameters = LIFParameters()
    rho_reset: Tensor = torch.as_tensor(5.0)
    g_coupling: Tensor | None = None


def lif_mc_refrac_neuron_step(
    input_tensor: Tensor, state: LIFRefracFeedForwardState, p: LIFMCRefracParameters, dt: float = 0.001
) -> tuple[Tensor, LIFRefracFeedForwardState]:
    """The step registered as ``"lif_mc_refrac"``: :func:`lif_mc_refrac_feed_forward_step` with
    ``p.g_coupling`` (``None`` acts as a zero matrix: the coupling term is left out).

    Args:
        input_tensor: input of this step.
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LIFRefracFeedForwardState(LIFFeedForwardState(v', i'), rho'))``.
    """
    if p.g_coupling is not None:
        return lif_mc_refrac_feed_forward_step(input_tensor, state, p.g_coupling, p, dt)  # type: ignore[arg-type]
    lif = p.lif
    v, i, rho = state.lif.v, state.lif.i, state.rho
    refrac_mask = threshold(rho, lif.method, lif.alpha)
    v_decayed = v + (1 - refrac_mask) * dt * lif.tau_mem_inv * ((lif.v_leak - v) + i)
    i_decayed = i + -dt * lif.tau_syn_inv * i
    z_new = threshold(v_decayed - lif.v_th, lif.method, lif.alpha)
    v_new = (1 - z_new) * v_decayed + z_new * lif.v_reset
    rho_new = (1 - z_new) * relu(rho - refrac_mask) + z_new * p.rho_reset
    return z_new, LIFRefracFeedForwardState(LIFFeedForwardState(v_new, i_decayed + input_tensor), rho_new)
