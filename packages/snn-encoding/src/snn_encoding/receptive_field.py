r"""Receptive fields from scale-space theory: anisotropic Gaussians and their directional derivatives.

A spatial receptive field of scale $s$, angle $\varphi$ and ratio $r$ samples the Gaussian

$$ G(p) = \frac{1}{2\pi\sqrt{|C|}} \exp\!\Big(-\tfrac12\, p^\top C^{-1} p\Big), \qquad
   C = s \; R(\varphi) \begin{pmatrix} r^2 & 0 \\ 0 & r^{-2} \end{pmatrix} R(\varphi)^\top $$

on a ``size`` $\times$ ``size`` grid over $[-\text{domain}, \text{domain}]^2$ ($x$ along columns,
$y$ along rows), normalises it to sum 1 and optionally takes directional derivatives

$$ \partial_\varphi K = \cos\varphi\, \partial_x K + \sin\varphi\, \partial_y K $$

(central differences, one-sided at the border), each scaled by $|s|$ (Lindeberg's
$\gamma = 1$ normalisation). Numbers and signatures follow Norse 1.1.0, with two fixes from Norse's
main branch: the derivative axes (1.1.0 differentiates along rows at $\varphi = 0$) and
``temporal_scale_distribution(max_scale=...)`` (1.1.0 returns an inverted, too large range).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from ._checks import check_positive_int, check_tensor

__all__ = [
    "gaussian_kernel",
    "covariance_matrix",
    "derive_kernel",
    "calculate_normalization",
    "derive_spatial_receptive_field_single",
    "derive_spatial_receptive_field",
    "spatial_receptive_field",
    "spatial_parameters",
    "spatial_receptive_fields_with_derivatives",
    "temporal_scale_distribution",
]


def _check_domain(domain: Any) -> float:
    if isinstance(domain, bool) or not isinstance(domain, numbers.Real):
        raise TypeError(f"domain must be a finite number > 0, got {type(domain).__name__}: {domain!r}")
    if not math.isfinite(domain) or domain <= 0:
        raise ValueError(f"domain must be a finite number > 0, got {domain!r}")
    return float(domain)


def gaussian_kernel(size: int, c: Tensor, domain: float = 8, *, x: Any = 0.0, y: Any = 0.0) -> Tensor:
    r"""A 2-D Gaussian density with covariance ``c`` sampled on a ``size`` x ``size`` grid.

    $$ K_{rq} = \frac{1}{2\pi\sqrt{|C|}} \exp\!\Big(-\tfrac12 (p_{rq} - \mu)^\top C^{-1} (p_{rq} - \mu)\Big),
       \quad p_{rq} = (a_q, a_r), \quad a = \operatorname{linspace}(-\text{domain}, \text{domain}, \text{size}) $$

    Not normalised to sum 1 (see :func:`spatial_receptive_field`); differentiable in ``c``.

    Args:
        size: grid points per side (>= 1).
        c: 2x2 symmetric positive definite covariance.
        domain: half-width of the sampled square (> 0). Default 8.
        x: keyword-only horizontal centre $\mu_x$ of the Gaussian (Norse main's argument). Default 0.
        y: keyword-only vertical centre $\mu_y$ (Norse main's argument). Default 0.

    Returns:
        ``[size, size]`` tensor on ``c``'s device, in ``c``'s dtype.

    Raises:
        TypeError, ValueError: if ``c`` is not a 2x2 tensor, or ``size``/``domain`` are out of range.

    Example:
        >>> gaussian_kernel(9, torch.eye(2)).shape
        torch.Size([9, 9])
    """
    check_tensor("c", c)
    if tuple(c.shape) != (2, 2):
        raise ValueError(f"c must be a 2x2 covariance matrix, got shape {tuple(c.shape)}")
    size = check_positive_int("size", size)
    domain = _check_domain(domain)
    dtype = c.dtype if c.is_floating_point() else torch.get_default_dtype()
    c = c.to(dtype)
    inverse = torch.linalg.inv(c)
    norm = 1 / (2 * math.pi * torch.sqrt(torch.linalg.det(c)))
    axis = torch.linspace(-domain, domain, size, dtype=dtype, device=c.device)
    xs, ys = torch.meshgrid(axis, axis, indexing="xy")
    points = torch.stack([xs - x, ys - y], dim=-1)
    projected = torch.einsum("rqj,jk->rqk", -points, inverse)
    quadratic = torch.einsum("rqk,rqk->rq", projected, points)
    return norm * torch.exp(quadratic / 2)


def covariance_matrix(sigma1: Any, sigma2: Any, phi: Any) -> Tensor:
    r"""2x2 covariance with standard deviations $\sigma_1, \sigma_2$ along axes rotated by $\varphi$.

    $$ C = \begin{pmatrix} \lambda_1\cos^2\varphi + \lambda_2\sin^2\varphi & (\lambda_1 - \lambda_2)\cos\varphi\sin\varphi \\
       (\lambda_1 - \lambda_2)\cos\varphi\sin\varphi & \lambda_1\sin^2\varphi + \lambda_2\cos^2\varphi \end{pmatrix},
       \quad \lambda_i = \sigma_i^2 $$

    Example:
        >>> covariance_matrix(2.0, 1.0, 0.0)
        tensor([[4., 0.],
                [0., 1.]])
    """
    lambda1 = torch.as_tensor(sigma1) ** 2
    lambda2 = torch.as_tensor(sigma2) ** 2
    phi = torch.as_tensor(phi)
    cos, sin = phi.cos(), phi.sin()
    cxx = lambda1 * cos**2 + lambda2 * sin**2
    cxy = (lambda1 - lambda2) * cos * sin
    cyy = lambda1 * sin**2 + lambda2 * cos**2
    entries = [entry.reshape(()) for entry in torch.broadcast_tensors(cxx, cxy, cyy)]
    return torch.stack([entries[0], entries[1], entries[1], entries[2]]).reshape(2, 2)


def derive_kernel(kernel: Tensor, angle: Any) -> Tensor:
    r"""Directional derivative $\cos\varphi\,\partial_x K + \sin\varphi\,\partial_y K$ of a 2-D kernel.

    $x$ runs along columns (dim 1) and $y$ along rows (dim 0); differences are central inside and
    one-sided at the border (``torch.gradient``, unit spacing). This is Norse main's fixed version:
    Norse 1.1.0 swaps the axes, so its $\varphi = 0$ derivative is along $y$.

    Example:
        >>> k = torch.tensor([[0.0, 1.0, 2.0]] * 3)
        >>> derive_kernel(k, 0.0)[1]
        tensor([1., 1., 1.])
    """
    angle = torch.as_tensor(angle)
    grad_y, grad_x = torch.gradient(kernel)
    return grad_x * torch.cos(angle) + grad_y * torch.sin(angle)


def calculate_normalization(dx: int, scale: Any, gamma: float = 1) -> Any:
    r"""Lindeberg's scale normalisation of a derivative of order ``dx``: $s^{dx(1-\gamma)} (s^2)^{\gamma/2}$.

    Example:
        >>> calculate_normalization(1, 4.0)
        4.0
    """
    return scale ** (dx * (1 - gamma)) * (scale**2) ** (gamma / 2)


def _derivative_order(name: str, value: Any) -> int:
    if isinstance(value, Tensor):
        value = value.detach()
    order = int(value)
    if order < 0 or order != float(value):
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return order


def derive_spatial_receptive_field_single(field: Tensor, scale: Any, angle: Any, dx: int, dy: int) -> Tensor:
    r"""Apply ``dx`` derivatives along $\varphi$ and ``dy`` along $\varphi + \pi/2$, interleaved.

    Each derivative is :func:`derive_kernel` times ``calculate_normalization(1, scale, 1)`` $= |s|$.
    """
    angle = torch.as_tensor(angle)
    dx = _derivative_order("dx", dx)
    dy = _derivative_order("dy", dy)
    derived = field
    while dx > 0 or dy > 0:
        if dx > 0:
            derived = derive_kernel(derived, angle) * calculate_normalization(1, scale, 1)
            dx -= 1
        if dy > 0:
            derived = derive_kernel(derived, angle + torch.pi / 2) * calculate_normalization(1, scale, 1)
            dy -= 1
    return derived


def derive_spatial_receptive_field(
    field: Tensor, scale: Any, angle: Any, derivatives: Sequence[tuple[int, int]]
) -> Tensor:
    """Stack :func:`derive_spatial_receptive_field_single` over ``(dx, dy)`` pairs: ``[len, size, size]``."""
    return torch.stack(
        [derive_spatial_receptive_field_single(field, scale, angle, dx, dy) for dx, dy in derivatives]
    )


def spatial_receptive_field(
    scale: Any,
    angle: Any,
    ratio: Any,
    size: int,
    dx: int = 0,
    dy: int = 0,
    domain: float = 10,
    *,
    x: Any = 0.0,
    y: Any = 0.0,
) -> Tensor:
    r"""A sum-normalised anisotropic Gaussian kernel, optionally differentiated.

    $$ C = s \cdot \operatorname{covariance\_matrix}(r, 1/r, \varphi), \quad
       K = G_C / \textstyle\sum G_C, \quad \text{then } \texttt{dx} \times \partial_\varphi,\
       \texttt{dy} \times \partial_{\varphi+\pi/2} $$

    The scale multiplies the covariance, so the width grows like $\sqrt{s}$.

    Args:
        scale: $s > 0$.
        angle: rotation $\varphi$ in radians.
        ratio: eccentricity $r > 0$ (1 is round).
        size: kernel side in pixels.
        dx: number of derivatives along $\varphi$.
        dy: number of derivatives along $\varphi + \pi/2$.
        domain: half-width of the sampled square. Default 10.
        x: keyword-only horizontal centre (Norse main's argument). Default 0.
        y: keyword-only vertical centre (Norse main's argument). Default 0.

    Returns:
        ``[size, size]`` kernel, differentiable in ``scale``, ``angle`` and ``ratio``.

    Example:
        >>> k = spatial_receptive_field(torch.tensor(1.0), torch.tensor(0.0), torch.tensor(1.0), 9)
        >>> float(k.sum())
        1.0
    """
    angle = torch.as_tensor(angle)
    covariance = covariance_matrix(ratio, 1 / torch.as_tensor(ratio), angle) * scale
    kernel = gaussian_kernel(size, covariance, domain, x=x, y=y)
    kernel = kernel / kernel.sum()
    return derive_spatial_receptive_field_single(kernel, scale, angle, dx, dy)


def _derivative_pairs(derivatives: Any) -> list[tuple[int, int]]:
    if isinstance(derivatives, numbers.Integral) and not isinstance(derivatives, bool):
        order = int(derivatives)
        if order < 0:
            raise ValueError(f"derivatives must be >= 0, got {derivatives}")
        if order == 0:
            return [(0, 0)]
        return [(a, b) for a in range(order + 1) for b in range(order + 1)]
    if isinstance(derivatives, Tensor):
        derivatives = derivatives.tolist()
    if isinstance(derivatives, (list, tuple)) and all(
        isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in derivatives
    ):
        return [(int(a), int(b)) for a, b in derivatives]
    raise ValueError(f"derivatives must be an int >= 0 or a list of (dx, dy) pairs, got {derivatives!r}")


def spatial_parameters(
    scales: Tensor,
    angles: Tensor,
    ratios: Tensor,
    derivatives: int | Sequence[tuple[int, int]] | Tensor,
    include_replicas: bool = False,
) -> Tensor:
    r"""Rows ``[scale, angle, ratio, dx, dy]`` for every combination of the given values.

    The rows are the cartesian product ``scales x angles x ratios``; unless ``include_replicas``,
    round fields (ratio 1) are moved after the elongated ones. Each row is then repeated once per
    derivative pair: an int $n > 0$ means all pairs $0 \le dx, dy \le n$ (row-major), ``0`` means
    ``[(0, 0)]``, a list (or ``[K, 2]`` tensor) is used as given. Same rows as Norse 1.1.0.

    Returns:
        ``[N, 5]`` float tensor, input to :func:`spatial_receptive_fields_with_derivatives`.

    Example:
        >>> spatial_parameters(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([1.0]), 0)
        tensor([[1., 0., 1., 0., 0.]])
    """
    for name, value in (("scales", scales), ("angles", angles), ("ratios", ratios)):
        check_tensor(name, value)
        if value.dim() != 1:
            raise ValueError(f"{name} must be a 1-D tensor, got shape {tuple(value.shape)}")
    if include_replicas or not bool((ratios == 1).any()):
        parameters = torch.cartesian_prod(scales, angles, ratios)
    else:
        round_mask = ratios == 1
        elongated = torch.cartesian_prod(scales, angles, ratios[~round_mask])
        rings = torch.cartesian_prod(scales, angles, ratios[round_mask])
        parameters = torch.cat([elongated, rings])
    parameters = parameters.reshape(-1, 3)
    pairs = torch.tensor(_derivative_pairs(derivatives), device=scales.device).float()
    repeated = parameters.repeat_interleave(len(pairs), 0)
    return torch.cat([repeated, pairs.repeat(len(parameters), 1).to(repeated.dtype)], 1)


def spatial_receptive_fields_with_derivatives(combinations: Tensor, size: int, domain: float = 1) -> Tensor:
    r"""One :func:`spatial_receptive_field` per row of ``combinations``.

    Rows are ``[scale, angle, ratio, dx, dy]`` (Norse 1.1.0) or, with 7 columns,
    ``[scale, angle, ratio, x, y, dx, dy]`` (Norse main, with the field's centre).
    Note the default ``domain=1``, as Norse (it is 10 in :func:`spatial_receptive_field`).

    Returns:
        ``[N, size, size]`` kernels, differentiable in the first columns.

    Raises:
        ValueError: if ``combinations`` is not ``[N, 5]`` or ``[N, 7]``.

    Example:
        >>> rows = torch.tensor([[1.0, 0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 1.0, 0.0]])
        >>> spatial_receptive_fields_with_derivatives(rows, 9).shape
        torch.Size([2, 9, 9])
    """
    check_tensor("combinations", combinations)
    if combinations.dim() != 2 or combinations.shape[1] not in (5, 7):
        raise ValueError(
            "combinations must have shape [N, 5] (scale, angle, ratio, dx, dy) or [N, 7] "
            f"(scale, angle, ratio, x, y, dx, dy), got {tuple(combinations.shape)}"
        )
    fields = []
    for row in combinations:
        if len(row) == 5:
            fields.append(spatial_receptive_field(row[0], row[1], row[2], size, row[3], row[4], domain))
        else:
            fields.append(
                spatial_receptive_field(
                    row[0], row[1], row[2], size, row[5], row[6], domain, x=row[3], y=row[4]
                )
            )
    return torch.stack(fields)


def temporal_scale_distribution(
    n_scales: int,
    min_scale: float = 1,
    max_scale: float | None = None,
    c: float | None = 1.41421,
) -> Tensor:
    r"""Geometrically spaced temporal scales (Lindeberg 2016), as standard deviations.

    $$ \tau_k = c^{2(k - K)}\, \tau_{max}, \quad k = 1..K, \qquad \text{returns } \sqrt{\tau_k} $$

    Without ``max_scale``: $\tau_{max} = c^{2(K-1)} \tau_{min}$, so $\tau_k = c^{2(k-1)}\tau_{min}$.
    With ``max_scale``: $c = (\tau_{max}/\tau_{min})^{1/(2(K-1))}$, so the variances run from
    ``min_scale`` to ``max_scale``. Norse 1.1.0 inverts this ratio and returns
    $\sqrt{\tau_{max}^2/\tau_{min}} \dots \sqrt{\tau_{max}}$ in decreasing order; this is fixed here.

    Args:
        n_scales: number of scales $K \ge 1$.
        min_scale: smallest variance $\tau_{min} > 0$.
        max_scale: optional largest variance $\tau_{max} \ge \tau_{min}$; when set, ``c`` is ignored.
        c: ratio between consecutive standard deviations (> 0). Default $\approx\sqrt 2$.

    Returns:
        float32 tensor ``[K]`` of $\sqrt{\tau_k}$ in increasing order.

    Example:
        >>> temporal_scale_distribution(4, 1, 8)
        tensor([1.0000, 1.4142, 2.0000, 2.8284])
    """
    n_scales = check_positive_int("n_scales", n_scales)
    if not (isinstance(min_scale, numbers.Real) and math.isfinite(min_scale) and min_scale > 0):
        raise ValueError(f"min_scale must be a finite number > 0, got {min_scale!r}")
    steps = torch.linspace(1, n_scales, n_scales)
    if max_scale is not None:
        if not (isinstance(max_scale, numbers.Real) and math.isfinite(max_scale) and max_scale >= min_scale):
            raise ValueError(f"max_scale must be a finite number >= min_scale={min_scale}, got {max_scale!r}")
        if n_scales == 1:
            return torch.tensor([min_scale]).sqrt()
        c = (max_scale / min_scale) ** (1 / (2 * (n_scales - 1)))
    else:
        if not (isinstance(c, numbers.Real) and math.isfinite(c) and c > 0):
            raise ValueError(f"c must be a finite number > 0 when max_scale is None, got {c!r}")
        max_scale = (c ** (2 * (n_scales - 1))) * min_scale
    taus = c ** (2 * (steps - n_scales)) * max_scale
    return taus.sqrt()
