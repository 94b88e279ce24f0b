"""SimpleRNN, LSTM and GRU layers on snn's one-timestep state machinery."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("snn-rnn")

__all__: list[str] = []
