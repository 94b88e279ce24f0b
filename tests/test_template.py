"""The plugin template in examples/ as a user installs it: from its own folder, beside snn-core only.

It must be listed by ``snn plugins`` with its three components and pass its own tests, which run
snn_core.testing's conformance checks on its specs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.wheel_envs import base_layer, make_env  # noqa: E402
from tools.workspace import core_range_for, load_workspace  # noqa: E402

TEMPLATE = ROOT / "examples" / "snn-plugin-template"

pytest.importorskip("hatchling", reason="installing the template from its folder builds it with hatchling")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("template")
    python = make_env(work / "env", base_layer(work / "layer"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-index",
            "--no-build-isolation",
            "--no-cache-dir",
            str(ROOT / "packages" / "snn-core"),
            str(TEMPLATE),
        ],
        check=True,
    )
    return python


def test_template_depends_on_capped_core() -> None:
    text = (TEMPLATE / "pyproject.toml").read_text()
    core = load_workspace(ROOT)["snn-core"].version
    assert f'"snn-core{core_range_for(core)}"' in text  # kept in sync by tools/release.py
    assert '[project.entry-points.snn]\nqif = "snn_qif.plugin"' in text


def test_listed_by_snn_plugins(python: Path, tmp_path: Path) -> None:
    snn = python.parent / "snn"
    out = subprocess.run(
        [str(snn), "plugins", "--json"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    listed = {p["name"]: p for p in json.loads(out.stdout)}
    assert sorted(listed) == ["snn-core", "snn-qif"]
    assert listed["snn-qif"]["status"] == "active"
    assert listed["snn-qif"]["version"] == "0.1.0"
    assert listed["snn-qif"]["components"] == {
        "thresholds": ["fast_sigmoid"],
        "neurons": ["qif"],
        "layers": ["QIF"],
    }
    table = subprocess.run(
        [str(snn), "plugins"], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    assert "snn-qif" in table and "neurons: qif" in table


def test_template_passes_its_tests_and_conformance_checks(python: Path) -> None:
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    for name in ("test_neuron_conforms", "test_threshold_conforms", "test_layer_conforms"):
        assert f"PASSED tests/test_qif.py::{name}" in result.stdout


def test_template_neuron_by_name_from_the_installed_package(python: Path, tmp_path: Path) -> None:
    script = (
        "import torch, snn_core; z, s = snn_core.Neuron('qif')(torch.full((5, 2), 10.0)); "
        "print(z[:, 0].tolist())"
    )
    out = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    # hand-derived in the template's tests: v = 1.0 (no spike), then 2.05 -> spike and reset, repeating
    assert out.stdout.strip() == "[0.0, 1.0, 0.0, 1.0, 0.0]"
