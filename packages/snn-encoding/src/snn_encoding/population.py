r"""Population coding: each value becomes the responses of ``out_features`` tuned units.

With the default kernel and distance, unit $k$ (centre $c_k$, evenly spaced in $[0, s]$) answers

$$ y_k = \exp\!\Big(-\frac{(x - c_k)^2 \, s}{2}\Big), \qquad c_k = \frac{k\,s}{K-1}, $$

where $s$ is ``scale`` (the input's maximum by default). As in Norse the distance is multiplied by
$s$, so a larger range also sharpens the tuning curves.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ._checks import check_finite_values, check_positive_int, check_tensor

__all__ = ["gaussian_rbf", "euclidean_distance", "population_encode"]


def gaussian_rbf(tensor: Tensor, sigma: float = 1) -> Tensor:
    r"""Gaussian radial basis kernel of a (squared) distance: $\exp\big(-d / (2\sigma^2)\big)$.

    Args:
        tensor: distances $d$ (usually squared, see :func:`euclidean_distance`).
        sigma: width $\sigma$ of the kernel.

    Returns:
        $\exp(-d / (2\sigma^2))$, elementwise.

    Example:
        >>> gaussian_rbf(torch.tensor([0.0, 2.0]))
        tensor([1.0000, 0.3679])
    """
    return torch.exp(-tensor / (2 * sigma**2))


def euclidean_distance(x: Tensor, y: Tensor) -> Tensor:
    r"""Elementwise squared difference $(x - y)^2$ (no square root, as Norse).

    Example:
        >>> euclidean_distance(torch.tensor([1.0]), torch.tensor([3.0]))
        tensor([4.])
    """
    return (x - y).pow(2)


def population_encode(
    input_values: Tensor,
    out_features: int,
    scale: int | float | Tensor | None = None,
    kernel: Callable[[Tensor], Tensor] = gaussian_rbf,
    distance_function: Callable[[Tensor, Tensor], Tensor] = euclidean_distance,
) -> Tensor:
    r"""Encode each value by the responses of ``out_features`` units with evenly spaced centres.

    $$ c_k = \operatorname{linspace}(0, s, K)_k, \qquad
       y_{\dots k} = \mathrm{kernel}\big(\mathrm{distance}(x_{\dots}, c_k) \cdot s\big) $$

    ``scale`` $s$ falls back to ``input_values.max()`` when it is ``None`` or ``0`` (Norse's
    truthiness rule). The centres are built on the input's device.

    Args:
        input_values: finite values of any shape.
        out_features: number of units $K \ge 1$ per value.
        scale: upper end of the centres and factor on the distance; a number or a one-element
            tensor. Default: the input's maximum.
        kernel: maps distances to responses. Default :func:`gaussian_rbf`.
        distance_function: ``(x, centres) -> distances``. Default :func:`euclidean_distance`.

    Returns:
        Responses of shape ``[*input_values.shape, out_features]``, differentiable in the input.

    Raises:
        TypeError: if ``input_values`` is not a real tensor or ``out_features`` is not an int.
        ValueError: for non-finite inputs, ``out_features < 1`` or a ``scale`` with more than one element.

    Example:
        >>> population_encode(torch.tensor([0.0, 0.5, 1.0]), 3)[1]
        tensor([0.8825, 1.0000, 0.8825])
    """
    check_tensor("input_values", input_values)
    features = check_positive_int("out_features", out_features)
    check_finite_values("input_values", input_values)
    if isinstance(scale, Tensor) and scale.numel() != 1:
        raise ValueError(
            f"scale must be a number or a one-element tensor, got a tensor of shape {tuple(scale.shape)}"
        )
    if isinstance(scale, Tensor):
        scale = scale.reshape(())
    if not scale:
        scale = input_values.max()
    size = (*input_values.shape, features)
    centres = torch.linspace(0, scale, features, device=input_values.device).expand(size)
    values = input_values.unsqueeze(-1).expand(size)
    return kernel(distance_function(values, centres) * scale)
