r"""Backward pass of the fused path: hand-derived adjoints over ``T`` steps.

Notation as in :mod:`snn_tracelayers.parts`; $\bar v$ is $\partial L/\partial v$. With
$s_t = f'(u_t)\,q'(f_t)$ at the firing input $u_t$ (ternary: $s^\pm_t$ at $u^\pm_t$), the membrane
after firing depends on the one before it through $K_t = 1 - s_t\theta$ (ternary:
$1 - s^+_t\theta^+ - s^-_t\theta^-$) and the output through $G_t = s_t$ (ternary:
$s^+_t\kappa^+ + s^-_t\kappa^-$, unscaled $\kappa^\pm = 1$); without firing $K = G = 1$. Everything
nonlinear is a function of the saved forward values, evaluated for all steps at once, which leaves
a *linear* recursion backwards in time. Single membrane, $m_t$ the membrane before reset:

$$ \bar o_t = g_t + (1-\gamma)\,\bar r_{t+1}, \qquad
   \bar m_t = K_t\,\beta\,\bar m_{t+1} + G_t\,\bar o_t, \qquad
   \bar r_t = \gamma\,\bar r_{t+1} + w\,\bar\Delta_t, $$

with $\bar\Delta_t = \bar m_t$ (EMA: $(1-\beta)\bar m_t$) and $\bar r$ the total gradient of the
recurrent trace (absent without ``R``). Dual: the two branches $\bar m^\pm_t = \beta^\pm
\bar m^\pm_{t+1} + c_t$ share $c_t = G_t\bar o_t - \tfrac12(1-K_t)(\beta^+\bar m^+_{t+1} +
\beta^-\bar m^-_{t+1})$, and the sign splits become masks ($[v \ge 0]$, $[v \le 0]$, $[v < 0]$ —
the gradients of ``torch.where``). The synaptic trace only feeds the membrane, so its adjoint
$\bar s_t = \bar I_t + \alpha\,\bar s_{t+1}$ runs afterwards. Parameter gradients are sums over
steps of adjoints times saved values, e.g. $\bar\beta = \sum_t \bar m_t\,\mathrm{mem}_{t-1}$,
$\bar\gamma = \sum_t \bar r_t\,(r_{t-1} - o_{t-1})$, $\bar w = \sum_t \bar\Delta_t\,r_t$,
$\bar\theta = -\sum_t (\bar u_t + \bar{\mathrm{mem}}_t z_t)$, $\bar b = \sum_t \bar u_t$.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .forward import drive_negative, neg_part, pair, pos_part
from .plan import BINARY, NONE, FusedPlan

__all__ = ["run_backward"]


def _previous(first: Tensor, seq: Tensor) -> Tensor:
    """``[first, seq[0], ..., seq[T-2]]``: the value entering each step."""
    return torch.cat((first.unsqueeze(0), seq[:-1]))


def _reduce(grad: Tensor, like: Tensor) -> Tensor:
    """Sum ``grad`` over everything ``like`` broadcast over (all axes but the feature axis)."""
    if like.dim() == 0:
        return grad.sum()
    return grad.reshape(-1, grad.shape[-1]).sum(0).sum_to_size(like.shape)


def _masks(v: Tensor, dim: int, strict: bool = False) -> Tensor:
    """Gradients of $(P(v), N(v))$ (or $N_<$) stacked on ``dim``, in ``v``'s dtype."""
    neg = v < 0 if strict else v <= 0
    return torch.stack((v >= 0, neg), dim).to(v.dtype)


def _firing_slopes(plan: FusedPlan, buf: dict, p: dict) -> dict[str, Tensor]:
    """$s$ (or $s^\\pm$), $1 - K$ and $G$ for every step, from the saved membrane."""
    m = buf["MPRE"]
    spike, quant = plan.spike, plan.quant

    def slope(u: Tensor) -> Tensor:
        f = spike(u)  # type: ignore[misc]
        d = spike.derivative(u, f)  # type: ignore[union-attr]
        if quant is not None:
            d = d * quant.derivative(f)
        return d if isinstance(d, Tensor) else torch.full_like(u, d)

    if plan.firing == BINARY:
        s = slope(torch.sub(m, p["threshold"]).add_(p["bias"]))
        return {"s": s, "one_minus_k": s * p["threshold"], "g": s}
    sp = slope(torch.sub(m, p["pos_threshold"]).add_(p["bias"]))
    sn = slope(torch.sub(-p["neg_threshold"], m).sub_(p["bias"]))
    one_minus_k = sp * p["pos_threshold"] + sn * p["neg_threshold"]
    g = sp * p["pos_scale"] + sn * p["neg_scale"] if plan.scaled else sp + sn
    return {"sp": sp, "sn": sn, "one_minus_k": one_minus_k, "g": g}


def _zeros_if_none(g: Tensor | None, like: Tensor) -> Tensor:
    return torch.zeros_like(like) if g is None else g


def run_backward(
    plan: FusedPlan,
    xs: Tensor,
    st: dict[str, Tensor],
    p: dict[str, Tensor],
    buf: dict[str, Tensor],
    g_out: Tensor,
    g_final: dict[str, Tensor | None],
    needs: set[str],
) -> dict[str, Tensor]:
    """Gradients for ``"x"``, every initial state and every parameter named in ``needs``."""
    steps, nd = xs.shape[0], xs.dim() - 1
    dual, rec, firing = plan.dual, plan.recurrence, plan.firing
    grads: dict[str, Tensor] = {}
    g_out = _zeros_if_none(g_out, xs)
    gf = {k: _zeros_if_none(g_final.get(k), st[k]) for k in plan.state_names}

    if firing != NONE:
        slopes = _firing_slopes(plan, buf, p)
        one_minus_k, g_slope = slopes["one_minus_k"], slopes["g"]

    # ---------------------------------------------------------------- membrane and recurrence
    if dual:
        beta = pair(p["pos_beta"], p["neg_beta"], nd)
        gf_mem = torch.stack((gf["pos_mem"], gf["neg_mem"]))
        am = g_out.unsqueeze(1).expand((steps, 2, *xs.shape[1:])).clone() if firing == NONE else None
        if firing != NONE:
            am = (g_slope * g_out).unsqueeze(1).expand((steps, 2, *xs.shape[1:])).clone()
            half_k = one_minus_k * 0.5
        if rec:
            gamma = pair(p["pos_gamma"], p["neg_gamma"], nd)
            weight = pair(p["pos_rec_weight"], p["neg_rec_weight"], nd)
            one_minus_gamma = 1 - gamma
            q2 = _masks(buf["OUT"], 1) * one_minus_gamma  # d (trace inflow) / d o, per channel
            w2 = _masks(buf["RSUM"], 1) * weight  # d Delta / d r, per channel
            if plan.ema:
                w2 = w2 * (1 - beta)
            gf_rec = torch.stack((gf["pos_rec"], gf["neg_rec"]))
            ar = torch.empty_like(am)
        ams, ars = am.unbind(0), (ar.unbind(0) if rec else None)
        for t in range(steps - 1, -1, -1):
            last = t == steps - 1
            after = gf_mem if last else torch.mul(ams[t + 1], beta)  # d L / d (membrane after step t)
            if rec:
                if last:
                    ao = g_out[t] + gf["prev_output"]
                else:
                    inflow = q2[t] * ars[t + 1]
                    ao = torch.add(g_out[t], inflow[0]).add_(inflow[1])
                # am[t] so far holds G*g; replace with G*ao (recurrence feeds back into o)
                c = ao.clone() if firing == NONE else torch.mul(g_slope[t], ao)
            else:
                c = ams[t][0].clone()
            if firing != NONE:
                c.addcmul_(half_k[t], torch.add(after[0], after[1]), value=-1)
            torch.add(after, c, out=ams[t])
            if rec:
                ar_in = torch.mul(w2[t], ams[t])
                ar_sum = torch.add(ar_in[0], ar_in[1])
                base = gf_rec if last else torch.mul(ars[t + 1], gamma)
                torch.add(base, ar_sum, out=ars[t])
        # sequences of the adjoints that the parameter gradients need
        after_all = torch.cat((torch.mul(am[1:], beta), gf_mem.unsqueeze(0)))
        reset_grad = (after_all[:, 0] + after_all[:, 1]) * 0.5
        if rec:
            ao_all = g_out.clone()
            ao_all[:-1] += (q2[:-1] * ar[1:]).sum(1)
            ao_all[-1] += gf["prev_output"]
        else:
            ao_all = g_out
        a_delta = am * (1 - beta) if plan.ema else am
        mem0 = torch.stack((st["pos_mem"], st["neg_mem"]))
        prev_mem = _previous(mem0, buf["MPOST"])
        if {"pos_beta", "neg_beta"} & needs:
            if plan.ema:
                if rec:
                    delta = _split(buf["RSUM"], 1) * weight + _split_drive(plan, buf, xs)
                else:
                    delta = _split_drive(plan, buf, xs)
                prev_mem = prev_mem - delta
            gb = am * prev_mem
            grads["pos_beta"], grads["neg_beta"] = gb[:, 0], gb[:, 1]
        init_mem = am[0] * beta
        grads["pos_mem"], grads["neg_mem"] = init_mem[0], init_mem[1]
        if rec:
            if {"pos_rec_weight", "neg_rec_weight"} & needs:
                gw = a_delta * _split(buf["RSUM"], 1)
                grads["pos_rec_weight"], grads["neg_rec_weight"] = gw[:, 0], gw[:, 1]
            o0 = st["prev_output"]
            if {"pos_gamma", "neg_gamma"} & needs:
                r0 = torch.stack((st["pos_rec"], st["neg_rec"]))
                gg = ar * (_previous(r0, buf["REC"]) - _split(_previous(o0, buf["OUT"]), 1))
                grads["pos_gamma"], grads["neg_gamma"] = gg[:, 0], gg[:, 1]
            init_rec = ar[0] * gamma
            grads["pos_rec"], grads["neg_rec"] = init_rec[0], init_rec[1]
            grads["prev_output"] = ((_masks(o0, 0) * one_minus_gamma) * ar[0]).sum(0)
        drive_masks = _masks(_drive(buf, xs), 1, plan.strict_negative)
        a_drive = (drive_masks * a_delta).sum(1)
    else:
        beta = p["beta"]
        gf_mem = gf["mem"]
        if firing == NONE:
            am = g_out.clone()
            k_beta = beta.expand(xs.shape[1:])
        else:
            am = g_slope * g_out
            k_beta = (1 - one_minus_k).mul_(beta)
        if rec:
            gamma, weight = p["gamma"], p["rec_weight"]
            one_minus_gamma = 1 - gamma
            w_eff = weight * (1 - beta) if plan.ema else weight
            g1 = one_minus_gamma.expand(xs.shape) if firing == NONE else g_slope * one_minus_gamma
            ar = torch.empty_like(am)
        ams = am.unbind(0)
        k_last = 1.0 if firing == NONE else (1 - one_minus_k[-1])
        g_last = 1.0 if firing == NONE else g_slope[-1]
        ams[-1].add_(gf_mem * k_last)
        if rec:
            ams[-1].add_(gf["prev_output"] * g_last)
            ars = ar.unbind(0)
            torch.add(gf["rec"], ams[-1] * w_eff, out=ars[-1])
            for t in range(steps - 2, -1, -1):
                ams[t].addcmul_(k_beta[t] if firing != NONE else k_beta, ams[t + 1]).addcmul_(
                    g1[t], ars[t + 1]
                )
                torch.mul(ars[t + 1], gamma, out=ars[t]).addcmul_(ams[t], w_eff)
        else:
            for t in range(steps - 2, -1, -1):
                ams[t].addcmul_(k_beta[t] if firing != NONE else k_beta, ams[t + 1])
        after_all = torch.cat((am[1:] * beta, gf_mem.unsqueeze(0)))
        reset_grad = after_all
        if rec:
            ao_all = g_out.clone()
            ao_all[:-1].addcmul_(ar[1:], one_minus_gamma)
            ao_all[-1] += gf["prev_output"]
        else:
            ao_all = g_out
        a_delta = am * (1 - beta) if plan.ema else am
        if "beta" in needs:
            prev_mem = _previous(st["mem"], buf["MPOST"])
            if plan.ema:
                delta = buf["REC"] * weight + _drive(buf, xs) if rec else _drive(buf, xs)
                prev_mem = prev_mem - delta
            grads["beta"] = am * prev_mem
        grads["mem"] = am[0] * beta
        if rec:
            if "rec_weight" in needs:
                grads["rec_weight"] = a_delta * buf["REC"]
            if "gamma" in needs:
                grads["gamma"] = ar * (
                    _previous(st["rec"], buf["REC"]) - _previous(st["prev_output"], buf["OUT"])
                )
            grads["rec"] = ar[0] * gamma
            grads["prev_output"] = ar[0] * one_minus_gamma
        a_drive = a_delta

    # ---------------------------------------------------------------- firing parameters
    if firing == BINARY:
        a_u = slopes["s"] * (ao_all - reset_grad * p["threshold"])
        if "threshold" in needs:
            grads["threshold"] = -(a_u + reset_grad * buf["Z"])
        grads["bias"] = a_u
    elif firing != NONE:
        kp = p["pos_scale"] if plan.scaled else 1.0
        kn = p["neg_scale"] if plan.scaled else 1.0
        a_up = slopes["sp"] * (ao_all * kp - reset_grad * p["pos_threshold"])
        a_un = slopes["sn"] * (reset_grad * p["neg_threshold"] - ao_all * kn)  # d L / d u-
        if "pos_threshold" in needs:
            grads["pos_threshold"] = -(a_up + reset_grad * buf["ZP"])
        if "neg_threshold" in needs:
            grads["neg_threshold"] = -(a_un + reset_grad * buf["ZN"])
        grads["bias"] = a_up - a_un
        if plan.scaled:
            if "pos_scale" in needs:
                grads["pos_scale"] = ao_all * buf["ZP"]
            if "neg_scale" in needs:
                grads["neg_scale"] = ao_all * buf["ZN"]

    # ---------------------------------------------------------------- synaptic trace and input
    if plan.synapse:
        if dual:
            alpha = pair(p["pos_alpha"], p["neg_alpha"], nd)
            a_s = a_drive.unsqueeze(1).expand((steps, 2, *xs.shape[1:])).clone()
            a_s[-1] += torch.stack((gf["pos_syn"], gf["neg_syn"]))
        else:
            alpha = p["alpha"]
            a_s = a_drive.clone()
            a_s[-1] += gf["syn"]
        ass = a_s.unbind(0)
        for t in range(steps - 2, -1, -1):
            ass[t].addcmul_(alpha, ass[t + 1])
        if dual:
            x_masks = _masks(xs, 1)
            grads["x"] = (x_masks * (1 - alpha) * a_s).sum(1)
            if {"pos_alpha", "neg_alpha"} & needs:
                syn0 = torch.stack((st["pos_syn"], st["neg_syn"]))
                ga = a_s * (_previous(syn0, buf["S"]) - _split(xs, 1))
                grads["pos_alpha"], grads["neg_alpha"] = ga[:, 0], ga[:, 1]
            init = a_s[0] * alpha
            grads["pos_syn"], grads["neg_syn"] = init[0], init[1]
        else:
            grads["x"] = a_s * (1 - alpha)
            if "alpha" in needs:
                grads["alpha"] = a_s * (_previous(st["syn"], buf["S"]) - xs)
            grads["syn"] = a_s[0] * alpha
    else:
        grads["x"] = a_drive

    for name in plan.param_names:
        if name in grads:
            grads[name] = _reduce(grads[name], p[name]) if name in needs else None  # type: ignore[assignment]
    return grads


def _split(v: Tensor, dim: int) -> Tensor:
    return torch.stack((pos_part(v), neg_part(v)), dim)


def _drive(buf: dict, xs: Tensor) -> Tensor:
    """The drive $I$ of every step (the synaptic trace, or the input)."""
    return buf.get("I", xs)


def _split_drive(plan: FusedPlan, buf: dict, xs: Tensor) -> Tensor:
    drive = _drive(buf, xs)
    return torch.stack((pos_part(drive), drive_negative(plan, drive)), 1)
