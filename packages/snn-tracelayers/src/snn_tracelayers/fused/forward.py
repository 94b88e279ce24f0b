r"""Forward pass of the fused path: the step equations over ``T`` steps without an autograd graph.

Every operation of :func:`~snn_tracelayers.functional.trace_step` is done with the same operands in
the same order, so outputs and states are bit-identical to the step loop. What does not depend on
the membrane (the synaptic traces, the sign splits of the drive, $x(1-\alpha)$) is computed for all
steps at once; only the membrane, firing and recurrence run step by step. Dual traces are stacked
as a channel axis of size 2 (positive, negative), so one operation advances both.

Every intermediate the backward pass needs is written into a ``[T, ...]`` buffer by the operation
that computes it (``out=``), which costs no extra work.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .plan import BINARY, NONE, TERNARY, FusedPlan

__all__ = ["run_forward", "pair", "pos_part", "neg_part", "drive_negative"]


def pos_part(v: Tensor) -> Tensor:
    """$P(v)$ as in :func:`snn_tracelayers.positive_part`."""
    return torch.where(v >= 0, v, 0.0)


def neg_part(v: Tensor) -> Tensor:
    """$N(v)$ as in :func:`snn_tracelayers.negative_part`."""
    return torch.where(v <= 0, v, 0.0)


def drive_negative(plan: FusedPlan, v: Tensor) -> Tensor:
    """The negative split of the membrane drive ($N_<$ for DLIT, else $N$)."""
    return torch.where(v < 0, v, 0.0) if plan.strict_negative else neg_part(v)


def pair(pos: Tensor, neg: Tensor, step_dims: int) -> Tensor:
    """Stack a ``pos_``/``neg_`` parameter pair as ``[2, 1, ..., 1, K]`` (K = 1 or N)."""
    pos, neg = torch.broadcast_tensors(pos, neg)
    width = tuple(pos.shape[-1:]) if pos.dim() else (1,)
    return torch.stack((pos, neg)).reshape((2,) + (1,) * (step_dims - 1) + width)


def _split(v: Tensor, dim: int) -> Tensor:
    """$(P(v), N(v))$ stacked on ``dim``."""
    return torch.stack((pos_part(v), neg_part(v)), dim)


def _fire(plan: FusedPlan, m: Tensor, p: dict, buf: dict, t: int) -> tuple[Tensor, Tensor | None]:
    """Spikes of step ``t`` from the membrane ``m``: ``(z, None)`` binary, ``(z+, z-)`` ternary."""
    spike, quant = plan.spike, plan.quant
    if plan.firing == BINARY:
        u = torch.sub(m, p["threshold"]).add_(p["bias"])
        if quant is None:
            return spike(u, out=buf["Z"][t]), None  # type: ignore[misc]
        return quant(spike(u), out=buf["Z"][t]), None  # type: ignore[misc]
    up = torch.sub(m, p["pos_threshold"]).add_(p["bias"])
    un = torch.sub(buf["neg_threshold_negated"], m).sub_(p["bias"])
    if quant is None:
        zp = spike(up, out=buf["ZP"][t])  # type: ignore[misc]
        zn = spike(un)  # type: ignore[misc]
    else:
        zp = quant(spike(up), out=buf["ZP"][t])  # type: ignore[misc]
        zn = quant(spike(un))
    return zp, torch.neg(zn, out=buf["ZN"][t])


def _output(plan: FusedPlan, zp: Tensor, zn: Tensor, p: dict, out: Tensor | None = None) -> Tensor:
    if plan.scaled:
        return torch.add(zp * p["pos_scale"], zn * p["neg_scale"], out=out)  # type: ignore[arg-type]
    return torch.add(zp, zn, out=out)  # type: ignore[arg-type]


def run_forward(
    plan: FusedPlan, xs: Tensor, st: dict[str, Tensor], p: dict[str, Tensor]
) -> tuple[Tensor, dict[str, Tensor], dict[str, Tensor]]:
    """``T`` steps of the recipe; returns ``(outputs, final states, buffers for the backward pass)``."""
    steps, nd = xs.shape[0], xs.dim() - 1
    dual, firing, rec = plan.dual, plan.firing, plan.recurrence
    buf: dict[str, Tensor] = {}
    final: dict[str, Tensor] = {}
    new = xs.new_empty
    seq2 = (steps, 2, *xs.shape[1:])

    # ---- synaptic trace (independent of the membrane): the drive I for every step
    if plan.synapse:
        if dual:
            a2 = pair(p["pos_alpha"], p["neg_alpha"], nd)
            inflow = _split(xs, 1).mul_(1 - a2)
            s = torch.stack((st["pos_syn"], st["neg_syn"]))
            trace = buf["S"] = new(seq2)
        else:
            alpha = p["alpha"]
            a2, inflow, s = alpha, xs * (1 - alpha), st["syn"]
            trace = buf["S"] = new(xs.shape)
        for x_in, out in zip(inflow.unbind(0), trace.unbind(0)):
            s = torch.add(torch.mul(s, a2), x_in, out=out)
        del inflow
        if dual:
            final["pos_syn"], final["neg_syn"] = trace[-1, 0].clone(), trace[-1, 1].clone()
            drive = buf["I"] = trace[:, 0] + trace[:, 1]
        else:
            final["syn"] = trace[-1].clone()
            drive = buf["I"] = trace
    else:
        drive = xs

    # ---- membrane drive without recurrence, for all steps
    if dual:
        beta = pair(p["pos_beta"], p["neg_beta"], nd)
        split_drive = torch.stack((pos_part(drive), drive_negative(plan, drive)), 1)
        delta_all = split_drive * (1 - beta) if plan.ema and not rec else split_drive
    else:
        beta = p["beta"]
        split_drive = drive
        delta_all = drive * (1 - beta) if plan.ema and not rec else drive
    one_minus_beta = 1 - beta

    # ---- recurrence set-up
    if rec:
        o = st["prev_output"]
        if dual:
            gamma = pair(p["pos_gamma"], p["neg_gamma"], nd)
            weight = pair(p["pos_rec_weight"], p["neg_rec_weight"], nd)
            r = torch.stack((st["pos_rec"], st["neg_rec"]))
            rec_buf = buf["REC"] = new(seq2)
            rsum_buf = buf["RSUM"] = new(xs.shape)
        else:
            gamma, weight, r = p["gamma"], p["rec_weight"], st["rec"]
            rec_buf = buf["REC"] = new(xs.shape)
        one_minus_gamma = 1 - gamma

    # ---- firing set-up
    mem = torch.stack((st["pos_mem"], st["neg_mem"])) if dual else st["mem"]
    if dual:
        pre2 = buf["M2PRE"] = new(seq2)
    pre = buf["MPRE"] = new(xs.shape)
    post = buf["MPOST"] = (
        (new(seq2) if dual else new(xs.shape)) if firing != NONE else (pre2 if dual else pre)
    )
    if firing == BINARY:
        buf["Z"] = new(xs.shape)
    elif firing == TERNARY:
        buf["ZP"], buf["ZN"] = new(xs.shape), new(xs.shape)
        buf["neg_threshold_negated"] = -p["neg_threshold"]
    outs = buf["Z"] if firing == BINARY else (pre if firing == NONE else new(xs.shape))
    threshold = p.get("threshold")

    for t in range(steps):
        # recurrent trace from the previous output, then the drive Delta
        if rec:
            if dual:
                inflow_o = _split(o, 0).mul_(one_minus_gamma)
                r = torch.add(torch.mul(r, gamma), inflow_o, out=rec_buf[t])
                rs = torch.add(r[0], r[1], out=rsum_buf[t])
                delta = torch.stack((pos_part(rs), neg_part(rs))).mul_(weight).add_(split_drive[t])
            else:
                r = torch.add(torch.mul(r, gamma), torch.mul(o, one_minus_gamma), out=rec_buf[t])
                delta = torch.mul(r, weight).add_(drive[t])
            if plan.ema:
                delta = delta.mul_(one_minus_beta)
        else:
            delta = delta_all[t]
        # leaky integration
        if dual:
            m2 = torch.add(torch.mul(mem, beta), delta, out=pre2[t])
            m = torch.add(m2[0], m2[1], out=pre[t])
        else:
            m = torch.add(torch.mul(mem, beta), delta, out=pre[t])
        # firing and subtractive reset
        if firing == NONE:
            mem = m2 if dual else m
            o = m
            continue
        zp, zn = _fire(plan, m, p, buf, t)
        if firing == BINARY:
            if dual:
                mem = torch.sub(m2, torch.mul(zp, threshold).mul_(0.5), out=post[t])
            else:
                mem = torch.sub(m, torch.mul(zp, threshold), out=post[t])
            o = zp
        else:
            hp = torch.mul(zp, p["pos_threshold"])
            hn = torch.mul(zn, p["neg_threshold"])
            if dual:
                mem = torch.sub(m2, hp.mul_(0.5)).sub_(hn.mul_(0.5))
                post[t] = mem
            else:
                mem = torch.sub(m, hp).sub_(hn)
                post[t] = mem
            if rec:
                o = _output(plan, zp, zn, p, out=outs[t])  # type: ignore[arg-type]

    if firing == TERNARY and not rec:
        _output(plan, buf["ZP"], buf["ZN"], p, out=outs)
    if dual:
        final["pos_mem"], final["neg_mem"] = post[-1, 0].clone(), post[-1, 1].clone()
    else:
        final["mem"] = post[-1].clone()
    if rec:
        if dual:
            final["pos_rec"], final["neg_rec"] = rec_buf[-1, 0].clone(), rec_buf[-1, 1].clone()
        else:
            final["rec"] = rec_buf[-1].clone()
        final["prev_output"] = outs[-1].clone()
    buf["OUT"] = outs
    return outs, final, buf
