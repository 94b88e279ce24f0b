"""A third-party package outside the monorepo, installed with pip, works through the public contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "snn-fixture-plugin"

SCRIPT = r"""
import json, torch, snn_core
out = {}
zs, state = snn_core.Neuron("fixture_qif", dt=1e-3)(torch.full((50, 4), 30.0, requires_grad=True))
out["spikes"] = zs.sum().item()
x = torch.tensor([0.5], requires_grad=True)
snn_core.threshold(x, "fixture_fast_sigmoid", 1.0).sum().backward()
out["grad"] = x.grad.item()
out["layer"] = snn_core.registry().layers["FixtureScaledLeak"].family
if "lif" in snn_core.registry().neurons:
    p = snn_core.registry().neurons["lif"].parameters(method="fixture_fast_sigmoid", alpha=1.0)
    x = torch.full((20, 3), 2.0, requires_grad=True)
    z, _ = snn_core.Neuron("lif", p)(x * 200)
    z.sum().backward()
    out["lif_spikes"] = z.sum().item()
    out["lif_grad_nonzero"] = bool(x.grad.abs().sum() > 0)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(FIXTURE),
        ],
        check=True,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")])
    for name in (
        "SNN_DISABLE_PLUGIN_AUTOLOAD",
        "SNN_LOAD_PLUGINS",
        "SNN_DISABLE_PLUGINS",
        "SNN_STRICT_PLUGINS",
    ):
        env.pop(name, None)
    return env


def test_listed_by_snn_plugins(installed: dict[str, str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "snn_core", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=installed,
        check=True,
    ).stdout
    listed = {p["name"]: p for p in json.loads(out)}
    info = listed["snn-fixture-plugin"]
    assert info["version"] == "0.3.0"
    assert info["status"] == "active"
    assert info["components"] == {
        "thresholds": ["fixture_fast_sigmoid"],
        "neurons": ["fixture_qif"],
        "layers": ["FixtureScaledLeak"],
    }


def test_neuron_surrogate_and_layer_work_by_name(installed: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=installed)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["spikes"] > 0
    assert result["grad"] == pytest.approx(1 / (0.5 + 1) ** 2 / 2)
    assert result["layer"] == "fixture"
    if "lif_spikes" in result:  # the third-party surrogate drives an official neuron by name
        assert result["lif_spikes"] > 0
        assert result["lif_grad_nonzero"]


def test_disabled_by_switch(installed: dict[str, str]) -> None:
    env = dict(installed, SNN_DISABLE_PLUGINS="snn-fixture-plugin")
    out = subprocess.run(
        [sys.executable, "-m", "snn_core", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    listed = {p["name"]: p for p in json.loads(out)}
    assert listed["snn-fixture-plugin"]["status"] == "disabled"
