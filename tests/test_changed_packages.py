"""tools/changed_packages.py: which packages a git range changed and which depend on them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.changed_packages import nox_sessions, select  # noqa: E402
from tools.scratch import commit_all, fake_monorepo  # noqa: E402
from tools.workspace import core_range_for, load_workspace, requirement_name  # noqa: E402


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "changed_packages.py"), "--root", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake_monorepo(tmp_path_factory.mktemp("mono") / "repo")


@pytest.fixture(scope="module")
def workspace(repo: Path):
    return load_workspace(repo)


def test_workspace_reads_internal_dependencies(workspace) -> None:
    assert workspace.names == ["snn-a", "snn-b", "snn-core"]
    assert workspace["snn-a"].internal == ("snn-core",)
    assert workspace["snn-b"].internal == ("snn-a", "snn-core")  # "snn_a" normalised
    assert workspace.dependents({"snn-a"}) == {"snn-a", "snn-b"}
    assert workspace.dependents({"snn-b"}) == {"snn-b"}


def test_requirement_helpers() -> None:
    assert requirement_name("Snn_Core >=0.1 ; python_version>'3'") == "snn-core"
    assert core_range_for("0.1.0") == ">=0.1,<0.2"
    assert core_range_for("1.9.3") == ">=1.9,<1.10"


@pytest.mark.parametrize(
    ("files", "changed", "affected", "everything"),
    [
        (["packages/snn-b/src/snn_b/x.py"], ["snn-b"], ["snn-b"], False),
        (["packages/snn-a/tests/test_x.py"], ["snn-a"], ["snn-a", "snn-b"], False),
        (["packages/snn-core/src/snn_core/x.py"], ["snn-core"], ["snn-a", "snn-b", "snn-core"], True),
        (["noxfile.py"], [], ["snn-a", "snn-b", "snn-core"], True),
        (["tools/release.py"], [], ["snn-a", "snn-b", "snn-core"], True),
        (["pyproject.toml"], [], ["snn-a", "snn-b", "snn-core"], True),
        (["packages/snn-a/changes/+x.added.md"], [], [], False),
        (["README.md", "docs/index.md"], [], [], False),
    ],
)
def test_select_rules(workspace, files, changed, affected, everything) -> None:
    selection = select(files, workspace)
    assert selection.changed == changed
    assert selection.affected == affected
    assert selection.everything is everything


def test_suites_follow_paths(workspace) -> None:
    docs_only = select(["docs/index.md"], workspace)
    assert (docs_only.docs, docs_only.integration, docs_only.parity) == (True, False, False)
    parity = select(["tests/parity/test_lif.py"], workspace)
    assert (parity.parity, parity.integration) == (True, False)
    integration = select(["tests/test_discovery.py"], workspace)
    assert (integration.integration, integration.parity) == (True, False)
    package = select(["packages/snn-b/src/snn_b/x.py"], workspace)
    assert package.integration and not package.docs
    assert select(["examples/snn-plugin-template/src/x.py"], workspace).template


def test_cli_on_git_range(repo: Path) -> None:
    base = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    (repo / "packages" / "snn-a" / "src" / "snn_a" / "new.py").write_text("x = 1\n")
    (repo / "docs" / "index.md").write_text("# changed\n")
    commit_all(repo, "change a and docs")
    result = run_cli(repo, f"{base}..HEAD")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["range"] == f"{base}..HEAD"
    assert data["files"] == ["docs/index.md", "packages/snn-a/src/snn_a/new.py"]
    assert data["changed"] == ["snn-a"]
    assert data["affected"] == ["snn-a", "snn-b"]
    assert data["everything"] is False
    assert data["docs"] is True
    names = run_cli(repo, f"{base}..HEAD", "--names")
    assert names.stdout.split() == ["snn-a", "snn-b"]


def test_cli_rename_counts_both_sides(repo: Path) -> None:
    base = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    src = repo / "packages" / "snn-b" / "src" / "snn_b" / "__init__.py"
    src.rename(repo / "packages" / "snn-core" / "moved.py")
    commit_all(repo, "move a file from b to core")
    data = json.loads(run_cli(repo, f"{base}..HEAD").stdout)
    assert data["changed"] == ["snn-b", "snn-core"]
    assert data["everything"] is True


def test_cli_rejects_bad_range(repo: Path) -> None:
    result = run_cli(repo, "no-such-rev..HEAD")
    assert result.returncode == 2
    assert "no-such-rev..HEAD" in result.stderr


def test_real_workspace_is_consistent() -> None:
    """Every plugin of this repository depends on snn-core with the capped range of core's version."""
    workspace = load_workspace(ROOT)
    core_range = core_range_for(workspace["snn-core"].version)
    for name in workspace.plugins:
        requirement = workspace[name].requirement("snn-core")
        assert requirement is not None, f"{name} does not depend on snn-core"
        assert requirement.replace(" ", "") == f"snn-core{core_range}", (name, requirement)


def test_nox_sessions_for_affected(workspace) -> None:
    assert nox_sessions(select(["packages/snn-a/src/snn_a/x.py"], workspace)) == [
        "tests(snn-a)",
        "tests(snn-b)",
        "integration",
    ]
    assert nox_sessions(select(["docs/index.md"], workspace)) == ["docs"]
    assert nox_sessions(select(["README.md"], workspace)) == []
    assert nox_sessions(select(["noxfile.py"], workspace)) == [
        "tests(all)",
        "tests(snn-a)",
        "tests(snn-b)",
        "tests(snn-core)",
        "integration",
        "docs",
        "parity",
        "template",
    ]


def test_affected_sessions_exist_in_the_noxfile() -> None:
    """Every session ``nox -s affected`` can queue, and every one ``.ci/run`` calls, is in the real noxfile."""
    pytest.importorskip("nox")
    workspace = load_workspace(ROOT)
    wanted = [
        *nox_sessions(select(["noxfile.py"], workspace)),
        "tests",
        "integration",
        "lint",
        "docs",
        "parity",
    ]
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "--json", "-s", *wanted],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr[-1000:]
    sessions = json.loads(listed.stdout)
    found = {s["session"] for s in sessions} | {s["name"] for s in sessions}
    assert set(wanted) <= found, set(wanted) - found
