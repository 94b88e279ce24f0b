"""The compiled CPU loops of LI, IAF, LIF box, refractory LIF, LSNN, AdEx, exponential LIF, Izhikevich
and conductance-based LIF.

Against looping snn_neurons' step functions: outputs and final state bit for bit (and bit for bit
the ``backend="torch"`` path), gradients with respect to the input and the initial state up to
round-off; the autograd node is the compiled one; arguments the loops do not reproduce run the
torch path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from typing import Any

import pytest
import torch
from torch import Tensor
from torch.utils import _pytree as pytree

import snn_core
import snn_neurons.functional as F
from snn_neurons import native, sequence
from snn_neurons.native import _sequence, models

pytestmark = pytest.mark.skipif(
    not native.available(), reason=f"the C kernels cannot be built here: {native.build_error()}"
)

DTYPES = [torch.float32, torch.float64]
SURROGATES = ["super", "tanh", "heavi_erfc", "circ", "triangle", "heaviside"]
SHAPE = (60, 3, 17)
MODELS = [
    "li",
    "iaf",
    "lif_box",
    "lif_box_subtract",
    "lif_refrac",
    "lsnn",
    "lif_ex",
    "lif_adex",
    "izhikevich",
    "coba_lif",
]
SPIKING = [m for m in MODELS if m != "li"]
# Izhikevich spikes every few tens of steps: its (and CobaLIF's) step-loop run is longer
SHAPES = {"izhikevich": (200, 3, 11), "coba_lif": (200, 3, 11)}
# circ: its slowly decaying derivative times (v_reset - v1) grows CobaLIF's adjoint without bound over
# long runs (in the step loop too), so it is checked on a short run in test_native_izhikevich_coba.py
SPIKING_CASES = [(m, s) for m in SPIKING for s in SURROGATES if (m, s) != ("coba_lif", "circ")]
NODES = {
    "li": "_NativeLIBackward",
    "iaf": "_NativeIAFBackward",
    "lif_box": "_NativeLIFBoxBackward",
    "lif_box_subtract": "_NativeLIFBoxBackward",
    "lif_refrac": "_NativeLIFRefracBackward",
    "lsnn": "_NativeLSNNBackward",
    "lif_ex": "_NativeLIFExBackward",
    "lif_adex": "_NativeLIFAdExBackward",
    "izhikevich": "_NativeIzhikevichBackward",
    "coba_lif": "_NativeCobaLIFBackward",
}


def name_of(model: str) -> str:
    return "lif_box" if model == "lif_box_subtract" else model


def seq_fn(model: str) -> Any:
    return getattr(sequence, f"{name_of(model)}_feed_forward_sequence")


def step_fn(model: str) -> Any:
    return getattr(F, f"{name_of(model)}_feed_forward_step")


def params(model: str, method: str = "super") -> Any:
    """Parameters under which each model spikes, resets and (refractory LIF) holds."""
    alpha = torch.tensor({"super": 100.0, "triangle": 0.5}.get(method, 2.0))
    threshold = dict(method=method, alpha=alpha)
    if model == "li":
        return F.LIParameters(tau_mem_inv=torch.tensor(150.0), v_leak=torch.tensor(0.1))
    if model == "iaf":
        return F.IAFParameters(v_th=torch.tensor(2.5), v_reset=torch.tensor(-0.2), **threshold)
    if model in ("lif_box", "lif_box_subtract"):
        reset = F.reset_subtract if model == "lif_box_subtract" else F.reset_value
        return F.LIFBoxParameters(
            tau_mem_inv=torch.tensor(300.0), v_reset=torch.tensor(-0.3), reset_method=reset, **threshold
        )
    if model == "lif_refrac":
        lif = F.LIFParameters(v_leak=torch.tensor(0.1), v_reset=torch.tensor(-0.2), **threshold)
        return F.LIFRefracParameters(lif, torch.tensor(2.0))
    if model == "lsnn":
        return F.LSNNParameters(tau_adapt_inv=torch.tensor(50.0), beta=torch.tensor(0.5), **threshold)
    if model == "lif_ex":
        return F.LIFExParameters(v_reset=torch.tensor(-0.1), **threshold)
    if model == "izhikevich":
        return F.tonic_spiking.p._replace(**threshold)
    if model == "coba_lif":
        return F.CobaLIFParameters(**threshold)
    return F.LIFAdExParameters(
        tau_ada_inv=torch.tensor(50.0), adaptation_spike=torch.tensor(0.3), **threshold
    )


def initial_state(model: str, shape: tuple[int, ...], dtype: torch.dtype, seed: int = 2) -> Any:
    """Random full-shape initial state that requires grad (a fractional refractory counter; Izhikevich:
    the tonic-spiking preset's state spread by a few mV; CobaLIF: voltages between rest and threshold
    and small conductances)."""
    g = torch.Generator().manual_seed(seed)

    def rand(scale: float = 0.5, shift: float = 0.0) -> Tensor:
        return (scale * torch.rand(shape, generator=g, dtype=dtype) + shift).requires_grad_(True)

    if model == "li":
        return F.LIState(rand(), rand())
    if model == "iaf":
        return F.IAFFeedForwardState(rand())
    if model in ("lif_box", "lif_box_subtract"):
        return F.LIFBoxFeedForwardState(rand())
    if model == "lif_refrac":
        return F.LIFRefracFeedForwardState(F.LIFFeedForwardState(rand(), rand()), rand(3.0, -0.5))
    if model == "lsnn":
        return F.LSNNFeedForwardState(rand(), rand(), rand(0.2, 1.0))
    if model == "lif_ex":
        return F.LIFExFeedForwardState(rand(), rand())
    if model == "izhikevich":
        s = F.tonic_spiking.s
        return F.IzhikevichState(rand(4.0, float(s.v)), rand(1.0, float(s.u)))
    if model == "coba_lif":
        return F.CobaLIFFeedForwardState(rand(8.0, -20.0), rand(1.0), rand(1.0))
    return F.LIFAdExFeedForwardState(rand(), rand(), rand(0.1))


def drive(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 0, amplitude: float = 3.0) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    spikes = (torch.rand(shape, generator=g, dtype=dtype) < 0.3).to(dtype)
    return (amplitude * spikes + 0.1 * torch.randn(shape, generator=g, dtype=dtype)).requires_grad_(True)


def amplitude(model: str) -> float:
    return 1.0 if model == "iaf" else 3.0


def drive_for(
    model: str, shape: tuple[int, ...], dtype: torch.dtype, seed: int = 0, level: float = 10.0
) -> Tensor:
    """The model's input: Izhikevich a current of about ``level`` with noise; CobaLIF sparse signed
    input (mostly excitatory), small enough for the Euler step to stay stable; the others spikes."""
    if model not in ("izhikevich", "coba_lif"):
        return drive(shape, dtype, seed, amplitude(model))
    g = torch.Generator().manual_seed(seed)
    if model == "izhikevich":
        xs = level * (0.5 + torch.rand(shape, generator=g, dtype=dtype)) + torch.randn(
            shape, generator=g, dtype=dtype
        )
    else:
        values = 2 * torch.rand(shape, generator=g, dtype=dtype) - 0.6
        xs = values * (torch.rand(shape, generator=g, dtype=dtype) < 0.3)
    return xs.requires_grad_(True)


def step_loop(model: str, xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> tuple[Tensor, Any]:
    outs = []
    for x in xs.unbind(0):
        out, state = step_fn(model)(x, state, p, dt)
        outs.append(out)
    return torch.stack(outs), state


def leaves(state: Any) -> list[Tensor]:
    return pytree.tree_leaves(state)


def assert_bitwise(outs: Tensor, final: Any, ref_outs: Tensor, ref_final: Any) -> None:
    assert outs.dtype == ref_outs.dtype and torch.equal(outs, ref_outs)
    assert type(final) is type(ref_final)
    for a, b in zip(leaves(final), leaves(ref_final), strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def weighted_loss(outs: Tensor, final: Any, seed: int = 1) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    tensors = [outs, *leaves(final)]
    weights = [torch.randn(t.shape, generator=g, dtype=t.dtype) for t in tensors]
    return sum((w * t).sum() for w, t in zip(weights, tensors) if t.requires_grad)  # type: ignore[return-value]


def inputs_of(xs: Tensor, state: Any) -> list[Tensor]:
    return [xs, *(s for s in leaves(state) if s.requires_grad)]


def assert_grads_close(got: Any, ref: Any, dtype: torch.dtype, model: str = "") -> None:
    """Up to round-off: Izhikevich's and CobaLIF's longer products of Jacobians at 1e-9 in float64;
    Izhikevich's gradients are all nonzero (every input and state field reaches the loss)."""
    rtol = 1e-4 if dtype == torch.float32 else (1e-9 if model in ("izhikevich", "coba_lif") else 1e-10)
    for g, r in zip(got, ref, strict=True):
        assert g.dtype == r.dtype and g.shape == r.shape
        assert model != "izhikevich" or r.abs().max() > 0
        assert (g - r).abs().max() <= rtol * r.abs().max().clamp_min(1e-30), (
            (g - r).abs().max(),
            r.abs().max(),
        )


def assert_matches(
    model: str, xs: Tensor, state: Any, p: Any, dt: float = 1e-3, **kw: Any
) -> tuple[Tensor, Any]:
    """The compiled loop: bitwise the step loop and the torch path, gradients up to round-off."""
    outs, final = seq_fn(model)(xs, state, p, dt, **kw)
    ref_outs, ref_final = step_loop(model, xs, state, p, dt)
    assert_bitwise(outs, final, ref_outs, ref_final)
    assert_bitwise(*seq_fn(model)(xs, state, p, dt, backend="torch"), outs, final)
    inputs = inputs_of(xs, state)
    grads = torch.autograd.grad(weighted_loss(outs, final), inputs)
    ref = torch.autograd.grad(weighted_loss(ref_outs, ref_final), inputs)
    # the input's gradient reaches the comparison (heaviside: through the state)
    assert ref[0].abs().max() > 0
    assert_grads_close(grads, ref, xs.dtype, model)
    return outs, final


def node_name(outs: Tensor, final: Any) -> str:
    """The autograd node of the run (the final state's when the spikes carry no gradient)."""
    tensor = outs if outs.grad_fn is not None else leaves(final)[0]
    return type(tensor.grad_fn).__name__


# --- the compiled loops against the step loop ---------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("model", "method"), SPIKING_CASES)
def test_spiking_models_match_the_step_loop(model, method, dtype):
    p = params(model, method)
    shape = SHAPES.get(model, SHAPE)
    xs = drive_for(model, shape, dtype, seed=11)
    state = initial_state(model, shape[1:], dtype)
    assert native.supports(name_of(model), xs, state, p)
    outs, final = assert_matches(model, xs, state, p)
    if model == "izhikevich":  # every neuron spikes (and resets) more than once on average
        assert outs[0].numel() < outs.sum() < 0.2 * outs.numel()
    elif model == "coba_lif":
        assert 0.02 < outs.mean() < 0.3  # spikes and resets happen
        assert (xs < 0).any() and (xs > 0).any()  # both conductances are driven
    else:
        assert 0.02 < outs.mean() < 0.6  # spikes and resets happen
    assert outs.requires_grad == (method != "heaviside")
    assert node_name(outs, final) == NODES[model]
    if model == "lif_refrac":  # the refractory mask suppresses spikes of the plain LIF neuron
        assert outs.sum() < sequence.lif_feed_forward_sequence(xs, state.lif, p.lif)[0].sum()


@pytest.mark.parametrize("dtype", DTYPES)
def test_li_matches_the_step_loop(dtype):
    xs = drive(SHAPE, dtype, seed=11)
    state = initial_state("li", SHAPE[1:], dtype)
    outs, final = assert_matches("li", xs, state, params("li"))
    assert node_name(outs, final) == NODES["li"]
    assert torch.equal(outs[-1], final.v) and outs[-1] is not final.v


@pytest.mark.parametrize("model", MODELS)
def test_explicit_cpu_backend_and_dt(model):
    """``backend="cpu"`` names the kernel; another dt reaches the constants (dt * tau_inv)."""
    dtype = torch.float64
    xs = drive_for(model, (25, 2, 9), dtype, seed=3)
    state = initial_state(model, (2, 9), dtype, seed=4)
    p = params(model, "tanh")
    outs, final = assert_matches(model, xs, state, p, dt=7e-4, backend="cpu")
    assert node_name(outs, final) == NODES[model]
    other_outs, other_final = seq_fn(model)(xs, state, p, 1e-3)
    # dt reaches the constants (IAF has no time constant)
    assert model == "iaf" or not torch.equal(leaves(final)[0], leaves(other_final)[0])
    if model == "izhikevich":
        assert not torch.equal(outs, other_outs)


@pytest.mark.parametrize("model", MODELS)
def test_kernels_are_registered_and_selected(model):
    name = name_of(model)
    kernel = snn_core.select_kernel(f"neuron:{name}", "cpu")
    assert kernel is not None and kernel.backend == "cpu" and kernel.device == "cpu"
    assert kernel.name == f"cpu-{name.replace('_', '-')}"
    assert kernel.fn is getattr(
        native, f"{name}_feed_forward_sequence", kernel.fn
    )  # the others are re-exported
    assert kernel.is_available is native.available
    assert kernel.fn is getattr(models, f"{name}_feed_forward_sequence")
    assert sequence.SEQUENCES[name] is seq_fn(model)


@pytest.mark.parametrize("model", MODELS)
def test_no_grad_inference_gives_the_training_numbers(model):
    xs = drive_for(model, (40, 3, 7), torch.float32, seed=5)
    state = initial_state(model, (3, 7), torch.float32)
    p = params(model)
    trained = seq_fn(model)(xs, state, p)
    with torch.no_grad():
        inferred = seq_fn(model)(xs, state, p)
    assert inferred[0].grad_fn is None and all(t.grad_fn is None for t in leaves(inferred[1]))
    assert_bitwise(*inferred, trained[0].detach(), pytree.tree_map(torch.Tensor.detach, trained[1]))
    assert_bitwise(*inferred, *step_loop(model, xs.detach(), pytree.tree_map(torch.Tensor.detach, state), p))
    assert model == "li" or inferred[0].sum() > 0


@pytest.mark.parametrize("model", MODELS)
def test_inputs_are_untouched_and_the_final_state_is_new(model):
    xs = drive_for(model, (20, 2, 5), torch.float64, seed=6)
    state = initial_state(model, (2, 5), torch.float64)
    before = [t.detach().clone() for t in [xs, *leaves(state)]]
    _, final = seq_fn(model)(xs, state, params(model))
    for t, b in zip([xs, *leaves(state)], before):
        assert torch.equal(t, b)
    assert all(f is not s for f, s in zip(leaves(final), leaves(state)))


@pytest.mark.parametrize("model", MODELS)
def test_gradients_of_outputs_only_and_of_the_final_state_only(model):
    """Undefined incoming gradients (a ``NULL`` in C) give the step loop's gradients."""
    dtype = torch.float64
    xs = drive_for(model, (25, 2, 4), dtype, seed=7)
    state = initial_state(model, (2, 4), dtype)
    p = params(model, "tanh")
    inputs = inputs_of(xs, state)
    picks = [lambda o, f: (o * o).sum(), lambda o, f: sum(t.sum() for t in leaves(f))]
    picks += [lambda o, f: leaves(f)[0].sum(), lambda o, f: leaves(f)[-1].sum()]
    if model == "coba_lif":
        picks.append(lambda o, f: f.g_e.sum() - 2 * f.g_i.sum())
    for pick in picks:
        got = torch.autograd.grad(pick(*seq_fn(model)(xs, state, p)), inputs, allow_unused=True)
        ref = torch.autograd.grad(pick(*step_loop(model, xs, state, p)), inputs, allow_unused=True)
        assert ref[0] is not None  # the input reaches every picked output
        assert_grads_close(
            [torch.zeros_like(x) if g is None else g for g, x in zip(got, inputs)],
            [torch.zeros_like(x) if r is None else r for r, x in zip(ref, inputs)],
            dtype,
            model,
        )


@pytest.mark.parametrize("model", MODELS)
def test_retain_graph_backward_twice_gives_the_same_gradients(model):
    xs = drive_for(model, (30, 2, 6), torch.float32, seed=8)
    state = initial_state(model, (2, 6), torch.float32)
    loss = weighted_loss(*seq_fn(model)(xs, state, params(model)))
    first = torch.autograd.grad(loss, inputs_of(xs, state), retain_graph=True)
    second = torch.autograd.grad(loss, inputs_of(xs, state))
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def gradcheck_case(model: str, dtype: torch.dtype) -> tuple[Tensor, Any]:
    """Inputs and a state far from threshold (CobaLIF: inputs away from 0, where g_e or g_i takes them)."""
    if model == "izhikevich":
        xs = 5 * torch.rand(8, 2, 3, dtype=dtype)
        return xs, F.IzhikevichState(
            -70 + 5 * torch.rand(2, 3, dtype=dtype), -14 + torch.rand(2, 3, dtype=dtype)
        )
    if model == "coba_lif":
        g = torch.Generator().manual_seed(3)
        sign = torch.where(torch.rand(8, 2, 3, generator=g, dtype=dtype) < 0.5, -1.0, 1.0).to(dtype)
        return sign * (0.1 + 0.4 * torch.rand(8, 2, 3, generator=g, dtype=dtype)), initial_state(
            model, (2, 3), dtype
        )
    return 0.05 * torch.rand(8, 2, 3, dtype=dtype), initial_state(model, (2, 3), dtype)


@pytest.mark.parametrize("model", MODELS)
def test_gradcheck_without_surrogate(model):
    """Heaviside threshold and small inputs: the analytic Jacobian is the true one (no spike flips)."""
    dtype = torch.float64
    p = params(model, "heaviside")
    xs, template = gradcheck_case(model, dtype)
    xs.requires_grad_(True)
    tensors = [t.detach().clone().requires_grad_(True) for t in leaves(template)]
    spec = pytree.tree_structure(template)

    def run(xs: Tensor, *fields: Tensor) -> tuple[Tensor, ...]:
        outs, final = seq_fn(model)(xs, pytree.tree_unflatten(list(fields), spec), p)
        return (outs, *leaves(final)) if model == "li" else tuple(leaves(final))

    assert node_name(*seq_fn(model)(xs, pytree.tree_unflatten(tensors, spec), p)) == NODES[model]
    assert torch.autograd.gradcheck(run, (xs, *tensors))


# --- parameters and arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["python-floats", "float64-scalars"])
@pytest.mark.parametrize("model", ["lif_box", "lif_refrac", "lsnn", "lif_ex", "lif_adex"])
def test_parameter_types_round_as_the_step_does(model, kind, dtype):
    """Python floats and float64 0-dim parameters are rounded to the input's dtype as the step does."""

    def value(x: float) -> Any:
        return x if kind == "python-floats" else torch.tensor(x, dtype=torch.float64)

    fields = dict(v_th=value(0.7), v_reset=value(-0.15), v_leak=value(0.05), tau_mem_inv=value(133.3))
    if model == "lif_refrac":
        p = F.LIFRefracParameters(F.LIFParameters(**fields, tau_syn_inv=value(250.0)), value(3.0))
    elif model == "lif_box":
        p = F.LIFBoxParameters(**fields)
    elif model == "lsnn":
        p = F.LSNNParameters(**fields, tau_adapt_inv=value(30.0), beta=value(0.7))
    elif model == "lif_ex":
        p = F.LIFExParameters(**fields, delta_T=value(0.3))
    else:
        p = F.LIFAdExParameters(
            **fields, delta_T=value(0.3), adaptation_spike=value(0.1), tau_ada_inv=value(20.0)
        )
    xs = drive((50, 3, 11), dtype, seed=9, amplitude=2.0)
    state = initial_state(model, (3, 11), dtype)
    assert native.supports(model, xs, state, p)
    outs, final = assert_matches(model, xs, state, p, dt=7e-4)
    assert node_name(outs, final) == NODES[model]


def test_in_place_parameter_change_is_seen():
    p = params("lsnn")._replace(v_th=torch.tensor(1.0))  # our own tensor, not the shared default
    xs = drive((40, 2, 5), torch.float32, seed=10)
    state = initial_state("lsnn", (2, 5), torch.float32)
    before = seq_fn("lsnn")(xs, state, p)[0]
    with torch.no_grad():
        p.v_th.fill_(0.2)  # cached constants must notice
    after = seq_fn("lsnn")(xs, state, p)
    assert after[0].sum() != before.sum()
    assert_bitwise(*after, *step_loop("lsnn", xs, state, p))


@pytest.mark.parametrize("model", [m for m in MODELS if m not in ("lif_ex", "lif_adex")])
def test_non_contiguous_input_and_state_run_compiled(model):
    dtype = torch.float64
    xs = drive_for(model, (30, 9, 3), dtype, seed=12).transpose(1, 2)
    state = pytree.tree_map(
        lambda t: t.detach().t().requires_grad_(True), initial_state(model, (9, 3), dtype)
    )
    assert not xs.is_contiguous() and not leaves(state)[0].is_contiguous()
    assert native.supports(name_of(model), xs, state, params(model))
    outs, final = assert_matches(model, xs, state, params(model))
    assert node_name(outs, final) == NODES[model]


@pytest.mark.parametrize("model", ["lif_ex", "lif_adex"])
def test_exponential_models_need_contiguous_arrays(model):
    """torch's exp runs over contiguous buffers; a transposed state takes the torch path (same numbers)."""
    dtype = torch.float32
    xs = drive((30, 9, 3), dtype, seed=12).transpose(1, 2)
    state = pytree.tree_map(
        lambda t: t.detach().t().requires_grad_(True), initial_state(model, (9, 3), dtype)
    )
    assert not native.supports(model, xs, state, params(model))
    outs, final = seq_fn(model)(xs, state, params(model))
    ref = seq_fn(model)(xs, state, params(model), backend="torch")
    assert_bitwise(outs, final, *ref)
    assert "Native" not in node_name(outs, final)


def third_party_surrogate(x: Tensor, alpha: Any) -> Tensor:
    """A plugin's surrogate: Heaviside forward, 1/(1 + alpha|x|) backward."""
    return _ThirdParty.apply(x, alpha)


class _ThirdParty(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, alpha: Any) -> Tensor:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        return grad / (1 + ctx.alpha * x.abs()), None


class _Plugin:
    @snn_core.hookimpl
    def snn_register_thresholds(self) -> list[snn_core.ThresholdSpec]:
        return [
            snn_core.ThresholdSpec(
                name="native_test_surrogate",
                fn=third_party_surrogate,
                derivative=lambda x, alpha: 1 / (1 + alpha * x.abs()),
            )
        ]


def _fallback_cases(model: str) -> list[tuple[str, Any]]:
    per_neuron = torch.linspace(0.5, 1.5, 7)
    trainable = torch.tensor(100.0, requires_grad=True)
    if model == "li":
        return [
            ("per-neuron", params(model)._replace(v_leak=per_neuron)),
            ("trainable", params(model)._replace(tau_mem_inv=trainable)),
        ]
    if model == "lif_refrac":
        lif = params(model).lif
        return [
            ("per-neuron", F.LIFRefracParameters(lif._replace(v_th=per_neuron), torch.tensor(2.0))),
            ("trainable", F.LIFRefracParameters(lif._replace(tau_mem_inv=trainable), torch.tensor(2.0))),
            (
                "third-party",
                F.LIFRefracParameters(lif._replace(method="native_test_surrogate"), torch.tensor(2.0)),
            ),
        ]
    if model == "izhikevich":
        return [
            ("per-neuron", params(model)._replace(d=torch.linspace(2.0, 8.0, 7))),
            ("trainable", params(model)._replace(tau_inv=torch.tensor(250.0, requires_grad=True))),
            ("third-party", params(model)._replace(method="native_test_surrogate")),
            ("logistic", params(model)._replace(method="logistic", alpha=0.2)),
        ]
    if model == "coba_lif":
        return [
            ("per-neuron", params(model)._replace(v_thresh=torch.linspace(-12.0, -8.0, 7))),
            ("trainable", params(model)._replace(c_m_inv=torch.tensor(5.0, requires_grad=True))),
            ("third-party", params(model)._replace(method="native_test_surrogate")),
        ]
    trainable_field = "v_th" if model == "iaf" else "tau_mem_inv"
    return [
        ("per-neuron", params(model, "super")._replace(v_th=per_neuron)),
        ("trainable", params(model, "super")._replace(**{trainable_field: trainable})),
        ("third-party", params(model, "native_test_surrogate")),
    ]


@pytest.mark.parametrize("model", MODELS)
def test_unsupported_parameters_run_the_torch_path(model):
    """Per-neuron or trainable parameters and a plugin's surrogate: the torch path's numbers and node."""
    with snn_core.registered(_Plugin(), name="native-models-test-plugin"):
        for label, p in _fallback_cases(model):
            xs = drive_for(model, (30, 2, 7), torch.float32, seed=13)
            state = initial_state(model, (2, 7), torch.float32)
            assert not native.supports(name_of(model), xs, state, p), label
            outs, final = seq_fn(model)(xs, state, p)
            ref_outs, ref_final = seq_fn(model)(xs, state, p, backend="torch")
            assert "Native" not in node_name(outs, final), label
            if label == "logistic":  # logistic samples its spikes
                continue
            assert_bitwise(outs, final, ref_outs, ref_final)
            assert model not in ("izhikevich", "coba_lif") or outs.sum() > 0, label
            grads = torch.autograd.grad(weighted_loss(outs, final), inputs_of(xs, state))
            ref = torch.autograd.grad(weighted_loss(ref_outs, ref_final), inputs_of(xs, state))
            assert all(torch.equal(g, r) for g, r in zip(grads, ref)), label


def test_user_defined_reset_of_lif_box_runs_the_torch_path():
    def halfway(z: Tensor, v: Tensor, v_reset: Tensor, v_th: Tensor) -> Tensor:
        return v - 0.5 * z * (v - v_reset)

    p = params("lif_box")._replace(reset_method=halfway)
    xs = drive((30, 2, 7), torch.float64, seed=14)
    state = initial_state("lif_box", (2, 7), torch.float64)
    assert not native.supports("lif_box", xs, state, p)
    outs, final = seq_fn("lif_box")(xs, state, p)
    assert_bitwise(outs, final, *step_loop("lif_box", xs, state, p))
    assert "Native" not in node_name(outs, final)


@pytest.mark.parametrize(
    ("model", "case"),
    [
        *(
            (m, c)
            for m in ["iaf", "lif_box", "lif_adex"]
            for c in ["float16", "broadcast-state", "number-state"]
        ),
        *(
            (m, c)
            for m in ["izhikevich", "coba_lif"]
            for c in ["float16", "broadcast-state", "other-dtype-state"]
        ),
    ],
)
def test_unsupported_inputs_run_the_torch_path(model, case):
    dtype = torch.float16 if case == "float16" else torch.float32
    if model in ("izhikevich", "coba_lif"):  # a run long enough for Izhikevich to spike
        xs = drive_for(model, (30, 2, 3), dtype, seed=15).detach()
    else:
        xs = torch.full((5, 2, 3), 1.5, dtype=dtype)
    state = initial_state(model, (2, 3), dtype)
    if case == "broadcast-state":
        state = pytree.tree_map(lambda t: t.detach()[0], state)  # shape [3]: broadcasts
    elif case == "number-state":
        state = pytree.tree_map(lambda t: 0.0, state)
    elif case == "other-dtype-state":
        state = pytree.tree_map(lambda t: t.detach().double(), state)
    p = params(model)
    assert not native.supports(name_of(model), xs, state, p)
    outs, final = seq_fn(model)(xs, state, p)
    ref_outs, ref_final = seq_fn(model)(xs, state, p, backend="torch")
    assert torch.equal(outs, ref_outs)
    assert all(torch.equal(a, b) for a, b in zip(leaves(final), leaves(ref_final)))
    if model in ("izhikevich", "coba_lif"):
        loop_outs, loop_final = step_loop(model, xs, state, p)
        assert torch.equal(outs, loop_outs)
        assert all(torch.equal(a, b) for a, b in zip(leaves(final), leaves(loop_final)))
    assert model != "izhikevich" or outs.sum() > 0


def test_supports_names_the_models():
    xs = torch.zeros(3, 2, 4)
    assert native.supports(
        "lif", xs, F.LIFFeedForwardState(torch.zeros(2, 4), torch.zeros(2, 4)), F.LIFParameters()
    )
    assert native.supports("li", xs, F.LIState(torch.zeros(2, 4), torch.zeros(2, 4)), F.LIParameters())
    with pytest.raises(KeyError, match="lif_mc"):
        native.supports("lif_mc", xs, None, None)


# --- the exponential models keep torch's exp --------------------------------------------------------


def _exp_dominated(model: str, dtype: torch.dtype, shape: tuple[int, ...]) -> tuple[Tensor, Any, Any]:
    """dt * tau_mem_inv = 1 and delta_T = 1: the voltage is the exponential term plus a little input,
    so any difference in the last bit of exp shows in the voltage."""
    g = torch.Generator().manual_seed(15)
    xs = 0.01 * torch.rand((6, *shape), generator=g, dtype=dtype)
    v = 6 * torch.rand(shape, generator=g, dtype=dtype) - 5
    fields = dict(
        delta_T=torch.tensor(1.0),
        tau_mem_inv=torch.tensor(1000.0),
        tau_syn_inv=torch.tensor(1000.0),
        v_leak=torch.tensor(-1.0),
        v_th=torch.tensor(1.0),
    )
    if model == "lif_ex":
        return xs, F.LIFExFeedForwardState(v, torch.zeros_like(v)), F.LIFExParameters(**fields)
    state = F.LIFAdExFeedForwardState(v, torch.zeros_like(v), torch.zeros_like(v))
    return xs, state, F.LIFAdExParameters(**fields, tau_ada_inv=torch.tensor(2.0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("model", ["lif_ex", "lif_adex"])
@pytest.mark.parametrize("shape", [(8, 512), (1, 40007)], ids=["4096", "40007"])
def test_exponential_models_are_bitwise_where_exp_dominates(model, dtype, shape):
    """Also above torch's parallel grain (32768 elements), where exp is split between threads."""
    xs, state, p = _exp_dominated(model, dtype, shape)
    with torch.no_grad():
        assert_bitwise(*seq_fn(model)(xs, state, p), *step_loop(model, xs, state, p))


@pytest.mark.parametrize("dtype", DTYPES)
def test_libm_exp_would_not_be_bitwise(monkeypatch, dtype):
    """Why the C step does not call exp itself: with libm's exp the voltages differ in the last bit."""
    path = ctypes.util.find_library("m")
    if path is None:
        pytest.skip("no libm to compare with")
    libm = ctypes.CDLL(path)
    libm.expf.argtypes, libm.expf.restype = [ctypes.c_float], ctypes.c_float
    scalar_exp = libm.expf if dtype == torch.float32 else math.exp
    probe = torch.linspace(-6, 1, 20001, dtype=dtype)
    if all(scalar_exp(x) == y for x, y in zip(probe.tolist(), torch.exp(probe).tolist())):
        pytest.skip("torch's exp equals libm's exp on this machine")

    class LibmTorch:
        def __getattr__(self, name: str) -> Any:
            return getattr(torch, name)

        @staticmethod
        def exp(arg: Tensor, out: Tensor) -> Tensor:
            values = [scalar_exp(x) for x in arg.reshape(-1).tolist()]
            return out.copy_(torch.tensor(values, dtype=arg.dtype).reshape(arg.shape))

    xs, state, p = _exp_dominated("lif_ex", dtype, (8, 512))
    reference = step_loop("lif_ex", xs, state, p)[1].v
    assert torch.equal(seq_fn("lif_ex")(xs, state, p)[1].v, reference)
    monkeypatch.setattr(_sequence, "torch", LibmTorch())
    assert not torch.equal(seq_fn("lif_ex")(xs, state, p)[1].v, reference)


@pytest.mark.parametrize("model", MODELS)
def test_second_derivatives_raise_instead_of_being_wrong(model):
    """The C adjoint builds no graph: differentiating it again must fail loudly."""
    xs = drive_for(model, (10, 2, 3), torch.float64, seed=16)
    state = initial_state(model, (2, 3), torch.float64)
    outs, final = seq_fn(model)(xs, state, params(model, "tanh"))
    assert node_name(outs, final) == NODES[model]
    (g,) = torch.autograd.grad(outs.pow(2).sum() + leaves(final)[0].pow(2).sum(), xs, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()
