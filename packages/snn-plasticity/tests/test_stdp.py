"""Pair-based STDP for linear and conv2d connections against loop-based reference implementations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from snn_plasticity import (
    STDP_ALGORITHMS,
    STDPConv2d,
    STDPLinear,
    STDPParameters,
    STDPState,
    stdp_initial_state,
    stdp_step_conv2d,
    stdp_step_linear,
)


def amplitudes(algorithm, w, eta_plus, eta_minus, w_min, w_max, mu):
    if algorithm == "additive":
        return torch.full_like(w, eta_plus), torch.full_like(w, eta_minus)
    if algorithm == "additive_step":
        return eta_plus * (w_max - w > 0).double(), eta_minus * (w - w_min > 0).double()
    if algorithm == "multiplicative_pow":
        return eta_plus * (w_max - w) ** mu, eta_minus * (w - w_min) ** mu
    return eta_plus * (w_max - w).clamp(min=0), eta_minus * (w - w_min).clamp(min=0)


def reference_linear(
    z_pre,
    z_post,
    w,
    t_pre,
    t_post,
    algorithm,
    eta=(0.05, 0.04),
    bounds=(0.0, 1.0),
    mu=0.5,
    tau=(20.0, 30.0),
    a=(1.0, 0.5),
    dt=1e-3,
):
    """Element by element, in float64."""
    t_pre = t_pre + dt * tau[0] * (-t_pre + a[0] * z_pre)
    t_post = t_post + dt * tau[1] * (-t_post + a[1] * z_post)
    a_plus, a_minus = amplitudes(algorithm, w, *eta, *bounds, mu)
    dw = torch.zeros_like(w)
    for o in range(w.shape[0]):
        for i in range(w.shape[1]):
            for b in range(z_pre.shape[0]):
                dw[o, i] += (
                    a_plus[o, i] * z_post[b, o] * t_pre[b, i] - a_minus[o, i] * t_post[b, o] * z_pre[b, i]
                )
    return (w + dw).clamp(*bounds), t_pre, t_post


def params(algorithm, **extra):
    return STDPParameters(
        a_pre=torch.tensor(1.0),
        a_post=torch.tensor(0.5),
        tau_pre_inv=torch.tensor(20.0),
        tau_post_inv=torch.tensor(30.0),
        eta_plus=0.05,
        eta_minus=0.04,
        stdp_algorithm=algorithm,
        mu=0.5,
        **extra,
    )


@pytest.mark.parametrize("algorithm", STDP_ALGORITHMS)
def test_linear_matches_loop_reference(algorithm):
    g = torch.Generator().manual_seed(1)
    w = torch.rand(3, 4, generator=g, dtype=torch.float64)
    state = STDPState(torch.zeros(2, 4, dtype=torch.float64), torch.zeros(2, 3, dtype=torch.float64))
    ref_w, ref_pre, ref_post = w.clone(), state.t_pre.clone(), state.t_post.clone()
    p = params(algorithm)
    for _ in range(60):
        z_pre = (torch.rand(2, 4, generator=g) < 0.4).double()
        z_post = (torch.rand(2, 3, generator=g) < 0.4).double()
        w, state = stdp_step_linear(z_pre, z_post, w, state, p)
        ref_w, ref_pre, ref_post = reference_linear(z_pre, z_post, ref_w, ref_pre, ref_post, algorithm)
    assert torch.allclose(w, ref_w, atol=1e-12) and torch.allclose(state.t_pre, ref_pre, atol=1e-12)
    assert torch.allclose(state.t_post, ref_post, atol=1e-12)
    assert not torch.allclose(
        w, torch.rand(3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    )


def test_pre_before_post_potentiates_and_post_before_pre_depresses():
    p = STDPParameters(eta_plus=0.1, eta_minus=0.1)
    w = torch.full((1, 1), 0.5)
    one, zero = torch.ones(1, 1), torch.zeros(1, 1)
    s = stdp_initial_state(one, one)
    w1, s = stdp_step_linear(one, zero, w, s, p)  # pre spike
    w2, _ = stdp_step_linear(zero, one, w1, s, p)  # post spike a step later
    assert torch.equal(w1, w) and w2 > w
    s = stdp_initial_state(one, one)
    w1, s = stdp_step_linear(zero, one, w, s, p)
    w2, _ = stdp_step_linear(one, zero, w1, s, p)
    assert w2 < w


def test_hard_bounds_clip_and_soft_bounds_do_not():
    w = torch.full((1, 1), 0.999)
    one = torch.ones(1, 1)
    s = STDPState(torch.full((1, 1), 50.0), torch.zeros(1, 1))
    clipped, _ = stdp_step_linear(torch.zeros(1, 1), one, w, s, STDPParameters(eta_plus=0.1))
    free, _ = stdp_step_linear(torch.zeros(1, 1), one, w, s, STDPParameters(eta_plus=0.1, hardbound=False))
    assert float(clipped) == 1.0 and float(free) > 1.0


def test_state_decay_returns_new_state():
    s = STDPState(torch.ones(2), torch.ones(2))
    new = s.decay(torch.zeros(2), torch.ones(2), 10.0, 10.0, 1.0, 1.0, dt=0.01)
    assert torch.equal(s.t_pre, torch.ones(2))
    assert torch.allclose(new.t_pre, torch.full((2,), 0.9)) and torch.allclose(new.t_post, torch.ones(2))


def reference_conv(z_pre, z_post, w, t_pre, t_post, algorithm, stride, padding, dt=1e-3):
    t_pre = t_pre + dt * 20.0 * (-t_pre + 1.0 * z_pre)
    t_post = t_post + dt * 30.0 * (-t_post + 0.5 * z_post)
    a_plus, a_minus = amplitudes(algorithm, w, 0.05, 0.04, 0.0, 1.0, 0.5)
    padded_trace, padded_spikes = F.pad(t_pre, [padding] * 4), F.pad(z_pre, [padding] * 4)
    kh, kw = w.shape[2:]
    plus, minus = torch.zeros_like(w), torch.zeros_like(w)
    for b in range(z_pre.shape[0]):
        for r in range(z_post.shape[2]):
            for q in range(z_post.shape[3]):
                patch_trace = padded_trace[b, :, r * stride : r * stride + kh, q * stride : q * stride + kw]
                patch_spikes = padded_spikes[b, :, r * stride : r * stride + kh, q * stride : q * stride + kw]
                for o in range(w.shape[0]):
                    plus[o] += z_post[b, o, r, q] * patch_trace
                    minus[o] += t_post[b, o, r, q] * patch_spikes
    return (w + (a_plus * plus - a_minus * minus)).clamp(0.0, 1.0), t_pre, t_post


@pytest.mark.parametrize("algorithm", ["additive", "multiplicative_relu"])
def test_conv2d_matches_loop_reference(algorithm):
    g = torch.Generator().manual_seed(2)
    w = torch.rand(3, 2, 3, 3, generator=g, dtype=torch.float64)
    p = params(algorithm, convolutional=True, stride=2, padding=1)
    state = STDPState(
        torch.zeros(2, 2, 7, 7, dtype=torch.float64), torch.zeros(2, 3, 4, 4, dtype=torch.float64)
    )
    ref = (w.clone(), state.t_pre.clone(), state.t_post.clone())
    for _ in range(8):
        z_pre = (torch.rand(2, 2, 7, 7, generator=g) < 0.4).double()
        z_post = (torch.rand(2, 3, 4, 4, generator=g) < 0.4).double()
        w, state = stdp_step_conv2d(z_pre, z_post, w, state, p)
        ref = reference_conv(z_pre, z_post, *ref, algorithm, stride=2, padding=1)
    assert torch.allclose(w, ref[0], atol=1e-12) and torch.allclose(state.t_post, ref[2], atol=1e-12)


def test_parameter_validation():
    with pytest.raises(ValueError, match="stdp_algorithm"):
        STDPParameters(stdp_algorithm="hebbian")
    with pytest.raises(ValueError, match="w_min"):
        STDPParameters(w_min=1.0, w_max=0.0)
    with pytest.raises(ValueError, match="eta_plus"):
        STDPParameters(eta_plus=-1e-3)
    with pytest.raises(ValueError, match="tau_pre_inv"):
        STDPParameters(tau_pre_inv=torch.tensor(math.nan))
    with pytest.raises(ValueError, match="stride"):
        STDPParameters(stride=0)
    with pytest.raises(TypeError, match="unknown"):
        STDPParameters().replace(learning_rate=1.0)
    assert float(STDPParameters(stdp_algorithm="multiplicative_relu").mu) == 1.0
    assert float(STDPParameters(stdp_algorithm="additive", mu=0.7).mu) == 0.0


def test_shape_and_dt_errors():
    z_pre, z_post = torch.ones(2, 4), torch.ones(2, 3)
    s = stdp_initial_state(z_pre, z_post)
    with pytest.raises(ValueError, match=r"w must be \[out, in\]"):
        stdp_step_linear(z_pre, z_post, torch.ones(4, 3), s)
    with pytest.raises(ValueError, match="z_pre"):
        stdp_step_linear(torch.ones(4), z_post, torch.ones(3, 4), s)
    with pytest.raises(ValueError, match="dt"):
        stdp_step_linear(z_pre, z_post, torch.ones(3, 4), s, dt=-1e-3)
    cz_pre, cz_post = torch.ones(1, 2, 6, 6), torch.ones(1, 3, 5, 5)
    with pytest.raises(ValueError, match="output size"):
        stdp_step_conv2d(cz_pre, cz_post, torch.ones(3, 2, 3, 3), stdp_initial_state(cz_pre, cz_post))
    with pytest.raises(ValueError, match="channel"):
        stdp_step_conv2d(
            cz_pre, torch.ones(1, 4, 4, 4), torch.ones(3, 2, 3, 3), stdp_initial_state(cz_pre, cz_pre)
        )


def test_stdp_linear_module_updates_weight_in_place_without_autograd():
    torch.manual_seed(0)
    layer = STDPLinear(4, 3, p=STDPParameters(eta_plus=0.05, eta_minus=0.01))
    with torch.no_grad():
        layer.weight.uniform_(0.2, 0.8)
    w = layer.weight.detach().clone()
    functional_state, state = None, None
    for _ in range(20):
        x = (torch.rand(2, 4) < 0.5).float()
        z = (layer(x) > 0.5).float()
        expected, functional_state = stdp_step_linear(
            x, z, w, functional_state or stdp_initial_state(x, z), layer.p, layer.dt
        )
        state = layer.stdp_update(x, z, state)
        w = expected
        assert torch.equal(layer.weight, expected)
    assert layer.weight.requires_grad and layer.weight.grad is None
    assert not torch.equal(layer.weight, torch.full_like(w, 0.5))
    assert "weight" in layer.state_dict() and len(layer.state_dict()) == 1


def test_stdp_conv2d_module_uses_its_own_geometry():
    layer = STDPConv2d(2, 3, 3, stride=2, padding=1, p=STDPParameters(eta_plus=0.05))
    with torch.no_grad():
        layer.weight.uniform_(0.2, 0.8)
    assert layer.p.stride == (2, 2) and layer.p.padding == (1, 1)
    x = (torch.rand(1, 2, 7, 7) < 0.5).float()
    z = (layer(x) > 0).float()
    assert z.shape == (1, 3, 4, 4)
    w = layer.weight.detach().clone()
    state = layer.stdp_update(x, z)
    expected, expected_state = stdp_step_conv2d(x, z, w, stdp_initial_state(x, z), layer.p, layer.dt)
    assert torch.equal(layer.weight, expected) and torch.equal(state.t_pre, expected_state.t_pre)
    with pytest.raises(ValueError, match="padding"):
        STDPConv2d(2, 3, 3, padding="same")
    with pytest.raises(TypeError, match="STDPParameters"):
        STDPLinear(2, 2, p={"eta_plus": 1})
