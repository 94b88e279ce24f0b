"""snn-core's threshold functions against Norse 1.1.0: forward values and gradients, bit for bit."""

from __future__ import annotations

import pytest
import torch

import snn_core

norse_threshold = pytest.importorskip("norse.torch.functional.threshold")
norse_super = pytest.importorskip("norse.torch.functional.superspike")
norse_heaviside = pytest.importorskip("norse.torch.functional.heaviside")


def values_and_grad(fn, x: torch.Tensor, *args):
    x = x.clone().requires_grad_(True)
    y = fn(x, *args)
    g = torch.randn_like(x, generator=torch.Generator().manual_seed(3))
    (grad,) = torch.autograd.grad(y, x, g)
    return y.detach(), grad


@pytest.fixture
def x() -> torch.Tensor:
    return torch.randn(4096, generator=torch.Generator().manual_seed(0)) * 2


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("ours", "theirs", "alpha"),
    [
        ("heavi_tanh_fn", "heavi_tanh_fn", 2.5),
        ("heavi_erfc_fn", "heavi_erfc_fn", 0.7),
        ("heavi_circ_fn", "heavi_circ_fn", 1.3),
        ("triangle_fn", "triangle_fn", 0.3),
        ("heavi_tanh_fn", "heavi_tanh_fn", 100.0),
    ],
)
def test_surrogates_are_bitwise_equal(x, dtype, ours, theirs, alpha) -> None:
    x = x.to(dtype)
    y1, g1 = values_and_grad(getattr(snn_core, ours), x, alpha)
    y2, g2 = values_and_grad(getattr(norse_threshold, theirs), x, alpha)
    assert torch.equal(y1, y2)
    assert torch.equal(g1, g2)


@pytest.mark.parametrize("method", ["super", "tanh", "circ", "heavi_erfc", "triangle"])
def test_threshold_dispatch_matches_norse(x, method) -> None:
    alpha = 1.0 if method == "super" else 0.8  # super: alpha=1 is where Norse 1.1.0 and we agree
    alpha = torch.as_tensor(alpha)  # LIF's default alpha is a 0-dim tensor
    y1, g1 = values_and_grad(snn_core.threshold, x, method, alpha)
    y2, g2 = values_and_grad(norse_threshold.threshold, x, method, alpha)
    assert torch.equal(y1, y2)
    assert torch.equal(g1, g2)


def test_super_fn_deviation_uses_alpha(x) -> None:
    """Decided deviation (DESIGN.md): Norse 1.1.0 ignores alpha; we use 1/(alpha|x|+1)^2 as Norse main."""
    _, g_theirs = values_and_grad(norse_super.super_fn, x, torch.as_tensor(100.0))
    _, g_ours_1 = values_and_grad(snn_core.super_fn, x, 1.0)
    assert torch.equal(g_theirs, g_ours_1)
    y, g_ours = values_and_grad(snn_core.super_fn, x, 100.0)
    gout = torch.randn_like(x, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(g_ours, gout / (100.0 * x.abs() + 1.0) ** 2, rtol=1e-6, atol=0)


def test_heaviside_matches(x) -> None:
    assert torch.equal(snn_core.heaviside(x), norse_heaviside.heaviside(x))


@pytest.mark.parametrize(
    ("ours", "theirs"), [("logistic_fn", "logistic_fn"), ("circ_dist_fn", "circ_dist_fn")]
)
def test_stochastic_streams_and_gradients_match(x, ours, theirs) -> None:
    torch.manual_seed(11)
    y1, g1 = values_and_grad(getattr(snn_core, ours), x, 0.9)
    torch.manual_seed(11)
    y2, g2 = values_and_grad(getattr(norse_threshold, theirs), x, 0.9)
    assert torch.equal(y1, y2)
    assert torch.equal(g1, g2)
