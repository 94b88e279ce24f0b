"""The compiled CPU loops of snn_tracelayers.native: bit-identical forward, torch-fused gradients, dispatch."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import snn_core
import snn_tracelayers as st
from snn_tracelayers import native
from snn_tracelayers.fused import fused_trace_sequence
from snn_tracelayers.fused.plan import make_plan
from snn_tracelayers.native import _build
from snn_tracelayers.native import sequence as native_sequence

if not native.available():
    pytest.skip(
        f"snn-tracelayers native library unavailable: {native.build_error()}", allow_module_level=True
    )

SINGLE = ["LI", "LIEMA", "LIB", "LIT", "LITS", "SLI", "SLIEMA", "SLIB", "SLIT", "SLITS"]
DUAL = ["D" + name for name in SINGLE]
FIRING = [name for name in SINGLE + DUAL if "LIB" in name or "LIT" in name]
#: ``NAME/round`` is the layer with ``quant_fn=round_ste()``, ``NAME/round=h`` with ``round_ste(h)``
QUANTIZED = [f"{name}/round" for name in FIRING] + ["LIT/round=0.25", "DSLIB/round=0.3", "SLITS/round=0.3333"]
SUPPORTED = SINGLE + DUAL + QUANTIZED
#: the last two are wide enough for the C loops' vector bodies (16 floats a vector) and their remainders
SHAPES = [(1, 1, 4), (1, 3, 5), (17, 1, 6), (40, 4, 7), (12, 5), (9, 2, 3, 5), (6, 2, 70), (5, 37)]
DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-12, 1e-12)}  # vs the torch fused path
LOOP_TOL = {torch.float32: (1e-4, 1e-5), torch.float64: (1e-10, 1e-10)}  # vs the step loop (test_fused)


def make(name: str, n: int, dtype: torch.dtype, seed: int = 0, scalar: bool = False, **kw) -> st.TraceLayer:
    """A layer with parameters moved away from their defaults (rank 0 with ``scalar``).

    ``name`` may carry a quantizer: ``"LIB/round"`` (``round_ste()``), ``"LIB/round=0.25"``.
    """
    name, _, quant = name.partition("/")
    if quant:
        kind, _, step = quant.partition("=")
        assert kind == "round", quant
        kw["quant_fn"] = snn_core.round_ste(float(step) if step else 1.0)
    cls = getattr(st, name)
    ranks = {f"{d.name}_rank": 0 for d in cls.recipe.params} if scalar else {}
    layer = cls(n, **ranks, **kw).to(dtype)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(torch.randn(p.shape, generator=gen, dtype=dtype) * 0.3)
    return layer


def case(name: str, shape: tuple, dtype: torch.dtype, seed: int = 0, scalar: bool = False):
    layer = make(name, shape[-1], dtype, seed, scalar)
    gen = torch.Generator().manual_seed(seed + 1)
    xs = (torch.randn(shape, generator=gen, dtype=dtype) * 2).requires_grad_(True)
    states = {
        k: (torch.randn(shape[1:], generator=gen, dtype=dtype) * 0.5).requires_grad_(True)
        for k in layer.recipe.states
    }
    return layer, xs, states


def run(layer, xs, states, *, fused: bool = True, enabled: bool = True):
    old = native_sequence.ENABLED
    native_sequence.ENABLED = enabled
    try:
        return st.trace_sequence(xs, states, layer.trace_params(), layer.trace_config(), fused=fused)
    finally:
        native_sequence.ENABLED = old


def grads(layer, xs, states, outs, final):
    gen = torch.Generator().manual_seed(99)
    loss = (outs * torch.randn(outs.shape, generator=gen, dtype=outs.dtype)).sum()
    for i, k in enumerate(sorted(final)):
        loss = loss + (final[k] * (i + 2)).sum()
    inputs = [xs, *states.values(), *layer.parameters()]
    return torch.autograd.grad(loss, inputs, allow_unused=True)


def assert_bitwise(a, b) -> None:
    outs_a, final_a = a
    outs_b, final_b = b
    assert torch.equal(outs_a, outs_b)
    assert sorted(final_a) == sorted(final_b)
    for k in final_a:
        assert torch.equal(final_a[k], final_b[k]), k


@pytest.mark.parametrize("name", SUPPORTED)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_forward_bitwise_and_gradients(name: str, dtype: torch.dtype, shape: tuple) -> None:
    layer, xs, states = case(name, shape, dtype, seed=len(shape) + shape[0])
    nat = run(layer, xs, states)
    assert nat[0].grad_fn is not None and nat[0].grad_fn.native is True
    loop = run(layer, xs, states, fused=False)
    torch_fused = run(layer, xs, states, enabled=False)
    assert torch_fused[0].grad_fn.native is False
    assert_bitwise(nat, loop)
    assert_bitwise(nat, torch_fused)
    g_nat = grads(layer, xs, states, *nat)
    g_torch = grads(layer, xs, states, *torch_fused)
    g_loop = grads(layer, xs, states, *loop)
    rtol, atol = TOL[dtype]
    lrtol, latol = LOOP_TOL[dtype]
    assert len(g_nat) == 1 + len(states) + len(list(layer.parameters()))
    for i, (a, b, c) in enumerate(zip(g_nat, g_torch, g_loop)):
        assert a is not None and b is not None, i
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol, msg=f"input {i} vs torch fused")
        torch.testing.assert_close(a, c, rtol=lrtol, atol=latol, msg=f"input {i} vs step loop")


@pytest.mark.parametrize(
    "name", ["LIB", "LITS", "SLIT", "SLIEMA", "DLITS", "DSLIEMA", "DSLIB/round", "LIT/round"]
)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_scalar_parameters(name: str, dtype: torch.dtype) -> None:
    layer, xs, states = case(name, (30, 3, 4), dtype, seed=5, scalar=True)
    assert all(p.dim() == 0 for p in layer.trace_params().values())
    nat, torch_fused = run(layer, xs, states), run(layer, xs, states, enabled=False)
    assert nat[0].grad_fn.native
    assert_bitwise(nat, run(layer, xs, states, fused=False))
    assert_bitwise(nat, torch_fused)
    rtol, atol = TOL[dtype]
    for a, b in zip(grads(layer, xs, states, *nat), grads(layer, xs, states, *torch_fused)):
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize(
    ("name", "mem"), [("SLITS", "mem"), ("DSLITS", "neg_mem"), ("DLIB/round", "pos_mem")]
)
def test_only_some_inputs_require_grad(name: str, mem: str) -> None:
    layer, xs, states = case(name, (20, 2, 6), torch.float64, seed=3)
    x = xs.detach().requires_grad_(True)
    frozen = {k: v.detach() for k, v in states.items()}
    for p in layer.parameters():
        p.requires_grad_(False)
    nat, ref = run(layer, x, frozen), run(layer, x, frozen, enabled=False)
    assert nat[0].grad_fn.native
    (ga,) = torch.autograd.grad(nat[0].sum(), x)
    (gb,) = torch.autograd.grad(ref[0].sum(), x)
    torch.testing.assert_close(ga, gb, rtol=1e-12, atol=1e-12)
    # a gradient from the final state only (no gradient arrives at the outputs)
    nat, ref = run(layer, x, frozen), run(layer, x, frozen, enabled=False)
    (ga,) = torch.autograd.grad(nat[1][mem].sum(), x)
    (gb,) = torch.autograd.grad(ref[1][mem].sum(), x)
    torch.testing.assert_close(ga, gb, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", SUPPORTED)
def test_no_grad_inference_runs_native_and_matches(name: str, monkeypatch) -> None:
    calls = []
    original = native_sequence.forward

    def counting(*args, **kwargs):
        calls.append(kwargs.get("keep"))
        return original(*args, **kwargs)

    monkeypatch.setattr(native_sequence, "forward", counting)
    layer, xs, states = case(name, (25, 3, 5), torch.float32, seed=7)
    with torch.no_grad():
        got = fused_trace_sequence(xs, states, layer.trace_params(), layer.trace_config())
        expected = run(layer, xs, states, fused=False)
    assert calls == [False]
    assert got[0].grad_fn is None
    assert_bitwise(got, expected)


def test_layer_sequence_uses_native_and_matches_steps() -> None:
    loop_layer, seq_layer = make("SLIT", 6, torch.float32, 4), make("SLIT", 6, torch.float32, 4)
    xs = torch.randn(30, 2, 6, generator=torch.Generator().manual_seed(8))
    xa, xb = xs.clone().requires_grad_(True), xs.clone().requires_grad_(True)
    expected = torch.stack([loop_layer(x) for x in xa.unbind(0)])
    got = seq_layer.sequence(xb)
    assert got.grad_fn.next_functions[0][0].native  # under the layer's movedim back from working layout
    assert torch.equal(got, expected)
    for k in loop_layer.state_names:
        assert torch.equal(getattr(seq_layer, k), getattr(loop_layer, k)), k
    more = torch.randn(5, 2, 6, generator=torch.Generator().manual_seed(9))
    expected = torch.cat((expected, torch.stack([loop_layer(x) for x in more.unbind(0)])))
    got = torch.cat((got, seq_layer.sequence(more)))
    assert torch.equal(got, expected)
    got.sum().backward()
    expected.sum().backward()
    torch.testing.assert_close(xb.grad, xa.grad, rtol=1e-4, atol=1e-5)
    for (n, a), (_, b) in zip(seq_layer.named_parameters(), loop_layer.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-4, msg=n)


@pytest.mark.parametrize(
    ("name", "kwargs", "why"),
    [
        ("RLIB", {}, "recurrent"),
        ("SRLITS", {}, "recurrent"),
        ("DRLIB", {}, "dual recurrent"),
        ("DSRLITS", {"quant_fn": snn_core.round_ste()}, "dual recurrent"),
        ("LIB", {"quant_fn": snn_core.stochastic_round_ste()}, "quantizer"),
        ("DSLIT", {"quant_fn": snn_core.probabilistic_ste()}, "quantizer"),
        ("LIT", {"spike_fn": "super"}, "spike function"),
        ("DLIB", {"spike_fn": "super", "quant_fn": snn_core.round_ste()}, "spike function"),
    ],
)
def test_unsupported_layers_run_the_torch_fused_path(name: str, kwargs: dict, why: str) -> None:
    layer = make(name, 5, torch.float32, 2, **kwargs)
    gen = torch.Generator().manual_seed(4)
    xs = torch.randn(10, 3, 5, generator=gen).requires_grad_(True)
    states = {k: torch.zeros(3, 5) for k in layer.recipe.states}
    torch.manual_seed(0)  # the stochastic quantizers draw the same numbers in both runs
    outs, _ = run(layer, xs, states)
    assert outs.grad_fn.native is False, why
    torch.manual_seed(0)
    assert torch.equal(outs, run(layer, xs, states, fused=False)[0])


@pytest.mark.parametrize(
    "recipe",
    [
        st.TraceRecipe(st.Membrane(ema=True), firing=st.BinaryFiring()),
        st.TraceRecipe(
            st.Membrane(dual=True, ema=True), st.Synapse(dual=True), firing=st.TernaryFiring(scaled=True)
        ),
    ],
    ids=["LIBEMA", "DSLITSEMA"],
)
def test_recipes_without_compiled_loops_run_the_torch_fused_path(recipe) -> None:
    """trace.c compiles the combinations of the library's layers only (no EMA membrane with firing)."""
    layer = st.make_layer_class("Custom", recipe)(6)
    plan = make_plan(layer.trace_config())
    assert plan is not None and not _build.variant(plan.firing, native_sequence._flags(plan))
    gen = torch.Generator().manual_seed(3)
    xs = torch.randn(8, 2, 6, generator=gen).requires_grad_(True)
    states = {k: torch.zeros(2, 6) for k in layer.recipe.states}
    outs, final = run(layer, xs, states)
    assert outs.grad_fn.native is False
    assert_bitwise((outs, final), run(layer, xs, states, fused=False))


def test_every_library_layer_has_compiled_loops() -> None:
    for name in SINGLE + DUAL:
        plan = make_plan(getattr(st, name)(3).trace_config())
        assert plan is not None and _build.variant(plan.firing, native_sequence._flags(plan)), name
    assert not _build.variant(1, 2) and not _build.variant(3, 0)  # EMA with firing; no such firing kind


def test_parallel_build_units() -> None:
    """trace.c is compiled as SNN_TRACE_PARTS units (one -DSNN_TRACE_PART each), linked into one library."""
    assert len(_build.SOURCES) == 4 == native.library().snn_trace_parts()
    assert [flags for _, flags in _build.SOURCES] == [[f"-DSNN_TRACE_PART={k}"] for k in range(4)]


def test_non_contiguous_input_falls_back_for_firing_but_not_for_li() -> None:
    for name, native_expected in (
        ("LIB", False),
        ("SLITS", False),
        ("DLIT/round", False),
        ("LI", True),
        ("SLIEMA", True),
        ("DSLI", True),
    ):
        layer = make(name, 5, torch.float64, 1)
        base = torch.randn(5, 10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
        xs = base.permute(1, 2, 0).requires_grad_(True)  # [T, B, N], not contiguous
        states = {k: torch.zeros(3, 5, dtype=torch.float64) for k in layer.recipe.states}
        outs, final = run(layer, xs, states)
        assert outs.grad_fn.native is native_expected, name
        assert_bitwise((outs, final), run(layer, xs, states, fused=False))


def test_round_ste_ties_round_half_to_even() -> None:
    """A firing input of exactly 0 gives f = 0.5, which round_ste() maps to 0 (round would give 1)."""
    for name in ("LIB/round", "DLIB/round", "LIT/round"):
        layer = getattr(st, name.partition("/")[0])(4, quant_fn=snn_core.round_ste()).double()  # defaults
        params = layer.trace_params()
        threshold = params["threshold" if "LIB" in name else "pos_threshold"].reshape(-1)[0].item()
        assert params["bias"].abs().max() == 0
        # mem 0, no synapse: m = x (dual: P(x) + N(x) = x), so u = (x - threshold) + 0 = 0 exactly
        xs = torch.full((3, 2, 4), threshold, dtype=torch.float64, requires_grad=True)
        states = {k: torch.zeros(2, 4, dtype=torch.float64) for k in layer.recipe.states}
        f = torch.sigmoid(((xs[0] - threshold) + params["bias"]) * 4)
        assert torch.equal(f, torch.full_like(f, 0.5))  # a tie for the first step's spikes
        outs, final = run(layer, xs, states)
        assert outs.grad_fn.native
        assert torch.equal(outs[0], torch.zeros(2, 4, dtype=torch.float64)), outs[0]
        assert_bitwise((outs, final), run(layer, xs, states, fused=False))


@pytest.mark.parametrize("name", ["DLI", "DSLIEMA", "DLIB", "DLIT", "DSLIT", "DLITS/round"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shape", [(16, 3, 5), (6, 2, 70)], ids=["narrow", "vector"])
def test_dual_sign_split_gradients_at_zero(name: str, dtype: torch.dtype, shape: tuple) -> None:
    """Exact zeros in the input (and so in the drive): the masks [v >= 0], [v <= 0] and DLIT's [v < 0]."""
    layer, xs, states = case(name, shape, dtype, seed=11)
    with torch.no_grad():
        xs[:, :, ::2] = 0.0
    nat, torch_fused = run(layer, xs, states), run(layer, xs, states, enabled=False)
    assert nat[0].grad_fn.native
    assert_bitwise(nat, torch_fused)
    assert_bitwise(nat, run(layer, xs, states, fused=False))
    rtol, atol = TOL[dtype]
    for a, b in zip(grads(layer, xs, states, *nat), grads(layer, xs, states, *torch_fused)):
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["DLIB", "DSLITS/round", "DLIEMA"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
@pytest.mark.parametrize("grad", [True, False], ids=["grad", "no_grad"])
def test_dual_non_finite_states_repeat_with_the_step_loop(
    name: str, value: float, grad: bool, monkeypatch
) -> None:
    """A NaN or infinity reaching a dual layer's traces leaves its final states non-finite: the native
    result is discarded and the step loop runs (whose where-based splits map NaN to 0)."""
    calls = []
    original = native_sequence.forward

    def counting(*args, **kwargs):
        calls.append(kwargs.get("keep"))
        return original(*args, **kwargs)

    monkeypatch.setattr(native_sequence, "forward", counting)
    layer, xs, states = case(name, (12, 2, 5), torch.float32, seed=6)
    with torch.no_grad():
        xs[4, 1, 2] = value
    with torch.set_grad_enabled(grad):
        got = run(layer, xs, states)
        expected = run(layer, xs, states, fused=False)
    assert calls == [grad]  # the native loop ran once, and its result was not used
    assert getattr(got[0].grad_fn, "native", None) is None
    torch.testing.assert_close(got[0], expected[0], rtol=0, atol=0, equal_nan=True)
    for k in got[1]:
        torch.testing.assert_close(got[1][k], expected[1][k], rtol=0, atol=0, equal_nan=True)
    if value != value:  # the step loop's split maps the NaN to 0: finite outputs from a NaN input
        assert torch.isfinite(got[0]).all()


def test_switches_and_other_devices_fall_back() -> None:
    layer, xs, states = case("LIB", (8, 2, 4), torch.float32)
    assert run(layer, xs, states, enabled=False)[0].grad_fn.native is False
    plan = st.fused.make_plan(layer.trace_config())
    half = {k: v.detach().half() for k, v in states.items()}
    assert not native.supports(plan, xs.detach().half(), half, layer.trace_params())
    empty = torch.zeros(4, 0, 4)
    assert not native.supports(plan, empty, {"mem": torch.zeros(0, 4)}, layer.trace_params())


def test_large_steps_follow_torchs_thread_chunks() -> None:
    """Steps above torch's grain size: sigmoid's vector blocks restart at each thread's chunk."""
    threads = torch.get_num_threads()
    try:
        for count in sorted({1, 2, 3}):
            torch.set_num_threads(count)
            for name, dtype in (("LIB", torch.float32), ("LIT", torch.float64)):
                layer, xs, states = case(name, (3, 41, 1001), dtype, seed=count)
                nat = run(layer, xs, states)
                assert nat[0].grad_fn.native
                assert_bitwise(nat, run(layer, xs, states, fused=False))
    finally:
        torch.set_num_threads(threads)


def test_large_multithreaded_steps_need_the_openmp_split(monkeypatch) -> None:
    """Under another parallel backend torch may chunk differently: such steps run the torch path."""
    monkeypatch.setattr(_build, "_state", {"openmp": False})
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        layer, xs, states = case("LIB", (3, 41, 1001), torch.float32, seed=5)  # 41041 elements per step
        assert run(layer, xs, states)[0].grad_fn.native is False
        layer, xs, states = case("LIB", (3, 4, 101), torch.float32, seed=5)  # one chunk: still native
        assert run(layer, xs, states)[0].grad_fn.native is True
        torch.set_num_threads(1)
        layer, xs, states = case("LIB", (3, 41, 1001), torch.float32, seed=5)  # one thread: one chunk
        assert run(layer, xs, states)[0].grad_fn.native is True
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_c_sigmoid4x_equals_torch_on_many_values(dtype: torch.dtype) -> None:
    assert _build.sigmoid_ready(dtype)
    lib, kernel = _build.library(), _build.exp_kernel(dtype)
    run_c = getattr(lib, f"snn_trace_sigmoid4x_{'f32' if dtype == torch.float32 else 'f64'}")
    gen = torch.Generator().manual_seed(0)
    values = torch.cat(
        [
            torch.randn(100_000, generator=gen, dtype=dtype) * 3,
            (torch.rand(100_000, generator=gen, dtype=dtype) - 0.5) * 60,
        ]
    )
    for size in (200_000, 100_003, 31, 17):
        x = values[:size].contiguous()
        out = torch.empty_like(x)
        run_c(kernel.cap, kernel.fn, size, x.data_ptr(), out.data_ptr(), size)
        assert torch.equal(out, torch.sigmoid(x * 4)), size


def test_second_derivative_raises() -> None:
    layer, xs, states = case("LIB", (6, 2, 3), torch.float64)
    outs, _ = run(layer, xs, states)
    assert outs.grad_fn.native
    (g,) = torch.autograd.grad(outs.pow(2).sum(), xs, create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()


@pytest.mark.parametrize("capability", ["avx2", "default"])
def test_other_cpu_capabilities(capability: str) -> None:
    """torch's AVX2 and scalar sigmoid kernels, selected with ATEN_CPU_CAPABILITY in a fresh process."""
    script = textwrap.dedent(
        """
        import torch, snn_tracelayers as st
        from snn_tracelayers.native import _build
        assert torch.backends.cpu.get_cpu_capability().lower() == "{cap}", torch.backends.cpu.get_cpu_capability()
        for dtype in (torch.float32, torch.float64):
            assert _build.sigmoid_ready(dtype)
            for name in ("LIB", "SLITS"):
                layer = getattr(st, name)(37).to(dtype)
                xs = (torch.randn(20, 3, 37, dtype=dtype) * 2).requires_grad_(True)
                states = {{k: torch.zeros(3, 37, dtype=dtype) for k in layer.recipe.states}}
                a = st.trace_sequence(xs, states, layer.trace_params(), layer.trace_config())
                b = st.trace_sequence(xs, states, layer.trace_params(), layer.trace_config(), fused=False)
                assert a[0].grad_fn.native and torch.equal(a[0], b[0])
                assert all(torch.equal(a[1][k], b[1][k]) for k in a[1])
        print("ok")
        """
    ).format(cap=capability)
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    if "AssertionError" in result.stderr and "get_cpu_capability" in result.stderr:
        pytest.skip(f"this CPU cannot run torch's {capability} kernels")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_docstring_examples() -> None:
    failures, _ = doctest.testmod(native, verbose=False)
    assert failures == 0
