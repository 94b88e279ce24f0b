"""The hook specifications of the ``snn`` plugin system.

Every hook takes no argument and returns an iterable of specs (or ``None``). Hooks are declarative:
they are called once when the registry is built, so their order never matters.
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from .specs import EncoderSpec, KernelSpec, LayerSpec, NeuronSpec, PlasticitySpec, ThresholdSpec

PROJECT_NAME = "snn"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def snn_register_thresholds() -> Iterable[ThresholdSpec]:  # type: ignore[empty-body]
    """Return the spike threshold (surrogate) functions this plugin provides."""


@hookspec
def snn_register_neurons() -> Iterable[NeuronSpec]:  # type: ignore[empty-body]
    """Return the neuron models this plugin provides."""


@hookspec
def snn_register_encoders() -> Iterable[EncoderSpec]:  # type: ignore[empty-body]
    """Return the encoders this plugin provides."""


@hookspec
def snn_register_plasticity_rules() -> Iterable[PlasticitySpec]:  # type: ignore[empty-body]
    """Return the plasticity rules this plugin provides."""


@hookspec
def snn_register_layers() -> Iterable[LayerSpec]:  # type: ignore[empty-body]
    """Return the layers this plugin provides, each with its family."""


@hookspec
def snn_register_kernels() -> Iterable[KernelSpec]:  # type: ignore[empty-body]
    """Return the accelerated kernels this plugin provides."""


@hookspec
def snn_register_converters() -> Iterable[object]:  # type: ignore[empty-body]
    """Reserved for NIR import/export converters; not read by this version of snn-core."""
