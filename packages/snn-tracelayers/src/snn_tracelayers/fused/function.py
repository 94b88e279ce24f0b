"""The autograd Function tying the fused forward and backward passes together."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..native import sequence as native_sequence
from .backward import run_backward
from .forward import output_aliases, run_forward
from .plan import FusedPlan

__all__ = ["FusedTraceSequence"]


class FusedTraceSequence(torch.autograd.Function):
    """``apply(plan, xs, *states, *params) -> (outputs, *final_states)`` in the plan's name order.

    One autograd node for ``T`` steps: the forward pass records no graph and keeps the per-step
    values of :func:`~snn_tracelayers.fused.forward.run_forward` (those that are the outputs
    themselves are read back from the saved output); the backward pass is
    :func:`~snn_tracelayers.fused.backward.run_backward` (first-order only).

    Where :func:`snn_tracelayers.native.supports` holds (CPU, no recurrence, ``sigmoid4x`` or no
    firing, no quantizer or ``round_ste``), both passes run the compiled loops of :mod:`snn_tracelayers.native`
    instead (same outputs bit for bit); the node then has ``native`` set to ``True``
    (``outputs.grad_fn.native``).
    """

    @staticmethod
    def forward(ctx: Any, plan: FusedPlan, xs: Tensor, *tensors: Tensor) -> tuple[Tensor, ...]:  # type: ignore[override]
        n = len(plan.state_names)
        states = dict(zip(plan.state_names, tensors[:n]))
        params = dict(zip(plan.param_names, tensors[n:]))
        ctx.plan, ctx.native = plan, native_sequence.supports(plan, xs, states, params)
        if ctx.native:  # the compiled CPU loop: same numbers, its saved rows are whole [T, ...] tensors
            outs, final, rows = native_sequence.forward(plan, xs, states, params, keep=True)
            ctx.save_for_backward(xs, *tensors, outs, *rows.values())
            ctx.rows = tuple(rows)
            return (outs, *(final[k] for k in plan.state_names))
        outs, final, saved = run_forward(plan, xs, states, params)
        ctx.save_for_backward(xs, *tensors, outs)
        # per-step intermediates (never inputs or outputs of this node), kept as plain references
        ctx.steps = saved
        return (outs, *(final[k] for k in plan.state_names))

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, g_outs: Tensor, *g_final: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        plan: FusedPlan = ctx.plan
        saved = ctx.saved_tensors
        n, k = len(plan.state_names), len(plan.param_names)
        xs = saved[0]
        states = dict(zip(plan.state_names, saved[1 : 1 + n]))
        params = dict(zip(plan.param_names, saved[1 + n : 1 + n + k]))
        wanted = ctx.needs_input_grad[2 + n :]
        needs = {name for name, w in zip(plan.param_names, wanted) if w}
        g_states = dict(zip(plan.state_names, g_final))
        if ctx.native:
            outs = saved[1 + n + k]
            rows = dict(zip(ctx.rows, saved[2 + n + k :]))
            grads = native_sequence.backward(plan, xs, states, params, outs, rows, g_outs, g_states, needs)
        else:
            grads = _torch_backward(ctx, plan, xs, states, params, saved[-1], g_outs, g_states, needs)
        state_wanted = ctx.needs_input_grad[2 : 2 + n]
        return (
            None,
            grads["x"] if ctx.needs_input_grad[1] else None,
            *(grads[s] if w else None for s, w in zip(plan.state_names, state_wanted)),
            *(grads.get(name) if w else None for name, w in zip(plan.param_names, wanted)),
        )


def _torch_backward(
    ctx: Any,
    plan: FusedPlan,
    xs: Tensor,
    states: dict[str, Tensor],
    params: dict[str, Tensor],
    outs: Tensor,
    g_outs: Tensor,
    g_states: dict[str, Tensor],
    needs: set[str],
) -> dict[str, Tensor]:
    """:func:`run_backward` with the per-step values of :func:`run_forward` (outputs read back)."""
    steps = dict(ctx.steps)
    out_rows = list(outs.unbind(0))
    for key in output_aliases(plan):
        steps[key] = out_rows
    return run_backward(plan, xs, states, params, steps, g_outs, g_states, needs)
