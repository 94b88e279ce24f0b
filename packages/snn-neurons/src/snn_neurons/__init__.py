"""snn-neurons: every Norse neuron model as pure step functions, cells and time-first layers."""

from __future__ import annotations

from importlib.metadata import version as _version

from .functional import *  # noqa: F403 - the functional API is the package's top level, as in Norse
from .functional import __all__ as _functional_all
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all

__version__ = _version("snn-neurons")

__all__ = [*_functional_all, *_modules_all]
