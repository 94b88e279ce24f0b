"""Per-model modules: numbers equal looping the functional step by hand; states follow the input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

import snn_neurons as sn
from snn_neurons.functional.izhikevich import tonic_spiking
from snn_neurons.functional.lif_adjoint import lif_feed_forward_adjoint_step
from snn_neurons.functional.lif_refrac_adjoint import lif_refrac_feed_forward_adjoint_step
from snn_neurons.functional.lsnn_adjoint import lsnn_feed_forward_adjoint_step

T, B, N = 40, 3, 5


def drive(
    scale: float, seed: int = 0, shape: tuple[int, ...] = (T, B, N), dtype=torch.float32
) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g, dtype=dtype) * 2 - 0.5) * scale


def lif_init(s):
    return sn.LIFFeedForwardState(torch.zeros(s), torch.zeros(s))


# (layer, cell, step, hand-made initial state for a shape, input scale, p for the step)
FEED_FORWARD: dict[str, tuple[Any, Any, Callable, Callable, float, Any]] = {
    "lif": (sn.LIF, sn.LIFCell, sn.lif_feed_forward_step, lif_init, 300.0, sn.LIFParameters()),
    "li": (
        sn.LI,
        sn.LICell,
        sn.li_feed_forward_step,
        lambda s: sn.LIState(torch.zeros(s), torch.zeros(s)),
        300.0,
        sn.LIParameters(),
    ),
    "iaf": (
        sn.IAF,
        sn.IAFCell,
        sn.iaf_feed_forward_step,
        lambda s: sn.IAFFeedForwardState(torch.zeros(s)),
        1.0,
        sn.IAFParameters(),
    ),
    "lif_box": (
        sn.LIFBox,
        sn.LIFBoxCell,
        sn.lif_box_feed_forward_step,
        lambda s: sn.LIFBoxFeedForwardState(torch.zeros(s)),
        30.0,
        sn.LIFBoxParameters(),
    ),
    "lif_adex": (
        sn.LIFAdEx,
        sn.LIFAdExCell,
        sn.lif_adex_feed_forward_step,
        lambda s: sn.LIFAdExFeedForwardState(torch.zeros(s), torch.zeros(s), torch.zeros(s)),
        300.0,
        sn.LIFAdExParameters(),
    ),
    "lif_ex": (
        sn.LIFEx,
        sn.LIFExCell,
        sn.lif_ex_feed_forward_step,
        lambda s: sn.LIFExFeedForwardState(torch.zeros(s), torch.zeros(s)),
        300.0,
        sn.LIFExParameters(),
    ),
    "lif_refrac": (
        sn.LIFRefrac,
        sn.LIFRefracCell,
        sn.lif_refrac_feed_forward_step,
        lambda s: sn.LIFRefracFeedForwardState(lif_init(s), torch.zeros(s)),
        300.0,
        sn.LIFRefracParameters(),
    ),
    "lsnn": (
        sn.LSNN,
        sn.LSNNCell,
        sn.lsnn_feed_forward_step,
        lambda s: sn.LSNNFeedForwardState(torch.zeros(s), torch.zeros(s), torch.ones(s)),
        300.0,
        sn.LSNNParameters(),
    ),
}


def loop(step, xs, state, p, dt=0.001):
    outs = []
    for x in xs:
        out, state = step(x, state, p, dt)
        outs.append(out)
    return torch.stack(outs), state


def assert_states_equal(a, b) -> None:
    assert type(a) is type(b)
    for fa, fb in zip(a, b):
        if isinstance(fa, tuple):
            assert_states_equal(fa, fb)
        else:
            assert torch.equal(fa, fb)


@pytest.mark.parametrize("name", sorted(FEED_FORWARD))
def test_layer_equals_looping_the_step_by_hand(name: str) -> None:
    layer_cls, _, step, init, scale, p = FEED_FORWARD[name]
    xs = drive(scale)
    out, state = layer_cls(backend="torch")(xs)
    ref_out, ref_state = loop(step, xs, init((B, N)), p)
    assert out.sum() > 0
    assert torch.equal(out, ref_out)
    assert_states_equal(state, ref_state)


@pytest.mark.parametrize("name", sorted(FEED_FORWARD))
def test_layer_auto_backend_gives_the_loop_numbers(name: str) -> None:
    layer_cls, _, step, init, scale, p = FEED_FORWARD[name]
    xs = drive(scale, seed=3)
    out, state = layer_cls()(xs)
    ref_out, ref_state = loop(step, xs, init((B, N)), p)
    torch.testing.assert_close(out, ref_out)
    assert (out != ref_out).float().mean() < 0.01  # spikes may only flip on ties at the threshold


@pytest.mark.parametrize("name", sorted(FEED_FORWARD))
def test_layer_gradients_equal_the_step_loop(name: str) -> None:
    layer_cls, _, step, init, scale, p = FEED_FORWARD[name]
    xs = drive(scale, seed=9)
    x1 = xs.clone().requires_grad_(True)
    out, state = layer_cls()(x1)  # the default path (fused where available)
    x2 = xs.clone().requires_grad_(True)
    ref_out, ref_state = loop(step, x2, init((B, N)), p)
    first = lambda s: s[0] if not isinstance(s[0], tuple) else s[0][0]  # noqa: E731
    (out.sum() + 0.5 * first(state).sum()).backward()
    (ref_out.sum() + 0.5 * first(ref_state).sum()).backward()
    assert x1.grad.abs().sum() > 0
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(FEED_FORWARD))
def test_cell_steps_equal_layer(name: str) -> None:
    layer_cls, cell_cls, *_ = FEED_FORWARD[name]
    xs = drive(FEED_FORWARD[name][4], seed=1)
    cell, state, outs = cell_cls(), None, []
    for x in xs:
        out, state = cell(x, state)
        outs.append(out)
    out_layer, state_layer = layer_cls(backend="torch")(xs)
    assert torch.equal(torch.stack(outs), out_layer)
    assert_states_equal(state, state_layer)


@pytest.mark.parametrize("name", sorted(FEED_FORWARD))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_initial_state_follows_input_shape_dtype_device(name: str, dtype: torch.dtype) -> None:
    layer_cls, cell_cls, *_ = FEED_FORWARD[name]
    xs = drive(FEED_FORWARD[name][4], dtype=dtype, shape=(4, 2, 3, 5))
    for module, x, shape in ((layer_cls(), xs, (2, 3, 5)), (cell_cls(), xs[0], (2, 3, 5))):
        state = module.initial_state(x)
        leaves = [state] if not isinstance(state, tuple) else list(state)
        flat = []
        while leaves:
            leaf = leaves.pop()
            if isinstance(leaf, tuple):
                leaves.extend(leaf)
            else:
                flat.append(leaf)
        for leaf in flat:
            assert leaf.shape == shape
            assert leaf.dtype == dtype
            assert leaf.device == x.device
            assert not leaf.requires_grad
        out, final = module(x)
        assert out.dtype == dtype


def test_float64_input_runs_in_float64_with_float32_rounded_defaults() -> None:
    xs = drive(300.0, dtype=torch.float64)
    out, state = sn.LIF()(xs)
    p64 = sn.LIFParameters(*(f.double() if isinstance(f, torch.Tensor) else f for f in sn.LIFParameters()))
    ref_out, ref_state = loop(
        sn.lif_feed_forward_step,
        xs,
        lif_init((B, N)).__class__(
            torch.zeros(B, N, dtype=torch.float64), torch.zeros(B, N, dtype=torch.float64)
        ),
        sn.LIFParameters(),
    )
    assert state.v.dtype == torch.float64
    assert torch.equal(out, ref_out) and torch.equal(state.v, ref_state.v)
    assert p64.tau_mem_inv.dtype == torch.float64


def test_initial_values_are_the_models_rest_values() -> None:
    x = torch.zeros(2, 3)
    p = sn.LIFParameters(v_leak=torch.tensor(-0.5))
    assert torch.equal(sn.LIFCell(p).initial_state(x).v, torch.full((2, 3), -0.5))
    lsnn = sn.LSNNCell(sn.LSNNParameters(v_th=torch.tensor(0.7))).initial_state(x)
    assert torch.equal(lsnn.b, torch.full((2, 3), 0.7))
    iaf = sn.IAFCell(sn.IAFParameters(v_reset=torch.tensor(-0.25))).initial_state(x)
    assert torch.equal(iaf.v, torch.full((2, 3), -0.25))
    izh = sn.IzhikevichCell(tonic_spiking).initial_state(x)
    assert torch.equal(izh.v, torch.full((2, 3), -70.0)) and torch.equal(izh.u, torch.full((2, 3), -14.0))


def test_per_neuron_parameters_fill_the_initial_state() -> None:
    v_leak = torch.tensor([0.0, 0.1, 0.2])
    state = sn.LIF(sn.LIFParameters(v_leak=v_leak)).initial_state(torch.zeros(4, 2, 3))
    assert torch.equal(state.v, v_leak.expand(2, 3))


def test_shared_default_tensors_never_require_grad() -> None:
    for module in (sn.IAFCell(), sn.IAF(), sn.LIFCell(), sn.LICell(), sn.IzhikevichCell(tonic_spiking)):
        x = torch.full((4, 2), 2.0)
        module(x)
    assert not sn.IAFParameters().v_reset.requires_grad
    assert not sn.LIFParameters().v_leak.requires_grad
    assert not tonic_spiking.s.v.requires_grad


def test_iaf_hand_derived_numbers() -> None:
    z, s = sn.IAF()(torch.full((6, 1), 0.4))
    # v: 0.4, 0.8, 1.2 -> spike, reset 0, 0.4, 0.8, 1.2 -> spike
    assert z.flatten().tolist() == [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    assert s.v.item() == 0.0


def test_lif_refrac_holds_for_rho_reset_steps() -> None:
    z, s = sn.LIFRefrac()(torch.full((14, 1), 200.0))
    assert z.flatten().nonzero().flatten().tolist() == [0, 6, 12]
    z, _ = sn.LIFRefrac(sn.LIFRefracParameters(rho_reset=torch.tensor(2.0)))(torch.full((8, 1), 200.0))
    assert z.flatten().nonzero().flatten().tolist() == [0, 3, 6]


def test_lif_first_step_by_hand() -> None:
    x = torch.tensor([[5.0, 15.0]])
    z, s = sn.LIFCell()(x)
    # j = x; v = 0 + 0.1 * j = [0.5, 1.5]; i = j * (1 - 0.2); the second neuron spikes and resets
    assert z.tolist() == [[0.0, 1.0]]
    assert torch.allclose(s.v, torch.tensor([[0.5, 0.0]]))
    assert torch.allclose(s.i, torch.tensor([[4.0, 12.0]]))


def test_izhikevich_layer_equals_step_loop() -> None:
    xs = torch.full((300, 2), 10.0)
    out, state = sn.Izhikevich(tonic_spiking)(xs)
    init = sn.IzhikevichState(torch.full((2,), -70.0), torch.full((2,), -14.0))
    ref_out, ref_state = loop(sn.izhikevich_feed_forward_step, xs, init, tonic_spiking.p)
    assert out.sum() > 0
    assert torch.equal(out, ref_out) and torch.equal(state.v, ref_state.v)


RECURRENT = {
    "lif": (sn.LIFRecurrent, sn.LIFRecurrentCell, {}),
    "lif_adex": (sn.LIFAdExRecurrent, sn.LIFAdExRecurrentCell, {}),
    "lif_ex": (sn.LIFExRecurrent, sn.LIFExRecurrentCell, {}),
    "lif_refrac": (sn.LIFRefracRecurrent, sn.LIFRefracRecurrentCell, {}),
    "lsnn": (sn.LSNNRecurrent, sn.LSNNRecurrentCell, {}),
    "izhikevich": (sn.IzhikevichRecurrent, sn.IzhikevichRecurrentCell, {"spiking_method": tonic_spiking}),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_layer_equals_cell_loop(name: str) -> None:
    layer_cls, cell_cls, kw = RECURRENT[name]
    torch.manual_seed(0)
    layer = layer_cls(N, 4, **kw)
    cell = cell_cls(
        N,
        4,
        input_weights=layer.input_weights,
        recurrent_weights=layer.recurrent_weights,
        **kw,
    )
    xs = drive(3.0 if name != "izhikevich" else 30.0, seed=2)
    out, state = layer(xs)
    s, outs = None, []
    for x in xs:
        z, s = cell(x, s)
        outs.append(z)
    assert out.shape == (T, B, 4)
    assert torch.equal(out, torch.stack(outs))
    assert_states_equal(state, s)


def test_lif_recurrent_cell_equals_lif_step_by_hand() -> None:
    torch.manual_seed(0)
    cell = sn.LIFRecurrentCell(N, 4)
    xs = drive(3.0, seed=4)
    state = sn.LIFState(torch.zeros(B, 4), torch.zeros(B, 4), torch.zeros(B, 4))
    ref = state
    s = None
    for x in xs:
        z, s = cell(x, s)
        zr, ref = sn.lif_step(x, ref, cell.input_weights, cell.recurrent_weights, sn.LIFParameters())
        assert torch.equal(z, zr)
    assert_states_equal(s, ref)


def test_mc_cells_draw_coupling_after_weights_and_use_it() -> None:
    torch.manual_seed(3)
    cell = sn.LIFMCRecurrentCell(2, 3)
    torch.manual_seed(3)
    torch.randn(3, 2), torch.randn(3, 3)
    g = torch.randn(3, 3) / 3**0.5
    assert torch.equal(cell.g_coupling.detach(), g)
    x = torch.rand(4, 2) * 3
    z, s = cell(x)
    st = sn.LIFState(torch.zeros(4, 3), torch.zeros(4, 3), torch.zeros(4, 3))
    zr, sr = sn.lif_mc_step(
        x, st, cell.input_weights, cell.recurrent_weights, cell.g_coupling, sn.LIFParameters()
    )
    assert torch.equal(z, zr) and torch.equal(s.v, sr.v)
    refrac = sn.LIFMCRefracRecurrentCell(2, 3)
    z, s = refrac(x)
    assert s.rho.shape == (4, 3) and s.lif.v.shape == (4, 3)


def test_coba_cell_and_li_linear_cell_numbers() -> None:
    torch.manual_seed(0)
    coba = sn.CobaLIFCell(2, 3)
    torch.manual_seed(0)
    assert torch.equal(coba.input_weights.detach(), torch.randn(3, 2) / 2**0.5)
    assert torch.equal(coba.recurrent_weights.detach(), torch.randn(3, 3) / 3**0.5)
    x = torch.rand(4, 2)
    z, s = coba(x)
    zeros = torch.zeros(4, 3)
    zr, sr = sn.coba_lif_step(
        x,
        sn.CobaLIFState(zeros, zeros, zeros, zeros),
        coba.input_weights,
        coba.recurrent_weights,
        sn.CobaLIFParameters(),
    )
    assert torch.equal(s.v, sr.v) and torch.equal(s.g_e, sr.g_e)
    torch.manual_seed(1)
    li = sn.LILinearCell(2, 3)
    torch.manual_seed(1)
    assert torch.equal(li.input_weights.detach(), torch.randn(3, 2) / 2**0.5)
    v, s = li(x)
    vr, _ = sn.li_step(x, sn.LIState(zeros, zeros), li.input_weights, sn.LIParameters())
    assert torch.equal(v, vr)


# --- adjoint -------------------------------------------------------------------------------------


def adjoint_grads(module, xs):
    xs = xs.clone().requires_grad_(True)
    out, state = module(xs)
    (out.sum() + state.v.sum() if hasattr(state, "v") else out.sum() + state.lif.v.sum()).backward()
    return out, xs.grad


def test_lif_adjoint_method_works_and_matches_forward_values() -> None:
    xs = drive(300.0, seed=5)
    out_adj, grad_adj = adjoint_grads(sn.LIF(sn.LIFParameters(method="adjoint")), xs)
    out_sur, grad_sur = adjoint_grads(sn.LIF(), xs)
    assert torch.equal(out_adj, out_sur)
    assert grad_adj is not None and torch.isfinite(grad_adj).all()
    assert not torch.equal(grad_adj, grad_sur)  # a different (event-based) backward pass
    # same gradient as looping the adjoint step function by hand
    x2 = xs.clone().requires_grad_(True)
    zs, s = loop(lif_feed_forward_adjoint_step, x2, lif_init((B, N)), sn.LIFParameters())
    (zs.sum() + s.v.sum()).backward()
    assert torch.equal(grad_adj, x2.grad)
    # the cell too
    cell = sn.LIFCell(sn.LIFParameters(method="adjoint"))
    z, _ = cell(xs[0])
    assert torch.equal(z, out_sur[0])
    assert cell.p.method == "adjoint"


def test_lif_refrac_adjoint_method_works() -> None:
    xs = drive(300.0, seed=6)
    p_adj = sn.LIFRefracParameters(sn.LIFParameters(method="adjoint"))
    out_adj, grad_adj = adjoint_grads(sn.LIFRefrac(p_adj), xs)
    out_sur, _ = adjoint_grads(sn.LIFRefrac(), xs)
    assert torch.equal(out_adj, out_sur)
    x2 = xs.clone().requires_grad_(True)
    init = sn.LIFRefracFeedForwardState(lif_init((B, N)), torch.zeros(B, N))
    zs, s = loop(lif_refrac_feed_forward_adjoint_step, x2, init, sn.LIFRefracParameters())
    (zs.sum() + s.lif.v.sum()).backward()
    assert torch.equal(grad_adj, x2.grad)
    z, _ = sn.LIFRefracCell(p_adj)(xs[0])
    assert torch.equal(z, out_sur[0])


def test_lsnn_adjoint_flag() -> None:
    xs = drive(300.0, seed=7)
    out_adj, grad_adj = adjoint_grads(sn.LSNN(adjoint=True), xs)
    out_sur, _ = adjoint_grads(sn.LSNN(), xs)
    assert torch.equal(out_adj, out_sur)
    x2 = xs.clone().requires_grad_(True)
    init = sn.LSNNFeedForwardState(torch.zeros(B, N), torch.zeros(B, N), torch.ones(B, N))
    zs, s = loop(lsnn_feed_forward_adjoint_step, x2, init, sn.LSNNParameters())
    (zs.sum() + s.v.sum()).backward()
    assert torch.equal(grad_adj, x2.grad)


def test_recurrent_lif_adjoint() -> None:
    if not hasattr(sn, "lif_adjoint_step"):
        with pytest.raises(ValueError, match="lif_adjoint_step"):
            sn.LIFRecurrent(N, 4, sn.LIFParameters(method="adjoint"))
        return
    torch.manual_seed(0)
    layer = sn.LIFRecurrent(N, 4, sn.LIFParameters(method="adjoint"))
    torch.manual_seed(0)
    ref = sn.LIFRecurrent(N, 4)
    xs = drive(3.0, seed=8)
    assert torch.equal(layer(xs)[0], ref(xs)[0])


def test_invalid_parameters_raise_at_construction() -> None:
    with pytest.raises(ValueError, match="tau_mem_inv"):
        sn.LIF(sn.LIFParameters(tau_mem_inv=torch.tensor(-1.0)))
    with pytest.raises(ValueError, match="method"):
        sn.LIFCell(sn.LIFParameters(method="no-such-surrogate"))
    with pytest.raises(ValueError, match="tau_syn_inv"):
        sn.LIFRefracRecurrentCell(
            2, 3, sn.LIFRefracParameters(sn.LIFParameters(tau_syn_inv=torch.tensor(-2.0)))
        )
    with pytest.raises(TypeError, match="spiking_method"):
        sn.IzhikevichCell(sn.LIFParameters())  # type: ignore[arg-type]


def test_lif_modules_accept_python_numbers_as_parameters() -> None:
    p = sn.LIFParameters(tau_mem_inv=100.0, v_th=1.0)  # type: ignore[arg-type]
    layer = sn.LIF(p)
    assert isinstance(layer.p.tau_mem_inv, torch.Tensor)
    xs = drive(300.0)
    assert torch.equal(layer(xs)[0], sn.LIF()(xs)[0])


def test_sparse_inputs_use_the_sparse_steps_with_the_same_numbers() -> None:
    xs = (drive(1.0, seed=11) > 0.5).float() * 200
    z_dense, s_dense = sn.LIF()(xs)
    z_sparse, s_sparse = sn.LIF()(xs.to_sparse())
    assert z_sparse.is_sparse
    assert torch.equal(z_sparse.to_dense(), z_dense) and torch.equal(s_sparse.v, s_dense.v)
    torch.manual_seed(0)
    layer = sn.LIFRecurrent(N, 4)
    z_rec, _ = layer(xs)
    z_rec_sparse, _ = layer(xs.to_sparse())
    assert torch.equal(z_rec_sparse.to_dense(), z_rec)


def test_integer_spike_input_gets_default_float_states() -> None:
    xs = (drive(1.0, seed=12) > 0.5).long()
    z, s = sn.LIF()(xs)
    assert s.v.dtype == torch.get_default_dtype()
    ref, _ = sn.LIF()(xs.float())
    assert torch.equal(z, ref)


def test_leaky_integrator_modules_pass_gradcheck_in_float64() -> None:
    xs = drive(3.0, seed=13, shape=(6, 2, 3), dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: sn.LI()(x)[0], (xs,))
    assert torch.autograd.gradcheck(lambda x: sn.LICell()(x)[1].i, (xs[0],))
    torch.manual_seed(0)
    readout = sn.LILinearCell(3, 2).double()
    assert torch.autograd.gradcheck(lambda x: readout(x)[0], (xs[0],))
