r"""Forward pass of the fused path: the step equations over ``T`` steps without an autograd graph.

Every operation of :func:`~snn_tracelayers.functional.trace_step` is done with the same operands in
the same order, so outputs and states are bit-identical to the step loop. Dual traces are stacked
as a channel axis of size 2 (positive, negative), so one operation advances both.

The loop works on one step at a time, so every temporary stays in the CPU cache and below
PyTorch's parallel grain size (on the shared 2-core test machine one multithreaded pass over a whole
``[T, B, N]`` tensor costs several times more than ``T`` single-threaded per-step passes). The
per-step values the backward pass needs are kept as references to tensors the loop creates
anyway, and outputs are written straight into the output tensor, so saving costs nothing.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .plan import BINARY, NONE, TERNARY, FusedPlan

__all__ = ["run_forward", "pair", "split", "output_aliases"]


def pair(pos: Tensor, neg: Tensor, step_dims: int) -> Tensor:
    """Stack a ``pos_``/``neg_`` parameter pair as ``[2, 1, ..., 1, K]`` (K = 1 or N)."""
    pos, neg = torch.broadcast_tensors(pos, neg)
    width = tuple(pos.shape[-1:]) if pos.dim() else (1,)
    return torch.stack((pos, neg)).reshape((2,) + (1,) * (step_dims - 1) + width)


def split(v: Tensor) -> Tensor:
    r"""$(P(v), N(v))$ stacked on a new first axis.

    ``clamp`` gives the values of ``torch.where(v >= 0, v, 0.0)`` / ``torch.where(v <= 0, v, 0.0)``
    (and of DLIT's strict $N_<$) for every non-NaN ``v`` (at most the sign of a zero differs, which
    no later operation sees), at a fraction of the cost; NaN inputs are routed to the step loop.
    """
    return torch.stack((v.clamp_min(0), v.clamp_max(0)))


class _Saved(dict):
    """Per-step lists of saved tensors by key (nothing is kept when ``enabled`` is false)."""

    def __init__(self, enabled: bool) -> None:
        super().__init__()
        self.enabled = enabled

    def add(self, key: str, value: Tensor) -> Tensor:
        if self.enabled:
            self.setdefault(key, []).append(value)
        return value


def _fire(
    plan: FusedPlan, m: Tensor, p: dict, neg_threshold: Tensor | None, saved: _Saved, row: Tensor
) -> tuple:
    """Spikes from the membrane ``m``: ``(z, None)`` binary (written into ``row``), ``(z+, z-)`` ternary."""
    spike, quant = plan.spike, plan.quant
    if plan.firing == BINARY:
        u = torch.sub(m, p["threshold"]).add_(p["bias"])
        if spike.kind == "autograd":  # type: ignore[union-attr]
            saved.add("U", u)
        if quant is None:  # f is the output itself (kept by the autograd Function)
            return spike(u, out=row), None  # type: ignore[misc]
        f = saved.add("F", spike(u))  # type: ignore[misc]
        return quant(f, out=row), None
    up = torch.sub(m, p["pos_threshold"]).add_(p["bias"])
    un = torch.sub(neg_threshold, m).sub_(p["bias"])  # type: ignore[arg-type]
    fp, fn = spike(up), spike(un)  # type: ignore[misc]
    if spike.kind == "autograd":  # type: ignore[union-attr]
        saved.add("UP", up)
        saved.add("UN", un)
    saved.add("FP", fp)
    saved.add("FN", fn)
    if quant is not None:
        fp, fn = quant(fp), quant(fn)
    return fp, torch.neg(fn)


def output_aliases(plan: FusedPlan) -> tuple[str, ...]:
    """Per-step saved values that are the outputs themselves (read back from the saved output)."""
    keys: tuple[str, ...] = ()
    if plan.firing == BINARY:
        keys += ("Z",) if plan.quant is not None else ("Z", "F")
    if plan.firing == NONE and not plan.dual:
        keys += ("MEM",)
    if plan.recurrence:
        keys += ("O",)
    return keys


def run_forward(
    plan: FusedPlan, xs: Tensor, st: dict[str, Tensor], p: dict[str, Tensor], save: bool = True
) -> tuple[Tensor, dict[str, Tensor], dict[str, list[Tensor]]]:
    """``T`` steps of the recipe; returns ``(outputs, final states, per-step values for backward)``.

    With ``save=False`` (inference) nothing is kept for the backward pass.
    """
    nd = xs.dim() - 1
    dual, firing, rec, synapse, ema = plan.dual, plan.firing, plan.recurrence, plan.synapse, plan.ema
    saved = _Saved(save)
    add = saved.add
    final: dict[str, Tensor] = {}

    if synapse:
        if dual:
            alpha = pair(p["pos_alpha"], p["neg_alpha"], nd)
            s = torch.stack((st["pos_syn"], st["neg_syn"]))
        else:
            alpha, s = p["alpha"], st["syn"]
        one_minus_alpha = 1 - alpha
    if dual:
        beta = pair(p["pos_beta"], p["neg_beta"], nd)
        mem = torch.stack((st["pos_mem"], st["neg_mem"]))
    else:
        beta, mem = p["beta"], st["mem"]
    one_minus_beta = 1 - beta
    if rec:
        o = st["prev_output"]
        if dual:
            gamma = pair(p["pos_gamma"], p["neg_gamma"], nd)
            weight = pair(p["pos_rec_weight"], p["neg_rec_weight"], nd)
            r = torch.stack((st["pos_rec"], st["neg_rec"]))
        else:
            gamma, weight, r = p["gamma"], p["rec_weight"], st["rec"]
        one_minus_gamma = 1 - gamma
    neg_threshold = -p["neg_threshold"] if firing == TERNARY else None
    outs = xs.new_empty(xs.shape)

    for x, row in zip(xs.unbind(0), outs.unbind(0)):
        # synaptic trace: the drive I
        if synapse:
            if dual:
                s = add("S", torch.add(torch.mul(s, alpha), split(x).mul_(one_minus_alpha)))
                drive = add("I", torch.add(s[0], s[1]))
            else:
                s = drive = add("S", torch.add(torch.mul(s, alpha), torch.mul(x, one_minus_alpha)))
        else:
            drive = x
        if dual:
            split_drive = split(drive)
        # recurrent trace from the previous output, then the membrane drive Delta
        if rec:
            if dual:
                r = add("R", torch.add(torch.mul(r, gamma), split(o).mul_(one_minus_gamma)))
                rs = add("RSUM", torch.add(r[0], r[1]))
                delta = add("PNR", split(rs)).mul(weight).add_(split_drive)
            else:
                r = add("R", torch.add(torch.mul(r, gamma), torch.mul(o, one_minus_gamma)))
                delta = torch.mul(r, weight).add_(drive)
        else:
            delta = split_drive if dual else drive
        if ema:
            delta = add("DELTA", delta).mul(one_minus_beta)
        # leaky integration
        out = row if firing == NONE else None  # without firing the membrane is the output
        if dual:
            m2 = torch.add(torch.mul(mem, beta), delta)
            m = torch.add(m2[0], m2[1], out=out)
        else:
            m = torch.add(torch.mul(mem, beta), delta, out=out)
        # firing and subtractive reset
        if firing == NONE:
            mem = add("MEM", m2) if dual else m
            o = m
            continue
        z, zn = _fire(plan, m, p, neg_threshold, saved, row)
        if firing == BINARY:
            if dual:
                mem = torch.sub(m2, torch.mul(z, p["threshold"]).mul_(0.5))
            else:
                mem = torch.sub(m, torch.mul(z, p["threshold"]))
            o = z
        else:
            add("Z", z)
            add("ZN", zn)
            hp = torch.mul(z, p["pos_threshold"])
            hn = torch.mul(zn, p["neg_threshold"])
            if dual:
                mem = torch.sub(m2, hp.mul_(0.5)).sub_(hn.mul_(0.5))
            else:
                mem = torch.sub(m, hp).sub_(hn)
            if plan.scaled:
                o = torch.add(z * p["pos_scale"], zn * p["neg_scale"], out=row)
            else:
                o = torch.add(z, zn, out=row)
        add("MEM", mem)

    if synapse:
        if dual:
            final["pos_syn"], final["neg_syn"] = s[0].clone(), s[1].clone()
        else:
            final["syn"] = s.clone()
    if dual:
        final["pos_mem"], final["neg_mem"] = mem[0].clone(), mem[1].clone()
    else:
        final["mem"] = mem.clone()
    if rec:
        if dual:
            final["pos_rec"], final["neg_rec"] = r[0].clone(), r[1].clone()
        else:
            final["rec"] = r.clone()
        final["prev_output"] = o.clone()
    return outs, final, dict(saved)
