"""Plasticity rules for snn: STDP and Tsodyks-Markram short-term plasticity."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("snn-plasticity")

__all__: list[str] = []
