r"""traceTorch's functional helpers: decay conversions, parameter transforms and quantizers.

Decay helpers work on plain numbers (anything :func:`float` accepts, one-element tensors
included) and return Python floats:

$$ d_{1/2}(n) = e^{-\ln 2 / n}, \qquad d_\tau(n) = 1 - \tfrac{1}{n}. $$

Parameter transforms map a constrained (user-facing) value to the unconstrained raw tensor a
:class:`snn_core.Layer` stores: $\operatorname{logit}$ for decays in $(0, 1)$,
$\log(e^{x} - 1)$ for positive thresholds. Quantizers are straight-through estimators (STE):
their forward pass rounds or samples, their backward pass is the identity (or, for
:func:`probabilistic_ste`, the derivative of the expectation).

Where traceTorch asserts, these helpers raise :class:`ValueError` naming the argument and value.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from .surrogates import sigmoid4x

__all__ = [
    "halflife_to_decay",
    "decay_to_halflife",
    "timesteps_to_decay",
    "decay_to_timesteps",
    "sigmoid_inverse",
    "softplus_inverse",
    "mamba_scale",
    "sigmoid4x",
    "round_ste",
    "stochastic_round_ste",
    "probabilistic_ste",
    "RoundSTE",
    "StochasticRoundSTE",
    "ProbabilisticSTE",
]

_LN2 = math.log(2.0)


def _as_float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a real number, got {value!r}") from err


def halflife_to_decay(num_steps: Any) -> float:
    r"""Per-step decay $d$ with $d^{n} = \tfrac12$: $d = e^{-\ln 2 / n}$.

    Args:
        num_steps: the half-life $n$ in timesteps (> 0).

    Returns:
        The decay as a Python float.

    Raises:
        ValueError: if ``num_steps`` is not finite and > 0.

    Example:
        >>> round(halflife_to_decay(10), 10)
        0.9330329915
    """
    n = _as_float("num_steps", num_steps)
    if not (math.isfinite(n) and n > 0):
        raise ValueError(f"num_steps must be finite and > 0, got {num_steps!r}")
    return math.exp(-_LN2 / n)


def decay_to_halflife(decay: Any) -> float:
    r"""Half-life in timesteps of a per-step decay: $n = -\ln 2 / \ln d$.

    Args:
        decay: the per-step decay $d \in (0, 1)$.

    Raises:
        ValueError: if ``decay`` is not in $(0, 1)$.

    Example:
        >>> decay_to_halflife(0.5)
        1.0
    """
    d = _as_float("decay", decay)
    if not (0.0 < d < 1.0):
        raise ValueError(f"decay must lie in the open interval (0, 1), got {decay!r}")
    return -_LN2 / math.log(d)


def timesteps_to_decay(time: Any) -> float:
    r"""Decay whose mean lifetime is ``time`` steps: $d = 1 - 1/n$.

    Args:
        time: the mean lifetime $n$ in timesteps (>= 1).

    Raises:
        ValueError: if ``time`` is not finite and >= 1.

    Example:
        >>> timesteps_to_decay(10)
        0.9
    """
    t = _as_float("time", time)
    if not (math.isfinite(t) and t >= 1.0):
        raise ValueError(f"time must be finite and >= 1, got {time!r}")
    return 1.0 - 1.0 / t


def decay_to_timesteps(decay: Any) -> float:
    r"""Mean lifetime of a per-step decay: $n = 1 / (1 - d)$.

    Args:
        decay: the per-step decay $d \in [0, 1)$.

    Raises:
        ValueError: if ``decay`` is not in $[0, 1)$.

    Example:
        >>> decay_to_timesteps(0.5)
        2.0
    """
    d = _as_float("decay", decay)
    if not (0.0 <= d < 1.0):
        raise ValueError(f"decay must lie in [0, 1), got {decay!r}")
    return 1.0 / (1.0 - d)


def _as_tensor(name: str, x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return torch.as_tensor(x, dtype=torch.get_default_dtype())
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a tensor or a real number, got {x!r}") from err


def sigmoid_inverse(x: Any) -> Tensor:
    r"""$\operatorname{logit}(x) = \log\frac{x}{1-x}$, the raw value whose sigmoid is ``x``.

    Args:
        x: tensor (or number) with every element in $(0, 1)$ *after* conversion to its dtype
            (``0.99999999`` rounds to ``1.0`` in float32 and is rejected).

    Raises:
        ValueError: if an element lies outside $(0, 1)$ or is NaN.

    Example:
        >>> sigmoid_inverse(torch.tensor(0.5))
        tensor(0.)
    """
    t = _as_tensor("x", x)
    if not bool(((t > 0) & (t < 1)).all()):
        raise ValueError(f"sigmoid_inverse: x must lie in the open interval (0, 1), got {x!r}")
    return torch.logit(t)


def softplus_inverse(x: Any) -> Tensor:
    r"""$\log(e^{x} - 1)$, the raw value whose softplus is ``x``.

    Above $x = 20$ it is evaluated as $x + \log(1 - e^{-x})$, so large thresholds stay finite
    (traceTorch's $\log(\operatorname{expm1}(x))$ overflows to $+\infty$ for $x \ge 89$ in float32);
    below, the numbers are traceTorch's bit for bit.

    Args:
        x: tensor (or number) with every element $> 0$.

    Raises:
        ValueError: if an element is $\le 0$ or NaN.

    Example:
        >>> softplus_inverse(torch.tensor(1.0))
        tensor(0.5413)
    """
    t = _as_tensor("x", x)
    if not bool((t > 0).all()):
        raise ValueError(f"softplus_inverse: x must be > 0, got {x!r}")
    small = torch.log(torch.expm1(torch.clamp(t, max=20.0)))
    large = t + torch.log(-torch.expm1(-t))
    return torch.where(t > 20.0, large, small)


def mamba_scale(x: Any) -> Tensor:
    r"""$\log(-\log(x) / \ln 2)$, the inverse of $r \mapsto e^{-\ln 2 \cdot e^{r}}$.

    Args:
        x: tensor (or number) with every element in $(0, 1)$.

    Raises:
        ValueError: if an element lies outside $(0, 1)$.

    Example:
        >>> mamba_scale(torch.tensor(0.5))
        tensor(0.)
    """
    t = _as_tensor("x", x)
    if not bool(((t > 0) & (t < 1)).all()):
        raise ValueError(f"mamba_scale: x must lie in the open interval (0, 1), got {x!r}")
    return torch.log(-torch.log(t) / _LN2)


def _check_step(step_size: Any) -> float:
    s = _as_float("step_size", step_size)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"step_size must be finite and > 0, got {step_size!r}")
    return s


class _RoundSTEFn(torch.autograd.Function):
    @staticmethod
    def forward(x: Tensor, step: float) -> Tensor:  # type: ignore[override]
        return torch.round(x / step) * step

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        return grad, None


class _StochasticRoundSTEFn(torch.autograd.Function):
    @staticmethod
    def forward(x: Tensor, step: float) -> Tensor:  # type: ignore[override]
        scaled = x / step
        low = torch.floor(scaled)
        frac = scaled - low
        return (low + (torch.rand_like(x) < frac).to(x.dtype)) * step

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        return grad, None


class _ProbabilisticSTEFn(torch.autograd.Function):
    @staticmethod
    def forward(x: Tensor) -> Tensor:  # type: ignore[override]
        return x * torch.bernoulli(x)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * 2 * x


class RoundSTE:
    r"""Quantizer $q(x) = \operatorname{round}(x/h)\,h$ (half to even) with identity gradient.

    Made by :func:`round_ste`; a picklable callable (unlike traceTorch's closure).
    """

    def __init__(self, step_size: float = 1.0) -> None:
        self.step_size = _check_step(step_size)

    def __call__(self, x: Tensor) -> Tensor:
        return _RoundSTEFn.apply(x, self.step_size)

    def __repr__(self) -> str:
        return f"round_ste(step_size={self.step_size})"


class StochasticRoundSTE:
    r"""Quantizer $q(x) = (\lfloor x/h \rfloor + [U < \mathrm{frac}(x/h)])\,h$ with identity gradient.

    Made by :func:`stochastic_round_ste`; draws $U \sim \mathcal U[0,1)$ with ``torch.rand_like``.
    """

    def __init__(self, step_size: float = 1.0) -> None:
        self.step_size = _check_step(step_size)

    def __call__(self, x: Tensor) -> Tensor:
        return _StochasticRoundSTEFn.apply(x, self.step_size)

    def __repr__(self) -> str:
        return f"stochastic_round_ste(step_size={self.step_size})"


class ProbabilisticSTE:
    r"""Quantizer $q(x) = x \cdot \mathrm{Bernoulli}(x)$ with gradient $2x$ (that of $E[q] = x^2$).

    Made by :func:`probabilistic_ste`; ``x`` must lie in $[0, 1]$.
    """

    def __call__(self, x: Tensor) -> Tensor:
        return _ProbabilisticSTEFn.apply(x)

    def __repr__(self) -> str:
        return "probabilistic_ste()"


def round_ste(step_size: float = 1.0) -> RoundSTE:
    r"""Deterministic rounding quantizer with a straight-through gradient.

    Forward $q(x) = \operatorname{round}(x / h)\,h$ with PyTorch's round-half-to-even
    ($0.5 \to 0$, $1.5 \to 2$); backward $\partial q / \partial x := 1$.

    Args:
        step_size: the quantization step $h > 0$.

    Returns:
        A callable taking one tensor.

    Raises:
        ValueError: if ``step_size`` is not finite and > 0.

    Example:
        >>> round_ste()(torch.tensor([0.5, 1.5, 0.7]))
        tensor([0., 2., 1.])
    """
    return RoundSTE(step_size)


def stochastic_round_ste(step_size: float = 1.0) -> StochasticRoundSTE:
    r"""Stochastic rounding quantizer with a straight-through gradient.

    Forward $q(x) = (\lfloor x/h \rfloor + [U < x/h - \lfloor x/h \rfloor])\,h$ with
    $U \sim \mathcal U[0, 1)$ from the global RNG (``torch.rand_like``); for $x \in [0, 1)$ and
    $h = 1$ this is a Bernoulli($x$) sample. Backward: identity.

    Args:
        step_size: the quantization step $h > 0$.

    Raises:
        ValueError: if ``step_size`` is not finite and > 0.

    Example:
        >>> stochastic_round_ste()(torch.tensor([2.0, 3.0]))
        tensor([2., 3.])
    """
    return StochasticRoundSTE(step_size)


def probabilistic_ste() -> ProbabilisticSTE:
    r"""Bernoulli quantizer that outputs $0$ or $x$ itself.

    Forward $q(x) = x \cdot \mathrm{Bernoulli}(x)$ for $x \in [0, 1]$; backward
    $\partial q/\partial x := 2x$, the derivative of the expectation $x^2$, independent of the
    sample drawn.

    Example:
        >>> probabilistic_ste()(torch.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    return ProbabilisticSTE()
