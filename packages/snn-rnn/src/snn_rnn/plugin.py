"""Hook implementations through which snn-rnn registers its components with snn-core."""

from __future__ import annotations

import snn_core

from .layers import GRU, LSTM, SimpleRNN


@snn_core.hookimpl
def snn_register_layers() -> list[snn_core.LayerSpec]:
    """SimpleRNN, LSTM and GRU (family ``"rnn"``)."""
    return [
        snn_core.LayerSpec(
            name="SimpleRNN", cls=SimpleRNN, family="rnn", summary="Elman RNN, H <- tanh(W[H, x] + b)"
        ),
        snn_core.LayerSpec(name="LSTM", cls=LSTM, family="rnn", summary="LSTM, gate order i, f, o, g"),
        snn_core.LayerSpec(
            name="GRU", cls=GRU, family="rnn", summary="GRU, update gate weights the new candidate"
        ),
    ]
