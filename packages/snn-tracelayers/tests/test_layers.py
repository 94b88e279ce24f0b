"""Structure of snn_tracelayers: composition, dim, lazy states, sequence path, kernels, Model, TTcompile."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

import snn_core
import snn_tracelayers as st
from snn_tracelayers import (
    BinaryFiring,
    Membrane,
    Recurrence,
    Synapse,
    TernaryFiring,
    TraceRecipe,
    make_layer_class,
)

NAMES = st.LAYER_NAMES


def varied(name: str, n: int = 4, **kw) -> st.TraceLayer:
    """A layer with distinct per-neuron parameters and non-zero recurrent weights."""
    layer = getattr(st, name)(n, **kw)
    gen = torch.Generator().manual_seed(len(name))
    with torch.no_grad():
        for pname, p in layer.state_dict().items():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))
            if "rec_weight" in pname:
                p.add_(0.5)
    return layer


def seq(shape, steps: int = 25, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (1.5 * torch.randn((steps, *shape), generator=gen)).to(dtype)


# ---------------------------------------------------------------------------------------------- composition
def test_33rd_layer_from_public_parts() -> None:
    """SRLIEMA (not in traceTorch): synapse -> recurrence -> EMA membrane, no firing."""
    SRLIEMA = make_layer_class(
        "SRLIEMA", TraceRecipe(Membrane(ema=True), synapse=Synapse(), recurrence=Recurrence())
    )
    assert issubclass(SRLIEMA, st.TraceLayer) and SRLIEMA.__name__ == "SRLIEMA"
    layer = SRLIEMA(1, alpha=0.5, beta=0.8, gamma=0.6, rec_weight=2.0)
    assert [n for n, _ in layer.named_parameters()] == [
        "raw_alpha",
        "raw_beta",
        "raw_gamma",
        "raw_rec_weight",
    ]
    assert layer.state_names == ("syn", "mem", "rec", "prev_output")
    syn = mem = rec = prev = 0.0
    for x in [1.0, -0.5, 2.0, 0.0]:
        syn = 0.5 * syn + 0.5 * x
        rec = 0.6 * rec + 0.4 * prev
        mem = 0.8 * mem + 0.2 * (2.0 * rec + syn)
        prev = mem
        assert layer(torch.tensor([[x]])).item() == pytest.approx(mem, abs=1e-6)


def test_33rd_layer_firing_variant_and_name_grammar() -> None:
    RLI = make_layer_class("RLI", st.recipe_from_name("RLI"))
    assert "rec_weight" in RLI.__init__.__signature__.parameters
    EMA_LIB = make_layer_class("LIBEMA", TraceRecipe(Membrane(ema=True), firing=BinaryFiring()))
    layer = EMA_LIB(1, beta=0.5)
    out = layer(torch.tensor([[2.0]]))  # m = 0.5*2 = 1.0 -> sigmoid(4*(1-1)) = 0.5, reset to 0.5
    assert out.item() == pytest.approx(0.5) and layer.mem.item() == pytest.approx(0.5)
    assert st.recipe_from_name("DSRLITS").firing == TernaryFiring(scaled=True)
    assert st.recipe_from_name("DLIT").membrane.strict_negative
    assert not st.recipe_from_name("DLITS").membrane.strict_negative
    with pytest.raises(ValueError, match="LIX"):
        st.recipe_from_name("LIX")
    with pytest.raises(ValueError, match="same dual flag"):
        TraceRecipe(Membrane(dual=False), recurrence=Recurrence(dual=True))
    with pytest.raises(TypeError, match="recipe"):
        make_layer_class("Bad", "LIB")  # type: ignore[arg-type]


def test_the_32_classes_are_declarations_of_one_class() -> None:
    assert len(NAMES) == 32 and len(set(NAMES)) == 32
    for name in NAMES:
        cls = getattr(st, name)
        assert cls.__bases__ == (st.TraceLayer,) and cls.forward is st.TraceLayer.forward
        assert cls.recipe == st.recipe_from_name(name)


def test_registered_as_trace_layers() -> None:
    layers = snn_core.registry().layers
    for name in NAMES:
        assert layers[name].cls is getattr(st, name) and layers[name].family == "trace"


# ---------------------------------------------------------------------------------------------- equations
def test_dual_split_is_summed_then_resplit() -> None:
    layer = st.DSLI(1, pos_alpha=0.5, neg_alpha=0.5, pos_beta=0.9, neg_beta=0.5)
    layer(torch.tensor([[2.0]]))  # pos_syn 1, neg_syn 0 -> pos_mem 1
    layer(torch.tensor([[-4.0]]))  # pos_syn .5, neg_syn -2, sum -1.5 -> only neg_mem gets it
    assert layer.pos_syn.item() == pytest.approx(0.5) and layer.neg_syn.item() == pytest.approx(-2.0)
    assert layer.pos_mem.item() == pytest.approx(0.9) and layer.neg_mem.item() == pytest.approx(-1.5)


def test_dlit_strict_split_changes_only_the_gradient_at_zero() -> None:
    grads = {}
    for name in ("DLIT", "DLITS"):
        layer = getattr(st, name)(1)
        x = torch.zeros(1, 1, requires_grad=True)
        layer(x)
        (layer.pos_mem + layer.neg_mem).sum().backward()
        grads[name] = x.grad.item()
    assert grads["DLITS"] == pytest.approx(2 * grads["DLIT"])
    assert st.DLIT(1)(torch.zeros(1, 1)).item() == st.DLITS(1)(torch.zeros(1, 1)).item()


def test_lits_resets_with_unscaled_spikes() -> None:
    a, b = st.LIT(1, quant_fn=snn_core.round_ste()), st.LITS(1, pos_scale=3.0, quant_fn=snn_core.round_ste())
    for v in [1.5, 1.5, -2.0]:
        out_a, out_b = a(torch.tensor([[v]])), b(torch.tensor([[v]]))
        assert a.mem.item() == b.mem.item()
    assert out_a.item() == -1.0 and out_b.item() == -1.0


def test_spike_fn_and_quant_fn_accept_registered_names() -> None:
    layer = st.LIB(3, spike_fn="heaviside")
    out = layer(torch.tensor([[2.0, 0.5, 1.0]]))  # binary: m - 1 > 0
    assert out.tolist() == [[1.0, 0.0, 0.0]]
    assert layer.mem.tolist() == [[1.0, 0.5, 1.0]]
    layer = st.LIT(1, spike_fn="super")
    x = torch.tensor([[1.5]], requires_grad=True)
    layer(x).sum().backward()
    # d/dm [f(m - 1) - f(-1 - m)] with the SuperSpike surrogate 1/(alpha|u| + 1)^2, alpha = 100
    assert x.grad.item() == pytest.approx(1 / (100 * 0.5 + 1) ** 2 + 1 / (100 * 2.5 + 1) ** 2, rel=1e-5)
    layer = st.LIB(1, quant_fn="heaviside")  # q(f(u)) = [sigmoid(4u) > 0]: always 1
    assert layer(torch.tensor([[-3.0]])).item() == 1.0
    with pytest.raises(KeyError, match="not_a_threshold"):
        st.LIB(1, spike_fn="not_a_threshold")
    with pytest.raises(TypeError, match="quant_fn"):
        st.LIB(1, quant_fn=3)


# ---------------------------------------------------------------------------------------------- states and dim
@pytest.mark.parametrize("name", NAMES)
def test_any_dim_equals_last_axis(name: str) -> None:
    xs = seq((2, 4, 3), steps=12, seed=1)  # features on axis 1
    on_axis = varied(name, dim=1)
    on_last = varied(name, dim=-1)
    on_last.load_state_dict(on_axis.state_dict())
    for x in xs.unbind(0):
        a = on_axis(x)
        b = on_last(x.movedim(1, -1))
        assert torch.allclose(a, b.movedim(-1, 1), atol=1e-6)
    for k in on_axis.state_names:
        assert getattr(on_axis, k).shape == (2, 4, 3)
        assert torch.allclose(getattr(on_axis, k), getattr(on_last, k).movedim(-1, 1), atol=1e-6)


def test_lazy_states_and_errors() -> None:
    layer = st.SRLIB(4, dim=-3)
    assert all(getattr(layer, k) is None for k in layer.state_names)
    layer(torch.randn(2, 4, 5, 6, dtype=torch.float64))
    assert layer.mem.shape == (2, 4, 5, 6) and layer.mem.dtype == torch.float64
    with pytest.raises(ValueError, match="zero_states"):
        layer(torch.randn(3, 4, 5, 6, dtype=torch.float64))
    with pytest.raises(ValueError, match="expected num_neurons=4"):
        layer(torch.randn(2, 1, 5, 6))  # traceTorch would silently broadcast
    layer.zero_states()
    assert layer(torch.randn(3, 4, 5, 6)).shape == (3, 4, 5, 6)
    layer.double()
    assert layer.mem.dtype == torch.float64


def test_state_dict_has_parameters_only_and_loads_weights_only() -> None:
    layer = varied("DSRLITS", learn_bias=False)
    layer(torch.randn(2, 4))
    sd = layer.state_dict()
    assert all(k.startswith("raw_") for k in sd) and "raw_bias" in sd
    assert "raw_bias" not in dict(layer.named_parameters())
    buf = io.BytesIO()
    torch.save(sd, buf)
    buf.seek(0)
    fresh = st.DSRLITS(4)
    fresh.load_state_dict(torch.load(buf, weights_only=True))
    assert all(torch.equal(fresh.state_dict()[k], v) for k, v in sd.items())


def test_invalid_constructor_values() -> None:
    with pytest.raises(ValueError, match=r"beta=1\.0"):
        st.LIB(2, beta=1.0)
    with pytest.raises(ValueError, match="threshold=-1"):
        st.LIB(2, threshold=-1.0)
    with pytest.raises(ValueError, match="bias_rank must be 0 or 1"):
        st.LIB(2, bias_rank=3)
    with pytest.raises(TypeError, match="LIB\\(\\)"):
        st.LIB(2, gamma=0.5)
    with pytest.raises(ValueError, match="backend"):
        st.LIB(2, backend="")
    assert st.LIB(2, threshold=200.0).threshold.tolist() == pytest.approx([200.0, 200.0])  # no expm1 overflow


# ---------------------------------------------------------------------------------------------- sequence path
@pytest.mark.parametrize("name", NAMES)
def test_sequence_equals_step_loop_exactly(name: str) -> None:
    xs = seq((2, 4, 3), steps=20, seed=2)
    loop, whole = varied(name, dim=-2), varied(name, dim=-2)
    loop_xs = xs.clone().requires_grad_(True)
    whole_xs = xs.clone().requires_grad_(True)
    expected = torch.stack([loop(x) for x in loop_xs.unbind(0)])
    got = whole.sequence(whole_xs)
    assert torch.equal(got, expected)
    for k in loop.state_names:
        assert torch.equal(getattr(whole, k), getattr(loop, k)), k
    # continuing after the sequence matches continuing after the loop
    nxt = torch.randn(2, 4, 3)
    assert torch.equal(whole(nxt), loop(nxt))
    w = torch.randn_like(expected)
    (expected * w).sum().backward()
    (got * w).sum().backward()
    assert torch.allclose(whole_xs.grad, loop_xs.grad, atol=1e-5, rtol=1e-5)
    for (n, a), (_, b) in zip(whole.named_parameters(), loop.named_parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-4, rtol=1e-4), n


def test_sequence_errors_and_empty() -> None:
    layer = st.LIB(3)
    with pytest.raises(ValueError, match="time-first"):
        layer.sequence(torch.ones(3))
    with pytest.raises(ValueError, match="num_neurons=3"):
        layer.sequence(torch.ones(5, 2, 4))
    assert layer.sequence(torch.ones(0, 2, 3)).shape == (0, 2, 3)
    assert layer.mem.shape == (2, 3) and torch.equal(layer.mem, torch.zeros(2, 3))


class _FakeKernels:
    def __init__(self, result_factory) -> None:
        self.calls = []
        self.result_factory = result_factory

    @snn_core.hookimpl
    def snn_register_kernels(self):
        def fn(xs, states, params, config):
            self.calls.append((xs.shape, sorted(states), sorted(params), config.recipe))
            return self.result_factory(xs, states, params, config)

        return [
            snn_core.KernelSpec(
                name="fake:trace:LIB", target="trace:LIB", backend="fake", device="cpu", fn=fn
            )
        ]


def test_sequence_uses_a_registered_kernel_and_falls_back() -> None:
    fake = _FakeKernels(st.trace_sequence)
    snn_core.register(fake, name="fake-trace-kernels")
    try:
        xs = seq((2, 3), steps=5)
        layer = st.LIB(3)
        looped = st.LIB(3)
        reference = torch.stack([looped(x) for x in xs.unbind(0)])
        assert torch.equal(layer.sequence(xs), reference)
        assert fake.calls == [((5, 2, 3), ["mem"], ["beta", "bias", "threshold"], st.LIB.recipe)]
        st.LIB(3, backend="torch").sequence(xs)
        assert len(fake.calls) == 1  # torch backend never asks for kernels
        st.LIB(3, backend="fake").sequence(xs)
        assert len(fake.calls) == 2
        fake.result_factory = lambda *args: NotImplemented  # a kernel may decline
        assert torch.equal(st.LIB(3).sequence(xs), reference)
        with pytest.raises(snn_core.BackendUnavailableError):
            st.LIB(3, backend="cuda").sequence(xs)
    finally:
        snn_core.unregister(fake)


# ---------------------------------------------------------------------------------------------- Model, compile
class Net(snn_core.Model):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(3, 4), st.DSRLIB(4), nn.Linear(4, 4), st.LITS(4), nn.Linear(4, 2), st.LI(2)
        )

    def forward(self, x):
        return self.net(x)


def test_model_manages_trace_layer_states() -> None:
    torch.manual_seed(0)
    net = Net()
    xs = torch.randn(10, 2, 3)
    for x in xs[:5]:
        net(x)
    saved = net.save_states()
    assert set(saved) == {
        "net.1.pos_syn", "net.1.neg_syn", "net.1.pos_mem", "net.1.neg_mem", "net.1.pos_rec", "net.1.neg_rec", "net.1.prev_output",
        "net.3.mem", "net.5.mem",
    }  # fmt: skip
    expected = torch.stack([net(x) for x in xs[5:]])
    twin = Net()
    twin.load_state_dict(net.state_dict())
    twin.load_states(saved)
    assert torch.equal(torch.stack([twin(x) for x in xs[5:]]), expected)
    twin.detach_states()
    assert not twin.net[1].pos_mem.requires_grad
    twin.zero_states()
    assert twin.save_states() == {}


@pytest.mark.parametrize("name", NAMES)
def test_ttcompile_round_trip(name: str) -> None:
    layer = varied(name)
    raw = {k: v.clone() for k, v in layer.state_dict().items()}
    xs = seq((2, 4), steps=6, seed=4)
    with torch.no_grad():
        before = layer.sequence(xs)
    layer.zero_states()
    layer.TTcompile()
    assert list(layer.state_dict()) == [k.removeprefix("raw_") for k in raw]
    assert list(layer.parameters()) == []
    with torch.no_grad():
        assert torch.equal(layer.sequence(xs), before)
    layer.TTdecompile()
    assert list(layer.state_dict()) == list(raw)
    for k, v in raw.items():
        assert torch.equal(layer.state_dict()[k], v), k


def test_gradcheck_float64() -> None:
    for name in ("DSRLITS", "SRLIB", "DSLIEMA"):
        layer = varied(name, n=2).double()

        def f(xs, layer=layer):
            layer.zero_states()
            return layer.sequence(xs)

        xs = seq((1, 2), steps=4, seed=5, dtype=torch.float64).requires_grad_(True)
        assert torch.autograd.gradcheck(f, (xs,))


def test_step_and_sequence_trace_without_graph_breaks() -> None:
    torch._dynamo.reset()
    layer, twin = varied("DSRLITS", n=3), varied("DSRLITS", n=3)
    xs = seq((2, 3), steps=4, seed=6)
    step = torch.compile(layer, backend="eager", fullgraph=True)
    assert torch.equal(
        torch.stack([step(x) for x in xs.unbind(0)]), torch.stack([twin(x) for x in xs.unbind(0)])
    )
    whole = torch.compile(layer.sequence, backend="eager", fullgraph=True)
    assert torch.equal(whole(xs), twin.sequence(xs))
