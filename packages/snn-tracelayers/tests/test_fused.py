"""The fused whole-sequence path: same outputs and states as the step loop, same gradients."""

from __future__ import annotations

import pytest
import torch

import snn_core
import snn_tracelayers as st
from snn_tracelayers import Membrane, Recurrence, Synapse, TernaryFiring, TraceRecipe, make_layer_class
from snn_tracelayers.fused import FusedTraceSequence, fused_trace_sequence, make_plan

NAMES = st.LAYER_NAMES


def varied(name: str, n: int = 5, dtype=torch.float32, seed: int = 0, **kw) -> st.TraceLayer:
    """A layer with distinct per-neuron parameters, non-zero recurrent weights and varied scales."""
    layer = getattr(st, name)(n, **kw) if isinstance(name, str) else name(n, **kw)
    gen = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        for pname, p in layer.state_dict().items():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))
            if "rec_weight" in pname:
                p.add_(0.5)
    return layer.to(dtype)


def inputs(shape, steps: int, seed: int, dtype=torch.float32) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (1.5 * torch.randn((steps, *shape), generator=gen, dtype=torch.float64)).to(dtype)


def random_states(layer: st.TraceLayer, shape, seed: int) -> dict[str, torch.Tensor]:
    """Non-zero initial states (so gradients for them are informative)."""
    gen = torch.Generator().manual_seed(seed)
    dtype = next(iter(layer.state_dict().values())).dtype
    return {
        k: (0.5 * torch.randn(shape, generator=gen, dtype=torch.float64)).to(dtype) for k in layer.state_names
    }


def run_both(
    layer: st.TraceLayer, xs: torch.Tensor, init: dict[str, torch.Tensor], weights: dict | None = None
):
    """Loop and fused over the same pure arguments; returns outputs, states and every gradient."""
    config = layer.trace_config()
    results = []
    for fused in (False, True):
        x = xs.clone().requires_grad_(True)
        states = {k: v.clone().requires_grad_(True) for k, v in init.items()}
        layer.zero_grad()
        params = layer.trace_params()
        if fused:
            outs, final = fused_trace_sequence(x, states, params, config)
        else:
            outs, final = st.trace_sequence(x, states, params, config, fused=False)
        gen = torch.Generator().manual_seed(99)
        loss = (outs * torch.randn(outs.shape, generator=gen, dtype=torch.float64).to(outs.dtype)).sum()
        for k in sorted(final):  # the final states feed the loss too
            w = torch.randn(final[k].shape, generator=gen, dtype=torch.float64).to(outs.dtype)
            loss = loss + (final[k] * w).sum()
        loss.backward()
        grads = {"x": x.grad, **{f"state:{k}": v.grad for k, v in states.items()}}
        grads.update({n: p.grad.clone() for n, p in layer.named_parameters()})
        results.append((outs.detach(), {k: v.detach() for k, v in final.items()}, grads))
    return results


def assert_same(loop, fused, rtol, atol) -> None:
    (o1, f1, g1), (o2, f2, g2) = loop, fused
    assert torch.equal(o1, o2)
    assert f1.keys() == f2.keys()
    for k in f1:
        assert torch.equal(f1[k], f2[k]), k
    assert g1.keys() == g2.keys()
    for k in g1:
        assert g2[k] is not None, k
        torch.testing.assert_close(g2[k], g1[k], rtol=rtol, atol=atol, msg=k)


# ---------------------------------------------------------------------------------------------- every layer
@pytest.mark.parametrize("name", NAMES)
def test_fused_equals_loop_float32(name: str) -> None:
    layer = varied(name)
    xs = inputs((3, 5), steps=40, seed=1)
    loop, fused = run_both(layer, xs, random_states(layer, (3, 5), seed=2))
    assert_same(loop, fused, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_fused_equals_loop_float64(name: str) -> None:
    layer = varied(name, dtype=torch.float64)
    xs = inputs((2, 5), steps=30, seed=3, dtype=torch.float64)
    loop, fused = run_both(layer, xs, random_states(layer, (2, 5), seed=4))
    assert_same(loop, fused, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", [n for n in NAMES if "LI" in n and n[-1] in "BTS"])
def test_fused_equals_loop_round_ste(name: str) -> None:
    layer = varied(name, dtype=torch.float64, quant_fn=snn_core.round_ste())
    xs = inputs((2, 5), steps=30, seed=5, dtype=torch.float64)
    loop, fused = run_both(layer, xs, random_states(layer, (2, 5), seed=6))
    assert_same(loop, fused, rtol=1e-10, atol=1e-10)
    assert set(torch.unique(loop[0]).tolist()) > {0.0}  # spikes happen


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("LIB", {"quant_fn": snn_core.round_ste(0.5)}),
        ("SRLIT", {"spike_fn": "sigmoid4x"}),
        ("DRLIB", {"spike_fn": "super"}),
        ("DSRLITS", {"spike_fn": "heavi_erfc"}),
        ("RLITS", {"spike_fn": "super", "quant_fn": "tanh"}),
    ],
)
def test_fused_other_differentiable_spike_and_quant_fns(name: str, kw: dict) -> None:
    layer = varied(name, dtype=torch.float64, **kw)
    assert make_plan(layer.trace_config()) is not None
    xs = inputs((2, 5), steps=30, seed=7, dtype=torch.float64)
    loop, fused = run_both(layer, xs, random_states(layer, (2, 5), seed=8))
    assert_same(loop, fused, rtol=1e-10, atol=1e-10)


def test_probabilistic_and_stochastic_quantizers_draw_the_same_numbers() -> None:
    for quant in (snn_core.stochastic_round_ste(), snn_core.probabilistic_ste(), "logistic"):
        layer = varied("SRLIB", dtype=torch.float64, quant_fn=quant)
        xs = inputs((2, 5), steps=30, seed=9, dtype=torch.float64)
        init = random_states(layer, (2, 5), seed=10)
        results = []
        for fused in (False, True):
            torch.manual_seed(0)
            x = xs.clone().requires_grad_(True)
            layer.zero_grad()
            outs, _ = st.trace_sequence(x, init, layer.trace_params(), layer.trace_config(), fused=fused)
            outs.sum().backward()
            grads = [x.grad, *(p.grad for p in layer.parameters())]
            results.append((outs.detach(), grads, torch.rand(3)))  # the generator is where the loop left it
        (o1, g1, r1), (o2, g2, r2) = results
        assert torch.equal(o1, o2) and torch.equal(r1, r2)
        assert 0 < (o1 == 0).sum() < o1.numel()
        for a, b in zip(g1, g2):
            torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------------------------- layer.sequence
@pytest.mark.parametrize(
    "name", ["LI", "DSLIEMA", "LIB", "SRLIB", "DSRLIB", "LIT", "DLIT", "RLITS", "DSRLITS"]
)
@pytest.mark.parametrize("dim", [-1, 1])
def test_layer_sequence_uses_fused_path_and_matches_steps(name: str, dim: int, monkeypatch) -> None:
    calls = []
    original = FusedTraceSequence.forward

    def counting(ctx, *args):
        calls.append(1)
        return original(ctx, *args)

    monkeypatch.setattr(FusedTraceSequence, "forward", staticmethod(counting))
    shape = (2, 5, 3) if dim == 1 else (2, 3, 5)
    loop_layer, seq_layer = varied(name, seed=1, dim=dim), varied(name, seed=1, dim=dim)
    xs = inputs(shape, steps=25, seed=11)
    xa, xb = xs.clone().requires_grad_(True), xs.clone().requires_grad_(True)
    expected = torch.stack([loop_layer(x) for x in xa.unbind(0)])
    got = seq_layer.sequence(xb)
    assert calls == [1]
    assert torch.equal(got, expected)
    for k in loop_layer.state_names:
        assert torch.equal(getattr(seq_layer, k), getattr(loop_layer, k)), k
    # a second sequence continues from the stored states, and its graph reaches the first
    more = inputs(shape, steps=5, seed=12)
    expected = torch.cat((expected, torch.stack([loop_layer(x) for x in more.unbind(0)])))
    got = torch.cat((got, seq_layer.sequence(more)))
    assert torch.equal(got, expected)
    w = torch.randn(expected.shape, generator=torch.Generator().manual_seed(3))
    (expected * w).sum().backward()
    (got * w).sum().backward()
    torch.testing.assert_close(xb.grad, xa.grad, rtol=1e-4, atol=1e-5)
    for (n, a), (_, b) in zip(seq_layer.named_parameters(), loop_layer.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-4, msg=n)


def test_rank0_parameters_and_frozen_parameters() -> None:
    layer = varied("DSRLITS", dtype=torch.float64, pos_beta_rank=0, bias_rank=0, learn_pos_scale=False)
    assert layer.constrained_value("pos_beta").dim() == 0
    xs = inputs((2, 5), steps=20, seed=13, dtype=torch.float64)
    loop, fused = run_both(layer, xs, random_states(layer, (2, 5), seed=14))
    assert_same(loop, fused, rtol=1e-10, atol=1e-10)
    layer.TTcompile()
    with torch.no_grad():
        outs, _ = fused_trace_sequence(
            xs, random_states(layer, (2, 5), 15), layer.trace_params(), layer.trace_config()
        )
        ref, _ = st.trace_sequence(
            xs, random_states(layer, (2, 5), 15), layer.trace_params(), layer.trace_config(), fused=False
        )
    assert torch.equal(outs, ref)


def test_composed_recipes_outside_the_32() -> None:
    recipes = {
        "RLI": TraceRecipe(Membrane(), recurrence=Recurrence()),
        "DSRLIEMA": TraceRecipe(
            Membrane(dual=True, ema=True), synapse=Synapse(True), recurrence=Recurrence(True)
        ),
        "SRLITEMA": TraceRecipe(Membrane(ema=True), Synapse(), Recurrence(), TernaryFiring(scaled=True)),
    }
    for name, recipe in recipes.items():
        cls = make_layer_class(name, recipe)
        layer = varied(cls, dtype=torch.float64)
        xs = inputs((2, 5), steps=25, seed=16, dtype=torch.float64)
        loop, fused = run_both(layer, xs, random_states(layer, (2, 5), seed=17))
        assert_same(loop, fused, rtol=1e-10, atol=1e-10)


def test_gradcheck_through_fused_path() -> None:
    for name in ("SRLIB", "DSRLITS", "DLIT"):
        layer = varied(name, n=2, dtype=torch.float64)
        params = layer.trace_params()
        config = layer.trace_config()
        names = list(params)

        def f(xs, mem_like, *values, names=names, layer=layer, config=config):
            states = {k: mem_like * (i + 1) * 0.1 for i, k in enumerate(layer.state_names)}
            outs, final = fused_trace_sequence(xs, states, dict(zip(names, values)), config)
            return outs, *final.values()

        xs = inputs((1, 2), steps=5, seed=18, dtype=torch.float64).requires_grad_(True)
        mem = torch.ones(1, 2, dtype=torch.float64, requires_grad=True)
        values = [v.detach().clone().requires_grad_(True) for v in params.values()]
        assert torch.autograd.gradcheck(f, (xs, mem, *values))


# ---------------------------------------------------------------------------------------------- fallbacks
def test_unknown_callables_and_unusual_arguments_fall_back_to_the_loop() -> None:
    layer = st.LIB(3, spike_fn=lambda u: torch.sigmoid(3 * u))
    assert make_plan(layer.trace_config()) is None
    xs = torch.randn(4, 2, 3)
    states = {"mem": torch.zeros(2, 3)}
    assert fused_trace_sequence(xs, states, layer.trace_params(), layer.trace_config()) is NotImplemented
    lib = st.LIB(3)
    params, config = lib.trace_params(), lib.trace_config()
    assert (
        fused_trace_sequence(xs, {"mem": torch.zeros(3)}, params, config) is NotImplemented
    )  # broadcast state
    assert (
        fused_trace_sequence(xs.double(), {"mem": torch.zeros(2, 3).double()}, params, config)
        is NotImplemented
    )
    assert (
        fused_trace_sequence(xs.half(), {"mem": torch.zeros(2, 3).half()}, params, config) is NotImplemented
    )
    assert fused_trace_sequence(xs[:0], states, params, config) is NotImplemented
    # the loop still gives the answer through trace_sequence
    outs, _ = st.trace_sequence(xs.double(), {"mem": torch.zeros(2, 3).double()}, params, config)
    assert outs.dtype == torch.float64 and outs.shape == (4, 2, 3)


def test_inference_path_keeps_nothing_and_matches() -> None:
    for name in ("LIB", "DSRLITS", "SLI"):
        layer = varied(name)
        xs = inputs((3, 5), steps=30, seed=21)
        init = random_states(layer, (3, 5), seed=22)
        with torch.no_grad():
            expected, expected_final = st.trace_sequence(
                xs, init, layer.trace_params(), layer.trace_config(), fused=False
            )
            got, final = fused_trace_sequence(xs, init, layer.trace_params(), layer.trace_config())
        assert torch.equal(got, expected)
        assert all(torch.equal(final[k], expected_final[k]) for k in final)
        assert got.grad_fn is None


@pytest.mark.parametrize(
    ("name", "where"),
    [("DSLIB", (3, 1, 2)), ("DLIT", (9, 0, 0)), ("DRLITS", "prev_output"), ("DSRLIB", (0, 1, 4))],
)
def test_nan_reaching_a_dual_layer_uses_the_loop(name: str, where) -> None:
    layer = varied(name)
    xs = inputs((2, 5), steps=10, seed=23)
    init = random_states(layer, (2, 5), seed=24)
    if where == "prev_output":
        init["prev_output"][0, 3] = float("nan")
    else:
        xs[where] = float("nan")
    assert fused_trace_sequence(xs, init, layer.trace_params(), layer.trace_config()) is NotImplemented
    outs, _ = st.trace_sequence(xs, init, layer.trace_params(), layer.trace_config())
    assert torch.isfinite(outs).all()  # P(NaN) = N(NaN) = 0, as in traceTorch


def test_infinite_input_gives_the_loop_numbers() -> None:
    layer = varied("DSRLITS")
    xs = inputs((2, 5), steps=10, seed=28)
    xs[4, 0, 1], xs[6, 1, 3] = float("inf"), -float("inf")
    init = random_states(layer, (2, 5), seed=29)
    with torch.no_grad():
        expected, _ = st.trace_sequence(xs, init, layer.trace_params(), layer.trace_config(), fused=False)
        got, _ = st.trace_sequence(xs, init, layer.trace_params(), layer.trace_config())
    assert torch.equal(got.isnan(), expected.isnan())
    assert torch.equal(got.nan_to_num(), expected.nan_to_num())


def test_docstring_examples() -> None:
    import doctest

    from snn_tracelayers import fused

    result = doctest.testmod(fused, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", ["LI", "LIB", "SRLIT", "DLIEMA", "DSRLITS"])
@pytest.mark.parametrize("shape", [(1, 5), (3, 5), (1, 2, 3, 5)])
def test_single_step_unbatched_and_extra_axes(name: str, shape: tuple) -> None:
    layer = varied(name, dtype=torch.float64)
    xs = inputs(shape[1:], steps=shape[0], seed=25, dtype=torch.float64)
    loop, fused = run_both(layer, xs, random_states(layer, shape[1:], seed=26))
    assert_same(loop, fused, rtol=1e-10, atol=1e-10)


def test_switched_off_globally_for_double_backward(monkeypatch) -> None:
    from snn_tracelayers import fused

    layer = varied("SRLIB", dtype=torch.float64)
    xs = inputs((2, 5), steps=6, seed=27, dtype=torch.float64).requires_grad_(True)
    (gx,) = torch.autograd.grad(layer.sequence(xs).sum(), xs, create_graph=True)
    with pytest.raises(RuntimeError):
        gx.sum().backward()
    monkeypatch.setattr(fused, "ENABLED", False)
    layer.zero_states()
    (gx,) = torch.autograd.grad(layer.sequence(xs).sum(), xs, create_graph=True)
    (gx * gx).sum().backward()  # the step loop is twice differentiable
    assert xs.grad is not None and torch.isfinite(xs.grad).all()
