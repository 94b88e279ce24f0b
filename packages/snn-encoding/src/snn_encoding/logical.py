r"""Spike logic on 0/1 tensors: AND, OR, XOR, the Muller C-element and a rising-edge detector.

``logical_or`` and ``muller_c`` are differentiable through the SuperSpike surrogate
(:func:`snn_core.super_fn`): Heaviside forward,
$\partial z / \partial a \approx 1 / (\alpha |a| + 1)^2$ backward. snn-core's ``super_fn`` uses
$\alpha$ (as Norse's main branch); Norse 1.1.0 calls ``super_fn`` with its default
$\alpha = 100$ but ignores it, so 1.1.0's gradients are those of ``alpha=1.0``. The forward values
are identical.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from snn_core import super_fn

__all__ = ["logical_and", "logical_or", "logical_xor", "muller_c", "posedge_detector"]


def logical_and(x: Tensor, y: Tensor) -> Tensor:
    r"""Spike AND: $x \cdot y$.

    Example:
        >>> logical_and(torch.tensor([0.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0]))
        tensor([0., 0., 1.])
    """
    return x * y


def logical_xor(x: Tensor, y: Tensor) -> Tensor:
    r"""Spike XOR: $|x - y|$.

    Example:
        >>> logical_xor(torch.tensor([0.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0]))
        tensor([1., 1., 0.])
    """
    return torch.abs(x - y)


def logical_or(x: Tensor, y: Tensor, *, alpha: Any = 100.0) -> Tensor:
    r"""Spike OR: $\Theta(x + y)$ with the SuperSpike surrogate gradient.

    Backward: $\partial / \partial x = \partial / \partial y = 1 / (\alpha |x + y| + 1)^2$.

    Args:
        x: spikes (0/1).
        y: spikes (0/1), broadcastable with ``x``.
        alpha: surrogate sharpness (keyword only, an addition to Norse's signature). The default 100
            is the value Norse passes; ``alpha=1.0`` gives Norse 1.1.0's gradients.

    Example:
        >>> logical_or(torch.tensor([0.0, 1.0, 1.0]), torch.tensor([0.0, 0.0, 1.0]))
        tensor([0., 1., 1.])
    """
    return super_fn(x + y, alpha)


def muller_c(y_prev: Tensor, x_1: Tensor, x_2: Tensor, *, alpha: Any = 100.0) -> Tensor:
    r"""Muller C-element: 1 when both inputs spike, 0 when neither does, else hold the previous output.

    $$ y = \Theta\big(x_1 x_2 + (x_1 + x_2)\, y_{prev}\big) $$

    with the SuperSpike surrogate gradient (see :func:`logical_or` for ``alpha``).

    Example:
        >>> muller_c(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0]), torch.tensor([0.0, 0.0]))
        tensor([1., 0.])
    """
    return super_fn(x_1 * x_2 + (x_1 + x_2) * y_prev, alpha)


def posedge_detector(z: Tensor, z_prev: Tensor) -> Tensor:
    r"""Rising edge: $(1 - z_{prev})\, z$, i.e. 1 where a spike follows silence.

    Example:
        >>> posedge_detector(torch.tensor([1.0, 1.0, 0.0]), torch.tensor([0.0, 1.0, 1.0]))
        tensor([1., 0., 0.])
    """
    return (1 - z_prev) * z
