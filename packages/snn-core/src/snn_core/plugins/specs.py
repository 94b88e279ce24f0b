"""The frozen dataclasses a plugin returns from its hooks.

A spec describes one component. It is immutable once created and validated in ``__post_init__``,
so a malformed spec is reported with the plugin that returned it instead of failing later at use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ThresholdSpec",
    "NeuronSpec",
    "EncoderSpec",
    "PlasticitySpec",
    "LayerSpec",
    "KernelSpec",
    "SPEC_KINDS",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\-]*$")


def _check_name(spec: object, name: object) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"{type(spec).__name__}.name must be an identifier-like string "
            f"(letters, digits, '_', '-', '.', ':'), got {name!r}"
        )


def _check_callable(spec: object, field_name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not callable(value):
        raise TypeError(
            f"{type(spec).__name__}.{field_name} must be callable, got {type(value).__name__}: {value!r}"
        )


@dataclass(frozen=True, kw_only=True)
class ThresholdSpec:
    """A spike threshold (surrogate gradient) function.

    Attributes:
        name: the ``method`` string neurons use to select it, e.g. ``"super"``.
        fn: ``fn(x, alpha) -> Tensor``; Heaviside ``x > 0`` forward, surrogate gradient backward.
        derivative: optional ``derivative(x, alpha) -> Tensor``, the factor $\\partial z/\\partial x$ the
            backward of ``fn`` multiplies the incoming gradient by. Give it only when the forward of
            ``fn`` is exactly ``(x > 0).to(x.dtype)``: fused whole-sequence paths then run the
            threshold inline and use it in their backward; without it they loop the step function.
        summary: one line shown by ``snn components``.
    """

    name: str
    fn: Callable[..., Any]
    derivative: Callable[..., Any] | None = None
    summary: str = ""

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        _check_callable(self, "fn", self.fn)
        _check_callable(self, "derivative", self.derivative, optional=True)


@dataclass(frozen=True, kw_only=True)
class NeuronSpec:
    """A neuron model given as a pure step function over NamedTuple state.

    Attributes:
        name: registry name, e.g. ``"lif"``.
        step: ``step(x, state, p, dt) -> (z, state)``, one Euler step.
        parameters: NamedTuple class whose fields all have defaults.
        state: NamedTuple class of the state.
        initial_state: ``initial_state(x, p) -> state`` shaped like one time step ``x``.
        sequence: optional whole-sequence path ``sequence(xs, state, p, dt) -> (zs, state)`` for
            time-first ``xs``, equal to looping ``step``.
        summary: one line shown by ``snn components``.
    """

    name: str
    step: Callable[..., Any]
    parameters: type
    state: type
    initial_state: Callable[..., Any]
    sequence: Callable[..., Any] | None = None
    summary: str = ""

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        _check_callable(self, "step", self.step)
        _check_callable(self, "initial_state", self.initial_state)
        _check_callable(self, "sequence", self.sequence, optional=True)
        for attr in ("parameters", "state"):
            if not isinstance(getattr(self, attr), type):
                raise TypeError(
                    f"NeuronSpec.{attr} must be a class (a NamedTuple), got {getattr(self, attr)!r}"
                )


@dataclass(frozen=True, kw_only=True)
class EncoderSpec:
    """An encoder turning values into spikes (or spikes into values, for a decoder).

    Attributes:
        name: registry name, e.g. ``"poisson"``.
        fn: the functional form, e.g. ``poisson_encode``.
        module: optional ``nn.Module`` class wrapping ``fn``.
        summary: one line shown by ``snn components``.
    """

    name: str
    fn: Callable[..., Any]
    module: type | None = None
    summary: str = ""

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        _check_callable(self, "fn", self.fn)


@dataclass(frozen=True, kw_only=True)
class PlasticitySpec:
    """A plasticity (learning) rule given as a step function.

    Attributes:
        name: registry name, e.g. ``"stdp_sensor"``.
        step: the step function of the rule.
        parameters: optional NamedTuple class of its parameters.
        state: optional NamedTuple class of its state.
        module: optional ``nn.Module`` class wrapping the rule.
        summary: one line shown by ``snn components``.
    """

    name: str
    step: Callable[..., Any]
    parameters: type | None = None
    state: type | None = None
    module: type | None = None
    summary: str = ""

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        _check_callable(self, "step", self.step)


@dataclass(frozen=True, kw_only=True)
class LayerSpec:
    """A stateful layer class (``snn_core.Layer`` subclass or any ``nn.Module``).

    Attributes:
        name: registry name, by convention the class name (``"LIB"``, ``"LSTM"``).
        cls: the class; ``cls(*args, **kwargs)`` builds the layer.
        family: ``"trace"``, ``"rnn"``, ``"ssm"`` or a plugin's own family.
        summary: one line shown by ``snn components``.
    """

    name: str
    cls: type
    family: str
    summary: str = ""

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        if not isinstance(self.cls, type):
            raise TypeError(f"LayerSpec.cls must be a class, got {self.cls!r}")
        if not isinstance(self.family, str) or not self.family:
            raise ValueError(f"LayerSpec.family must be a non-empty string, got {self.family!r}")


def _always() -> bool:
    return True


@dataclass(frozen=True, kw_only=True)
class KernelSpec:
    """An accelerated implementation of a target computation.

    Attributes:
        name: registry name, unique among kernels, e.g. ``"triton:neuron:lif"``.
        target: what it accelerates, e.g. ``"neuron:lif"`` or ``"trace:LIB"``.
        backend: the ``backend=`` value that selects it explicitly, e.g. ``"cuda"``.
        device: the torch device type it runs on, e.g. ``"cuda"``.
        fn: the implementation; its signature is fixed by the target's owner.
        is_available: ``() -> bool``; False when the kernel cannot run in this process (no GPU,
            Triton missing). It is called lazily, at selection time.
        priority: among available kernels for one target and device, ``backend="auto"`` picks the
            highest.
        summary: one line shown by ``snn components``.
    """

    name: str
    target: str
    backend: str
    device: str
    fn: Callable[..., Any]
    is_available: Callable[[], bool] = field(default=_always)
    priority: int = 0
    summary: str = ""

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        _check_callable(self, "fn", self.fn)
        _check_callable(self, "is_available", self.is_available)
        for attr in ("target", "backend", "device"):
            if not isinstance(getattr(self, attr), str) or not getattr(self, attr):
                raise ValueError(f"KernelSpec.{attr} must be a non-empty string, got {getattr(self, attr)!r}")


_AnySpec = ThresholdSpec | NeuronSpec | EncoderSpec | PlasticitySpec | LayerSpec | KernelSpec

#: hook name -> (registry attribute, spec class)
SPEC_KINDS: dict[str, tuple[str, type[_AnySpec]]] = {
    "snn_register_thresholds": ("thresholds", ThresholdSpec),
    "snn_register_neurons": ("neurons", NeuronSpec),
    "snn_register_encoders": ("encoders", EncoderSpec),
    "snn_register_plasticity_rules": ("plasticity_rules", PlasticitySpec),
    "snn_register_layers": ("layers", LayerSpec),
    "snn_register_kernels": ("kernels", KernelSpec),
}
