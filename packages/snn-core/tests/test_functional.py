"""traceTorch's functional helpers: spec values (tracetorch.md §8) and hand-derived gradients."""

from __future__ import annotations

import math
import pickle

import pytest
import torch

import snn_core
from snn_core import functional as F


@pytest.mark.parametrize(
    ("fn", "arg", "expected"),
    [
        (F.halflife_to_decay, 1, 0.5),
        (F.halflife_to_decay, 10, 0.9330329915),
        (F.halflife_to_decay, 100, 0.9930924954),
        (F.decay_to_halflife, 0.5, 1.0),
        (F.decay_to_halflife, 0.9, 6.578813479),
        (F.decay_to_halflife, 0.99, 68.96756394),
        (F.timesteps_to_decay, 2, 0.5),
        (F.timesteps_to_decay, 10, 0.9),
        (F.timesteps_to_decay, 100, 0.99),
        (F.decay_to_timesteps, 0.5, 2.0),
        (F.decay_to_timesteps, 0.9, 10.000000000000002),
        (F.decay_to_timesteps, 0.99, 99.99999999999991),
    ],
)
def test_decay_helpers_spec_values(fn, arg, expected) -> None:
    out = fn(arg)
    assert isinstance(out, float)
    assert out == pytest.approx(expected, abs=1e-8)


def test_decay_helpers_accept_one_element_tensors_and_round_trip() -> None:
    assert F.halflife_to_decay(torch.tensor(10.0)) == pytest.approx(0.9330329915)
    for n in (1.5, 7.0, 300.0):
        assert F.decay_to_halflife(F.halflife_to_decay(n)) == pytest.approx(n)
        assert F.decay_to_timesteps(F.timesteps_to_decay(n)) == pytest.approx(n)


@pytest.mark.parametrize(
    ("fn", "bad"),
    [
        (F.halflife_to_decay, 0),
        (F.halflife_to_decay, -3),
        (F.decay_to_halflife, 1.0),
        (F.decay_to_halflife, 0.0),
        (F.timesteps_to_decay, 0.5),
        (F.decay_to_timesteps, 1.0),
    ],
)
def test_decay_helpers_reject_out_of_range(fn, bad) -> None:
    with pytest.raises(ValueError, match=repr(bad)):
        fn(bad)


def test_sigmoid_inverse_values_and_range_check() -> None:
    x = torch.tensor([0.5, 0.9, 0.1])
    assert torch.allclose(F.sigmoid_inverse(x), torch.tensor([0.0, 2.1972246, -2.1972246]))
    assert torch.allclose(torch.sigmoid(F.sigmoid_inverse(x)), x)
    for bad in (0.0, 1.0, 0.99999999):  # the last rounds to 1.0 in float32
        with pytest.raises(ValueError, match="open interval"):
            F.sigmoid_inverse(torch.tensor([0.5, bad]))


def test_softplus_inverse_values_and_large_inputs_stay_finite() -> None:
    assert F.softplus_inverse(torch.tensor(1.0)).item() == pytest.approx(0.5413249, abs=1e-7)
    x = torch.tensor([0.01, 1.0, 5.0, 19.9, 25.0, 100.0, 1e4])
    raw = F.softplus_inverse(x)
    assert torch.isfinite(raw).all()
    assert torch.allclose(torch.nn.functional.softplus(raw), x, rtol=1e-6)
    small = torch.tensor([0.01, 1.0, 5.0])
    assert torch.equal(F.softplus_inverse(small), torch.log(torch.expm1(small)))
    with pytest.raises(ValueError, match="> 0"):
        F.softplus_inverse(torch.tensor([1.0, 0.0]))


def test_mamba_scale_values() -> None:
    assert F.mamba_scale(torch.tensor(0.5)).item() == pytest.approx(0.0, abs=1e-7)
    assert F.mamba_scale(torch.tensor(0.9)).item() == pytest.approx(-1.8838542, abs=1e-6)
    r = F.mamba_scale(torch.tensor([0.2, 0.7]))
    assert torch.allclose(torch.exp(-math.log(2) * torch.exp(r)), torch.tensor([0.2, 0.7]))
    with pytest.raises(ValueError):
        F.mamba_scale(torch.tensor(1.0))


def test_sigmoid4x_values_and_derivative() -> None:
    x = torch.tensor([0.0, 0.25, -1.0, 1.0], requires_grad=True)
    y = F.sigmoid4x(x)
    assert torch.allclose(y, torch.tensor([0.5, 0.731059, 0.017986, 0.982014]), atol=1e-6)
    y.sum().backward()
    assert x.grad[0].item() == pytest.approx(1.0)
    assert F.sigmoid4x is snn_core.sigmoid4x


def test_round_ste_half_to_even_and_identity_gradient() -> None:
    x = torch.tensor([0.5, 1.5, 2.5, -0.5, 0.7, -1.2], requires_grad=True)
    y = F.round_ste()(x)
    assert y.tolist() == [0.0, 2.0, 2.0, -0.0, 1.0, -1.0]
    (y * torch.arange(6.0)).sum().backward()
    assert torch.equal(x.grad, torch.arange(6.0))
    assert F.round_ste(0.25)(torch.tensor([0.3, 0.4])).tolist() == [0.25, 0.5]
    with pytest.raises(ValueError, match="step_size"):
        F.round_ste(0.0)


def test_stochastic_round_is_bernoulli_of_fraction() -> None:
    torch.manual_seed(0)
    x = torch.full((20000,), 0.3, requires_grad=True)
    y = F.stochastic_round_ste()(x)
    assert set(y.unique().tolist()) <= {0.0, 1.0}
    assert y.mean().item() == pytest.approx(0.3, abs=0.02)
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))
    assert F.stochastic_round_ste(0.5)(torch.tensor([1.5, -2.0])).tolist() == [1.5, -2.0]


def test_probabilistic_ste_outputs_zero_or_x_and_gradient_2x() -> None:
    torch.manual_seed(1)
    x = torch.rand(1000, requires_grad=True)
    y = F.probabilistic_ste()(x)
    assert bool(((y == 0) | (y == x)).all())
    y.sum().backward()
    assert torch.allclose(x.grad, 2 * x.detach())


def test_quantizers_pickle() -> None:
    for q in (F.round_ste(0.5), F.stochastic_round_ste(2.0), F.probabilistic_ste()):
        again = pickle.loads(pickle.dumps(q))
        assert type(again) is type(q)
    assert pickle.loads(pickle.dumps(F.round_ste(0.5))).step_size == 0.5


def test_exported_from_top_level() -> None:
    classes = {"RoundSTE", "StochasticRoundSTE", "ProbabilisticSTE"}
    for name in set(F.__all__) - classes:
        assert getattr(snn_core, name) is getattr(F, name)
        assert name in snn_core.__all__
