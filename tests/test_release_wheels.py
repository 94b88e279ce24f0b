"""Wheels built from a clean clone install into fresh environments and pass tests there, in isolation.

The full matrix (core alone, core + each plugin, everything; every test) is ``nox -s wheels``; this
test builds snn-core and one plugin from a clean clone and runs their tests against the installed
wheels, so a packaging mistake (a module left out of the wheel, a missing dependency, tests that
only pass from ``src/``) fails the integration suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.scratch import clone  # noqa: E402
from tools.wheel_envs import CHECK_ORIGIN, base_layer, build_all, install_wheels, make_env  # noqa: E402

pytest.importorskip("build", reason="building wheels needs the 'build' package")
pytest.importorskip("hatchling", reason="building wheels needs hatchling")

pytestmark = pytest.mark.slow
PLUGIN = "snn-encoding"  # a plugin with a quick test suite
OTHER_PLUGINS = ["snn_neurons", "snn_plasticity", "snn_tracelayers", "snn_rnn", "snn_ssm", "snn_cuda"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("wheels")
    source = clone(ROOT, work / "clone")
    wheels = work / "dist"
    build_all(wheels, source, isolated=False, sdist=False, only=["snn-core", PLUGIN])
    return {"work": work, "source": source, "wheels": wheels, "layer": base_layer(work / "layer")}


def python_in(built: dict[str, Path], name: str, distributions: list[str]) -> Path:
    python = make_env(built["work"] / f"env-{name}", built["layer"])
    install_wheels(python, built["wheels"], distributions)
    return python


def run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_wheels_hold_the_package_and_its_metadata(built: dict[str, Path]) -> None:
    (core,) = built["wheels"].glob("snn_core-*.whl")
    (plugin,) = built["wheels"].glob("snn_encoding-*.whl")
    with zipfile.ZipFile(core) as archive:
        names = archive.namelist()
        assert "snn_core/py.typed" in names
        assert "snn_core/testing/pytest_plugin.py" in names
        assert not any("/tests/" in n or n.startswith("tests/") for n in names)
    with zipfile.ZipFile(plugin) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA"))).decode()
        entry_points = archive.read(
            next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        ).decode()
    assert "Requires-Dist: snn-core<0.2,>=0.1" in metadata
    assert "[snn]" in entry_points


def test_core_wheel_alone(built: dict[str, Path], tmp_path: Path) -> None:
    python = python_in(built, "core", ["snn-core"])
    origin = run(
        python, "-c", CHECK_ORIGIN, "snn_core", "snn_encoding," + ",".join(OTHER_PLUGINS), cwd=tmp_path
    )
    assert origin.returncode == 0, origin.stdout + origin.stderr
    assert "site-packages" in origin.stdout
    tests = built["source"] / "packages" / "snn-core" / "tests"
    result = run(
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "-c",
        str(built["source"] / "pyproject.toml"),
        "--rootdir",
        str(built["source"]),
        str(tests / "test_testing.py"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_plugin_wheel_beside_core(built: dict[str, Path], tmp_path: Path) -> None:
    python = python_in(built, "plugin", ["snn-core", PLUGIN])
    origin = run(python, "-c", CHECK_ORIGIN, "snn_core,snn_encoding", ",".join(OTHER_PLUGINS), cwd=tmp_path)
    assert origin.returncode == 0, origin.stdout + origin.stderr
    listed = run(python, "-m", "snn_core", "plugins", "--json", cwd=tmp_path)
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert sorted(plugins) == ["snn-core", PLUGIN]
    assert plugins[PLUGIN]["status"] == "active"
    result = run(
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "-c",
        str(built["source"] / "pyproject.toml"),
        "--rootdir",
        str(built["source"]),
        str(built["source"] / "packages" / PLUGIN / "tests"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
