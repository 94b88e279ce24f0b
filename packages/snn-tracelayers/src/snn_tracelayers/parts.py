r"""The composable parts of a trace layer: synapse, recurrence, membrane and firing.

Every traceTorch layer is one :class:`TraceRecipe`: an optional synaptic trace, an optional
recurrent trace of the layer's own previous output, a leaky membrane, and optional firing. The
prefixes of the layer names switch parts on: ``D`` makes every trace dual (separate positive and
negative traces with their own decays), ``S`` adds a :class:`Synapse`, ``R`` a :class:`Recurrence`.
The family picks the firing: none (LI, LIEMA), :class:`BinaryFiring` (LIB), :class:`TernaryFiring`
(LIT) or ``TernaryFiring(scaled=True)`` (LITS).

All equations act in the working layout (feature axis last); parameters broadcast against it.
With the sign splits

$$ P(v) = \begin{cases} v & v \ge 0 \\ 0 & \text{else}\end{cases}, \qquad
   N(v) = \begin{cases} v & v \le 0 \\ 0 & \text{else}\end{cases} $$

(both pass gradient 1 at $v = 0$, as ``torch.where`` does), one step is, in this order:

1. synapse: $s \leftarrow \alpha s + (1-\alpha) x$, or dual
   $s^\pm \leftarrow \alpha^\pm s^\pm + (1-\alpha^\pm) P/N(x)$ and $I = s^+ + s^-$ (else $I = x$);
2. recurrence: $r \leftarrow \gamma r + (1-\gamma) o_{t-1}$, drive $\Delta = w r + I$, or dual
   $r^\pm \leftarrow \gamma^\pm r^\pm + (1-\gamma^\pm) P/N(o_{t-1})$,
   $\Delta^\pm = w^\pm P/N(r^+ + r^-) + P/N(I)$ (else $\Delta = I$, dual $\Delta^\pm = P/N(I)$);
3. membrane: $m \leftarrow \beta m + \Delta$ (``ema=True``: $+ (1-\beta)\Delta$), dual per branch,
   $m = m^+ + m^-$;
4. firing: binary $z = q(f(m - \theta + b))$; ternary $z^+ = q(f(m - \theta^+ + b))$,
   $z^- = -q(f(-\theta^- - m - b))$;
5. subtractive reset with the unscaled spikes: $m \leftarrow m - z\theta$ (dual: half from each
   branch, whatever its sign);
6. output: $m$ (no firing), $z$, $z^+ + z^-$, or $\kappa^+ z^+ + \kappa^- z^-$ (scaled); with
   recurrence it is stored as $o_t$.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from snn_core.constrained import BIAS, DECAY, IDENTITY, THRESHOLD, Constraint

__all__ = [
    "ParamDecl",
    "Synapse",
    "Recurrence",
    "Membrane",
    "BinaryFiring",
    "TernaryFiring",
    "TraceRecipe",
    "positive_part",
    "negative_part",
    "strict_negative_part",
]

States = dict[str, Tensor]
Params = dict[str, Tensor]


def positive_part(v: Tensor) -> Tensor:
    r"""$P(v) = v$ where $v \ge 0$, else 0 (gradient 1 at $v = 0$)."""
    return torch.where(v >= 0, v, 0.0)


def negative_part(v: Tensor) -> Tensor:
    r"""$N(v) = v$ where $v \le 0$, else 0 (gradient 1 at $v = 0$)."""
    return torch.where(v <= 0, v, 0.0)


def strict_negative_part(v: Tensor) -> Tensor:
    r"""$N_<(v) = v$ where $v < 0$, else 0 (gradient 0 at $v = 0$; DLIT's membrane input)."""
    return torch.where(v < 0, v, 0.0)


@dataclass(frozen=True)
class ParamDecl:
    """One constructor parameter of a trace layer.

    Attributes:
        name: argument and parameter name (stored as ``raw_<name>``).
        constraint: how the raw tensor maps to the value (:mod:`snn_core.constrained`).
        default: the constructor default (user-facing units).
        slot: position in the value-argument and registration order.
        rank_slot: position in the ``<name>_rank`` / ``learn_<name>`` argument order.
    """

    name: str
    constraint: Constraint
    default: float
    slot: float
    rank_slot: float


# Argument order of traceTorch: alphas, betas, gammas, thresholds, bias, scales, rec weights
# (the rank and learn lists put the scales before the bias).
_ALPHA, _BETA, _GAMMA, _THRESHOLD, _BIAS, _SCALE, _REC_WEIGHT = 0, 1, 2, 3, 4, 5, 6
_SCALE_RANK = 3.5


def _pair(
    name: str, constraint: Constraint, default: float, slot: float, rank_slot: float | None = None
) -> tuple:
    rank = slot if rank_slot is None else rank_slot
    return (
        ParamDecl(f"pos_{name}", constraint, default, slot, rank),
        ParamDecl(f"neg_{name}", constraint, default, slot, rank),
    )


@dataclass(frozen=True)
class Synapse:
    r"""Synaptic trace (``S`` prefix): an exponential moving average of the input.

    $s \leftarrow \alpha s + (1-\alpha)x$; dual: $s^\pm \leftarrow \alpha^\pm s^\pm + (1-\alpha^\pm)P/N(x)$
    and the drive is $I = s^+ + s^-$ (summed, so opposite traces cancel before the membrane).

    Args:
        dual: separate positive/negative traces (``pos_alpha``, ``neg_alpha``).
    """

    dual: bool = False

    @property
    def params(self) -> tuple[ParamDecl, ...]:
        if self.dual:
            return _pair("alpha", DECAY, 0.5, _ALPHA)
        return (ParamDecl("alpha", DECAY, 0.5, _ALPHA, _ALPHA),)

    @property
    def states(self) -> tuple[str, ...]:
        return ("pos_syn", "neg_syn") if self.dual else ("syn",)

    def update(self, x: Tensor, s: States, p: Params, new: States) -> Tensor:
        """Advance the trace with input ``x``; returns the drive $I$."""
        if not self.dual:
            alpha = p["alpha"]
            syn = s["syn"] * alpha + x * (1 - alpha)
            new["syn"] = syn
            return syn
        pa, na = p["pos_alpha"], p["neg_alpha"]
        pos = s["pos_syn"] * pa + positive_part(x) * (1 - pa)
        neg = s["neg_syn"] * na + negative_part(x) * (1 - na)
        new["pos_syn"], new["neg_syn"] = pos, neg
        return pos + neg


@dataclass(frozen=True)
class Membrane:
    r"""Leaky membrane: $m \leftarrow \beta m + \Delta$ (``ema=True``: $\beta m + (1-\beta)\Delta$).

    Dual: two branches $m^\pm$ fed by the positive/negative part of the drive, $m = m^+ + m^-$;
    a reset takes half of $z\theta$ from each branch.

    Args:
        dual: separate positive/negative branches (``pos_beta``, ``neg_beta``).
        ema: scale the drive by $(1-\beta)$ (the ``...EMA`` layers).
        strict_negative: feed the negative branch $N_<(I)$ instead of $N(I)$ (traceTorch's DLIT
            only; the forward value is the same, the gradient at exactly 0 differs).
    """

    dual: bool = False
    ema: bool = False
    strict_negative: bool = False

    @property
    def params(self) -> tuple[ParamDecl, ...]:
        if self.dual:
            return _pair("beta", DECAY, 0.9, _BETA)
        return (ParamDecl("beta", DECAY, 0.9, _BETA, _BETA),)

    @property
    def states(self) -> tuple[str, ...]:
        return ("pos_mem", "neg_mem") if self.dual else ("mem",)

    def negative(self, v: Tensor) -> Tensor:
        """The negative split used for the drive of the negative branch."""
        return strict_negative_part(v) if self.strict_negative else negative_part(v)

    def split(self, drive: Tensor) -> Any:
        """Drive without recurrence: $I$, or $(P(I), N(I))$ for a dual membrane."""
        if self.dual:
            return positive_part(drive), self.negative(drive)
        return drive

    def integrate(self, delta: Any, s: States, p: Params, new: States) -> Tensor:
        """Leak and add the drive; returns the membrane $m$ used for firing."""
        if not self.dual:
            beta = p["beta"]
            mem = s["mem"] * beta + (delta * (1 - beta) if self.ema else delta)
            new["mem"] = mem
            return mem
        pb, nb = p["pos_beta"], p["neg_beta"]
        dp, dn = delta
        pos = s["pos_mem"] * pb + (dp * (1 - pb) if self.ema else dp)
        neg = s["neg_mem"] * nb + (dn * (1 - nb) if self.ema else dn)
        new["pos_mem"], new["neg_mem"] = pos, neg
        return pos + neg

    def reset(self, new: States, spikes: Tensor, threshold: Tensor) -> None:
        """Subtract $z\\theta$ ($\\tfrac12 z\\theta$ from each branch if dual)."""
        if not self.dual:
            new["mem"] = new["mem"] - spikes * threshold
            return
        new["pos_mem"] = new["pos_mem"] - spikes * threshold * 0.5
        new["neg_mem"] = new["neg_mem"] - spikes * threshold * 0.5


@dataclass(frozen=True)
class Recurrence:
    r"""Recurrent trace of the previous output (``R`` prefix), weighted into the drive.

    $r \leftarrow \gamma r + (1-\gamma) o_{t-1}$, $\Delta = w r + I$; dual:
    $r^\pm \leftarrow \gamma^\pm r^\pm + (1-\gamma^\pm)P/N(o_{t-1})$,
    $\Delta^\pm = w^\pm P/N(r^+ + r^-) + P/N(I)$. ``rec_weight`` defaults to 0.

    Args:
        dual: separate positive/negative traces and weights; needs a dual membrane.
    """

    dual: bool = False

    @property
    def params(self) -> tuple[ParamDecl, ...]:
        if self.dual:
            return _pair("gamma", DECAY, 0.9, _GAMMA) + _pair("rec_weight", IDENTITY, 0.0, _REC_WEIGHT)
        return (
            ParamDecl("gamma", DECAY, 0.9, _GAMMA, _GAMMA),
            ParamDecl("rec_weight", IDENTITY, 0.0, _REC_WEIGHT, _REC_WEIGHT),
        )

    @property
    def states(self) -> tuple[str, ...]:
        return ("pos_rec", "neg_rec", "prev_output") if self.dual else ("rec", "prev_output")

    def drive(self, drive: Tensor, membrane: Membrane, s: States, p: Params, new: States) -> Any:
        """Advance the trace from ``prev_output``; returns the membrane drive $\\Delta$."""
        prev = s["prev_output"]
        if not self.dual:
            gamma = p["gamma"]
            rec = s["rec"] * gamma + prev * (1 - gamma)
            new["rec"] = rec
            return rec * p["rec_weight"] + drive
        pg, ng = p["pos_gamma"], p["neg_gamma"]
        pos = s["pos_rec"] * pg + positive_part(prev) * (1 - pg)
        neg = s["neg_rec"] * ng + negative_part(prev) * (1 - ng)
        new["pos_rec"], new["neg_rec"] = pos, neg
        rec = pos + neg
        return (
            positive_part(rec) * p["pos_rec_weight"] + positive_part(drive),
            negative_part(rec) * p["neg_rec_weight"] + membrane.negative(drive),
        )


SpikeFn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class BinaryFiring:
    r"""One threshold: $z = q(f(m - \theta + b))$, reset $m \leftarrow m - z\theta$ (LIB family)."""

    @property
    def params(self) -> tuple[ParamDecl, ...]:
        return (
            ParamDecl("threshold", THRESHOLD, 1.0, _THRESHOLD, _THRESHOLD),
            ParamDecl("bias", BIAS, 0.0, _BIAS, _BIAS),
        )

    def fire(
        self,
        m: Tensor,
        membrane: Membrane,
        p: Params,
        new: States,
        spike_fn: SpikeFn,
        quant_fn: SpikeFn | None,
    ) -> Tensor:
        threshold = p["threshold"]
        spikes = spike_fn(m - threshold + p["bias"])
        if quant_fn is not None:
            spikes = quant_fn(spikes)
        membrane.reset(new, spikes, threshold)
        return spikes


@dataclass(frozen=True)
class TernaryFiring:
    r"""Two thresholds: $z^+ = q(f(m - \theta^+ + b))$, $z^- = -q(f(-\theta^- - m - b))$ (LIT, LITS).

    Reset with the unscaled spikes, $m \leftarrow m - z^+\theta^+ - z^-\theta^-$; output
    $z^+ + z^-$, or $\kappa^+ z^+ + \kappa^- z^-$ with ``scaled=True`` (``pos_scale``, ``neg_scale``).
    """

    scaled: bool = False

    @property
    def params(self) -> tuple[ParamDecl, ...]:
        decls = (*_pair("threshold", THRESHOLD, 1.0, _THRESHOLD), ParamDecl("bias", BIAS, 0.0, _BIAS, _BIAS))
        if self.scaled:
            decls += _pair("scale", IDENTITY, 1.0, _SCALE, _SCALE_RANK)
        return decls

    def fire(
        self,
        m: Tensor,
        membrane: Membrane,
        p: Params,
        new: States,
        spike_fn: SpikeFn,
        quant_fn: SpikeFn | None,
    ) -> Tensor:
        pos_threshold, neg_threshold, bias = p["pos_threshold"], p["neg_threshold"], p["bias"]
        pos = spike_fn(m - pos_threshold + bias)
        neg = spike_fn(-neg_threshold - m - bias)
        if quant_fn is not None:
            pos = quant_fn(pos)
            neg = quant_fn(neg)
        neg = -neg
        membrane.reset(new, pos, pos_threshold)
        membrane.reset(new, neg, neg_threshold)
        if self.scaled:
            return pos * p["pos_scale"] + neg * p["neg_scale"]
        return pos + neg


Firing = BinaryFiring | TernaryFiring


@dataclass(frozen=True)
class TraceRecipe:
    """A trace layer as a combination of parts.

    Args:
        membrane: the membrane (always present).
        synapse: optional synaptic trace.
        recurrence: optional recurrent trace (its ``dual`` must match the membrane's).
        firing: optional firing; without it the layer outputs its membrane.

    Raises:
        ValueError: for a dual recurrence on a single membrane or the reverse.
    """

    membrane: Membrane = Membrane()
    synapse: Synapse | None = None
    recurrence: Recurrence | None = None
    firing: Firing | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.membrane, Membrane):
            raise TypeError(f"membrane must be a Membrane, got {self.membrane!r}")
        if self.synapse is not None and not isinstance(self.synapse, Synapse):
            raise TypeError(f"synapse must be a Synapse or None, got {self.synapse!r}")
        if self.recurrence is not None:
            if not isinstance(self.recurrence, Recurrence):
                raise TypeError(f"recurrence must be a Recurrence or None, got {self.recurrence!r}")
            if self.recurrence.dual != self.membrane.dual:
                raise ValueError(
                    f"recurrence={self.recurrence!r} needs a membrane with the same dual flag, got {self.membrane!r}"
                )
        if self.firing is not None and not isinstance(self.firing, (BinaryFiring, TernaryFiring)):
            raise TypeError(f"firing must be BinaryFiring, TernaryFiring or None, got {self.firing!r}")

    @property
    def parts(self) -> tuple[Any, ...]:
        return tuple(p for p in (self.synapse, self.membrane, self.recurrence, self.firing) if p is not None)

    @property
    def params(self) -> tuple[ParamDecl, ...]:
        """Parameters in value-argument and registration order."""
        decls = [d for part in self.parts for d in part.params]
        return tuple(sorted(decls, key=lambda d: d.slot))

    @property
    def rank_order(self) -> tuple[ParamDecl, ...]:
        """Parameters in the order of the ``<name>_rank`` and ``learn_<name>`` arguments."""
        return tuple(sorted(self.params, key=lambda d: d.rank_slot))

    @property
    def states(self) -> tuple[str, ...]:
        names: tuple[str, ...] = ()
        if self.synapse is not None:
            names += self.synapse.states
        names += self.membrane.states
        if self.recurrence is not None:
            names += self.recurrence.states
        return names
