"""Check that every package whose ``src/`` changed in a git range carries a changelog fragment.

    python tools/check_fragments.py origin/main...HEAD
    nox -s fragments -- origin/main...HEAD

A fragment is ``packages/<dist>/changes/<name>.<type>.md`` with ``<type>`` one of
``added changed deprecated removed fixed`` and ``<name>`` an issue number or ``+topic`` (an orphan
fragment, not linked to an issue). The check fails (exit 1) when

* a package's ``src/`` changed in the range but no fragment of that package was added or edited, or
* a file in a ``changes/`` folder (changed in the range or present now) is not a valid fragment name.

A commit in the range whose message contains ``[no fragment]`` waives the first rule for the packages
that commit touches (internal refactors, test-only or typo fixes).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.changed_packages import changed_files
from tools.workspace import ROOT, Workspace, load_workspace

__all__ = ["FRAGMENT_TYPES", "Report", "check", "is_fragment_name", "main"]

FRAGMENT_TYPES = ("added", "changed", "deprecated", "removed", "fixed")
_FRAGMENT = re.compile(
    r"^(\+[A-Za-z0-9][\w.-]*|[A-Za-z0-9][\w-]*)\.(" + "|".join(FRAGMENT_TYPES) + r")(\.\d+)?\.md$"
)
IGNORED = {".gitkeep"}
WAIVER = "[no fragment]"


def is_fragment_name(filename: str) -> bool:
    """True for ``+topic.added.md``, ``123.fixed.md``, ``name.changed.2.md``."""
    return bool(_FRAGMENT.match(filename))


@dataclass
class Report:
    """Outcome of :func:`check`: problems (empty when it passes) and what was inspected."""

    missing: list[str] = field(default_factory=list)
    bad_names: list[str] = field(default_factory=list)
    waived: list[str] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.bad_names


def waived_packages(revision_range: str, workspace: Workspace, root: Path) -> set[str]:
    """Packages touched by commits in the range whose message contains ``[no fragment]``."""
    if ".." not in revision_range:
        return set()
    log = subprocess.run(
        ["git", "log", "--format=%x00%B%x01", "--name-only", "--no-renames", revision_range, "--"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if log.returncode != 0:
        raise ValueError(f"git range {revision_range!r} is not valid here: {log.stderr.strip()}")
    waived: set[str] = set()
    for record in log.stdout.split("\x00")[1:]:
        message, _, names = record.partition("\x01")
        if WAIVER in message.lower():
            waived.update(p for p in (workspace.package_of(n.strip()) for n in names.splitlines()) if p)
    return waived


def check(files: Sequence[str], workspace: Workspace, waived: set[str] = frozenset()) -> Report:  # type: ignore[assignment]
    """Apply the rules to the changed ``files`` (repository-relative) of one range."""
    report = Report()
    with_src: set[str] = set()
    with_fragment: set[str] = set()
    for path in files:
        package = workspace.package_of(path)
        if package is None:
            continue
        parts = Path(path).parts
        if parts[2:3] == ("src",):
            with_src.add(package)
        elif parts[2:3] == ("changes",) and len(parts) == 4 and parts[3] not in IGNORED:
            if is_fragment_name(parts[3]):
                with_fragment.add(package)
            else:
                report.bad_names.append(path)
    for name in workspace.names:  # fragments present now, whatever the range
        changes = workspace[name].changes
        if changes.is_dir():
            for item in sorted(changes.iterdir()):
                rel = f"packages/{name}/changes/{item.name}"
                if (
                    item.name not in IGNORED
                    and not is_fragment_name(item.name)
                    and rel not in report.bad_names
                ):
                    report.bad_names.append(rel)
    for package in sorted(with_src):
        if package in with_fragment:
            report.covered.append(package)
        elif package in waived:
            report.waived.append(package)
        else:
            report.missing.append(package)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("range", nargs="?", default="HEAD~1..HEAD", help="git range (default HEAD~1..HEAD)")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    workspace = load_workspace(args.root)
    try:
        files = changed_files(args.range, args.root)
        waived = waived_packages(args.range, workspace, args.root)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = check(files, workspace, waived)
    for package in report.covered:
        print(f"ok: {package} has a changelog fragment")
    for package in report.waived:
        print(f"ok: {package} waived by a '{WAIVER}' commit")
    for package in report.missing:
        print(
            f"error: packages/{package}/src changed in {args.range} but no fragment was added; add "
            f"packages/{package}/changes/+<topic>.<{'|'.join(FRAGMENT_TYPES)}>.md "
            f"(or say '{WAIVER}' in the commit message)",
            file=sys.stderr,
        )
    for path in report.bad_names:
        print(
            f"error: {path} is not a fragment name; expected <issue>.<type>.md or +<topic>.<type>.md "
            f"with type one of {', '.join(FRAGMENT_TYPES)}",
            file=sys.stderr,
        )
    if not (report.covered or report.waived or report.missing):
        print(f"ok: no package src/ changed in {args.range}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
