"""Discovery, provenance, failure isolation, conflicts, compatibility and the environment switches."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
import torch

import snn_core
from snn_core import PluginConflictError, PluginLoadError, UnknownComponentError
from snn_core.plugins import PluginWarning

GOOD = """
import torch
import snn_core

def fast_sigmoid(x, alpha):
    return snn_core.heaviside(x)

@snn_core.hookimpl
def snn_register_thresholds():
    return [snn_core.ThresholdSpec(name="fake_fast", fn=fast_sigmoid, summary="test surrogate")]
"""


def status(name: str) -> snn_core.PluginInfo:
    return next(p for p in snn_core.list_plugins() if p.name == name)


def test_builtin_thresholds_come_through_the_hook() -> None:
    info = status("snn-core")
    assert info.status == "active"
    assert info.components["thresholds"] == sorted(
        ["super", "tanh", "heavi_erfc", "circ", "triangle", "heaviside", "logistic", "circ_dist", "sigmoid4x"]
    )
    assert snn_core.registry().thresholds.provider("super") == "snn-core"


def test_entry_point_plugin_is_discovered_with_provenance(fake_dist) -> None:
    fake_dist("snn-fake-good", GOOD, version="2.3.4")
    reg = snn_core.reload_plugins()
    assert reg.thresholds.provider("fake_fast") == "snn-fake-good"
    info = status("snn-fake-good")
    assert (info.version, info.status, info.components) == ("2.3.4", "active", {"thresholds": ["fake_fast"]})
    assert info.entry_point == "fake_good = snn_fake_good"
    x = torch.tensor([-1.0, 2.0])
    assert torch.equal(snn_core.threshold(x, "fake_fast", 1.0), torch.tensor([0.0, 1.0]))


def test_registry_mappings_are_read_only() -> None:
    reg = snn_core.registry()
    with pytest.raises(TypeError):
        reg.thresholds["x"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        reg.thresholds._specs["x"] = None  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("raise ImportError('no module named missing_dependency')", "failed to import"),
        (
            "import snn_core\n@snn_core.hookimpl\ndef snn_register_neurons():\n    raise RuntimeError('boom')\n",
            "raised in snn_register_neurons: RuntimeError: boom",
        ),
        (
            "import snn_core\n@snn_core.hookimpl\ndef snn_register_thresholds():\n    return ['not a spec']\n",
            "returned str 'not a spec' from snn_register_thresholds; expected ThresholdSpec",
        ),
        (
            "import snn_core\n@snn_core.hookimpl\ndef snn_register_thresholds():\n"
            "    s = snn_core.ThresholdSpec(name='dup', fn=snn_core.heaviside)\n    return [s, s]\n",
            "registers the threshold 'dup' twice",
        ),
        (
            "import snn_core\n@snn_core.hookimpl\ndef snn_register_thresholds():\n"
            "    return [snn_core.ThresholdSpec(name='bad name!', fn=snn_core.heaviside)]\n",
            "ThresholdSpec.name must be",
        ),
    ],
    ids=["import-error", "raising-hook", "not-a-spec", "duplicate-name", "invalid-spec"],
)
def test_a_broken_plugin_is_reported_and_skipped(fake_dist, code: str, reason: str) -> None:
    fake_dist("snn-fake-broken", code)
    fake_dist("snn-fake-good", GOOD)
    with pytest.warns(PluginWarning, match="snn-fake-broken") as record:
        reg = snn_core.reload_plugins()
    assert any(reason in str(w.message) for w in record), [str(w.message) for w in record]
    info = status("snn-fake-broken")
    assert info.status == "error"
    assert reason in info.reason
    assert info.components == {}
    # everything else keeps working
    assert "fake_fast" in reg.thresholds
    assert "super" in reg.thresholds
    assert "dup" not in reg.thresholds


def test_strict_mode_raises_with_the_distribution_name(fake_dist, monkeypatch) -> None:
    fake_dist("snn-fake-broken", "raise ImportError('nope')")
    monkeypatch.setenv("SNN_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="snn-fake-broken failed to import") as info:
        snn_core.reload_plugins()
    assert info.value.distribution == "snn-fake-broken"


def test_a_plugin_is_registered_all_or_nothing(fake_dist) -> None:
    code = GOOD + ("\n@snn_core.hookimpl\ndef snn_register_neurons():\n    return [object()]\n")
    fake_dist("snn-fake-half", code)
    with pytest.warns(PluginWarning, match="expected NeuronSpec"):
        reg = snn_core.reload_plugins()
    assert "fake_fast" not in reg.thresholds  # its valid threshold was not registered either


def test_conflicting_names_name_both_distributions(fake_dist) -> None:
    fake_dist("snn-fake-aaa", GOOD)
    fake_dist("snn-fake-bbb", GOOD)
    with pytest.warns(PluginWarning) as record:
        reg = snn_core.reload_plugins()
    message = " ".join(str(w.message) for w in record)
    assert "'fake_fast' is registered by both snn-fake-aaa and snn-fake-bbb" in message
    assert reg.thresholds.provider("fake_fast") == "snn-fake-aaa"
    assert status("snn-fake-bbb").status == "error"


def test_conflict_with_a_builtin_raises_in_strict_mode(fake_dist, monkeypatch) -> None:
    fake_dist("snn-fake-clash", GOOD.replace('"fake_fast"', '"super"'))
    monkeypatch.setenv("SNN_STRICT_PLUGINS", "1")
    with pytest.raises(PluginConflictError, match="registered by both snn-core and snn-fake-clash"):
        snn_core.reload_plugins()


def test_incompatible_core_range_is_refused_with_both_versions(fake_dist) -> None:
    fake_dist("snn-fake-future", GOOD, requires=("snn-core>=9.0,<9.1",))
    with pytest.warns(
        PluginWarning, match=r"requires snn-core<9.1,>=9.0, but snn-core 0\.\d+\.\d+ is installed"
    ):
        reg = snn_core.reload_plugins()
    assert status("snn-fake-future").status == "incompatible"
    assert "fake_fast" not in reg.thresholds


def test_a_plugin_without_core_requirement_is_loaded(fake_dist) -> None:
    fake_dist("snn-fake-free", GOOD, requires=())
    assert "fake_fast" in snn_core.reload_plugins().thresholds


def test_disable_autoload_skips_entry_points_but_keeps_builtins(fake_dist, monkeypatch) -> None:
    fake_dist("snn-fake-good", GOOD)
    monkeypatch.setenv("SNN_DISABLE_PLUGIN_AUTOLOAD", "1")
    reg = snn_core.reload_plugins()
    assert "fake_fast" not in reg.thresholds
    assert "super" in reg.thresholds
    assert [p.name for p in reg.plugins] == ["snn-core"]


def test_load_plugins_is_an_allow_list(fake_dist, monkeypatch) -> None:
    fake_dist("snn-fake-good", GOOD)
    fake_dist("snn-fake-other", GOOD.replace("fake_fast", "fake_other"))
    monkeypatch.setenv("SNN_LOAD_PLUGINS", "snn-fake-other")
    reg = snn_core.reload_plugins()
    assert "fake_other" in reg.thresholds and "fake_fast" not in reg.thresholds
    assert status("snn-fake-good").status == "disabled"
    assert "SNN_LOAD_PLUGINS" in status("snn-fake-good").reason
    monkeypatch.setenv("SNN_LOAD_PLUGINS", "")
    reg = snn_core.reload_plugins()
    assert "fake_other" not in reg.thresholds  # empty allow-list: no entry-point plugin at all


def test_disable_plugins_is_a_block_list(fake_dist, monkeypatch) -> None:
    fake_dist("snn-fake-good", GOOD)
    monkeypatch.setenv("SNN_DISABLE_PLUGINS", "fake_good, something-else")  # entry-point name works too
    reg = snn_core.reload_plugins()
    assert "fake_fast" not in reg.thresholds
    assert status("snn-fake-good").status == "disabled"
    assert "SNN_DISABLE_PLUGINS" in status("snn-fake-good").reason


def test_unknown_hooks_warn(fake_dist) -> None:
    fake_dist("snn-fake-newer", GOOD + "\n@snn_core.hookimpl\ndef snn_register_widgets():\n    return []\n")
    with pytest.warns(PluginWarning, match=r"unknown hooks \['snn_register_widgets'\]"):
        reg = snn_core.reload_plugins()
    assert "fake_fast" in reg.thresholds


def test_unknown_names_list_what_is_registered_and_what_to_install() -> None:
    reg = snn_core.registry()
    with pytest.raises(UnknownComponentError) as info:
        reg.thresholds["nope"]
    assert "Unknown threshold 'nope'; registered thresholds: circ, circ_dist" in str(info.value)
    assert isinstance(info.value, KeyError)
    if "lif" not in reg.neurons:
        with pytest.raises(KeyError, match="'lif' is provided by snn-neurons: pip install snn-neurons"):
            reg.neurons["lif"]
    if "LIB" not in reg.layers:
        with pytest.raises(KeyError, match="pip install snn-tracelayers"):
            reg.layers["LIB"]


def test_in_process_registration_function_and_context_manager() -> None:
    class Plugin:
        @snn_core.hookimpl
        def snn_register_thresholds(self):
            return [snn_core.ThresholdSpec(name="notebook", fn=snn_core.heaviside)]

    plugin = Plugin()
    with snn_core.registered(plugin, name="my-notebook") as reg:
        assert reg.thresholds.provider("notebook") == "my-notebook"
        assert status("my-notebook").status == "active"
        with pytest.raises(ValueError, match="already registered"):
            snn_core.register(plugin)
    assert "notebook" not in snn_core.registry().thresholds
    with pytest.raises(ValueError, match="not registered"):
        snn_core.unregister(plugin)


def test_in_process_failure_does_not_leak(monkeypatch) -> None:
    class Broken:
        @snn_core.hookimpl
        def snn_register_layers(self):
            raise ValueError("bad layer")

    with (
        pytest.warns(PluginWarning, match="raised in snn_register_layers"),
        snn_core.registered(Broken()) as reg,
    ):
        assert "super" in reg.thresholds
    monkeypatch.setenv("SNN_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError), snn_core.registered(Broken(), name="broken"):
        pass
    monkeypatch.delenv("SNN_STRICT_PLUGINS")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [p.name for p in snn_core.reload_plugins().plugins if p.name == "broken"] == []


def test_cli_lists_plugins_as_json_in_a_fresh_process(fake_dist, tmp_path) -> None:
    site = fake_dist("snn-fake-good", GOOD, version="0.4.2")
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "snn_core", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    listed = {p["name"]: p for p in json.loads(out)}
    assert listed["snn-fake-good"]["version"] == "0.4.2"
    assert listed["snn-fake-good"]["components"] == {"thresholds": ["fake_fast"]}
    table = subprocess.run(
        [sys.executable, "-m", "snn_core", "components", "--kind", "thresholds"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "fake_fast   snn-fake-good" in table
