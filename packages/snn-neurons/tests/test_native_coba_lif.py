"""The compiled CPU loop of the conductance-based LIF neuron (``native/coba_lif.c``).

Against looping ``coba_lif_feed_forward_step``: spikes and final state bit for bit (and bit for bit
the ``backend="torch"`` path), gradients with respect to the input and the initial state up to
round-off; arguments the loop does not reproduce run the torch path with its numbers.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor

import snn_core
import snn_neurons.functional as F
from snn_neurons import native, sequence
from snn_neurons.native import models

pytestmark = pytest.mark.skipif(
    not native.available(), reason=f"the C kernels cannot be built here: {native.build_error()}"
)

DTYPES = [torch.float32, torch.float64]
# circ: its slowly decaying derivative times (v_reset - v1) grows the adjoint without bound over long
# runs (in the step loop too), so it is checked on a short run below
SURROGATES = ["super", "tanh", "heavi_erfc", "triangle", "heaviside"]
SHAPE = (200, 3, 11)
seq = sequence.coba_lif_feed_forward_sequence


def params(method: str = "super") -> F.CobaLIFParameters:
    return F.CobaLIFParameters(method=method, alpha={"super": 100.0, "triangle": 0.5}.get(method, 2.0))


def initial_state(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 2) -> F.CobaLIFFeedForwardState:
    """Voltages between rest and threshold and small conductances, full shape, requiring grad."""
    g = torch.Generator().manual_seed(seed)
    v = -20 + 8 * torch.rand(shape, generator=g, dtype=dtype)
    g_e, g_i = torch.rand(shape, generator=g, dtype=dtype), torch.rand(shape, generator=g, dtype=dtype)
    return F.CobaLIFFeedForwardState(*(t.requires_grad_(True) for t in (v, g_e, g_i)))


def drive(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 0) -> Tensor:
    """Sparse signed input (mostly excitatory), small enough for the Euler step to stay stable."""
    g = torch.Generator().manual_seed(seed)
    values = 2 * torch.rand(shape, generator=g, dtype=dtype) - 0.6
    return (values * (torch.rand(shape, generator=g, dtype=dtype) < 0.3)).requires_grad_(True)


def step_loop(xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> tuple[Tensor, Any]:
    outs = []
    for x in xs.unbind(0):
        z, state = F.coba_lif_feed_forward_step(x, state, p, dt)
        outs.append(z)
    return torch.stack(outs), state


def assert_bitwise(outs: Tensor, final: Any, ref_outs: Tensor, ref_final: Any) -> None:
    assert outs.dtype == ref_outs.dtype and torch.equal(outs, ref_outs)
    assert type(final) is F.CobaLIFFeedForwardState
    for a, b in zip(final, ref_final, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def weighted_loss(outs: Tensor, final: Any, seed: int = 1) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    loss = torch.zeros((), dtype=outs.dtype)
    for t in (outs, *final):
        if t.requires_grad:
            loss = loss + (torch.randn(t.shape, generator=g, dtype=t.dtype) * t).sum()
    return loss


def inputs_of(xs: Tensor, state: Any) -> list[Tensor]:
    return [xs, *(s for s in state if s.requires_grad)]


def assert_grads_close(got: Any, ref: Any, dtype: torch.dtype) -> None:
    rtol = 1e-4 if dtype == torch.float32 else 1e-9
    for g, r in zip(got, ref, strict=True):
        assert g.dtype == r.dtype and g.shape == r.shape
        assert (g - r).abs().max() <= rtol * r.abs().max(), ((g - r).abs().max(), r.abs().max())


def node_name(outs: Tensor, final: Any) -> str:
    tensor = outs if outs.grad_fn is not None else final.v
    return type(tensor.grad_fn).__name__


def assert_matches(xs: Tensor, state: Any, p: Any, dt: float = 1e-3, **kw: Any) -> tuple[Tensor, Any]:
    """The compiled loop: bitwise the step loop and the torch path, gradients up to round-off."""
    outs, final = seq(xs, state, p, dt, **kw)
    ref_outs, ref_final = step_loop(xs, state, p, dt)
    assert_bitwise(outs, final, ref_outs, ref_final)
    assert_bitwise(*seq(xs, state, p, dt, backend="torch"), outs, final)
    inputs = inputs_of(xs, state)
    grads = torch.autograd.grad(weighted_loss(outs, final), inputs)
    ref = torch.autograd.grad(weighted_loss(ref_outs, ref_final), inputs)
    assert_grads_close(grads, ref, xs.dtype)
    assert ref[0].abs().max() > 0  # the input's gradient reaches the comparison (heaviside: through g_e, g_i)
    return outs, final


# --- the compiled loop against the step loop ----------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", SURROGATES)
def test_matches_the_step_loop(method, dtype):
    p = params(method)
    xs = drive(SHAPE, dtype, seed=11)
    state = initial_state(SHAPE[1:], dtype)
    assert native.supports("coba_lif", xs, state, p)
    outs, final = assert_matches(xs, state, p)
    assert 0.02 < outs.mean() < 0.3  # spikes and resets happen
    assert (xs < 0).any() and (xs > 0).any()  # both conductances are driven
    assert outs.requires_grad == (method != "heaviside")
    assert node_name(outs, final) == "_NativeCobaLIFBackward"


@pytest.mark.parametrize("dtype", DTYPES)
def test_circ_on_a_short_run(dtype):
    xs = drive((30, 3, 11), dtype, seed=12)
    state = initial_state((3, 11), dtype)
    outs, final = assert_matches(xs, state, params("circ"))
    assert outs.sum() > 0 and node_name(outs, final) == "_NativeCobaLIFBackward"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["int64-default", "python-floats", "float64-scalars"])
def test_parameter_types_round_as_the_step_does(kind, dtype):
    """Constants of the step's type: -dt * tau_syn_*_inv and dt * c_m_inv in the parameter's type."""
    values = dict(
        tau_syn_exc_inv=0.3, tau_syn_inh_inv=0.17, c_m_inv=4.7, g_l=0.3, v_rest=-20.3, v_thresh=-9.9
    )
    if kind == "int64-default":
        p = params()
    elif kind == "python-floats":
        p = params()._replace(**values, e_rev_E=60.1, e_rev_I=-99.7, v_reset=-70.2)
    else:
        p = params()._replace(**{k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()})
    xs = drive((120, 2, 7), dtype, seed=5)
    state = initial_state((2, 7), dtype)
    assert native.supports("coba_lif", xs, state, p)
    outs, _ = assert_matches(xs, state, p, dt=7e-4)
    assert outs.sum() > 0


def test_explicit_cpu_backend_and_dt():
    dtype = torch.float64
    xs = drive((60, 2, 9), dtype, seed=6)
    state = initial_state((2, 9), dtype, seed=7)
    p = params("tanh")
    outs, final = assert_matches(xs, state, p, dt=4e-4, backend="cpu")
    assert node_name(outs, final) == "_NativeCobaLIFBackward"
    assert not torch.equal(final.v, seq(xs, state, p, 1e-3)[1].v)  # dt reaches the constants


def test_kernel_is_registered_and_selected():
    kernel = snn_core.select_kernel("neuron:coba_lif", "cpu")
    assert kernel is not None and kernel.backend == "cpu" and kernel.device == "cpu"
    assert kernel.name == "cpu-coba-lif"
    assert kernel.fn is models.coba_lif_feed_forward_sequence
    assert kernel.is_available is native.available
    assert sequence.SEQUENCES["coba_lif"] is seq


def test_no_grad_inference_gives_the_training_numbers():
    xs = drive((80, 3, 7), torch.float32, seed=8)
    state = initial_state((3, 7), torch.float32)
    p = params()
    trained = seq(xs, state, p)
    with torch.no_grad():
        inferred = seq(xs, state, p)
    assert inferred[0].grad_fn is None and all(t.grad_fn is None for t in inferred[1])
    detached = F.CobaLIFFeedForwardState(*(t.detach() for t in trained[1]))
    assert_bitwise(*inferred, trained[0].detach(), detached)
    state0 = F.CobaLIFFeedForwardState(*(t.detach() for t in state))
    assert_bitwise(*inferred, *step_loop(xs.detach(), state0, p))
    assert inferred[0].sum() > 0


def test_inputs_are_untouched_and_the_final_state_is_new():
    xs = drive((40, 2, 5), torch.float64, seed=9)
    state = initial_state((2, 5), torch.float64)
    before = [t.detach().clone() for t in [xs, *state]]
    _, final = seq(xs, state, params())
    for t, b in zip([xs, *state], before):
        assert torch.equal(t, b)
    assert all(f is not s for f, s in zip(final, state))


def test_gradients_of_outputs_only_and_of_the_final_state_only():
    """Undefined incoming gradients (a ``NULL`` in C) give the step loop's gradients."""
    dtype = torch.float64
    xs = drive((50, 2, 4), dtype, seed=10)
    state = initial_state((2, 4), dtype)
    p = params("tanh")
    inputs = inputs_of(xs, state)
    picks = (lambda o, f: (o * o).sum(), lambda o, f: f.v.sum(), lambda o, f: f.g_e.sum() - 2 * f.g_i.sum())
    for pick in picks:
        got = torch.autograd.grad(pick(*seq(xs, state, p)), inputs, allow_unused=True)
        ref = torch.autograd.grad(pick(*step_loop(xs, state, p)), inputs, allow_unused=True)
        assert ref[0] is not None  # the input reaches every picked output
        assert_grads_close(
            [torch.zeros_like(x) if g is None else g for g, x in zip(got, inputs)],
            [torch.zeros_like(x) if r is None else r for r, x in zip(ref, inputs)],
            dtype,
        )


def test_retain_graph_backward_twice_gives_the_same_gradients():
    xs = drive((60, 2, 6), torch.float32, seed=12)
    state = initial_state((2, 6), torch.float32)
    loss = weighted_loss(*seq(xs, state, params()))
    first = torch.autograd.grad(loss, inputs_of(xs, state), retain_graph=True)
    second = torch.autograd.grad(loss, inputs_of(xs, state))
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_gradcheck_without_surrogate():
    """Heaviside threshold, no spike, inputs away from 0: the analytic Jacobian is the true one."""
    dtype = torch.float64
    p = params("heaviside")
    g = torch.Generator().manual_seed(3)
    sign = torch.where(torch.rand(8, 2, 3, generator=g, dtype=dtype) < 0.5, -1.0, 1.0).to(dtype)
    xs = (sign * (0.1 + 0.4 * torch.rand(8, 2, 3, generator=g, dtype=dtype))).requires_grad_(True)
    v, g_e, g_i = (t.detach().clone().requires_grad_(True) for t in initial_state((2, 3), dtype))

    def run(xs: Tensor, v: Tensor, g_e: Tensor, g_i: Tensor) -> tuple[Tensor, ...]:
        return tuple(seq(xs, F.CobaLIFFeedForwardState(v, g_e, g_i), p)[1])

    assert type(run(xs, v, g_e, g_i)[0].grad_fn).__name__ == "_NativeCobaLIFBackward"
    assert torch.autograd.gradcheck(run, (xs, v, g_e, g_i))


def test_second_derivatives_raise_instead_of_being_wrong():
    xs = drive((10, 2, 3), torch.float64, seed=13)
    state = initial_state((2, 3), torch.float64)
    _, final = seq(xs, state, params())
    (g,) = torch.autograd.grad(final.v.sum(), xs, create_graph=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(g.sum(), xs)


# --- arguments the loop does not reproduce run the torch path ------------------------------------


def third_party_surrogate(x: Tensor, alpha: float) -> Tensor:
    return _ThirdParty.apply(x, alpha)


class _ThirdParty(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, alpha: float) -> Tensor:
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
                name="coba_test_surrogate",
                fn=third_party_surrogate,
                derivative=lambda x, alpha: 1 / (1 + alpha * x.abs()),
            )
        ]


@pytest.mark.parametrize("case", ["per-neuron", "trainable", "third-party"])
def test_unsupported_parameters_run_the_torch_path(case):
    p = params()
    if case == "per-neuron":
        p = p._replace(v_thresh=torch.linspace(-12.0, -8.0, 7))
    elif case == "trainable":
        p = p._replace(c_m_inv=torch.tensor(5.0, requires_grad=True))
    else:
        p = p._replace(method="coba_test_surrogate")
    with snn_core.registered(_Plugin(), name="native-coba-test-plugin"):
        xs = drive((40, 2, 7), torch.float32, seed=14)
        state = initial_state((2, 7), torch.float32)
        assert not native.supports("coba_lif", xs, state, p)
        outs, final = seq(xs, state, p)
        ref_outs, ref_final = seq(xs, state, p, backend="torch")
        assert "Native" not in node_name(outs, final)
        assert_bitwise(outs, final, ref_outs, ref_final)
        assert outs.sum() > 0
        grads = torch.autograd.grad(weighted_loss(outs, final), inputs_of(xs, state))
        ref = torch.autograd.grad(weighted_loss(ref_outs, ref_final), inputs_of(xs, state))
        assert all(torch.equal(g, r) for g, r in zip(grads, ref))


@pytest.mark.parametrize("case", ["float16", "broadcast-state", "other-dtype-state"])
def test_unsupported_inputs_run_the_torch_path(case):
    dtype = torch.float16 if case == "float16" else torch.float32
    xs = drive((30, 2, 3), dtype, seed=15).detach()
    state: Any = F.CobaLIFFeedForwardState(*(t.detach() for t in initial_state((2, 3), dtype)))
    if case == "broadcast-state":
        state = F.CobaLIFFeedForwardState(*(t[0] for t in state))
    elif case == "other-dtype-state":
        state = F.CobaLIFFeedForwardState(*(t.double() for t in state))
    p = params()
    assert not native.supports("coba_lif", xs, state, p)
    outs, final = seq(xs, state, p)
    ref_outs, ref_final = step_loop(xs, state, p)
    assert torch.equal(outs, ref_outs)
    assert all(torch.equal(a, b) for a, b in zip(final, ref_final))


def test_default_parameters():
    xs = drive((60, 2, 5), torch.float64, seed=16)
    state = initial_state((2, 5), torch.float64)
    assert_bitwise(*seq(xs, state), *seq(xs, state, F.CobaLIFParameters()))
