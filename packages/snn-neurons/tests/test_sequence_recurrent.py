"""snn_neurons.sequence.lif_recurrent_sequence against looping snn_neurons.lif_step (BPTT reference)."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import Tensor

import snn_core
import snn_neurons as sn
from snn_neurons.functional import LIFParameters, LIFState, lif_step
from snn_neurons.sequence import _lif_recurrent, lif_recurrent_sequence

DTYPES = [torch.float32, torch.float64]
SURROGATES = ["super", "tanh", "triangle", "circ", "heavi_erfc", "heaviside"]
RTOL = {torch.float32: 1e-4, torch.float64: 1e-9}
T_STEPS, BATCH, IN, HIDDEN = 40, 3, 5, 7
FUSED = "LIFRecurrentSequence"


def loop(xs: Tensor, state: LIFState, w_in: Tensor, w_rec: Tensor, p: LIFParameters, dt: float = 1e-3):
    """The reference: ``lif_step`` once per step, autograd recording every operation (BPTT)."""
    outputs = []
    for x in xs.unbind(0):
        z, state = lif_step(x, state, w_in, w_rec, p, dt)
        outputs.append(z)
    return torch.stack(outputs), state


def problem(dtype: torch.dtype, seed: int = 0, steps: int = T_STEPS, batch: tuple[int, ...] = (BATCH,)):
    """Spiking input (0 or 3), random weights and a non-zero initial state including spikes."""
    g = torch.Generator().manual_seed(seed)
    xs = (torch.rand(steps, *batch, IN, generator=g) < 0.3).to(dtype) * 3
    w_in = torch.randn(HIDDEN, IN, generator=g, dtype=dtype)
    w_rec = torch.randn(HIDDEN, HIDDEN, generator=g, dtype=dtype)
    z0 = (torch.rand(*batch, HIDDEN, generator=g) < 0.5).to(dtype)
    v0 = torch.rand(*batch, HIDDEN, generator=g, dtype=dtype)
    i0 = torch.randn(*batch, HIDDEN, generator=g, dtype=dtype)
    leaves = [t.requires_grad_(True) for t in (xs, z0, v0, i0, w_in, w_rec)]
    return leaves


def params(method: str = "super", **kwargs) -> LIFParameters:
    alpha = torch.as_tensor(100.0 if method == "super" else 2.0)
    defaults = {"v_leak": torch.tensor(0.05), "v_reset": torch.tensor(-0.2), "alpha": alpha}
    return LIFParameters(method=method, **{**defaults, **kwargs})


def loss(zs: Tensor, state: LIFState, weights: Tensor) -> Tensor:
    """Uses every output: the spikes (weighted), and the final z, v (squared) and i."""
    return (zs * weights).sum() + 1.5 * state.z.sum() + (state.v**2).sum() + state.i.sum()


def assert_same_run(xs, z0, v0, i0, w_in, w_rec, p, dt=1e-3, rtol=None):
    """Bitwise forward, and gradients of every leaf within ``rtol`` of BPTT through the loop."""
    state = LIFState(z0, v0, i0)
    zs, final = lif_recurrent_sequence(xs, state, w_in, w_rec, p, dt)
    ref, ref_final = loop(xs, state, w_in, w_rec, p, dt)
    assert torch.equal(zs, ref)
    for name in ("z", "v", "i"):
        got, want = getattr(final, name), getattr(ref_final, name)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert torch.equal(got, want), name
    leaves = [t for t in (xs, z0, v0, i0, w_in, w_rec) if t.requires_grad]
    weights = torch.randn(zs.shape, generator=torch.Generator().manual_seed(9), dtype=zs.dtype)
    grads = torch.autograd.grad(loss(zs, final, weights), leaves, allow_unused=True)
    refs = torch.autograd.grad(loss(ref, ref_final, weights), leaves, allow_unused=True)
    rtol = RTOL[xs.dtype] if rtol is None else rtol
    for leaf, got, want in zip(leaves, grads, refs):
        assert want is not None and got is not None
        assert got.shape == leaf.shape and got.dtype == leaf.dtype
        assert want.abs().max() > 0  # every gradient is exercised
        torch.testing.assert_close(got, want, rtol=rtol, atol=rtol * want.abs().max().item())
    return zs, final


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", SURROGATES)
def test_recurrent_sequence_equals_step_loop(dtype, method):
    xs, z0, v0, i0, w_in, w_rec = problem(dtype, seed=SURROGATES.index(method))
    zs, _ = assert_same_run(xs, z0, v0, i0, w_in, w_rec, params(method))
    assert FUSED in type(zs.grad_fn).__name__ if method != "heaviside" else not zs.requires_grad
    assert 0.05 < zs.mean() < 0.95  # spikes and resets happen, and the recurrent input matters


@pytest.mark.parametrize("dtype", DTYPES)
def test_recurrent_sequence_python_loops_give_the_same_numbers(monkeypatch, dtype):
    """The TorchScript loops and their Python originals (``SNN_DISABLE_JIT=1``) agree bit for bit."""
    xs, z0, v0, i0, w_in, w_rec = problem(dtype, seed=3)
    state, p = LIFState(z0, v0, i0), params("tanh")

    def run():
        zs, final = lif_recurrent_sequence(xs, state, w_in, w_rec, p)
        return zs, final, torch.autograd.grad(loss(zs, final, torch.ones_like(zs)), (xs, w_rec, v0))

    scripted = run()
    monkeypatch.setattr(_lif_recurrent, "_forward_loop", _lif_recurrent._forward_loop.python)
    monkeypatch.setattr(_lif_recurrent, "_backward_loop", _lif_recurrent._backward_loop.python)
    plain = run()
    assert torch.equal(scripted[0], plain[0])
    assert all(torch.equal(a, b) for a, b in zip(scripted[1], plain[1]))
    assert all(torch.equal(a, b) for a, b in zip(scripted[2], plain[2]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_recurrent_sequence_backward_in_chunks(monkeypatch, dtype):
    """Surrogate factors come in chunks of 2 steps here; an odd T crosses every chunk boundary."""
    monkeypatch.setattr(_lif_recurrent, "_CHUNK_ELEMENTS", 2 * BATCH * HIDDEN)
    xs, z0, v0, i0, w_in, w_rec = problem(dtype, seed=4, steps=31)
    assert_same_run(xs, z0, v0, i0, w_in, w_rec, params("triangle", alpha=torch.tensor(0.5)))


@pytest.mark.parametrize("batch", [(), (2, 3)])
def test_recurrent_sequence_batch_shapes(batch):
    """No batch dimension ([T, in]) and two of them ([T, 2, 3, in])."""
    xs, z0, v0, i0, w_in, w_rec = problem(torch.float64, seed=5, batch=batch)
    zs, final = assert_same_run(xs, z0, v0, i0, w_in, w_rec, params())
    assert zs.shape == (T_STEPS, *batch, HIDDEN) and final.v.shape == (*batch, HIDDEN)


def test_recurrent_sequence_broadcast_state_and_parameters():
    """Per-neuron threshold, Python-number parameters, a [hidden] z0 and a 0-dim float32 v0 for float64."""
    xs, _, _, i0, w_in, w_rec = problem(torch.float64, seed=6)
    z0 = (torch.arange(HIDDEN) % 2).to(torch.float64).requires_grad_(True)
    v0 = torch.tensor(0.3, requires_grad=True)  # float32: the step's dtype rules apply
    p = params(v_th=torch.linspace(0.5, 1.5, HIDDEN, dtype=torch.float64), tau_mem_inv=150.0, v_reset=-0.1)
    zs, final = assert_same_run(xs, z0, v0, i0, w_in, w_rec, p, dt=2e-3)
    assert FUSED in type(zs.grad_fn).__name__ and final.v.shape == (BATCH, HIDDEN)


def test_recurrent_sequence_hand_derived_two_steps():
    """One neuron with an autapse; x = 12 then 0, W_in = 1, W_rec = 5, v_th = 1.15, float64.

    Step 0: j = 12, v1 = 0.1 * 12 = 1.2 -> spike, v = 0, i = 0.8 * 12 = 9.6.
    Step 1: j = 9.6 + 5 * 1 = 14.6, v1 = 1.46 -> spike, v = 0, i = 11.68.
    """
    f64 = torch.float64
    xs = torch.tensor([[12.0], [0.0]], dtype=f64)
    state = LIFState(*(torch.zeros(1, dtype=f64) for _ in range(3)))
    w_in, w_rec = torch.ones(1, 1, dtype=f64), torch.full((1, 1), 5.0, dtype=f64)
    zs, final = lif_recurrent_sequence(xs, state, w_in, w_rec, LIFParameters(v_th=torch.tensor(1.15)))
    assert zs.flatten().tolist() == [1.0, 1.0]
    assert final.v.item() == 0.0 and final.i.item() == pytest.approx(11.68)


def test_recurrent_sequence_gradcheck_heaviside():
    """float64 gradcheck of the smooth parts: with Heaviside spikes the map is piecewise linear."""
    xs, z0, v0, i0, w_in, w_rec = problem(torch.float64, seed=7, steps=8, batch=(2,))
    p = params("heaviside", v_th=torch.tensor(0.6))

    def run(*args):
        xs, z0, v0, i0, w_in, w_rec = args
        zs, final = lif_recurrent_sequence(xs, LIFState(z0, v0, i0), w_in, w_rec, p)
        return final.v, final.i

    with torch.no_grad():
        zs, _ = lif_recurrent_sequence(xs, LIFState(z0, v0, i0), w_in, w_rec, p)
    assert 0 < zs.sum() < zs.numel()  # W_rec's gradient reads recorded spikes
    assert torch.autograd.gradcheck(run, (xs, z0, v0, i0, w_in, w_rec))


def test_recurrent_sequence_keeps_one_voltage_per_step():
    """The node saves the pre-reset voltage and the spikes per step; no per-step graph."""
    xs, z0, v0, i0, w_in, w_rec = problem(torch.float32, seed=8)
    zs, _ = lif_recurrent_sequence(xs, LIFState(z0, v0, i0), w_in, w_rec, params())
    per_step = [t for t in zs.grad_fn.saved_tensors if t.shape == zs.shape]
    assert len(per_step) == 2  # v1 and the spikes (the output itself)
    assert any(t.data_ptr() == zs.data_ptr() for t in per_step)


def test_recurrent_sequence_backward_twice_with_retain_graph():
    xs, z0, v0, i0, w_in, w_rec = problem(torch.float64, seed=10)
    zs, final = lif_recurrent_sequence(xs, LIFState(z0, v0, i0), w_in, w_rec, params())
    out = loss(zs, final, torch.ones_like(zs))
    first = torch.autograd.grad(out, (xs, w_rec), retain_graph=True)
    second = torch.autograd.grad(out, (xs, w_rec))
    assert all(torch.equal(a, b) for a, b in zip(first, second))


# --- fallbacks: the step loop runs (same numbers) --------------------------------------------------


def test_trainable_parameter_falls_back():
    xs, z0, v0, i0, w_in, w_rec = problem(torch.float32, seed=11)
    tau = torch.tensor(100.0, requires_grad=True)
    p = params(tau_mem_inv=tau)
    zs, final = lif_recurrent_sequence(xs, LIFState(z0, v0, i0), w_in, w_rec, p)
    ref, ref_final = loop(xs, LIFState(z0, v0, i0), w_in, w_rec, p)
    assert "Stack" in type(zs.grad_fn).__name__ and torch.equal(zs, ref)
    (g,) = torch.autograd.grad(final.v.sum(), tau)
    (r,) = torch.autograd.grad(ref_final.v.sum(), tau)
    assert torch.equal(g, r) and g != 0


@pytest.mark.parametrize("method", ["sigmoid4x", "logistic"])
def test_threshold_without_derivative_falls_back(method):
    xs, z0, v0, i0, w_in, w_rec = problem(torch.float64, seed=12)
    state = LIFState(z0, v0, i0)
    torch.manual_seed(0)
    zs, final = lif_recurrent_sequence(xs, state, w_in, w_rec, params(method))
    torch.manual_seed(0)
    ref, ref_final = loop(xs, state, w_in, w_rec, params(method))
    assert "Stack" in type(zs.grad_fn).__name__
    assert torch.equal(zs, ref) and torch.equal(final.v, ref_final.v)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_falls_back(dtype):
    xs, z0, v0, i0, w_in, w_rec = (t.detach().to(dtype) for t in problem(torch.float32, seed=13))
    zs, final = lif_recurrent_sequence(xs, LIFState(z0, v0, i0), w_in, w_rec, params())
    ref, ref_final = loop(xs, LIFState(z0, v0, i0), w_in, w_rec, params())
    assert torch.equal(zs, ref) and torch.equal(final.v, ref_final.v) and zs.dtype == dtype


def test_sparse_input_and_state_fall_back():
    xs, z0, v0, i0, w_in, w_rec = (t.detach() for t in problem(torch.float32, seed=14))
    zs, final = lif_recurrent_sequence(xs.to_sparse(), LIFState(z0, v0, i0), w_in, w_rec, params())
    ref, ref_final = loop(xs, LIFState(z0, v0, i0), w_in, w_rec, params())
    torch.testing.assert_close(zs, ref, rtol=0, atol=0)
    sparse_state = LIFState(z0.to_sparse(), v0, i0)
    zs, final = lif_recurrent_sequence(xs, sparse_state, w_in, w_rec, params())
    ref, ref_final = loop(xs, sparse_state, w_in, w_rec, params())
    assert torch.equal(zs, ref) and torch.equal(final.i, ref_final.i)


def test_fusable_rules():
    xs, z0, v0, i0, w_in, w_rec = (t.detach() for t in problem(torch.float32, seed=15))
    state, par = LIFState(z0, v0, i0), tuple(params()[:5])
    assert _lif_recurrent._fusable(xs, state, w_in, w_rec, par)
    assert not _lif_recurrent._fusable(xs, state, w_in.to("meta"), w_rec, par)  # another device
    assert not _lif_recurrent._fusable(xs, state, w_in.double(), w_rec, par)  # another dtype
    assert not _lif_recurrent._fusable(xs, state, w_in, w_rec[:, :-1], par)  # not [hidden, hidden]
    assert not _lif_recurrent._fusable(xs, state, w_in[:, :-1], w_rec, par)  # not [hidden, in]
    assert not _lif_recurrent._fusable(xs, state._replace(v=torch.zeros(2, BATCH, HIDDEN)), w_in, w_rec, par)
    assert not _lif_recurrent._fusable(xs, state._replace(i=0.0), w_in, w_rec, par)  # a Python number
    assert not _lif_recurrent._fusable(xs, state, w_in, w_rec, (torch.zeros(HIDDEN + 1),))


def test_mixed_dtypes_raise_like_the_step():
    xs, z0, v0, i0, w_in, w_rec = (t.detach() for t in problem(torch.float32, seed=16))
    with pytest.raises(RuntimeError) as fused:
        lif_recurrent_sequence(xs, LIFState(z0, v0, i0), w_in.double(), w_rec, params())
    with pytest.raises(RuntimeError) as stepped:
        loop(xs, LIFState(z0, v0, i0), w_in.double(), w_rec, params())
    assert str(fused.value) == str(stepped.value)


def test_under_torch_func():
    """torch.func.grad and vmap see the step loop (custom autograd nodes do not compose with them)."""
    xs, z0, v0, i0, w_in, w_rec = (t.detach() for t in problem(torch.float64, seed=17, steps=12))
    state, p = LIFState(z0, v0, i0), params()

    def final_voltage(w_in):
        return lif_recurrent_sequence(xs, state, w_in, w_rec, p)[1].v.sum()

    def final_voltage_loop(w_in):
        return loop(xs, state, w_in, w_rec, p)[1].v.sum()

    torch.testing.assert_close(
        torch.func.grad(final_voltage)(w_in), torch.func.grad(final_voltage_loop)(w_in)
    )


def test_validation_and_backend():
    state = LIFState(torch.zeros(HIDDEN), torch.zeros(HIDDEN), torch.zeros(HIDDEN))
    w_in, w_rec = torch.zeros(HIDDEN, IN), torch.zeros(HIDDEN, HIDDEN)
    with pytest.raises(TypeError, match="xs"):
        lif_recurrent_sequence([[1.0]], state, w_in, w_rec)
    with pytest.raises(ValueError, match="T >= 1"):
        lif_recurrent_sequence(torch.zeros(0, IN), state, w_in, w_rec)
    with pytest.raises(ValueError, match="dt"):
        lif_recurrent_sequence(torch.zeros(3, IN), state, w_in, w_rec, dt=0.0)
    with pytest.raises(snn_core.BackendUnavailableError, match="no_such_backend"):
        lif_recurrent_sequence(torch.zeros(3, IN), state, w_in, w_rec, backend="no_such_backend")
    zs, _ = lif_recurrent_sequence(torch.zeros(3, IN), state, w_in, w_rec, backend="torch")
    assert zs.shape == (3, HIDDEN) and zs.sum() == 0


# --- the LIFRecurrent module -------------------------------------------------------------------------


def module_pair(**kwargs):
    torch.manual_seed(18)
    layer = sn.LIFRecurrent(IN, HIDDEN, **kwargs)
    reference = copy.deepcopy(layer)
    reference.sequence = None  # the loop the module ran before the fused path
    return layer, reference


def run_module(layer, xs, state=None):
    zs, final = layer(xs, state)
    out = loss(zs, final, torch.linspace(-1, 1, zs.numel()).reshape(zs.shape).to(zs.dtype))
    grads = torch.autograd.grad(out, (xs, layer.input_weights, layer.recurrent_weights))
    return zs, final, grads


@pytest.mark.parametrize("autapses", [False, True])
def test_lif_recurrent_module_uses_fused_path(autapses):
    layer, reference = module_pair(autapses=autapses, p=sn.LIFParameters(v_th=torch.tensor(0.3)))
    xs = (
        (torch.rand(50, 4, IN, generator=torch.Generator().manual_seed(19)) < 0.3)
        .float()
        .requires_grad_(True)
    )
    zs, final, grads = run_module(layer, xs)
    ref, ref_final, ref_grads = run_module(reference, xs)
    assert FUSED in type(zs.grad_fn).__name__ and "Stack" in type(ref.grad_fn).__name__
    assert 0 < zs.sum() < zs.numel()
    assert torch.equal(zs, ref) and all(torch.equal(a, b) for a, b in zip(final, ref_final))
    for got, want in zip(grads, ref_grads):
        assert want.abs().max() > 0
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * want.abs().max().item())
    w_rec_grad = grads[2]
    assert autapses or torch.count_nonzero(torch.diagonal(w_rec_grad)) == 0  # the mask holds


def test_lif_recurrent_module_continues_from_a_state():
    layer, reference = module_pair(p=sn.LIFParameters(v_th=torch.tensor(0.3)))
    xs = (torch.rand(30, 2, IN, generator=torch.Generator().manual_seed(20)) < 0.3).double()
    layer.double()
    reference.double()
    _, state = layer(xs[:10])
    _, ref_state = reference(xs[:10])
    zs, final = layer(xs[10:], state)
    ref, ref_final = reference(xs[10:], ref_state)
    assert torch.equal(zs, ref) and all(torch.equal(a, b) for a, b in zip(final, ref_final))


def test_lif_recurrent_module_loops_when_asked():
    xs = torch.rand(6, 2, IN)
    recorded, _ = sn.LIFRecurrent(IN, HIDDEN, record_states=True)(xs.requires_grad_(True))
    assert "Stack" in type(recorded.grad_fn).__name__
    assert sn.LIFRecurrent(IN, HIDDEN, p=sn.LIFParameters(method="adjoint")).sequence is None
    assert sn.LIFRecurrentCell(IN, HIDDEN)(xs[0])[0].shape == (2, HIDDEN)


def test_docstring_example_runs():
    import doctest

    result = doctest.testmod(_lif_recurrent, extraglobs={"torch": torch}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
