"""Encoders for snn: Poisson, population, latency, spike logic and receptive fields."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("snn-encoding")

__all__: list[str] = []
