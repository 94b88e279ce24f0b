"""Izhikevich: the 20 preset behaviours (spec table), the step by hand, shared presets without grad."""

from __future__ import annotations

import itertools

import pytest
import torch

import snn_neurons as sn

# name: (a, b, c, d, mn, bias, tau_inv, v0, u0, u0 dtype)
PRESETS = {
    "tonic_spiking": (0.02, 0.2, -65, 6, 5, 140, 250, -70.0, -14.0, torch.float32),
    "phasic_spiking": (0.02, 0.25, -65, 6, 5, 140, 250, -64.0, -16.0, torch.float32),
    "tonic_bursting": (0.02, 0.2, -50, 2, 5, 140, 250, -70.0, -14.0, torch.float32),
    "phasic_bursting": (0.02, 0.25, -55, 0.05, 5, 140, 200, -64.0, -16.0, torch.float32),
    "mixed_mode": (0.02, 0.2, -55, 4, 5, 140, 250, -70.0, -14.0, torch.float32),
    "spike_frequency_adaptation": (0.01, 0.2, -65, 8, 5, 140, 250, -70.0, -14.0, torch.float32),
    "class_1_exc": (0.02, -0.1, -55, 6, 4.1, 108, 250, -60.0, 6.0, torch.float32),
    "class_2_exc": (0.2, 0.26, -65, 0, 5, 140, 250, -64.0, -16.64, torch.float32),
    "spike_latency": (0.02, 0.2, -65, 6, 5, 140, 250, -70.0, -14.0, torch.float32),
    "subthreshold_oscillation": (0.05, 0.26, -60, 0, 5, 140, 250, -62.0, -16.12, torch.float32),
    "resonator": (0.1, 0.26, -60, -1, 5, 140, 250, -62.0, -16.12, torch.float32),
    "integrator": (0.02, -0.1, -55, 6, 4.1, 108, 250, -60.0, 6.0, torch.float32),
    "rebound_spike": (0.03, 0.25, -60, 4, 5, 140, 200, -64.0, -16.0, torch.float32),
    "rebound_burst": (0.03, 0.25, -52, 0, 5, 140, 200, -64.0, -16.0, torch.float32),
    "threshold_variability": (0.03, 0.25, -60, 4, 5, 140, 250, -64.0, -16.0, torch.float32),
    "bistability": (0.1, 0.26, -60, 0, 5, 140, 250, -61.0, -15.86, torch.float32),
    "dap": (1.0, 0.2, -60, -21, 5, 140, 100, -70.0, -14.0, torch.float32),
    "accomodation": (0.02, 1.0, -55, 4, 5, 140, 500, -65.0, -16, torch.int64),
    "inhibition_induced_spiking": (-0.02, -1.0, -60, 8, 5, 140, 250, -63.8, 63.8, torch.float32),
    "inhibition_induced_bursting": (-0.026, -1.0, -45, -2, 5, 140, 250, -63.8, 63.8, torch.float32),
}


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_table(name: str) -> None:
    a, b, c, d, mn, bias, tau_inv, v0, u0, u_dtype = PRESETS[name]
    beh = getattr(sn, name)
    assert isinstance(beh, sn.IzhikevichSpikingBehavior)
    p = beh.p
    assert (p.a, p.b, p.c, p.d, p.mn, p.bias, p.tau_inv) == (a, b, c, d, mn, bias, tau_inv)
    assert (p.sq, p.v_th, p.method, p.alpha) == (0.04, 30, "super", 100.0)
    assert type(p.c) is type(c)  # ints stay ints
    assert beh.s.v.dim() == 0
    assert beh.s.v.dtype == torch.float32
    assert beh.s.v.item() == pytest.approx(v0, abs=1e-5)
    assert beh.s.u.dtype == u_dtype
    assert beh.s.u.item() == pytest.approx(u0, abs=1e-5)
    # DESIGN decision: the shared preset tensors never require grad
    assert not beh.s.v.requires_grad
    assert not beh.s.u.requires_grad


def test_twenty_presets_and_alias() -> None:
    assert len(PRESETS) == 20
    assert sn.threshhold_variability is sn.threshold_variability
    assert all(name in sn.__all__ for name in [*PRESETS, "threshhold_variability"])


def test_step_by_hand_tonic_spiking() -> None:
    p = sn.tonic_spiking.p
    z, s = sn.izhikevich_feed_forward_step(torch.full((2,), 10.0), sn.tonic_spiking.s, p)
    # dv = 0.04*4900 - 350 + 140 + 14 + 10 = 10; v = -70 + 0.25 * 10
    torch.testing.assert_close(s.v, torch.full((2,), -67.5))
    # du = 0.02 * (0.2 * -70 + 14) = 0
    torch.testing.assert_close(s.u, torch.full((2,), -14.0))
    assert z.sum() == 0


def test_spike_resets_v_to_c_and_adds_d_to_u() -> None:
    p = sn.tonic_spiking.p
    s = sn.IzhikevichState(torch.tensor([29.0]), torch.tensor([-14.0]))
    z, s1 = sn.izhikevich_feed_forward_step(torch.tensor([0.0]), s, p)
    assert z.item() == 1.0
    assert s1.v.item() == -65.0
    u1 = -14.0 + 0.25 * 0.02 * (0.2 * 29.0 + 14.0)
    assert s1.u.item() == pytest.approx(u1 + 6, abs=1e-5)


def test_tonic_spiking_fires_regularly_under_constant_current() -> None:
    s = sn.tonic_spiking.s
    times = []
    for t in range(2000):  # 500 ms
        z, s = sn.izhikevich_feed_forward_step(torch.tensor(10.0), s, sn.tonic_spiking.p)
        if z.item():
            times.append(t)
    assert len(times) >= 5
    isi = [b - a for a, b in itertools.pairwise(times[2:])]
    assert max(isi) - min(isi) <= 2  # tonic: regular inter-spike intervals


def test_simulation_from_shared_preset_builds_no_graph() -> None:
    _, s = sn.izhikevich_feed_forward_step(torch.tensor([10.0]), sn.tonic_spiking.s, sn.tonic_spiking.p)
    assert not s.v.requires_grad


def test_create_behavior() -> None:
    beh = sn.create_izhikevich_spiking_behavior(0.02, 0.2, -65, 6, -70, -70, tau_inv=200)
    assert beh.p == sn.IzhikevichParameters(0.02, 0.2, -65, 6, tau_inv=200)
    assert beh.s.v.item() == -70.0
    assert beh.s.v.requires_grad  # a fresh tensor, as in Norse
    assert beh.s.u.item() == pytest.approx(-14.0)


def test_parameters_require_a_b_c_d() -> None:
    with pytest.raises(TypeError):
        sn.IzhikevichParameters()  # type: ignore[call-arg]


def test_recurrent_step_equals_feed_forward_with_identity() -> None:
    p = sn.tonic_spiking.p
    x = torch.full((1, 2), 10.0)
    s = sn.IzhikevichRecurrentState(torch.zeros(1, 2), torch.full((1, 2), -70.0), torch.full((1, 2), -14.0))
    z, r = sn.izhikevich_recurrent_step(x, s, torch.eye(2), torch.zeros(2, 2), p)
    _, f = sn.izhikevich_feed_forward_step(x, sn.IzhikevichState(s.v, s.u), p)
    torch.testing.assert_close(r.v, f.v)
    torch.testing.assert_close(r.u, f.u)
    assert torch.equal(r.z, z)


def test_neuron_parameters_from_behavior() -> None:
    p = sn.IzhikevichNeuronParameters.from_behavior(sn.accomodation)
    assert (p.a, p.b, p.tau_inv, p.v0, p.u0) == (0.02, 1.0, 500, -65.0, -16.0)
    assert sn.IzhikevichNeuronParameters() == sn.IzhikevichNeuronParameters.from_behavior(sn.tonic_spiking)
