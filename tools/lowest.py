"""Test each plugin against the lowest snn-core its declared range allows.

    python tools/lowest.py plan                 # JSON: plugin -> lowest core version and where it comes from
    python tools/lowest.py test [plugins...]    # build that core, install it with the plugin, run its tests

A plugin declares ``snn-core>=X.Y,<X.(Y+1)``; the lowest core it allows is ``X.Y.0``. That core is

* the local ``packages/snn-core`` when its version is ``X.Y.0`` (the usual case right after a core
  minor release, and today, when every package is 0.1.0), or
* rebuilt from the git tag ``snn-core-vX.Y.0`` (``git archive`` of ``packages/snn-core`` at the tag)
  when the local core has moved on within the range (a patch release, ``X.Y.1`` and later).

If neither exists (no tag, e.g. in a shallow clone) the plugin is reported and the run fails: the
range claims a core version nobody can test against. Each plugin runs in its own fresh environment
(see :mod:`tools.wheel_envs`) holding only that core wheel and the plugin's wheel.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.wheel_envs import base_layer, build_all, install_wheels, make_env, run_env
from tools.workspace import CORE, ROOT, Workspace, load_workspace

__all__ = ["lowest_allowed", "core_source", "plan", "main"]


def lowest_allowed(requirement: str) -> str:
    """The lowest version a ``>=`` lower bound allows, padded to ``X.Y.Z``.

    Raises:
        ValueError: if the requirement has no ``>=`` bound.
    """
    match = re.search(r">=\s*(\d+(?:\.\d+){0,2})", requirement)
    if not match:
        raise ValueError(f"requirement {requirement!r} has no '>=' lower bound to test against")
    parts = match.group(1).split(".")
    return ".".join([*parts, "0", "0"][:3])


def core_source(version: str, workspace: Workspace, scratch: Path) -> tuple[str, Path | None]:
    """Where to build snn-core ``version`` from: ``("local", path)``, ``("tag", path)`` or ``("missing", None)``."""
    if workspace[CORE].version == version:
        return "local", workspace[CORE].path
    tag = f"{CORE}-v{version}"
    exists = (
        subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"],
            cwd=workspace.root,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    if not exists:
        return "missing", None
    target = scratch / tag
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", tag, f"packages/{CORE}"], cwd=workspace.root, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return "tag", target / "packages" / CORE


def plan(workspace: Workspace) -> dict[str, dict[str, str]]:
    result = {}
    for name in workspace.plugins:
        requirement = workspace[name].requirement(CORE) or ""
        version = lowest_allowed(requirement)
        if workspace[CORE].version == version:
            origin = "local packages/snn-core"
        else:
            origin = f"git tag {CORE}-v{version}"
        result[name] = {"requirement": requirement, "lowest": version, "source": origin}
    return result


def run_lowest(plugins: Sequence[str], work: Path, pytest_args: Sequence[str] = ()) -> int:
    workspace = load_workspace(ROOT)
    plugins = list(plugins) or workspace.plugins
    layer = base_layer(work / "base-layer")
    failures = []
    built: dict[str, Path] = {}
    for name in plugins:
        version = lowest_allowed(workspace[name].requirement(CORE) or "")
        if version not in built:
            kind, source = core_source(version, workspace, work / "sources")
            if source is None:
                failures.append(f"{name}: needs {CORE} {version}, which is neither local nor tagged")
                continue
            wheels = work / f"core-{version}"
            build_all(wheels, source.parent.parent, isolated=False, sdist=False, only=[CORE])
            print(f"--- lowest: {CORE} {version} built from the {kind} source", flush=True)
            built[version] = wheels
        wheels = built[version]
        build_all(wheels, ROOT, isolated=False, sdist=False, only=[name])
        python = make_env(work / f"env-{name}", layer)
        install_wheels(python, wheels, [f"{CORE}=={version}", name])
        try:
            run_env(python, [CORE, name], workspace, ROOT, pytest_args, tested=[name])
        except subprocess.CalledProcessError:
            failures.append(f"{name}: tests failed against {CORE} {version}")
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("plan", help="print which core each plugin is tested against")
    run = sub.add_parser("test", help="run each plugin's tests against its lowest core")
    run.add_argument("plugins", nargs="*")
    run.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[])
    args = parser.parse_args(argv)
    if args.command == "plan":
        print(json.dumps(plan(load_workspace(ROOT)), indent=2))
        return 0
    work = Path(tempfile.mkdtemp(prefix="snn-lowest-"))
    try:
        return run_lowest(args.plugins, work, args.pytest_args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
