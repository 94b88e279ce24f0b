"""Development sessions of the snn monorepo.

Every session installs ``torch==2.13.0`` before any package so pip never resolves a newer (CUDA)
build; the packages' own ``torch>=2.4`` is then already satisfied.

    nox -s tests                    # everything installed + each package alone beside snn-core
    nox -s "tests(snn-neurons)"     # one package alone beside snn-core
    nox -s integration lint docs parity build
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = ROOT / "packages"
CORE = "snn-core"
DISTRIBUTIONS = sorted(p.name for p in PACKAGES.iterdir() if (p / "pyproject.toml").exists())
PLUGINS = [d for d in DISTRIBUTIONS if d != CORE]
TORCH = "torch==2.13.0"
TEST_TOOLS = ["pytest>=8", "numpy"]
REFERENCES = ["norse==1.1.0", "tracetorch==0.19.2"]
REFERENCE_DEPS = ["nir", "nirtorch", "h5py", "matplotlib", "scipy"]

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




@nox.session(tags=["tests"])
@nox.parametrize("distribution", ["all", *DISTRIBUTIONS], ids=["all", *DISTRIBUTIONS])
def tests(session: nox.Session, distribution: str) -> None:
    """Package tests: ``all`` installs every package; otherwise only snn-core and that package."""
    if distribution == "all":
        install_packages(session, DISTRIBUTIONS)
        pytest(session, *[f"packages/{d}/tests" for d in DISTRIBUTIONS])
        return
    install_packages(session, [distribution])
    others = [d.replace("-", "_") for d in PLUGINS if d != distribution]
    session.run(
        "python", "-c",
        "import importlib.util, sys; leaked = [m for m in sys.argv[1:] if importlib.util.find_spec(m)]; "
        "sys.exit(f'isolation broken: {leaked} importable') if leaked else None",
        *others,
    )
    pytest(session, f"packages/{distribution}/tests")


@nox.session(tags=["tests"])
def integration(session: nox.Session) -> None:
    """Cross-package tests (root ``tests/`` except parity) with every package installed."""
    install_packages(session, DISTRIBUTIONS)
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
    """sdist and wheel of every package into ``dist/``, checked with ``twine check``."""
    session.install("build", "twine")
    out = ROOT / "dist"
    for distribution in DISTRIBUTIONS:
        session.run("python", "-m", "build", "--outdir", str(out), package_path(distribution))
    session.run("twine", "check", "--strict", *[str(p) for p in sorted(out.glob("*"))])
