"""Spike logic: truth tables and SuperSpike gradients (snn-core's super_fn uses alpha)."""

from __future__ import annotations

import torch

from snn_encoding import logical_and, logical_or, logical_xor, muller_c, posedge_detector

X = torch.tensor([0.0, 0.0, 1.0, 1.0])
Y = torch.tensor([0.0, 1.0, 0.0, 1.0])


def test_truth_tables():
    assert torch.equal(logical_and(X, Y), torch.tensor([0.0, 0.0, 0.0, 1.0]))
    assert torch.equal(logical_or(X, Y), torch.tensor([0.0, 1.0, 1.0, 1.0]))
    assert torch.equal(logical_xor(X, Y), torch.tensor([0.0, 1.0, 1.0, 0.0]))


def test_muller_c_holds_previous_output_when_inputs_disagree():
    for y_prev in (0.0, 1.0):
        out = muller_c(torch.full((4,), y_prev), X, Y)
        assert torch.equal(out, torch.tensor([0.0, y_prev, y_prev, 1.0]))


def test_posedge_detector():
    z = torch.tensor([0.0, 1.0, 0.0, 1.0])
    z_prev = torch.tensor([0.0, 0.0, 1.0, 1.0])
    assert torch.equal(posedge_detector(z, z_prev), torch.tensor([0.0, 1.0, 0.0, 0.0]))


def _or_gradients(alpha=None):
    x, y = X.clone().requires_grad_(), Y.clone().requires_grad_()
    out = logical_or(x, y) if alpha is None else logical_or(x, y, alpha=alpha)
    out.sum().backward()
    return x.grad, y.grad


def test_logical_or_gradient_uses_default_alpha_100():
    gx, gy = _or_gradients()
    expected = 1 / (100 * (X + Y).abs() + 1) ** 2
    assert torch.allclose(gx, expected) and torch.allclose(gy, expected)


def test_logical_or_alpha_one_gives_norse_1_1_0_gradients():
    gx, gy = _or_gradients(alpha=1.0)
    expected = torch.tensor([1.0, 0.25, 0.25, 1 / 9])
    assert torch.allclose(gx, expected) and torch.allclose(gy, expected)


def test_muller_c_gradient():
    y_prev = torch.tensor([1.0, 1.0, 0.0, 0.0])
    x1 = X.clone().requires_grad_()
    muller_c(y_prev, x1, Y, alpha=2.0).sum().backward()
    a = X * Y + (X + Y) * y_prev
    surrogate = 1 / (2.0 * a.abs() + 1) ** 2
    assert torch.allclose(x1.grad, surrogate * (Y + y_prev))
