"""pytest fixtures for testing snn plugins.

Enable them in your ``conftest.py``::

    pytest_plugins = ["snn_core.testing.pytest_plugin"]

or on the command line with ``-p snn_core.testing.pytest_plugin``.

Fixtures:

* ``clean_plugin_env``: no ``SNN_*`` plugin switch set and a freshly built registry, before and after
  the test.
* ``register_plugin``: ``register_plugin(module_or_object, name=None)`` registers a plugin in this
  process for the test and returns the rebuilt registry; it is unregistered afterwards.
* ``plugin_switches``: ``plugin_switches(load=None, disable=None, strict=False, autoload=True)`` sets
  the loading switches (``SNN_LOAD_PLUGINS`` & co.) for the test and returns the rebuilt registry.
* ``snn_registry``: the registry as the environment gives it, rebuilt for the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from ..plugins.manager import Registry, register, registry, reload_plugins, unregister

SWITCHES = ("SNN_DISABLE_PLUGIN_AUTOLOAD", "SNN_LOAD_PLUGINS", "SNN_DISABLE_PLUGINS", "SNN_STRICT_PLUGINS")


@pytest.fixture
def clean_plugin_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No plugin switch set, registry rebuilt before and after the test."""
    for name in SWITCHES:
        monkeypatch.delenv(name, raising=False)
    reload_plugins()
    yield
    monkeypatch.undo()
    reload_plugins()


@pytest.fixture
def snn_registry(clean_plugin_env: None) -> Registry:
    """The registry built from the installed plugins (no switches set)."""
    return registry()


@pytest.fixture
def register_plugin(clean_plugin_env: None) -> Iterator[Callable[..., Registry]]:
    """Factory: ``register_plugin(plugin, name=None) -> Registry``; unregistered after the test."""
    added: list[Any] = []

    def add(plugin: Any, name: str | None = None) -> Registry:
        register(plugin, name=name)
        added.append(plugin)
        return reload_plugins()

    yield add
    for plugin in reversed(added):
        unregister(plugin)
    reload_plugins()


@pytest.fixture
def plugin_switches(monkeypatch: pytest.MonkeyPatch, clean_plugin_env: None) -> Callable[..., Registry]:
    """Factory: set the plugin-loading switches for this test and return the rebuilt registry."""

    def set_switches(
        load: Sequence[str] | None = None,
        disable: Sequence[str] | None = None,
        strict: bool = False,
        autoload: bool = True,
    ) -> Registry:
        for name in SWITCHES:
            monkeypatch.delenv(name, raising=False)
        if load is not None:
            monkeypatch.setenv("SNN_LOAD_PLUGINS", ",".join(load))
        if disable:
            monkeypatch.setenv("SNN_DISABLE_PLUGINS", ",".join(disable))
        if strict:
            monkeypatch.setenv("SNN_STRICT_PLUGINS", "1")
        if not autoload:
            monkeypatch.setenv("SNN_DISABLE_PLUGIN_AUTOLOAD", "1")
        return reload_plugins()

    return set_switches
