"""The plugin system: hooks, specs, registry, listing and in-process registration."""

from __future__ import annotations

from .hookspecs import hookimpl, hookspec
from .manager import (
    ENTRY_POINT_GROUP,
    ComponentMapping,
    PluginInfo,
    PluginWarning,
    Registry,
    list_plugins,
    register,
    registered,
    registry,
    reload_plugins,
    unregister,
)
from .specs import EncoderSpec, KernelSpec, LayerSpec, NeuronSpec, PlasticitySpec, ThresholdSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "ComponentMapping",
    "EncoderSpec",
    "KernelSpec",
    "LayerSpec",
    "NeuronSpec",
    "PlasticitySpec",
    "PluginInfo",
    "PluginWarning",
    "Registry",
    "ThresholdSpec",
    "hookimpl",
    "hookspec",
    "list_plugins",
    "register",
    "registered",
    "registry",
    "reload_plugins",
    "unregister",
]
