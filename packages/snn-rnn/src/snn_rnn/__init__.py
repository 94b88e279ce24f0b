"""SimpleRNN, LSTM and GRU layers on snn's one-timestep state machinery.

Drop-in replacements for traceTorch 0.19.2's ``tt.rnn`` layers (same signatures, parameter names,
initialisation and outputs) built on :class:`snn_core.Layer`, so :class:`snn_core.Model` zeroes,
detaches, saves and loads their states together with SNN and SSM layers. The pure step and sequence
functions live in :mod:`snn_rnn.functional`.

Example:
    >>> import torch, snn_rnn
    >>> lstm = snn_rnn.LSTM(4, 8)
    >>> lstm(torch.rand(2, 4)).shape
    torch.Size([2, 8])
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from . import functional
from .functional import (
    GRUParameters,
    LSTMParameters,
    LSTMState,
    SimpleRNNParameters,
    gru_sequence,
    gru_step,
    lstm_sequence,
    lstm_step,
    simple_rnn_sequence,
    simple_rnn_step,
)
from .layers import GRU, LSTM, Layer, SimpleRNN

try:
    __version__ = _version("snn-rnn")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0"

__all__ = [
    "GRU",
    "GRUParameters",
    "LSTM",
    "LSTMParameters",
    "LSTMState",
    "Layer",
    "SimpleRNN",
    "SimpleRNNParameters",
    "functional",
    "gru_sequence",
    "gru_step",
    "lstm_sequence",
    "lstm_step",
    "simple_rnn_sequence",
    "simple_rnn_step",
    "__version__",
]
