"""snn_core.testing: the conformance checks pass conforming specs and name what a broken one breaks."""

from __future__ import annotations

from typing import NamedTuple

import pytest
import torch

import snn_core
from snn_core.testing import (
    ConformanceError,
    check_encoder_spec,
    check_layer_spec,
    check_neuron_spec,
    check_plugin,
    check_threshold_spec,
    compile_enabled,
)


# ---------------------------------------------------------------- a small conforming plugin, defined here
class LeakParameters(NamedTuple):
    tau: float = 0.01
    v_th: float = 1.0
    method: str = "super"
    alpha: float = 10.0


class LeakState(NamedTuple):
    v: torch.Tensor


def leak_step(x, state, p, dt):
    v = state.v + dt / p.tau * (x - state.v)
    z = snn_core.threshold(v - p.v_th, p.method, p.alpha)
    return z, LeakState(v=v - z * v)


def leak_initial_state(x, p):
    return LeakState(v=torch.zeros_like(x))


def leak_sequence(xs, state, p, dt):
    outs = []
    for x in xs.unbind(0):
        z, state = leak_step(x, state, p, dt)
        outs.append(z)
    return torch.stack(outs), state


LEAK = snn_core.NeuronSpec(
    name="test_leak",
    step=leak_step,
    parameters=LeakParameters,
    state=LeakState,
    initial_state=leak_initial_state,
    sequence=leak_sequence,
)


class Scale(snn_core.Layer):
    def __init__(self, num_neurons: int, beta: float = 0.8, dim: int = -1) -> None:
        super().__init__(num_neurons, dim)
        self._register_decay("beta", beta, rank=1, learnable=True)
        self._initialize_state("mem")

    def forward(self, x):
        self._ensure_states(x)
        mem = self.beta * self._to_working_dim(self.mem) + self._to_working_dim(x)
        self.mem = self._from_working_dim(mem)
        return snn_core.threshold(self.mem - 1.0, "super", 10.0)


SCALE = snn_core.LayerSpec(name="TestScale", cls=Scale, family="test")


def ramp(x, alpha):
    """A conforming surrogate written with snn_core.surrogate_function."""
    return _Ramp.apply(x, alpha)


_Ramp = snn_core.surrogate_function("Ramp", lambda x, alpha, grad: grad * torch.relu(1 - alpha * x.abs()))


# ---------------------------------------------------------------- passing
def test_threshold_check_passes_core_and_custom_surrogates() -> None:
    assert check_threshold_spec("super", 100.0, compile=False) == [
        "follows input",
        "heaviside forward",
        "0-d input",
        "surrogate gradient",
    ]
    assert check_threshold_spec(snn_core.ThresholdSpec(name="ramp", fn=ramp), 2.0)[-1] == "torch.compile"


def test_neuron_check_passes_and_compares_sequence() -> None:
    ran = check_neuron_spec(LEAK)
    assert ran == [
        "namedtuples",
        "state from None",
        "step",
        "pure step",
        "follows input",
        "sequence equals step loop",
        "surrogate gradient",
        "torch.compile",
    ]


def test_layer_check_passes_a_layer_subclass() -> None:
    ran = check_layer_spec(SCALE, 3, compile=False)
    assert ran == [
        "module",
        "follows input",
        "state from None",
        "zero_states",
        "surrogate gradient",
        "state_dict round trip",
    ]


def test_layer_check_compiles() -> None:
    assert check_layer_spec(SCALE, 3)[-1] == "torch.compile"


def test_check_plugin_runs_every_hook() -> None:
    class Plugin:
        @snn_core.hookimpl
        def snn_register_neurons(self):
            return [LEAK]

        @snn_core.hookimpl
        def snn_register_layers(self):
            return [SCALE]

    results = check_plugin(Plugin(), layer_args={"TestScale": ((5,), {"beta": 0.5})}, compile=False)
    assert sorted(results) == ["layers:TestScale", "neurons:test_leak"]


def test_encoder_check() -> None:
    spec = snn_core.EncoderSpec(name="test_rate", fn=lambda x, steps: x.expand(steps, *x.shape).clone())
    assert check_encoder_spec(spec, 4) == ["follows input", "finite"]
    bad = snn_core.EncoderSpec(name="test_cpu64", fn=lambda x: x.to(torch.float64) / 0)
    with pytest.raises(ConformanceError, match=r"dtype|non-finite"):
        check_encoder_spec(bad)


def test_compile_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SNN_TESTING_SKIP_COMPILE", raising=False)
    assert compile_enabled() is True
    monkeypatch.setenv("SNN_TESTING_SKIP_COMPILE", "1")
    assert compile_enabled() is False
    assert compile_enabled(True) is True
    assert "torch.compile" not in check_neuron_spec(LEAK)


# ---------------------------------------------------------------- failing: each names the broken rule
def test_threshold_without_surrogate_fails() -> None:
    spec = snn_core.ThresholdSpec(name="hard", fn=lambda x, alpha: (x > 0).to(x.dtype))
    with pytest.raises(ConformanceError, match="'hard' fails the 'surrogate gradient' check"):
        check_threshold_spec(spec, compile=False)
    assert "surrogate gradient" not in check_threshold_spec(spec, surrogate=False, compile=False)


def test_threshold_with_wrong_forward_fails() -> None:
    spec = snn_core.ThresholdSpec(name="geq", fn=lambda x, alpha: ramp(x, alpha) + (x == 0).to(x.dtype))
    with pytest.raises(ConformanceError, match="heaviside forward"):
        check_threshold_spec(spec, 1.0, compile=False)


def test_threshold_returning_float32_fails() -> None:
    spec = snn_core.ThresholdSpec(name="f32", fn=lambda x, alpha: ramp(x, alpha).float())
    with pytest.raises(ConformanceError, match=r"dtype torch.float32, the input torch.float64"):
        check_threshold_spec(spec, 1.0, compile=False)


def test_neuron_state_in_fixed_dtype_fails() -> None:
    spec = snn_core.NeuronSpec(
        name="f32_state",
        step=leak_step,
        parameters=LeakParameters,
        state=LeakState,
        initial_state=lambda x, p: LeakState(v=torch.zeros(x.shape)),
    )
    with pytest.raises(ConformanceError, match=r"'state from None'.*initial state.v has dtype torch.float32"):
        check_neuron_spec(spec, compile=False)


def test_neuron_mutating_state_fails() -> None:
    def mutating(x, state, p, dt):
        state.v.add_(x)
        return leak_step(x, state, p, dt)

    spec = snn_core.NeuronSpec(
        name="mutating",
        step=mutating,
        parameters=LeakParameters,
        state=LeakState,
        initial_state=leak_initial_state,
    )
    with pytest.raises(ConformanceError, match="pure step"):
        check_neuron_spec(spec, compile=False)


def test_neuron_without_defaults_fails() -> None:
    class Required(NamedTuple):
        tau: float

    spec = snn_core.NeuronSpec(
        name="nodefault",
        step=leak_step,
        parameters=Required,
        state=LeakState,
        initial_state=leak_initial_state,
    )
    with pytest.raises(ConformanceError, match="parameters\\(\\) must build with defaults"):
        check_neuron_spec(spec)


def test_neuron_sequence_mismatch_fails() -> None:
    def wrong_sequence(xs, state, p, dt):
        zs, state = leak_sequence(xs, state, p, dt)
        return zs, LeakState(v=state.v + 1)

    spec = snn_core.NeuronSpec(
        name="wrongseq",
        step=leak_step,
        parameters=LeakParameters,
        state=LeakState,
        initial_state=leak_initial_state,
        sequence=wrong_sequence,
    )
    with pytest.raises(ConformanceError, match="sequence equals step loop"):
        check_neuron_spec(spec, compile=False)


def test_neuron_without_gradient_fails() -> None:
    def detached(x, state, p, dt):
        z, state = leak_step(x.detach(), state, p, dt)
        return z, state

    spec = snn_core.NeuronSpec(
        name="detached",
        step=detached,
        parameters=LeakParameters,
        state=LeakState,
        initial_state=leak_initial_state,
    )
    with pytest.raises(ConformanceError, match=r"no gradient reaches the input|gradient is missing"):
        check_neuron_spec(spec, compile=False)


def test_layer_with_eager_state_fails() -> None:
    class Eager(Scale):
        def __init__(self, num_neurons: int) -> None:
            super().__init__(num_neurons)
            self.mem = torch.zeros(2, num_neurons)

    with pytest.raises(ConformanceError, match=r"'state from None'.*exist before the first input"):
        check_layer_spec(snn_core.LayerSpec(name="Eager", cls=Eager, family="t"), 3, compile=False)


def test_layer_with_unloadable_parameters_fails() -> None:
    class Renamed(Scale):
        _count = 0

        def __init__(self, num_neurons: int) -> None:
            super().__init__(num_neurons)
            Renamed._count += 1
            self.register_parameter(f"extra{Renamed._count}", torch.nn.Parameter(torch.ones(1)))

    with pytest.raises(ConformanceError, match="state_dict round trip"):
        check_layer_spec(snn_core.LayerSpec(name="Renamed", cls=Renamed, family="t"), 3, compile=False)


def test_layer_output_on_wrong_dtype_fails() -> None:
    class Float32Out(Scale):
        def forward(self, x):
            return super().forward(x).float()

    with pytest.raises(ConformanceError, match="follows input"):
        check_layer_spec(snn_core.LayerSpec(name="F32", cls=Float32Out, family="t"), 3, compile=False)


def test_specs_by_registered_name_and_type_errors() -> None:
    assert "surrogate gradient" in check_threshold_spec("tanh", compile=False)
    with pytest.raises(KeyError, match="no_such_threshold"):
        check_threshold_spec("no_such_threshold")
    with pytest.raises(TypeError, match="spec must be a NeuronSpec"):
        check_neuron_spec(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input_shape is required"):
        check_layer_spec(snn_core.LayerSpec(name="Lin", cls=torch.nn.Linear, family="t"), 3, 3)
