"""Discovery, validation and bookkeeping of plugins.

We run our own loop over the ``snn`` entry points instead of pluggy's
``load_setuptools_entrypoints`` so that each distribution is handled on its own: a plugin that
fails to import, is incompatible with this snn-core, raises in a hook, returns something that is
not a spec or collides with another plugin is reported (a warning and status ``error`` or
``incompatible``) and skipped, and never stops ``import snn_core`` or the other plugins. With
``SNN_STRICT_PLUGINS=1`` the same problems raise.

A plugin is registered atomically: every spec it returns is validated first, and only a plugin
whose specs are all valid and free of conflicts contributes any of them.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from types import MappingProxyType
from typing import Any

import pluggy
import torch
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from ..errors import (
    IncompatiblePluginError,
    PluginConflictError,
    PluginError,
    PluginLoadError,
    UnknownComponentError,
)
from . import hookspecs
from .official import OFFICIAL
from .specs import SPEC_KINDS

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginInfo",
    "PluginWarning",
    "Registry",
    "ComponentMapping",
    "registry",
    "reload_plugins",
    "list_plugins",
    "register",
    "unregister",
    "registered",
]

ENTRY_POINT_GROUP = "snn"
CORE_DISTRIBUTION = "snn-core"
BUILTIN_NAME = "snn-core"


class PluginWarning(UserWarning):
    """A plugin was skipped; the message says which and why."""


@dataclass
class PluginInfo:
    """What the listing knows about one plugin.

    Attributes:
        name: distribution name (or the name given to ``register`` for in-process plugins).
        version: distribution version, ``""`` for in-process plugins.
        entry_point: ``"name = module"`` of the entry point, ``""`` when registered in-process.
        status: ``active``, ``disabled``, ``incompatible`` or ``error``.
        reason: why the plugin is not active (empty when active).
        components: registry kind -> names this plugin registered.
    """

    name: str
    version: str
    entry_point: str
    status: str
    reason: str = ""
    components: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "entry_point": self.entry_point,
            "status": self.status,
            "reason": self.reason,
            "components": self.components,
        }


class ComponentMapping(Mapping[str, Any]):
    """A read-only name -> spec mapping whose misses name what to install."""

    def __init__(self, kind: str, specs: dict[str, Any], providers: dict[str, str]) -> None:
        self._kind = kind
        self._specs = MappingProxyType(specs)
        self._providers = MappingProxyType(providers)

    @property
    def kind(self) -> str:
        return self._kind

    def __getitem__(self, name: str) -> Any:
        try:
            return self._specs[name]
        except KeyError:
            raise unknown_component(self._kind, name, self._specs) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"ComponentMapping({self._kind!r}, {sorted(self._specs)!r})"

    def provider(self, name: str) -> str:
        """The distribution (or in-process plugin name) that registered ``name``."""
        self[name]
        return self._providers[name]


def unknown_component(kind: str, name: object, known: Iterable[str]) -> UnknownComponentError:
    """Build the error for a name nobody registered, with an install hint where we know one."""
    singular = kind.rstrip("s").replace("_rule", " rule")
    registered = ", ".join(sorted(known)) or "none"
    hint = ""
    official = OFFICIAL.get(kind, {})
    if isinstance(name, str) and name in official:
        dist = official[name]
        hint = f"'{name}' is provided by {dist}: pip install {dist}. "
    message = f"{hint}Unknown {singular} {name!r}; registered {kind}: {registered}."
    return UnknownComponentError(message, kind=kind, name=str(name))


class Registry:
    """Every registered component, by kind. Obtain it with ``snn_core.registry()``.

    Attributes ``thresholds``, ``neurons``, ``encoders``, ``plasticity_rules``, ``layers`` and
    ``kernels`` are read-only mappings from name to spec. ``plugins`` lists every plugin seen,
    including the skipped ones.
    """

    thresholds: ComponentMapping
    neurons: ComponentMapping
    encoders: ComponentMapping
    plasticity_rules: ComponentMapping
    layers: ComponentMapping
    kernels: ComponentMapping

    def __init__(
        self,
        specs: dict[str, dict[str, Any]],
        providers: dict[str, dict[str, str]],
        plugins: list[PluginInfo],
    ) -> None:
        for kind in KINDS:
            setattr(self, kind, ComponentMapping(kind, specs[kind], providers[kind]))
        self.plugins: tuple[PluginInfo, ...] = tuple(plugins)

    def kind(self, kind: str) -> ComponentMapping:
        """The mapping of one kind, by name (``"neurons"``); unknown kinds raise ``ValueError``."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
        return getattr(self, kind)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(getattr(self, k))}" for k in KINDS)
        return f"Registry({counts})"


KINDS: tuple[str, ...] = tuple(kind for kind, _ in SPEC_KINDS.values())


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {item.strip() for item in value.split(",") if item.strip()}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def _core_version() -> Version | None:
    try:
        return Version(metadata.version(CORE_DISTRIBUTION))
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return None


def _core_requirement(dist: metadata.Distribution) -> Requirement | None:
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.name.lower().replace("_", "-") == CORE_DISTRIBUTION and not req.marker:
            return req
    return None


def _matches(selector: set[str], dist_name: str, ep_name: str) -> bool:
    normalized = dist_name.lower().replace("_", "-")
    return bool({dist_name, normalized, ep_name} & selector)


class _Builder:
    """Builds one Registry: loads plugins, calls hooks, validates, detects conflicts."""

    def __init__(self, in_process: list[tuple[str, object]]) -> None:
        self.strict = _env_flag("SNN_STRICT_PLUGINS")
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.specs: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        self.providers: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
        self.plugins: list[PluginInfo] = []
        self.in_process = in_process

    def fail(self, info: PluginInfo, status: str, error: PluginError) -> None:
        info.status = status
        info.reason = str(error)
        self.plugins.append(info)
        if self.strict:
            raise error
        warnings.warn(str(error), PluginWarning, stacklevel=4)

    def build(self) -> Registry:
        from . import builtin

        self.add(PluginInfo(BUILTIN_NAME, str(_core_version() or ""), "", "active"), builtin)
        if not _env_flag("SNN_DISABLE_PLUGIN_AUTOLOAD"):
            self.load_entry_points()
        for name, plugin in self.in_process:
            self.add(PluginInfo(name, "", "", "active"), plugin)
        return Registry(self.specs, self.providers, self.plugins)

    def load_entry_points(self) -> None:
        allow = _env_list("SNN_LOAD_PLUGINS")
        deny = _env_list("SNN_DISABLE_PLUGINS") or set()
        core = _core_version()
        entry_points = sorted(
            metadata.entry_points(group=ENTRY_POINT_GROUP),
            key=lambda ep: (ep.dist.name if ep.dist else "", ep.name),
        )
        seen: set[tuple[str, str]] = set()
        for ep in entry_points:
            dist = ep.dist
            dist_name = dist.name if dist else ep.name
            if (dist_name, ep.name) in seen:  # the same distribution found twice on sys.path
                continue
            seen.add((dist_name, ep.name))
            info = PluginInfo(dist_name, dist.version if dist else "", f"{ep.name} = {ep.value}", "active")
            if (allow is not None and not _matches(allow, dist_name, ep.name)) or _matches(
                deny, dist_name, ep.name
            ):
                info.status = "disabled"
                info.reason = (
                    "disabled by SNN_LOAD_PLUGINS"
                    if allow is not None and not _matches(allow, dist_name, ep.name)
                    else "disabled by SNN_DISABLE_PLUGINS"
                )
                self.plugins.append(info)
                continue
            req = _core_requirement(dist) if dist else None
            if req is not None and core is not None and not req.specifier.contains(core, prereleases=True):
                self.fail(
                    info,
                    "incompatible",
                    IncompatiblePluginError(
                        f"plugin {dist_name} {info.version} requires {CORE_DISTRIBUTION}{req.specifier}, "
                        f"but {CORE_DISTRIBUTION} {core} is installed; it was not loaded",
                        distribution=dist_name,
                    ),
                )
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self.fail(
                    info,
                    "error",
                    PluginLoadError(
                        f"plugin {dist_name} failed to import {ep.value!r}: {type(exc).__name__}: {exc}",
                        distribution=dist_name,
                    ),
                )
                continue
            self.add(info, plugin)

    def add(self, info: PluginInfo, plugin: object) -> None:
        try:
            self.pm.register(plugin, name=f"{info.name}:{info.entry_point or id(plugin)}")
        except Exception as exc:
            self.fail(
                info,
                "error",
                PluginLoadError(
                    f"plugin {info.name} could not be registered: {type(exc).__name__}: {exc}",
                    distribution=info.name,
                ),
            )
            return
        collected: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        unknown = sorted(
            attr
            for attr in dir(plugin)
            if attr.startswith("snn_")
            and attr not in SPEC_KINDS
            and attr != "snn_register_converters"
            and getattr(getattr(plugin, attr, None), "snn_impl", None) is not None
        )
        if unknown:
            warnings.warn(
                f"plugin {info.name} implements unknown hooks {unknown}; they are ignored "
                f"(is it written for a newer snn-core?)",
                PluginWarning,
                stacklevel=4,
            )
        for hook_name, (kind, spec_type) in SPEC_KINDS.items():
            impls = [i for i in getattr(self.pm.hook, hook_name).get_hookimpls() if i.plugin is plugin]
            if not impls:
                continue
            try:
                result = impls[0].function()
                items = [] if result is None else list(result)
            except Exception as exc:
                self.pm.unregister(plugin)
                self.fail(
                    info,
                    "error",
                    PluginLoadError(
                        f"plugin {info.name} raised in {hook_name}: {type(exc).__name__}: {exc}",
                        distribution=info.name,
                    ),
                )
                return
            for item in items:
                problem = ""
                if not isinstance(item, spec_type):
                    problem = f"returned {type(item).__name__} {item!r} from {hook_name}; expected {spec_type.__name__}"
                elif item.name in collected[kind]:
                    problem = f"registers the {kind[:-1]} {item.name!r} twice"
                elif item.name in self.specs[kind]:
                    other = self.providers[kind][item.name]
                    self.pm.unregister(plugin)
                    self.fail(
                        info,
                        "error",
                        PluginConflictError(
                            f"{kind[:-1].replace('_', ' ')} {item.name!r} is registered by both {other} and "
                            f"{info.name}; {info.name} was not loaded (uninstall one of them, or disable one "
                            f"with SNN_DISABLE_PLUGINS)",
                            distribution=info.name,
                        ),
                    )
                    return
                if problem:
                    self.pm.unregister(plugin)
                    self.fail(
                        info,
                        "error",
                        PluginLoadError(f"plugin {info.name} {problem}", distribution=info.name),
                    )
                    return
                collected[kind][item.name] = item
        for kind, specs in collected.items():
            for name, spec in specs.items():
                self.specs[kind][name] = spec
                self.providers[kind][name] = info.name
            if specs:
                info.components[kind] = sorted(specs)
        self.plugins.append(info)


_lock = threading.RLock()
_registry: Registry | None = None
_in_process: list[tuple[str, object]] = []


def registry() -> Registry:
    """The registry of every component, built on first use from the installed plugins."""
    current = _registry
    if current is not None:
        return current
    return _build_registry()


@torch.compiler.disable
def _build_registry() -> Registry:
    # Outside the compiler: building imports plugins and takes a lock, neither of which Dynamo can trace.
    global _registry
    with _lock:
        if _registry is None:
            _registry = _Builder(list(_in_process)).build()
        return _registry


def reload_plugins() -> Registry:
    """Forget the registry and build it again (after installing a plugin or changing a switch)."""
    global _registry
    with _lock:
        _registry = None
    return registry()


def list_plugins() -> list[PluginInfo]:
    """Every plugin seen: built-in, installed (any status) and registered in-process."""
    return list(registry().plugins)


def register(plugin: object, name: str | None = None) -> str:
    """Register a plugin object (a module or an object with ``@hookimpl`` methods) in this process.

    The registry is rebuilt at the next lookup. Returns the name under which it is listed.
    """
    global _registry
    label = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    with _lock:
        if any(p is plugin for _, p in _in_process):
            raise ValueError(f"plugin {label!r} is already registered")
        if any(n == label for n, _ in _in_process):
            raise ValueError(f"a plugin named {label!r} is already registered; pass another name=")
        _in_process.append((label, plugin))
        _registry = None
    return label


def unregister(plugin: object) -> None:
    """Remove a plugin registered with :func:`register`; unknown plugins raise ``ValueError``."""
    global _registry
    with _lock:
        for index, (_, p) in enumerate(_in_process):
            if p is plugin:
                del _in_process[index]
                _registry = None
                return
    raise ValueError(f"plugin {plugin!r} is not registered in this process")


@contextmanager
def registered(plugin: object, name: str | None = None) -> Iterator[Registry]:
    """Register ``plugin`` for the duration of a ``with`` block; yields the rebuilt registry.

    With ``SNN_STRICT_PLUGINS`` unset, a faulty plugin is reported by a :class:`PluginWarning` and
    listed with status ``error``; the block still runs.
    """
    register(plugin, name)
    try:
        yield registry()
    finally:
        unregister(plugin)
