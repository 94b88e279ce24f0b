"""Shared helpers of :mod:`snn_core.plot`: lazy matplotlib, array conversion, saving."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["PLOT_INSTALL_HINT", "as_time_matrix", "finish", "new_axes", "pyplot", "to_numpy"]

PLOT_INSTALL_HINT = 'snn_core.plot needs matplotlib: pip install "snn-core[plot]"'


def pyplot() -> Any:
    """Import and return ``matplotlib.pyplot``, or raise an ``ImportError`` naming the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(PLOT_INSTALL_HINT) from error
    return plt


def numpy() -> Any:
    try:
        import numpy as np
    except ImportError as error:  # pragma: no cover - matplotlib depends on numpy
        raise ImportError(PLOT_INSTALL_HINT) from error
    return np


def to_numpy(value: Any) -> Any:
    """A float64 NumPy copy of a tensor (detached, on the CPU), array or nested list of numbers."""
    np = numpy()
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64).numpy()
    return np.asarray(value, dtype=np.float64)


def as_time_matrix(values: Any, name: str = "values") -> Any:
    """Turn a time-first tensor ``[T, ...]`` or a list of ``T`` per-step tensors into a ``[T, N]`` array.

    Every axis after time is flattened into one neuron axis, so ``[T, N]``, ``[T, 1, N]`` and a list of
    ``[1, N]`` steps all give ``[T, N]``; a ``[T]`` input gives ``[T, 1]``.

    Raises:
        ValueError: if there is no time step or the steps have different sizes.
    """
    np = numpy()
    if isinstance(values, (list, tuple)):
        if len(values) == 0:
            raise ValueError(f"{name} must contain at least one time step, got an empty sequence")
        steps = [to_numpy(v).reshape(-1) for v in values]
        sizes = {s.size for s in steps}
        if len(sizes) != 1:
            raise ValueError(
                f"{name}: every time step must have the same number of elements, got {sorted(sizes)}"
            )
        return np.stack(steps)
    array = to_numpy(values)
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(f"{name} must be time-first [T, ...] with T >= 1, got shape {tuple(array.shape)}")
    return array.reshape(array.shape[0], -1)


def new_axes(ax: Any = None, figsize: tuple[float, float] = (8.0, 4.0)) -> tuple[Any, Any]:
    """Return ``(figure, axes)``: the given axes and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    plt = pyplot()
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def finish(fig: Any, save: str | os.PathLike[str] | None) -> None:
    """Save ``fig`` to ``save`` (creating parent folders) when a path is given. Never calls ``plt.show()``."""
    if save is None:
        return
    path = os.fspath(save)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(path, dpi=fig.dpi, bbox_inches="tight")


def labels_for(count: int, labels: Sequence[Any] | None, default: str) -> list[str]:
    """``labels[i]`` where given, else ``f"{default} {i}"``."""
    labels = list(labels) if labels is not None else []
    return [str(labels[i]) if i < len(labels) else f"{default} {i}" for i in range(count)]
