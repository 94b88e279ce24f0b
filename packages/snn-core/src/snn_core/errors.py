"""Exceptions raised by snn-core.

Every error subclasses a builtin exception users already catch (``KeyError``, ``ValueError``,
``RuntimeError``) so that code written against Norse or traceTorch keeps working.
"""

from __future__ import annotations


class SNNError(Exception):
    """Base class of every error raised by snn-core."""


class UnknownComponentError(SNNError, KeyError):
    """A component name is not registered.

    The message lists what is registered and, for the names of official packages, the package to
    install. ``str()`` returns the plain message (``KeyError`` would quote it).
    """

    def __init__(self, message: str, *, kind: str = "", name: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.name = name

    def __str__(self) -> str:
        return self.message


class PluginError(SNNError, RuntimeError):
    """A plugin could not be loaded or registered."""

    def __init__(self, message: str, *, distribution: str = "") -> None:
        super().__init__(message)
        self.distribution = distribution


class PluginLoadError(PluginError):
    """A plugin failed to import, raised inside a hook or returned something that is not a spec."""


class PluginConflictError(PluginError):
    """Two plugins registered a component of one kind under one name."""


class IncompatiblePluginError(PluginError):
    """A plugin's declared ``snn-core`` range excludes the installed snn-core."""


class BackendUnavailableError(SNNError, RuntimeError):
    """An explicitly requested backend (``backend="cuda"``) cannot run here."""
