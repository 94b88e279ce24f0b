r"""Whole-sequence path for any elementwise neuron step, with a recomputing custom backward.

Forward: the step function runs ``T`` times without an autograd graph; the state entering every
step after the first is kept (one tensor per state field and step).

Backward: all steps after the first are recomputed *at once* on the stacked states (the step is
elementwise, so a ``[T - 1, ...]`` batch gives every step's numbers exactly), and one vector-Jacobian
product per output with a gradient of ones yields each step's diagonal Jacobian
$J^{(t)}_{o,l} = \partial\,\mathrm{out}_o / \partial\,\mathrm{in}_l$ (elementwise). The adjoint
then runs backwards through time with ``n`` multiply-adds per state field and step:

$$ \bar s_{l,t} = \bar z_t\,J^{(t)}_{z,l} + \sum_k \bar s_{k,t+1}\,J^{(t)}_{k,l}, \qquad
   \bar x_t = \bar z_t\,J^{(t)}_{z,x} + \sum_k \bar s_{k,t+1}\,J^{(t)}_{k,x}. $$

The first step (whose state may be 0-dim or of another dtype) is differentiated directly.
Requirements (checked by the callers): deterministic step (a Heaviside-forward threshold), tensor
state fields, full-shape input, no parameter requiring grad.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor
from torch.utils import _pytree as pytree

from ._common import reduce_grad, scripted

__all__ = ["Unfusable", "generic_sequence"]


class Unfusable(Exception):
    """Raised inside the forward pass when the arguments need the plain step loop after all."""


def _adjoint_loop(
    jac: list[Tensor], gz_part: list[Tensor], g_last: list[Tensor], g_out: list[Tensor]
) -> None:
    """``g_out[l][t]``: gradient of the state entering step ``t + 1`` (field ``l``), for all ``t``.

    ``jac[k * n + l][t]`` is d(state field k after step t+1) / d(field l before it); ``gz_part[l][t]``
    the spike-output part; ``g_last`` the gradient arriving at the final state.
    """
    n = len(g_last)
    steps = g_out[0].shape[0]
    carried = g_last
    for t in range(steps - 1, -1, -1):
        new: list[Tensor] = []
        for l in range(n):
            acc = torch.mul(carried[0], jac[l][t], out=g_out[l][t])
            for k in range(1, n):
                acc.addcmul_(carried[k], jac[k * n + l][t])
            acc.add_(gz_part[l][t])
            new.append(acc)
        carried = new


_adjoint = scripted(_adjoint_loop)


class _GenericSequence(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, step: Callable[..., Any], p: Any, dt: float, spec: Any, xs: Tensor, *leaves: Tensor
    ) -> Any:
        state0 = pytree.tree_unflatten(list(leaves), spec)
        out0, state = step(xs[0], state0, p, dt)
        current = pytree.tree_leaves(state)
        shape, dtype = xs.shape[1:], out0.dtype
        if any(not isinstance(s, Tensor) or s.shape != shape or s.dtype != dtype for s in [out0, *current]):
            raise Unfusable
        step_outs = [out0]
        entering: list[list[Tensor]] = [[] for _ in current]  # state entering steps 1 .. T-1
        for x in xs.unbind(0)[1:]:
            for history, leaf in zip(entering, pytree.tree_leaves(state)):
                history.append(leaf)
            out, state = step(x, state, p, dt)
            step_outs.append(out)
        final = pytree.tree_leaves(state)
        outs = torch.stack(step_outs)
        empty = xs.new_empty((0, *shape), dtype=dtype)
        saved = [torch.stack(history) if history else empty for history in entering]
        ctx.save_for_backward(xs, *leaves, *saved)
        ctx.step, ctx.p, ctx.dt, ctx.spec, ctx.n = step, p, dt, spec, len(leaves)
        return (outs, *final)

    @staticmethod
    def backward(ctx: Any, g_outs: Tensor, *g_final: Tensor) -> Any:
        saved = ctx.saved_tensors
        n = ctx.n
        xs, leaves0, stacked = saved[0], saved[1 : 1 + n], saved[1 + n :]
        step, p, dt, spec = ctx.step, ctx.p, ctx.dt, ctx.spec
        steps = xs.shape[0]
        carried = list(g_final)
        grads_x = torch.empty_like(xs)
        if steps > 1:
            jac, gz_part, gx_parts = _diagonal_jacobians(step, p, dt, spec, xs[1:], stacked, g_outs[1:])
            g_states = [torch.empty_like(s) for s in stacked]
            _adjoint(jac, gz_part, carried, g_states)
            # gradient w.r.t. x_t: spike part plus the carried state gradients of step t
            gx = gx_parts[0]
            for k in range(n):
                after = torch.cat(
                    [g_states[k][1:], carried[k].unsqueeze(0)]
                )  # grad of the state after step t
                gx = gx.addcmul(after, gx_parts[1 + k])
            grads_x[1:] = gx
            carried = [g[0] for g in g_states]
        with torch.enable_grad():
            x0 = xs[0].detach().requires_grad_(True)
            inputs0 = [leaf.detach().requires_grad_(True) for leaf in leaves0]
            out0, state1 = step(x0, pytree.tree_unflatten(inputs0, spec), p, dt)
            outputs = [out0, *pytree.tree_leaves(state1)]
            grads_out = [g_outs[0], *carried]
            pairs = [(o, g) for o, g in zip(outputs, grads_out) if o.requires_grad]
            # allow_unused: an input the outputs do not depend on gets None
            got: Sequence[Tensor | None]
            if pairs:
                got = torch.autograd.grad(
                    [o for o, _ in pairs], [x0, *inputs0], [g for _, g in pairs], allow_unused=True
                )
            else:
                got = [None] * (1 + n)
        grads_x[0] = got[0] if got[0] is not None else 0
        grads_leaves = [
            reduce_grad(g, leaf) if g is not None else torch.zeros_like(leaf)
            for g, leaf in zip(got[1:], leaves0)
        ]
        return (None, None, None, None, grads_x, *grads_leaves)


def _diagonal_jacobians(
    step: Callable[..., Any],
    p: Any,
    dt: float,
    spec: Any,
    xs: Tensor,
    stacked: tuple[Tensor, ...],
    g_outs: Tensor,
) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
    """Per-step diagonal Jacobians of the step, recomputed in one batch over the stacked states.

    Returns ``jac`` (n*n, state->state), ``gz_part`` (n, output gradient times d out / d state) and
    ``gx_parts`` (1 + n: output part of d/dx, then d state_k / dx).
    """
    n = len(stacked)
    with torch.enable_grad():
        x = xs.detach().requires_grad_(True)
        inputs = [s.detach().requires_grad_(True) for s in stacked]
        out, state = step(x, pytree.tree_unflatten(inputs, spec), p, dt)
        outputs = [out, *pytree.tree_leaves(state)]
        rows: list[list[Tensor]] = []
        for index, output in enumerate(outputs):
            if not output.requires_grad:
                rows.append([torch.zeros_like(x) for _ in range(1 + n)])
                continue
            grad_output = g_outs if index == 0 else torch.ones_like(output)
            got = torch.autograd.grad(
                output, [x, *inputs], grad_output, retain_graph=index < n, allow_unused=True
            )
            rows.append([g if g is not None else torch.zeros_like(x) for g in got])
    gz_part = [rows[0][1 + l] for l in range(n)]
    jac = [rows[1 + k][1 + l] for k in range(n) for l in range(n)]
    gx_parts = [rows[0][0], *(rows[1 + k][0] for k in range(n))]
    return jac, gz_part, gx_parts


def generic_sequence(
    step: Callable[..., Any], xs: Tensor, state: Any, p: Any, dt: float
) -> tuple[Tensor, Any]:
    """Run ``step`` over ``xs`` with the recomputing backward; raises :class:`Unfusable` if it can't."""
    leaves, spec = pytree.tree_flatten(state)
    outs, *final = _GenericSequence.apply(step, p, dt, spec, xs, *leaves)
    return outs, pytree.tree_unflatten(final, spec)
