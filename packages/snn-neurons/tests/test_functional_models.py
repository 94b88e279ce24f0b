"""Hand-derived numbers for a few steps of every neuron model of the functional API."""

from __future__ import annotations

import math

import pytest
import torch

import snn_neurons as sn


def close(actual: torch.Tensor, expected: list[float] | float, tol: float = 1e-5) -> None:
    expected_t = torch.as_tensor(expected, dtype=actual.dtype)
    torch.testing.assert_close(actual.detach(), expected_t, rtol=tol, atol=tol)


# ------------------------------------------------------------------------------------------ IAF


def test_iaf_integrates_spikes_and_resets() -> None:
    s = sn.IAFFeedForwardState(torch.zeros(2))
    z, s = sn.iaf_feed_forward_step(torch.tensor([0.6, 1.2]), s)
    close(z, [0.0, 1.0])
    close(s.v, [0.6, 0.0])
    z, s = sn.iaf_feed_forward_step(torch.tensor([0.6, 0.6]), s)
    close(z, [1.0, 0.0])  # 1.2 > 1 fires, 0.6 does not
    close(s.v, [0.0, 0.6])


def test_iaf_exactly_at_threshold_does_not_spike() -> None:
    z, s = sn.iaf_feed_forward_step(torch.tensor([1.0]), sn.IAFFeedForwardState(torch.zeros(1)))
    assert z.item() == 0.0
    assert s.v.item() == 1.0


def test_iaf_step_recurrent_uses_weights() -> None:
    w_in = torch.tensor([[2.0]])
    w_rec = torch.tensor([[-0.5]])
    s = sn.IAFState(torch.tensor([[1.0]]), torch.tensor([[0.0]]))
    z, s = sn.iaf_step(torch.tensor([[0.3]]), s, w_in, w_rec)
    close(s.v, [[0.1]])  # 0 + 0.6 - 0.5
    assert z.item() == 0.0


# ------------------------------------------------------------------------------------------- LI


def test_li_two_steps() -> None:
    s = sn.LIState(torch.zeros(1), torch.zeros(1))
    v, s = sn.li_feed_forward_step(torch.ones(1), s)
    close(v, [0.1])  # 0.1 * (0 + 1)
    close(s.i, [0.8])  # 1 - 0.2
    v, s = sn.li_feed_forward_step(torch.zeros(1), s)
    close(v, [0.1 + 0.1 * (-0.1 + 0.8)])
    close(s.i, [0.64])
    assert v is s.v  # Norse 1.1.0: output and state voltage are one tensor


def test_li_step_weighted_input() -> None:
    w = torch.tensor([[2.0, 1.0]])
    v, s = sn.li_step(torch.tensor([[1.0, 1.0]]), sn.LIState(torch.zeros(1, 1), torch.zeros(1, 1)), w)
    close(v, [[0.3]])
    close(s.i, [[2.4]])


def test_li_gradcheck_float64() -> None:
    p = sn.LIParameters(*(t.double() for t in sn.LIParameters()))
    x, v, i = (torch.randn(5, dtype=torch.float64, requires_grad=True) for _ in range(3))

    def step(x: torch.Tensor, v: torch.Tensor, i: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out, s = sn.li_feed_forward_step(x, sn.LIState(v, i), p)
        return out, s.i

    assert torch.autograd.gradcheck(step, (x, v, i))


# ------------------------------------------------------------------------------------------ LIF


def lif_reference(xs: list[float], v_th: float = 1.0) -> tuple[list[float], list[float], list[float]]:
    """Scalar float64 recurrence of the LIF equations (current jump first)."""
    v = i = 0.0
    zs, vs, is_ = [], [], []
    for x in xs:
        j = i + x
        v1 = v + 0.1 * (-v + j)
        i = j - 0.2 * j
        z = 1.0 if v1 > v_th else 0.0
        v = (1 - z) * v1
        zs.append(z)
        vs.append(v)
        is_.append(i)
    return zs, vs, is_


def test_lif_first_steps_by_hand() -> None:
    s = sn.LIFFeedForwardState(torch.zeros(2), torch.zeros(2))
    z, s = sn.lif_feed_forward_step(torch.tensor([1.0, 20.0]), s, sn.LIFParameters())
    close(z, [0.0, 1.0])
    close(s.v, [0.1, 0.0])
    close(s.i, [0.8, 16.0])
    z, s = sn.lif_feed_forward_step(torch.zeros(2), s, sn.LIFParameters())
    close(z, [0.0, 1.0])  # 0 + 0.1 * 16 = 1.6 > 1
    close(s.v, [0.17, 0.0])
    close(s.i, [0.64, 12.8])


def test_lif_matches_scalar_recurrence_over_many_steps() -> None:
    xs = [3.0 * ((k * 7) % 5 == 0) + 0.5 for k in range(100)]
    zs, vs, is_ = lif_reference(xs)
    s = sn.LIFFeedForwardState(torch.zeros(()), torch.zeros(()))
    for k, x in enumerate(xs):
        z, s = sn.lif_feed_forward_step(torch.tensor(x), s, sn.LIFParameters())
        assert z.item() == zs[k]
        assert s.v.item() == pytest.approx(vs[k], abs=1e-4)
        assert s.i.item() == pytest.approx(is_[k], abs=1e-4)
    assert sum(zs) > 5


def test_lif_reset_is_not_detached() -> None:
    x = torch.tensor([20.0], requires_grad=True)
    s = sn.LIFFeedForwardState(torch.zeros(1), torch.zeros(1))
    _, s = sn.lif_feed_forward_step(x, s, sn.LIFParameters())
    (g,) = torch.autograd.grad(s.v.sum(), x)
    assert g.item() != 0.0


def test_lif_super_gradient_uses_alpha() -> None:
    """DESIGN: super's surrogate is g / (alpha |x| + 1)^2 (Norse main), alpha = p.alpha."""
    for alpha in (1.0, 100.0):
        x = torch.tensor([5.0], requires_grad=True)
        p = sn.LIFParameters(alpha=torch.tensor(alpha))
        z, _ = sn.lif_feed_forward_step(x, sn.LIFFeedForwardState(torch.zeros(1), torch.zeros(1)), p)
        (g,) = torch.autograd.grad(z.sum(), x)
        d = 0.1 * 5.0 - 1.0  # v1 - v_th
        assert g.item() == pytest.approx(0.1 / (alpha * abs(d) + 1.0) ** 2, rel=1e-5)


def test_lif_float64_input_keeps_float64() -> None:
    s = sn.LIFFeedForwardState(torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    z, s = sn.lif_feed_forward_step(torch.ones(3, dtype=torch.float64) * 20, s, sn.LIFParameters())
    assert z.dtype == s.v.dtype == s.i.dtype == torch.float64


def test_lif_per_neuron_parameters_broadcast() -> None:
    p = sn.LIFParameters(v_th=torch.tensor([0.05, 1.0]))
    z, _ = sn.lif_feed_forward_step(
        torch.ones(3, 2), sn.LIFFeedForwardState(torch.zeros(3, 2), torch.zeros(3, 2)), p
    )
    close(z, [[1.0, 0.0]] * 3)


def test_lif_integral_equals_loop() -> None:
    xs = torch.rand(30, 4) * 5
    s0 = sn.LIFFeedForwardState(torch.zeros(4), torch.zeros(4))
    zs, s_int = sn.lif_feed_forward_integral(xs, s0, sn.LIFParameters())
    s = s0
    for t, x in enumerate(xs):
        z, s = sn.lif_feed_forward_step(x, s, sn.LIFParameters())
        assert torch.equal(zs[t], z)
    assert torch.equal(s.v, s_int.v)
    assert torch.equal(s.i, s_int.i)


def test_lif_sparse_step_equals_dense() -> None:
    s_d = s_s = sn.LIFFeedForwardState(torch.zeros(2, 5), torch.zeros(2, 5))
    for x in (torch.rand(20, 2, 5) * 5).unbind(0):
        z_d, s_d = sn.lif_feed_forward_step(x, s_d, sn.LIFParameters())
        z_s, s_s = sn.lif_feed_forward_step_sparse(x, s_s, sn.LIFParameters())
        assert z_s.is_sparse
        assert torch.equal(z_s.to_dense(), z_d)
        assert torch.equal(s_s.v, s_d.v)


def test_lif_current_encoder_by_hand() -> None:
    z, v = sn.lif_current_encoder(torch.tensor([5.0, 20.0]), torch.tensor([0.0, 0.5]), sn.LIFParameters())
    close(z, [0.0, 1.0])
    close(v, [0.5, 0.0])  # 0.5 + 0.1 * (20 - 0.5) = 2.45 fires and resets


def test_lif_step_recurrent_detaches_reset_and_integral_returns_every_step() -> None:
    w_in = torch.eye(2) * 20
    w_rec = torch.zeros(2, 2)
    s0 = sn.LIFState(torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, 2))
    xs = torch.tensor([[[1.0, 0.0]], [[0.0, 0.0]], [[0.0, 1.0]]])
    zs, s_end = sn.lif_step_integral(xs, s0, w_in, w_rec, sn.LIFParameters())
    assert zs.shape == (3, 1, 2)  # every step, not only the last (Norse 1.1.0 bug fixed)
    s = s0
    for t in range(3):
        z, s = sn.lif_step(xs[t], s, w_in, w_rec, sn.LIFParameters())
        assert torch.equal(zs[t], z)
    close(zs[:, 0, 0], [1.0, 1.0, 1.0])  # v: 2.0, then 1.6, then 1.28 (decaying current)
    close(zs[:, 0, 1], [0.0, 0.0, 1.0])
    # reset of the recurrent step is detached: dv'/dx is only the Euler term when spiking
    x = torch.tensor([[1.0, 0.0]], requires_grad=True)
    _, s1 = sn.lif_step(x, s0, w_in, w_rec, sn.LIFParameters())
    (g,) = torch.autograd.grad(s1.v[0, 0], x)
    assert g[0, 0].item() == 0.0


def test_lif_step_sparse_matches_dense_recurrent() -> None:
    w_in = torch.randn(3, 4) * 3
    w_rec = torch.randn(3, 3)
    s_d = sn.LIFState(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3))
    s_s = sn.LIFState(torch.zeros(2, 3).to_sparse(), torch.zeros(2, 3), torch.zeros(2, 3))
    for x in (torch.rand(15, 2, 4) < 0.5).float().unbind(0):
        z_d, s_d = sn.lif_step(x, s_d, w_in, w_rec, sn.LIFParameters())
        z_s, s_s = sn.lif_step_sparse(x.to_sparse(), s_s, w_in, w_rec, sn.LIFParameters())
        torch.testing.assert_close(z_s.to_dense(), z_d)
        torch.testing.assert_close(s_s.v, s_d.v)


# -------------------------------------------------------------------------------------- LIF box


def test_lif_box_value_and_subtract_reset() -> None:
    s = sn.LIFBoxFeedForwardState(torch.tensor([0.0, 0.5]))
    z, s1 = sn.lif_box_feed_forward_step(torch.tensor([5.0, 20.0]), s)
    close(z, [0.0, 1.0])
    close(s1.v, [0.5, 0.0])
    p = sn.LIFBoxParameters(reset_method=sn.reset_subtract)
    z, s2 = sn.lif_box_feed_forward_step(torch.tensor([5.0, 20.0]), s, p)
    close(s2.v, [0.5, 1.45])  # 2.45 - 1


def test_reset_functions() -> None:
    z = torch.tensor([0.0, 1.0])
    v = torch.tensor([0.5, 1.25])
    close(sn.reset_value(z, v, torch.tensor(-1.0), torch.tensor(1.0)), [0.5, -1.0])
    close(sn.reset_subtract(z, v, torch.tensor(-1.0), torch.tensor(1.0)), [0.5, 0.25])


# ----------------------------------------------------------------------------------------- Coba


def test_coba_lif_one_step_by_hand() -> None:
    s = sn.CobaLIFFeedForwardState(torch.full((2,), -20.0), torch.zeros(2), torch.zeros(2))
    z, s = sn.coba_lif_feed_forward_step(torch.tensor([2.0, -2.0]), s)
    g = 2.0 - 0.001 * 0.2 * 2.0  # 1.9996
    close(s.g_e, [g, 0.0])
    close(s.g_i, [0.0, g])
    close(s.v, [-20 + 0.005 * g * 80, -20 + 0.005 * g * (-80)])
    close(z, [0.0, 0.0])


def test_coba_lif_spikes_and_resets() -> None:
    s = sn.CobaLIFFeedForwardState(torch.full((1,), -20.0), torch.zeros(1), torch.zeros(1))
    z, s = sn.coba_lif_feed_forward_step(torch.tensor([100.0]), s)
    assert z.item() == 1.0
    assert s.v.item() == -70.0


def test_coba_defaults_are_int64() -> None:
    p = sn.CobaLIFParameters()
    assert p.e_rev_E.dtype == p.v_reset.dtype == p.v_thresh.dtype == torch.int64
    assert p.g_l.dtype == torch.float32
    assert p.alpha == 100.0


def test_coba_lif_step_keeps_external_input() -> None:
    """Norse 1.1.0 overwrites the input jump with the recurrent one; ours adds both."""
    w_in = torch.tensor([[3.0, -2.0]])
    w_rec = torch.tensor([[0.5]])
    s = sn.CobaLIFState(torch.tensor([[1.0]]), torch.tensor([[-20.0]]), torch.zeros(1, 1), torch.zeros(1, 1))
    _, s1 = sn.coba_lif_step(torch.tensor([[1.0, 1.0]]), s, w_in, w_rec)
    decay = 1 - 0.001 * 0.2
    close(s1.g_e, [[(3.0 + 0.5) * decay]])
    close(s1.g_i, [[2.0 * decay]])


# ----------------------------------------------------------------------------------- AdEx / Ex


def test_lif_ex_one_step_by_hand() -> None:
    s = sn.LIFExFeedForwardState(torch.tensor([0.5]), torch.tensor([1.0]))
    z, s = sn.lif_ex_feed_forward_step(torch.tensor([2.0]), s)
    e = 0.5 * math.exp((0.5 - 1.0) / 0.5)
    close(s.v, [0.5 + 0.1 * (-0.5 + e + 3.0)])
    close(s.i, [3.0 * 0.8])
    assert z.item() == 0.0


def test_lif_ex_default_state_broadcasts() -> None:
    z, s = sn.lif_ex_feed_forward_step(torch.zeros(3))
    assert s.v.shape == (3,)
    close(s.v, [0.1 * 0.5 * math.exp(-2)] * 3)


def test_lif_adex_one_step_by_hand() -> None:
    s = sn.LIFAdExFeedForwardState(torch.tensor([0.5]), torch.tensor([1.0]), torch.tensor([0.2]))
    z, s1 = sn.lif_adex_feed_forward_step(torch.tensor([2.0]), s)
    e = 0.5 * math.exp(-1.0)
    close(s1.v, [0.5 + 0.1 * (-0.5 + e + 3.0 - 0.2)])
    close(s1.a, [0.2 + 0.001 * 2.0 * (4 * 0.5 - 0.2)])  # uses the pre-step voltage
    assert z.item() == 0.0
    z, s2 = sn.lif_adex_feed_forward_step(torch.tensor([30.0]), s)
    assert z.item() == 1.0
    close(s2.a, [0.2 + 0.001 * 2.0 * (4 * 0.5 - 0.2) + 0.02])


def test_lif_adex_current_encoder_integrates_adaptation() -> None:
    """DESIGN fix: a' = a + dt tau_ada_inv (A_c (v - v_leak) - a) + z A_s, from the pre-step v."""
    v = torch.tensor([0.5, 0.5])
    a = torch.tensor([0.2, 0.2])
    z, v1, a1 = sn.lif_adex_current_encoder(torch.tensor([1.0, 40.0]), v, a)
    close(z, [0.0, 1.0])
    base = 0.2 + 0.001 * 2.0 * (4 * 0.5 - 0.2)
    close(a1, [base, base + 0.02])
    close(v1[1:], [0.0])


def test_lif_adex_current_encoder_stays_finite() -> None:
    """Norse 1.1.0's update explodes to NaN for inputs like N(1.5, 3^2); the fixed one does not."""
    torch.manual_seed(0)
    v = torch.zeros(64)
    a = torch.zeros(64)
    spikes = 0.0
    for _ in range(500):
        z, v, a = sn.lif_adex_current_encoder(torch.randn(64) * 3 + 1.5, v, a)
        spikes += float(z.sum())
    assert torch.isfinite(v).all()
    assert torch.isfinite(a).all()
    assert a.abs().max() < 10
    assert spikes > 0


def test_lif_ex_current_encoder_by_hand() -> None:
    z, v = sn.lif_ex_current_encoder(torch.tensor([2.0]), torch.tensor([0.5]))
    close(v, [0.5 + 0.1 * (-0.5 + 0.5 * math.exp(-1.0) + 2.0)])
    assert z.item() == 0.0


def test_recurrent_adex_and_ex_equal_feed_forward_with_identity_weights() -> None:
    x = torch.rand(2, 3) * 5
    eye = torch.eye(3)
    zero = torch.zeros(3, 3)
    s = sn.LIFAdExState(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3))
    _, r = sn.lif_adex_step(x, s, eye, zero)
    _, f = sn.lif_adex_feed_forward_step(x, sn.LIFAdExFeedForwardState(s.v, s.i, s.a))
    torch.testing.assert_close(r.v, f.v)
    torch.testing.assert_close(r.a, f.a)
    s = sn.LIFExState(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3))
    _, r = sn.lif_ex_step(x, s, eye, zero)
    _, f = sn.lif_ex_feed_forward_step(x, sn.LIFExFeedForwardState(s.v, s.i))
    torch.testing.assert_close(r.v, f.v)


# ------------------------------------------------------------------------------------ refractory


def test_lif_refrac_counts_down_and_holds_voltage() -> None:
    p = sn.LIFRefracParameters()
    s = sn.LIFRefracFeedForwardState(sn.LIFFeedForwardState(torch.zeros(1), torch.zeros(1)), torch.zeros(1))
    z, s = sn.lif_refrac_feed_forward_step(torch.tensor([20.0]), s, p)
    assert z.item() == 1.0
    assert s.rho.item() == 5.0
    rhos, zs, vs = [], [], []
    for _ in range(6):
        z, s = sn.lif_refrac_feed_forward_step(torch.tensor([20.0]), s, p)
        rhos.append(s.rho.item())
        zs.append(z.item())
        vs.append(s.lif.v.item())
    assert rhos[:5] == [4.0, 3.0, 2.0, 1.0, 0.0]
    assert zs[:5] == [0.0] * 5  # suppressed while refractory
    assert vs[:5] == [0.0] * 5  # held at the reset voltage
    assert zs[5] == 1.0  # fires again right after the period
    assert s.lif.i.item() > 16  # current kept integrating


def test_refrac_aliases() -> None:
    assert sn.LIFRefraxParameters is sn.LIFRefracParameters
    assert sn.LIFRefraxFeedForwardState is sn.LIFRefracFeedForwardState


def test_lif_refrac_step_recurrent() -> None:
    s = sn.LIFRefracState(
        sn.LIFState(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1)), torch.zeros(1, 1)
    )
    z, s = sn.lif_refrac_step(torch.ones(1, 1), s, torch.tensor([[20.0]]), torch.zeros(1, 1))
    assert z.item() == 1.0
    assert s.rho.item() == 5.0
    assert s.lif.z.item() == 1.0


# ---------------------------------------------------------------------------------- multi-comp.


def test_lif_mc_couples_before_the_step() -> None:
    g = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    s = sn.LIFFeedForwardState(torch.tensor([0.0, 0.5]), torch.zeros(2))
    _, s1 = sn.lif_mc_feed_forward_step(torch.zeros(2), s, g)
    vc = torch.tensor([0.0 + 0.001 * 0.5, 0.5])
    close(s1.v, (vc + 0.1 * (-vc)).tolist())


def test_lif_mc_step_couples_after_the_step() -> None:
    g = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    s = sn.LIFState(torch.zeros(1, 2), torch.tensor([[0.0, 0.5]]), torch.zeros(1, 2))
    _, s1 = sn.lif_mc_step(torch.zeros(1, 2), s, torch.zeros(2, 2), torch.zeros(2, 2), g)
    v_lif = torch.tensor([[0.0, 0.45]])
    close(s1.v, (v_lif + 0.001 * v_lif @ g.T).tolist())


def test_lif_mc_refrac_coupling_has_no_dt_and_input_enters_after() -> None:
    g = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    s = sn.LIFRefracFeedForwardState(
        sn.LIFFeedForwardState(torch.tensor([0.0, 0.5]), torch.zeros(2)), torch.zeros(2)
    )
    z, s1 = sn.lif_mc_refrac_feed_forward_step(torch.tensor([3.0, 3.0]), s, g)
    close(s1.lif.v, [0.0 + 0.5, 0.5 - 0.05])  # coupling v G^T added without dt
    close(s1.lif.i, [3.0, 3.0])  # the input is added after the step
    close(z, [0.0, 0.0])


def test_lif_mc_refrac_refractoriness_does_not_block_spikes() -> None:
    s = sn.LIFRefracFeedForwardState(
        sn.LIFFeedForwardState(torch.tensor([2.0]), torch.zeros(1)), torch.tensor([3.0])
    )
    z, s1 = sn.lif_mc_refrac_feed_forward_step(torch.zeros(1), s, torch.zeros(1, 1))
    assert z.item() == 1.0  # v stays 2 (drive frozen) and still fires
    assert s1.rho.item() == 5.0


def test_lif_mc_refrac_step_recurrent() -> None:
    s = sn.LIFRefracState(
        sn.LIFState(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1)), torch.zeros(1, 1)
    )
    _, s1 = sn.lif_mc_refrac_step(
        torch.ones(1, 1), s, torch.tensor([[2.0]]), torch.zeros(1, 1), torch.zeros(1, 1)
    )
    close(s1.lif.i, [[2.0]])
    close(s1.lif.v, [[0.0]])


# ----------------------------------------------------------------------------------------- LSNN


def test_lsnn_adaptive_threshold() -> None:
    p = sn.LSNNParameters()
    s = sn.LSNNFeedForwardState(torch.zeros(1), torch.zeros(1), torch.ones(1))
    z, s = sn.lsnn_feed_forward_step(torch.tensor([20.0]), s, p)
    assert z.item() == 0.0
    close(s.v, [0.0])  # the input enters the current after the step
    close(s.i, [20.0])
    z, s = sn.lsnn_feed_forward_step(torch.zeros(1), s, p)
    assert z.item() == 1.0  # v1 = 2 > b = 1
    b1 = 1.0 + 0.001 * 0.00125 * 0.0
    close(s.b, [b1 + 1.8])
    close(s.v, [0.0])


def test_lsnn_b_relaxes_towards_v_th() -> None:
    s = sn.LSNNFeedForwardState(torch.zeros(1), torch.zeros(1), torch.tensor([3.0]))
    _, s = sn.lsnn_feed_forward_step(torch.zeros(1), s)
    close(s.b, [3.0 + 0.001 * 0.00125 * (1.0 - 3.0)], tol=1e-7)


def test_lsnn_step_recurrent_adds_weighted_input_after() -> None:
    s = sn.LSNNState(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1), torch.ones(1, 1))
    _, s = sn.lsnn_step(torch.ones(1, 2), s, torch.tensor([[1.0, 2.0]]), torch.zeros(1, 1))
    close(s.i, [[3.0]])
    close(s.v, [[0.0]])


# ----------------------------------------------------------------------------------- regularise


def test_spike_and_voltage_accumulators() -> None:
    z = torch.tensor([1.0, 0.0, 1.0])
    s = sn.LIFFeedForwardState(torch.tensor([0.5, 0.25, 0.0]), torch.zeros(3))
    out, count = sn.regularize_step(z, s)
    assert out is z
    assert count.item() == 2.0
    _, count = sn.regularize_step(z, s, state=count)
    assert count.item() == 4.0
    _, volts = sn.regularize_step(z, s, sn.voltage_accumulator)
    close(volts, [0.5, 0.25, 0.0])
    _, volts = sn.regularize_step(z, s, sn.voltage_accumulator, volts)
    close(volts, [1.0, 0.5, 0.0])
    assert sn.spike_accumulator(z, None).dim() == 0


def test_li_box_by_hand() -> None:
    v, s = sn.li_box_feed_forward_step(torch.tensor([2.0]), sn.LIBoxState(torch.tensor([1.0])))
    close(v, [1.0 + 0.1 * (-1.0 + 2.0)])
    assert v is s.v
    v, _ = sn.li_box_step(torch.ones(1, 2), sn.LIBoxState(torch.zeros(1, 1)), torch.tensor([[1.0, 2.0]]))
    close(v, [[0.3]])
