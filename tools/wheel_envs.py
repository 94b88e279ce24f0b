"""Build every package's wheel and sdist, and test the built wheels in fresh environments.

    python tools/wheel_envs.py build dist/                 # wheels + sdists of every package
    python tools/wheel_envs.py build dist/ --from-head     # ... from a clean clone of HEAD
    python tools/wheel_envs.py test dist/ --only core snn-neurons all

Each test environment is a new virtual environment holding only the built snn wheels it is about
(installed with ``pip --no-index`` from the wheel folder, so a missing or misdeclared dependency
fails). The heavy third-party dependencies (torch, pytest, numpy, pluggy, packaging) are not
installed again in every environment: the environment gets a *base layer*, a folder of links to
the running interpreter's site-packages with every snn distribution (installed or editable) left
out, added to its path by a ``.pth`` file. pip sees the layer's distributions, so it checks that
the wheels' requirements are met without downloading torch nine times.

In each environment the package's tests run from ``packages/<dist>/tests`` with
``--import-mode=importlib`` and the repository's source folders off the path, after checking that
``snn_core`` and the package are imported from the environment (not from ``src/``) and that no other
plugin is importable.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.workspace import CORE, ROOT, Workspace, load_workspace

__all__ = ["build_all", "base_layer", "make_env", "run_env", "environments", "main"]

_SNN_PREFIXES = ("snn_", "snn-", "__editable__", "_editable_impl_snn", "__pycache__")


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    printable = " ".join(str(a) for a in args)
    print(f"$ {printable}", flush=True)
    subprocess.run([str(a) for a in args], cwd=cwd, env=env, check=True)


def clean_clone(root: Path, target: Path) -> Path:
    """A clone of ``root``'s HEAD: only committed files, nothing untracked or ignored."""
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(root), str(target)], check=True)
    return target


def build_all(
    out: Path,
    root: Path = ROOT,
    *,
    isolated: bool = True,
    sdist: bool = True,
    only: Sequence[str] | None = None,
) -> list[Path]:
    """Build wheel (and sdist) of every package of ``root`` into ``out``; returns the files built.

    ``isolated=False`` builds with the running environment's hatchling (no download).
    """
    out.mkdir(parents=True, exist_ok=True)
    workspace = load_workspace(root)
    before = set(out.iterdir())
    for name in only or workspace.names:
        args: list[str | Path] = [sys.executable, "-m", "build", "--outdir", out]
        if not isolated:
            args.append("--no-isolation")
        if not sdist:
            args.append("--wheel")
        run(*args, workspace[name].path)
    return sorted(set(out.iterdir()) - before)


def base_layer(target: Path, site_dirs: Sequence[str] | None = None) -> Path:
    """A folder of links to the entries of ``site_dirs`` (default: this interpreter's), minus snn's."""
    target.mkdir(parents=True, exist_ok=True)
    paths = sysconfig.get_paths()
    site_dirs = site_dirs or sorted({paths["purelib"], paths["platlib"]})
    for site in site_dirs:
        for entry in Path(site).iterdir():
            name = entry.name.lower()
            if name.startswith(_SNN_PREFIXES) or name.endswith(".pth") or (target / entry.name).exists():
                continue
            (target / entry.name).symlink_to(entry)
    return target


def make_env(path: Path, layer: Path) -> Path:
    """A new virtual environment at ``path`` whose path ends with ``layer``; returns its python."""
    run(sys.executable, "-m", "venv", "--without-pip", path)
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib).mkdir(parents=True, exist_ok=True)
    (Path(purelib) / "_snn_base_layer.pth").write_text(f"{layer}\n")
    return python


def install_wheels(python: Path, wheel_dir: Path, distributions: Sequence[str]) -> None:
    """Install the built wheels of ``distributions`` (and nothing from an index) into ``python``'s env."""
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-index",
        "--no-cache-dir",
        "--find-links",
        wheel_dir,
        "--only-binary",
        ":all:",
        *distributions,
    )


def environments(workspace: Workspace) -> dict[str, list[str]]:
    """``core`` alone, ``core + <plugin>`` for each plugin, and ``all``."""
    envs = {"core": [CORE]}
    envs.update({name: [CORE, name] for name in workspace.plugins})
    envs["all"] = workspace.names
    return envs


CHECK_ORIGIN = """
import importlib, importlib.util, sys
installed, absent = sys.argv[1].split(","), [m for m in sys.argv[2].split(",") if m]
for module in installed:
    path = importlib.import_module(module).__file__
    if "site-packages" not in path:
        sys.exit(f"{module} imported from {path}, not from the environment")
leaked = [m for m in absent if importlib.util.find_spec(m)]
if leaked:
    sys.exit(f"isolation broken: {leaked} importable")
import snn_core
print("snn-core", snn_core.__version__, "from", snn_core.__file__)
"""


def run_env(
    python: Path,
    distributions: Sequence[str],
    workspace: Workspace,
    tests_root: Path,
    pytest_args: Sequence[str] = (),
    tested: Sequence[str] | None = None,
) -> None:
    """Check import origin and isolation, then run the tests of ``tested`` (default: every installed one)."""
    installed = [workspace[d].import_name for d in distributions]
    absent = [workspace[d].import_name for d in workspace.names if d not in distributions]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONHASHSEED"] = "0"
    with tempfile.TemporaryDirectory() as cwd:  # not the repository root: nothing importable by accident
        run(python, "-c", CHECK_ORIGIN, ",".join(installed), ",".join(absent), cwd=Path(cwd), env=env)
        tests = [tests_root / "packages" / d / "tests" for d in (distributions if tested is None else tested)]
        tests = [t for t in tests if t.is_dir()]
        if tests:
            run(
                python,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--import-mode=importlib",
                "--rootdir",
                tests_root,
                "-c",
                tests_root / "pyproject.toml",
                *tests,
                *pytest_args,
                cwd=Path(cwd),
                env=env,
            )


def check_wheels(
    wheel_dir: Path,
    work: Path,
    root: Path = ROOT,
    only: Sequence[str] | None = None,
    pytest_args: Sequence[str] = (),
) -> None:
    workspace = load_workspace(root)
    envs = environments(workspace)
    unknown = sorted(set(only or ()) - set(envs))
    if unknown:
        raise SystemExit(f"unknown environment(s) {unknown}; choose from {', '.join(envs)}")
    layer = base_layer(work / "base-layer")
    for name, distributions in envs.items():
        if only and name not in only:
            continue
        print(f"--- wheels: {name}: {' + '.join(distributions)}", flush=True)
        python = make_env(work / f"env-{name}", layer)
        install_wheels(python, wheel_dir, distributions)
        tested = distributions if name == "all" else distributions[-1:]  # core's tests run in "core"
        run_env(python, distributions, workspace, root, pytest_args, tested=tested)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build wheels and sdists")
    build.add_argument("out", type=Path)
    build.add_argument("--from-head", action="store_true", help="build from a clean clone of HEAD")
    build.add_argument("--no-isolation", action="store_true", help="use this environment's hatchling")
    test = sub.add_parser("test", help="test built wheels in fresh environments")
    test.add_argument("wheels", type=Path)
    test.add_argument("--only", nargs="*", help="environments: core, <plugin>, all")
    test.add_argument("--work", type=Path, help="folder for the environments (default: a temporary one)")
    test.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    if args.command == "build":
        out = args.out.resolve()
        if args.from_head:
            with tempfile.TemporaryDirectory() as tmp:
                build_all(out, clean_clone(ROOT, Path(tmp) / "clone"), isolated=not args.no_isolation)
        else:
            build_all(out, isolated=not args.no_isolation)
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="snn-wheels-"))
    try:
        check_wheels(args.wheels.resolve(), work.resolve(), only=args.only, pytest_args=args.pytest_args)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
