"""snn-qif: a quadratic integrate-and-fire neuron, a fast-sigmoid surrogate and a QIF layer for snn.

Importing this package is not needed to use its components by name: snn finds them through the
``snn`` entry point (``snn_core.Neuron("qif")``, ``method="fast_sigmoid"``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .functional import QIFParameters, QIFState, qif_initial_state, qif_sequence, qif_step
from .layer import QIF
from .surrogate import fast_sigmoid

try:
    __version__ = _version("snn-qif")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0"

__all__ = [
    "QIF",
    "QIFParameters",
    "QIFState",
    "__version__",
    "fast_sigmoid",
    "qif_initial_state",
    "qif_sequence",
    "qif_step",
]
