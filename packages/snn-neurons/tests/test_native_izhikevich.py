"""The compiled CPU loop of the Izhikevich neuron (``native/izhikevich.c``).

Against looping ``izhikevich_feed_forward_step``: spikes and final state bit for bit (and bit for
bit the ``backend="torch"`` path), gradients with respect to the input and the initial state up to
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
SURROGATES = ["super", "tanh", "heavi_erfc", "circ", "triangle", "heaviside"]
SHAPE = (200, 3, 11)
PRESETS = {
    "tonic_spiking": F.tonic_spiking,
    "phasic_bursting": F.phasic_bursting,  # tau_inv = 200, d = 0.05 (not a float32 number)
    "class_1_exc": F.class_1_exc,  # mn = 4.1, bias = 108, negative b
    "dap": F.dap,  # a = 1, tau_inv = 100, negative d
}
seq = sequence.izhikevich_feed_forward_sequence


def params(
    method: str = "super", behavior: F.IzhikevichSpikingBehavior = F.tonic_spiking
) -> F.IzhikevichParameters:
    return behavior.p._replace(method=method, alpha={"super": 100.0, "triangle": 0.5}.get(method, 2.0))


def initial_state(
    shape: tuple[int, ...],
    dtype: torch.dtype,
    behavior: F.IzhikevichSpikingBehavior = F.tonic_spiking,
    seed: int = 2,
) -> F.IzhikevichState:
    """The preset's state, spread by a few mV per neuron, full shape, requiring grad."""
    g = torch.Generator().manual_seed(seed)
    v = behavior.s.v.to(dtype) + 4 * torch.rand(shape, generator=g, dtype=dtype)
    u = behavior.s.u.to(dtype) + torch.rand(shape, generator=g, dtype=dtype)
    return F.IzhikevichState(v.requires_grad_(True), u.requires_grad_(True))


def drive(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 0, level: float = 10.0) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    xs = level * (0.5 + torch.rand(shape, generator=g, dtype=dtype)) + torch.randn(
        shape, generator=g, dtype=dtype
    )
    return xs.requires_grad_(True)


def step_loop(xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> tuple[Tensor, Any]:
    outs = []
    for x in xs.unbind(0):
        z, state = F.izhikevich_feed_forward_step(x, state, p, dt)
        outs.append(z)
    return torch.stack(outs), state


def assert_bitwise(outs: Tensor, final: Any, ref_outs: Tensor, ref_final: Any) -> None:
    assert outs.dtype == ref_outs.dtype and torch.equal(outs, ref_outs)
    assert type(final) is F.IzhikevichState
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
        assert r.abs().max() > 0
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
    return outs, final


# --- the compiled loop against the step loop ----------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", SURROGATES)
def test_matches_the_step_loop(method, dtype):
    p = params(method)
    xs = drive(SHAPE, dtype, seed=11)
    state = initial_state(SHAPE[1:], dtype)
    assert native.supports("izhikevich", xs, state, p)
    outs, final = assert_matches(xs, state, p)
    n = outs[0].numel()
    assert n < outs.sum() < 0.2 * outs.numel()  # every neuron spikes (and resets) more than once on average
    assert outs.requires_grad == (method != "heaviside")
    assert node_name(outs, final) == "_NativeIzhikevichBackward"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_match_the_step_loop(preset, dtype):
    behavior = PRESETS[preset]
    xs = drive((160, 2, 9), dtype, seed=3, level=float(behavior.p.bias) / 14)
    state = initial_state((2, 9), dtype, behavior, seed=4)
    outs, final = assert_matches(xs, state, behavior.p)
    assert outs.sum() > 0
    assert node_name(outs, final) == "_NativeIzhikevichBackward"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["python-floats", "float64-scalars", "float32-scalars"])
def test_parameter_types_round_as_the_step_does(kind, dtype):
    """Constants of the step's type: (tau_inv * dt) * a in the parameter's type, then the input's dtype."""
    base = F.phasic_bursting.p._replace(a=0.03, b=0.23, sq=0.041, v_th=29.7)
    numbers = {k: v for k, v in base._asdict().items() if k != "method"}
    if kind != "python-floats":
        scalar_type = torch.float64 if kind == "float64-scalars" else torch.float32
        numbers = {k: torch.tensor(float(v), dtype=scalar_type) for k, v in numbers.items()}
    p = base._replace(**numbers)
    xs = drive((120, 2, 7), dtype, seed=5, level=12.0)
    state = initial_state((2, 7), dtype, F.phasic_bursting)
    assert native.supports("izhikevich", xs, state, p)
    outs, _ = assert_matches(xs, state, p, dt=7e-4)
    assert outs.sum() > 0


def test_explicit_cpu_backend_and_dt():
    dtype = torch.float64
    xs = drive((60, 2, 9), dtype, seed=6)
    state = initial_state((2, 9), dtype, seed=7)
    p = params("tanh")
    outs, final = assert_matches(xs, state, p, dt=4e-4, backend="cpu")
    assert node_name(outs, final) == "_NativeIzhikevichBackward"
    assert not torch.equal(outs, seq(xs, state, p, 1e-3)[0])  # dt reaches the constants


def test_kernel_is_registered_and_selected():
    kernel = snn_core.select_kernel("neuron:izhikevich", "cpu")
    assert kernel is not None and kernel.backend == "cpu" and kernel.device == "cpu"
    assert kernel.name == "cpu-izhikevich"
    assert kernel.fn is models.izhikevich_feed_forward_sequence
    assert kernel.is_available is native.available
    assert sequence.SEQUENCES["izhikevich"] is seq


def test_no_grad_inference_gives_the_training_numbers():
    xs = drive((80, 3, 7), torch.float32, seed=8)
    state = initial_state((3, 7), torch.float32)
    p = params()
    trained = seq(xs, state, p)
    with torch.no_grad():
        inferred = seq(xs, state, p)
    assert inferred[0].grad_fn is None and all(t.grad_fn is None for t in inferred[1])
    detached = F.IzhikevichState(*(t.detach() for t in trained[1]))
    assert_bitwise(*inferred, trained[0].detach(), detached)
    state0 = F.IzhikevichState(*(t.detach() for t in state))
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
    for pick in (lambda o, f: (o * o).sum(), lambda o, f: f.v.sum() + f.u.sum(), lambda o, f: f.u.sum()):
        got = torch.autograd.grad(pick(*seq(xs, state, p)), inputs)
        ref = torch.autograd.grad(pick(*step_loop(xs, state, p)), inputs)
        assert_grads_close(got, ref, dtype)


def test_retain_graph_backward_twice_gives_the_same_gradients():
    xs = drive((60, 2, 6), torch.float32, seed=12)
    state = initial_state((2, 6), torch.float32)
    loss = weighted_loss(*seq(xs, state, params()))
    first = torch.autograd.grad(loss, inputs_of(xs, state), retain_graph=True)
    second = torch.autograd.grad(loss, inputs_of(xs, state))
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_gradcheck_without_surrogate():
    """Heaviside threshold, no spike near threshold: the analytic Jacobian is the true one."""
    dtype = torch.float64
    p = params("heaviside")
    xs = (5 * torch.rand(8, 2, 3, dtype=dtype)).requires_grad_(True)
    v = (-70 + 5 * torch.rand(2, 3, dtype=dtype)).requires_grad_(True)
    u = (-14 + torch.rand(2, 3, dtype=dtype)).requires_grad_(True)

    def run(xs: Tensor, v: Tensor, u: Tensor) -> tuple[Tensor, ...]:
        return tuple(seq(xs, F.IzhikevichState(v, u), p)[1])

    assert type(run(xs, v, u)[0].grad_fn).__name__ == "_NativeIzhikevichBackward"
    assert torch.autograd.gradcheck(run, (xs, v, u))


def test_second_derivatives_raise_instead_of_being_wrong():
    xs = drive((10, 2, 3), torch.float64, seed=13)
    state = initial_state((2, 3), torch.float64)
    outs, final = seq(xs, state, params())
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
                name="izhikevich_test_surrogate",
                fn=third_party_surrogate,
                derivative=lambda x, alpha: 1 / (1 + alpha * x.abs()),
            )
        ]


@pytest.mark.parametrize("case", ["per-neuron", "trainable", "third-party", "logistic"])
def test_unsupported_parameters_run_the_torch_path(case):
    p = params()
    if case == "per-neuron":
        p = p._replace(d=torch.linspace(2.0, 8.0, 7))
    elif case == "trainable":
        p = p._replace(tau_inv=torch.tensor(250.0, requires_grad=True))
    elif case == "third-party":
        p = p._replace(method="izhikevich_test_surrogate")
    else:
        p = p._replace(method="logistic", alpha=0.2)
    with snn_core.registered(_Plugin(), name="native-izhikevich-test-plugin"):
        xs = drive((40, 2, 7), torch.float32, seed=14)
        state = initial_state((2, 7), torch.float32)
        assert not native.supports("izhikevich", xs, state, p)
        outs, final = seq(xs, state, p)
        ref_outs, ref_final = seq(xs, state, p, backend="torch")
        assert "Native" not in node_name(outs, final)
        if case != "logistic":  # logistic samples its spikes
            assert_bitwise(outs, final, ref_outs, ref_final)
            assert outs.sum() > 0
            grads = torch.autograd.grad(weighted_loss(outs, final), inputs_of(xs, state))
            ref = torch.autograd.grad(weighted_loss(ref_outs, ref_final), inputs_of(xs, state))
            assert all(torch.equal(g, r) for g, r in zip(grads, ref))


@pytest.mark.parametrize("case", ["preset-state", "float16", "broadcast-state", "other-dtype-state"])
def test_unsupported_inputs_run_the_torch_path(case):
    dtype = torch.float16 if case == "float16" else torch.float32
    xs = drive((30, 2, 3), dtype, seed=15).detach()
    state: Any = initial_state((2, 3), dtype)
    if case == "preset-state":
        state = F.tonic_spiking.s  # 0-dim tensors that broadcast
    elif case == "broadcast-state":
        state = F.IzhikevichState(state.v.detach()[0], state.u.detach()[0])
    elif case == "other-dtype-state":
        state = F.IzhikevichState(state.v.detach().double(), state.u.detach().double())
    p = params()
    assert not native.supports("izhikevich", xs, state, p)
    outs, final = seq(xs, state, p)
    ref_outs, ref_final = step_loop(xs, state, p)
    assert torch.equal(outs, ref_outs)
    assert all(torch.equal(a, b) for a, b in zip(final, ref_final))
    assert outs.sum() > 0


def test_default_parameters_are_tonic_spiking():
    xs = drive((60, 2, 5), torch.float64, seed=16)
    state = initial_state((2, 5), torch.float64)
    assert_bitwise(*seq(xs, state), *seq(xs, state, F.tonic_spiking.p))


@pytest.mark.parametrize(
    ("fn", "state_of", "p"),
    [
        (sequence.izhikevich_feed_forward_sequence, lambda s, d: initial_state(s, d), params()),
        (
            sequence.coba_lif_feed_forward_sequence,
            lambda s, d: F.CobaLIFFeedForwardState(
                *(torch.zeros(s, dtype=d, requires_grad=True) for _ in range(3))
            ),
            F.CobaLIFParameters(),
        ),
    ],
    ids=["izhikevich", "coba_lif"],
)
def test_torch_backend_loops_the_step_not_the_slower_recomputing_path(fn, state_of, p):
    xs = drive((12, 2, 5), torch.float64)
    outs, final = fn(xs, state_of((2, 5), torch.float64), p, backend="torch")
    assert "Generic" not in node_name(outs, final)
    assert node_name(outs, final) == "StackBackward0"
