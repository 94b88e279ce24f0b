r"""Backward pass of the fused path: hand-derived adjoints, one step at a time, backwards in time.

Notation as in :mod:`snn_tracelayers.parts`; $\bar v = \partial L/\partial v$, $g_t$ the gradient
arriving at output $t$. Per step, with $s_t = f'(u_t)\,q'(f_t)$ at the firing input (ternary:
$s^\pm_t$ at $u^\pm_t$), $\overline{\mathrm{mem}}_t$ the gradient of the membrane after the reset
($= \beta\,\bar m_{t+1}$, or the final-state gradient) and $\rho_t = \overline{\mathrm{mem}}_t$
(dual: $\tfrac12(\overline{\mathrm{mem}}{}^+_t + \overline{\mathrm{mem}}{}^-_t)$):

$$ \bar o_t = g_t + (1-\gamma)\,\bar r_{t+1}, \qquad
   \bar u_t = s_t\,(\bar o_t - \rho_t\,\theta), \qquad
   \bar m_t = \overline{\mathrm{mem}}_t + \bar u_t $$

(ternary: $\bar u^+_t = s^+_t(\kappa^+\bar o_t - \rho_t\theta^+)$,
$\bar u^-_t = -s^-_t(\kappa^-\bar o_t - \rho_t\theta^-)$, $\bar m_t = \overline{\mathrm{mem}}_t +
\bar u^+_t - \bar u^-_t$; without firing $\bar m_t = \overline{\mathrm{mem}}_t + \bar o_t$), then
$\bar\Delta_t = \bar m_t$ (EMA: $(1-\beta)\bar m_t$), $\bar r_t = \gamma\,\bar r_{t+1} + w\,\bar\Delta_t$,
$\bar I_t = \bar\Delta_t$, $\bar s_t = \bar I_t + \alpha\,\bar s_{t+1}$, $\bar x_t = (1-\alpha)\,\bar s_t$.
Dual traces run per channel and the sign splits become masks ($[v \ge 0]$, $[v \le 0]$, $[v < 0]$:
the gradients of ``torch.where``). Parameter gradients are accumulated per step, e.g.
$\bar\beta = \sum_t \bar m_t\,\mathrm{mem}_{t-1}$ (EMA: $\bar m_t(\mathrm{mem}_{t-1} - \Delta_t)$),
$\bar\gamma = \sum_t \bar r_t\,(r_{t-1} - o_{t-1})$, $\bar w = \sum_t \bar\Delta_t\,r_t$,
$\bar\alpha = \sum_t \bar s_t\,(s_{t-1} - x_t)$, $\bar b = \sum_t \bar u_t$,
$\bar\theta = -\sum_t (\bar u_t + \rho_t z_t)$, $\bar\kappa^\pm = \sum_t \bar o_t z^\pm_t$, and summed
over the batch at the end.

Every temporary is one step in size (it stays in the CPU cache); the saved per-step values are
read once.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from .forward import pair, split
from .plan import BINARY, NONE, FusedPlan

__all__ = ["run_backward"]


def _reduce(grad: Tensor, like: Tensor) -> Tensor:
    """Sum ``grad`` over everything ``like`` broadcast over (all axes but the feature axis)."""
    if like.dim() == 0:
        return grad.sum()
    return grad.reshape(-1, grad.shape[-1]).sum(0).sum_to_size(like.shape)


def _masks(v: Tensor, strict: bool = False) -> tuple[Tensor, Tensor]:
    r"""The gradients of $P$ and $N$ (or $N_<$) at ``v``: $[v \ge 0]$, $[v \le 0]$ ($[v < 0]$).

    Computed with float arithmetic on $\operatorname{sign}(v)$ (comparisons producing bool tensors
    are several times slower on CPU).
    """
    sign = torch.sign(v)
    positive = (sign + 1).clamp_max_(1)
    negative = sign.neg_().clamp_min_(0) if strict else (1 - sign).clamp_max_(1)
    return positive, negative


def _masked_sum(masks: tuple[Tensor, Tensor], value: Tensor, out: Tensor | None = None) -> Tensor:
    r"""$[\cdot]^+ v^+ + [\cdot]^- v^-$ for channel-stacked values (``sum(0)`` is slow on CPU)."""
    return torch.addcmul(masks[0] * value[0], masks[1], value[1], out=out)  # type: ignore[arg-type]


class _Sums(dict):
    """Per-step accumulators of parameter gradients (summed over the batch at the end)."""

    def __init__(self, enabled: bool) -> None:
        super().__init__()
        self.enabled = enabled

    def add(self, name: str, a: Tensor, b: Tensor | None = None) -> None:
        if not self.enabled:
            return
        current = self.get(name)
        if current is None:
            self[name] = a.clone() if b is None else a * b
        elif b is None:
            current.add_(a)
        else:
            current.addcmul_(a, b)


def _through_firing(plan: FusedPlan, grad: Tensor, f: Tensor, u: Tensor | None) -> Tensor:
    r"""$\bar u = \bar z\,f'(u)\,q'(f)$ from the saved spike value $f = f(u)$ (``grad`` is consumed).

    For ``sigmoid4x`` one fused kernel gives $\bar z f(1-f)$ (then $\times 4$); other thresholds
    use their derivative at the saved $u$.
    """
    spike, quant = plan.spike, plan.quant
    if spike is None:
        raise TypeError("plan.spike is None, expected the spike rule of a firing layer")
    if spike.kind == "sigmoid4x":
        out = torch.ops.aten.sigmoid_backward(grad, f).mul_(4)
    elif u is None:
        raise TypeError(f"u is None, expected the saved firing input for the {spike.kind!r} spike rule")
    else:
        out = grad.mul_(spike.derivative(u, f))
    if quant is not None:
        dq = quant.derivative(f)
        if isinstance(dq, Tensor):
            out = out.mul_(dq)
    return out


def run_backward(
    plan: FusedPlan,
    xs: Tensor,
    st: dict[str, Tensor],
    p: dict[str, Tensor],
    sv: dict[str, list[Tensor]],
    g_out: Tensor | None,
    g_final: Mapping[str, Tensor | None],
    needs: set[str],
) -> dict[str, Tensor]:
    """Gradients for ``"x"``, every initial state and every parameter named in ``needs``."""
    steps, nd = xs.shape[0], xs.dim() - 1
    dual, rec, firing, synapse, ema = plan.dual, plan.recurrence, plan.firing, plan.synapse, plan.ema
    step_shape = xs.shape[1:]
    g_steps = (torch.zeros_like(xs) if g_out is None else g_out).unbind(0)
    x_steps = xs.unbind(0)

    def final_grad(*names: str) -> Tensor:
        values = [g_final.get(n) for n in names]
        filled = [
            torch.zeros(step_shape, dtype=xs.dtype, device=xs.device) if v is None else v for v in values
        ]
        return filled[0] if len(filled) == 1 else torch.stack(filled)

    def initial(*names: str) -> Tensor:
        return st[names[0]] if len(names) == 1 else torch.stack([st[n] for n in names])

    names = ("pos_", "neg_") if dual else ("",)

    def named(base: str) -> tuple[str, ...]:
        return tuple(prefix + base for prefix in names)

    beta = pair(p["pos_beta"], p["neg_beta"], nd) if dual else p["beta"]
    one_minus_beta = 1 - beta
    gf_mem = final_grad(*named("mem"))
    mem0 = initial(*named("mem"))
    if rec:
        gamma = pair(p["pos_gamma"], p["neg_gamma"], nd) if dual else p["gamma"]
        weight = pair(p["pos_rec_weight"], p["neg_rec_weight"], nd) if dual else p["rec_weight"]
        one_minus_gamma = 1 - gamma
        gf_rec, gf_o = final_grad(*named("rec")), final_grad("prev_output")
        r0, o0 = initial(*named("rec")), st["prev_output"]
        rs, os_ = sv["R"], sv["O"]
    if synapse:
        alpha = pair(p["pos_alpha"], p["neg_alpha"], nd) if dual else p["alpha"]
        one_minus_alpha = 1 - alpha
        gf_syn, syn0, ss = final_grad(*named("syn")), initial(*named("syn")), sv["S"]
    reset_scale = 0.5 if dual else 1.0
    if firing == BINARY:
        theta = p["threshold"] * reset_scale
    elif firing != NONE:
        theta_p, theta_n = p["pos_threshold"] * reset_scale, p["neg_threshold"] * reset_scale
        kp = p["pos_scale"] if plan.scaled else None
        kn = p["neg_scale"] if plan.scaled else None
    mems, zs = sv["MEM"], sv.get("Z", [])
    sums = _Sums(enabled=bool(needs))
    gx = torch.empty_like(xs, memory_format=torch.contiguous_format)
    gx_rows = gx.unbind(0)
    am_is_gx = not (dual or synapse or ema)  # then d L / d x_t is the membrane adjoint itself
    # adjoints carried from step t + 1; None at the last step, where the final-state gradients enter
    am_next: Tensor | None = None
    ar_next: Tensor | None = None
    as_next: Tensor | None = None

    for t in range(steps - 1, -1, -1):
        am_out = gx_rows[t] if am_is_gx else None
        after = gf_mem if am_next is None else am_next * beta  # d L / d (membrane after step t)
        # d L / d o_t: the output, plus the recurrent trace of step t + 1
        if not rec:
            ao = g_steps[t]
        elif ar_next is None:
            ao = g_steps[t] + gf_o
        elif dual:
            ao = _masked_sum(_masks(os_[t]), ar_next * one_minus_gamma).add_(g_steps[t])
        else:
            ao = torch.addcmul(g_steps[t], ar_next, one_minus_gamma)
        # firing and reset
        if firing == NONE:
            am = torch.add(after, ao, out=am_out)
        else:
            rho = torch.add(after[0], after[1]) if dual else after  # reset gradient (x 1/2 in theta)
            if firing == BINARY:
                az = torch.addcmul(ao, rho, theta, value=-1)
                au = _through_firing(plan, az, sv["F"][t], sv["U"][t] if "U" in sv else None)
                am = torch.add(after, au, out=am_out)
                sums.add("bias", au)
                sums.add("rho_z", rho, zs[t])
            else:
                aop = ao * kp if kp is not None else ao
                aon = ao * kn if kn is not None else ao
                aup = torch.addcmul(aop, rho, theta_p, value=-1)
                aup = _through_firing(plan, aup, sv["FP"][t], sv["UP"][t] if "UP" in sv else None)
                bun = torch.addcmul(aon, rho, theta_n, value=-1)  # becomes -d L / d u-
                bun = _through_firing(plan, bun, sv["FN"][t], sv["UN"][t] if "UN" in sv else None)
                am = torch.add(after, aup.add(bun), out=am_out)
                sums.add("up", aup)
                sums.add("bun", bun)
                sums.add("rho_zp", rho, zs[t])
                sums.add("rho_zn", rho, sv["ZN"][t])
                if kp is not None:
                    sums.add("pos_scale", ao, zs[t])
                    sums.add("neg_scale", ao, sv["ZN"][t])
        # membrane parameters
        prev_mem = mems[t - 1] if t > 0 else mem0
        sums.add("beta", am, prev_mem - sv["DELTA"][t] if ema else prev_mem)
        if ema:
            a_delta = torch.mul(am, one_minus_beta, out=None if dual or synapse else gx_rows[t])
        else:
            a_delta = am
        # recurrent trace
        if rec:
            prev_r = rs[t - 1] if t > 0 else r0
            prev_o = os_[t - 1] if t > 0 else o0
            base = gf_rec if ar_next is None else ar_next * gamma
            if dual:
                ar = _masked_sum(_masks(sv["RSUM"][t]), a_delta * weight).add(base)
                sums.add("rec_weight", a_delta, sv["PNR"][t])
                sums.add("gamma", ar, prev_r - split(prev_o))
            else:
                ar = torch.addcmul(base, a_delta, weight)
                sums.add("rec_weight", a_delta, rs[t])
                sums.add("gamma", ar, prev_r - prev_o)
            ar_next = ar
        # drive and synaptic trace
        if dual:
            drive = sv["I"][t] if synapse else x_steps[t]
            a_drive = _masked_sum(
                _masks(drive, plan.strict_negative), a_delta, None if synapse else gx_rows[t]
            )
        else:
            a_drive = a_delta
        if synapse:
            a_s = a_drive + gf_syn if as_next is None else torch.addcmul(a_drive, alpha, as_next)
            prev_s = ss[t - 1] if t > 0 else syn0
            if dual:
                _masked_sum(_masks(x_steps[t]), a_s * one_minus_alpha, out=gx_rows[t])
                sums.add("alpha", a_s, prev_s - split(x_steps[t]))
            else:
                torch.mul(a_s, one_minus_alpha, out=gx_rows[t])
                sums.add("alpha", a_s, prev_s - x_steps[t])
            as_next = a_s
        am_next = am

    grads: dict[str, Tensor] = {"x": gx}
    # initial states (the loop ran: fusable_arguments sends T = 0 to the step loop)
    assert am_next is not None
    _unpair(grads, named("mem"), am_next * beta)
    if rec:
        assert ar_next is not None
        _unpair(grads, named("rec"), ar_next * gamma)
        if dual:
            grads["prev_output"] = _masked_sum(_masks(o0), ar_next * one_minus_gamma)
        else:
            grads["prev_output"] = ar_next * one_minus_gamma
    if synapse:
        assert as_next is not None
        _unpair(grads, named("syn"), as_next * alpha)
    # parameters
    if not needs:
        return grads
    if firing == BINARY:
        sums["threshold"] = -(sums["bias"] + sums.pop("rho_z") * reset_scale)
    elif firing != NONE:
        sums["pos_threshold"] = -(sums["up"] + sums.pop("rho_zp") * reset_scale)
        sums["neg_threshold"] = sums["bun"] - sums.pop("rho_zn") * reset_scale
        sums["bias"] = sums.pop("up") + sums.pop("bun")
    for stem in ("beta", "gamma", "rec_weight", "alpha"):
        if stem in sums:
            _unpair(sums, named(stem), sums.pop(stem))
    for name in plan.param_names:
        if name in needs and name in sums:
            grads[name] = _reduce(sums[name], p[name])
    return grads


def _unpair(target: dict, names: tuple[str, ...], value: Tensor) -> None:
    """Store a stacked ``[2, ...]`` value under its pos/neg names, or a single one under its name."""
    if len(names) == 1:
        target[names[0]] = value
    else:
        target[names[0]], target[names[1]] = value[0], value[1]
