"""snn-core: the plugin system, registry, surrogate thresholds and state machinery of snn.

Everything else (neurons, encoders, layers, kernels) comes from plugins that register through the
hooks defined here; see :mod:`snn_core.plugins`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from . import functional
from .errors import (
    BackendUnavailableError,
    IncompatiblePluginError,
    PluginConflictError,
    PluginError,
    PluginLoadError,
    SNNError,
    UnknownComponentError,
)
from .functional import (
    decay_to_halflife,
    decay_to_timesteps,
    halflife_to_decay,
    mamba_scale,
    probabilistic_ste,
    round_ste,
    sigmoid_inverse,
    softplus_inverse,
    stochastic_round_ste,
    timesteps_to_decay,
)
from .kernels import select_kernel
from .layer import Layer, RegisteredThreshold, resolve_spike_fn
from .lift import lift
from .model import Model
from .neuron import Neuron, check_dt
from .plugins import (
    EncoderSpec,
    KernelSpec,
    LayerSpec,
    NeuronSpec,
    PlasticitySpec,
    PluginInfo,
    PluginWarning,
    ThresholdSpec,
    hookimpl,
    list_plugins,
    register,
    registered,
    registry,
    reload_plugins,
    unregister,
)
from .surrogates import (
    circ_dist_fn,
    heavi_circ_fn,
    heavi_erfc_fn,
    heavi_tanh_fn,
    heaviside,
    logistic_fn,
    sigmoid4x,
    super_fn,
    surrogate_function,
    triangle_fn,
)
from .threshold import sign, threshold

try:
    __version__ = _version("snn-core")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0"

__all__ = [
    "BackendUnavailableError",
    "EncoderSpec",
    "IncompatiblePluginError",
    "KernelSpec",
    "LayerSpec",
    "Neuron",
    "NeuronSpec",
    "PlasticitySpec",
    "PluginConflictError",
    "PluginError",
    "PluginInfo",
    "PluginLoadError",
    "PluginWarning",
    "SNNError",
    "ThresholdSpec",
    "UnknownComponentError",
    "check_dt",
    "circ_dist_fn",
    "heavi_circ_fn",
    "heavi_erfc_fn",
    "heavi_tanh_fn",
    "heaviside",
    "hookimpl",
    "lift",
    "list_plugins",
    "logistic_fn",
    "register",
    "registered",
    "registry",
    "reload_plugins",
    "select_kernel",
    "sigmoid4x",
    "sign",
    "super_fn",
    "surrogate_function",
    "threshold",
    "triangle_fn",
    "unregister",
    "__version__",
    "Layer",
    "Model",
    "RegisteredThreshold",
    "resolve_spike_fn",
    "functional",
    "halflife_to_decay",
    "decay_to_halflife",
    "timesteps_to_decay",
    "decay_to_timesteps",
    "sigmoid_inverse",
    "softplus_inverse",
    "mamba_scale",
    "round_ste",
    "stochastic_round_ste",
    "probabilistic_ste",
]
