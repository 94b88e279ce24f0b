"""Release one package: bump its version, build its changelog section, commit and tag, locally.

    python tools/release.py snn-neurons minor            # 0.1.0 -> 0.2.0, commit, tag snn-neurons-v0.2.0
    python tools/release.py snn-neurons patch --dry-run  # print the plan and the changelog draft only
    nox -s release -- snn-neurons minor

Steps (nothing is pushed or published; see docs/releasing.md for that):

1. refuse unless the git tree is clean (no modified, staged or untracked files) and the tag is new;
2. write the new ``version`` into ``packages/<dist>/pyproject.toml``;
3. for a core release that changes ``X.Y``: rewrite every plugin's ``snn-core>=X.Y,<X.(Y+1)`` range
   (and the plugin template's) and leave each plugin a ``+snn-core-X.Y.changed.md`` fragment, so
   its next release says so;
4. ``towncrier build`` in the package folder: the fragments in ``changes/`` become a section of
   ``CHANGELOG.md`` and are removed;
5. ``git commit`` (message ``<dist>: release <version>``) and an annotated tag ``<dist>-v<version>``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.workspace import CORE, ROOT, Workspace, core_range_for, load_workspace, requirement_name

__all__ = ["PARTS", "ReleaseError", "ReleasePlan", "bump_version", "plan_release", "release", "main"]

PARTS = ("major", "minor", "patch")
TEMPLATE = Path("examples/snn-plugin-template/pyproject.toml")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


class ReleaseError(RuntimeError):
    """A release was refused; the message says why and what to do."""


def bump_version(version: str, part: str) -> str:
    """``bump_version("0.1.3", "minor") == "0.2.0"``.

    Raises:
        ValueError: for an unknown ``part`` or a version that is not ``X.Y.Z``.
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
    match = _VERSION.match(version)
    if not match:
        raise ValueError(f"version must be X.Y.Z to be bumped, got {version!r}")
    major, minor, patch = (int(g) for g in match.groups())
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


@dataclass
class ReleasePlan:
    """What :func:`release` will do."""

    distribution: str
    old_version: str
    new_version: str
    tag: str
    fragments: list[str]
    core_range: str | None = None  # the new plugin range when a core release moves X.Y
    range_updates: list[str] = field(default_factory=list)  # pyproject files whose core range changes

    def describe(self) -> str:
        lines = [
            f"release {self.distribution}: {self.old_version} -> {self.new_version}, tag {self.tag}",
            f"fragments consumed: {', '.join(self.fragments) or 'none (changelog says no significant changes)'}",
        ]
        if self.core_range:
            lines.append(f"snn-core range becomes {self.core_range} in: {', '.join(self.range_updates)}")
        return "\n".join(lines)


def git(root: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def set_project_version(text: str, version: str) -> str:
    """Replace ``version = "..."`` inside the ``[project]`` table of a pyproject text."""
    table = re.search(r"(?ms)^\[project\]\s*$(.*?)(?=^\[|\Z)", text)
    if table is None:
        raise ReleaseError("pyproject.toml has no [project] table")
    body, count = re.subn(r'(?m)^version\s*=\s*"[^"]*"', f'version = "{version}"', table.group(1), count=1)
    if count != 1:
        raise ReleaseError("pyproject.toml has no static project.version to bump")
    return text[: table.start(1)] + body + text[table.end(1) :]


def set_core_range(text: str, core_range: str) -> str:
    """Rewrite every ``"snn-core..."`` dependency string in a pyproject text to ``snn-core<core_range>``."""

    def replace(match: re.Match[str]) -> str:
        requirement = match.group(2)
        if requirement_name(requirement) != CORE or ";" in requirement:
            return match.group(0)
        return f"{match.group(1)}{CORE}{core_range}{match.group(1)}"

    return re.sub(r"""(["'])(snn[-_.]core\b[^"']*)\1""", replace, text)


def plan_release(workspace: Workspace, distribution: str, part: str) -> ReleasePlan:
    package = workspace[distribution]
    new_version = bump_version(package.version, part)
    fragments = (
        sorted(p.name for p in package.changes.glob("*.md") if p.is_file())
        if package.changes.is_dir()
        else []
    )
    plan = ReleasePlan(
        distribution, package.version, new_version, f"{distribution}-v{new_version}", fragments
    )
    if distribution == CORE and core_range_for(new_version) != core_range_for(package.version):
        plan.core_range = core_range_for(new_version)
        for name in workspace.plugins:
            if workspace[name].requirement(CORE) is not None:
                plan.range_updates.append(f"packages/{name}/pyproject.toml")
        if (workspace.root / TEMPLATE).exists():
            plan.range_updates.append(TEMPLATE.as_posix())
    return plan


def check_clean(root: Path, tag: str) -> None:
    status = git(root, "status", "--porcelain")
    if status.strip():
        raise ReleaseError(
            "the working tree is dirty; commit or remove these first (a release commits only its own "
            "changes):\n" + status.rstrip()
        )
    if git(root, "tag", "--list", tag).strip():
        raise ReleaseError(f"tag {tag} exists already; was this version released?")


def towncrier(package_dir: Path, version: str, date: str, *, draft: bool) -> str:
    args = [
        sys.executable,
        "-m",
        "towncrier",
        "build",
        "--version",
        version,
        "--date",
        date,
        "--config",
        "pyproject.toml",
        "--dir",
        ".",
    ]
    args.append("--draft" if draft else "--yes")
    result = subprocess.run(args, cwd=package_dir, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(
            f"towncrier failed in {package_dir}: {result.stderr.strip() or result.stdout.strip()}"
        )
    return result.stdout


def release(
    root: Path | str, distribution: str, part: str, *, dry_run: bool = False, date: str | None = None
) -> ReleasePlan:
    """Release ``distribution`` in the checkout at ``root`` (see the module docstring).

    Raises:
        ReleaseError: dirty tree, existing tag, git or towncrier failure.
        KeyError: unknown distribution.
        ValueError: unknown part.
    """
    root = Path(root)
    workspace = load_workspace(root)
    plan = plan_release(workspace, distribution, part)
    date = date or _dt.date.today().isoformat()
    package = workspace[distribution]
    if dry_run:
        print(plan.describe())
        print(towncrier(package.path, plan.new_version, date, draft=True))
        return plan
    check_clean(root, plan.tag)
    package.pyproject.write_text(set_project_version(package.pyproject.read_text(), plan.new_version))
    touched = [package.pyproject]
    if plan.core_range:
        for rel in plan.range_updates:
            path = root / rel
            path.write_text(set_core_range(path.read_text(), plan.core_range))
            touched.append(path)
            changes = path.parent / "changes"
            if changes.is_dir():
                fragment = changes / f"+snn-core-{plan.new_version.rsplit('.', 1)[0]}.changed.md"
                fragment.write_text(f"Requires `snn-core{plan.core_range}`.\n")
                touched.append(fragment)
    towncrier(package.path, plan.new_version, date, draft=False)  # stages CHANGELOG.md, removes fragments
    git(
        root,
        "add",
        "--",
        *[str(p.relative_to(root)) for p in touched],
        str(package.changelog.relative_to(root)),
    )
    git(root, "add", "--all", "--", str(package.changes.relative_to(root)))
    git(root, "commit", "-q", "-m", f"{distribution}: release {plan.new_version}\n\n{plan.describe()}")
    git(root, "tag", "-a", plan.tag, "-m", f"{distribution} {plan.new_version}")
    print(plan.describe())
    print(
        f"committed and tagged {plan.tag}. Next: build and publish by hand (docs/releasing.md):\n"
        f"  git push origin HEAD {plan.tag}\n"
        f"  python -m build packages/{distribution} --outdir dist/{plan.tag} && "
        f"twine upload dist/{plan.tag}/*"
    )
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("distribution", help="e.g. snn-neurons")
    parser.add_argument("part", choices=PARTS)
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan and changelog draft; change nothing"
    )
    parser.add_argument("--date", help="release date for the changelog (default: today, ISO)")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        release(args.root, args.distribution, args.part, dry_run=args.dry_run, date=args.date)
    except (ReleaseError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        print(f"error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
