"""Scratch git repositories for the tools' tests: a clone of this checkout or a tiny fake monorepo."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["GIT_ENV", "clone", "commit_all", "fake_monorepo", "git"]

#: identity and isolation for commits made in scratch repositories
GIT_ENV = {
    "GIT_AUTHOR_NAME": "snn tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "snn tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout


def clone(source: Path, target: Path) -> Path:
    """``git clone`` of the committed state of ``source`` (no working-tree changes travel)."""
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(source), str(target)], check=True)
    git(target, "config", "commit.gpgsign", "false")
    git(target, "config", "tag.gpgsign", "false")
    return target


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "--all")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def _package(root: Path, name: str, deps: list[str]) -> None:
    folder = root / "packages" / name
    (folder / "src" / name.replace("-", "_")).mkdir(parents=True)
    (folder / "src" / name.replace("-", "_") / "__init__.py").write_text("")
    (folder / "tests").mkdir()
    (folder / "changes").mkdir()
    (folder / "changes" / ".gitkeep").write_text("")
    dep_list = ", ".join(f'"{d}"' for d in deps)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = [{dep_list}]\n'
    )


def fake_monorepo(root: Path) -> Path:
    """A git repo with ``snn-core``, ``snn-a`` (needs core) and ``snn-b`` (needs ``snn-a``), committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    _package(root, "snn-core", ["torch>=2.4"])
    _package(root, "snn-a", ["torch>=2.4", "snn-core>=0.1,<0.2"])
    _package(root, "snn-b", ["snn-core>=0.1,<0.2", "snn_a>=0.1"])
    (root / "noxfile.py").write_text("")
    (root / "pyproject.toml").write_text("[tool.ruff]\n")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# x\n")
    (root / "tests").mkdir()
    (root / "README.md").write_text("x\n")
    commit_all(root, "base")
    return root
