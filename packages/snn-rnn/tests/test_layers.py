"""SimpleRNN, LSTM, GRU layers: reference numbers, shapes, sequence(), states under snn_core.Model, errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import snn_core
from snn_rnn import GRU, LSTM, SimpleRNN

CLASSES = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}
PARAMETER_NAMES = {
    "SimpleRNN": ["lin.weight", "lin.bias"],
    "LSTM": ["gate_layers.weight", "gate_layers.bias"],
    "GRU": ["gate_layers.weight", "gate_layers.bias", "candidate_layer.weight", "candidate_layer.bias"],
}
STATE_NAMES = {"SimpleRNN": ("H",), "LSTM": ("H", "C"), "GRU": ("H",)}


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


EXPECTED = {
    "SimpleRNN": [[0.259010, -0.050079], [0.430844, -0.333179], [0.488868, -0.445995], [0.500250, -0.437310]],
    "LSTM": [[-0.004353, -0.058601], [0.053986, -0.073513], [0.112385, -0.072318], [0.145163, -0.068602]],
    "GRU": [[-0.070401, -0.094609], [-0.180517, -0.248900], [-0.271580, -0.368001], [-0.307270, -0.411768]],
}


@pytest.mark.parametrize("name", list(CLASSES))
def test_reference_numbers(name):
    layer = CLASSES[name](3, 2)
    set_cosine_weights(layer, PARAMETER_NAMES[name])
    outputs = []
    for t in range(4):
        y = layer(sine_input(t))
        assert y is layer.H  # the returned tensor is the stored state
        outputs.append(y)
    torch.testing.assert_close(torch.cat(outputs), torch.tensor(EXPECTED[name]), atol=1.5e-6, rtol=0)
    if name == "LSTM":
        torch.testing.assert_close(layer.C, torch.tensor([[0.403114, -0.195736]]), atol=1.5e-6, rtol=0)


@pytest.mark.parametrize("name", list(CLASSES))
def test_parameter_names_shapes_and_default_init(name):
    torch.manual_seed(0)
    layer = CLASSES[name](3, 5)
    assert list(layer.state_dict()) == PARAMETER_NAMES[name]
    rows = {"SimpleRNN": 5, "LSTM": 20, "GRU": 10}[name]
    weight = layer.state_dict()[PARAMETER_NAMES[name][0]]
    assert weight.shape == (rows, 8)
    bound = 1 / math.sqrt(8)  # nn.Linear default init with fan_in = in + out
    assert all(p.abs().max() <= bound for p in layer.parameters())
    torch.manual_seed(0)
    again = CLASSES[name](3, 5)
    assert all(torch.equal(a, b) for a, b in zip(layer.parameters(), again.parameters()))
    assert layer.state_names == STATE_NAMES[name]
    assert all(getattr(layer, s) is None for s in STATE_NAMES[name])


@pytest.mark.parametrize("name", list(CLASSES))
def test_non_last_dim_shapes(name):
    layer = CLASSES[name](3, 5, dim=-3)
    y = layer(torch.rand(2, 3, 4, 4))
    assert y.shape == (2, 5, 4, 4)
    for s in STATE_NAMES[name]:
        assert getattr(layer, s).shape == (2, 5, 4, 4)
    positive = CLASSES[name](3, 5, dim=1)
    positive.load_state_dict(layer.state_dict())
    layer.zero_states()
    x = torch.rand(2, 3, 4, 4)
    torch.testing.assert_close(positive(x), layer(x), atol=0, rtol=0)


def test_non_last_dim_is_per_position():
    """dim=1 on [B, C, L] equals dim=-1 on the transposed input."""
    layer_c = GRU(3, 4, dim=1)
    layer_l = GRU(3, 4)
    layer_l.load_state_dict(layer_c.state_dict())
    x = torch.randn(2, 3, 6)
    for _ in range(3):
        torch.testing.assert_close(layer_c(x), layer_l(x.transpose(1, 2)).transpose(1, 2))


@pytest.mark.parametrize("name", list(CLASSES))
@pytest.mark.parametrize("dim", [-1, 1, -3])
def test_sequence_equals_step_loop_and_leaves_states(name, dim):
    torch.manual_seed(1)
    looped = CLASSES[name](3, 4, dim=dim).double()
    whole = CLASSES[name](3, 4, dim=dim).double()
    whole.load_state_dict(looped.state_dict())
    shape = {-1: (2, 3), 1: (2, 3, 5), -3: (2, 3, 2, 2)}[dim]
    xs = 2 * torch.randn(40, *shape, dtype=torch.float64)
    warmup = torch.randn(*shape, dtype=torch.float64)
    looped(warmup)
    whole(warmup)  # start from a non-zero state
    expected = torch.stack([looped(x) for x in xs])
    got = whole.sequence(xs)
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=1e-12)
    for s in STATE_NAMES[name]:
        torch.testing.assert_close(getattr(whole, s), getattr(looped, s), atol=1e-12, rtol=1e-12)
    # the loop can continue from the state sequence() left
    x = torch.randn(*shape, dtype=torch.float64)
    torch.testing.assert_close(whole(x), looped(x), atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("name", list(CLASSES))
def test_sequence_gradients_match_loop(name):
    torch.manual_seed(2)
    looped = CLASSES[name](2, 3).double()
    whole = CLASSES[name](2, 3).double()
    whole.load_state_dict(looped.state_dict())
    xs = torch.randn(12, 4, 2, dtype=torch.float64, requires_grad=True)
    (torch.stack([looped(x) for x in xs.unbind(0)]) ** 2).sum().backward()
    grad_loop = xs.grad.clone()
    xs.grad = None
    (whole.sequence(xs) ** 2).sum().backward()
    torch.testing.assert_close(xs.grad, grad_loop, atol=1e-12, rtol=1e-12)
    for (n, a), b in zip(whole.named_parameters(), looped.parameters()):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-12, rtol=1e-12, msg=n)


def test_gradient_flows_through_states_until_detached():
    layer = LSTM(2, 3)
    x0 = torch.randn(1, 2, requires_grad=True)
    layer(x0)
    layer(torch.randn(1, 2)).sum().backward()
    assert x0.grad is not None and x0.grad.abs().sum() > 0
    x1 = torch.randn(1, 2, requires_grad=True)
    layer(x1)
    layer.detach_states()
    layer(torch.randn(1, 2)).sum().backward()
    assert x1.grad is None


def test_states_take_input_dtype_and_batch_change_needs_zero_states():
    layer = SimpleRNN(2, 3).double()
    y = layer(torch.rand(4, 2, dtype=torch.float64))
    assert y.dtype == torch.float64 and layer.H.dtype == torch.float64
    with pytest.raises(ValueError, match="zero_states"):
        layer(torch.rand(5, 2, dtype=torch.float64))
    layer.zero_states()
    assert layer.H is None
    assert layer(torch.rand(5, 2, dtype=torch.float64)).shape == (5, 3)


@pytest.mark.parametrize("name", list(CLASSES))
def test_wrong_feature_size_names_expected_and_actual(name):
    layer = CLASSES[name](3, 4)
    with pytest.raises(ValueError, match=r"in_features=3.*got 5"):
        layer(torch.rand(2, 5))
    with pytest.raises(ValueError, match=r"in_features=3.*got 1"):
        layer(torch.rand(2, 1))  # traceTorch would silently broadcast a size-1 axis
    with pytest.raises(ValueError, match=r"in_features=3.*got 4"):
        layer.sequence(torch.rand(7, 2, 4))
    assert all(getattr(layer, s) is None for s in layer.state_names)  # bad input leaves states alone


def test_dim_out_of_range_and_bad_sequence_rank():
    with pytest.raises(ValueError, match=r"dim=-3 is out of range"):
        GRU(3, 4, dim=-3)(torch.rand(2, 3))
    with pytest.raises(ValueError, match=r"dim=2 is out of range for each time step"):
        GRU(3, 4, dim=2).sequence(torch.rand(5, 2, 3))
    with pytest.raises(ValueError, match="time-first"):
        SimpleRNN(3, 4).sequence(torch.rand(3))
    with pytest.raises(TypeError, match="tensor"):
        SimpleRNN(3, 4)([1.0, 2.0, 3.0])


@pytest.mark.parametrize("bad", [0, -2, 2.0, True])
def test_constructor_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="in_features"):
        SimpleRNN(bad, 3)
    with pytest.raises(ValueError, match="out_features"):
        LSTM(3, bad)


class Leaky(snn_core.Layer):
    """A minimal stateful layer standing in for an SNN layer (m <- 0.5 m + x)."""

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
        self.leaky = Leaky(3)
        self.net = nn.Sequential(LSTM(3, 4), nn.Linear(4, 4), GRU(4, 2))
        self.heads = [SimpleRNN(2, 2)]

    def forward(self, x):
        return self.heads[0](self.net(self.leaky(x)))


def test_model_zero_detach_save_load_states():
    torch.manual_seed(3)
    model = Mixed()
    xs = torch.randn(5, 2, 3)
    for x in xs:
        model(x)
    saved = model.save_states()
    assert sorted(saved) == ["heads[0].H", "leaky.mem", "net.0.C", "net.0.H", "net.2.H"]
    reference = model(xs[0]).clone()
    model.zero_states()
    assert model.net[0].H is None and model.heads[0].H is None and model.leaky.mem is None
    model.load_states(saved)
    torch.testing.assert_close(model(xs[0]), reference, atol=0, rtol=0)
    model.detach_states()
    assert not model.net[0].C.requires_grad


def test_registered_as_rnn_layers():
    layers = snn_core.registry().layers
    for name, cls in CLASSES.items():
        assert layers[name].cls is cls
        assert layers[name].family == "rnn"


@pytest.mark.parametrize("name", list(CLASSES))
def test_snn_core_layer_conformance(name):
    from snn_core.testing import check_layer_spec

    ran = check_layer_spec(name, 3, 5, input_shape=(2, 3), output_shape=(2, 5), compile=False)
    assert "state_dict round trip" in ran


@pytest.mark.slow
def test_torch_compile_fullgraph_step_matches_eager():
    torch.manual_seed(6)
    layer = LSTM(3, 4)
    xs = torch.randn(4, 2, 3)
    eager = torch.stack([layer(x) for x in xs])
    layer.zero_states()
    compiled = torch.compile(layer, fullgraph=True)
    torch.testing.assert_close(torch.stack([compiled(x) for x in xs]), eager, atol=1e-6, rtol=1e-5)
