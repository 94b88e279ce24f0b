"""The compiled CPU loop for LIF (``backend="cpu"``) against looping the step function."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

import snn_core
from snn_neurons import LIFFeedForwardState, LIFParameters, lif_feed_forward_step, native
from snn_neurons.sequence import lif_feed_forward_sequence

pytestmark = pytest.mark.skipif(
    not native.available(), reason=f"the C kernels cannot be built here: {native.build_error()}"
)

SURROGATES = ["super", "tanh", "heavi_erfc", "circ", "triangle", "heaviside"]
DTYPES = [torch.float32, torch.float64]


def drive(shape, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    spikes = (torch.rand(shape, generator=g, dtype=dtype) < 0.3).to(dtype)
    return (3.0 * spikes + 0.2 * torch.randn(shape, generator=g, dtype=dtype)).requires_grad_(True)


def start(shape, dtype, seed=1):
    g = torch.Generator().manual_seed(seed)
    v = (0.8 * torch.rand(shape, generator=g, dtype=dtype)).requires_grad_(True)
    i = torch.randn(shape, generator=g, dtype=dtype).requires_grad_(True)
    return LIFFeedForwardState(v, i)


def step_loop(xs, state, p, dt=1e-3):
    outs = []
    for x in xs.unbind(0):
        z, state = lif_feed_forward_step(x, state, p, dt)
        outs.append(z)
    return torch.stack(outs), state


def weighted_loss(zs, state, seed=3):
    g = torch.Generator().manual_seed(seed)
    total = 0
    for t in (zs, state.v, state.i):
        total = total + (torch.randn(t.shape, generator=g, dtype=t.dtype) * t).sum()
    return total


def assert_matches_loop(xs, state, p, dt=1e-3, rtol=None):
    zs, final = lif_feed_forward_sequence(xs, state, p, dt, backend="cpu")
    ref_zs, ref_final = step_loop(xs, state, p, dt)
    assert torch.equal(zs, ref_zs)
    assert torch.equal(final.v, ref_final.v) and torch.equal(final.i, ref_final.i)
    inputs = (xs, state.v, state.i)
    grads = torch.autograd.grad(weighted_loss(zs, final), inputs)
    ref = torch.autograd.grad(weighted_loss(ref_zs, ref_final), inputs)
    rtol = rtol or (1e-4 if xs.dtype == torch.float32 else 1e-10)
    for g, r in zip(grads, ref):
        assert g.dtype == r.dtype and g.shape == r.shape
        assert (g - r).abs().max() <= rtol * r.abs().max().clamp_min(1e-30), (g - r).abs().max()
    return zs, final


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", SURROGATES)
def test_forward_bitwise_and_gradients_match_the_step_loop(method, dtype):
    alpha = {"super": 100.0, "triangle": 0.5}.get(method, 2.0)
    p = LIFParameters(
        v_leak=torch.tensor(0.05), v_reset=torch.tensor(-0.2), method=method, alpha=torch.tensor(alpha)
    )
    xs = drive((80, 4, 37), dtype)
    zs, _ = assert_matches_loop(xs, start((4, 37), dtype), p)
    assert 0.02 < zs.mean() < 0.5  # spikes and resets happen
    assert (zs.grad_fn is not None) == (method != "heaviside")
    if zs.grad_fn is not None:
        assert "NativeLIF" in type(zs.grad_fn).__name__


@pytest.mark.parametrize(
    "params",
    [
        dict(tau_syn_inv=250.0, tau_mem_inv=120.0, v_leak=0.1, v_th=0.9, v_reset=0.05, alpha=80.0),  # floats
        dict(
            tau_syn_inv=torch.tensor(250.0, dtype=torch.float64), v_th=torch.tensor(0.7, dtype=torch.float64)
        ),
        dict(tau_mem_inv=torch.tensor(133.3), v_leak=torch.tensor(-0.1), v_reset=torch.tensor(-0.3)),
    ],
    ids=["python-floats", "float64-scalars", "float32-scalars"],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_parameter_types_round_as_the_step_does(params, dtype):
    xs = drive((60, 3, 11), dtype, seed=4)
    assert_matches_loop(xs, start((3, 11), dtype), LIFParameters(**params), dt=7e-4)


def test_grad_node_and_inputs_are_untouched():
    xs = drive((30, 2, 5), torch.float32)
    state = start((2, 5), torch.float32)
    before = [t.detach().clone() for t in (xs, state.v, state.i)]
    zs, final = lif_feed_forward_sequence(xs, state, LIFParameters(), backend="cpu")
    for t, b in zip((xs, state.v, state.i), before):
        assert torch.equal(t, b)
    assert final.v is not state.v and final.i is not state.i


def test_no_grad_inference_gives_the_training_numbers():
    xs = drive((50, 3, 7), torch.float32)
    state = start((3, 7), torch.float32)
    trained = lif_feed_forward_sequence(xs, state, LIFParameters(), backend="cpu")
    with torch.no_grad():
        inferred = lif_feed_forward_sequence(xs, state, LIFParameters(), backend="cpu")
    assert inferred[0].grad_fn is None
    assert torch.equal(trained[0], inferred[0]) and torch.equal(trained[1].v, inferred[1].v)


def test_non_contiguous_input_and_state():
    dtype = torch.float64
    xs = drive((40, 9, 3), dtype, seed=5).transpose(1, 2)
    v = torch.rand(9, 3, dtype=dtype).t().requires_grad_(True)
    i = torch.rand(9, 3, dtype=dtype).t().requires_grad_(True)
    assert not xs.is_contiguous() and not v.is_contiguous()
    assert_matches_loop(xs, LIFFeedForwardState(v, i), LIFParameters())


def test_retain_graph_backward_twice_gives_the_same_gradients():
    xs = drive((40, 3, 6), torch.float64)
    zs, final = lif_feed_forward_sequence(xs, start((3, 6), torch.float64), LIFParameters(), backend="cpu")
    loss = weighted_loss(zs, final)
    (first,) = torch.autograd.grad(loss, xs, retain_graph=True)
    (second,) = torch.autograd.grad(loss, xs)
    assert torch.equal(first, second)


def test_gradients_of_spikes_only_and_of_the_final_state_only():
    dtype = torch.float64
    xs = drive((25, 2, 4), dtype)
    state = start((2, 4), dtype)
    for pick in (lambda zs, f: zs.sum(), lambda zs, f: f.v.sum() + 2 * f.i.sum()):
        out = lif_feed_forward_sequence(xs, state, LIFParameters(method="tanh", alpha=3.0), backend="cpu")
        ref = step_loop(xs, state, LIFParameters(method="tanh", alpha=3.0))
        g = torch.autograd.grad(pick(*out), (xs, state.v, state.i))
        r = torch.autograd.grad(pick(*ref), (xs, state.v, state.i))
        for a, b in zip(g, r):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_gradcheck_below_threshold():
    dtype = torch.float64
    xs = (0.2 * torch.rand(12, 2, 3, dtype=dtype)).requires_grad_(True)
    state = start((2, 3), dtype)
    p = LIFParameters(method="heaviside")  # no surrogate: the analytic Jacobian is the true one

    def run(x, v, i):
        _, final = lif_feed_forward_sequence(x, LIFFeedForwardState(v, i), p, backend="cpu")
        return final.v, final.i

    assert torch.autograd.gradcheck(run, (xs, state.v, state.i))


@pytest.mark.parametrize(
    "p",
    [
        LIFParameters(v_th=torch.linspace(0.5, 1.5, 7)),  # one threshold per neuron
        LIFParameters(tau_mem_inv=torch.tensor(100.0, requires_grad=True)),  # trainable
        LIFParameters(method="logistic", alpha=0.0),  # a threshold without a C derivative
    ],
    ids=["per-neuron", "trainable", "no-c-derivative"],
)
def test_unsupported_arguments_run_the_torch_path(p):
    xs = drive((30, 2, 7), torch.float32)
    state = start((2, 7), torch.float32)
    assert not native.supported(xs, state, p)
    torch.manual_seed(0)
    zs, final = lif_feed_forward_sequence(xs, state, p, backend="cpu")
    torch.manual_seed(0)
    ref_zs, ref_final = lif_feed_forward_sequence(xs, state, p, backend="torch")
    assert torch.equal(zs, ref_zs) and torch.equal(final.v, ref_final.v)
    assert "Native" not in type(zs.grad_fn).__name__


@pytest.mark.parametrize(
    ("xs", "state"),
    [
        (
            torch.ones(5, 2, 3, dtype=torch.float16),
            LIFFeedForwardState(*torch.zeros(2, 2, 3, dtype=torch.float16)),
        ),
        (torch.ones(5, 2, 3), LIFFeedForwardState(torch.zeros(3), torch.zeros(3))),  # broadcast state
        (torch.ones(5, 2, 3), LIFFeedForwardState(0.0, 0.0)),  # Python numbers as state
    ],
    ids=["float16", "broadcast-state", "number-state"],
)
def test_unsupported_inputs_are_detected(xs, state):
    assert not native.supported(xs, state, LIFParameters())
    zs, _ = lif_feed_forward_sequence(xs, state, LIFParameters(), backend="cpu")
    ref, _ = lif_feed_forward_sequence(xs, state, LIFParameters(), backend="torch")
    assert torch.equal(zs, ref)


def test_in_place_parameter_change_is_seen():
    p = LIFParameters(v_th=torch.tensor(1.0))
    xs = drive((40, 2, 5), torch.float32)
    state = start((2, 5), torch.float32)
    before = lif_feed_forward_sequence(xs, state, p, backend="cpu")[0]
    with torch.no_grad():
        p.v_th.fill_(0.3)  # cached constants must notice
    after = lif_feed_forward_sequence(xs, state, p, backend="cpu")[0]
    assert after.sum() > before.sum()
    assert torch.equal(after, step_loop(xs, state, p)[0])


def test_auto_selects_the_cpu_kernel_and_it_is_listed():
    kernel = snn_core.select_kernel("neuron:lif", "cpu")
    assert kernel is not None and kernel.backend == "cpu" and kernel.name == "cpu-lif"
    assert "cpu-lif" in snn_core.registry().kernels
    xs = drive((10, 2, 3), torch.float32)
    zs, _ = lif_feed_forward_sequence(xs, start((2, 3), torch.float32))
    assert "NativeLIF" in type(zs.grad_fn).__name__


def test_disabled_by_environment_variable():
    code = (
        "import torch, snn_core; from snn_neurons import native, LIFFeedForwardState as S;"
        "from snn_neurons.sequence import lif_feed_forward_sequence as f;"
        "print(native.available(), snn_core.select_kernel('neuron:lif', 'cpu'));"
        "x = torch.ones(4, 2, 3, requires_grad=True); z, _ = f(x, S(torch.zeros(2, 3), torch.zeros(2, 3)));"
        "print(type(z.grad_fn).__name__)"
    )
    env = {**os.environ, "SNN_DISABLE_NATIVE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "None", "_LIFSequenceBackward"]


def test_second_derivative_raises_instead_of_returning_zero():
    xs = drive((10, 2, 3), torch.float64)
    zs, final = lif_feed_forward_sequence(xs, start((2, 3), torch.float64), LIFParameters(), backend="cpu")
    (g,) = torch.autograd.grad(zs.pow(2).sum() + final.v.pow(2).sum(), xs, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()
