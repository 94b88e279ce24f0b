r"""LIF "box" neuron: a leaky integrate-and-fire neuron without a synaptic current.

The input acts directly on the voltage derivative:

$$ v_1 = v + (\Delta t\,\tau_{mem}^{-1})\,((x + v_{leak}) - v),\quad z = \Theta(v_1 - v_{th}),\quad
   v' = \mathrm{reset}(z, v_1, v_{reset}, v_{th}) $$
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor

from snn_core import threshold

from . import _state_tuple
from .reset import ResetMethod, reset_value

__all__ = ["LIFBoxParameters", "LIFBoxFeedForwardState", "LIFBoxState", "lif_box_feed_forward_step"]


class LIFBoxParameters(NamedTuple):
    """Parameters of a LIF box neuron (a NamedTuple and pytree node with ``to``/``broadcast``/...).

    Attributes:
        tau_mem_inv: inverse membrane time constant (100 = 1/10 ms).
        v_leak: leak potential.
        v_th: threshold potential.
        v_reset: reset potential.
        method: registered threshold name.
        alpha: the surrogate's hyperparameter.
        reset_method: :func:`reset_value` (default) or :func:`reset_subtract`.
    """

    tau_mem_inv: Tensor = torch.as_tensor(1.0 / 1e-2)
    v_leak: Tensor = torch.as_tensor(0.0)
    v_th: Tensor = torch.as_tensor(1.0)
    v_reset: Tensor = torch.as_tensor(0.0)
    method: str = "super"
    alpha: float = torch.as_tensor(100.0)  # type: ignore[assignment]
    reset_method: ResetMethod = reset_value

    # defs, not class attributes bound to the _state_tuple functions: type checkers accept only fields
    # and methods in a NamedTuple body. Last, so that ``int``/``float`` do not shadow the builtins
    # in the field annotations.
    def broadcast(self, template: Tensor) -> LIFBoxParameters:
        """Every single-element tensor field becomes ``torch.full_like(template, value)``."""
        return _state_tuple.broadcast(self, template)

    def to(self, *args: Any, **kwargs: Any) -> LIFBoxParameters:
        """Every tensor field moved (or cast) with ``Tensor.to(*args, **kwargs)``."""
        return _state_tuple.to(self, *args, **kwargs)

    def cuda(self) -> LIFBoxParameters:
        """Every tensor field on the default CUDA device."""
        return _state_tuple.cuda(self)

    def cpu(self) -> LIFBoxParameters:
        """Every tensor field on the CPU."""
        return _state_tuple.cpu(self)

    def int(self) -> LIFBoxParameters:
        """Every tensor field cast with ``Tensor.int()``."""
        return _state_tuple.int_(self)

    def float(self) -> LIFBoxParameters:
        """Every tensor field cast with ``Tensor.float()``."""
        return _state_tuple.float_(self)


class LIFBoxFeedForwardState(NamedTuple):
    """State of a feed-forward LIF box neuron: the voltage ``v``."""

    v: Tensor


class LIFBoxState(NamedTuple):
    """State of a recurrent LIF box neuron: last spikes ``z`` and voltage ``v``."""

    z: Tensor
    v: Tensor


def lif_box_feed_forward_step(
    input_tensor: Tensor,
    state: LIFBoxFeedForwardState,
    p: LIFBoxParameters = LIFBoxParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, LIFBoxFeedForwardState]:
    r"""One Euler step of a LIF box neuron.

    $$ v_1 = v + (\Delta t\,\tau_{mem}^{-1})((x + v_{leak}) - v),\quad z = \Theta(v_1 - v_{th}),\quad
       v' = \mathrm{reset\_method}(z, v_1, v_{reset}, v_{th}) $$

    Args:
        input_tensor: input (acts on $\dot v$ directly).
        state: previous state.
        p: parameters.
        dt: time step.

    Returns:
        ``(z, LIFBoxFeedForwardState(v'))``.

    Example:
        >>> z, s = lif_box_feed_forward_step(torch.tensor([5.0, 20.0]), LIFBoxFeedForwardState(torch.tensor([0.0, 0.5])))
        >>> z, s.v
        (tensor([0., 1.]), tensor([0.5000, 0.0000]))
    """
    v_new = state.v + dt * p.tau_mem_inv * ((input_tensor + p.v_leak) - state.v)
    z_new = threshold(v_new - p.v_th, p.method, p.alpha)
    v_new = p.reset_method(z_new, v_new, p.v_reset, p.v_th)
    return z_new, LIFBoxFeedForwardState(v=v_new)
