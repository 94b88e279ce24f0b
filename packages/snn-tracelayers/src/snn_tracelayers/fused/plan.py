"""What the fused path needs to know about a layer: its recipe as flags, plus the spike rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..parts import BinaryFiring, Membrane, Recurrence, Synapse, TernaryFiring, TraceRecipe
from .rules import Elementwise, quant_rule, spike_rule

__all__ = ["FusedPlan", "make_plan", "fusable_arguments", "NONE", "BINARY", "TERNARY"]

NONE, BINARY, TERNARY = 0, 1, 2
_DTYPES = (torch.float32, torch.float64)


@dataclass(frozen=True, eq=False)
class FusedPlan:
    """A trace recipe reduced to the flags the fused loops branch on.

    Attributes:
        dual: positive/negative traces (``D`` prefix).
        synapse: synaptic trace (``S``).
        recurrence: recurrent trace (``R``).
        ema: EMA membrane ($+(1-\\beta)\\Delta$).
        strict_negative: DLIT's $N_<$ split of the membrane drive.
        firing: ``NONE``, ``BINARY`` or ``TERNARY``.
        scaled: LITS output scales.
        spike: the rule for ``spike_fn`` (firing layers).
        quant: the rule for ``quant_fn`` (``None``: identity).
        state_names: states in recipe order.
        param_names: parameters in recipe order.
    """

    dual: bool
    synapse: bool
    recurrence: bool
    ema: bool
    strict_negative: bool
    firing: int
    scaled: bool
    spike: Elementwise | None
    quant: Elementwise | None
    state_names: tuple[str, ...]
    param_names: tuple[str, ...]


def make_plan(config: Any) -> FusedPlan | None:
    """The plan for a :class:`~snn_tracelayers.functional.TraceConfig`, or ``None`` if not fusable."""
    recipe = config.recipe
    if not isinstance(recipe, TraceRecipe) or type(recipe.membrane) is not Membrane:
        return None
    synapse, recurrence, firing = recipe.synapse, recipe.recurrence, recipe.firing
    if synapse is not None and type(synapse) is not Synapse:
        return None
    if recurrence is not None and type(recurrence) is not Recurrence:
        return None
    dual = recipe.membrane.dual
    if (synapse is not None and synapse.dual != dual) or (recurrence is not None and recurrence.dual != dual):
        return None
    spike = quant = None
    kind = NONE
    scaled = False
    if firing is not None:
        if type(firing) is BinaryFiring:
            kind = BINARY
        elif type(firing) is TernaryFiring:
            kind, scaled = TERNARY, firing.scaled
        else:
            return None
        spike = spike_rule(config.spike_fn)
        rule = quant_rule(config.quant_fn)
        if spike is None or rule is False:
            return None
        quant = rule or None
    return FusedPlan(
        dual=dual,
        synapse=synapse is not None,
        recurrence=recurrence is not None,
        ema=recipe.membrane.ema,
        strict_negative=recipe.membrane.strict_negative,
        firing=kind,
        scaled=scaled,
        spike=spike,
        quant=quant,
        state_names=recipe.states,
        param_names=tuple(d.name for d in recipe.params),
    )


def fusable_arguments(plan: FusedPlan, xs: Tensor, states: dict, params: dict) -> bool:
    """Whether the tensors fit the fused loops (else the step loop runs, with the same numbers).

    Needs a float32/float64 input ``[T >= 1, ..., N]``, every state a tensor of the per-step shape,
    and every parameter of shape ``[]``, ``[1]`` or ``[N]``, all of the input's dtype and device.
    """
    if not isinstance(xs, Tensor) or xs.dtype not in _DTYPES or xs.dim() < 2 or xs.shape[0] < 1:
        return False
    step_shape, n = xs.shape[1:], xs.shape[-1]
    for name in plan.state_names:
        s = states.get(name)
        if not isinstance(s, Tensor) or s.shape != step_shape or s.dtype != xs.dtype or s.device != xs.device:
            return False
    for name in plan.param_names:
        p = params.get(name)
        if not isinstance(p, Tensor) or p.dtype != xs.dtype or p.device != xs.device:
            return False
        if p.dim() > 1 or (p.dim() == 1 and p.shape[0] not in (1, n)):
            return False
    return True
