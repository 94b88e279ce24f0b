"""The 32 traceTorch-compatible leaky-integrator layers for snn."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("snn-tracelayers")

__all__: list[str] = []
