"""snn_core.testing.pytest_plugin: fixtures that register plugins and set switches for one test."""

from __future__ import annotations

import os

import pytest
import torch

import snn_core
from snn_core.testing.pytest_plugin import (  # noqa: F401 - fixtures used by name
    clean_plugin_env,
    plugin_switches,
    register_plugin,
    snn_registry,
)


class Plugin:
    @snn_core.hookimpl
    def snn_register_thresholds(self):
        return [snn_core.ThresholdSpec(name="fixture_test_step", fn=lambda x, alpha: (x > 0).to(x.dtype))]


def test_register_plugin_registers_for_the_test(request: pytest.FixtureRequest) -> None:
    register = request.getfixturevalue("register_plugin")
    plugin = Plugin()
    registry = register(plugin, name="fixture-test")
    assert registry.thresholds.provider("fixture_test_step") == "fixture-test"
    assert snn_core.threshold(torch.tensor([0.5, -0.5]), "fixture_test_step", 1.0).tolist() == [1.0, 0.0]


def test_register_plugin_is_undone_after_the_test(request: pytest.FixtureRequest) -> None:
    registry_now = request.getfixturevalue("snn_registry")
    assert "fixture_test_step" not in registry_now.thresholds
    assert "super" in registry_now.thresholds


def test_plugin_switches(request: pytest.FixtureRequest) -> None:
    switches = request.getfixturevalue("plugin_switches")
    registry = switches(autoload=False, strict=True)
    assert os.environ["SNN_DISABLE_PLUGIN_AUTOLOAD"] == "1"
    assert os.environ["SNN_STRICT_PLUGINS"] == "1"
    assert [p.name for p in registry.plugins] == ["snn-core"]
    registry = switches(load=["nothing-matches"])
    assert all(p.status == "disabled" for p in registry.plugins if p.name != "snn-core")
    assert "SNN_DISABLE_PLUGIN_AUTOLOAD" not in os.environ


def test_switches_are_cleared_after_the_test() -> None:
    assert "SNN_DISABLE_PLUGIN_AUTOLOAD" not in os.environ
    assert "SNN_LOAD_PLUGINS" not in os.environ
