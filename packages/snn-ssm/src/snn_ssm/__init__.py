"""S4, S5, S6 and Mamba layers on snn's one-timestep state machinery, with scan paths."""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("snn-ssm")

__all__: list[str] = []
