"""The monorepo as data: its packages, their versions and the dependencies between them.

Everything the other tools need to know about the layout lives here, read from each
``packages/<distribution>/pyproject.toml`` (no package is imported).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - nox itself depends on tomli on Python 3.10
    import tomli as tomllib

__all__ = [
    "CORE",
    "ROOT",
    "Package",
    "Workspace",
    "core_range_for",
    "load_workspace",
    "requirement_name",
]

ROOT = Path(__file__).resolve().parent.parent
CORE = "snn-core"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(requirement: str) -> str:
    """The normalized distribution name of a PEP 508 requirement string (``"snn-core>=0.1"`` -> ``snn-core``)."""
    match = _NAME.match(requirement)
    if not match:
        raise ValueError(f"requirement {requirement!r} does not start with a distribution name")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def core_range_for(version: str) -> str:
    """The capped ``snn-core`` range plugins declare for a core ``version``: ``>=X.Y,<X.(Y+1)``.

    >>> core_range_for("0.3.2")
    '>=0.3,<0.4'
    """
    major, minor = (int(part) for part in version.split(".")[:2])
    return f">={major}.{minor},<{major}.{minor + 1}"


@dataclass(frozen=True)
class Package:
    """One distribution under ``packages/``.

    Attributes:
        name: distribution name, e.g. ``"snn-neurons"``.
        path: its folder.
        version: the static ``project.version``.
        dependencies: its ``project.dependencies`` as written.
        internal: the workspace distributions it depends on.
    """

    name: str
    path: Path
    version: str
    dependencies: tuple[str, ...]
    internal: tuple[str, ...] = field(default=())

    @property
    def import_name(self) -> str:
        return self.name.replace("-", "_")

    @property
    def pyproject(self) -> Path:
        return self.path / "pyproject.toml"

    @property
    def changes(self) -> Path:
        return self.path / "changes"

    @property
    def changelog(self) -> Path:
        return self.path / "CHANGELOG.md"

    @property
    def tag(self) -> str:
        return f"{self.name}-v{self.version}"

    def requirement(self, name: str) -> str | None:
        """The dependency string on distribution ``name``, or None."""
        for dep in self.dependencies:
            if requirement_name(dep) == name:
                return dep
        return None


@dataclass(frozen=True)
class Workspace:
    """All packages of one checkout, keyed by distribution name (sorted)."""

    root: Path
    packages: dict[str, Package]

    @property
    def names(self) -> list[str]:
        return sorted(self.packages)

    @property
    def plugins(self) -> list[str]:
        return [name for name in self.names if name != CORE]

    def __getitem__(self, name: str) -> Package:
        try:
            return self.packages[name]
        except KeyError:
            raise KeyError(
                f"distribution {name!r} is not a package of this repository; known: {', '.join(self.names)}"
            ) from None

    def dependents(self, names: set[str] | list[str]) -> set[str]:
        """``names`` plus every package that depends on one of them, directly or transitively."""
        result = set(names)
        grew = True
        while grew:
            grew = False
            for package in self.packages.values():
                if package.name not in result and result.intersection(package.internal):
                    result.add(package.name)
                    grew = True
        return result

    def package_of(self, path: str) -> str | None:
        """The distribution a repository-relative path belongs to (``packages/<dist>/...``), or None."""
        parts = Path(path).parts
        if len(parts) >= 2 and parts[0] == "packages" and parts[1] in self.packages:
            return parts[1]
        return None


def load_workspace(root: Path | str = ROOT) -> Workspace:
    """Read every ``packages/*/pyproject.toml`` under ``root``."""
    root = Path(root)
    raw: dict[str, tuple[Path, dict]] = {}
    for pyproject in sorted((root / "packages").glob("*/pyproject.toml")):
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        project = data.get("project", {})
        name = project.get("name")
        if not name:
            raise ValueError(f"{pyproject} has no project.name")
        if pyproject.parent.name != name:
            raise ValueError(
                f"{pyproject}: folder name {pyproject.parent.name!r} differs from project.name {name!r}"
            )
        raw[name] = (pyproject.parent, project)
    packages = {}
    for name, (path, project) in raw.items():
        if "version" not in project:
            raise ValueError(f"{path / 'pyproject.toml'}: project.version must be static")
        dependencies = tuple(project.get("dependencies", []))
        internal = tuple(sorted({requirement_name(d) for d in dependencies} & set(raw)))
        packages[name] = Package(name, path, project["version"], dependencies, internal)
    return Workspace(root, packages)
