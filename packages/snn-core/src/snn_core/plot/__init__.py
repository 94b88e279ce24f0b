"""Plotting helpers for spiking networks (needs matplotlib: ``pip install "snn-core[plot]"``).

Importing :mod:`snn_core.plot` does not import matplotlib; each function does when called and raises an
``ImportError`` naming the extra to install when it is missing. Every function accepts tensors that require
grad or live on a GPU, returns the matplotlib figure and axes instead of calling ``plt.show()``, and writes
the figure to ``save=`` when given a path.

- :func:`spike_raster`, :func:`trace_lines` (alias :func:`membrane_traces`), :func:`firing_rate_histogram`,
  :func:`parameter_distributions`: general helpers for time-first recordings ``[T, ...]``.
- :func:`spike_train`, :func:`line_graph`, :class:`MeasurementManager`, :func:`render_image`,
  :func:`distributions`: traceTorch's ``tt.plot`` API with its bugs fixed.
"""

from __future__ import annotations

from ._common import PLOT_INSTALL_HINT
from ._distributions import distributions, gaussian_kde, silverman_bandwidth
from ._histograms import firing_rate_histogram, firing_rates, parameter_distributions
from ._images import render_image
from ._raster import spike_raster, spike_train
from ._traces import MeasurementManager, line_graph, membrane_traces, trace_lines

__all__ = [
    "PLOT_INSTALL_HINT",
    "MeasurementManager",
    "distributions",
    "firing_rate_histogram",
    "firing_rates",
    "gaussian_kde",
    "line_graph",
    "membrane_traces",
    "parameter_distributions",
    "render_image",
    "silverman_bandwidth",
    "spike_raster",
    "spike_train",
    "trace_lines",
]
