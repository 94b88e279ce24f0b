"""Spike rasters: :func:`spike_raster` and traceTorch's :func:`spike_train`."""

from __future__ import annotations

import os
from typing import Any

from ._common import as_time_matrix, finish, new_axes, numpy

__all__ = ["spike_raster", "spike_train"]


def spike_raster(
    spikes: Any,
    ax: Any = None,
    *,
    dt: float | None = None,
    title: str | None = "Spike raster",
    color: str = "black",
    negative_color: str = "tab:red",
    marker_size: float | None = None,
    ylabel: str = "Neuron",
    save: str | os.PathLike[str] | None = None,
) -> tuple[Any, Any]:
    r"""Draw one tick per spike: time on the x axis, neuron index on the y axis.

    Every non-zero entry $z_{t,n} \neq 0$ of the time-first input is a spike of neuron $n$ at step $t$
    (time $t\,\Delta t$ when ``dt`` is given). Negative values (signed encoders) are drawn in
    ``negative_color``.

    Args:
        spikes: time-first tensor or array ``[T, ...]`` (axes after time are flattened into neurons), or a
            list of ``T`` per-step tensors of any equal shape (``[N]``, ``[1, N]``, ...). Tensors may require
            grad and live on any device.
        ax: axes to draw into; a new ``8x4`` figure when ``None``.
        dt: time step in seconds; the x axis then shows milliseconds instead of steps.
        title: axes title (``None`` for none).
        color: colour of positive spikes.
        negative_color: colour of negative spikes.
        marker_size: tick size in points² (default: scaled to the number of neurons).
        ylabel: y-axis label.
        save: optional file path; the figure is written there (folders are created).

    Returns:
        ``(figure, axes)``. Nothing is shown; call ``plt.show()`` yourself in a script.

    Example:
        >>> fig, ax = spike_raster(torch.rand(100, 20) < 0.1, dt=1e-3, save="raster.png")
    """
    np = numpy()
    matrix = as_time_matrix(spikes, "spikes")
    steps, neurons = matrix.shape
    fig, ax = new_axes(ax)
    scale = 1e3 * dt if dt is not None else 1.0
    size = marker_size if marker_size is not None else max(4.0, min(60.0, 2400.0 / max(neurons, 1)))
    for mask, colour in ((matrix > 0, color), (matrix < 0, negative_color)):
        t_index, n_index = np.nonzero(mask)
        if t_index.size:
            ax.scatter(t_index * scale, n_index, marker="|", s=size, c=colour, linewidths=1.0)
    ax.set_xlim(-0.5 * scale, (steps - 0.5) * scale)
    ax.set_ylim(-0.5, neurons - 0.5)
    ax.set_xlabel("Time [ms]" if dt is not None else "Time step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    finish(fig, save)
    return fig, ax


def _diverging_colormap() -> Any:
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("snn_blue_white_red", ["blue", "white", "red"], N=256)


def spike_train(
    list_of_tensors: Any,
    spacing: float = 1.0,
    linelength: float = 0.8,
    linewidth: float = 0.5,
    title: str = "Spike Train Raster",
    use_imshow: bool = True,
    *,
    ax: Any = None,
    save: str | os.PathLike[str] | None = None,
) -> tuple[Any, Any]:
    """traceTorch's spike-train plot: an image of spike values, or an event raster.

    Same arguments and look as ``traceTorch.plot.spike_train``, with its limits removed: each step may
    have any shape (``[N]``, ``[1, N]``, ``[B, N]`` are flattened), tensors are detached and moved to the CPU,
    a whole ``[T, ...]`` tensor is accepted as well as a list of steps, and the figure is returned instead
    of shown.

    ``use_imshow=True`` draws the ``[N, T]`` matrix with a blue-white-red colour map symmetric around 0
    (limits $\\pm\\max|z|$), so signed outputs are visible; ``False`` draws one row of events per neuron at
    offsets ``i * spacing``.

    Args:
        list_of_tensors: ``T`` per-step tensors, or one time-first tensor ``[T, ...]``.
        spacing: vertical distance between neuron rows (event mode).
        linelength: height of each event tick (event mode).
        linewidth: width of each event tick (event mode).
        title: axes title.
        use_imshow: image mode (``True``) or event mode (``False``).
        ax: axes to draw into; a new ``8x4`` figure when ``None``.
        save: optional file path to write the figure to.

    Returns:
        ``(figure, axes)``.
    """
    np = numpy()
    matrix = as_time_matrix(list_of_tensors, "list_of_tensors").T  # [N, T]
    fig, ax = new_axes(ax)
    if use_imshow:
        limit = float(np.max(np.abs(matrix))) if matrix.size else 0.0
        limit = limit if limit > 0 else 1.0
        image = ax.imshow(
            matrix,
            aspect="auto",
            cmap=_diverging_colormap(),
            vmin=-limit,
            vmax=limit,
            origin="lower",
            interpolation="nearest",
        )
        fig.colorbar(image, ax=ax, label="Spike value")
    else:
        positions = [np.nonzero(row)[0] for row in matrix]
        offsets = [i * spacing for i in range(len(positions))]
        ax.eventplot(
            positions, lineoffsets=offsets, linelengths=linelength, linewidths=linewidth, colors="black"
        )
        ax.set_ylim(-spacing, (offsets[-1] if offsets else 0.0) + spacing)
        ax.set_xlim(-0.5, matrix.shape[1] - 0.5)
    ax.set_xlabel("Time step")
    ax.set_ylabel("Neuron index")
    ax.set_title(title)
    finish(fig, save)
    return fig, ax
