r"""Current-based leaky integrate-and-fire (LIF) neuron.

$$ \dot v = \tau_{mem}^{-1}\,(v_{leak} - v + i),\qquad \dot i = -\tau_{syn}^{-1}\, i,\qquad
   z = \Theta(v - v_{th}),\qquad v \leftarrow (1 - z)\,v + z\,v_{reset} $$

Discretised with one Euler step per call, the input jumping into the current first
(Norse 1.1.0's convention):

$$ \begin{aligned}
  j &= i + x \\
  v_1 &= v + (\Delta t\,\tau_{mem}^{-1})\,((v_{leak} - v) + j) \\
  i' &= j + (-\Delta t\,\tau_{syn}^{-1})\,j \\
  z &= \Theta(v_1 - v_{th}) \\
  v' &= (1 - z)\,v_1 + z\,v_{reset}
\end{aligned} $$
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

from snn_core import threshold

from . import _state_tuple

__all__ = [
    "LIFParameters",
    "LIFState",
    "LIFFeedForwardState",
    "lif_feed_forward_step",
    "lif_feed_forward_integral",
    "lif_feed_forward_step_sparse",
    "lif_current_encoder",
    "lif_step",
    "lif_step_sparse",
    "lif_step_integral",
]


class LIFParameters(NamedTuple):
    """Parameters of a LIF neuron (a NamedTuple and pytree node).

    Besides the fields it has Norse's state-tuple methods ``to(device)``, ``cuda()``, ``cpu()``,
    ``int()``, ``float()`` and ``broadcast(template)``, which map over the tensor fields only.

    Attributes:
        tau_syn_inv: inverse synaptic time constant $1/\\tau_{syn}$ (200 = 1/5 ms).
        tau_mem_inv: inverse membrane time constant $1/\\tau_{mem}$ (100 = 1/10 ms).
        v_leak: leak potential.
        v_th: threshold potential.
        v_reset: reset potential.
        method: registered threshold (surrogate gradient) name, e.g. ``"super"``, ``"tanh"``.
        alpha: the surrogate's hyperparameter.

    Example:
        >>> p = LIFParameters(v_th=torch.tensor(0.5))
        >>> p.broadcast(torch.zeros(3)).v_th
        tensor([0.5000, 0.5000, 0.5000])
    """

    tau_syn_inv: Tensor = torch.as_tensor(1.0 / 5e-3)
    tau_mem_inv: Tensor = torch.as_tensor(1.0 / 1e-2)
    v_leak: Tensor = torch.as_tensor(0.0)
    v_th: Tensor = torch.as_tensor(1.0)
    v_reset: Tensor = torch.as_tensor(0.0)
    method: str = "super"
    alpha: float = torch.as_tensor(100.0)  # type: ignore[assignment]

    # defs, not class attributes bound to the _state_tuple functions: type checkers accept only fields
    # and methods in a NamedTuple body. Last, so that ``int``/``float`` do not shadow the builtins
    # in the field annotations.
    def broadcast(self, template: Tensor) -> LIFParameters:
        """Every single-element tensor field becomes ``torch.full_like(template, value)``."""
        return _state_tuple.broadcast(self, template)

    def to(self, *args: Any, **kwargs: Any) -> LIFParameters:
        """Every tensor field moved (or cast) with ``Tensor.to(*args, **kwargs)``."""
        return _state_tuple.to(self, *args, **kwargs)

    def cuda(self) -> LIFParameters:
        """Every tensor field on the default CUDA device."""
        return _state_tuple.cuda(self)

    def cpu(self) -> LIFParameters:
        """Every tensor field on the CPU."""
        return _state_tuple.cpu(self)

    def int(self) -> LIFParameters:
        """Every tensor field cast with ``Tensor.int()``."""
        return _state_tuple.int_(self)

    def float(self) -> LIFParameters:
        """Every tensor field cast with ``Tensor.float()``."""
        return _state_tuple.float_(self)


class LIFState(NamedTuple):
    """State of a recurrent LIF neuron: last spikes ``z``, voltage ``v``, current ``i``."""

    z: Tensor
    v: Tensor
    i: Tensor


class LIFFeedForwardState(NamedTuple):
    """State of a feed-forward LIF neuron: voltage ``v`` and synaptic current ``i``."""

    v: Tensor
    i: Tensor


def _lif_update(i_jump: Tensor, v: Tensor, p: LIFParameters, dt: float) -> tuple[Tensor, Tensor, Tensor]:
    """Shared LIF arithmetic on the jumped current: returns ``(z, v_decayed, i_decayed)``."""
    v_decayed = v + dt * p.tau_mem_inv * ((p.v_leak - v) + i_jump)
    i_decayed = i_jump + -dt * p.tau_syn_inv * i_jump
    z_new = threshold(v_decayed - p.v_th, p.method, p.alpha)
    return z_new, v_decayed, i_decayed


def lif_feed_forward_step(
    input_spikes: Tensor,
    state: LIFFeedForwardState,
    p: LIFParameters,
    dt: float = 0.001,
) -> tuple[Tensor, LIFFeedForwardState]:
    r"""One Euler step of a feed-forward LIF neuron (input jumps into the current first).

    $$ j = i + x,\quad v_1 = v + (\Delta t\,\tau_{mem}^{-1})((v_{leak} - v) + j),\quad
       i' = j + (-\Delta t\,\tau_{syn}^{-1})\,j $$
    $$ z = \Theta(v_1 - v_{th}),\quad v' = (1 - z)\,v_1 + z\,v_{reset} $$

    The reset does not detach ``z``: gradients flow through it.

    Args:
        input_spikes: input current (any shape broadcastable with the state).
        state: previous ``LIFFeedForwardState(v, i)``.
        p: parameters (required, as in Norse 1.1.0).
        dt: time step.

    Returns:
        ``(z, LIFFeedForwardState(v', i'))``.

    Example:
        >>> s = LIFFeedForwardState(torch.zeros(2), torch.zeros(2))
        >>> z, s = lif_feed_forward_step(torch.tensor([1.0, 20.0]), s, LIFParameters())
        >>> z, s.v, s.i
        (tensor([0., 1.]), tensor([0.1000, 0.0000]), tensor([ 0.8000, 16.0000]))
    """
    z_new, v_decayed, i_decayed = _lif_update(state.i + input_spikes, state.v, p, dt)
    v_new = (1 - z_new) * v_decayed + z_new * p.v_reset
    return z_new, LIFFeedForwardState(v=v_new, i=i_decayed)


def lif_feed_forward_integral(
    input_tensor: Tensor,
    state: LIFFeedForwardState,
    p: LIFParameters,
    dt: float = 0.001,
) -> tuple[Tensor, LIFFeedForwardState]:
    r"""Run :func:`lif_feed_forward_step` over a time-first input ``[T, ...]``.

    Args:
        input_tensor: input ``[T, ...]``.
        state: initial state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z [T, ...], final state)``.
    """
    outputs = []
    for x in input_tensor.unbind(0):
        z, state = lif_feed_forward_step(x, state, p, dt)
        outputs.append(z)
    return torch.stack(outputs), state


def lif_feed_forward_step_sparse(
    input_tensor: Tensor,
    state: LIFFeedForwardState,
    p: LIFParameters,
    dt: float = 0.001,
) -> tuple[Tensor, LIFFeedForwardState]:
    r""":func:`lif_feed_forward_step` returning the spikes as a sparse COO tensor.

    Same arithmetic; the input may be dense or sparse, the state stays dense.

    Args:
        input_tensor: input of this step.
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z.to_sparse(), LIFFeedForwardState(v', i'))``.
    """
    z_new, v_decayed, i_decayed = _lif_update(state.i + input_tensor, state.v, p, dt)
    v_new = (1 - z_new) * v_decayed + z_new * p.v_reset
    return z_new.to_sparse(), LIFFeedForwardState(v=v_new, i=i_decayed)


def lif_current_encoder(
    input_current: Tensor,
    voltage: Tensor,
    p: LIFParameters,
    dt: float = 0.001,
) -> tuple[Tensor, Tensor]:
    r"""One step of a LIF neuron driven directly by a current (no synaptic current state).

    $$ v_1 = v + (\Delta t\,\tau_{mem}^{-1})((v_{leak} - v) + I),\quad z = \Theta(v_1 - v_{th}),\quad
       v' = v_1 - z\,(v_1 - v_{reset}) $$

    Args:
        input_current: the current $I$.
        voltage: the voltage $v$.
        p: parameters (required).
        dt: time step.

    Returns:
        ``(z, v')``.

    Example:
        >>> lif_current_encoder(torch.tensor([5.0, 20.0]), torch.tensor([0.0, 0.5]), LIFParameters())
        (tensor([0., 1.]), tensor([0.5000, 0.0000]))
    """
    v_new = voltage + dt * p.tau_mem_inv * ((p.v_leak - voltage) + input_current)
    z = threshold(v_new - p.v_th, p.method, p.alpha)
    v_new = v_new - z * (v_new - p.v_reset)
    return z, v_new


def lif_step(
    input_spikes: Tensor,
    state: LIFState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LIFParameters,
    dt: float = 0.001,
) -> tuple[Tensor, LIFState]:
    r"""One step of a recurrent LIF neuron: $j = (i + W_{in} x) + W_{rec} z$, then the LIF update.

    The reset uses ``z.detach()`` (as Norse's recurrent step does).

    Args:
        input_spikes: input ``[batch, in]``.
        state: previous ``LIFState(z, v, i)``.
        input_weights: ``[hidden, in]``.
        recurrent_weights: ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFState(z', v', i'))``.
    """
    i_jump = state.i + linear(input_spikes, input_weights) + linear(state.z, recurrent_weights)
    z_new, v_decayed, i_decayed = _lif_update(i_jump, state.v, p, dt)
    z_fixed = z_new.detach()
    v_new = (1 - z_fixed) * v_decayed + z_fixed * p.v_reset
    return z_new, LIFState(z_new, v_new, i_decayed)


def lif_step_sparse(
    input_spikes: Tensor,
    state: LIFState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LIFParameters,
    dt: float = 0.001,
) -> tuple[Tensor, LIFState]:
    r""":func:`lif_step` for sparse 2-D spikes (``torch.sparse.mm``); returns sparse spikes.

    ``input_spikes`` and ``state.z`` are sparse COO ``[batch, features]``; the reset does not detach
    ``z`` (as in Norse). The returned spikes are sparse and are stored in the state.

    Args:
        input_spikes: sparse COO input spikes ``[batch, in]``.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', LIFState(z', v', i'))`` with sparse ``z'``.
    """
    i_jump = (
        state.i
        + torch.sparse.mm(input_spikes, input_weights.t())
        + torch.sparse.mm(state.z, recurrent_weights.t())
    )
    z_new, v_decayed, i_decayed = _lif_update(i_jump, state.v, p, dt)
    v_new = (1 - z_new) * v_decayed + z_new * p.v_reset
    z_sparse = z_new.to_sparse()
    return z_sparse, LIFState(z_sparse, v_new, i_decayed)


def lif_step_integral(
    input_tensor: Tensor,
    state: LIFState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFState]:
    r"""Run :func:`lif_step` over a time-first input ``[T, batch, in]``.

    Returns the spikes of **every** step, ``[T, batch, hidden]``, as documented (Norse 1.1.0
    returns only the last step's spikes; see "Differences from Norse").

    Args:
        input_tensor: time-first input ``[T, batch, in]``.
        state: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z [T, ...], final state)``.
    """
    outputs = []
    for x in input_tensor.unbind(0):
        z, state = lif_step(x, state, input_weights, recurrent_weights, p, dt)
        outputs.append(z)
    return torch.stack(outputs), state
