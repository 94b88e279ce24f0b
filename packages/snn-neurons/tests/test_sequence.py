"""Whole-sequence paths (snn_neurons.sequence) against looping the step functions.

Reference step functions below are written from spec/norse-functional.md §7; snn_neurons' own
step functions replace them as soon as they exist (fixture ``fn``), and must give the same numbers.
"""

from __future__ import annotations

import types
from typing import Any, NamedTuple

import pytest
import torch
from torch import Tensor

import snn_core
import snn_neurons.functional as functional
from snn_neurons import sequence

T = torch.as_tensor


def theta(x: Tensor, p: Any) -> Tensor:
    return snn_core.threshold(x, p.method, p.alpha)


class LIFParameters(NamedTuple):
    tau_syn_inv: Tensor = T(200.0)
    tau_mem_inv: Tensor = T(100.0)
    v_leak: Tensor = T(0.0)
    v_th: Tensor = T(1.0)
    v_reset: Tensor = T(0.0)
    method: str = "super"
    alpha: Any = T(100.0)


class LIFFeedForwardState(NamedTuple):
    v: Tensor
    i: Tensor


def lif_feed_forward_step(x, s, p, dt=1e-3):
    j = s.i + x
    v1 = s.v + (dt * p.tau_mem_inv) * ((p.v_leak - s.v) + j)
    i1 = j + ((-dt) * p.tau_syn_inv) * j
    z = theta(v1 - p.v_th, p)
    v2 = (1 - z) * v1 + z * p.v_reset
    return z, LIFFeedForwardState(v2, i1)


class LIParameters(NamedTuple):
    tau_syn_inv: Tensor = T(200.0)
    tau_mem_inv: Tensor = T(100.0)
    v_leak: Tensor = T(0.0)


class LIState(NamedTuple):
    v: Tensor
    i: Tensor


def li_feed_forward_step(x, s, p, dt=1e-3):
    j = s.i + x
    v1 = s.v + (dt * p.tau_mem_inv) * ((p.v_leak - s.v) + j)
    i1 = j + ((-dt) * p.tau_syn_inv) * j
    return v1, LIState(v1, i1)


class IAFParameters(NamedTuple):
    v_th: Tensor = T(1.0)
    v_reset: Tensor = T(0.0)
    method: str = "super"
    alpha: Any = T(100.0)


class IAFFeedForwardState(NamedTuple):
    v: Tensor


def iaf_feed_forward_step(x, s, p, dt=1e-3):
    v1 = s.v + x
    z = theta(v1 - p.v_th, p)
    return z, IAFFeedForwardState((1 - z) * v1 + z * p.v_reset)


def reset_value(z, v, v_reset, v_th):
    return (1 - z) * v + z * v_reset


def reset_subtract(z, v, v_reset, v_th):
    return (1 - z) * v + z * (v - v_th)


class LIFBoxParameters(NamedTuple):
    tau_mem_inv: Tensor = T(100.0)
    v_leak: Tensor = T(0.0)
    v_th: Tensor = T(1.0)
    v_reset: Tensor = T(0.0)
    method: str = "super"
    alpha: Any = T(100.0)
    reset_method: Any = reset_value


class LIFBoxFeedForwardState(NamedTuple):
    v: Tensor


def lif_box_feed_forward_step(x, s, p, dt=1e-3):
    v1 = s.v + (dt * p.tau_mem_inv) * ((x + p.v_leak) - s.v)
    z = theta(v1 - p.v_th, p)
    return z, LIFBoxFeedForwardState(p.reset_method(z, v1, p.v_reset, p.v_th))


class LIFRefracParameters(NamedTuple):
    lif: LIFParameters = LIFParameters()
    rho_reset: Tensor = T(5.0)


class LIFRefracFeedForwardState(NamedTuple):
    lif: LIFFeedForwardState
    rho: Tensor


def lif_refrac_feed_forward_step(x, s, p, dt=1e-3):
    z0, (v0, i0) = lif_feed_forward_step(x, s.lif, p.lif, dt)
    m = theta(s.rho, p.lif)
    v1 = (1 - m) * v0 + m * s.lif.v
    z = (1 - m) * z0
    rho1 = (1 - z) * torch.relu(s.rho - m) + z * p.rho_reset
    return z, LIFRefracFeedForwardState(LIFFeedForwardState(v1, i0), rho1)


class LSNNParameters(NamedTuple):
    tau_syn_inv: Tensor = T(200.0)
    tau_mem_inv: Tensor = T(100.0)
    tau_adapt_inv: Tensor = T(1 / 800)
    v_leak: Tensor = T(0.0)
    v_th: Tensor = T(1.0)
    v_reset: Tensor = T(0.0)
    beta: Tensor = T(1.8)
    method: str = "super"
    alpha: Any = 100.0


class LSNNFeedForwardState(NamedTuple):
    v: Tensor
    i: Tensor
    b: Tensor


def lsnn_feed_forward_step(x, s, p, dt=1e-3):
    v1 = s.v + (dt * p.tau_mem_inv) * ((p.v_leak - s.v) + s.i)
    i1 = s.i + ((-dt) * p.tau_syn_inv) * s.i
    b1 = s.b + (dt * p.tau_adapt_inv) * (p.v_th - s.b)
    z = theta(v1 - b1, p)
    v2 = (1 - z) * v1 + z * p.v_reset
    b2 = b1 + z * p.beta
    return z, LSNNFeedForwardState(v2, i1 + x, b2)


class LIFAdExParameters(NamedTuple):
    adaptation_current: Tensor = T(4)
    adaptation_spike: Tensor = T(0.02)
    delta_T: Tensor = T(0.5)
    tau_ada_inv: Tensor = T(2.0)
    tau_syn_inv: Tensor = T(200.0)
    tau_mem_inv: Tensor = T(100.0)
    v_leak: Tensor = T(0.0)
    v_th: Tensor = T(1.0)
    v_reset: Tensor = T(0.0)
    method: str = "super"
    alpha: Any = 100.0


class LIFAdExFeedForwardState(NamedTuple):
    v: Tensor
    i: Tensor
    a: Tensor


def lif_adex_feed_forward_step(x, s, p, dt=1e-3):
    j = s.i + x
    e = p.delta_T * torch.exp((s.v - p.v_th) / p.delta_T)
    v1 = s.v + (dt * p.tau_mem_inv) * ((((p.v_leak - s.v) + e) + j) - s.a)
    i1 = j + ((-dt) * p.tau_syn_inv) * j
    a1 = s.a + (dt * p.tau_ada_inv) * ((p.adaptation_current * (s.v - p.v_leak)) - s.a)
    z = theta(v1 - p.v_th, p)
    v2 = (1 - z) * v1 + z * p.v_reset
    return z, LIFAdExFeedForwardState(v2, i1, a1 + z * p.adaptation_spike)


class LIFExParameters(NamedTuple):
    delta_T: Tensor = T(0.5)
    tau_syn_inv: Tensor = T(200.0)
    tau_mem_inv: Tensor = T(100.0)
    v_leak: Tensor = T(0.0)
    v_th: Tensor = T(1.0)
    v_reset: Tensor = T(0.0)
    method: str = "super"
    alpha: Any = 100.0


class LIFExFeedForwardState(NamedTuple):
    v: Tensor
    i: Tensor


def lif_ex_feed_forward_step(x, s, p, dt=1e-3):
    j = s.i + x
    e = p.delta_T * torch.exp((s.v - p.v_th) / p.delta_T)
    v1 = s.v + (dt * p.tau_mem_inv) * (((p.v_leak - s.v) + e) + j)
    i1 = j + ((-dt) * p.tau_syn_inv) * j
    z = theta(v1 - p.v_th, p)
    v2 = (1 - z) * v1 + z * p.v_reset
    return z, LIFExFeedForwardState(v2, i1)


NAMES = [
    "LIFParameters", "LIFFeedForwardState", "lif_feed_forward_step",
    "LIParameters", "LIState", "li_feed_forward_step",
    "IAFParameters", "IAFFeedForwardState", "iaf_feed_forward_step",
    "LIFBoxParameters", "LIFBoxFeedForwardState", "lif_box_feed_forward_step", "reset_value", "reset_subtract",
    "LIFRefracParameters", "LIFRefracFeedForwardState", "lif_refrac_feed_forward_step",
    "LSNNParameters", "LSNNFeedForwardState", "lsnn_feed_forward_step",
    "LIFAdExParameters", "LIFAdExFeedForwardState", "lif_adex_feed_forward_step",
    "LIFExParameters", "LIFExFeedForwardState", "lif_ex_feed_forward_step",
]  # fmt: skip


# ---------------------------------------------------------------------------------------------

_LOCAL = {name: globals()[name] for name in NAMES}


@pytest.fixture
def fn(monkeypatch):
    """The step functions and tuples: snn_neurons' own where they exist, else the local references."""
    for name, value in _LOCAL.items():
        if not hasattr(functional, name):
            monkeypatch.setattr(functional, name, value, raising=False)
    return types.SimpleNamespace(**{name: getattr(functional, name) for name in NAMES})


def loop(step, xs, state, p, dt=1e-3):
    outs = []
    for x in xs.unbind(0):
        out, state = step(x, state, p, dt)
        outs.append(out)
    return torch.stack(outs), state


def spiking_input(shape, dtype, seed=0, rate=0.3, amplitude=3.0):
    generator = torch.Generator().manual_seed(seed)
    spikes = (torch.rand(shape, generator=generator, dtype=dtype) < rate).to(dtype)
    return (spikes * amplitude + 0.1 * torch.randn(shape, generator=generator, dtype=dtype)).requires_grad_(
        True
    )


def leaves(state):
    from torch.utils import _pytree as pytree

    return pytree.tree_leaves(state)


def assert_same_run(seq_fn, step, xs, state, p, dt=1e-3, rtol=None, **kw):
    """Outputs and final state bitwise equal to the loop; gradients equal up to round-off."""
    outs, final = seq_fn(xs, state, p, dt, **kw)
    ref_outs, ref_final = loop(step, xs, state, p, dt)
    assert torch.equal(outs, ref_outs)
    assert type(final) is type(ref_final)
    for a, b in zip(leaves(final), leaves(ref_final)):
        assert a.dtype == b.dtype and torch.equal(a, b)
    inputs = [xs, *[s for s in leaves(state) if isinstance(s, torch.Tensor) and s.requires_grad]]
    generator = torch.Generator().manual_seed(1)
    weights = [torch.randn(o.shape, generator=generator, dtype=o.dtype) for o in [outs, *leaves(final)]]

    def loss(o, f):
        return sum((w * t).sum() for w, t in zip(weights, [o, *leaves(f)]) if t.requires_grad)

    grads = torch.autograd.grad(loss(outs, final), inputs, allow_unused=True)
    ref_grads = torch.autograd.grad(loss(ref_outs, ref_final), inputs, allow_unused=True)
    if rtol is None:
        rtol = 1e-4 if xs.dtype == torch.float32 else 1e-10
    for g, r in zip(grads, ref_grads):
        r = torch.zeros_like(g) if r is None else r
        scale = r.abs().max().clamp_min(1e-30)
        assert g.shape == r.shape and g.dtype == r.dtype
        assert ((g - r).abs().max() / scale) <= rtol, ((g - r).abs().max(), scale)
    return outs, final


SHAPE = (60, 3, 5)
DTYPES = [torch.float32, torch.float64]
SURROGATES = ["super", "tanh", "triangle", "circ", "heavi_erfc", "heaviside"]


def lif_state(shape, dtype, seed=2):
    g = torch.Generator().manual_seed(seed)
    return LIFFeedForwardState(
        torch.rand(shape, generator=g, dtype=dtype).requires_grad_(True),
        torch.randn(shape, generator=g, dtype=dtype).requires_grad_(True),
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", SURROGATES)
def test_lif_sequence_equals_step_loop(fn, dtype, method):
    alpha = torch.as_tensor(100.0 if method == "super" else 2.0)
    v_leak = torch.as_tensor(0.05 if method in ("tanh", "circ") else 0.0)  # both forward branches
    p = fn.LIFParameters(v_leak=v_leak, v_reset=torch.as_tensor(-0.2), method=method, alpha=alpha)
    xs = spiking_input(SHAPE, dtype)
    state = fn.LIFFeedForwardState(*lif_state(SHAPE[1:], dtype))
    zs, _ = assert_same_run(
        sequence.lif_feed_forward_sequence, fn.lif_feed_forward_step, xs, state, p, backend="torch"
    )
    assert 0 < zs.sum() < zs.numel()  # the test spikes and resets
    assert zs.requires_grad == (method != "heaviside")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["super", "tanh", "triangle", "circ", "heavi_erfc", "heaviside"])
@pytest.mark.parametrize("alpha", [torch.tensor(100.0), torch.tensor(0.7), 2.5])
def test_surrogate_factor_equals_threshold_backward(method, dtype, alpha):
    """The fused backward's sigma'(x) is bit for bit what the registered threshold multiplies by."""
    from snn_neurons.sequence._surrogate import surrogate_derivative

    x = torch.linspace(-3, 3, 1001, dtype=dtype).requires_grad_(True)
    spikes = snn_core.threshold(x, method, alpha)
    expected = torch.autograd.grad(spikes.sum(), x)[0] if spikes.requires_grad else torch.zeros_like(x)
    assert torch.equal(surrogate_derivative(method)(x.detach(), alpha), expected)
    assert surrogate_derivative("logistic") is None and surrogate_derivative("sigmoid4x") is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_lif_sequence_backward_in_chunks(fn, monkeypatch, dtype):
    """The backward pass walks time in chunks; a chunk of 2 steps and an odd T cross every boundary."""
    from snn_neurons.sequence import _lif

    monkeypatch.setattr(_lif, "_CHUNK_ELEMENTS", 2 * SHAPE[1] * SHAPE[2])
    p = fn.LIFParameters(method="triangle", alpha=torch.tensor(0.5), v_th=torch.tensor(0.8))
    xs = spiking_input((61, *SHAPE[1:]), dtype, seed=7)
    state = fn.LIFFeedForwardState(*lif_state(SHAPE[1:], dtype))
    assert_same_run(sequence.lif_feed_forward_sequence, fn.lif_feed_forward_step, xs, state, p)


def test_lif_sequence_broadcast_state_and_parameters(fn):
    """0-dim initial state (as LIFCell), per-neuron parameters, float64 input with float32 parameters."""
    dtype = torch.float64
    xs = spiking_input(SHAPE, dtype, seed=3)
    v0 = torch.tensor(0.3, requires_grad=True)  # float32 0-dim: the step's dtype rules apply
    i0 = torch.zeros((), dtype=dtype, requires_grad=True)
    p = fn.LIFParameters(
        v_th=torch.linspace(0.5, 1.5, SHAPE[-1], dtype=dtype), tau_mem_inv=torch.tensor(150.0)
    )
    _, final = assert_same_run(
        sequence.lif_feed_forward_sequence,
        fn.lif_feed_forward_step,
        xs,
        fn.LIFFeedForwardState(v0, i0),
        p,
        dt=2e-3,
    )
    assert final.v.shape == SHAPE[1:]


def test_lif_sequence_uses_fused_path(fn, monkeypatch):
    """The fused path runs (no per-step call of the step function) and keeps one tensor per step."""
    calls = []
    monkeypatch.setattr(
        functional, "lif_feed_forward_step", lambda *a: calls.append(1) or fn.lif_feed_forward_step(*a)
    )
    xs = spiking_input(SHAPE, torch.float32)
    zs, _ = sequence.lif_feed_forward_sequence(
        xs, fn.LIFFeedForwardState(*lif_state(SHAPE[1:], torch.float32)), fn.LIFParameters()
    )
    assert not calls
    node = zs.grad_fn
    saved = [t for t in node.saved_tensors if t.dim() == len(SHAPE)]
    assert len(saved) == 1 and saved[0].shape == SHAPE  # the pre-reset membrane only


def test_lif_sequence_gradcheck_subthreshold(fn):
    """float64 gradcheck of the state path (no spikes: the map is smooth)."""
    p = fn.LIFParameters(v_th=torch.tensor(1e6, dtype=torch.float64))
    xs = torch.randn(12, 2, 3, dtype=torch.float64, requires_grad=True)
    v0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    i0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)

    def run(xs, v0, i0):
        _, s = sequence.lif_feed_forward_sequence(xs, fn.LIFFeedForwardState(v0, i0), p)
        return s.v, s.i

    assert torch.autograd.gradcheck(run, (xs, v0, i0))


def test_lif_sequence_hand_derived_first_steps(fn):
    """Two steps by hand: x = 1.2 then 0; tau_mem_inv = 100, tau_syn_inv = 200, dt = 1e-3."""
    xs = torch.tensor([[12.0], [0.0]], dtype=torch.float64)
    state = fn.LIFFeedForwardState(torch.zeros(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64))
    zs, final = sequence.lif_feed_forward_sequence(xs, state, fn.LIFParameters(v_th=torch.tensor(1.15)))
    # step 0: j = 12, v1 = 0.1 * 12 = 1.2 > 1.15 -> spike, v -> 0, i = 12 * 0.8 = 9.6
    # step 1: j = 9.6, v1 = 0.96 -> no spike, i = 7.68
    assert zs.flatten().tolist() == [1.0, 0.0]
    assert final.v.item() == pytest.approx(0.96) and final.i.item() == pytest.approx(7.68)


@pytest.mark.parametrize("per_neuron", [False, True])
def test_lif_sequence_exactly_at_threshold_does_not_spike(fn, per_neuron):
    """a = dt * 1000 = 1 and no current decay: v1 reaches v_th = 1 exactly at step 1 and stays."""
    v_th = torch.ones(2) if per_neuron else torch.tensor(1.0)
    p = fn.LIFParameters(tau_mem_inv=torch.tensor(1000.0), tau_syn_inv=torch.tensor(0.0), v_th=v_th)
    xs = torch.tensor([[0.5, 0.5], [0.5, 0.5], [0.0, 1e-3], [0.0, 0.0]])
    state = fn.LIFFeedForwardState(torch.zeros(2), torch.zeros(2))
    zs, final = sequence.lif_feed_forward_sequence(xs, state, p)
    ref, ref_final = loop(fn.lif_feed_forward_step, xs, state, p)
    assert torch.equal(zs, ref) and torch.equal(final.v, ref_final.v)
    assert zs[:, 0].tolist() == [0.0, 0.0, 0.0, 0.0] and zs[:, 1].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert final.v[0].item() == 1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_lif_sequence_python_number_parameters(fn, dtype):
    """Python floats as threshold/reset act as in the step: rounded to the input's dtype only."""
    p = fn.LIFParameters(v_th=0.3, v_reset=-0.1, v_leak=0.05, tau_mem_inv=150.0)
    xs = spiking_input(SHAPE, dtype, seed=23, amplitude=1.0)
    state = fn.LIFFeedForwardState(*lif_state(SHAPE[1:], dtype))
    zs, _ = assert_same_run(sequence.lif_feed_forward_sequence, fn.lif_feed_forward_step, xs, state, p)
    assert 0 < zs.sum() < zs.numel()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_runs_the_step_loop(fn, dtype):
    xs = spiking_input(SHAPE, torch.float32, seed=24).detach().to(dtype).requires_grad_(True)
    state = fn.LIFFeedForwardState(torch.zeros(SHAPE[1:], dtype=dtype), torch.zeros(SHAPE[1:], dtype=dtype))
    zs, _ = assert_same_run(
        sequence.lif_feed_forward_sequence, fn.lif_feed_forward_step, xs, state, fn.LIFParameters(), rtol=0
    )
    assert "Stack" in type(zs.grad_fn).__name__


def third_party_surrogate(x, alpha):
    """A plugin's surrogate: Heaviside forward, 1/(1 + alpha|x|) backward."""
    return _ThirdParty.apply(x, alpha)


class _ThirdParty(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + ctx.alpha * x.abs()), None


class _Plugin:
    @snn_core.hookimpl
    def snn_register_thresholds(self):
        return [snn_core.ThresholdSpec(name="seq_test_surrogate", fn=third_party_surrogate)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_lif_sequence_third_party_surrogate_falls_back(fn, dtype):
    with snn_core.registered(_Plugin(), name="seq-test-plugin"):
        p = fn.LIFParameters(method="seq_test_surrogate", alpha=3.0)
        xs = spiking_input(SHAPE, dtype)
        zs, _ = assert_same_run(
            sequence.lif_feed_forward_sequence,
            fn.lif_feed_forward_step,
            xs,
            fn.LIFFeedForwardState(*lif_state(SHAPE[1:], dtype)),
            p,
        )
        assert zs.grad_fn is not None and "Stack" in type(zs.grad_fn).__name__  # the step loop ran


def test_lif_sequence_trainable_parameter_falls_back(fn):
    tau = torch.tensor(100.0, requires_grad=True)
    p = fn.LIFParameters(tau_mem_inv=tau)
    xs = spiking_input(SHAPE, torch.float32)
    zs, final = sequence.lif_feed_forward_sequence(
        xs, fn.LIFFeedForwardState(*lif_state(SHAPE[1:], torch.float32)), p
    )
    ref, ref_final = loop(
        fn.lif_feed_forward_step, xs, fn.LIFFeedForwardState(*lif_state(SHAPE[1:], torch.float32)), p
    )
    assert torch.equal(zs, ref)
    (g,) = torch.autograd.grad(final.v.sum(), tau)
    (r,) = torch.autograd.grad(ref_final.v.sum(), tau)
    assert torch.equal(g, r) and g != 0


def test_sequence_validation(fn):
    state = fn.LIFFeedForwardState(torch.zeros(2), torch.zeros(2))
    with pytest.raises(TypeError, match="xs"):
        sequence.lif_feed_forward_sequence([[1.0, 2.0]], state, fn.LIFParameters())
    with pytest.raises(ValueError, match="T >= 1"):
        sequence.lif_feed_forward_sequence(torch.zeros(0, 2), state, fn.LIFParameters())
    with pytest.raises(ValueError, match="dt"):
        sequence.lif_feed_forward_sequence(torch.zeros(3, 2), state, fn.LIFParameters(), dt=0.0)
    with pytest.raises(snn_core.BackendUnavailableError, match="no_such_backend"):
        sequence.lif_feed_forward_sequence(
            torch.zeros(3, 2), state, fn.LIFParameters(), backend="no_such_backend"
        )


class _KernelPlugin:
    def __init__(self):
        self.calls = []

    @snn_core.hookimpl
    def snn_register_kernels(self):
        def kernel(xs, state, p, dt=1e-3, backend="auto"):
            self.calls.append(dt)
            return xs * 0, state

        return [
            snn_core.KernelSpec(
                name="seq-test-lif",
                target="neuron:lif",
                backend="seq_test",
                device="cpu",
                fn=kernel,
                priority=100,
            )
        ]


def test_lif_sequence_dispatches_to_registered_kernel(fn):
    plugin = _KernelPlugin()
    state = fn.LIFFeedForwardState(torch.zeros(2), torch.zeros(2))
    xs = torch.ones(3, 2)
    with snn_core.registered(plugin, name="seq-test-kernels"):
        zs, _ = sequence.lif_feed_forward_sequence(xs, state, fn.LIFParameters(), dt=2e-3)
        assert plugin.calls == [2e-3] and torch.equal(zs, torch.zeros(3, 2))
        zs, _ = sequence.lif_feed_forward_sequence(xs, state, fn.LIFParameters(), backend="torch")
        assert plugin.calls == [2e-3] and zs.sum() == 0
        sequence.lif_feed_forward_sequence(xs, state, fn.LIFParameters(), backend="seq_test")
        assert len(plugin.calls) == 2


def test_lif_sequence_under_torch_compile(fn):
    """Smoke test: a compiled caller works (the sequence function is a graph break) and matches eager."""
    p = fn.LIFParameters()
    xs = spiking_input((20, 2, 4), torch.float32)

    def net(xs, v0, i0):
        zs, s = sequence.lif_feed_forward_sequence(2 * xs, fn.LIFFeedForwardState(v0, i0), p)
        return zs.sum(0) + s.v

    v0, i0 = torch.zeros(2, 4), torch.zeros(2, 4)
    compiled = torch.compile(net, backend="eager")
    out = compiled(xs, v0, i0)
    assert torch.equal(out, net(xs, v0, i0))
    (g,) = torch.autograd.grad(out.sum(), xs)
    (r,) = torch.autograd.grad(net(xs, v0, i0).sum(), xs)
    torch.testing.assert_close(g, r)


def test_lif_sequence_under_torch_func(fn):
    """torch.func.grad and vmap see the step loop (custom autograd nodes do not compose with them)."""
    p = fn.LIFParameters()
    xs = spiking_input((15, 2, 3), torch.float64).detach()
    state = fn.LIFFeedForwardState(
        torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 3, dtype=torch.float64)
    )

    def final_voltage(xs):
        return sequence.lif_feed_forward_sequence(xs, state, p)[1].v.sum()

    def final_voltage_loop(xs):
        return loop(fn.lif_feed_forward_step, xs, state, p)[1].v.sum()

    torch.testing.assert_close(torch.func.grad(final_voltage)(xs), torch.func.grad(final_voltage_loop)(xs))
    batched = torch.vmap(final_voltage, in_dims=1)(xs)
    assert torch.equal(batched, torch.stack([final_voltage_loop(xs[:, k : k + 1]) for k in range(2)]))


def test_sequences_mapping_names_every_model():
    assert set(sequence.SEQUENCES) == {
        "lif",
        "li",
        "iaf",
        "lif_box",
        "lif_refrac",
        "lsnn",
        "lif_adex",
        "lif_ex",
        "izhikevich",
        "coba_lif",
    }
    assert sequence.SEQUENCES["lif"] is sequence.lif_feed_forward_sequence
    assert sequence.SEQUENCES["izhikevich"] is sequence.izhikevich_feed_forward_sequence
    assert sequence.SEQUENCES["coba_lif"] is sequence.coba_lif_feed_forward_sequence


# --- the other models (recomputing backward) --------------------------------------------------


def _state(cls, shape, dtype, seed, **fixed):
    g = torch.Generator().manual_seed(seed)
    values = {}
    for field in cls._fields:
        if field in fixed:
            values[field] = fixed[field]
        else:
            values[field] = (0.5 * torch.rand(shape, generator=g, dtype=dtype)).requires_grad_(True)
    return cls(**values)


def _cases(fn, dtype):
    s = SHAPE[1:]
    lif_state_ = _state(fn.LIFFeedForwardState, s, dtype, 4)
    return {
        "li": (
            sequence.li_feed_forward_sequence,
            fn.li_feed_forward_step,
            _state(fn.LIState, s, dtype, 5),
            fn.LIParameters(),
        ),
        "iaf": (
            sequence.iaf_feed_forward_sequence,
            fn.iaf_feed_forward_step,
            _state(fn.IAFFeedForwardState, s, dtype, 6),
            fn.IAFParameters(v_th=torch.tensor(2.5), method="tanh", alpha=torch.tensor(2.0)),
        ),
        "lif_box": (
            sequence.lif_box_feed_forward_sequence,
            fn.lif_box_feed_forward_step,
            _state(fn.LIFBoxFeedForwardState, s, dtype, 7),
            fn.LIFBoxParameters(tau_mem_inv=torch.tensor(300.0), reset_method=fn.reset_subtract),
        ),
        "lif_refrac": (
            sequence.lif_refrac_feed_forward_sequence,
            fn.lif_refrac_feed_forward_step,
            fn.LIFRefracFeedForwardState(lif_state_, torch.zeros(s, dtype=dtype, requires_grad=True)),
            fn.LIFRefracParameters(
                fn.LIFParameters(method="triangle", alpha=torch.tensor(0.5)), torch.tensor(3.0)
            ),
        ),
        "lsnn": (
            sequence.lsnn_feed_forward_sequence,
            fn.lsnn_feed_forward_step,
            _state(fn.LSNNFeedForwardState, s, dtype, 8, b=torch.ones(s, dtype=dtype, requires_grad=True)),
            fn.LSNNParameters(tau_adapt_inv=torch.tensor(50.0), alpha=10.0),
        ),
        "lif_adex": (
            sequence.lif_adex_feed_forward_sequence,
            fn.lif_adex_feed_forward_step,
            _state(fn.LIFAdExFeedForwardState, s, dtype, 9),
            fn.LIFAdExParameters(
                tau_ada_inv=torch.tensor(50.0), adaptation_spike=torch.tensor(0.3), alpha=5.0
            ),
        ),
        "lif_ex": (
            sequence.lif_ex_feed_forward_sequence,
            fn.lif_ex_feed_forward_step,
            _state(fn.LIFExFeedForwardState, s, dtype, 10),
            fn.LIFExParameters(method="circ", alpha=0.5),
        ),
    }


MODELS = ["li", "iaf", "lif_box", "lif_refrac", "lsnn", "lif_adex", "lif_ex"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("model", MODELS)
def test_model_sequence_equals_step_loop(fn, model, dtype):
    seq_fn, step, state, p = _cases(fn, dtype)[model]
    xs = spiking_input(SHAPE, dtype, seed=11, amplitude=1.0 if model == "iaf" else 3.0)
    outs, _ = assert_same_run(seq_fn, step, xs, state, p, backend="torch")  # the C loops: test_native_models
    if model != "li":
        assert 0 < outs.sum() < outs.numel()
    assert NODES.get(model, "GenericSequence") in type(outs.grad_fn).__name__  # not the step loop


NODES = {
    "li": "LISequence",
    "iaf": "IAFSequence",
    "lif_box": "IAFSequence",
    "lsnn": "LSNNSequence",
    "lif_ex": "ExSequence",
    "lif_adex": "AdExSequence",
    "lif_refrac": "RefracSequence",
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("model", ["li", "iaf", "lif_box", "lsnn", "lif_ex", "lif_adex", "lif_refrac"])
def test_fused_models_backward_in_chunks(fn, monkeypatch, model, dtype):
    from snn_neurons.sequence import _adex, _ex, _lsnn, _refrac, _simple

    monkeypatch.setattr(_refrac, "CHUNK_ELEMENTS", 3 * SHAPE[1] * SHAPE[2])
    monkeypatch.setattr(_adex, "CHUNK_ELEMENTS", 3 * SHAPE[1] * SHAPE[2])
    monkeypatch.setattr(_ex, "CHUNK_ELEMENTS", 3 * SHAPE[1] * SHAPE[2])
    monkeypatch.setattr(_simple, "CHUNK_ELEMENTS", 3 * SHAPE[1] * SHAPE[2])
    monkeypatch.setattr(_lsnn, "CHUNK_ELEMENTS", 3 * SHAPE[1] * SHAPE[2])
    seq_fn, step, state, p = _cases(fn, dtype)[model]
    xs = spiking_input((47, *SHAPE[1:]), dtype, seed=12, amplitude=1.0 if model == "iaf" else 3.0)
    assert_same_run(seq_fn, step, xs, state, p, backend="torch")


@pytest.mark.parametrize("reset", ["reset_value", "custom"])
def test_lif_box_reset_variants(fn, reset):
    """The value reset is fused; a user's reset function takes the recomputing path (same numbers)."""

    def halfway(z, v, v_reset, v_th):
        return v - 0.5 * z * (v - v_reset)

    method = getattr(fn, reset) if reset != "custom" else halfway
    p = fn.LIFBoxParameters(tau_mem_inv=torch.tensor(300.0), v_reset=torch.tensor(-0.3), reset_method=method)
    state = _state(fn.LIFBoxFeedForwardState, SHAPE[1:], torch.float64, 13)
    xs = spiking_input(SHAPE, torch.float64, seed=14)
    outs, _ = assert_same_run(
        sequence.lif_box_feed_forward_sequence, fn.lif_box_feed_forward_step, xs, state, p, backend="torch"
    )
    assert ("IAFSequence" if reset != "custom" else "GenericSequence") in type(outs.grad_fn).__name__


@pytest.mark.parametrize("method", ["heaviside", "tanh"])
def test_lsnn_other_surrogates_and_zero_dim_state(fn, method):
    """LIF-like rest (b = v_th as a 0-dim tensor), per-neuron beta, another surrogate."""
    dtype = torch.float64
    p = fn.LSNNParameters(beta=torch.linspace(0.5, 2.0, SHAPE[-1], dtype=dtype), method=method, alpha=3.0)
    v0 = torch.zeros((), dtype=dtype, requires_grad=True)
    state = fn.LSNNFeedForwardState(
        v0,
        torch.zeros(SHAPE[1:], dtype=dtype, requires_grad=True),
        torch.tensor(1.0, dtype=dtype, requires_grad=True),
    )
    xs = spiking_input(SHAPE, dtype, seed=17)
    outs, _ = assert_same_run(sequence.lsnn_feed_forward_sequence, fn.lsnn_feed_forward_step, xs, state, p)
    assert "LSNNSequence" in type(outs.grad_fn).__name__ or not outs.requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["super", "heaviside"])
def test_lif_refrac_fractional_refractory_state(fn, dtype, method):
    """Non-integer initial rho (gradient through the mask's surrogate), leak and reset != 0."""
    g = torch.Generator().manual_seed(21)
    lif_p = fn.LIFParameters(
        v_leak=torch.tensor(0.1), v_reset=torch.tensor(-0.2), method=method, alpha=torch.tensor(2.0)
    )
    p = fn.LIFRefracParameters(lif_p, torch.tensor(2.5))
    shape = SHAPE[1:]
    state = fn.LIFRefracFeedForwardState(
        fn.LIFFeedForwardState(
            torch.rand(shape, generator=g, dtype=dtype).requires_grad_(True),
            torch.randn(shape, generator=g, dtype=dtype).requires_grad_(True),
        ),
        (3 * torch.rand(shape, generator=g, dtype=dtype) - 0.5).requires_grad_(True),
    )
    xs = spiking_input(SHAPE, dtype, seed=22)
    outs, _ = assert_same_run(
        sequence.lif_refrac_feed_forward_sequence,
        fn.lif_refrac_feed_forward_step,
        xs,
        state,
        p,
        backend="torch",
    )
    assert "RefracSequence" in type(outs.grad_fn).__name__ or not outs.requires_grad


def test_iaf_heaviside_spikes_carry_no_gradient(fn):
    p = fn.IAFParameters(method="heaviside")
    state = _state(fn.IAFFeedForwardState, SHAPE[1:], torch.float64, 15)
    xs = spiking_input(SHAPE, torch.float64, seed=16, amplitude=1.0)
    outs, _ = assert_same_run(sequence.iaf_feed_forward_sequence, fn.iaf_feed_forward_step, xs, state, p)
    assert not outs.requires_grad


def test_li_sequence_gradcheck(fn):
    p = fn.LIParameters()
    xs = torch.randn(10, 2, 3, dtype=torch.float64, requires_grad=True)
    v0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    i0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)

    def run(xs, v0, i0):
        vs, s = sequence.li_feed_forward_sequence(xs, fn.LIState(v0, i0), p)
        return vs, s.i

    assert torch.autograd.gradcheck(run, (xs, v0, i0))


def test_model_sequence_single_step_and_python_number_state(fn):
    """T = 1 differentiates only the first step; Python numbers as state use the step loop."""
    seq_fn, step, state, p = _cases(fn, torch.float64)["lif_adex"]
    xs = spiking_input((1, *SHAPE[1:]), torch.float64)
    assert_same_run(seq_fn, step, xs, state, p)
    xs = spiking_input(SHAPE, torch.float64)
    assert_same_run(seq_fn, step, xs, fn.LIFAdExFeedForwardState(0, 0, 0), p)
