"""Neuron models for snn: Norse's functional neuron API, cells and time-first layers."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("snn-neurons")

__all__: list[str] = []
