"""snn_core.Layer: lazy states, constrained parameters, working dimension, TTcompile (tracetorch.md §2, §4)."""

from __future__ import annotations

import copy
import io
import pickle

import pytest
import torch
from torch import nn

import snn_core
from snn_core import Layer


class Leaky(Layer):
    """m <- beta*m + x, per feature on axis ``dim``."""

    def __init__(self, n: int, beta=0.9, dim: int = -1, beta_rank: int = 1, learn_beta: bool = True) -> None:
        super().__init__(n, dim)
        self._register_decay("beta", beta, rank=beta_rank, learnable=learn_beta)
        self._register_threshold("threshold", 1.0)
        self._register_bias("bias", 0.5, rank=0)
        self._register_plain("scale", 2.0, learnable=False)
        self._initialize_state("mem")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._ensure_states(x)
        mem = self.beta * self._to_working_dim(self.mem) + self._to_working_dim(x)
        self.mem = self._from_working_dim(mem)
        return self.mem


def test_raw_values_and_transforms() -> None:
    layer = Leaky(3)
    assert torch.allclose(layer.raw_beta, torch.full((3,), 2.1972246))
    assert torch.allclose(layer.raw_threshold, torch.full((3,), 0.5413249))
    assert layer.raw_bias.shape == () and layer.raw_bias.item() == pytest.approx(0.5210953)  # sinh(0.5)
    assert torch.allclose(layer.beta, torch.full((3,), 0.9))
    assert torch.allclose(layer.threshold, torch.ones(3))
    assert layer.bias.item() == pytest.approx(0.5)
    assert torch.equal(layer.scale, torch.full((3,), 2.0))
    assert Leaky(2, beta=0.5).raw_beta.tolist() == [0.0, 0.0]
    # read through the activation on every access, differentiable w.r.t. raw
    layer.beta.sum().backward()
    assert torch.allclose(layer.raw_beta.grad, torch.full((3,), 0.09))


def test_learnable_vs_buffer_and_state_dict_keys() -> None:
    layer = Leaky(3, learn_beta=False)
    names = [n for n, _ in layer.named_parameters()]
    assert names == ["raw_threshold", "raw_bias"]
    assert list(layer.state_dict()) == ["raw_threshold", "raw_bias", "raw_beta", "raw_scale"]
    layer(torch.ones(2, 3))
    assert "mem" not in layer.state_dict() and all("mem" not in n for n, _ in layer.named_buffers())


def test_rank_and_tensor_initialisation() -> None:
    assert Leaky(4, beta_rank=0).raw_beta.shape == ()
    t = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
    layer = Leaky(3, beta=t)
    assert layer.raw_beta.dtype == torch.float64
    assert torch.allclose(layer.beta, t)
    assert Leaky(3, beta=torch.tensor(0.7)).raw_beta.shape == ()
    with pytest.raises(ValueError, match="beta has 2 elements, expected num_neurons=3"):
        Leaky(3, beta=torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="0-d or 1-d"):
        Leaky(3, beta=torch.full((3, 1), 0.5))
    with pytest.raises(ValueError, match="beta_rank must be 0 or 1, got 2"):
        Leaky(3, beta_rank=2)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.2, 1.5])
def test_decay_out_of_range_raises_value_error_naming_argument(bad: float) -> None:
    with pytest.raises(ValueError, match=rf"beta={bad!r}"):
        Leaky(3, beta=bad)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="num_neurons"):
        Leaky(0)
    with pytest.raises(ValueError, match="dim"):
        Leaky(3, dim=1.5)  # type: ignore[arg-type]


def test_lazy_states_take_input_shape_dtype_and_follow_dim() -> None:
    layer = Leaky(4, dim=1)
    assert layer.mem is None
    x = torch.ones(2, 4, 5, dtype=torch.float64)
    out = layer(x)
    assert layer.mem.shape == (2, 4, 5) and layer.mem.dtype == torch.float64
    assert torch.allclose(out, x)
    beta = torch.tensor([0.1, 0.3, 0.5, 0.7])
    layer = Leaky(4, beta=beta, dim=1)
    layer(x)
    out = layer(x)
    # feature axis is dim 1: each channel decays with its own beta
    assert torch.allclose(out[0, :, 0], (1 + beta).double())
    assert torch.allclose(out[1, :, 3], (1 + beta).double())


def test_state_values_over_steps() -> None:
    layer = Leaky(2)
    outs = [layer(torch.ones(1, 2)).clone() for _ in range(3)]
    assert torch.allclose(torch.stack(outs)[:, 0, 0], torch.tensor([1.0, 1.9, 2.71]))


def test_batch_change_without_zero_states_raises_and_zero_states_recovers() -> None:
    layer = Leaky(3)
    layer(torch.ones(2, 3))
    before = layer.mem.clone()
    with pytest.raises(ValueError, match=r"state 'mem' has shape \[2, 3\].*\[5, 3\].*zero_states"):
        layer(torch.ones(5, 3))
    assert torch.equal(layer.mem, before)  # bad input does not corrupt state
    layer.zero_states()
    assert layer.mem is None
    assert layer(torch.ones(5, 3)).shape == (5, 3)


def test_dim_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="dim=2"):
        Leaky(3, dim=2)(torch.ones(3))


def test_detach_states_keeps_values_and_cuts_graph() -> None:
    layer = Leaky(3)
    x = torch.ones(1, 3, requires_grad=True)
    layer(x)
    assert layer.mem.requires_grad
    value = layer.mem.clone()
    layer.detach_states()
    assert not layer.mem.requires_grad and torch.equal(layer.mem, value)


def test_states_follow_to_and_dtype_casts() -> None:
    layer = Leaky(3)
    layer(torch.ones(1, 3))
    layer.double()
    assert layer.mem.dtype == torch.float64 and layer.raw_beta.dtype == torch.float64
    assert layer(torch.ones(1, 3, dtype=torch.float64)).dtype == torch.float64
    layer.to(torch.bfloat16)
    assert layer.mem.dtype == torch.bfloat16
    layer.to("meta")
    assert layer.mem.device.type == "meta"


def test_deepcopy_and_pickle_with_attached_states() -> None:
    layer = Leaky(3)
    layer(torch.ones(1, 3, requires_grad=True))
    twin = copy.deepcopy(layer)
    assert torch.equal(twin.mem, layer.mem) and not twin.mem.requires_grad
    buf = io.BytesIO()
    torch.save(layer, buf)
    buf.seek(0)
    assert torch.equal(torch.load(buf, weights_only=False).mem, layer.mem.detach())


def test_state_dict_loads_with_weights_only() -> None:
    layer = Leaky(3)
    layer(torch.ones(1, 3))
    buf = io.BytesIO()
    torch.save(layer.state_dict(), buf)
    buf.seek(0)
    sd = torch.load(buf, weights_only=True)
    fresh = Leaky(3, beta=0.3)
    fresh.load_state_dict(sd)
    assert torch.allclose(fresh.beta, torch.full((3,), 0.9))


def test_working_dim_helpers_are_inverse_views() -> None:
    layer = Leaky(4, dim=-3)
    x = torch.randn(2, 4, 5, 6)
    w = layer._to_working_dim(x)
    assert w.shape == (2, 5, 6, 4) and w.data_ptr() == x.data_ptr()
    assert torch.equal(layer._from_working_dim(w), x)
    s = torch.randn(2, 4, 5, 6, 7)  # SSM-like state: extra trailing axis
    ws = layer._state_to_working_dim(s)
    assert ws.shape == (2, 5, 6, 4, 7)
    assert torch.equal(layer._state_from_working_dim(ws), s)
    layer1 = Leaky(4, dim=1)
    assert layer1._state_to_working_dim(s).shape == (2, 5, 6, 4, 7)


def test_state_shape_hook_for_extra_axes() -> None:
    class WithLatent(Layer):
        def __init__(self) -> None:
            super().__init__(3, dim=-1)
            self._initialize_state("h")

        def _state_shape(self, name, ref):
            return [*super()._state_shape(name, ref), 4]

    layer = WithLatent()
    layer._ensure_states(torch.ones(2, 3))
    assert layer.h.shape == (2, 3, 4)


def test_ttcompile_round_trip_and_state_dict_keys() -> None:
    layer = Leaky(3, beta=torch.tensor([0.2, 0.6, 0.95]))
    layer(torch.ones(1, 3))
    before = layer(torch.ones(1, 3)).clone()
    raw = {k: v.clone() for k, v in layer.state_dict().items()}
    layer.zero_states()
    layer.TTcompile()
    assert list(layer.state_dict()) == ["beta", "threshold", "bias", "scale"]
    assert [n for n, _ in layer.named_parameters()] == []
    assert torch.equal(layer.beta, torch.sigmoid(raw["raw_beta"]))
    layer(torch.ones(1, 3))
    assert torch.equal(layer(torch.ones(1, 3)), before)
    layer.TTcompile()  # no-op
    layer.TTdecompile()
    assert [n for n, _ in layer.named_parameters()] == ["raw_beta", "raw_threshold", "raw_bias"]
    assert isinstance(layer.raw_scale, torch.Tensor) and not isinstance(layer.raw_scale, nn.Parameter)
    for k, v in layer.state_dict().items():
        assert torch.equal(v, raw[k]), k
    layer.TTdecompile()  # no-op


def test_ttdecompile_survives_saturated_decay() -> None:
    layer = Leaky(2)
    with torch.no_grad():
        layer.raw_beta.copy_(torch.tensor([20.0, -120.0]))  # sigmoid == 1.0 and == 0.0 in float32
    layer.TTcompile()
    assert layer.beta.tolist() == [1.0, 0.0]
    layer.TTdecompile()
    assert layer.raw_beta.tolist() == [20.0, -120.0]


def test_ttdecompile_of_edited_buffer_uses_inverse_or_fails_atomically() -> None:
    layer = Leaky(2)
    layer.TTcompile()
    with torch.no_grad():
        layer.beta.fill_(0.5)
    layer.TTdecompile()
    assert layer.raw_beta.tolist() == [0.0, 0.0]
    layer.TTcompile()
    with torch.no_grad():
        layer.threshold.fill_(0.0)  # softplus can never give 0: not invertible
    with pytest.raises(ValueError, match="TTdecompile: threshold"):
        layer.TTdecompile()
    assert layer._compiled and list(layer.state_dict()) == ["beta", "threshold", "bias", "scale"]


def test_layer_override_calling_super_does_not_recurse() -> None:
    calls = []

    class Custom(Leaky):
        def zero_states(self) -> None:
            calls.append("zero")
            super().zero_states()

        def TTcompile(self) -> None:
            calls.append("compile")
            super().TTcompile()

    layer = Custom(2)
    layer(torch.ones(1, 2))
    layer.zero_states()
    layer.TTcompile()
    assert calls == ["zero", "compile"] and layer.mem is None and layer._compiled


def test_spike_fn_resolution_by_name_or_callable() -> None:
    fn = snn_core.resolve_spike_fn("sigmoid4x")
    assert torch.allclose(fn(torch.tensor([0.0, 0.25])), torch.tensor([0.5, 0.731059]), atol=1e-6)
    heav = snn_core.resolve_spike_fn("heaviside")
    assert heav(torch.tensor([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]
    sup = snn_core.resolve_spike_fn("super", alpha=2.0)
    x = torch.tensor([0.5], requires_grad=True)
    sup(x).sum().backward()
    assert x.grad.item() == pytest.approx(1 / (2 * 0.5 + 1) ** 2)
    assert pickle.loads(pickle.dumps(sup)).alpha == 2.0
    assert snn_core.resolve_spike_fn(torch.tanh) is torch.tanh
    with pytest.raises(KeyError, match="no_such_threshold"):
        snn_core.resolve_spike_fn("no_such_threshold")
    with pytest.raises(TypeError, match="quant_fn"):
        snn_core.resolve_spike_fn(3, argument="quant_fn")  # type: ignore[arg-type]


def test_registration_name_clashes() -> None:
    layer = Leaky(2)
    with pytest.raises(ValueError, match="already registered"):
        layer._initialize_state("mem")
    with pytest.raises(ValueError, match="already registered"):
        layer._register_decay("beta", 0.5)
    with pytest.raises(ValueError, match="identifier"):
        layer._initialize_state("not valid")
