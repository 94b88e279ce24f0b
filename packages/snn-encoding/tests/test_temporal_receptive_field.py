"""TemporalReceptiveField: time constants, shapes, training, the lazy default neuron and its missing-package error.

Most tests use a small stand-in cell so that they run with only snn-core and snn-encoding; the
tests of the default (snn-neurons' ``LIBoxCell``) skip when snn-neurons is not installed.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys
import types
from typing import Any, NamedTuple

import pytest
import torch
from torch import Tensor, nn

from snn_core import UnknownComponentError
from snn_encoding import TemporalReceptiveField, temporal_scale_distribution


class BoxParameters(NamedTuple):
    tau_mem_inv: Tensor
    v_leak: float = 0.0


class BoxCell(nn.Module):
    """A stand-in leaky integrator: v' = v + dt tau^-1 ((v_leak - v) + x), output v' (state None -> v = v_leak)."""

    def __init__(self, p: BoxParameters, dt: float = 0.001) -> None:
        super().__init__()
        self.p, self.dt = p, dt

    def forward(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        v = torch.full_like(x, self.p.v_leak) if state is None else state
        v = v + self.dt * self.p.tau_mem_inv * ((self.p.v_leak - v) + x)
        return v, v


def box_rf(shape: Any, **kwargs: Any) -> TemporalReceptiveField:
    return TemporalReceptiveField(
        shape, activation=BoxCell, activation_state_map=lambda t: BoxParameters(tau_mem_inv=t), **kwargs
    )


# --- time constants --------------------------------------------------------------------------


def test_default_time_constants_are_one_over_dt_times_the_scales() -> None:
    rf = box_rf((3, 4))
    assert isinstance(rf.ps, nn.Parameter) and rf.ps.requires_grad
    assert rf.ps.shape == (4, 3, 1) and rf.ps.dtype == torch.float32
    # scales sqrt(c^(2(k-1))) = c^(k-1) with c = 1.41421, so rates 1000 / c^(k-1), equal across channels
    expected = torch.tensor([1000.0 / 1.41421**k for k in range(4)])
    torch.testing.assert_close(rf.ps[:, 0, 0], expected, rtol=1e-6, atol=0.0)
    assert torch.equal(rf.ps, rf.ps[:, :1].expand(4, 3, 1))
    assert rf.ps[:, 0, 0].tolist() == pytest.approx([1000.0, 707.1086, 500.0025, 353.5561], rel=1e-6)
    # bit for bit the documented expression
    assert torch.equal(rf.ps[:, 0, 0], (1 / 0.001) / temporal_scale_distribution(4))


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((2,), {"n_scales": 1}),
        ((5, 6, 7), {"n_scales": 6, "min_scale": 2.5, "c": 1.7, "dt": 0.0007}),
        ((1, 2, 3, 4), {"n_scales": 3, "min_scale": 0.5, "max_scale": 4.5}),
    ],
)
def test_time_constant_shape_and_values(shape: tuple[int, ...], kwargs: dict[str, Any]) -> None:
    rf = box_rf(shape, **kwargs)
    n = kwargs["n_scales"]
    assert rf.ps.shape == (n, shape[0], *([1] * (len(shape) - 1)))
    scales = temporal_scale_distribution(
        n, kwargs.get("min_scale", 1), kwargs.get("max_scale"), kwargs.get("c", 1.41421)
    )
    rates = (1 / kwargs.get("dt", 0.001)) / scales
    assert torch.equal(rf.ps.reshape(n, -1), rates[:, None].expand(n, shape[0]))
    assert rf.time_constants is rf.ps


def test_max_scale_gives_variances_from_min_to_max() -> None:
    # variances 1 .. 8 -> standard deviations 1 .. 2.83 -> rates 1000 .. 353.6 (decreasing)
    rf = box_rf((2,), max_scale=8.0)
    assert rf.ps[:, 0].tolist() == pytest.approx([1000.0, 707.1068, 500.0, 353.5534], rel=1e-6)
    assert torch.all(rf.ps[1:, 0] < rf.ps[:-1, 0])


def test_given_time_constants_are_used_and_copied() -> None:
    given = torch.tensor([10.0, 20.0, 40.0]).reshape(3, 1, 1)
    rf = box_rf((1, 5), n_scales=3, time_constants=given)
    assert torch.equal(rf.ps, given) and rf.ps.data_ptr() != given.data_ptr()
    with torch.no_grad():
        rf.ps.mul_(2)
    assert given.flatten().tolist() == [10.0, 20.0, 40.0]  # training never writes to the caller's tensor
    # min_scale / max_scale / c are not used then
    assert torch.equal(box_rf((1, 5), n_scales=3, time_constants=given, max_scale=9.0).ps, given)


def test_given_parameter_is_used_as_it_is() -> None:
    shared = nn.Parameter(torch.full((2, 4, 1), 50.0, dtype=torch.float64))
    rf = box_rf((4, 3), n_scales=2, time_constants=shared)
    assert rf.ps is shared and rf.neurons.p.tau_mem_inv is shared
    assert rf.ps.dtype == torch.float64  # a given tensor keeps its dtype


@pytest.mark.parametrize(
    ("time_constants", "match"),
    [
        (torch.ones(3, 2, 1), r"shape \(3, 2, 1\).*\[4, 2, 5\]; expected e.g. \[4, 2, 1\]"),
        (torch.ones(1, 4, 2, 1), r"does not broadcast"),
        (torch.ones(4, 3, 1), r"does not broadcast"),
    ],
)
def test_time_constants_of_the_wrong_shape_raise(time_constants: Tensor, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        box_rf((2, 5), time_constants=time_constants)


def test_time_constants_that_broadcast_are_accepted() -> None:
    assert box_rf((2, 5), time_constants=torch.ones(4, 1, 1)).ps.shape == (4, 1, 1)
    assert box_rf((2, 5), time_constants=torch.ones(4, 2, 5)).ps.shape == (4, 2, 5)


def test_invalid_time_constants_raise() -> None:
    with pytest.raises(TypeError, match=r"time_constants must be a torch\.Tensor"):
        box_rf((2,), time_constants=[1.0, 2.0, 3.0, 4.0])
    with pytest.raises(TypeError, match="time_constants must be a floating-point tensor"):
        box_rf((2,), time_constants=torch.ones(4, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="time_constants must contain only finite values"):
        box_rf((2,), time_constants=torch.tensor([[1.0], [math.nan], [1.0], [1.0]]))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shape": 3}, TypeError, "shape must be a sequence of positive ints"),
        ({"shape": ()}, ValueError, "shape must be a non-empty sequence"),
        ({"shape": (2, 0)}, ValueError, r"got \(2, 0\)"),
        ({"shape": (2.0,)}, ValueError, "positive ints"),
        ({"shape": (2,), "n_scales": 0}, ValueError, "n_scales must be an int >= 1, got 0"),
        ({"shape": (2,), "dt": 0.0}, ValueError, "dt must be a finite number > 0"),
        ({"shape": (2,), "min_scale": -1.0}, ValueError, "min_scale must be a finite number > 0"),
        ({"shape": (2,), "max_scale": 0.5}, ValueError, "max_scale must be a finite number >= min_scale"),
    ],
)
def test_invalid_arguments_raise(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        box_rf(**kwargs)


# --- forward --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "x_shape", "out_shape"),
    [
        ((3,), (3,), (4, 3)),
        ((3,), (8, 3), (8, 4, 3)),
        ((2, 5, 5), (7, 2, 5, 5), (7, 4, 2, 5, 5)),
        ((2, 5, 5), (6, 7, 2, 5, 5), (6, 7, 4, 2, 5, 5)),
    ],
)
def test_output_has_the_scales_before_the_shape_dimensions(
    shape: tuple[int, ...], x_shape: tuple[int, ...], out_shape: tuple[int, ...]
) -> None:
    x = torch.rand(x_shape, generator=torch.Generator().manual_seed(0))
    out, state = box_rf(shape)(x)
    assert out.shape == out_shape and state.shape == out_shape
    scale_dim = -len(shape) - 1
    # every scale saw the same input: the first step is x / sigma_k (v starts at v_leak = 0)
    sigmas = temporal_scale_distribution(4)
    for k in range(4):
        torch.testing.assert_close(out.select(scale_dim, k), x * (0.001 * (1000.0 / sigmas[k])))


def test_steps_equal_a_hand_loop_per_scale() -> None:
    g = torch.Generator().manual_seed(1)
    xs = torch.rand(30, 5, 2, 3, generator=g) * 2 - 0.5
    rf = box_rf((2, 3), n_scales=3, min_scale=1.5, c=1.3)
    state, outs = None, []
    for x in xs:
        out, state = rf(x, state)
        outs.append(out)
    got = torch.stack(outs)  # [T, 5, 3, 2, 3]
    rates = rf.ps.detach()[:, 0, 0].tolist()
    for k, rate in enumerate(rates):
        a = 0.001 * torch.tensor(rate)  # float32, as in the cell
        v = torch.zeros(5, 2, 3)
        for t, x in enumerate(xs):
            v = v + a * ((0.0 - v) + x)
            assert torch.equal(got[t, :, k], v), (t, k)
    # slower scales (smaller rates) respond less to the first step and smooth more
    first = got[0].abs().mean(dim=(0, 2, 3))
    assert torch.all(first[1:] < first[:-1])


def test_input_with_too_few_dimensions_raises() -> None:
    with pytest.raises(
        ValueError, match=r"x must have at least len\(shape\)=3 dimensions.*got shape \(2, 5\)"
    ):
        box_rf((2, 5, 5))(torch.ones(2, 5))
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        box_rf((2,))([1.0, 2.0])


def test_time_constants_are_trainable() -> None:
    rf = box_rf((2,), n_scales=3)
    before = rf.ps.detach().clone()
    assert [name for name, _ in rf.named_parameters()] == ["ps"] and list(rf.state_dict()) == ["ps"]
    x = torch.ones(4, 2)
    out, state = rf(x)
    out, _ = rf(x, state)
    out.sum().backward()
    assert rf.ps.grad is not None and rf.ps.grad.shape == (3, 2)
    # d/da of v2 = a x + (1 - a) a x with a = dt * rate: dt * x * (2 - 2a), summed over a batch of 4
    a = 0.001 * before
    torch.testing.assert_close(rf.ps.grad, 4 * 0.001 * (2 - 2 * a), rtol=1e-5, atol=1e-9)
    torch.optim.SGD(rf.parameters(), lr=1.0).step()
    assert not torch.equal(rf.ps, before)
    # the cell sees the updated values: its parameters hold the very same tensor
    assert rf.neurons.p.tau_mem_inv is rf.ps
    out_after, _ = rf(x)
    torch.testing.assert_close(out_after[0, :, 0], 0.001 * rf.ps.detach()[:, 0])


def test_extra_repr_and_attributes() -> None:
    rf = box_rf([2, 3], n_scales=2, dt=0.002)
    assert rf.shape == (2, 3) and rf.n_scales == 2 and rf.rf_dimension == 2 and rf.dt == 0.002
    assert "shape=(2, 3), n_scales=2, dt=0.002" in repr(rf)
    assert rf.neurons.dt == 0.002  # dt reaches the activation


# --- the default neuron ----------------------------------------------------------------------


def test_importing_snn_encoding_does_not_import_snn_neurons() -> None:
    code = "import sys, snn_encoding; print('snn_neurons' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"activation": BoxCell}, {"activation_state_map": lambda t: BoxParameters(tau_mem_inv=t)}],
)
def test_missing_snn_neurons_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any]
) -> None:
    monkeypatch.setitem(sys.modules, "snn_neurons", None)  # `import snn_neurons` now raises ImportError
    with pytest.raises(UnknownComponentError, match="pip install snn-neurons") as info:
        TemporalReceptiveField((2,), **kwargs)
    assert isinstance(info.value, ImportError) and isinstance(info.value, KeyError)
    assert "TemporalReceptiveField needs LIBoxCell and LIBoxParameters" in str(info.value)
    assert "activation_state_map=" in str(info.value)
    assert info.value.kind == "neurons" and info.value.name == "li_box"


def test_snn_neurons_without_libox_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snn_neurons", types.ModuleType("snn_neurons"))  # too old a version
    with pytest.raises(ImportError, match="pip install snn-neurons"):
        TemporalReceptiveField((2,))


def test_a_custom_activation_needs_no_snn_neurons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snn_neurons", None)
    out, _ = box_rf((2,))(torch.ones(2))
    assert out.shape == (4, 2)


def test_default_is_snn_neurons_libox_cell() -> None:
    sn = pytest.importorskip("snn_neurons")
    rf = TemporalReceptiveField((2, 3))
    assert isinstance(rf.neurons, sn.LIBoxCell)
    assert isinstance(rf.neurons.p, sn.LIBoxParameters) and rf.neurons.p.tau_mem_inv is rf.ps
    assert rf.neurons.dt == 0.001
    g = torch.Generator().manual_seed(2)
    xs = torch.rand(20, 5, 2, 3, generator=g) * 3 - 1
    state, outs = None, []
    for x in xs:
        out, state = rf(x, state)
        outs.append(out)
    # the same as looping the functional step over the repeated input
    ref_state = sn.LIBoxState(torch.zeros(5, 4, 2, 3))
    for t, x in enumerate(xs):
        ref, ref_state = sn.li_box_feed_forward_step(torch.stack([x] * 4, dim=1), ref_state, rf.neurons.p)
        assert torch.equal(outs[t], ref), t
    assert isinstance(state, sn.LIBoxState) and torch.equal(state.v, ref_state.v)
    torch.stack(outs).sum().backward()
    assert rf.ps.grad is not None and rf.ps.grad.abs().min() > 0


def test_default_follows_dtype_conversion_copy_and_loading() -> None:
    pytest.importorskip("snn_neurons")
    rf = TemporalReceptiveField((2,), n_scales=3)
    rf.double()
    assert rf.neurons.p.tau_mem_inv is rf.ps and rf.ps.dtype == torch.float64
    out, _ = rf(torch.ones(2, dtype=torch.float64))
    assert out.dtype == torch.float64
    twin = copy.deepcopy(rf)
    assert twin.neurons.p.tau_mem_inv is twin.ps and twin.ps is not rf.ps
    other = TemporalReceptiveField((2,), n_scales=3, time_constants=torch.full((3, 2), 7.0)).double()
    other.load_state_dict(rf.state_dict())
    assert torch.equal(other.neurons.p.tau_mem_inv, rf.ps)


def test_default_validates_negative_time_constants() -> None:
    pytest.importorskip("snn_neurons")
    with pytest.raises(ValueError, match="tau_mem_inv must be finite and >= 0"):
        TemporalReceptiveField((2,), time_constants=-torch.ones(4, 2))
