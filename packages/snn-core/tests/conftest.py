"""Fixtures for snn-core's tests: fake installed distributions and a clean plugin environment."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import snn_core

SWITCHES = ("SNN_DISABLE_PLUGIN_AUTOLOAD", "SNN_LOAD_PLUGINS", "SNN_DISABLE_PLUGINS", "SNN_STRICT_PLUGINS")


@pytest.fixture(autouse=True)
def clean_plugin_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts and ends with no switch set and a freshly built registry."""
    for name in SWITCHES:
        monkeypatch.delenv(name, raising=False)
    snn_core.reload_plugins()
    yield
    monkeypatch.undo()
    snn_core.reload_plugins()


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write an importable distribution (module + .dist-info with an ``snn`` entry point) to sys.path.

    ``importlib.metadata`` discovers it exactly like a pip-installed package.
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def make(
        name: str,
        code: str,
        *,
        version: str = "1.0.0",
        requires: tuple[str, ...] = ("snn-core>=0.1,<0.2"),
        entry_point: str | None = None,
    ) -> Path:
        module = name.replace("-", "_")
        (site / f"{module}.py").write_text(textwrap.dedent(code))
        info = site / f"{module}-{version}.dist-info"
        info.mkdir()
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        lines += [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(lines) + "\n")
        ep = entry_point or f"{module.removeprefix('snn_')} = {module}"
        (info / "entry_points.txt").write_text(f"[snn]\n{ep}\n")
        sys.modules.pop(module, None)
        return site

    yield make
    for key in [k for k in sys.modules if k.startswith("snn_fake")]:
        del sys.modules[key]
