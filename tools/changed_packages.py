"""Which packages a git range changed, and which packages depend on them.

    python tools/changed_packages.py origin/main...HEAD        # JSON on stdout
    python tools/changed_packages.py HEAD~3..HEAD --names      # affected distributions, one per line
    nox -s changed -- origin/main...HEAD                       # the same JSON
    nox -s affected -- origin/main...HEAD                      # runs the tests of the affected packages

Rules, applied to every path ``git diff --name-only --no-renames <range>`` lists:

* ``packages/snn-core/**``, ``noxfile.py``, the root ``pyproject.toml``, ``tools/**`` and ``.ci/**``
  select everything (every package depends on core; the others define how everything is built).
* ``packages/<dist>/changes/**`` (changelog fragments) select nothing.
* any other ``packages/<dist>/**`` path selects ``<dist>`` and, transitively, its dependents.
* ``tests/parity/**`` selects the parity suite, other ``tests/**`` the integration suite,
  ``docs/**`` and ``mkdocs.yml`` the documentation, ``examples/**`` the plugin template.

A change to any package also selects the integration suite (it tests packages together).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.workspace import CORE, ROOT, Workspace, load_workspace

__all__ = ["Selection", "changed_files", "nox_sessions", "select", "main"]

EVERYTHING_FILES = {"noxfile.py", "pyproject.toml"}
EVERYTHING_DIRS = ("tools/", ".ci/")


@dataclass
class Selection:
    """The result, serialised to JSON by :func:`main`.

    Attributes:
        range: the git range inspected (``""`` when files were given directly).
        files: the changed paths.
        everything: True when the change selects every package (see the module rules).
        reasons: why ``everything`` is set (the paths that caused it).
        changed: packages with a changed file.
        affected: ``changed`` plus every package depending on one of them (sorted).
        integration: run the cross-package suite (``tests/`` except parity).
        parity: run the parity suite.
        docs: build the documentation.
        template: test the plugin template in ``examples/``.
    """

    range: str
    files: list[str]
    everything: bool = False
    reasons: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    affected: list[str] = field(default_factory=list)
    integration: bool = False
    parity: bool = False
    docs: bool = False
    template: bool = False


def changed_files(revision_range: str, root: Path = ROOT) -> list[str]:
    """Paths changed in ``revision_range`` (anything ``git diff`` accepts: ``A..B``, ``A...B``, ``A``).

    Raises:
        ValueError: if git rejects the range (the message includes git's).
    """
    result = subprocess.run(
        ["git", "diff", "--name-only", "--no-renames", revision_range, "--"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ValueError(f"git range {revision_range!r} is not valid here: {result.stderr.strip()}")
    return sorted({line.strip() for line in result.stdout.splitlines() if line.strip()})


def select(files: Iterable[str], workspace: Workspace, revision_range: str = "") -> Selection:
    """Apply the module's rules to repository-relative ``files``."""
    files = sorted(set(files))
    selection = Selection(range=revision_range, files=files)
    changed: set[str] = set()
    for path in files:
        package = workspace.package_of(path)
        if path in EVERYTHING_FILES or path.startswith(EVERYTHING_DIRS):
            selection.reasons.append(path)
        elif package is not None:
            if Path(path).parts[2:3] == ("changes",):
                continue
            changed.add(package)
            if package == CORE:
                selection.reasons.append(path)
        elif path.startswith("tests/parity/"):
            selection.parity = True
        elif path.startswith("tests/"):
            selection.integration = True
        elif path.startswith("docs/") or path == "mkdocs.yml":
            selection.docs = True
        elif path.startswith("examples/"):
            selection.template = True
    selection.changed = sorted(changed)
    if selection.reasons:
        selection.everything = True
        selection.affected = workspace.names
        selection.integration = selection.parity = selection.docs = selection.template = True
    else:
        selection.affected = sorted(workspace.dependents(changed))
        if changed:
            selection.integration = True
    return selection


def nox_sessions(selection: Selection) -> list[str]:
    """The nox sessions ``nox -s affected`` queues for a selection, in order."""
    queued = ["tests(all)"] if selection.everything else []
    queued += [f"tests({name})" for name in selection.affected]
    flags = [
        (selection.integration, "integration"),
        (selection.docs, "docs"),
        (selection.parity, "parity"),
        (selection.template, "template"),
    ]
    return queued + [name for flag, name in flags if flag]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("range", nargs="?", help="git range, e.g. origin/main...HEAD (default: HEAD~1..HEAD)")
    parser.add_argument("--files", nargs="*", help="use these paths instead of asking git")
    parser.add_argument("--names", action="store_true", help="print the affected distributions, one per line")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    workspace = load_workspace(args.root)
    if args.files is not None:
        selection = select(args.files, workspace)
    else:
        revision_range = args.range or "HEAD~1..HEAD"
        try:
            files = changed_files(revision_range, args.root)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        selection = select(files, workspace, revision_range)
    if args.names:
        print("\n".join(selection.affected))
    else:
        print(json.dumps(asdict(selection), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
