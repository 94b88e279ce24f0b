"""Parity of snn_core.Layer/Model and the functional helpers with traceTorch 0.19.2."""

from __future__ import annotations

import pytest
import torch
from torch import nn

tt = pytest.importorskip("tracetorch")

import snn_core  # noqa: E402
from snn_core import functional as F  # noqa: E402


def make_layer_class(base):
    """The docs' custom-layer pattern, written once against either base class."""

    class Custom(base):
        def __init__(
            self, n, beta=0.9, threshold=1.0, bias=0.0, scale=1.0, dim=-1, learn_beta=True, beta_rank=1
        ):
            super().__init__(n, dim)
            self._register_parameter(
                "beta",
                beta,
                beta_rank,
                learn_beta,
                init_fn=F.sigmoid_inverse,
                inverse_fn=F.sigmoid_inverse,
                activation_fn=torch.sigmoid,
            )
            self._register_parameter(
                "threshold",
                threshold,
                1,
                True,
                init_fn=F.softplus_inverse,
                inverse_fn=F.softplus_inverse,
                activation_fn=nn.functional.softplus,
            )
            self._register_parameter(
                "bias", bias, 0, True, init_fn=torch.sinh, inverse_fn=torch.sinh, activation_fn=torch.asinh
            )
            self._register_parameter("scale", scale, 1, False)
            self._initialize_state("mem")

        def forward(self, x):
            self._ensure_states(x)
            mem = self._to_working_dim(self.mem)
            mem = self.beta * mem + self._to_working_dim(x)
            s = torch.sigmoid(4 * (mem - self.threshold + self.bias))
            mem = mem - s * self.threshold
            self.mem = self._from_working_dim(mem)
            return self._from_working_dim(self.scale * s)

    return Custom


Ours = make_layer_class(snn_core.Layer)
Theirs = make_layer_class(tt.Layer)


@pytest.mark.parametrize("dim", [-1, 1])
def test_custom_layer_parameters_states_outputs_and_gradients(dim: int) -> None:
    kwargs = dict(beta=torch.tensor([0.2, 0.5, 0.8, 0.95]), threshold=0.7, bias=0.1, scale=1.5, dim=dim)
    ours, theirs = Ours(4, **kwargs), Theirs(4, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)
    for k, v in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[k], v)
    torch.manual_seed(0)
    shape = (2, 3, 4) if dim == -1 else (2, 4, 3)
    xs = [torch.randn(shape) * 2 for _ in range(60)]
    xo = [x.clone().requires_grad_(True) for x in xs]
    xt = [x.clone().requires_grad_(True) for x in xs]
    out_o = torch.stack([ours(x) for x in xo])
    out_t = torch.stack([theirs(x) for x in xt])
    assert torch.allclose(out_o, out_t, atol=1e-6)
    assert torch.allclose(ours.mem, theirs.mem, atol=1e-6)
    (out_o * torch.linspace(-1, 1, out_o.numel()).view_as(out_o)).sum().backward()
    (out_t * torch.linspace(-1, 1, out_t.numel()).view_as(out_t)).sum().backward()
    for (n, po), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert torch.allclose(po.grad, pt.grad, atol=1e-5, rtol=1e-5), n
    for a, b in zip(xo, xt):
        assert torch.allclose(a.grad, b.grad, atol=1e-6)


def test_rank_and_learnable_rules_match() -> None:
    for kw in (
        dict(beta_rank=0),
        dict(learn_beta=False),
        dict(beta=torch.tensor(0.3)),
        dict(beta=torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)),
    ):
        ours, theirs = Ours(3, **kw), Theirs(3, **kw)
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            assert a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b), (kw, k)


def test_ttcompile_matches() -> None:
    ours, theirs = Ours(3, beta=0.7), Theirs(3, beta=0.7)
    ours.TTcompile()
    theirs.TTcompile()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[k], v)
    x = torch.randn(2, 3)
    assert torch.equal(ours(x), theirs(x))
    ours.TTdecompile()
    theirs.TTdecompile()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for k, v in theirs.state_dict().items():
        assert torch.allclose(ours.state_dict()[k], v, atol=1e-6)


def build(model_base, layer_cls):
    class Net(model_base):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(3, 3), layer_cls(3), nn.Linear(3, 3), layer_cls(3, beta=0.5))

        def forward(self, x):
            return self.net(x)

    return Net()


def test_model_save_states_canonical_subset_and_loads_tracetorch_files(capsys) -> None:
    ours, theirs = build(snn_core.Model, Ours), build(tt.Model, Theirs)
    ours.load_state_dict(theirs.state_dict())
    torch.manual_seed(1)
    for _ in range(5):
        x = torch.randn(2, 3)
        assert torch.allclose(ours(x), theirs(x), atol=1e-6)
    mine, ref = ours.save_states(), theirs.save_states()
    assert set(mine) == {"net.1.mem", "net.3.mem"}
    assert set(mine) < set(ref)  # traceTorch stores duplicates; ours keeps the canonical key once
    for k in mine:
        assert torch.equal(mine[k], ref[k])
    fresh = build(snn_core.Model, Ours)
    fresh.load_states(ref)  # traceTorch's duplicate-key file loads strictly
    for k in mine:
        assert torch.equal(fresh.save_states()[k], mine[k])
    theirs.load_states(mine, strict=False)  # and ours loads into traceTorch
    ours.zero_states()
    theirs.zero_states()
    assert ours.save_states() == {} and theirs.save_states() == {}


@pytest.mark.parametrize(
    "name", ["halflife_to_decay", "decay_to_halflife", "timesteps_to_decay", "decay_to_timesteps"]
)
@pytest.mark.parametrize("value", [0.3, 0.5, 0.9, 0.99, 2.0, 10.0, 100.0])
def test_decay_helpers_identical(name: str, value: float) -> None:
    ref = getattr(tt.functional, name)
    try:
        expected = ref(value)
    except (ValueError, ZeroDivisionError):
        return
    if name in ("decay_to_halflife", "decay_to_timesteps") and value >= 1:
        return  # out of range: traceTorch returns nonsense, we raise
    if name == "timesteps_to_decay" and value < 1:
        return
    assert getattr(snn_core, name)(value) == expected


def test_transforms_identical() -> None:
    x = torch.linspace(0.001, 0.999, 999)
    assert torch.equal(F.sigmoid_inverse(x), tt.functional.sigmoid_inverse(x))
    assert torch.equal(F.mamba_scale(x), tt.functional.mamba_scale(x))
    t = torch.linspace(0.01, 19.99, 1000)
    assert torch.equal(F.softplus_inverse(t), tt.functional.softplus_inverse(t))
    assert torch.equal(F.sigmoid4x(t - 10), tt.functional.sigmoid4x(t - 10))


def test_quantizers_identical_values_and_gradients() -> None:
    x = torch.linspace(-3, 3, 601, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    for ours, theirs in (
        (F.round_ste(), tt.functional.round_ste()),
        (F.round_ste(0.3), tt.functional.round_ste(0.3)),
    ):
        assert torch.equal(ours(x), theirs(x2))
    torch.manual_seed(5)
    a = F.stochastic_round_ste(0.5)(x)
    torch.manual_seed(5)
    b = tt.functional.stochastic_round_ste(0.5)(x2)
    assert torch.equal(a, b)
    p = torch.rand(500, requires_grad=True)
    p2 = p.detach().clone().requires_grad_(True)
    torch.manual_seed(6)
    a = F.probabilistic_ste()(p)
    torch.manual_seed(6)
    b = tt.functional.probabilistic_ste()(p2)
    assert torch.equal(a, b)
    a.sum().backward()
    b.sum().backward()
    assert torch.equal(p.grad, p2.grad)
