"""Histograms: firing rates per neuron and distributions of a model's parameters."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

from torch import nn

from ._common import finish, new_axes, numpy, pyplot, to_numpy

__all__ = ["firing_rate_histogram", "firing_rates", "parameter_distributions"]


def firing_rates(spikes: Any, dt: float | None = None) -> Any:
    r"""Mean firing rate of every neuron of a time-first recording ``[T, ...]``.

    $$ r_n = \frac{1}{T\,\Delta t} \sum_t |z_{t,n}| $$

    averaged over time and every other axis except the last one, which is the neuron axis (so a
    ``[T, B, N]`` recording averages over time and batch). Without ``dt`` the rate is in spikes per step.

    Args:
        spikes: tensor or array ``[T, ..., N]``.
        dt: time step in seconds; rates are then in Hz.

    Returns:
        NumPy array ``[N]``.

    Raises:
        ValueError: if ``spikes`` has no time step or ``dt <= 0``.
    """
    array = to_numpy(spikes)
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(f"spikes must be time-first [T, ...] with T >= 1, got shape {tuple(array.shape)}")
    if dt is not None and not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt!r}")
    neurons = array.shape[-1] if array.ndim > 1 else 1
    per_step = abs(array).reshape(-1, neurons).mean(axis=0)
    return per_step / dt if dt is not None else per_step


def firing_rate_histogram(
    spikes: Any,
    ax: Any = None,
    *,
    dt: float | None = None,
    bins: int = 20,
    title: str | None = "Firing rates",
    color: str = "tab:blue",
    save: str | os.PathLike[str] | None = None,
) -> tuple[Any, Any]:
    """Histogram of the neurons' mean firing rates (see :func:`firing_rates`).

    Args:
        spikes: time-first recording ``[T, ..., N]`` (the last axis is the neuron axis).
        ax: axes to draw into; a new figure when ``None``.
        dt: time step in seconds; rates in Hz instead of spikes per step.
        bins: number of histogram bins.
        title: axes title (``None`` for none).
        color: bar colour.
        save: optional file path to write the figure to.

    Returns:
        ``(figure, axes)``.
    """
    rates = firing_rates(spikes, dt)
    fig, ax = new_axes(ax, figsize=(6.0, 4.0))
    ax.hist(rates, bins=bins, color=color, edgecolor="white")
    ax.set_xlabel("Firing rate [Hz]" if dt is not None else "Spikes per step")
    ax.set_ylabel("Neurons")
    if title:
        ax.set_title(title)
    finish(fig, save)
    return fig, ax


def _named_tensors(source: nn.Module | Mapping[str, Any] | Iterable[Any]) -> list[tuple[str, Any]]:
    if isinstance(source, nn.Module):
        return [(name, p) for name, p in source.named_parameters()]
    if isinstance(source, Mapping):
        return [(str(name), value) for name, value in source.items()]
    return [(f"tensor {i}", value) for i, value in enumerate(source)]


def parameter_distributions(
    source: nn.Module | Mapping[str, Any] | Iterable[Any],
    *,
    bins: int = 40,
    columns: int = 3,
    title: str | None = "Parameter distributions",
    save: str | os.PathLike[str] | None = None,
) -> tuple[Any, Any]:
    """One histogram per parameter tensor of a module (or per entry of a mapping / list of tensors).

    Args:
        source: an ``nn.Module`` (its ``named_parameters()``), a ``{name: tensor}`` mapping such as a
            ``state_dict``, or a list of tensors.
        bins: bins per histogram.
        columns: subplots per row.
        title: figure title (``None`` for none).
        save: optional file path to write the figure to.

    Returns:
        ``(figure, axes array)``; unused trailing axes are hidden.

    Raises:
        ValueError: if there is no tensor to draw.
    """
    np = numpy()
    named = [(name, to_numpy(value).reshape(-1)) for name, value in _named_tensors(source)]
    named = [(name, values[np.isfinite(values)]) for name, values in named]
    if not named:
        raise ValueError("parameter_distributions: source has no parameters or tensors to draw")
    columns = max(1, min(columns, len(named)))
    rows = math.ceil(len(named) / columns)
    plt = pyplot()
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.8 * rows), squeeze=False)
    for ax, (name, values) in zip(axes.flat, named):
        ax.hist(values, bins=bins if values.size > 1 else 1, color="tab:blue", edgecolor="white")
        ax.set_title(f"{name} ({values.size})", fontsize="small")
        ax.tick_params(labelsize="small")
    for ax in list(axes.flat)[len(named) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    finish(fig, save)
    return fig, axes
