"""The demo's figures, drawn with :mod:`snn_core.plot` (matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import Tensor

from .. import plot
from .model import Recording
from .train import DT, EpochStats

__all__ = ["learning_curve_figure", "membrane_figure", "raster_figure"]


def raster_figure(image: Tensor, input_spikes: Tensor, recording: Recording, label: int, path: Path) -> None:
    """The digit, its input spike raster and the hidden layer's raster for one test sample."""
    plt = plot._common.pyplot()
    fig = plt.figure(figsize=(10.0, 6.0))
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 4), hspace=0.35, wspace=0.25)
    ax_image = fig.add_subplot(grid[:, 0])
    side = round(image.numel() ** 0.5)
    shape = (side, side) if side * side == image.numel() else (-1, 1)
    ax_image.imshow(image.reshape(shape).cpu().numpy(), cmap="gray_r", vmin=0, vmax=1)
    ax_image.set_title(f"input digit: {label}")
    ax_image.axis("off")
    ax_in = fig.add_subplot(grid[0, 1])
    ax_hidden = fig.add_subplot(grid[1, 1], sharex=ax_in)
    plot.spike_raster(
        input_spikes, ax_in, dt=DT, title="Input spikes (one row per pixel)", ylabel="Pixel", marker_size=14
    )
    plot.spike_raster(
        recording.hidden_spikes[:, 0], ax_hidden, dt=DT, title="Hidden layer spikes", marker_size=8
    )
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def membrane_figure(recording: Recording, label: int, threshold: float | None, path: Path) -> None:
    """Membrane voltages of the most active hidden neurons and the read-out of each class."""
    plt = plot._common.pyplot()
    fig, (ax_hidden, ax_out) = plt.subplots(2, 1, figsize=(9.0, 6.5), sharex=True)
    voltage = recording.hidden_voltage[:, 0]
    activity = recording.hidden_spikes[:, 0].abs().sum(dim=0)
    chosen = activity.argsort(descending=True, stable=True)[:3]
    plot.trace_lines(
        voltage[:, chosen],
        ax_hidden,
        dt=DT,
        threshold=threshold,
        labels=[f"neuron {int(i)}" for i in chosen],
        title="Hidden membrane voltage of 3 neurons (ticks above: their spikes)",
        ylabel="v",
    )
    peak = float(voltage[:, chosen].max())
    top = max(threshold, peak) if threshold is not None else peak
    for k, (line, column) in enumerate(
        zip(ax_hidden.lines, recording.hidden_spikes[:, 0][:, chosen].cpu().unbind(1))
    ):
        times = (column.nonzero().flatten().double() * 1e3 * DT).numpy()
        ax_hidden.plot(
            times,
            [(1.08 + 0.07 * k) * top] * len(times),
            linestyle="none",
            marker="|",
            markersize=9,
            markeredgewidth=1.6,
            color=line.get_color(),
        )
    ax_hidden.set_xlabel("")
    readout = recording.readout[:, 0]
    plot.trace_lines(
        readout,
        ax_out,
        dt=DT,
        labels=[f"class {c}" for c in range(readout.shape[1])],
        max_lines=None,
        title=f"Read-out per class (true class {label} drawn thick)",
        ylabel="read-out",
        legend=True,
    )
    ax_out.lines[label].set_linewidth(3.0)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def learning_curve_figure(history: Sequence[EpochStats], expected: float, path: Path) -> None:
    """Training loss, and train/test accuracy per epoch against the expected accuracy."""
    plt = plot._common.pyplot()
    epochs = [s.epoch for s in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10.0, 3.8))
    ax_loss.plot(epochs, [s.loss for s in history], marker="o")
    ax_loss.set_xlabel("Epoch")
    ax_loss.set_ylabel("Cross-entropy loss")
    ax_loss.set_title("Training loss")
    ax_acc.plot(epochs, [100 * s.train_accuracy for s in history], marker="o", label="train")
    ax_acc.plot(epochs, [100 * s.test_accuracy for s in history], marker="s", label="test")
    ax_acc.axhline(100 * expected, color="gray", linestyle="--", linewidth=0.8, label="expected")
    ax_acc.set_xlabel("Epoch")
    ax_acc.set_ylabel("Accuracy [%]")
    ax_acc.set_title("Accuracy")
    ax_acc.legend(loc="lower right")
    for ax in (ax_loss, ax_acc):
        ax.set_xticks(epochs)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def threshold_of(network: Any) -> float | None:
    """The hidden layer's firing threshold, when the model exposes one."""
    hidden = getattr(network, "hidden", None)
    p = getattr(hidden, "p", None)
    value = getattr(p, "v_th", None) if p is not None else getattr(hidden, "threshold", None)
    if value is None:
        return None
    try:
        return float(value.detach().float().mean()) if isinstance(value, Tensor) else float(value)
    except (TypeError, ValueError):
        return None
