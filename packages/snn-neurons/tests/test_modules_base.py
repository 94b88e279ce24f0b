"""Base classes of the module wrappers: looping, record_states, validation, recurrent weights."""

from __future__ import annotations

import copy
import math
from typing import NamedTuple

import pytest
import torch

import snn_core
from snn_neurons import (
    LIF,
    SNN,
    LIFCell,
    LIFRecurrent,
    LIFRecurrentCell,
    LIFRefrac,
    SNNCell,
    SNNRecurrent,
    SNNRecurrentCell,
)


class AccState(NamedTuple):
    total: torch.Tensor
    count: torch.Tensor


class Nested(NamedTuple):
    inner: AccState
    last: torch.Tensor


def accumulate(x, s, p, dt):
    """A toy step: running sum scaled by p, plus a step counter."""
    total = s.total + p * x
    return total * dt, AccState(total, s.count + 1)


def nested_step(x, s, p, dt):
    out, inner = accumulate(x, s.inner, p, dt)
    return out, Nested(inner, x)


def acc_fallback(x):
    return AccState(torch.zeros_like(x), torch.zeros_like(x))


def test_snn_cell_calls_activation_with_p_and_dt() -> None:
    cell = SNNCell(accumulate, acc_fallback, p=2.0, dt=0.5)
    out, s = cell(torch.tensor([1.0, 3.0]))
    assert torch.equal(out, torch.tensor([1.0, 3.0]))  # (0 + 2 x) * 0.5
    out, s = cell(torch.tensor([1.0, 1.0]), s)
    assert torch.equal(s.total, torch.tensor([4.0, 8.0]))
    assert torch.equal(s.count, torch.tensor([2.0, 2.0]))


def test_snn_layer_loops_over_time_and_returns_final_state() -> None:
    layer = SNN(accumulate, lambda x: acc_fallback(x[0]), p=1.0, dt=1.0)
    xs = torch.arange(12.0).reshape(4, 3)
    out, s = layer(xs)
    assert torch.equal(out, torch.cumsum(xs, 0))
    assert torch.equal(s.total, xs.sum(0))
    assert torch.equal(s.count, torch.full((3,), 4.0))


def test_record_states_stacks_every_field_recursively() -> None:
    fallback = lambda x: Nested(acc_fallback(x[0]), torch.zeros_like(x[0]))  # noqa: E731
    layer = SNN(nested_step, fallback, p=1.0, dt=1.0, record_states=True)
    xs = torch.arange(12.0).reshape(4, 3)
    out, s = layer(xs)
    assert isinstance(s, Nested) and isinstance(s.inner, AccState)
    assert s.inner.total.shape == (4, 3)
    assert torch.equal(s.inner.total, torch.cumsum(xs, 0))  # state after each step
    assert torch.equal(s.inner.count[:, 0], torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert torch.equal(s.last, xs)


def test_record_states_of_lif_equals_stepping_the_cell() -> None:
    xs = torch.linspace(0, 400, 60).reshape(10, 2, 3)
    _, recorded = LIF(record_states=True)(xs)
    cell, s, vs = LIFCell(), None, []
    for x in xs:
        _, s = cell(x, s)
        vs.append(s.v)
    assert torch.equal(recorded.v, torch.stack(vs))
    assert recorded.i.shape == (10, 2, 3)


@pytest.mark.parametrize("dt", [0.0, -1e-3, float("nan"), float("inf")])
def test_non_positive_dt_raises_at_construction(dt: float) -> None:
    with pytest.raises(ValueError, match="dt"):
        LIF(dt=dt)
    with pytest.raises(ValueError, match="dt"):
        LIFCell(dt=dt)
    with pytest.raises(ValueError, match="dt"):
        LIFRecurrentCell(2, 3, dt=dt)


def test_invalid_backend_raises_at_construction() -> None:
    with pytest.raises(ValueError, match="backend"):
        LIF(backend="")
    with pytest.raises(ValueError, match="backend"):
        LIF(backend=3)  # type: ignore[arg-type]


def test_unavailable_explicit_backend_raises_clearly() -> None:
    layer = LIF(backend="no-such-backend")
    with pytest.raises(snn_core.BackendUnavailableError, match="no-such-backend"):
        layer(torch.ones(3, 2))


def test_layer_rejects_input_without_time_steps() -> None:
    with pytest.raises(ValueError, match="at least one step"):
        LIF()(torch.ones(0, 3))
    with pytest.raises(ValueError, match=r"\(5,\)"):
        LIFRecurrent(5, 2)(torch.ones(5))


def test_state_shape_mismatch_names_both_shapes() -> None:
    cell = LIFCell()
    _, s = cell(torch.ones(4, 3))
    with pytest.raises(ValueError, match=r"state\.v has shape \(4, 3\).*input of shape \(2, 3\)"):
        cell(torch.ones(2, 3), s)
    layer = LIF()
    _, s = layer(torch.ones(5, 4, 3))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(5, 2, 3\)"):
        layer(torch.ones(5, 2, 3), s)
    refrac = LIFRefrac()
    _, s = refrac(torch.ones(5, 4, 3))
    with pytest.raises(ValueError, match=r"state\.lif\.v"):
        refrac(torch.ones(5, 4, 2), s)


def test_broadcasting_state_is_accepted_with_norse_numbers() -> None:
    # Norse's LIFCell starts from a 0-dim v; such states still work and give the same numbers.
    from snn_neurons.functional.lif import LIFFeedForwardState

    x = torch.full((2, 3), 150.0)
    scalar_state = LIFFeedForwardState(torch.tensor(0.0), torch.zeros(2, 3))
    z1, s1 = LIFCell()(x, scalar_state)
    z2, s2 = LIFCell()(x)
    assert torch.equal(z1, z2) and torch.equal(s1.v, s2.v)


def test_recurrent_input_size_mismatch_raises() -> None:
    with pytest.raises(ValueError, match=r"input_size=4.*\(2, 3\)"):
        LIFRecurrentCell(4, 5)(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"input_size=4"):
        LIFRecurrent(4, 5)(torch.ones(7, 2, 3))


def test_recurrent_state_mismatch_raises() -> None:
    cell = LIFRecurrentCell(3, 5)
    _, s = cell(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(4, 3\)"):
        cell(torch.ones(4, 3), s)


@pytest.mark.parametrize("size", [0, -2, 2.5, True])
def test_invalid_sizes_raise(size) -> None:
    with pytest.raises(ValueError, match="hidden_size"):
        LIFRecurrentCell(3, size)


@pytest.mark.parametrize("cls", [SNNRecurrentCell, SNNRecurrent])
def test_default_weights_follow_norse_random_stream(cls) -> None:
    torch.manual_seed(7)
    module = cls(None, None, 3, 5, p=None)
    torch.manual_seed(7)
    scale = torch.sqrt(torch.tensor(2.0) / 5)
    w_in = torch.randn(5, 3) * scale
    w_rec = torch.randn(5, 5) * scale
    w_rec.fill_diagonal_(0.0)
    assert torch.equal(module.input_weights.data, w_in)
    assert torch.equal(module.recurrent_weights.data, w_rec)
    assert isinstance(module.input_weights, torch.nn.Parameter)
    assert sorted(dict(module.named_parameters())) == ["input_weights", "recurrent_weights"]


def test_default_weight_statistics_scale_with_hidden_size() -> None:
    torch.manual_seed(0)
    module = SNNRecurrentCell(None, None, 400, 200, p=None, autapses=True)
    expected = math.sqrt(2 / 200)
    assert module.input_weights.std().item() == pytest.approx(expected, rel=0.02)
    assert module.recurrent_weights.std().item() == pytest.approx(expected, rel=0.02)
    assert abs(module.input_weights.mean().item()) < 0.01 * 4


def test_autapses_false_zeroes_diagonal_and_its_gradient() -> None:
    torch.manual_seed(1)
    layer = LIFRecurrent(3, 4)
    assert torch.equal(torch.diagonal(layer.recurrent_weights).detach(), torch.zeros(4))
    xs = torch.rand(30, 2, 3) * 3
    z, s = layer(xs)
    (z.sum() + s.v.sum()).backward()
    grad = layer.recurrent_weights.grad
    assert grad is not None
    assert torch.equal(torch.diagonal(grad), torch.zeros(4))
    assert grad.abs().sum() > 0  # off-diagonal entries do learn


def _diagonal_grad(layer) -> torch.Tensor:
    z, s = layer(torch.rand(30, 2, 3) * 3)
    (z.sum() + s.v.sum()).backward()
    return torch.diagonal(layer.recurrent_weights.grad)


def test_no_autapses_survive_deepcopy_pickling_and_loading_weights() -> None:
    import io

    torch.manual_seed(2)
    layer = LIFRecurrent(3, 4)
    assert torch.equal(_diagonal_grad(copy.deepcopy(layer)), torch.zeros(4))
    buffer = io.BytesIO()
    torch.save(layer, buffer)
    buffer.seek(0)
    assert torch.equal(_diagonal_grad(torch.load(buffer, weights_only=False)), torch.zeros(4))
    # weights with a non-zero diagonal loaded later: self-connections still have no effect
    fresh = LIFRecurrent(3, 4)
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    state["recurrent_weights"] += torch.eye(4) * 100
    fresh.load_state_dict(state)
    xs = torch.rand(30, 2, 3) * 3
    assert torch.equal(fresh(xs)[0], layer(xs)[0])
    cell = LIFRecurrentCell(3, 4)
    cell.load_state_dict(state)
    out_cell, _ = cell(xs[0])
    assert torch.equal(out_cell, layer(xs[:1])[0][0])


def test_autapses_true_keeps_diagonal_and_gradient() -> None:
    torch.manual_seed(1)
    layer = LIFRecurrent(3, 4, autapses=True)
    assert (torch.diagonal(layer.recurrent_weights) != 0).all()
    z, s = layer(torch.rand(30, 2, 3) * 3)
    (z.sum() + s.v.sum()).backward()
    assert torch.diagonal(layer.recurrent_weights.grad).abs().sum() > 0


def test_given_weights_are_copied_unless_parameters() -> None:
    w_rec = torch.ones(3, 3)
    cell = LIFRecurrentCell(2, 3, input_weights=torch.ones(3, 2), recurrent_weights=w_rec)
    assert torch.equal(w_rec, torch.ones(3, 3))  # the caller's tensor is untouched
    assert torch.equal(cell.recurrent_weights.detach(), torch.ones(3, 3) - torch.eye(3))
    shared = torch.nn.Parameter(torch.ones(3, 3))
    cell2 = LIFRecurrentCell(2, 3, recurrent_weights=shared)
    assert cell2.recurrent_weights is shared
    assert torch.equal(torch.diagonal(shared).detach(), torch.zeros(3))


def test_given_weights_of_wrong_shape_raise() -> None:
    with pytest.raises(ValueError, match=r"input_weights must have shape \(3, 2\)"):
        LIFRecurrentCell(2, 3, input_weights=torch.ones(2, 3))
    with pytest.raises(ValueError, match="recurrent_weights"):
        LIFRecurrentCell(2, 3, recurrent_weights=torch.ones(3, 2))


def test_modules_deepcopy_and_state_dict_hold_only_weights() -> None:
    layer = LIFRecurrent(3, 4)
    clone = copy.deepcopy(layer)
    xs = torch.rand(10, 2, 3) * 3
    assert torch.equal(layer(xs)[0], clone(xs)[0])
    assert sorted(layer.state_dict()) == ["input_weights", "recurrent_weights"]
    assert LIF().state_dict() == {}
