"""STDP sensor traces: Norse's verified values, the unused tau_ac_inv, validation and the cell."""

from __future__ import annotations

import math

import pytest
import torch

from snn_plasticity import (
    STDPSensorCell,
    STDPSensorParameters,
    STDPSensorState,
    check_stdp_sensor_parameters,
    stdp_sensor_step,
)


def zeros(n=1):
    return STDPSensorState(torch.zeros(n), torch.zeros(n))


def test_defaults():
    p = STDPSensorParameters()
    assert [float(v) for v in p] == [1.0, 1.0, 10.0, 10.0]
    assert not any(v.requires_grad for v in p)


def test_verified_trace_under_constant_presynaptic_spikes():
    state, values = zeros(), []
    for _ in range(3):
        state = stdp_sensor_step(torch.ones(1), torch.zeros(1), state)
        values.append(float(state.a_pre))
    assert values == pytest.approx([1.0, 1.99, 2.9701], abs=1e-6)
    assert float(state.a_post) == 0.0


def test_traces_decay_exponentially_and_jump_by_eta():
    p = STDPSensorParameters(eta_p=torch.tensor(0.5), eta_m=torch.tensor(2.0), tau_c_inv=torch.tensor(20.0))
    state = stdp_sensor_step(torch.ones(2), torch.ones(2), zeros(2), p, dt=0.01)
    assert torch.allclose(state.a_pre, torch.full((2,), 0.5)) and torch.allclose(
        state.a_post, torch.full((2,), 2.0)
    )
    for _ in range(10):
        state = stdp_sensor_step(torch.zeros(2), torch.zeros(2), state, p, dt=0.01)
    factor = (1 - 0.01 * 20.0) ** 10
    assert torch.allclose(state.a_pre, torch.full((2,), 0.5 * factor))
    assert torch.allclose(state.a_post, torch.full((2,), 2.0 * factor))


def test_tau_ac_inv_is_unused_as_in_norse():
    z = (torch.rand(20, 4, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    a, b = zeros(4), zeros(4)
    other = STDPSensorParameters(tau_ac_inv=torch.tensor(123.0))
    for t in range(20):
        a = stdp_sensor_step(z[t], z[-t - 1], a)
        b = stdp_sensor_step(z[t], z[-t - 1], b, other)
    assert torch.equal(a.a_pre, b.a_pre) and torch.equal(a.a_post, b.a_post)


def test_gradcheck_float64():
    pre = torch.rand(3, dtype=torch.float64, requires_grad=True)
    post = torch.rand(3, dtype=torch.float64, requires_grad=True)
    z = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda a, b: tuple(stdp_sensor_step(z, z, STDPSensorState(a, b))), (pre, post)
    )


def test_parameter_validation():
    with pytest.raises(ValueError, match=r"p\.tau_c_inv"):
        check_stdp_sensor_parameters(STDPSensorParameters(tau_c_inv=torch.tensor(-1.0)))
    with pytest.raises(ValueError, match=r"p\.eta_p"):
        STDPSensorCell(STDPSensorParameters(eta_p=math.nan))
    with pytest.raises(TypeError, match="STDPSensorParameters"):
        check_stdp_sensor_parameters((1.0, 1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="dt"):
        STDPSensorCell(dt=0.0)


def test_cell_matches_function():
    cell = STDPSensorCell(dt=0.002)
    z_pre = torch.tensor([1.0, 0.0])
    z_post = torch.tensor([0.0, 1.0])
    state = cell(z_pre, z_post)
    again = cell(z_pre, z_post, state)
    assert torch.equal(again.a_pre, stdp_sensor_step(z_pre, z_post, state, dt=0.002).a_pre)
    assert torch.equal(state.a_pre, z_pre) and torch.equal(state.a_post, z_post)
