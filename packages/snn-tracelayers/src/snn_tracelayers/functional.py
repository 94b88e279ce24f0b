r"""Pure step and whole-sequence functions of the trace layers.

``trace_step(x, states, params, config) -> (out, states)`` runs one timestep of the layer described
by ``config.recipe`` (see :mod:`snn_tracelayers.parts` for the equations). Tensors are in the
working layout (feature axis last); ``states`` and ``params`` are dicts keyed by the layer's state
and parameter names, parameters already activated (e.g. ``params["beta"]`` $= \sigma(r_\beta)$).

``trace_sequence(xs, states, params, config)`` is the same over a time-first input ``[T, ..., N]``;
it returns exactly what ``T`` calls of :func:`trace_step` return. Fused kernels registered for
``"trace:<class name>"`` receive the same arguments (see the package docs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor

from .fused import fused_trace_sequence
from .parts import TraceRecipe

__all__ = ["TraceConfig", "trace_step", "trace_sequence"]


class TraceConfig(NamedTuple):
    """Static description of a trace layer for the pure functions.

    Attributes:
        recipe: the parts.
        spike_fn: $f$, a one-argument callable (unused without firing).
        quant_fn: $q$, or ``None`` for the identity.
    """

    recipe: TraceRecipe
    spike_fn: Callable[[Tensor], Tensor] | None = None
    quant_fn: Callable[[Tensor], Tensor] | None = None


def trace_step(
    x: Tensor, states: dict[str, Tensor], params: dict[str, Tensor], config: TraceConfig
) -> tuple[Tensor, dict[str, Tensor]]:
    """One timestep; returns the output and a new dict of states (the input dict is not modified).

    Args:
        x: input ``[..., N]`` (feature axis last).
        states: every state of ``config.recipe.states``, shaped like ``x``.
        params: every parameter of ``config.recipe.params``, activated, shape ``[N]`` or ``[]``.
        config: the layer description.

    Returns:
        ``(out, new_states)``.
    """
    recipe = config.recipe
    membrane = recipe.membrane
    new: dict[str, Tensor] = {}
    drive = recipe.synapse.update(x, states, params, new) if recipe.synapse is not None else x
    if recipe.recurrence is not None:
        delta = recipe.recurrence.drive(drive, membrane, states, params, new)
    else:
        delta = membrane.split(drive)
    m = membrane.integrate(delta, states, params, new)
    if recipe.firing is not None:
        if config.spike_fn is None:
            raise TypeError(
                f"config.spike_fn is None, expected a one-argument callable for the firing part "
                f"{type(recipe.firing).__name__}"
            )
        out = recipe.firing.fire(m, membrane, params, new, config.spike_fn, config.quant_fn)
    else:
        out = m
    if recipe.recurrence is not None:
        new["prev_output"] = out
    return out, new


def trace_sequence(
    xs: Tensor,
    states: dict[str, Tensor],
    params: dict[str, Tensor],
    config: TraceConfig,
    *,
    fused: bool = True,
) -> tuple[Tensor, dict[str, Tensor]]:
    """``T`` timesteps of :func:`trace_step` over a time-first input ``[T, ..., N]``.

    By default the fused path (:mod:`snn_tracelayers.fused`: one autograd node for all steps,
    same outputs and states bit for bit, gradients equal up to rounding) runs whenever it applies;
    otherwise, with ``fused=False`` and inside ``torch.compile``, the step function is looped.

    Returns:
        ``(outputs [T, ..., N], final states)``.
    """
    if fused and not torch.compiler.is_compiling():
        result = fused_trace_sequence(xs, states, params, config)
        if result is not NotImplemented:
            return result
    outs = []
    for x in xs.unbind(0):
        out, states = trace_step(x, states, params, config)
        outs.append(out)
    if not outs:
        return xs.new_zeros(xs.shape), dict(states)
    return torch.stack(outs), states
