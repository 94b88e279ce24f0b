r"""Fused whole-sequence path of the trace layers (torch backend, the default of ``layer.sequence``).

:func:`fused_trace_sequence` runs ``T`` steps of any recipe built from the standard parts (all 32
traceTorch layers and compositions like ``RLI``) as **one** autograd node:

* forward: the step equations with the same operations in the same order as
  :func:`~snn_tracelayers.functional.trace_step` (outputs and states bit-identical to the step loop),
  without an autograd graph, one step at a time on step-sized tensors (they stay in the CPU cache);
* backward: a hand-derived adjoint recursion (see :mod:`snn_tracelayers.fused.backward`) giving
  gradients for the input, every initial state and every activated parameter (decays, thresholds,
  bias, scales, recurrent weights), so the raw parameters get theirs through ordinary autograd.

It declines (returns ``NotImplemented``, and the step loop runs) for a ``spike_fn``/``quant_fn``
whose derivative it does not know (see :mod:`snn_tracelayers.fused.rules`), parts that are
subclasses of the standard ones, dtypes other than float32/float64, mixed devices or dtypes,
states not shaped like one step of the input, a dual layer whose final states come out non-finite
(a NaN reached its sign splits: the call is repeated with the loop), inside ``torch.compile`` tracing and under ``torch.func`` transforms. The backward pass is
first-order only (no double backward). Without gradients (``torch.no_grad()``, or nothing requiring
grad) only the forward loop runs and nothing is kept.

On CPU the non-recurrent layers (single or dual traces) with ``sigmoid4x`` (or no firing) and no
quantizer or ``round_ste`` run compiled C loops instead (:mod:`snn_tracelayers.native`, same outputs
bit for bit, same autograd node, with ``ctx.native`` true; the non-finite check of dual layers
applies to their results too); ``SNN_DISABLE_NATIVE=1`` or
``snn_tracelayers.native.sequence.ENABLED = False`` keeps them on this torch path.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..native import sequence as native_sequence
from .forward import run_forward
from .function import FusedTraceSequence
from .plan import FusedPlan, fusable_arguments, make_plan
from .rules import Elementwise, quant_rule, spike_rule

__all__ = [
    "ENABLED",
    "fused_trace_sequence",
    "FusedTraceSequence",
    "FusedPlan",
    "make_plan",
    "fusable_arguments",
    "Elementwise",
    "spike_rule",
    "quant_rule",
]


#: Set to ``False`` to run the step loop everywhere (e.g. for double backward through a sequence).
ENABLED = True


def _finite(tensors: Any) -> bool:
    """No NaN or infinity in any of the (step-sized) tensors; one small sum each."""
    total = None
    for t in tensors:
        total = t.sum() if total is None else total + t.sum()
    return total is None or bool(torch.isfinite(total))


def fused_trace_sequence(
    xs: Tensor, states: dict[str, Tensor], params: dict[str, Tensor], config: Any
) -> tuple[Tensor, dict[str, Tensor]] | Any:
    """``T`` steps as one autograd node, or ``NotImplemented`` when the fused path does not apply.

    Same arguments and results as :func:`~snn_tracelayers.functional.trace_sequence`.

    Example:
        >>> from snn_tracelayers import LIB
        >>> layer = LIB(4)
        >>> xs = torch.randn(50, 2, 4)
        >>> outs, final = fused_trace_sequence(xs, {"mem": torch.zeros(2, 4)}, layer.trace_params(),
        ...                                    layer.trace_config())
        >>> outs.shape, sorted(final)
        (torch.Size([50, 2, 4]), ['mem'])
    """
    if not ENABLED or torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active():
        return NotImplemented
    plan = make_plan(config)
    if plan is None or not fusable_arguments(plan, xs, states, params):
        return NotImplemented
    tensors = [states[k] for k in plan.state_names] + [params[k] for k in plan.param_names]
    if not (torch.is_grad_enabled() and any(t.requires_grad for t in (xs, *tensors))):
        with torch.no_grad():
            if native_sequence.supports(plan, xs, states, params):  # compiled CPU loop, same numbers
                outs, final, _ = native_sequence.forward(plan, xs, states, params, keep=False)
            else:
                outs, final, _ = run_forward(plan, xs, states, params, save=False)
    else:
        outs, *values = FusedTraceSequence.apply(plan, xs, *tensors)
        final = dict(zip(plan.state_names, values))
    # The loop's where-based sign splits map NaN to 0, the fused clamp keeps it; a NaN that entered
    # a dual layer's traces stays in its final states (leaky traces never forget a NaN), so a
    # non-finite final state sends the call to the step loop (infinities agree, but go there too).
    if plan.dual and not _finite(final.values()):
        return NotImplemented
    return outs, final
