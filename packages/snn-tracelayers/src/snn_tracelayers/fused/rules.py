r"""Which ``spike_fn`` / ``quant_fn`` callables the fused path can run, and their derivatives.

The fused path evaluates $f$ and $q$ in its forward loop exactly as the step function does, and
needs their elementwise derivatives $f'(u)$ and $q'(f)$ afterwards, for all steps at once:

* ``snn_core.sigmoid4x`` (also by its registered name): $f(u) = \sigma(4u)$,
  $f'(u) = 4 f (1 - f)$;
* no quantizer (``nn.Identity``), ``snn_core.round_ste(h)`` and ``stochastic_round_ste(h)``:
  $q' = 1$ (straight-through); ``probabilistic_ste()``: $q'(f) = 2f$;
* any other registered threshold name (``"super"``, ``"heaviside"``, a plugin's): forward by calling
  it, derivative by one vector-Jacobian product over the whole ``[T, ...]`` tensor (thresholds act
  elementwise), with the random-number state forked so that stochastic thresholds draw nothing
  extra.

Anything else (an arbitrary callable whose derivative is unknown) is not fusable; the layer then
loops its step function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

import snn_core
from snn_core.functional import ProbabilisticSTE, RoundSTE, StochasticRoundSTE

__all__ = ["Elementwise", "spike_rule", "quant_rule"]

SIGMOID4X, ROUND, CALL_ONE, CALL_TWO_X, CALL_AUTOGRAD = "sigmoid4x", "round", "call1", "call2x", "autograd"


@dataclass(frozen=True, eq=False)
class Elementwise:
    """An elementwise function with a known derivative.

    Attributes:
        kind: how it is evaluated and differentiated (``"sigmoid4x"``, ``"round"``, ``"call1"``:
            call, derivative 1; ``"call2x"``: call, derivative $2x$; ``"autograd"``: call,
            derivative by autograd).
        fn: the callable (for the ``call*``/``autograd`` kinds).
        step: the rounding step $h$ (``"round"``).
    """

    kind: str
    fn: Callable[[Tensor], Tensor] | None = None
    step: float = 1.0

    def __call__(self, x: Tensor, out: Tensor | None = None) -> Tensor:
        """Evaluate (forward only, no graph); writes into ``out`` when given and returns it."""
        if self.kind == SIGMOID4X:
            return torch.sigmoid(x * 4, out=out) if out is not None else torch.sigmoid(x * 4)
        if self.kind == ROUND:
            if self.step == 1.0:  # x / 1 and r * 1 are exact: same bits as round_ste's forward
                return torch.round(x, out=out) if out is not None else torch.round(x)
            value = torch.round(x / self.step) * self.step
        else:
            value = self.fn(x)  # type: ignore[misc]
        if out is not None:
            return out.copy_(value)
        return value

    def derivative(self, x: Tensor, value: Tensor | None = None) -> Tensor | float:
        """$\\partial\\,\\mathrm{fn}(x) / \\partial x$ elementwise (``value`` = ``fn(x)`` if known)."""
        if self.kind == SIGMOID4X:
            f = torch.sigmoid(x * 4) if value is None else value
            return f * (1 - f) * 4
        if self.kind in (ROUND, CALL_ONE):
            return 1.0
        if self.kind == CALL_TWO_X:
            return x * 2
        devices = [x.device] if x.device.type != "cpu" else []
        with torch.random.fork_rng(devices=devices), torch.enable_grad():
            leaf = x.detach().requires_grad_(True)
            y = self.fn(leaf)  # type: ignore[misc]
            if not y.requires_grad:
                return torch.zeros_like(x)
            (grad,) = torch.autograd.grad(y, leaf, torch.ones_like(y), allow_unused=True)
        return torch.zeros_like(x) if grad is None else grad


def _registered(fn: object) -> Elementwise | None:
    if not isinstance(fn, snn_core.RegisteredThreshold):
        return None
    if fn.fn is snn_core.sigmoid4x:
        return Elementwise(SIGMOID4X)
    return Elementwise(CALL_AUTOGRAD, fn)


def spike_rule(fn: object) -> Elementwise | None:
    """The rule for a layer's ``spike_fn``, or ``None`` if the fused path cannot differentiate it."""
    if fn is snn_core.sigmoid4x:
        return Elementwise(SIGMOID4X)
    return _registered(fn)


def quant_rule(fn: object) -> Elementwise | Literal[False] | None:
    """The rule for ``quant_fn``: ``None`` for the identity, ``False`` if not fusable."""
    if fn is None:
        return None
    if isinstance(fn, RoundSTE):
        return Elementwise(ROUND, step=fn.step_size)
    if isinstance(fn, StochasticRoundSTE):
        return Elementwise(CALL_ONE, fn)
    if isinstance(fn, ProbabilisticSTE):
        return Elementwise(CALL_TWO_X, fn)
    rule = _registered(fn)
    return False if rule is None else rule
