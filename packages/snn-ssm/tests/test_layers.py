"""S4, S5, S6, Mamba layers: reference numbers, initialisation, shapes, sequence(), states, errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import snn_core
from snn_ssm import S4, S5, S6, Mamba


def set_cosine_weights(layer: nn.Module, names: list[str]) -> None:
    """Element j (row-major) of the k-th listed parameter := 0.25 cos(0.37 j + 0.5 k)."""
    params = dict(layer.named_parameters())
    with torch.no_grad():
        for k, name in enumerate(names):
            p = params[name]
            j = torch.arange(p.numel(), dtype=torch.float64)
            p.copy_((0.25 * torch.cos(0.37 * j + 0.5 * k)).reshape(p.shape))


def sine_input(t: int, width: int = 3) -> torch.Tensor:
    return torch.sin(0.5 * t + 0.3 * torch.arange(width, dtype=torch.float64)).float().unsqueeze(0)


REFERENCE = {
    "S4": (lambda: S4(3, d_state=4), ["B", "C", "log_dt", "D"],
           [[0, -0.013520, -0.050475], [0.036687, -0.032583, -0.069921],
            [0.070991, -0.043532, -0.070722], [0.089816, -0.043853, -0.053600]], {"state": (1, 3, 4)}),
    "S5": (lambda: S5(3, d_state=4), ["B", "C", "D", "log_dt"],
           [[0.001070, 0.025485, -0.004797], [0.074055, 0.054241, -0.012372],
            [0.133710, 0.072625, -0.016297], [0.162459, 0.074500, -0.015691]], {"global_state": (1, 4)}),
    "S6": (lambda: S6(3, d_state=4), ["x_proj.weight", "dt_proj.weight"],
           [[0, 0.294535, 0.562780], [0.472547, 0.704953, 0.874614],
            [0.813954, 0.927568, 0.958752], [0.953013, 0.923285, 0.811322]], {"state": (1, 3, 4)}),
    "Mamba3": (lambda: Mamba(3, d_state=4, conv_kernel=3),
               ["in_proj.weight", "out_proj.weight", "conv_weights", "conv_bias", "ssm_proj.weight", "dt_proj.weight"],
               [[-0.000801, 0.296796, 0.566578], [0.478656, 0.718373, 0.892881],
                [0.842002, 0.960193, 0.996050], [0.998640, 0.966862, 0.855852]],
               {"conv_buffer": (1, 3, 3), "ssm_state": (1, 3, 4)}),
    "Mamba1": (lambda: Mamba(3, d_state=4, conv_kernel=1),
               ["in_proj.weight", "out_proj.weight", "ssm_proj.weight", "dt_proj.weight"],
               [[-0.002356, 0.297492, 0.568752], [0.465502, 0.726806, 0.913535],
                [0.816683, 0.979302, 1.038363], [0.971827, 0.989418, 0.902725]], {"ssm_state": (1, 3, 4)}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(REFERENCE))
@pytest.mark.parametrize("mode", ["forward", "sequence"])
def test_reference_numbers(name, mode):
    make, names, expected, state_shapes = REFERENCE[name]
    layer = make()
    set_cosine_weights(layer, names)
    if mode == "forward":
        y = torch.cat([layer(sine_input(t)) for t in range(4)])
    else:
        y = layer.sequence(torch.stack([sine_input(t) for t in range(4)]))[:, 0]
    torch.testing.assert_close(y, torch.tensor(expected), atol=1.5e-6, rtol=0)
    assert {n: tuple(getattr(layer, n).shape) for n in layer.state_names} == state_shapes


NAMED_PARAMETERS = {
    "S4": ["A_log", "B", "C", "log_dt", "D"],
    "S5": ["A_log", "B", "C", "D", "log_dt"],
    "S6": ["A_log", "D", "x_proj.weight", "dt_proj.weight", "dt_proj.bias"],
    "Mamba": ["conv_weights", "conv_bias", "A_log", "D", "in_proj.weight", "out_proj.weight",
              "ssm_proj.weight", "dt_proj.weight", "dt_proj.bias"],
}  # fmt: skip


def test_initialisation_rules():
    torch.manual_seed(0)
    s4 = S4(5, d_state=3)
    assert [n for n, _ in s4.named_parameters()] == NAMED_PARAMETERS["S4"]
    torch.testing.assert_close(s4.A_log, torch.log(torch.tensor([1.0, 2.0, 3.0])).repeat(5, 1))
    # B, C, log_dt, D come from the global RNG in this order
    torch.manual_seed(0)
    b, c, log_dt, d = torch.randn(5, 3), torch.randn(5, 3), torch.randn(5), torch.randn(5)
    for got, want in zip((s4.B, s4.C, s4.log_dt, s4.D), (b, c, log_dt, d)):
        assert torch.equal(got, want)

    torch.manual_seed(0)
    s5 = S5(5, d_state=3)
    assert [n for n, _ in s5.named_parameters()] == NAMED_PARAMETERS["S5"]
    torch.manual_seed(0)
    b, c, d, log_dt = torch.randn(5, 3), torch.randn(3, 5), torch.randn(5), torch.randn(1)
    for got, want in zip((s5.B, s5.C, s5.D, s5.log_dt), (b, c, d, log_dt)):
        assert torch.equal(got, want)
    torch.testing.assert_close(s5.A_log, torch.log(torch.tensor([1.0, 2.0, 3.0])))

    s6 = S6(40, d_state=3)
    assert [n for n, _ in s6.named_parameters()] == NAMED_PARAMETERS["S6"]
    assert s6.dt_rank == 2 and s6.x_proj.weight.shape == (2 + 6, 40) and s6.x_proj.bias is None
    assert torch.equal(s6.dt_proj.bias, torch.full((40,), -2.0)) and torch.equal(s6.D, torch.ones(40))
    assert S6(40, 3, 5).dt_rank == 5

    mamba = Mamba(6, d_state=3, conv_kernel=4)
    assert [n for n, _ in mamba.named_parameters()] == NAMED_PARAMETERS["Mamba"]
    assert torch.equal(mamba.conv_weights, torch.full((6, 4), 0.25)) and torch.equal(
        mamba.conv_bias, torch.zeros(6)
    )
    assert mamba.in_proj.weight.shape == (12, 6) and mamba.dt_rank == 1
    assert mamba.state_names == ("conv_buffer", "ssm_state")
    plain = Mamba(6, d_state=3, conv_kernel=1)
    assert not hasattr(plain, "conv_weights") and plain.state_names == ("ssm_state",)


def test_same_seed_same_parameters():
    for make in (lambda: S4(4, 3), lambda: S5(4, 3), lambda: S6(4, 3), lambda: Mamba(4, 3)):
        torch.manual_seed(11)
        a = make()
        torch.manual_seed(11)
        b = make()
        assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("dim", [1, -2])
def test_non_last_dim_state_shapes(dim):
    x = torch.rand(2, 4, 5)
    expected = {
        S4: {"state": (2, 4, 5, 3)},
        S5: {"global_state": (2, 3, 5)},
        S6: {"state": (2, 4, 5, 3)},
        Mamba: {"conv_buffer": (2, 4, 5, 4), "ssm_state": (2, 4, 5, 3)},
    }
    for cls, shapes in expected.items():
        layer = cls(4, d_state=3, dim=dim)
        assert layer(x).shape == (2, 4, 5)
        assert {n: tuple(getattr(layer, n).shape) for n in layer.state_names} == shapes


def _pair(make, dtype=torch.float64):
    torch.manual_seed(5)
    a = make().to(dtype)
    b = make().to(dtype)
    b.load_state_dict(a.state_dict())
    return a, b


MAKERS = {
    "S4": lambda dim: S4(4, d_state=6, dim=dim),
    "S5": lambda dim: S5(4, d_state=6, dim=dim),
    "S6": lambda dim: S6(4, d_state=6, dim=dim),
    "Mamba": lambda dim: Mamba(4, d_state=6, dim=dim, conv_kernel=3),
    "Mamba1": lambda dim: Mamba(4, d_state=6, dim=dim, conv_kernel=1),
}


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize(("dim", "shape"), [(-1, (2, 4)), (1, (2, 4, 3)), (-2, (2, 4, 3))])
@pytest.mark.parametrize("chunk_size", [None, 7])
def test_sequence_equals_step_loop_and_leaves_states(name, dim, shape, chunk_size):
    looped, whole = _pair(lambda: MAKERS[name](dim))
    warmup = torch.randn(*shape, dtype=torch.float64)
    looped(warmup)
    whole(warmup)  # start from a non-zero state
    xs = 2 * torch.randn(50, *shape, dtype=torch.float64)
    expected = torch.stack([looped(x) for x in xs])
    torch.testing.assert_close(whole.sequence(xs, chunk_size=chunk_size), expected, atol=1e-11, rtol=1e-11)
    for n in looped.state_names:
        torch.testing.assert_close(getattr(whole, n), getattr(looped, n), atol=1e-11, rtol=1e-11)
    x = torch.randn(*shape, dtype=torch.float64)
    torch.testing.assert_close(whole(x), looped(x), atol=1e-11, rtol=1e-11)


@pytest.mark.parametrize("name", list(MAKERS))
def test_sequence_float32_long(name):
    looped, whole = _pair(lambda: MAKERS[name](-1), torch.float32)
    xs = torch.randn(300, 3, 4)
    with torch.no_grad():
        expected = torch.stack([looped(x) for x in xs])
        got = whole.sequence(xs)
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=2e-5)


@pytest.mark.parametrize("name", list(MAKERS))
def test_sequence_gradients_match_loop(name):
    looped, whole = _pair(lambda: MAKERS[name](-1))
    xs = torch.randn(30, 2, 4, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(30, 2, 4, dtype=torch.float64)
    (torch.stack([looped(x) for x in xs.unbind(0)]) * weights).sum().backward()
    grad_loop = xs.grad.clone()
    xs.grad = None
    (whole.sequence(xs) * weights).sum().backward()
    torch.testing.assert_close(xs.grad, grad_loop, atol=1e-10, rtol=1e-10)
    for (n, a), b in zip(whole.named_parameters(), looped.parameters()):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-10, rtol=1e-10, msg=n)


def test_sequence_of_length_zero_keeps_states():
    layer = S6(4, 3)
    layer(torch.randn(2, 4))
    before = layer.state.clone()
    out = layer.sequence(torch.zeros(0, 2, 4))
    assert out.shape == (0, 2, 4)
    assert torch.equal(layer.state, before)


def test_batch_change_needs_zero_states_and_dtype_follows_input():
    layer = S5(4, 3).double()
    layer.sequence(torch.randn(3, 2, 4, dtype=torch.float64))
    assert layer.global_state.dtype == torch.float64
    with pytest.raises(ValueError, match="zero_states"):
        layer(torch.randn(5, 4, dtype=torch.float64))
    layer.zero_states()
    assert layer(torch.randn(5, 4, dtype=torch.float64)).shape == (5, 4)


@pytest.mark.parametrize("cls", [S4, S5, S6, Mamba])
def test_wrong_feature_size_names_expected_and_actual(cls):
    layer = cls(4, 3)
    with pytest.raises(ValueError, match=r"num_neurons=4.*got 5"):
        layer(torch.rand(2, 5))
    with pytest.raises(ValueError, match=r"num_neurons=4.*got 1"):
        layer(torch.rand(2, 1))  # traceTorch would broadcast a size-1 feature axis
    with pytest.raises(ValueError, match=r"num_neurons=4.*got 3"):
        layer.sequence(torch.rand(6, 2, 3))
    with pytest.raises(ValueError, match=r"time-first input \[T, ...\].*got shape \[6\]"):
        layer.sequence(torch.rand(6))
    assert all(getattr(layer, n) is None for n in layer.state_names)


def test_dim_out_of_range():
    with pytest.raises(ValueError, match=r"dim=2 is out of range"):
        S4(4, 3, dim=2)(torch.rand(2, 4))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: S4(0), "num_neurons"),
        (lambda: S4(4, d_state=0), "d_state"),
        (lambda: S5(4, d_state=2.5), "d_state"),
        (lambda: S6(4, dt_rank=0), "dt_rank"),
        (lambda: Mamba(4, conv_kernel=2.0), "conv_kernel"),
    ],
)
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


class Leaky(snn_core.Layer):
    """A minimal stateful layer standing in for an SNN layer."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self._initialize_state("mem")

    def forward(self, x):
        self._ensure_states(x)
        self.mem = 0.5 * self.mem + x
        return self.mem


class Mixed(snn_core.Model):
    def __init__(self) -> None:
        super().__init__()
        self.snn = Leaky(4)
        self.ssm = nn.ModuleList([S4(4, 3), Mamba(4, 3, conv_kernel=2), S5(4, 2), S6(4, 3)])

    def forward(self, x):
        x = self.snn(x)
        for layer in self.ssm:
            x = layer(x)
        return x


def test_model_manages_ssm_states():
    torch.manual_seed(4)
    model = Mixed()
    xs = torch.randn(6, 2, 4)
    for x in xs:
        model(x)
    saved = model.save_states()
    assert sorted(saved) == [
        "snn.mem", "ssm.0.state", "ssm.1.conv_buffer", "ssm.1.ssm_state", "ssm.2.global_state", "ssm.3.state",
    ]  # fmt: skip
    reference = model(xs[0]).clone()
    model.zero_states()
    assert all(getattr(layer, n) is None for layer in model.ssm for n in layer.state_names)
    model.load_states(saved)
    torch.testing.assert_close(model(xs[0]), reference, atol=0, rtol=0)
    model.detach_states()
    assert not model.ssm[3].state.requires_grad
    blob = model.state_dict()
    assert not any(k.endswith(("state", "conv_buffer", "mem")) for k in blob)


def test_registered_as_ssm_layers():
    layers = snn_core.registry().layers
    for cls in (S4, S5, S6, Mamba):
        assert layers[cls.__name__].cls is cls
        assert layers[cls.__name__].family == "ssm"


def test_s4_state_decays_with_hand_computed_factor():
    layer = S4(1, d_state=2)
    with torch.no_grad():
        layer.log_dt.fill_(math.log(0.5))
    layer(torch.ones(1, 1))
    h1 = layer.state.clone()
    layer(torch.zeros(1, 1))
    factors = torch.exp(-0.5 * torch.tensor([1.0, 2.0]))
    torch.testing.assert_close(layer.state[0, 0], h1[0, 0] * factors)


@pytest.mark.parametrize(
    ("name", "kwargs"), [("S4", {}), ("S5", {}), ("S6", {}), ("Mamba", {}), ("Mamba", {"conv_kernel": 1})]
)
def test_snn_core_layer_conformance(name, kwargs):
    from snn_core.testing import check_layer_spec

    ran = check_layer_spec(name, 4, 3, compile=False, **kwargs)
    assert "state_dict round trip" in ran


@pytest.mark.parametrize("name", ["S6", "Mamba", "Mamba1"])
def test_blocked_sequence_of_layers(name):
    looped, whole = _pair(lambda: MAKERS[name](1))
    xs = torch.randn(40, 2, 4, 3, dtype=torch.float64)
    expected = torch.stack([looped(x) for x in xs])
    torch.testing.assert_close(
        whole.sequence(xs, block_size=6, chunk_size=2), expected, atol=1e-11, rtol=1e-11
    )
    for n in looped.state_names:
        torch.testing.assert_close(getattr(whole, n), getattr(looped, n), atol=1e-11, rtol=1e-11)


@pytest.mark.slow
def test_torch_compile_fullgraph_step_matches_eager():
    torch.manual_seed(6)
    layer = Mamba(6, d_state=3, conv_kernel=3)
    xs = torch.randn(4, 2, 6)
    eager = torch.stack([layer(x) for x in xs])
    layer.zero_states()
    compiled = torch.compile(layer, fullgraph=True)
    torch.testing.assert_close(torch.stack([compiled(x) for x in xs]), eager, atol=1e-6, rtol=1e-5)
