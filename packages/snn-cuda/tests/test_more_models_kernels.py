"""snn-cuda's Triton kernels for refractory, exponential and adaptive exponential LIF (interpreter on the CPU).

Reference steps written from spec/norse-functional.md §7 (snn-neurons is not installed in this
package's isolated test session); where snn-neurons is installed, its registered torch sequence
path (``backend="torch"``) is a second reference, reached through the registry, not an import.

Refractory LIF must match bit for bit. Exponential LIF and AdEx call ``exp``, which the interpreter
takes from numpy and torch's CPU path from SLEEF; they may differ in the last bit, so states are
compared with a relative tolerance of a few ulp and spikes exactly, except that a spike may flip
where the reference's pre-threshold voltage lies within a few ulp of the threshold (that neuron is
not compared afterwards).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import pytest
import torch
from torch.nn.functional import relu

import snn_core

os.environ.setdefault("TRITON_INTERPRET", "1")  # before the kernel module is imported (lazily)

import snn_cuda
from snn_cuda import lif_family
from snn_cuda._availability import triton_importable

T = torch.as_tensor
DTYPES = [torch.float32, torch.float64]
SHAPE = (20, 2, 17)
needs_triton = pytest.mark.skipif(not triton_importable(), reason="triton is not installed")


# --- reference steps -------------------------------------------------------------------------------


class LIFParameters(NamedTuple):
    tau_syn_inv: Any = T(200.0)
    tau_mem_inv: Any = T(100.0)
    v_leak: Any = T(0.0)
    v_th: Any = T(1.0)
    v_reset: Any = T(0.0)
    method: str = "super"
    alpha: Any = T(100.0)


class LIFState(NamedTuple):
    v: torch.Tensor
    i: torch.Tensor


class RefracParameters(NamedTuple):
    lif: LIFParameters = LIFParameters()
    rho_reset: Any = T(5.0)


class RefracState(NamedTuple):
    lif: LIFState
    rho: torch.Tensor


def refrac_step(x, s, p, dt=1e-3):
    lif = p.lif
    j = s.lif.i + x
    v1 = s.lif.v + (dt * lif.tau_mem_inv) * ((lif.v_leak - s.lif.v) + j)
    i1 = j + ((-dt) * lif.tau_syn_inv) * j
    z0 = snn_core.threshold(v1 - lif.v_th, lif.method, lif.alpha)
    v_lif = (1 - z0) * v1 + z0 * lif.v_reset
    m = snn_core.threshold(s.rho, lif.method, lif.alpha)
    v = (1 - m) * v_lif + m * s.lif.v
    z = (1 - m) * z0
    rho = (1 - z) * relu(s.rho - m) + z * p.rho_reset
    return z, RefracState(LIFState(v, i1), rho)


class ExParameters(NamedTuple):
    delta_T: Any = T(0.5)
    tau_syn_inv: Any = T(200.0)
    tau_mem_inv: Any = T(100.0)
    v_leak: Any = T(0.0)
    v_th: Any = T(1.0)
    v_reset: Any = T(0.0)
    method: str = "super"
    alpha: Any = 100.0


class ExState(NamedTuple):
    v: torch.Tensor
    i: torch.Tensor


class AdExParameters(NamedTuple):
    adaptation_current: Any = T(4)
    adaptation_spike: Any = T(0.02)
    delta_T: Any = T(0.5)
    tau_ada_inv: Any = T(2.0)
    tau_syn_inv: Any = T(200.0)
    tau_mem_inv: Any = T(100.0)
    v_leak: Any = T(0.0)
    v_th: Any = T(1.0)
    v_reset: Any = T(0.0)
    method: str = "super"
    alpha: Any = 100.0


class AdExState(NamedTuple):
    v: torch.Tensor
    i: torch.Tensor
    a: torch.Tensor


def exp_step(x, s, p, dt=1e-3, v1s=None):
    """Exponential LIF, or AdEx when ``s`` has the adaptation ``a``; appends ``v1`` to ``v1s`` if given."""
    j = s.i + x
    drive = (p.v_leak - s.v) + p.delta_T * torch.exp((s.v - p.v_th) / p.delta_T)
    adapt = hasattr(s, "a")
    drive = drive + j - s.a if adapt else drive + j
    v1 = s.v + (dt * p.tau_mem_inv) * drive
    i1 = j + ((-dt) * p.tau_syn_inv) * j
    z = snn_core.threshold(v1 - p.v_th, p.method, p.alpha)
    v = (1 - z) * v1 + z * p.v_reset
    if v1s is not None:
        v1s.append(v1.detach())
    if not adapt:
        return z, ExState(v, i1)
    a1 = s.a + (dt * p.tau_ada_inv) * (p.adaptation_current * (s.v - p.v_leak) - s.a)
    return z, AdExState(v, i1, a1 + z * p.adaptation_spike)


def reference_loop(step, xs, state, p, v1s=None):
    outs = []
    for x in xs.unbind(0):
        out, state = step(x, state, p, 1e-3, v1s) if v1s is not None else step(x, state, p)
        outs.append(out)
    return torch.stack(outs), state


def torch_sequence(name: str) -> Any:
    """snn-neurons' registered sequence function, or skip where it is not installed."""
    spec = snn_core.registry().neurons.get(name)
    if spec is None or spec.sequence is None:
        pytest.skip(f"no torch sequence path registered for {name!r} (snn-neurons not installed)")
    return lambda xs, state, p: spec.sequence(xs, state, p, 1e-3, backend="torch")


# --- comparisons -----------------------------------------------------------------------------------


def flat(state: Any) -> list[torch.Tensor]:
    return [state.lif.v, state.lif.i, state.rho] if hasattr(state, "rho") else list(state)


def weights_for(tensors: list[torch.Tensor], seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(t.shape, generator=g, dtype=t.dtype) for t in tensors]


def gradients(outs, final, inputs, weights) -> tuple[torch.Tensor, ...]:
    loss = sum((w * t).sum() for w, t in zip(weights, [outs, *flat(final)]) if t.requires_grad)
    return torch.autograd.grad(loss, inputs, allow_unused=True)


def assert_grads_close(got, expected, dtype) -> None:
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    for a, b in zip(got, expected):
        assert a is not None and b is not None
        assert a.shape == b.shape
        assert ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)) < tol


def spikes_and_states_close(outs, final, ref, ref_final, v1s, v_th) -> torch.Tensor:
    """Assert the exp-rounding contract; return the neurons whose spikes never flipped.

    A spike may differ only at the first flip of a neuron and only where the reference's ``v1`` is
    within 4 ulp of ``v_th``; the final state of the other neurons agrees to a relative ``8 eps``.
    """
    eps = torch.finfo(outs.dtype).eps
    flipped = outs != ref
    first_flip = flipped & (flipped.cumsum(0) == 1)
    near = (v1s - v_th).abs() <= 4 * eps * torch.maximum(v1s.abs(), torch.as_tensor(v_th).abs())
    assert not (first_flip & ~near).any(), "a spike differs where the voltage is not at the threshold"
    same = ~flipped.any(0)
    for a, b in zip(flat(final), flat(ref_final)):
        assert torch.allclose(a[same], b[same], rtol=8 * eps, atol=8 * eps)
    return same


def refrac_data(dtype, shape=SHAPE, seed=0):
    g = torch.Generator().manual_seed(seed)
    xs = ((torch.rand(shape, generator=g, dtype=dtype) < 0.3).to(dtype) * 3.0).requires_grad_(True)
    v = torch.rand(shape[1:], generator=g, dtype=dtype).requires_grad_(True)
    i = (0.5 * torch.randn(shape[1:], generator=g, dtype=dtype)).requires_grad_(True)
    # refractory at the start for some neurons (integer and fractional counters), free for others
    rho = (torch.randint(0, 4, shape[1:], generator=g).to(dtype) * 0.75).requires_grad_(True)
    return xs, RefracState(LIFState(v, i), rho)


def exp_data(dtype, adapt, shape=SHAPE, seed=0):
    g = torch.Generator().manual_seed(seed)
    xs = (torch.rand(shape, generator=g, dtype=dtype) * 1.2).requires_grad_(True)
    fields = [torch.rand(shape[1:], generator=g, dtype=dtype) * 0.8 for _ in range(2)]
    if adapt:
        fields.append(torch.rand(shape[1:], generator=g, dtype=dtype) * 0.3)
    state = (AdExState if adapt else ExState)(*(f.requires_grad_(True) for f in fields))
    return xs, state


# --- refractory LIF: bit for bit -------------------------------------------------------------------


@needs_triton
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["super", "triangle", "heaviside", "tanh"])
def test_refrac_kernel_equals_step_loop(dtype, method):
    p = RefracParameters(
        LIFParameters(
            v_th=torch.linspace(0.8, 1.2, 17, dtype=dtype), v_reset=T(-0.1), method=method, alpha=T(2.0)
        ),
        rho_reset=T(2.5),
    )
    xs, state = refrac_data(dtype)
    outs, final = snn_cuda.lif_refrac_feed_forward_sequence(xs, state, p)
    ref, ref_final = reference_loop(refrac_step, xs, state, p)
    assert torch.equal(outs, ref)
    for a, b in zip(flat(final), flat(ref_final)):
        assert torch.equal(a, b)
    assert 0 < outs.sum() < outs.numel()
    refractory_at_start = state.rho.detach() > 0
    assert refractory_at_start.any() and (~refractory_at_start).any()
    inputs = [xs, *flat(state)]
    w = weights_for([outs, *flat(final)], seed=5)
    got = gradients(outs, final, inputs, w)
    expected = gradients(ref, ref_final, inputs, w)
    assert_grads_close(got, expected, dtype)
    if method != "heaviside":
        assert got[3].abs().max() > 0  # the counter gets gradients through the surrogate mask


@needs_triton
@pytest.mark.parametrize("dtype", DTYPES)
def test_refrac_kernel_equals_torch_sequence_path(dtype):
    sequence = torch_sequence("lif_refrac")
    p = RefracParameters(LIFParameters(method="super", alpha=T(3.0)), rho_reset=T(3.0))
    xs, state = refrac_data(dtype, seed=1)
    outs, final = snn_cuda.lif_refrac_feed_forward_sequence(xs, state, p)
    ref, ref_final = sequence(xs, state, p)
    assert torch.equal(outs, ref)
    for a, b in zip(flat(final), flat(ref_final)):
        assert torch.equal(a, b)
    inputs = [xs, *flat(state)]
    w = weights_for([outs, *flat(final)], seed=2)
    assert_grads_close(gradients(outs, final, inputs, w), gradients(ref, ref_final, inputs, w), dtype)


@needs_triton
def test_refrac_kernel_broadcasts_zero_dim_state_over_programs():
    p = RefracParameters(LIFParameters(alpha=T(2.0)), rho_reset=T(2.0))
    xs, _ = refrac_data(
        torch.float32, shape=(12, 2, 130), seed=3
    )  # 260 neurons: three programs, masks in use
    v0 = torch.tensor(0.3, requires_grad=True)
    i0 = torch.zeros(130, requires_grad=True)
    rho0 = torch.tensor(1.0, requires_grad=True)  # every neuron refractory in step 0: v held at v0
    state = RefracState(LIFState(v0, i0), rho0)
    outs, final = snn_cuda.lif_refrac_feed_forward_sequence(xs, state, p)
    ref, ref_final = reference_loop(refrac_step, xs, state, p)
    assert torch.equal(outs, ref) and outs[0].sum() == 0
    for a, b in zip(flat(final), flat(ref_final)):
        assert torch.equal(a, b)
    w = weights_for([outs, *flat(final)], seed=4)
    got = gradients(outs, final, [xs, v0, i0, rho0], w)
    expected = gradients(ref, ref_final, [xs, v0, i0, rho0], w)
    for a, b in zip(got, expected):
        assert a.shape == b.shape
    assert_grads_close(got, expected, torch.float32)


# --- exponential LIF and AdEx: equal up to the exponential's last bit -----------------------------


def exp_parameters(adapt: bool, method: str, dtype: torch.dtype) -> Any:
    common = {
        "delta_T": T(0.3),  # 1 / 0.3 is not exact: division, not multiplication by a reciprocal
        "v_th": torch.linspace(0.9, 1.1, 17, dtype=dtype),
        "v_reset": T(-0.1),
        "method": method,
        "alpha": 3.0,
    }
    if adapt:
        return AdExParameters(adaptation_spike=T(0.05), tau_ada_inv=T(20.0), **common)
    return ExParameters(**common)


@needs_triton
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["super", "tanh", "heaviside"])
@pytest.mark.parametrize("adapt", [False, True], ids=["ex", "adex"])
def test_exp_kernels_match_step_loop(dtype, method, adapt):
    p = exp_parameters(adapt, method, dtype)
    xs, state = exp_data(dtype, adapt)
    run = snn_cuda.lif_adex_feed_forward_sequence if adapt else snn_cuda.lif_ex_feed_forward_sequence
    outs, final = run(xs, state, p)
    v1s: list[torch.Tensor] = []
    ref, ref_final = reference_loop(exp_step, xs, state, p, v1s)
    same = spikes_and_states_close(outs, final, ref, ref_final, torch.stack(v1s), p.v_th)
    assert 0 < outs.sum() < outs.numel()
    assert same.all()  # this data has no voltage within a few ulp of the threshold
    inputs = [xs, *state]
    w = weights_for([outs, *final], seed=7)
    got = gradients(outs, final, inputs, w)
    expected = gradients(ref, ref_final, inputs, w)
    assert_grads_close(got, expected, dtype)


@needs_triton
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("adapt", [False, True], ids=["ex", "adex"])
def test_exp_kernels_match_torch_sequence_path(dtype, adapt):
    sequence = torch_sequence("lif_adex" if adapt else "lif_ex")
    p = exp_parameters(adapt, "triangle", dtype)._replace(alpha=0.7)
    xs, state = exp_data(dtype, adapt, seed=2)
    run = snn_cuda.lif_adex_feed_forward_sequence if adapt else snn_cuda.lif_ex_feed_forward_sequence
    outs, final = run(xs, state, p)
    ref, ref_final = sequence(xs, state, p)
    v1s: list[torch.Tensor] = []
    reference_loop(exp_step, xs.detach(), type(state)(*(s.detach() for s in state)), p, v1s)
    assert spikes_and_states_close(outs, final, ref, ref_final, torch.stack(v1s), p.v_th).all()
    inputs = [xs, *state]
    w = weights_for([outs, *final], seed=8)
    assert_grads_close(gradients(outs, final, inputs, w), gradients(ref, ref_final, inputs, w), dtype)


@needs_triton
def test_adex_kernel_broadcasts_zero_dim_state_over_programs():
    p = AdExParameters(delta_T=T(0.25), alpha=2.0)
    xs, _ = exp_data(torch.float32, True, shape=(12, 2, 130), seed=4)
    state = AdExState(torch.tensor(0.2, requires_grad=True), torch.zeros(130, requires_grad=True), T(0.0))
    outs, final = snn_cuda.lif_adex_feed_forward_sequence(xs, state, p)
    v1s: list[torch.Tensor] = []
    ref, ref_final = reference_loop(exp_step, xs, state, p, v1s)
    assert spikes_and_states_close(outs, final, ref, ref_final, torch.stack(v1s), p.v_th).all()
    assert final.v.shape == (2, 130) and outs.sum() > 0
    w = weights_for([outs, *final], seed=9)
    got = gradients(outs, final, [xs, state.v, state.i], w)
    expected = gradients(ref, ref_final, [xs, state.v, state.i], w)
    assert got[1].shape == () and got[2].shape == (130,)
    assert_grads_close(got, expected, torch.float32)


def test_exp_tolerance_allows_flips_only_at_the_threshold():
    v_th = T(1.0)
    v1s = torch.tensor([[0.5, 1.0], [1.2, 0.9]])  # step 0: neuron 1 sits exactly at the threshold
    ref = (v1s > v_th).float()
    state = ExState(torch.tensor([0.1, 0.0]), torch.tensor([0.2, 0.3]))
    flipped_at_threshold = ref.clone()
    flipped_at_threshold[0, 1] = 1.0  # a one-ulp different exp pushed it over
    flipped_at_threshold[1, 1] = 1.0  # afterwards that neuron's trajectory may differ
    other = ExState(state.v + torch.tensor([0.0, 5.0]), state.i)
    same = spikes_and_states_close(flipped_at_threshold, other, ref, state, v1s, v_th)
    assert same.tolist() == [True, False]
    far_flip = ref.clone()
    far_flip[1, 0] = 0.0  # 1.2 is nowhere near the threshold
    with pytest.raises(AssertionError, match="not at the threshold"):
        spikes_and_states_close(far_flip, state, ref, state, v1s, v_th)
    with pytest.raises(AssertionError):
        spikes_and_states_close(ref, ExState(state.v * (1 + 1e-4), state.i), ref, state, v1s, v_th)


# --- fallbacks, registration ----------------------------------------------------------------------


FALLBACKS = {
    "half precision": lambda xs, state, p: (xs.half(), state, p),
    "trainable parameter": lambda xs, state, p: (xs, state, "tau_mem_inv"),
    "stochastic threshold": lambda xs, state, p: (xs, state, "logistic"),
    "state of another dtype": lambda xs, state, p: (xs, "double", p),
}


def _apply_fallback(kind: str, model: str, xs, state, p):
    xs, state_change, p_change = FALLBACKS[kind](xs, state, p)
    if state_change == "double":
        state = (
            RefracState(LIFState(state.lif.v.double(), state.lif.i), state.rho)
            if model == "lif_refrac"
            else state._replace(v=state.v.double())
        )
    inner = p.lif if model == "lif_refrac" else p
    if p_change == "tau_mem_inv":
        inner = inner._replace(tau_mem_inv=torch.tensor(100.0, requires_grad=True))
    elif p_change == "logistic":
        inner = inner._replace(method="logistic")
    p = p._replace(lif=inner) if model == "lif_refrac" else inner
    return xs, state, p


MODELS = {
    "lif_refrac": (
        snn_cuda.lif_refrac_feed_forward_sequence,
        lambda: (refrac_data(torch.float32)[:2], RefracParameters()),
    ),
    "lif_ex": (
        snn_cuda.lif_ex_feed_forward_sequence,
        lambda: (exp_data(torch.float32, False), ExParameters()),
    ),
    "lif_adex": (
        snn_cuda.lif_adex_feed_forward_sequence,
        lambda: (exp_data(torch.float32, True), AdExParameters()),
    ),
}


@pytest.mark.parametrize("kind", list(FALLBACKS))
@pytest.mark.parametrize("model", list(MODELS))
def test_unsupported_arguments_run_the_torch_path(model, kind, monkeypatch):
    run, make = MODELS[model]
    (xs, state), p = make()
    xs, state, p = _apply_fallback(kind, model, xs.detach(), state, p)
    calls = []

    def fake_torch_path(name, xs, state, p, dt):
        calls.append((name, dt))
        return "torch path", state

    monkeypatch.setattr(lif_family, "torch_path", fake_torch_path)
    assert run(xs, state, p, dt=2e-3)[0] == "torch path"
    assert calls == [(model, 2e-3)]


@needs_triton
@pytest.mark.parametrize("model", list(MODELS))
def test_supported_arguments_run_the_kernels(model, monkeypatch):
    run, make = MODELS[model]
    (xs, state), p = make()
    monkeypatch.setattr(lif_family, "torch_path", lambda *args: pytest.fail("the torch path ran"))
    outs, _ = run(xs.detach()[:3], state, p)
    assert outs.shape == (3, *SHAPE[1:])


@pytest.mark.parametrize("model", ["lif_refrac", "lif_adex"])
def test_fallback_gives_the_registered_torch_path(model):
    sequence = torch_sequence(model)
    run, make = MODELS[model]
    (xs, state), p = make()
    xs, state, p = _apply_fallback("trainable parameter", model, xs.detach()[:5], state, p)
    outs, final = run(xs, state, p)
    ref, ref_final = sequence(xs, state, p)
    assert torch.equal(outs, ref)
    for a, b in zip(flat(final), flat(ref_final)):
        assert torch.equal(a, b)
    tau = (p.lif if model == "lif_refrac" else p).tau_mem_inv
    (grad,) = torch.autograd.grad(flat(final)[0].sum(), tau)  # the kernels could not give this one
    assert grad != 0


def test_kernels_registered_for_the_lif_family():
    kernels = snn_core.registry().kernels
    expected = {
        "cuda-lif-refrac": ("neuron:lif_refrac", snn_cuda.lif_refrac_feed_forward_sequence),
        "cuda-lif-ex": ("neuron:lif_ex", snn_cuda.lif_ex_feed_forward_sequence),
        "cuda-lif-adex": ("neuron:lif_adex", snn_cuda.lif_adex_feed_forward_sequence),
    }
    for name, (target, fn) in expected.items():
        kernel = kernels[name]
        assert (kernel.target, kernel.backend, kernel.device, kernel.fn) == (target, "cuda", "cuda", fn)
        assert kernel.is_available() == (torch.cuda.is_available() and triton_importable())


@needs_triton
def test_gpu_launch_options_keep_the_torch_roundings():
    from snn_cuda import _common

    assert _common.launch_options(torch.device("cpu")) == {}
    options = _common.launch_options(torch.device("cuda"))
    assert options["enable_fp_fusion"] is False
    assert options.get("enable_reflect_ftz", False) is False  # libdevice keeps subnormals where configurable
    from snn_cuda import _lif_family_kernels

    interpreting = os.environ.get("TRITON_INTERPRET") == "1"
    assert _lif_family_kernels.INTERPRETED is interpreting
