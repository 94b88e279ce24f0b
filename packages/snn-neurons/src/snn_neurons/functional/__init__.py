"""Neuron models as pure step functions over NamedTuple state (Norse's functional API)."""

from __future__ import annotations

__all__: list[str] = []
