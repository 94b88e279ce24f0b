"""Development sessions of the snn monorepo.

Every session installs ``torch==2.13.0`` before any package so pip never resolves a newer (CUDA)
build; the packages' own ``torch>=2.4`` is then already satisfied.

    nox -s tests                    # everything installed + each package alone beside snn-core
    nox -s "tests(snn-neurons)"     # one package alone beside snn-core
    nox -s integration lint docs parity build
    nox -s wheels                   # built wheels in fresh environments: core, core + each plugin, all
    nox -s lowest                   # each plugin against the lowest snn-core its range allows
    nox -s template                 # the third-party plugin template, installed from its folder
    nox -s changed -- A...B         # JSON: packages changed in a git range and their dependents
    nox -s affected -- A...B        # run only the sessions the range affects
    nox -s fragments -- A...B       # every package whose src/ changed carries a changelog fragment
    nox -s release -- snn-neurons minor   # bump, changelog, commit, tag (locally; see docs/releasing.md)
    nox -s demo typecheck bench
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT))

from tools.changed_packages import changed_files, nox_sessions, select  # noqa: E402
from tools.workspace import load_workspace  # noqa: E402

PACKAGES = ROOT / "packages"
TEMPLATE = ROOT / "examples" / "snn-plugin-template"
CORE = "snn-core"
DISTRIBUTIONS = sorted(p.name for p in PACKAGES.iterdir() if (p / "pyproject.toml").exists())
PLUGINS = [d for d in DISTRIBUTIONS if d != CORE]
TORCH = "torch==2.13.0"
TEST_TOOLS = ["pytest>=8", "numpy"]
CORE_DEPS = ["pluggy>=1.3", "packaging>=21"]
BUILD_TOOLS = ["build", "hatchling>=1.21"]
RELEASE_TOOLS = ["towncrier>=24.7"]
REFERENCES = ["norse==1.1.0", "tracetorch==0.19.2"]
REFERENCE_DEPS = ["nir", "nirtorch", "h5py", "matplotlib", "scipy"]
# Peer libraries the benchmarks compare against. Installed with --no-deps (they would otherwise
# resolve their own torch); their light dependencies are listed explicitly.
PEERS = [
    "norse==1.1.0",
    "snntorch==1.0.0",
    "spikingjelly==2.0.0",
    "tracetorch==0.19.2",
    "sinabs==3.1.3",
    "nirtorch",
]
PEER_DEPS = ["nir", "numpy", "scipy", "tqdm", "matplotlib", "h5py", "pbr", "loguru", "requests", "packaging"]
DEFAULT_RANGE = "HEAD~1..HEAD"
# Optional dependencies a package's own tests exercise (still no other snn package).
TEST_EXTRAS = {"snn-core": ["matplotlib"]}
DEMO_DEPS = ["scikit-learn", "matplotlib"]

nox.options.sessions = ["tests", "integration", "lint", "docs"]
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True


def package_path(distribution: str) -> str:
    return str(PACKAGES / distribution)


def install_packages(session: nox.Session, distributions: list[str], *extra: str) -> None:
    """torch first, then the packages (core first so plugins' ``snn-core`` range is satisfied locally)."""
    session.install(TORCH)
    ordered = [CORE] + [d for d in distributions if d != CORE]
    session.install(*TEST_TOOLS, *extra, *[package_path(d) for d in ordered])


def pytest(session: nox.Session, *paths: str) -> None:
    session.run("python", "-m", "pytest", "-q", *paths, *session.posargs, env={"PYTHONHASHSEED": "0"})


def assert_torch_unchanged(session: nox.Session) -> None:
    session.run(
        "python",
        "-c",
        f"import torch, sys; sys.exit(None if torch.__version__.split('+')[0] == '{TORCH.split('==')[1]}' "
        "else f'torch was changed to {torch.__version__}')",
    )


@nox.session(tags=["tests"])
@nox.parametrize("distribution", ["all", *DISTRIBUTIONS], ids=["all", *DISTRIBUTIONS])
def tests(session: nox.Session, distribution: str) -> None:
    """Package tests: ``all`` installs every package; otherwise only snn-core and that package."""
    if distribution == "all":
        install_packages(session, DISTRIBUTIONS)
        pytest(session, *[f"packages/{d}/tests" for d in DISTRIBUTIONS])
        return
    install_packages(session, [distribution], *TEST_EXTRAS.get(distribution, []))
    if distribution == "snn-cuda":  # the Triton kernels run on the CPU under TRITON_INTERPRET=1
        session.install("--no-deps", "triton")
        assert_torch_unchanged(session)
    others = [d.replace("-", "_") for d in PLUGINS if d != distribution]
    session.run(
        "python",
        "-c",
        "import importlib.util, sys; leaked = [m for m in sys.argv[1:] if importlib.util.find_spec(m)]; "
        "sys.exit(f'isolation broken: {leaked} importable') if leaked else None",
        *others,
    )
    pytest(session, f"packages/{distribution}/tests")


@nox.session(tags=["tests"])
def integration(session: nox.Session) -> None:
    """Cross-package tests (root ``tests/`` except parity) with every package installed.

    Includes the tests of the release tooling (scratch clones, built wheels, the plugin template),
    hence towncrier, build, hatchling and nox, and a shortened ``snn demo`` (scikit-learn, matplotlib).
    """
    install_packages(session, DISTRIBUTIONS, *BUILD_TOOLS, *RELEASE_TOOLS, *DEMO_DEPS, "nox")
    pytest(session, "tests", "--ignore=tests/parity")


@nox.session
def parity(session: nox.Session) -> None:
    """Compare against the installed reference packages (Norse 1.1.0, traceTorch 0.19.2)."""
    install_packages(session, DISTRIBUTIONS, *REFERENCE_DEPS)
    session.install("--no-deps", *REFERENCES)
    pytest(session, "tests/parity")


@nox.session(python=False if os.environ.get("SNN_LINT_HERE") else None)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    if not os.environ.get("SNN_LINT_HERE"):
        session.install("ruff==0.14.*")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with ``mkdocs build --strict``."""
    install_packages(session, DISTRIBUTIONS, "matplotlib")
    session.install("mkdocs-material>=9.5", "mkdocstrings[python]>=0.26", "pymdown-extensions")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session
def build(session: nox.Session) -> None:
    """sdist and wheel of every package into ``dist/`` (emptied first), checked with ``twine check``.

    ``nox -s build -- --from-head`` builds from a clean clone of HEAD instead of the working tree.
    """
    session.install(*BUILD_TOOLS, "twine")
    out = ROOT / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.run("python", "tools/wheel_envs.py", "build", str(out), *session.posargs)
    built = sorted(str(p) for p in out.glob("*"))
    expected = 2 * len(DISTRIBUTIONS)
    if len(built) != expected:
        session.error(f"expected {expected} files (wheel + sdist per package) in dist/, got {built}")
    session.run("twine", "check", "--strict", *built)


@nox.session
def wheels(session: nox.Session) -> None:
    """Build every wheel, then test the BUILT wheels in fresh environments.

    Environments: ``core`` alone, ``core`` + each plugin, ``all``. Each holds only the snn wheels it
    is about (the third-party dependencies come from this session's environment as a read-only base
    layer, see tools/wheel_envs.py), and runs ``packages/<dist>/tests`` against the installed wheel.
    ``nox -s wheels -- core snn-neurons`` tests only those environments; ``-- --from-head`` builds the
    wheels from a clean clone of HEAD (the tests still come from the working tree).
    """
    session.install(TORCH)
    session.install(*TEST_TOOLS, *CORE_DEPS, *BUILD_TOOLS)
    out = Path(session.create_tmp()) / "wheels"
    shutil.rmtree(out, ignore_errors=True)
    from_head = ["--from-head"] if "--from-head" in session.posargs else []
    session.run("python", "tools/wheel_envs.py", "build", str(out), "--no-isolation", *from_head)
    names = [a for a in session.posargs if a != "--from-head"]
    only = ["--only", *names] if names else []
    session.run("python", "tools/wheel_envs.py", "test", str(out), *only)


@nox.session
def lowest(session: nox.Session) -> None:
    """Each plugin's tests against the lowest snn-core its range allows (``X.Y.0``).

    That core is the local one when its version is ``X.Y.0``, else it is rebuilt from the git tag
    ``snn-core-vX.Y.0``; see tools/lowest.py. ``nox -s lowest -- snn-neurons`` tests one plugin.
    """
    session.install(TORCH)
    session.install(*TEST_TOOLS, *CORE_DEPS, *BUILD_TOOLS)
    session.run("python", "tools/lowest.py", "plan")
    session.run("python", "tools/lowest.py", "test", *session.posargs)


@nox.session
def template(session: nox.Session) -> None:
    """The plugin template as a user installs it: from its own folder, beside snn-core only."""
    session.install(TORCH)
    session.install(*TEST_TOOLS, package_path(CORE))
    session.install(str(TEMPLATE))
    session.run("snn", "plugins")
    session.run("python", "-m", "pytest", "-q", str(TEMPLATE / "tests"), *session.posargs)


@nox.session(python=False)
def changed(session: nox.Session) -> None:
    """JSON: the packages a git range changed and those depending on them (default HEAD~1..HEAD)."""
    session.run(sys.executable, "tools/changed_packages.py", *(session.posargs or [DEFAULT_RANGE]))


@nox.session(python=False)
def affected(session: nox.Session) -> None:
    """Queue only the sessions a git range affects: ``nox -s affected -- origin/main...HEAD``.

    Affected packages (changed ones and their dependents) run ``tests(<dist>)``; a change to core,
    the noxfile, the root pyproject, tools/ or .ci/ runs every ``tests`` session. ``integration``,
    ``docs``, ``parity`` and ``template`` follow the paths (tools/changed_packages.py). The full
    run stays ``nox -s tests integration``.
    """
    revision_range = session.posargs[0] if session.posargs else DEFAULT_RANGE
    selection = select(changed_files(revision_range, ROOT), load_workspace(ROOT), revision_range)
    queued = nox_sessions(selection)
    if not queued:
        session.log(f"{revision_range}: no package, test or doc changed; nothing to run")
        return
    session.log(f"{revision_range}: changed {selection.changed or '-'}; running {', '.join(queued)}")
    for name in queued:
        session.notify(name, posargs=[])


@nox.session
def fragments(session: nox.Session) -> None:
    """Every package whose ``src/`` changed in a git range carries a changelog fragment."""
    session.run("python", "tools/check_fragments.py", *(session.posargs or [DEFAULT_RANGE]))


@nox.session
def release(session: nox.Session) -> None:
    """``nox -s release -- <distribution> <major|minor|patch> [--dry-run]``: bump, changelog, commit, tag."""
    if len(session.posargs) < 2:
        session.error("usage: nox -s release -- <distribution> <major|minor|patch> [--dry-run]")
    session.install(*RELEASE_TOOLS)
    session.run("python", "tools/release.py", *session.posargs, external=True)


@nox.session
def demo(session: nox.Session) -> None:
    """Run ``snn demo`` (``nox -s demo -- <demo arguments>``) with the packages it draws on."""
    session.install(TORCH)
    session.install(
        f"{package_path(CORE)}[plot,demo]",
        *[package_path(d) for d in ("snn-neurons", "snn-encoding", "snn-tracelayers")],
    )
    session.run("snn", "demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """``python benchmarks/run.py`` with every package and the peer libraries installed."""
    install_packages(session, DISTRIBUTIONS)
    session.install(*PEER_DEPS)
    session.install("--no-deps", *PEERS)
    assert_torch_unchanged(session)
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy (non-strict, root pyproject config) over each package's sources; part of CI.

    Lists the packages that fail. ``nox -s typecheck -- snn-core`` checks one. mypy is pinned: a new
    release's checks should arrive by a deliberate bump, not break CI on their own.
    """
    install_packages(session, DISTRIBUTIONS, "mypy==2.4.1")
    failing = []
    for distribution in session.posargs or DISTRIBUTIONS:
        try:
            session.run(
                "mypy",
                "--config-file",
                str(ROOT / "pyproject.toml"),
                f"packages/{distribution}/src/{distribution.replace('-', '_')}",
            )
        except nox.command.CommandFailed:
            failing.append(distribution)
    if failing:
        session.error(f"mypy reports errors in: {', '.join(failing)}")
