"""tools/release.py on a scratch clone of this repository: one package bumped, changelog built, tagged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.release import bump_version, set_core_range, set_project_version  # noqa: E402
from tools.scratch import GIT_ENV, clone, commit_all, git  # noqa: E402
from tools.workspace import core_range_for, load_workspace  # noqa: E402

pytest.importorskip("towncrier", reason="the release tool builds changelogs with towncrier")


def release(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, str(root / "tools" / "release.py"), *args, "--date", "2026-01-02"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **GIT_ENV},
    )


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    repo = clone(ROOT, tmp_path / "clone")
    if not (repo / "tools" / "release.py").exists():
        pytest.skip("tools/release.py is not committed yet in this checkout")
    for tag in git(repo, "tag", "--list").split():  # tags of past releases would only get in the way
        git(repo, "tag", "-d", tag)
    return repo


def versions(root: Path) -> dict[str, str]:
    workspace = load_workspace(root)
    return {name: workspace[name].version for name in workspace.names}


@pytest.mark.parametrize(
    ("version", "part", "expected"),
    [("0.1.0", "patch", "0.1.1"), ("0.1.7", "minor", "0.2.0"), ("0.9.3", "major", "1.0.0")],
)
def test_bump_version(version: str, part: str, expected: str) -> None:
    assert bump_version(version, part) == expected


def test_bump_version_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="part must be one of"):
        bump_version("0.1.0", "micro")
    with pytest.raises(ValueError, match=r"X\.Y\.Z"):
        bump_version("0.1", "patch")


def test_pyproject_rewrites_touch_only_their_target() -> None:
    text = (
        '[project]\nname = "x"\nversion = "0.1.0"\ndependencies = ["snn-core>=0.1,<0.2", "torch"]\n'
        '[tool.other]\nversion = "9"\n'
    )
    bumped = set_project_version(text, "0.2.0")
    assert 'version = "0.2.0"' in bumped and 'version = "9"' in bumped
    assert bumped.count("0.2.0") == 1
    ranged = set_core_range(text, ">=0.2,<0.3")
    assert '"snn-core>=0.2,<0.3", "torch"' in ranged


def test_release_bumps_one_package_and_tags_it(scratch: Path) -> None:
    before = versions(scratch)
    fragment = scratch / "packages" / "snn-rnn" / "changes" / "+release-test.added.md"
    fragment.write_text("A user-facing sentence about the new thing.\n")
    other = scratch / "packages" / "snn-ssm" / "changes" / "+untouched.fixed.md"
    other.write_text("Not part of the snn-rnn release.\n")
    commit_all(scratch, "fragments")
    fragments = sorted(p.name for p in (scratch / "packages" / "snn-rnn" / "changes").glob("*.md"))

    result = release(scratch, "snn-rnn", "minor")
    assert result.returncode == 0, result.stderr + result.stdout

    new = bump_version(before["snn-rnn"], "minor")
    assert versions(scratch) == dict(before, **{"snn-rnn": new})
    assert git(scratch, "tag", "--list").split() == [f"snn-rnn-v{new}"]
    assert git(scratch, "rev-parse", f"snn-rnn-v{new}^{{commit}}") == git(scratch, "rev-parse", "HEAD")
    assert git(scratch, "status", "--porcelain") == ""
    assert git(scratch, "log", "-1", "--format=%s").strip() == f"snn-rnn: release {new}"
    changed = set(git(scratch, "diff", "--name-only", "HEAD~1..HEAD").split())
    assert changed == {
        "packages/snn-rnn/pyproject.toml",
        "packages/snn-rnn/CHANGELOG.md",
        *(f"packages/snn-rnn/changes/{name}" for name in fragments),
    }
    assert "packages/snn-rnn/changes/+release-test.added.md" in changed
    assert not list((scratch / "packages" / "snn-rnn" / "changes").glob("*.md"))
    changelog = (scratch / "packages" / "snn-rnn" / "CHANGELOG.md").read_text()
    assert f"## snn-rnn {new} (2026-01-02)" in changelog
    assert "### Added\n\n- A user-facing sentence about the new thing." in changelog
    assert not fragment.exists()
    assert other.exists()


def test_core_minor_release_moves_plugin_ranges(scratch: Path) -> None:
    before = versions(scratch)
    result = release(scratch, "snn-core", "minor")
    assert result.returncode == 0, result.stderr + result.stdout
    workspace = load_workspace(scratch)
    new = bump_version(before["snn-core"], "minor")
    new_range = core_range_for(new)
    assert versions(scratch) == dict(before, **{"snn-core": new})
    for name in workspace.plugins:
        assert workspace[name].requirement("snn-core") == f"snn-core{new_range}"
        note = workspace[name].changes / f"+snn-core-{new.rsplit('.', 1)[0]}.changed.md"
        assert note.read_text() == f"Requires `snn-core{new_range}`.\n"
    template = scratch / "examples" / "snn-plugin-template" / "pyproject.toml"
    if template.exists():
        assert f'"snn-core{new_range}"' in template.read_text()
    assert git(scratch, "tag", "--list").split() == [f"snn-core-v{new}"]
    assert git(scratch, "status", "--porcelain") == ""


def test_core_patch_release_keeps_plugin_ranges(scratch: Path) -> None:
    old = versions(scratch)["snn-core"]
    assert release(scratch, "snn-core", "patch").returncode == 0
    workspace = load_workspace(scratch)
    assert workspace["snn-core"].version == bump_version(old, "patch")
    assert all(
        workspace[n].requirement("snn-core") == f"snn-core{core_range_for(old)}" for n in workspace.plugins
    )


def test_release_refuses_dirty_tree(scratch: Path) -> None:
    before = versions(scratch)
    (scratch / "packages" / "snn-rnn" / "README.md").write_text("edited\n")
    result = release(scratch, "snn-rnn", "patch")
    assert result.returncode == 1
    assert "dirty" in result.stderr and "README.md" in result.stderr
    assert versions(scratch) == before
    assert git(scratch, "tag", "--list") == ""


def test_release_refuses_existing_tag(scratch: Path) -> None:
    new = bump_version(versions(scratch)["snn-rnn"], "patch")
    git(scratch, "tag", f"snn-rnn-v{new}")
    result = release(scratch, "snn-rnn", "patch")
    assert result.returncode == 1
    assert f"tag snn-rnn-v{new} exists" in result.stderr


def test_dry_run_changes_nothing(scratch: Path) -> None:
    (scratch / "packages" / "snn-rnn" / "changes" / "+dry.fixed.md").write_text("Dry fix.\n")
    commit_all(scratch, "fragment")
    head = git(scratch, "rev-parse", "HEAD")
    old = versions(scratch)["snn-rnn"]
    new = bump_version(old, "patch")
    result = release(scratch, "snn-rnn", "patch", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"snn-rnn: {old} -> {new}, tag snn-rnn-v{new}" in result.stdout
    assert "- Dry fix." in result.stdout
    assert git(scratch, "rev-parse", "HEAD") == head
    assert git(scratch, "status", "--porcelain") == ""
    assert git(scratch, "tag", "--list") == ""


def test_unknown_distribution_is_named(scratch: Path) -> None:
    result = release(scratch, "snn-nope", "patch")
    assert result.returncode == 1
    assert "'snn-nope' is not a package" in result.stderr


def test_each_package_reports_its_own_version() -> None:
    """``<package>.__version__`` comes from the installed metadata and equals the static pyproject version."""
    import importlib
    from importlib.metadata import PackageNotFoundError, version

    workspace = load_workspace(ROOT)
    for name in workspace.names:
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # not installed in this environment
        module = importlib.import_module(workspace[name].import_name)
        assert module.__version__ == installed == workspace[name].version, name
