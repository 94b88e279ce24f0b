"""Fused Triton GPU kernels for snn neurons, registered as kernels."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("snn-cuda")

__all__: list[str] = []
