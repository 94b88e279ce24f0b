"""Neuron models as modules: cells (one step) and time-first layers (whole sequences).

A *cell* (``LIFCell``) performs one step per call; a *layer* (``LIF``) runs a whole time-first
sequence ``[T, ...]``. Both return ``(output, state)`` and start from their model's initial state
(full-shape tensors in the input's dtype and device) when ``state`` is ``None``.
"""

from __future__ import annotations

from .base import SNN, SNNCell, SNNRecurrent, SNNRecurrentCell
from .coba_lif import CobaLIFCell
from .iaf import IAF, IAFCell
from .izhikevich import Izhikevich, IzhikevichCell, IzhikevichRecurrent, IzhikevichRecurrentCell
from .li import LI, LICell, LILinearCell
from .li_box import LIBox, LIBoxCell
from .lif import LIF, LIFCell, LIFRecurrent, LIFRecurrentCell
from .lif_adex import LIFAdEx, LIFAdExCell, LIFAdExRecurrent, LIFAdExRecurrentCell
from .lif_box import LIFBox, LIFBoxCell
from .lif_ex import LIFEx, LIFExCell, LIFExRecurrent, LIFExRecurrentCell
from .lif_mc import LIFMCRecurrentCell, LIFMCRefracRecurrentCell
from .lif_refrac import LIFRefrac, LIFRefracCell, LIFRefracRecurrent, LIFRefracRecurrentCell
from .lsnn import LSNN, LSNNCell, LSNNRecurrent, LSNNRecurrentCell
from .regularization import RegularizationCell
from .structural import Lift, RecurrentSequential, RecurrentSequentialState, SequentialState

__all__ = [
    "CobaLIFCell",
    "IAF",
    "IAFCell",
    "Izhikevich",
    "IzhikevichCell",
    "IzhikevichRecurrent",
    "IzhikevichRecurrentCell",
    "LI",
    "LIBox",
    "LIBoxCell",
    "LICell",
    "LIF",
    "LIFAdEx",
    "LIFAdExCell",
    "LIFAdExRecurrent",
    "LIFAdExRecurrentCell",
    "LIFBox",
    "LIFBoxCell",
    "LIFCell",
    "LIFEx",
    "LIFExCell",
    "LIFExRecurrent",
    "LIFExRecurrentCell",
    "LIFMCRecurrentCell",
    "LIFMCRefracRecurrentCell",
    "LIFRecurrent",
    "LIFRecurrentCell",
    "LIFRefrac",
    "LIFRefracCell",
    "LIFRefracRecurrent",
    "LIFRefracRecurrentCell",
    "LILinearCell",
    "LSNN",
    "LSNNCell",
    "LSNNRecurrent",
    "LSNNRecurrentCell",
    "Lift",
    "RecurrentSequential",
    "RecurrentSequentialState",
    "RegularizationCell",
    "SNN",
    "SNNCell",
    "SNNRecurrent",
    "SNNRecurrentCell",
    "SequentialState",
]
