r"""The ``fast_sigmoid`` surrogate threshold.

Forward: the Heaviside step $H(x) = [x > 0]$. Backward: the derivative of the fast sigmoid
$x / (1 + \alpha |x|)$ (Zenke & Ganguli, 2018),

$$ \frac{\partial H}{\partial x} \approx \frac{1}{(1 + \alpha |x|)^2}. $$
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

import snn_core

__all__ = ["fast_sigmoid"]


def _fast_sigmoid_derivative(x: Tensor, alpha: Any, grad: Tensor) -> Tensor:
    return grad / (alpha * x.abs() + 1.0) ** 2


_FastSigmoid = snn_core.surrogate_function("FastSigmoid", _fast_sigmoid_derivative)


def fast_sigmoid(x: Tensor, alpha: Any = 10.0) -> Tensor:
    r"""Spikes $[x > 0]$ with the fast-sigmoid surrogate gradient $1/(1 + \alpha|x|)^2$.

    Args:
        x: the voltage difference $v - v_{th}$.
        alpha: steepness of the surrogate (> 0); larger is closer to the true step.

    Returns:
        Spikes (0 or 1) in the dtype and on the device of ``x``.

    Example:
        >>> fast_sigmoid(torch.tensor([-0.5, 0.5]))
        tensor([0., 1.])
    """
    return _FastSigmoid.apply(x, alpha)
