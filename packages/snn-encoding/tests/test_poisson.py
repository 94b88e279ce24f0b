"""Poisson encoders: exact random streams, rates, shapes and argument errors."""

from __future__ import annotations

import math

import pytest
import torch

from snn_encoding import (
    PoissonEncoder,
    PoissonEncoderStep,
    SignedPoissonEncoder,
    SignedPoissonEncoderStep,
    poisson_encode,
    poisson_encode_step,
    signed_poisson_encode,
    signed_poisson_encode_step,
)


def generator(seed: int = 7) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_poisson_encode_is_one_rand_call_compared_strictly():
    x = torch.rand(4, 5)
    expected_noise = torch.rand(30, 4, 5, generator=generator())
    expected = (expected_noise < 0.1 * x).float()  # dt * f_max = 0.001 * 100
    assert torch.equal(poisson_encode(x, 30, generator=generator()), expected)


def test_poisson_encode_equals_stacked_steps_with_same_f_max():
    x = torch.rand(3, 6)
    g = generator(3)
    steps = torch.stack([poisson_encode_step(x, f_max=100, generator=g) for _ in range(25)])
    assert torch.equal(poisson_encode(x, 25, generator=generator(3)), steps)


def test_poisson_default_f_max_differs_between_sequence_and_step():
    x = torch.ones(2000)
    # p = dt * f_max: 0.1 for the sequence encoder, 1.0 for the step encoder
    assert poisson_encode_step(x).sum() == 2000
    rate = poisson_encode(x, 10, generator=generator()).mean().item()
    assert abs(rate - 0.1) < 0.01


def test_poisson_rate_matches_probability():
    x = torch.tensor([0.0, 0.25, 0.5, 1.0])
    spikes = poisson_encode(x, 20000, f_max=200, dt=0.002, generator=generator(1))
    rates = spikes.mean(0)
    expected = 0.4 * x
    assert torch.allclose(rates, expected, atol=0.01)
    assert rates[0] == 0


def test_poisson_output_dtype_shape_and_empty_sequence():
    x = torch.rand(2, 3, dtype=torch.float64)
    out = poisson_encode(x, 4)
    assert out.shape == (4, 2, 3) and out.dtype == torch.float32
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    assert poisson_encode(x, 0).shape == (0, 2, 3)


def test_same_generator_seed_same_spikes_and_different_seed_differs():
    x = torch.full((100,), 0.5)
    a = poisson_encode(x, 50, generator=generator(11))
    b = poisson_encode(x, 50, generator=generator(11))
    c = poisson_encode(x, 50, generator=generator(12))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_global_generator_is_used_without_generator():
    x = torch.full((64,), 0.5)
    torch.manual_seed(5)
    a = poisson_encode(x, 10)
    torch.manual_seed(5)
    assert torch.equal(a, (torch.rand(10, 64) < 0.1 * x).float())


def test_signed_poisson_encode_formula_and_values():
    x = torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0])
    noise = torch.rand(40, 5, generator=generator(2))
    expected = torch.sign(x) * (noise < 0.3 * torch.abs(x)).float()
    out = signed_poisson_encode(x, 40, f_max=300, generator=generator(2))
    assert torch.equal(out, expected)
    assert torch.all(out[:, 2] == 0)
    assert torch.all(out[:, :2] <= 0) and torch.all(out[:, 3:] >= 0)
    assert out[:, 0].abs().sum() > 0


def test_signed_poisson_step_formula():
    x = torch.tensor([[-2.0, 0.3], [0.7, -0.1]])
    noise = torch.rand(2, 2, generator=generator(4))
    expected = torch.sign(x) * (noise < 1.0 * torch.abs(x)).float()
    assert torch.equal(signed_poisson_encode_step(x, generator=generator(4)), expected)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: poisson_encode(x, 5),
        lambda x: poisson_encode_step(x),
    ],
)
def test_negative_or_nonfinite_rates_raise(call):
    with pytest.raises(ValueError, match="input_values must be >= 0"):
        call(torch.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match="finite"):
        call(torch.tensor([0.5, math.nan]))
    with pytest.raises(ValueError, match="finite"):
        call(torch.tensor([math.inf]))


def test_signed_encoders_reject_nonfinite_but_accept_negative():
    with pytest.raises(ValueError, match="finite"):
        signed_poisson_encode(torch.tensor([math.nan]), 3)
    with pytest.raises(ValueError, match="finite"):
        signed_poisson_encode_step(torch.tensor([-math.inf]))
    assert signed_poisson_encode(torch.tensor([-1.0]), 3).shape == (3, 1)


@pytest.mark.parametrize("encode", [poisson_encode, signed_poisson_encode])
def test_bad_scalar_arguments_raise(encode):
    x = torch.rand(3)
    with pytest.raises(ValueError, match="f_max"):
        encode(x, 5, f_max=-1.0)
    with pytest.raises(ValueError, match="f_max"):
        encode(x, 5, f_max=math.inf)
    with pytest.raises(ValueError, match="dt"):
        encode(x, 5, dt=0.0)
    with pytest.raises(ValueError, match="seq_length"):
        encode(x, -1)
    with pytest.raises(TypeError, match="seq_length"):
        encode(x, 2.5)
    with pytest.raises(TypeError, match="input_values"):
        encode([0.1, 0.2], 5)


def test_poisson_modules_match_functions_and_accept_generator():
    x = torch.rand(2, 3)
    assert torch.equal(
        PoissonEncoder(8, generator=generator(9))(x), poisson_encode(x, 8, generator=generator(9))
    )
    assert torch.equal(
        PoissonEncoderStep(f_max=500, generator=generator(9))(x),
        poisson_encode_step(x, f_max=500, generator=generator(9)),
    )
    y = x - 0.5
    assert torch.equal(
        SignedPoissonEncoder(8, f_max=400, generator=generator(9))(y),
        signed_poisson_encode(y, 8, f_max=400, generator=generator(9)),
    )
    assert torch.equal(
        SignedPoissonEncoderStep(generator=generator(9))(y),
        signed_poisson_encode_step(y, generator=generator(9)),
    )


def test_poisson_module_validates_at_construction():
    with pytest.raises(ValueError, match="f_max"):
        PoissonEncoder(10, f_max=-5)
    with pytest.raises(ValueError, match="dt"):
        PoissonEncoderStep(dt=-1)
    with pytest.raises(ValueError, match="seq_length"):
        SignedPoissonEncoder(-2)
    with pytest.raises(TypeError, match="generator"):
        PoissonEncoder(10, generator=123)
