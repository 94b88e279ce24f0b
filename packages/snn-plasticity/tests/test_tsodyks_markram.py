"""Tsodyks–Markram short-term plasticity: Norse's verified values, dynamics, validation, the cell."""

from __future__ import annotations

import math

import pytest
import torch

from snn_plasticity import (
    TsodyksMakramCell,
    TsodyksMakramParameters,
    TsodyksMakramState,
    TsodyksMarkramParameters,
    check_tsodyks_makram_parameters,
    stp_step,
)


def test_defaults_and_alias():
    p = TsodyksMakramParameters()
    assert p == (20.0, 50.0, 1 / 0.75, 0.45)
    assert TsodyksMarkramParameters is TsodyksMakramParameters


def test_verified_values_with_a_spike_every_step():
    state = TsodyksMakramState(torch.zeros(1), torch.ones(1))
    outs, us, xs = [], [], []
    for _ in range(3):
        out, state = stp_step(torch.ones(1), state, TsodyksMakramParameters())
        outs.append(float(out))
        us.append(float(state.u))
        xs.append(float(state.x))
    assert outs == pytest.approx([0.45, 0.3787, 0.1401], abs=1e-4)
    assert us == pytest.approx([0.45, 0.6885, 0.8149], abs=1e-4)
    assert xs == pytest.approx([0.55, 0.1719, 0.0329], abs=1e-4)


def test_hand_derived_single_step():
    u, x = torch.tensor([0.3]), torch.tensor([0.6])
    p = TsodyksMakramParameters(tau_f_inv=10.0, tau_d_inv=2.0, U=0.2)
    out, s = stp_step(torch.ones(1), TsodyksMakramState(u, x), p, dt=0.01)
    u1 = 0.3 + 0.01 * (-10.0 * 0.3) + 0.2 * (1 - 0.3)
    x1 = 0.6 + 0.01 * 2.0 * (1 - 0.6) - u1 * 0.6
    assert float(s.u) == pytest.approx(u1, rel=1e-6) and float(s.x) == pytest.approx(x1, rel=1e-6)
    assert float(out) == pytest.approx(u1 * 0.6, rel=1e-6)


def test_without_spikes_u_decays_and_x_recovers():
    state = TsodyksMakramState(torch.tensor([0.5]), torch.tensor([0.2]))
    p = TsodyksMakramParameters()
    for _ in range(100):
        out, state = stp_step(torch.zeros(1), state, p)
        assert out == 0
    assert float(state.u) == pytest.approx(0.5 * (1 - 0.02) ** 100, rel=1e-5)
    assert float(state.x) == pytest.approx(1 - 0.8 * (1 - 1e-3 / 0.75) ** 100, rel=1e-5)


def test_tau_s_inv_is_unused():
    state = TsodyksMakramState(torch.rand(5), torch.rand(5))
    z = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
    a = stp_step(z, state, TsodyksMakramParameters())
    b = stp_step(z, state, TsodyksMakramParameters(tau_s_inv=1.0))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1].u, b[1].u)


def test_gradcheck_float64():
    u = torch.rand(4, dtype=torch.float64, requires_grad=True)
    x = torch.rand(4, dtype=torch.float64, requires_grad=True)
    z = torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=torch.float64)

    def f(u, x):
        out, s = stp_step(z, TsodyksMakramState(u, x), TsodyksMakramParameters())
        return out, s.u, s.x

    assert torch.autograd.gradcheck(f, (u, x))


def test_parameter_validation():
    with pytest.raises(ValueError, match="U"):
        check_tsodyks_makram_parameters(TsodyksMakramParameters(U=1.5))
    with pytest.raises(ValueError, match="tau_d_inv"):
        TsodyksMakramCell(TsodyksMakramParameters(tau_d_inv=-1.0))
    with pytest.raises(ValueError, match="tau_f_inv"):
        TsodyksMakramCell(TsodyksMakramParameters(tau_f_inv=math.inf))
    with pytest.raises(ValueError, match="dt"):
        TsodyksMakramCell(dt=math.nan)


def test_cell_starts_at_u0_x1_and_matches_function():
    cell = TsodyksMakramCell()
    z = torch.ones(3)
    out, state = cell(z)
    expected_out, expected_state = stp_step(z, TsodyksMakramState(torch.zeros(3), torch.ones(3)), cell.p)
    assert torch.equal(out, expected_out) and torch.equal(state.x, expected_state.x)
