"""traceTorch's ``distributions``: kernel density estimates of several tensors on one axes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch

from ._common import finish, new_axes, numpy

__all__ = ["distributions", "gaussian_kde", "silverman_bandwidth"]


def _flat_numpy(value: Any) -> Any:
    """Flattened values in their own floating dtype (float32 tensors stay float32, like traceTorch)."""
    np = numpy()
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if not value.is_floating_point() or value.dtype in (torch.float16, torch.bfloat16):
            value = value.float()
        return value.reshape(-1).numpy()
    array = np.asarray(value)
    return array.astype(np.float64).reshape(-1) if array.dtype.kind not in "f" else array.reshape(-1)


def silverman_bandwidth(samples: Any) -> float:
    r"""Silverman's rule $h = 1.06\,\hat\sigma\,n^{-1/5}$ ($\hat\sigma$ with ddof 1).

    Falls back to ``range / 10`` when the standard deviation is 0 and to 1.0 when that is 0 too or when
    there are fewer than two samples.
    """
    np = numpy()
    x = np.asarray(samples).reshape(-1)
    if x.size < 2:
        return 1.0
    h = 1.06 * float(np.std(x, ddof=1)) * x.size ** (-0.2)
    if not (np.isfinite(h) and h > 0):
        h = float(np.ptp(x)) / 10.0
    if not (np.isfinite(h) and h > 0):
        h = 1.0
    return h


def gaussian_kde(samples: Any, grid: Any, bandwidth: float, chunk: int = 2048) -> Any:
    r"""Gaussian kernel density of ``samples`` on ``grid``, renormalised to unit area.

    $$ \hat f(x) = \frac{1}{n h \sqrt{2\pi}} \sum_i e^{-(x - x_i)^2 / (2h^2)} $$

    then divided by its trapezoidal integral over ``grid`` (so the grid's truncation does not leave
    the area below 1). Evaluated in chunks of samples to bound memory. No samples give zeros.
    """
    np = numpy()
    x = np.asarray(samples).reshape(-1)
    grid = np.asarray(grid, dtype=np.float64)
    density = np.zeros_like(grid)
    if x.size == 0:
        return density
    for start in range(0, x.size, chunk):
        block = x[start : start + chunk]
        density += np.exp(-0.5 * ((grid[:, None] - block[None, :]) / bandwidth) ** 2).sum(axis=1)
    density /= x.size * bandwidth * np.sqrt(2.0 * np.pi)
    area = np.trapezoid(density, grid)
    if area > 0:
        density /= area
    return density


def distributions(
    layers: Sequence[Any],
    title: str,
    *,
    n_grid: int = 1024,
    n_percentiles: int = 100,
    bandwidths: Sequence[float | None] | None = None,
    show_percentile_lines: bool = False,
    compute_metrics: bool = True,
    max_kde_samples: int = 20000,
    ax: Any = None,
    save: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Compare the value distributions of several tensors (weights, activations) with KDE curves.

    Same computation and result keys as traceTorch's ``tt.plot.distributions``, without its bugs: it uses
    ``np.trapezoid`` (``np.trapz`` is gone in NumPy 2.4), detaches tensors on any device and returns the figure
    instead of calling ``plt.show()``.

    Each tensor is flattened and its non-finite values dropped. A common grid spans
    ``[min - pad, max + pad]`` (``pad`` = 1 % of the range, 1.0 if the range is 0). Each KDE uses
    :func:`silverman_bandwidth` unless ``bandwidths[i]`` is given, on a deterministic subsample
    (a fresh ``numpy.random.default_rng(0)`` per tensor, without replacement) when there are more than ``max_kde_samples``
    values, and is normalised to unit trapezoidal area.

    Args:
        layers: tensors or arrays of any shape.
        title: axes title.
        n_grid: number of grid points.
        n_percentiles: percentiles are taken at ``n_percentiles + 1`` evenly spaced levels from 0 to 100.
        bandwidths: optional per-tensor bandwidths (``None`` entries use Silverman's rule).
        show_percentile_lines: draw dashed lines at the 10th, 50th and 90th percentiles.
        compute_metrics: also compute pairwise distances (below).
        max_kde_samples: subsample above this many values for the KDE.
        ax: axes to draw into; a new ``10x6`` figure when ``None``.
        save: optional file path to write the figure to.

    Returns:
        ``{"grid", "kdes", "percentiles", "stats", "fig_ax"}`` and, with ``compute_metrics``,
        ``"metrics": {"l1_kde": [L, L], "wasserstein": [L, L]}`` (pairwise $\\int|f-g|$ of the KDEs and the
        1-D Wasserstein distance of the samples; the latter only when SciPy is installed). ``stats`` holds
        ``n, mean, std (ddof 1), min, max`` per tensor.

    Raises:
        ValueError: if ``layers`` is empty, holds no finite value at all, or ``bandwidths`` has the wrong length.
    """
    np = numpy()
    if len(layers) == 0:
        raise ValueError("distributions: layers must contain at least one tensor")
    arrays = []
    for value in layers:
        flat = _flat_numpy(value)
        arrays.append(flat[np.isfinite(flat)])
    if all(a.size == 0 for a in arrays):
        raise ValueError("distributions: no finite value in any of the tensors")
    if bandwidths is not None and len(bandwidths) != len(arrays):
        raise ValueError(f"bandwidths must have one entry per tensor ({len(arrays)}), got {len(bandwidths)}")
    finite = np.concatenate([a for a in arrays if a.size])
    low, high = float(finite.min()), float(finite.max())
    pad = 0.01 * (high - low) if high > low else 1.0
    grid = np.linspace(low - pad, high + pad, n_grid)
    levels = np.linspace(0.0, 100.0, n_percentiles + 1)

    kdes, percentiles, stats = [], [], []
    for i, a in enumerate(arrays):
        if a.size == 0:
            kdes.append(np.zeros_like(grid))
            percentiles.append(np.full(n_percentiles + 1, np.nan))
            stats.append({"n": 0, "mean": np.nan, "std": np.nan, "min": np.nan, "max": np.nan})
            continue
        sample = a
        if a.size > max_kde_samples:
            sample = np.random.default_rng(0).choice(a, size=max_kde_samples, replace=False)
        given = bandwidths[i] if bandwidths is not None else None
        bandwidth = float(given) if given is not None else silverman_bandwidth(sample)
        kdes.append(gaussian_kde(sample, grid, bandwidth))
        percentiles.append(np.percentile(a, levels))
        stats.append(
            {
                "n": int(a.size),
                "mean": float(a.mean()),
                "std": float(a.std(ddof=1)) if a.size > 1 else 0.0,
                "min": float(a.min()),
                "max": float(a.max()),
            }
        )

    fig, ax = new_axes(ax, figsize=(10.0, 6.0))
    for i, density in enumerate(kdes):
        s = stats[i]
        (line,) = ax.plot(grid, density, label=f"layer {i} (n={s['n']}, μ={s['mean']:.3g}, σ={s['std']:.3g})")
        if show_percentile_lines and np.isfinite(percentiles[i]).all():
            for level in (10, 50, 90):
                value = float(np.percentile(arrays[i], level))
                ax.axvline(value, color=line.get_color(), linestyle="--", linewidth=0.8, alpha=0.6)
    ax.set_xlabel("value")
    ax.set_ylabel("density (KDE)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    finish(fig, save)

    result: dict[str, Any] = {
        "grid": grid,
        "kdes": kdes,
        "percentiles": percentiles,
        "stats": stats,
        "fig_ax": (fig, ax),
    }
    if compute_metrics:
        count = len(arrays)
        l1 = np.zeros((count, count))
        for i in range(count):
            for j in range(count):
                l1[i, j] = np.trapezoid(np.abs(kdes[i] - kdes[j]), grid)
        metrics: dict[str, Any] = {"l1_kde": l1}
        try:
            from scipy.stats import wasserstein_distance
        except ImportError:
            wasserstein_distance = None
        if wasserstein_distance is not None:
            w = np.zeros((count, count))
            for i in range(count):
                for j in range(count):
                    both = arrays[i].size and arrays[j].size
                    w[i, j] = wasserstein_distance(arrays[i], arrays[j]) if both else np.nan
            metrics["wasserstein"] = w
        result["metrics"] = metrics
    return result
