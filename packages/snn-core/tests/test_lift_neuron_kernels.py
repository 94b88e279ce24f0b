"""lift, snn_core.Neuron over an in-process neuron, and backend selection."""

from __future__ import annotations

import pickle
from typing import NamedTuple

import pytest
import torch

import snn_core
from snn_core import BackendUnavailableError


class LeakParameters(NamedTuple):
    decay: float = 0.5
    v_th: float = 1.0
    method: str = "super"
    alpha: float = 1.0


class LeakState(NamedTuple):
    v: torch.Tensor


def leak_step(x, state, p, dt=1e-3):
    v = p.decay * state.v + x
    z = snn_core.threshold(v - p.v_th, p.method, p.alpha)
    return z, LeakState(v * (1 - z))


def leak_initial_state(x, p):
    return LeakState(torch.zeros_like(x))


class LeakPlugin:
    @snn_core.hookimpl
    def snn_register_neurons(self):
        return [
            snn_core.NeuronSpec(
                name="leak",
                step=leak_step,
                parameters=LeakParameters,
                state=LeakState,
                initial_state=leak_initial_state,
                summary="test neuron",
            )
        ]


def module_step(x, state=LeakState(torch.zeros(())), p=LeakParameters(), dt=1e-3):
    return leak_step(x, state, p, dt)


def test_lift_loops_over_time_and_returns_last_state() -> None:
    xs = torch.tensor([[0.6], [0.6], [0.6], [0.0]])
    zs, state = snn_core.lift(module_step)(xs)
    # v: 0.6, 0.9, 1.05 -> spike and reset, then 0
    assert zs.flatten().tolist() == [0.0, 0.0, 1.0, 0.0]
    assert state.v.tolist() == [0.0]
    zs2, _ = snn_core.lift(module_step, p=LeakParameters(decay=1.0))(xs)
    assert zs2.flatten().tolist() == [0.0, 1.0, 0.0, 0.0]  # p given to lift is used


def test_lift_is_picklable_and_rejects_empty_time() -> None:
    lifted = pickle.loads(pickle.dumps(snn_core.lift(module_step)))
    with pytest.raises(ValueError, match="no time steps"):
        lifted(torch.zeros(0, 3))


def test_neuron_runs_a_registered_model_time_first() -> None:
    with snn_core.registered(LeakPlugin()):
        neuron = snn_core.Neuron("leak", LeakParameters(decay=1.0), dt=1e-3)
        xs = torch.full((4, 2, 3), 0.6, requires_grad=True)
        zs, state = neuron(xs)
        assert zs.shape == (4, 2, 3)
        assert zs[:, 0, 0].tolist() == [0.0, 1.0, 0.0, 1.0]
        zs.sum().backward()
        assert xs.grad is not None and xs.grad.abs().sum() > 0
        with pytest.raises(TypeError, match="p must be a LeakParameters"):
            snn_core.Neuron("leak", p=(1, 2))
        with pytest.raises(ValueError, match="dt must be a finite number > 0, got -1"):
            snn_core.Neuron("leak", dt=-1)
        with pytest.raises(ValueError, match="time-first"):
            neuron(torch.zeros(0, 3))
    with pytest.raises(KeyError, match="Unknown neuron 'leak'"):
        snn_core.Neuron("leak")


def test_third_party_surrogate_by_name_inside_a_neuron() -> None:
    class Surrogate:
        @snn_core.hookimpl
        def snn_register_thresholds(self):
            return [snn_core.ThresholdSpec(name="always", fn=lambda x, alpha: torch.ones_like(x))]

    with snn_core.registered(LeakPlugin()), snn_core.registered(Surrogate()):
        zs, _ = snn_core.Neuron("leak", LeakParameters(method="always"))(torch.zeros(3, 2))
    assert zs.sum().item() == 6


def _kernel(name, backend="cuda", device="cuda", available=True, priority=0):
    return snn_core.KernelSpec(
        name=name,
        target="neuron:leak",
        backend=backend,
        device=device,
        fn=lambda *a: name,
        is_available=lambda: available,
        priority=priority,
    )


def test_select_kernel_auto_torch_and_explicit() -> None:
    cpu = torch.device("cpu")
    assert snn_core.select_kernel("neuron:leak", cpu, "auto") is None
    assert snn_core.select_kernel("neuron:leak", cpu, "torch") is None
    with pytest.raises(BackendUnavailableError, match="pip install snn-cuda"):
        snn_core.select_kernel("neuron:leak", cpu, "cuda")

    class Kernels:
        @snn_core.hookimpl
        def snn_register_kernels(self):
            return [
                _kernel("gpu-fast", priority=2),
                _kernel("gpu-slow"),
                _kernel("cpu-k", "fancy", "cpu"),
                _kernel("cpu-off", "fancy2", "cpu", available=False, priority=9),
            ]

    with snn_core.registered(Kernels()):
        assert snn_core.select_kernel("neuron:leak", cpu, "auto").name == "cpu-k"
        assert snn_core.select_kernel("neuron:leak", "cuda", "auto").name == "gpu-fast"
        assert snn_core.select_kernel("neuron:leak", "cuda", "cuda").name == "gpu-fast"
        with pytest.raises(
            BackendUnavailableError, match="runs 'neuron:leak' on cuda tensors, but the input is on cpu"
        ):
            snn_core.select_kernel("neuron:leak", cpu, "cuda")
        with pytest.raises(BackendUnavailableError, match="installed but not available"):
            snn_core.select_kernel("neuron:leak", cpu, "fancy2")
        assert snn_core.select_kernel("neuron:other", cpu, "auto") is None


def test_broken_availability_probe_counts_as_unavailable() -> None:
    def probe():
        raise RuntimeError("driver exploded")

    class Kernels:
        @snn_core.hookimpl
        def snn_register_kernels(self):
            return [
                snn_core.KernelSpec(
                    name="k", target="neuron:leak", backend="cuda", device="cpu", fn=print, is_available=probe
                )
            ]

    with snn_core.registered(Kernels()):
        assert snn_core.select_kernel("neuron:leak", "cpu", "auto") is None
