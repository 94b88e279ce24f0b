"""Line plots over time: membrane traces, traceTorch's ``line_graph`` and ``MeasurementManager``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch

from ._common import as_time_matrix, finish, labels_for, new_axes, to_numpy

__all__ = ["MeasurementManager", "line_graph", "membrane_traces", "trace_lines"]


def trace_lines(
    values: Any,
    ax: Any = None,
    *,
    dt: float | None = None,
    labels: Sequence[Any] | None = None,
    threshold: float | None = None,
    max_lines: int | None = 8,
    title: str | None = "Membrane potential",
    ylabel: str = "v",
    legend: bool | None = None,
    save: str | os.PathLike[str] | None = None,
) -> tuple[Any, Any]:
    """Plot one line per neuron of a time-first recording (membrane voltages, currents, traces).

    Args:
        values: tensor or array ``[T, ...]`` (later axes flattened into neurons) or a list of ``T``
            per-step tensors; gradients and devices are handled (detached, copied to the CPU).
        ax: axes to draw into; a new ``8x4`` figure when ``None``.
        dt: time step in seconds; the x axis then shows milliseconds instead of steps.
        labels: line labels (default ``"Neuron i"``).
        threshold: draws a dashed horizontal line at this value (e.g. ``v_th``).
        max_lines: plot at most this many neurons (the first ones); ``None`` plots all.
        title: axes title (``None`` for none).
        ylabel: y-axis label.
        legend: show a legend; default: when there are 2 to 10 lines.
        save: optional file path to write the figure to.

    Returns:
        ``(figure, axes)``.

    Example:
        >>> fig, ax = trace_lines(state_v_over_time, dt=1e-3, threshold=1.0)
    """
    matrix = as_time_matrix(values, "values")
    steps, neurons = matrix.shape
    count = neurons if max_lines is None else min(neurons, max_lines)
    fig, ax = new_axes(ax)
    scale = 1e3 * dt if dt is not None else 1.0
    time = [t * scale for t in range(steps)]
    names = labels_for(count, labels, "Neuron")
    for i in range(count):
        ax.plot(time, matrix[:, i], linewidth=1.0, label=names[i])
    if threshold is not None:
        ax.axhline(threshold, color="gray", linestyle="--", linewidth=0.8, label="threshold")
    ax.set_xlabel("Time [ms]" if dt is not None else "Time step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend if legend is not None else 1 < count <= 10:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    finish(fig, save)
    return fig, ax


membrane_traces = trace_lines
"""Alias of :func:`trace_lines`."""


def line_graph(
    list_of_values: Any,
    title: str,
    label: Sequence[Any] | None = None,
    *,
    ax: Any = None,
    save: str | os.PathLike[str] | None = None,
) -> tuple[Any, Any]:
    """traceTorch's ``line_graph``: a line per element of a recorded tensor, or one line of numbers.

    A list of tensors (one per step, any shape and any ``requires_grad``) is stacked to ``[T, N]`` and each
    element ``i`` becomes a line labelled ``label[i]`` or ``"Neuron i"``; with more than one line the legend is
    placed outside on the right. A list of plain numbers gives one line. A single time-first tensor works too.
    Unlike traceTorch it detaches, flattens multi-dimensional steps and returns the figure instead of
    calling ``plt.show()``.

    Args:
        list_of_values: list of per-step tensors, a ``[T, ...]`` tensor, or a list of numbers.
        title: axes title.
        label: labels of the lines.
        ax: axes to draw into; a new figure when ``None``.
        save: optional file path to write the figure to.

    Returns:
        ``(figure, axes)``.
    """
    fig, ax = new_axes(ax, figsize=(8.0, 4.0))
    is_tensor_list = (
        isinstance(list_of_values, (list, tuple))
        and len(list_of_values) > 0
        and isinstance(list_of_values[0], torch.Tensor)
    )
    if is_tensor_list or isinstance(list_of_values, torch.Tensor):
        matrix = as_time_matrix(list_of_values, "list_of_values")
        names = labels_for(matrix.shape[1], label, "Neuron")
        for i in range(matrix.shape[1]):
            ax.plot(matrix[:, i], label=names[i])
        if matrix.shape[1] > 1:
            ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    else:
        values = to_numpy(list(list_of_values)).reshape(-1)
        ax.plot(values, label=label[0] if label else None)
    ax.set_title(title)
    finish(fig, save)
    return fig, ax


class MeasurementManager:
    r"""Record a scalar (a loss, an accuracy) with several exponential moving averages, then plot them.

    For each decay $d_k$ it keeps a trace $m_k \leftarrow d_k m_k + x$ and records $(1 - d_k)\,m_k$, an EMA
    without start-up bias correction (decay 0 records the raw value). Same numbers as traceTorch's
    ``MeasurementManager``: appending 1, 1, 3 with the default decays records
    ``[1, 0.1, 0.01, 0.001]``, ``[1, 0.19, 0.0199, 0.001999]``, ``[3, 0.471, 0.049701, 0.004997]``.

    Args:
        title: default plot title.
        decay: the decays, each in ``[0, 1)``.

    Raises:
        ValueError: if ``decay`` is empty or a decay lies outside ``[0, 1)``.

    Example:
        >>> losses = MeasurementManager("loss")
        >>> for batch in data: losses.append(loss)
        >>> fig, ax = losses.plot(save="loss.png")
    """

    def __init__(self, title: str, decay: Sequence[float] = (0.0, 0.9, 0.99, 0.999)) -> None:
        self.title = title
        self.decay = torch.as_tensor(list(decay), dtype=torch.float32)
        if self.decay.dim() != 1 or self.decay.numel() == 0:
            raise ValueError(f"decay must be a non-empty sequence of numbers, got {decay!r}")
        if bool(((self.decay < 0) | (self.decay >= 1)).any()):
            raise ValueError(f"decay values must lie in [0, 1), got {list(decay)!r}")
        self.trace = torch.zeros_like(self.decay)
        self.measurement: list[torch.Tensor] = []

    def append(self, value: float | torch.Tensor) -> None:
        """Add one measurement (a number or a one-element tensor, which is detached)."""
        if isinstance(value, torch.Tensor):
            value = value.detach().item()
        with torch.no_grad():
            self.trace = self.trace * self.decay + float(value)
            self.measurement.append(self.trace * (1 - self.decay))

    def reset(self) -> None:
        """Forget every measurement and zero the traces."""
        self.trace = torch.zeros_like(self.decay)
        self.measurement = []

    def plot(
        self, title: str | None = None, *, ax: Any = None, save: str | os.PathLike[str] | None = None
    ) -> tuple[Any, Any]:
        """Plot one line per decay (labelled with the decay) with :func:`line_graph`."""
        if not self.measurement:
            raise ValueError(f"MeasurementManager {self.title!r} has no measurements to plot")
        labels = [round(float(d), 4) for d in self.decay]
        return line_graph(self.measurement, title or self.title, label=labels, ax=ax, save=save)
