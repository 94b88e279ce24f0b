"""tools/check_fragments.py: a change to a package's src/ must carry a changelog fragment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.check_fragments import is_fragment_name  # noqa: E402
from tools.scratch import commit_all, fake_monorepo, git  # noqa: E402


def check(root: Path, revision_range: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_fragments.py"), revision_range, "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return fake_monorepo(tmp_path / "repo")


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("+topic.added.md", True),
        ("+lif-speed_2.fixed.md", True),
        ("123.removed.md", True),
        ("123.changed.2.md", True),
        ("topic.deprecated.md", True),
        ("+topic.feature.md", False),
        ("+topic.added.rst", False),
        ("topic.md", False),
        ("notes.txt", False),
    ],
)
def test_fragment_names(name: str, valid: bool) -> None:
    assert is_fragment_name(name) is valid


def test_src_change_without_fragment_fails(repo: Path) -> None:
    base = head(repo)
    (repo / "packages" / "snn-a" / "src" / "snn_a" / "x.py").write_text("x = 1\n")
    commit_all(repo, "code only")
    result = check(repo, f"{base}..HEAD")
    assert result.returncode == 1
    assert "packages/snn-a/src changed" in result.stderr
    assert "snn-b" not in result.stderr  # dependents do not need a fragment


def test_src_change_with_fragment_passes(repo: Path) -> None:
    base = head(repo)
    (repo / "packages" / "snn-a" / "src" / "snn_a" / "x.py").write_text("x = 1\n")
    (repo / "packages" / "snn-a" / "changes" / "+x.added.md").write_text("Adds x.\n")
    commit_all(repo, "code and fragment")
    result = check(repo, f"{base}..HEAD")
    assert result.returncode == 0, result.stderr
    assert "ok: snn-a has a changelog fragment" in result.stdout


def test_fragment_of_another_package_does_not_count(repo: Path) -> None:
    base = head(repo)
    (repo / "packages" / "snn-a" / "src" / "snn_a" / "x.py").write_text("x = 1\n")
    (repo / "packages" / "snn-b" / "changes" / "+x.added.md").write_text("Adds x.\n")
    commit_all(repo, "fragment in the wrong package")
    assert check(repo, f"{base}..HEAD").returncode == 1


def test_tests_only_change_needs_no_fragment(repo: Path) -> None:
    base = head(repo)
    (repo / "packages" / "snn-a" / "tests" / "test_x.py").write_text("def test(): pass\n")
    commit_all(repo, "tests only")
    result = check(repo, f"{base}..HEAD")
    assert result.returncode == 0
    assert "no package src/ changed" in result.stdout


def test_waiver_in_commit_message(repo: Path) -> None:
    base = head(repo)
    (repo / "packages" / "snn-a" / "src" / "snn_a" / "x.py").write_text("x = 1\n")
    commit_all(repo, "refactor internals [no fragment]")
    result = check(repo, f"{base}..HEAD")
    assert result.returncode == 0, result.stderr
    assert "snn-a waived" in result.stdout


def test_misnamed_fragment_fails(repo: Path) -> None:
    base = head(repo)
    (repo / "packages" / "snn-a" / "src" / "snn_a" / "x.py").write_text("x = 1\n")
    (repo / "packages" / "snn-a" / "changes" / "+x.feature.md").write_text("Adds x.\n")
    commit_all(repo, "bad type")
    result = check(repo, f"{base}..HEAD")
    assert result.returncode == 1
    assert "+x.feature.md is not a fragment name" in result.stderr


def test_real_fragments_are_well_named() -> None:
    """Every fragment committed in this repository has a valid name (towncrier would drop it)."""
    bad = [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.glob("packages/*/changes/*")
        if p.name != ".gitkeep" and not is_fragment_name(p.name)
    ]
    assert bad == []
