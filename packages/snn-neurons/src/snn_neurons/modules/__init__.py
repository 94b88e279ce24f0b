"""Neuron models as modules: cells (one step) and time-first layers (whole sequences)."""

from __future__ import annotations

__all__: list[str] = []
