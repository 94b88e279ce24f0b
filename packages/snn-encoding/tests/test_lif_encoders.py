"""LIF-driven encoders: numbers, the registry lookup and the missing-plugin error."""

from __future__ import annotations

import math

import pytest
import torch

import snn_core
from snn_core import UnknownComponentError
from snn_encoding import (
    ConstantCurrentLIFEncoder,
    SpikeLatencyLIFEncoder,
    constant_current_lif_encode,
    lif_neuron_spec,
    spike_latency_lif_encode,
)

CURRENTS = torch.tensor([2.0, 4.0, 8.0, 16.0])


def reference_lif_spikes(current, steps, tau_mem_inv=100.0, v_th=1.0, v_reset=0.0, v_leak=0.0, dt=1e-3):
    """Euler steps of dv/dt = tau_mem_inv (v_leak - v + I), spike when v > v_th, then reset."""
    v = torch.zeros_like(current)
    out = []
    for _ in range(steps):
        v = v + dt * tau_mem_inv * (v_leak - v + current)
        z = (v > v_th).to(v.dtype)
        v = torch.where(z > 0, torch.full_like(v, v_reset), v)
        out.append(z)
    return torch.stack(out)


@pytest.mark.usefixtures("lif_registered")
class TestWithLIF:
    def test_verified_constant_current_example(self):
        out = constant_current_lif_encode(CURRENTS, 2)
        assert torch.equal(out, torch.tensor([[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]]))

    def test_verified_latency_example(self):
        out = spike_latency_lif_encode(CURRENTS, 5)
        expected = torch.tensor(
            [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=torch.float32
        )
        assert torch.equal(out, expected)

    def test_constant_current_matches_hand_derived_euler_steps(self):
        current = torch.linspace(-5.0, 60.0, 40)
        out = constant_current_lif_encode(current, 100)
        assert out.shape == (100, 40) and out.dtype == torch.float32
        assert torch.equal(out, reference_lif_spikes(current, 100))
        assert out.sum() > 100  # strong inputs spike repeatedly

    def test_stronger_current_spikes_earlier_and_more(self):
        out = constant_current_lif_encode(CURRENTS, 50)
        counts = out.sum(0)
        assert torch.all(counts[1:] >= counts[:-1]) and counts[-1] > counts[0]
        first = spike_latency_lif_encode(CURRENTS, 50).argmax(0)
        assert torch.all(first[1:] <= first[:-1])

    def test_latency_is_first_spike_of_constant_current_encoder(self):
        current = torch.linspace(0.5, 40.0, 30)
        full = constant_current_lif_encode(current, 80)
        latency = spike_latency_lif_encode(current, 80)
        assert torch.all(latency.sum(0) == (full.sum(0) > 0).float())
        assert torch.equal(latency.argmax(0)[full.sum(0) > 0], full.argmax(0)[full.sum(0) > 0])

    def test_custom_parameters_are_used(self):
        defaults = lif_neuron_spec().parameters()
        high = defaults._replace(v_th=torch.as_tensor(2.0))
        current = torch.linspace(0.0, 50.0, 20)
        assert torch.equal(
            constant_current_lif_encode(current, 60, p=high), reference_lif_spikes(current, 60, v_th=2.0)
        )
        assert torch.equal(
            constant_current_lif_encode(current, 60, dt=2e-3), reference_lif_spikes(current, 60, dt=2e-3)
        )

    def test_empty_sequence(self):
        assert constant_current_lif_encode(CURRENTS, 0).shape == (0, 4)
        assert spike_latency_lif_encode(CURRENTS, 0).shape == (0, 4)

    def test_errors(self):
        with pytest.raises(ValueError, match="dt"):
            constant_current_lif_encode(CURRENTS, 3, dt=0)
        with pytest.raises(ValueError, match="seq_length"):
            spike_latency_lif_encode(CURRENTS, -3)
        with pytest.raises(ValueError, match="finite"):
            constant_current_lif_encode(torch.tensor([1.0, math.nan]), 3)
        with pytest.raises(TypeError, match="floating-point"):
            spike_latency_lif_encode(torch.tensor([1, 2]), 3)
        with pytest.raises(TypeError, match="lacks"):
            constant_current_lif_encode(CURRENTS, 3, p=(1.0, 2.0))
        bad = lif_neuron_spec().parameters()._replace(tau_mem_inv=torch.as_tensor(-1.0))
        with pytest.raises(ValueError, match="tau_mem_inv"):
            spike_latency_lif_encode(CURRENTS, 3, p=bad)

    def test_modules_match_functions(self):
        assert torch.equal(ConstantCurrentLIFEncoder(20)(CURRENTS), constant_current_lif_encode(CURRENTS, 20))
        assert torch.equal(
            SpikeLatencyLIFEncoder(20, dt=2e-3)(CURRENTS), spike_latency_lif_encode(CURRENTS, 20, dt=2e-3)
        )
        with pytest.raises(ValueError, match="dt"):
            SpikeLatencyLIFEncoder(5, dt=-1.0)


@pytest.mark.usefixtures("no_plugins")
@pytest.mark.parametrize(
    "build",
    [
        lambda: constant_current_lif_encode(CURRENTS, 3),
        lambda: spike_latency_lif_encode(CURRENTS, 3),
        lambda: ConstantCurrentLIFEncoder(3),
        lambda: SpikeLatencyLIFEncoder(3),
    ],
)
def test_missing_lif_names_the_package_to_install(build):
    assert "lif" not in snn_core.registry().neurons
    with pytest.raises(UnknownComponentError, match="pip install snn-neurons") as info:
        build()
    assert isinstance(info.value, KeyError)
    assert "LIF neuron model" in str(info.value)


def test_other_encoders_work_without_neurons(no_plugins):
    from snn_encoding import poisson_encode, spike_latency_encode

    assert poisson_encode(torch.ones(3), 2).shape == (2, 3)
    assert spike_latency_encode(torch.ones(2, 3)).sum() == 3


def test_uses_snn_neurons_lif_when_installed():
    neurons = snn_core.registry().neurons
    if "lif" not in neurons or neurons.provider("lif") != "snn-neurons":
        pytest.skip("snn-neurons is not installed")
    spec = neurons["lif"]
    p = spec.parameters()
    assert type(p).__name__ == "LIFParameters"
    current = torch.linspace(0.0, 40.0, 16)
    assert torch.equal(
        constant_current_lif_encode(current, 50), constant_current_lif_encode(current, 50, p=p)
    )
    assert torch.equal(constant_current_lif_encode(current, 50), reference_lif_spikes(current, 50))
