r"""Spike threshold functions: Heaviside forward, surrogate gradient backward.

Every function here has the signature ``fn(x, alpha)`` and the numbers of Norse 1.1.0
(spec: norse-functional §1.5, §2), except ``super_fn``, which uses ``alpha`` as Norse's main
branch does (see "Differences from Norse"). The forward pass of the deterministic functions is

$$ z = H(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \text{ or NaN} \end{cases} $$

in the dtype of ``x``; the backward pass replaces $H'(x)$ by a smooth surrogate $\sigma'(x)$.
The expressions are evaluated in Norse's order so that gradients agree to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

__all__ = [
    "heaviside",
    "heavi_erfc_fn",
    "heavi_tanh_fn",
    "logistic_fn",
    "heavi_circ_fn",
    "circ_dist_fn",
    "triangle_fn",
    "super_fn",
    "sigmoid4x",
    "surrogate_function",
]


def heaviside(data: Tensor, alpha: Any = None) -> Tensor:
    r"""Heaviside step $H(x) = [x > 0]$ in the dtype of ``data``; not differentiable.

    ``alpha`` is accepted (and ignored) so that it fits the threshold protocol ``fn(x, alpha)``.

    Example:
        >>> heaviside(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 1.])
    """
    return torch.gt(data, 0.0).to(data.dtype)


def _step_forward(x: Tensor, alpha: Any) -> Tensor:
    return torch.gt(x, 0.0).to(x.dtype)


def _super_derivative(x: Tensor, alpha: Any, grad: Tensor) -> Tensor:
    return grad / (alpha * torch.abs(x) + 1.0).pow(2)


def _tanh_derivative(x: Tensor, alpha: Any, grad: Tensor) -> Tensor:
    return grad * (1 - torch.tanh(x * alpha).pow(2))


def _erfc_derivative(x: Tensor, alpha: Any, grad: Tensor) -> Tensor:
    # sqrt(pi) as a 0-dim tensor of the default dtype, as Norse: float32 rounding shows in float64 runs
    return (2 * torch.exp(-(alpha * x).pow(2)) / torch.as_tensor(math.pi, device=x.device).sqrt()) * grad


def _circ_derivative(x: Tensor, alpha: Any, grad: Tensor) -> Tensor:
    square = alpha**2 + x.pow(2)
    return grad * (-x.pow(2) / (2 * square.pow(1.5)) + 1 / (2 * torch.sqrt(square))) * 2 * alpha


def _triangle_derivative(x: Tensor, alpha: Any, grad: Tensor) -> Tensor:
    return (grad.clone() * alpha) * torch.relu(1 - torch.abs(x))


def _bernoulli(probs: Tensor, name: str) -> Tensor:
    if torch.isnan(probs).any():
        raise ValueError(f"{name}: the spike probability is NaN for some inputs (x and alpha both 0?)")
    return torch.bernoulli(probs)


def _logistic_forward(x: Tensor, alpha: Any) -> Tensor:
    return _bernoulli(0.5 + 0.5 * torch.tanh(alpha * x), "logistic_fn")


def _circ_dist_forward(x: Tensor, alpha: Any) -> Tensor:
    return _bernoulli(0.5 + 0.5 * (x / torch.sqrt(x.pow(2) + alpha**2)), "circ_dist_fn")


def surrogate_function(
    name: str,
    derivative: Callable[[Tensor, Any, Tensor], Tensor],
    forward: Callable[[Tensor, Any], Tensor] = _step_forward,
) -> type[torch.autograd.Function]:
    """Build an autograd Function: ``forward(x, alpha)`` as given, backward ``derivative(x, alpha, grad)``.

    Written in the ``setup_context`` style so it works under ``torch.func`` and ``torch.compile``.
    Plugins can use it to define their own surrogates.
    """

    class _Function(torch.autograd.Function):
        generate_vmap_rule = True  # so that torch.func.vmap works over neurons

        @staticmethod
        def forward(x: Tensor, alpha: Any) -> Tensor:  # type: ignore[override]
            return forward(x, alpha)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
            x, alpha = inputs
            ctx.save_for_backward(x)
            ctx.alpha = alpha

        @staticmethod
        def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, None]:  # type: ignore[override]
            (x,) = ctx.saved_tensors
            return derivative(x, ctx.alpha, grad), None

    _Function.__name__ = _Function.__qualname__ = name
    return _Function


_SuperSpike = surrogate_function("SuperSpike", _super_derivative)
_HeaviTanh = surrogate_function("HeaviTanh", _tanh_derivative)
_HeaviErfc = surrogate_function("HeaviErfc", _erfc_derivative)
_HeaviCirc = surrogate_function("HeaviCirc", _circ_derivative)
_Triangle = surrogate_function("Triangle", _triangle_derivative)
_Logistic = surrogate_function("Logistic", _tanh_derivative, _logistic_forward)
_CircDist = surrogate_function("CircDist", _circ_derivative, _circ_dist_forward)


def super_fn(x: Tensor, alpha: Any = 100.0) -> Tensor:
    r"""SuperSpike: $H(x)$ forward, $\partial z/\partial x \approx 1/(\alpha|x| + 1)^2$ backward.

    Norse 1.1.0 ignores ``alpha`` here (its gradient is $1/(|x|+1)^2$); we use it, as Norse's main
    branch and v1.0.0 do. Pass ``alpha=1.0`` for 1.1.0's numbers.

    Example:
        >>> x = torch.tensor([0.5], requires_grad=True)
        >>> super_fn(x, 2.0).sum().backward(); x.grad
        tensor([0.2500])
    """
    return _SuperSpike.apply(x, alpha)


def heavi_tanh_fn(x: Tensor, k: Any) -> Tensor:
    r"""$H(x)$ forward; backward $1 - \tanh^2(kx)$ (no chain-rule factor $k$, as Norse)."""
    return _HeaviTanh.apply(x, k)


def heavi_erfc_fn(x: Tensor, k: Any) -> Tensor:
    r"""$H(x)$ forward; backward $\frac{2}{\sqrt\pi} e^{-(kx)^2}$ (no factor $k$, as Norse)."""
    return _HeaviErfc.apply(x, k)


def heavi_circ_fn(x: Tensor, k: Any) -> Tensor:
    r"""$H(x)$ forward; backward $\alpha^3 / (\alpha^2 + x^2)^{3/2}$ with $\alpha = k$.

    Computed as $g\,\big(-\tfrac{x^2}{2(\alpha^2+x^2)^{3/2}} + \tfrac{1}{2\sqrt{\alpha^2+x^2}}\big)\cdot 2\cdot\alpha$,
    Norse's order. ``k = 0`` divides by zero.
    """
    return _HeaviCirc.apply(x, k)


def triangle_fn(x: Tensor, alpha: Any = 0.3) -> Tensor:
    r"""$H(x)$ forward; backward $\alpha\,\max(0, 1 - |x|)$ (``alpha`` is the height, width fixed at 1)."""
    return _Triangle.apply(x, alpha)


def logistic_fn(x: Tensor, k: Any) -> Tensor:
    r"""Stochastic spikes $z \sim \mathrm{Bernoulli}(\tfrac12 + \tfrac12\tanh(kx))$; backward as ``heavi_tanh_fn``.

    Draws from the global generator with one ``torch.bernoulli`` call, as Norse.

    Raises:
        ValueError: if a probability is NaN.
    """
    return _Logistic.apply(x, k)


def circ_dist_fn(x: Tensor, k: Any) -> Tensor:
    r"""Stochastic spikes $z \sim \mathrm{Bernoulli}(\tfrac12 + \tfrac{x}{2\sqrt{x^2+k^2}})$; backward as ``heavi_circ_fn``.

    Raises:
        ValueError: if a probability is NaN (``x = k = 0``).
    """
    return _CircDist.apply(x, k)


def sigmoid4x(x: Tensor, alpha: Any = None) -> Tensor:
    r"""traceTorch's default spike function $\sigma(4x)$: smooth, not binary; $\sigma'(0)\cdot 4 = 1$.

    ``alpha`` is accepted (and ignored) so that it fits the threshold protocol.

    Example:
        >>> sigmoid4x(torch.tensor([0.0, 0.25]))
        tensor([0.5000, 0.7311])
    """
    return torch.sigmoid(4 * x)


def _factor(derivative: Callable[[Tensor, Any, Tensor], Tensor]) -> Callable[[Tensor, Any], Tensor]:
    """``derivative(x, alpha, grad)`` at ``grad = 1``: the surrogate factor as a function of ``x``."""

    def factor(x: Tensor, alpha: Any) -> Tensor:
        return derivative(x, alpha, torch.ones((), dtype=x.dtype, device=x.device))

    factor.__name__ = derivative.__name__.lstrip("_")
    return factor


def _no_gradient(x: Tensor, alpha: Any) -> Tensor:
    return torch.zeros_like(x)


#: ``derivative(x, alpha)`` of each Heaviside-forward threshold, keyed by the threshold function.
DERIVATIVES: dict[Callable[..., Tensor], Callable[[Tensor, Any], Tensor]] = {
    super_fn: _factor(_super_derivative),
    heavi_tanh_fn: _factor(_tanh_derivative),
    heavi_erfc_fn: _factor(_erfc_derivative),
    heavi_circ_fn: _factor(_circ_derivative),
    triangle_fn: _factor(_triangle_derivative),
    heaviside: _no_gradient,
}
