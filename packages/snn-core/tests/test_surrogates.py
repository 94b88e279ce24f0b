"""Surrogate threshold functions: forward values and hand-derived gradients."""

from __future__ import annotations

import math

import pytest
import torch

import snn_core
from snn_core import surrogates as s

X = torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.5])


def grad_of(fn, x: torch.Tensor, *args) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    fn(x, *args).sum().backward()
    return x.grad


@pytest.mark.parametrize("method", ["super", "tanh", "heavi_erfc", "circ", "triangle", "heaviside"])
def test_forward_is_strict_heaviside_in_input_dtype(method: str) -> None:
    x = torch.tensor([-1.0, -0.0, 0.0, 1e-30, 2.0, float("nan")], dtype=torch.float64)
    z = snn_core.threshold(x, method, 2.0)
    assert z.dtype == torch.float64
    assert z.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 0.0]


def test_heaviside_has_no_gradient() -> None:
    x = torch.tensor([1.0], requires_grad=True)
    assert not snn_core.heaviside(x).requires_grad


def test_super_uses_alpha() -> None:
    alpha = 3.0
    expected = 1 / (alpha * X.abs() + 1) ** 2
    torch.testing.assert_close(grad_of(s.super_fn, X, alpha), expected, rtol=0, atol=1e-7)
    # alpha = 1 reproduces Norse 1.1.0's gradient 1/(|x|+1)^2
    torch.testing.assert_close(grad_of(s.super_fn, X, 1.0), 1 / (X.abs() + 1) ** 2, rtol=0, atol=1e-7)


def test_tanh_erfc_circ_triangle_gradients() -> None:
    k = 2.0
    torch.testing.assert_close(grad_of(s.heavi_tanh_fn, X, k), 1 - torch.tanh(k * X) ** 2)
    torch.testing.assert_close(
        grad_of(s.heavi_erfc_fn, X, k), 2 / math.sqrt(math.pi) * torch.exp(-((k * X) ** 2))
    )
    torch.testing.assert_close(grad_of(s.heavi_circ_fn, X, k), k**3 / (k**2 + X**2) ** 1.5)
    torch.testing.assert_close(grad_of(s.triangle_fn, X, k), k * torch.relu(1 - X.abs()))
    torch.testing.assert_close(grad_of(s.triangle_fn, X), 0.3 * torch.relu(1 - X.abs()))  # default alpha


def test_gradcheck_of_surrogate_backward_in_float64() -> None:
    # The backward of each surrogate is the derivative of its smooth proxy; check the proxies by gradcheck.
    x = torch.linspace(-2, 2, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: torch.tanh(2 * t) / 2, (x,))
    g = grad_of(s.heavi_tanh_fn, x.detach(), 2.0)
    torch.testing.assert_close(g, 1 - torch.tanh(2 * x.detach()) ** 2)


def test_stochastic_forward_uses_one_bernoulli_draw_on_the_global_generator() -> None:
    x = torch.linspace(-1, 1, 1000)
    torch.manual_seed(7)
    z = s.logistic_fn(x, 2.0)
    torch.manual_seed(7)
    expected = (torch.rand_like(x) < 0.5 + 0.5 * torch.tanh(2.0 * x)).float()
    assert torch.equal(z, expected)
    torch.manual_seed(7)
    z = s.circ_dist_fn(x, 0.5)
    torch.manual_seed(7)
    expected = (torch.rand_like(x) < 0.5 + 0.5 * (x / torch.sqrt(x**2 + 0.25))).float()
    assert torch.equal(z, expected)


def test_stochastic_nan_probability_raises() -> None:
    with pytest.raises(ValueError, match="circ_dist_fn"):
        s.circ_dist_fn(torch.zeros(3), 0.0)


def test_sigmoid4x_values_and_derivative() -> None:
    x = torch.tensor([0.0, 0.25, -1.0, 1.0], requires_grad=True)
    y = s.sigmoid4x(x)
    torch.testing.assert_close(
        y.detach(), torch.tensor([0.5, 0.731059, 0.017986, 0.982014]), atol=1e-6, rtol=0
    )
    y.sum().backward()
    assert x.grad[0].item() == pytest.approx(1.0)


def test_sign_is_two_threshold_minus_one() -> None:
    assert snn_core.sign(X, "super", 1.0).tolist() == [-1.0, -1.0, -1.0, 1.0, 1.0]


def test_unknown_method_is_a_key_error_listing_methods() -> None:
    with pytest.raises(KeyError, match="registered thresholds: circ, circ_dist, heavi_erfc"):
        snn_core.threshold(X, "adjoint", 1.0)


def test_surrogates_work_under_torch_func_grad() -> None:
    g = torch.func.grad(lambda t: s.super_fn(t, 2.0).sum())(X)
    torch.testing.assert_close(g, 1 / (2 * X.abs() + 1) ** 2)


def test_threshold_by_name_compiles_without_graph_breaks() -> None:
    snn_core.registry()  # built outside the compiled region (its build is excluded from tracing)

    def f(x: torch.Tensor) -> torch.Tensor:
        return snn_core.threshold(x * 2 - 1, "super", 2.0) * x

    x = torch.randn(16, requires_grad=True)
    explanation = torch._dynamo.explain(f)(x)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    compiled = torch.compile(f, backend="eager")
    compiled(x).sum().backward()
    expected = torch.autograd.grad(f(x).sum(), x)[0]
    torch.testing.assert_close(x.grad, expected)


def test_surrogate_function_builds_a_plugin_surrogate() -> None:
    boxcar = s.surrogate_function("Boxcar", lambda x, a, g: g * (x.abs() < a).to(g.dtype))
    x = torch.tensor([-0.7, 0.2, 0.9], requires_grad=True)
    z = boxcar.apply(x, 0.5)
    z.sum().backward()
    assert z.tolist() == [0.0, 1.0, 1.0]
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_surrogates_work_under_vmap_and_grad() -> None:
    xs = torch.stack([X, -X])
    z = torch.func.vmap(lambda t: s.super_fn(t, 2.0))(xs)
    assert torch.equal(z, (xs > 0).float())
    g = torch.func.vmap(torch.func.grad(lambda t: s.heavi_tanh_fn(t, 2.0).sum()))(xs)
    torch.testing.assert_close(g, 1 - torch.tanh(2 * xs) ** 2)


@pytest.mark.parametrize("method", ["super", "tanh", "heavi_erfc", "circ", "triangle", "heaviside"])
def test_declared_derivative_equals_the_backward(method: str) -> None:
    spec = snn_core.registry().thresholds[method]
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    factor = spec.derivative(x, 0.7)
    if method == "heaviside":
        assert torch.equal(factor, torch.zeros_like(x))
        return
    leaf = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(spec.fn(leaf, 0.7), leaf, torch.ones_like(x))
    assert torch.equal(factor, grad)
    assert factor.abs().sum() > 0


def test_stochastic_and_smooth_thresholds_declare_no_derivative() -> None:
    reg = snn_core.registry().thresholds
    assert [n for n in ("logistic", "circ_dist", "sigmoid4x") if reg[n].derivative is not None] == []
