"""Population encoding: Norse's verified numbers, the scale rule, gradients and errors."""

from __future__ import annotations

import math

import pytest
import torch

from snn_encoding import PopulationEncoder, euclidean_distance, gaussian_rbf, population_encode


def test_gaussian_rbf_and_squared_distance():
    assert torch.allclose(
        gaussian_rbf(torch.tensor([0.0, 2.0, 8.0]), sigma=2.0), torch.exp(-torch.tensor([0.0, 0.25, 1.0]))
    )
    assert torch.equal(
        euclidean_distance(torch.tensor([1.0, -1.0]), torch.tensor([3.0, 2.0])), torch.tensor([4.0, 9.0])
    )


def test_verified_rows_for_unit_range():
    out = population_encode(torch.tensor([0.0, 0.5, 1.0]), 3)
    expected = torch.tensor([[1.0, 0.8825, 0.6065], [0.8825, 1.0, 0.8825], [0.6065, 0.8825, 1.0]])
    assert torch.allclose(out, expected, atol=1e-4)


def test_scale_multiplies_the_distance():
    out = population_encode(torch.tensor([0.0, 1.0, 2.0]), 3)
    # centres 0, 1, 2 and scale 2: exp(-(1)^2 * 2 / 2) = exp(-1) next to the diagonal
    assert torch.allclose(out[0, 1], torch.tensor(math.exp(-1)))
    assert torch.allclose(out[1, 0], torch.tensor(math.exp(-1)))
    assert torch.allclose(out.diagonal(), torch.ones(3))


def test_explicit_scale_and_zero_scale_fallback():
    x = torch.tensor([0.2, 0.9])
    explicit = population_encode(x, 4, scale=3.0)
    centres = torch.linspace(0, 3.0, 4)
    assert torch.allclose(explicit, torch.exp(-((x[:, None] - centres) ** 2) * 3.0 / 2))
    assert torch.equal(population_encode(x, 4, scale=0), population_encode(x, 4))
    assert torch.equal(population_encode(x, 4, scale=torch.tensor(3.0)), explicit)


def test_output_shape_custom_kernel_and_distance():
    x = torch.rand(2, 3)
    out = population_encode(
        x, 5, scale=1.0, kernel=lambda d: -d, distance_function=lambda a, b: (a - b).abs()
    )
    assert out.shape == (2, 3, 5)
    assert torch.allclose(out, -(x.unsqueeze(-1) - torch.linspace(0, 1, 5)).abs())


def test_gradcheck_float64():
    x = torch.rand(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: population_encode(v, 3, scale=2.0), (x,))


def test_errors():
    with pytest.raises(ValueError, match="out_features"):
        population_encode(torch.rand(3), 0)
    with pytest.raises(TypeError, match="out_features"):
        population_encode(torch.rand(3), 2.0)
    with pytest.raises(ValueError, match="scale"):
        population_encode(torch.rand(3), 2, scale=torch.ones(3))
    with pytest.raises(ValueError, match="finite"):
        population_encode(torch.tensor([0.1, math.nan]), 2)
    with pytest.raises(ValueError, match="scale"):
        PopulationEncoder(3, scale=torch.ones(2))


def test_module_matches_function():
    x = torch.rand(2, 4)
    assert torch.equal(PopulationEncoder(6, scale=2.0)(x), population_encode(x, 6, 2.0))
