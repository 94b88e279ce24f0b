"""Receptive fields: densities, normalisation, derivative axes (fixed), scale distributions, modules."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from snn_encoding import (
    ParameterizedSpatialReceptiveField2d,
    SampledSpatialReceptiveField2d,
    SpatialReceptiveField2d,
    covariance_matrix,
    derive_kernel,
    gaussian_kernel,
    spatial_parameters,
    spatial_receptive_field,
    spatial_receptive_fields_with_derivatives,
    temporal_scale_distribution,
)


def density(size, c, domain, mx=0.0, my=0.0):
    """The 2-D normal density evaluated point by point with x along columns and y along rows."""
    c = c.double()
    inv, det = torch.linalg.inv(c), torch.linalg.det(c)
    grid = torch.linspace(-domain, domain, size, dtype=torch.float64)
    out = torch.empty(size, size, dtype=torch.float64)
    for r in range(size):
        for q in range(size):
            p = torch.stack([grid[q] - mx, grid[r] - my])
            out[r, q] = torch.exp(-0.5 * p @ inv @ p) / (2 * math.pi * torch.sqrt(det))
    return out


def test_gaussian_kernel_is_the_normal_density():
    c = torch.tensor([[2.0, 0.6], [0.6, 1.0]])
    out = gaussian_kernel(7, c, domain=3)
    assert out.shape == (7, 7)
    assert torch.allclose(out.double(), density(7, c, 3), rtol=1e-5, atol=1e-7)


def test_gaussian_kernel_centre_keywords_shift_the_peak():
    out = gaussian_kernel(9, torch.eye(2) * 0.5, domain=4, x=2.0, y=-1.0)
    assert torch.allclose(out.double(), density(9, torch.eye(2) * 0.5, 4, 2.0, -1.0), rtol=1e-5, atol=1e-8)
    row, col = divmod(int(out.argmax()), 9)
    assert (row, col) == (3, 6)  # y = -1 -> row 3, x = 2 -> column 6 on the grid -4..4


def test_gaussian_kernel_gradcheck_float64():
    c = torch.tensor([[1.5, 0.3], [0.3, 0.8]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda m: gaussian_kernel(5, (m + m.T) / 2, domain=2), (c,))


def test_covariance_matrix_eigen_structure():
    c = covariance_matrix(2.0, 0.5, math.pi / 6)
    values, vectors = torch.linalg.eigh(c)
    assert torch.allclose(values, torch.tensor([0.25, 4.0]), atol=1e-6)
    major = vectors[:, 1] * torch.sign(vectors[0, 1])
    assert torch.allclose(major, torch.tensor([math.cos(math.pi / 6), math.sin(math.pi / 6)]), atol=1e-6)


def test_spatial_receptive_field_is_normalised_and_scale_widens_it():
    small = spatial_receptive_field(torch.tensor(0.5), torch.tensor(0.0), torch.tensor(1.0), 21, domain=5)
    large = spatial_receptive_field(torch.tensor(4.0), torch.tensor(0.0), torch.tensor(1.0), 21, domain=5)
    assert torch.allclose(small.sum(), torch.tensor(1.0)) and torch.allclose(large.sum(), torch.tensor(1.0))
    assert small.max() > large.max()
    elongated = spatial_receptive_field(torch.tensor(1.0), torch.tensor(0.0), torch.tensor(2.0), 21, domain=5)
    assert elongated[10, 14] > elongated[14, 10]  # ratio 2 at angle 0: wider along x (columns)


def test_derivative_axes_follow_x_at_angle_zero():
    # Norse 1.1.0 differentiates along rows here; the fixed version differentiates along x (columns).
    k = spatial_receptive_field(torch.tensor(1.0), torch.tensor(0.0), torch.tensor(1.0), 9, dx=1)
    assert torch.all(k[:, 4].abs() < 1e-12)
    assert torch.all(k[4, :4] > 0) and torch.all(k[4, 5:] < 0)
    assert torch.allclose(k[4, :4], -k[4, 5:].flip(0))
    ky = spatial_receptive_field(torch.tensor(1.0), torch.tensor(0.0), torch.tensor(1.0), 9, dy=1)
    assert torch.allclose(ky, k.T, atol=1e-7)


def test_derive_kernel_is_directional_central_difference():
    k = torch.arange(25.0).reshape(5, 5) ** 2
    grad_rows, grad_cols = torch.gradient(k)
    for angle in (0.0, 0.4, math.pi / 2):
        expected = grad_cols * math.cos(angle) + grad_rows * math.sin(angle)
        assert torch.allclose(derive_kernel(k, angle), expected, atol=1e-4)


def test_derivative_is_scaled_by_scale():
    base = dict(angle=torch.tensor(0.3), ratio=torch.tensor(1.5), size=11, dx=1)
    k1 = spatial_receptive_field(torch.tensor(2.0), **base)
    plain = derive_kernel(spatial_receptive_field(torch.tensor(2.0), base["angle"], base["ratio"], 11), 0.3)
    assert torch.allclose(k1, plain * 2.0, atol=1e-8)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((4,), [1.0, math.sqrt(2), 2.0, math.sqrt(8)]),
        ((3, 1, None, 2), [1.0, 2.0, 4.0]),
        ((4, 1, 8), [1.0, math.sqrt(2), 2.0, math.sqrt(8)]),  # fixed: min..max, increasing
        ((3, 2, 32), [math.sqrt(2), math.sqrt(8), math.sqrt(32)]),
        ((1, 4, 9), [2.0]),
    ],
)
def test_temporal_scale_distribution(args, expected):
    out = temporal_scale_distribution(*args)
    assert out.dtype == torch.float32
    assert torch.allclose(out, torch.tensor(expected), rtol=1e-4)


def test_temporal_scale_distribution_errors():
    with pytest.raises(ValueError, match="n_scales"):
        temporal_scale_distribution(0)
    with pytest.raises(ValueError, match="min_scale"):
        temporal_scale_distribution(3, min_scale=-1)
    with pytest.raises(ValueError, match="max_scale"):
        temporal_scale_distribution(3, min_scale=4, max_scale=2)
    with pytest.raises(ValueError, match="c must"):
        temporal_scale_distribution(3, c=math.nan)


def test_spatial_parameters_rows():
    scales, angles = torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0])
    rows = spatial_parameters(scales, angles, torch.tensor([1.0, 0.5]), 0)
    assert rows.shape == (8, 5)
    assert torch.all(rows[:4, 2] == 0.5) and torch.all(rows[4:, 2] == 1.0)  # round fields last
    replicas = spatial_parameters(scales, angles, torch.tensor([1.0, 0.5]), 0, include_replicas=True)
    assert torch.equal(replicas[:, :3], torch.cartesian_prod(scales, angles, torch.tensor([1.0, 0.5])))
    with_derivatives = spatial_parameters(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([2.0]), 1)
    assert with_derivatives[:, 3:].tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    listed = spatial_parameters(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([2.0]), [(2, 0)])
    assert listed.tolist() == [[1.0, 0.0, 2.0, 2.0, 0.0]]
    with pytest.raises(ValueError, match="derivatives"):
        spatial_parameters(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([2.0]), "x")


def test_fields_with_derivatives_rows_and_centre_columns():
    rows = torch.tensor([[1.0, 0.0, 1.0, 0.0, 0.0], [2.0, 0.5, 2.0, 1.0, 1.0]])
    fields = spatial_receptive_fields_with_derivatives(rows, 9)
    assert fields.shape == (2, 9, 9)
    for field, row in zip(fields, rows):
        single = spatial_receptive_field(row[0], row[1], row[2], 9, int(row[3]), int(row[4]), domain=1)
        assert torch.equal(field, single)
    centred = torch.tensor([[1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.5, 0.0, 0.0, 0.0]])
    out = spatial_receptive_fields_with_derivatives(centred, 9, domain=1)
    assert torch.equal(out[0], fields[0])
    assert int(out[1].argmax()) % 9 == 6  # centre x = 0.5 on the grid -1..1 -> column 6
    with pytest.raises(ValueError, match="combinations"):
        spatial_receptive_fields_with_derivatives(torch.ones(2, 4), 9)


def test_kernel_errors():
    with pytest.raises(ValueError, match="2x2"):
        gaussian_kernel(5, torch.eye(3))
    with pytest.raises(ValueError, match="size"):
        gaussian_kernel(0, torch.eye(2))
    with pytest.raises(ValueError, match="domain"):
        gaussian_kernel(5, torch.eye(2), domain=-1)
    with pytest.raises(ValueError, match="dx"):
        spatial_receptive_field(1.0, 0.0, 1.0, 5, dx=-1)


PARAMETERS = torch.tensor([[1.0, 0.0, 1.0, 0.0, 0.0], [2.0, 0.7, 2.0, 1.0, 0.0], [1.5, 1.0, 0.5, 0.0, 1.0]])


def test_spatial_receptive_field_2d_aggregate():
    m = SpatialReceptiveField2d(2, 7, PARAMETERS.clone(), padding=3)
    x = torch.rand(1, 2, 12, 12)
    fields = spatial_receptive_fields_with_derivatives(PARAMETERS, 7, 8)
    expected = F.conv2d(x, fields[:, None].repeat(1, 2, 1, 1), padding=3)
    out = m(x)
    assert out.shape == (1, 3, 12, 12) and torch.allclose(out, expected, atol=1e-6)
    out.sum().backward()
    assert m.rf_parameters.grad is not None and m.rf_parameters.grad[:, :3].abs().sum() > 0


def test_spatial_receptive_field_2d_without_aggregation():
    m = SpatialReceptiveField2d(2, 7, PARAMETERS, aggregate=False, optimize_fields=False)
    assert m.out_channels == 6 and m.weights.shape == (6, 2, 7, 7)
    x = torch.rand(1, 2, 10, 10)
    out = m(x)
    fields = spatial_receptive_fields_with_derivatives(PARAMETERS, 7, 8)
    for i in range(2):
        for f in range(3):
            expected = F.conv2d(x[:, i : i + 1], fields[f][None, None])
            assert torch.allclose(out[:, i * 3 + f], expected[:, 0], atol=1e-6)
    assert "rf_parameters" not in m.state_dict()


def test_sampled_and_parameterized_modules_learn_their_values():
    scales, angles, ratios = torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0]), torch.tensor([0.5, 2.0])
    sampled = SampledSpatialReceptiveField2d(1, 7, scales, angles, ratios, 0, optimize_scales=False)
    out = sampled(torch.rand(1, 1, 9, 9))
    assert out.shape == (1, 8, 3, 3)
    out.square().sum().backward()
    assert sampled.ratios.grad is not None and sampled.ratios.grad.abs().sum() > 0
    assert not isinstance(sampled.scales, torch.nn.Parameter)
    param = ParameterizedSpatialReceptiveField2d(1, 7, scales, angles, ratios, 0)
    assert param.scales.shape == (8,)
    param(torch.rand(1, 1, 9, 9)).square().sum().backward()
    assert param.angles.grad.shape == (8,)
