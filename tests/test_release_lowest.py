"""tools/lowest.py: which snn-core each plugin is tested against, and where that core comes from."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.lowest import core_source, lowest_allowed, plan  # noqa: E402
from tools.scratch import commit_all, fake_monorepo, git  # noqa: E402
from tools.workspace import load_workspace  # noqa: E402


@pytest.mark.parametrize(
    ("requirement", "lowest"),
    [("snn-core>=0.1,<0.2", "0.1.0"), ("snn-core >= 1.4.2, <1.5", "1.4.2"), ("snn-core>=2", "2.0.0")],
)
def test_lowest_allowed(requirement: str, lowest: str) -> None:
    assert lowest_allowed(requirement) == lowest


def test_lowest_allowed_needs_a_lower_bound() -> None:
    with pytest.raises(ValueError, match="no '>=' lower bound"):
        lowest_allowed("snn-core<0.2")


def test_local_core_when_it_is_the_lowest(tmp_path: Path) -> None:
    workspace = load_workspace(fake_monorepo(tmp_path / "repo"))
    assert plan(workspace)["snn-a"] == {
        "requirement": "snn-core>=0.1,<0.2",
        "lowest": "0.1.0",
        "source": "local packages/snn-core",
    }
    assert core_source("0.1.0", workspace, tmp_path / "scratch") == ("local", workspace["snn-core"].path)


def test_core_from_the_tag_after_a_patch_release(tmp_path: Path) -> None:
    repo = fake_monorepo(tmp_path / "repo")
    git(repo, "tag", "snn-core-v0.1.0")
    pyproject = repo / "packages" / "snn-core" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.1"'))
    (repo / "packages" / "snn-core" / "src" / "snn_core" / "new.py").write_text("NEW = 1\n")
    commit_all(repo, "core 0.1.1")
    workspace = load_workspace(repo)
    assert plan(workspace)["snn-b"]["source"] == "git tag snn-core-v0.1.0"
    kind, path = core_source("0.1.0", workspace, tmp_path / "scratch")
    assert kind == "tag"
    assert 'version = "0.1.0"' in (path / "pyproject.toml").read_text()
    assert not (path / "src" / "snn_core" / "new.py").exists()
    assert core_source("0.0.9", workspace, tmp_path / "scratch") == ("missing", None)
