"""Parity of snn-plasticity with Norse 1.1.0: STDP sensor, Tsodyks–Markram, pair-based STDP.

Every state field and output over many steps, bitwise; gradients through the smooth rules.
"""

from __future__ import annotations

import pytest
import torch

norse = pytest.importorskip("norse")

import norse.torch as nt  # noqa: E402
from norse.torch.functional import stdp as nstdp  # noqa: E402

import snn_plasticity as sp  # noqa: E402


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def spikes(shape, p, g):
    return (torch.rand(*shape, generator=g) < p).float()


def test_stdp_sensor_defaults():
    for ours, theirs in zip(sp.STDPSensorParameters(), nt.STDPSensorParameters()):
        assert torch.equal(ours, theirs)
    assert sp.STDPSensorParameters._fields == nt.STDPSensorParameters._fields
    assert sp.STDPSensorState._fields == nt.STDPSensorState._fields


@pytest.mark.parametrize("dt", [0.001, 0.004])
def test_stdp_sensor_steps(dt):
    g = gen(0)
    p_ours = sp.STDPSensorParameters(
        eta_p=torch.tensor(0.7), eta_m=torch.tensor(1.3), tau_c_inv=torch.tensor(35.0)
    )
    p_theirs = nt.STDPSensorParameters(
        eta_p=torch.tensor(0.7), eta_m=torch.tensor(1.3), tau_c_inv=torch.tensor(35.0)
    )
    ours = sp.STDPSensorState(torch.zeros(64), torch.zeros(64))
    theirs = nt.STDPSensorState(torch.zeros(64), torch.zeros(64))
    for _ in range(200):
        z_pre, z_post = spikes((64,), 0.2, g), spikes((64,), 0.3, g)
        ours = sp.stdp_sensor_step(z_pre, z_post, ours, p_ours, dt)
        theirs = nt.stdp_sensor_step(z_pre, z_post, theirs, p_theirs, dt)
        assert torch.equal(ours.a_pre, theirs.a_pre) and torch.equal(ours.a_post, theirs.a_post)
    assert ours.a_pre.max() > 1


def test_stdp_sensor_gradients():
    a = torch.rand(16, generator=gen(1), requires_grad=True)
    b = a.detach().clone().requires_grad_()
    z = spikes((16,), 0.5, gen(2))
    s1 = sp.stdp_sensor_step(z, z, sp.STDPSensorState(a, a * 2))
    s2 = nt.stdp_sensor_step(z, z, nt.STDPSensorState(b, b * 2))
    (s1.a_pre * 3 + s1.a_post).sum().backward()
    (s2.a_pre * 3 + s2.a_post).sum().backward()
    assert torch.equal(a.grad, b.grad)


def test_tsodyks_makram_defaults():
    assert tuple(sp.TsodyksMakramParameters()) == tuple(nt.TsodyksMakramParameters())
    assert sp.TsodyksMakramParameters._fields == nt.TsodyksMakramParameters._fields
    assert sp.TsodyksMakramState._fields == nt.TsodyksMakramState._fields


@pytest.mark.parametrize(
    "params", [{}, {"tau_f_inv": 5.0, "tau_d_inv": 12.0, "U": 0.15}, {"U": 0.8, "tau_d_inv": 40.0}]
)
def test_stp_steps(params):
    g = gen(3)
    p_ours, p_theirs = sp.TsodyksMakramParameters(**params), nt.TsodyksMakramParameters(**params)
    ours = sp.TsodyksMakramState(torch.zeros(64), torch.ones(64))
    theirs = nt.TsodyksMakramState(torch.zeros(64), torch.ones(64))
    for _ in range(200):
        z = spikes((64,), 0.1, g)
        out_ours, ours = sp.stp_step(z, ours, p_ours, 0.001)
        out_theirs, theirs = nt.stp_step(z, theirs, p_theirs, 0.001)
        assert torch.equal(out_ours, out_theirs)
        assert torch.equal(ours.u, theirs.u) and torch.equal(ours.x, theirs.x)


def test_stp_gradients():
    u1 = torch.rand(16, generator=gen(4), requires_grad=True)
    x1 = torch.rand(16, generator=gen(5), requires_grad=True)
    u2, x2 = u1.detach().clone().requires_grad_(), x1.detach().clone().requires_grad_()
    z = spikes((16,), 0.5, gen(6))
    o1, s1 = sp.stp_step(z, sp.TsodyksMakramState(u1, x1), sp.TsodyksMakramParameters())
    o2, s2 = nt.stp_step(z, nt.TsodyksMakramState(u2, x2), nt.TsodyksMakramParameters())
    (o1 + s1.u * 2 + s1.x * 3).sum().backward()
    (o2 + s2.u * 2 + s2.x * 3).sum().backward()
    assert torch.equal(u1.grad, u2.grad) and torch.equal(x1.grad, x2.grad)


ALGORITHMS = ["additive", "additive_step", "multiplicative_pow", "multiplicative_relu"]


def stdp_parameters(module, algorithm, hardbound=True, **extra):
    return module.STDPParameters(
        a_pre=torch.tensor(1.0),
        a_post=torch.tensor(0.8),
        tau_pre_inv=torch.tensor(40.0),
        tau_post_inv=torch.tensor(25.0),
        eta_plus=0.02,
        eta_minus=0.015,
        stdp_algorithm=algorithm,
        mu=0.6,
        hardbound=hardbound,
        **extra,
    )


def test_stdp_parameter_defaults():
    ours, theirs = sp.STDPParameters(), nstdp.STDPParameters()
    assert (ours.stdp_algorithm, ours.hardbound, ours.convolutional) == ("additive", True, False)
    assert (theirs.stdp_algorithm, theirs.hardbound, theirs.convolutional) == ("additive", True, False)
    for name in (
        "a_pre",
        "a_post",
        "tau_pre_inv",
        "tau_post_inv",
        "w_min",
        "w_max",
        "eta_plus",
        "eta_minus",
        "mu",
    ):
        assert torch.equal(torch.as_tensor(getattr(ours, name)), torch.as_tensor(getattr(theirs, name))), name


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("hardbound", [True, False])
def test_stdp_step_linear(algorithm, hardbound):
    g = gen(7)
    w_ours = torch.rand(5, 8, generator=g)
    w_theirs = w_ours.clone()
    p_ours, p_theirs = stdp_parameters(sp, algorithm, hardbound), stdp_parameters(nstdp, algorithm, hardbound)
    s_ours = sp.STDPState(torch.zeros(4, 8), torch.zeros(4, 5))
    s_theirs = nstdp.STDPState(torch.zeros(4, 8), torch.zeros(4, 5))
    for _ in range(150):
        z_pre, z_post = spikes((4, 8), 0.3, g), spikes((4, 5), 0.3, g)
        w_ours, s_ours = sp.stdp_step_linear(z_pre, z_post, w_ours, s_ours, p_ours, 0.001)
        w_theirs, s_theirs = nstdp.stdp_step_linear(z_pre, z_post, w_theirs, s_theirs, p_theirs, 0.001)
        assert torch.equal(w_ours, w_theirs)
        assert torch.equal(s_ours.t_pre, s_theirs.t_pre) and torch.equal(s_ours.t_post, s_theirs.t_post)
    assert not torch.equal(w_ours, torch.rand(5, 8, generator=gen(7)))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, 0, 1), (2, 1, 1), (1, 2, 2)])
def test_stdp_step_conv2d(algorithm, stride, padding, dilation):
    g = gen(8)
    w_ours = torch.rand(4, 2, 3, 3, generator=g)
    w_theirs = w_ours.clone()
    geometry = {"convolutional": True, "stride": stride, "padding": padding, "dilation": dilation}
    p_ours, p_theirs = (
        stdp_parameters(sp, algorithm, **geometry),
        stdp_parameters(nstdp, algorithm, **geometry),
    )
    out_size = (10 + 2 * padding - dilation * 2 - 1) // stride + 1
    s_ours = sp.STDPState(torch.zeros(2, 2, 10, 10), torch.zeros(2, 4, out_size, out_size))
    s_theirs = nstdp.STDPState(torch.zeros(2, 2, 10, 10), torch.zeros(2, 4, out_size, out_size))
    for _ in range(25):
        z_pre, z_post = spikes((2, 2, 10, 10), 0.3, g), spikes((2, 4, out_size, out_size), 0.3, g)
        w_ours, s_ours = sp.stdp_step_conv2d(z_pre, z_post, w_ours, s_ours, p_ours, 0.001)
        w_theirs, s_theirs = nstdp.stdp_step_conv2d(z_pre, z_post, w_theirs, s_theirs, p_theirs, 0.001)
        assert torch.equal(w_ours, w_theirs)
        assert torch.equal(s_ours.t_pre, s_theirs.t_pre) and torch.equal(s_ours.t_post, s_theirs.t_post)


def test_stdp_linear_module_equals_norse_functional_loop():
    torch.manual_seed(0)
    layer = sp.STDPLinear(8, 5, p=stdp_parameters(sp, "multiplicative_relu"))
    with torch.no_grad():
        layer.weight.uniform_(0.1, 0.9)
    w = layer.weight.detach().clone()
    p = stdp_parameters(nstdp, "multiplicative_relu")
    s_theirs, s_ours = nstdp.STDPState(torch.zeros(3, 8), torch.zeros(3, 5)), None
    g = gen(9)
    for _ in range(60):
        z_pre, z_post = spikes((3, 8), 0.3, g), spikes((3, 5), 0.3, g)
        s_ours = layer.stdp_update(z_pre, z_post, s_ours)
        w, s_theirs = nstdp.stdp_step_linear(z_pre, z_post, w, s_theirs, p)
    assert torch.equal(layer.weight, w)
