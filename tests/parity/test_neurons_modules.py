"""snn-neurons' module wrappers against Norse 1.1.0's modules.

Outputs and every state field are compared bit for bit (``torch.equal``) over many steps with
inputs strong enough to spike and reset; gradients (input, weights) with tight tolerances. Gradients
need the same surrogate: Norse 1.1.0's ``super`` ignores ``alpha`` while ours uses it (DESIGN
decision), so gradient cases use ``super`` with ``alpha=1`` or ``tanh``. Recurrent modules drawn
under the same seed must hold the same weights. Decided deviations are checked against their own
behaviour: ``method="adjoint"`` works (Norse raised), ``SequentialState`` returns a fresh state list
(Norse 1.1.0 mutated the caller's), ``CobaLIFCell`` feeds its input (Norse discarded it).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

norse = pytest.importorskip("norse")
nt = pytest.importorskip("norse.torch")
norse_snn = pytest.importorskip("norse.torch.module.snn")
norse_izh = pytest.importorskip("norse.torch.functional.izhikevich")
norse_lif_adjoint = pytest.importorskip("norse.torch.functional.adjoint.lif_adjoint")

import snn_neurons as sn  # noqa: E402

T, B, N, H = 60, 3, 5, 4
METHODS = [("super", 1.0), ("tanh", 2.0)]


def drive(scale: float, seed: int = 0, shape: tuple[int, ...] = (T, B, N)) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g) * 2 - 0.5) * scale


def assert_state_equal(ours: Any, theirs: Any, where: str = "state") -> None:
    assert ours._fields == theirs._fields, where
    for field, a, b in zip(ours._fields, ours, theirs):
        if isinstance(a, tuple):
            assert_state_equal(a, b, f"{where}.{field}")
        else:
            b = torch.as_tensor(b).expand_as(a)  # Norse may keep a 0-dim field that never changed
            assert torch.equal(a.detach(), b.detach()), f"{where}.{field}"


def norse_params(ours: Any, theirs_cls: Any) -> Any:
    """The same parameter values as a Norse NamedTuple (recursing into nested parameters)."""
    values = []
    for v in ours:
        if isinstance(v, tuple) and hasattr(v, "_fields"):
            values.append(norse_params(v, type(theirs_cls().lif)))
        else:
            # a copy: Norse's IAF modules set requires_grad on the parameter tensor they are given
            values.append(v.clone() if isinstance(v, torch.Tensor) else v)
    return theirs_cls(*values)


def run_with_grad(
    module: torch.nn.Module, xs: torch.Tensor, time_layer: bool
) -> tuple[Any, Any, torch.Tensor]:
    xs = xs.clone().requires_grad_(True)
    if time_layer:
        out, state = module(xs)
    else:
        state, outs = None, []
        for x in xs.unbind(0):
            o, state = module(x, state)
            outs.append(o)
        out = torch.stack(outs)
    v = state.v if hasattr(state, "v") else state.lif.v
    (out.sum() + (v * 0.5).sum()).backward()
    return out.detach(), state, xs.grad


FEED_FORWARD = {
    # name: (our module, norse module, our params(method, alpha), norse params class, input scale)
    "LIF": (
        sn.LIF,
        nt.LIF,
        lambda m, a: sn.LIFParameters(method=m, alpha=torch.as_tensor(a)),
        nt.LIFParameters,
        300,
    ),
    "LIFCell": (
        sn.LIFCell,
        nt.LIFCell,
        lambda m, a: sn.LIFParameters(method=m, alpha=torch.as_tensor(a)),
        nt.LIFParameters,
        300,
    ),
    "LI": (sn.LI, nt.LI, None, None, 300),
    "LICell": (sn.LICell, nt.LICell, None, None, 300),
    "LIBoxCell": (sn.LIBoxCell, nt.LIBoxCell, None, None, 300),
    "LIFAdEx": (
        sn.LIFAdEx,
        nt.LIFAdEx,
        lambda m, a: sn.LIFAdExParameters(method=m, alpha=a),
        nt.LIFAdExParameters,
        300,
    ),
    "LIFAdExCell": (
        sn.LIFAdExCell,
        nt.LIFAdExCell,
        lambda m, a: sn.LIFAdExParameters(method=m, alpha=a),
        nt.LIFAdExParameters,
        300,
    ),
    "LIFEx": (
        sn.LIFEx,
        nt.LIFEx,
        lambda m, a: sn.LIFExParameters(method=m, alpha=a),
        nt.LIFExParameters,
        300,
    ),
    "LIFExCell": (
        sn.LIFExCell,
        nt.LIFExCell,
        lambda m, a: sn.LIFExParameters(method=m, alpha=a),
        nt.LIFExParameters,
        300,
    ),
    "LSNN": (sn.LSNN, nt.LSNN, lambda m, a: sn.LSNNParameters(method=m, alpha=a), nt.LSNNParameters, 300),
    "LSNNCell": (
        sn.LSNNCell,
        nt.LSNNCell,
        lambda m, a: sn.LSNNParameters(method=m, alpha=a),
        nt.LSNNParameters,
        300,
    ),
    "LIFRefracCell": (
        sn.LIFRefracCell,
        nt.LIFRefracCell,
        lambda m, a: sn.LIFRefracParameters(sn.LIFParameters(method=m, alpha=torch.as_tensor(a))),
        nt.LIFRefracParameters,
        300,
    ),
    "LIFBoxCell": (
        sn.LIFBoxCell,
        nt.LIFBoxCell,
        lambda m, a: sn.LIFBoxParameters(method=m, alpha=torch.as_tensor(a)),
        nt.LIFBoxParameters,
        30,
    ),
    "IAFCell": (
        sn.IAFCell,
        nt.IAFCell,
        lambda m, a: sn.IAFParameters(method=m, alpha=torch.as_tensor(a)),
        nt.IAFParameters,
        1,
    ),
    "IAF": (
        sn.IAF,
        nt.IAF,
        lambda m, a: sn.IAFParameters(method=m, alpha=torch.as_tensor(a)),
        nt.IAFParameters,
        1,
    ),
}


NON_SPIKING = ("LI", "LICell", "LIBoxCell")  # their output is the voltage


def _build(name: str, method: str | None, alpha: float | None) -> tuple[torch.nn.Module, torch.nn.Module]:
    ours_cls, theirs_cls, make_p, norse_p_cls, _ = FEED_FORWARD[name]
    if make_p is None or method is None:
        return ours_cls(), theirs_cls()
    p = make_p(method, alpha)
    return ours_cls(p), theirs_cls(norse_params(p, norse_p_cls))


@pytest.mark.parametrize("name", sorted(FEED_FORWARD))
def test_feed_forward_module_outputs_and_states_are_bitwise_equal(name: str) -> None:
    ours, theirs = _build(name, None, None)
    xs = drive(FEED_FORWARD[name][4])
    time_layer = not name.endswith("Cell")
    with torch.no_grad():
        if time_layer:
            out_o, s_o = ours(xs)
            out_t, s_t = theirs(xs)
        else:
            s_o = s_t = None
            outs_o, outs_t = [], []
            for x in xs:
                o, s_o = ours(x, s_o)
                t, s_t = theirs(x, s_t)
                outs_o.append(o)
                outs_t.append(t)
            out_o, out_t = torch.stack(outs_o), torch.stack(outs_t)
    if name not in NON_SPIKING:
        assert 0 < out_o.sum() < out_o.numel()  # spikes and silences
    assert torch.equal(out_o, out_t)
    assert_state_equal(s_o, s_t)


@pytest.mark.parametrize(("method", "alpha"), METHODS)
@pytest.mark.parametrize("name", sorted(n for n in FEED_FORWARD if FEED_FORWARD[n][2] is not None))
def test_feed_forward_module_gradients_match(name: str, method: str, alpha: float) -> None:
    ours, theirs = _build(name, method, alpha)
    xs = drive(FEED_FORWARD[name][4], seed=1)
    time_layer = not name.endswith("Cell")
    out_o, _, g_o = run_with_grad(ours, xs, time_layer)
    out_t, _, g_t = run_with_grad(theirs, xs, time_layer)
    assert torch.equal(out_o, out_t)
    torch.testing.assert_close(g_o, g_t, rtol=1e-5, atol=1e-6)


def test_leaky_integrator_gradients_match() -> None:
    xs = drive(300, seed=2)
    for ours, theirs, layer in ((sn.LI(), nt.LI(), True), (sn.LICell(), nt.LICell(), False)):
        out_o, _, g_o = run_with_grad(ours, xs, layer)
        out_t, _, g_t = run_with_grad(theirs, xs, layer)
        assert torch.equal(out_o, out_t)
        torch.testing.assert_close(g_o, g_t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("preset", ["tonic_spiking", "phasic_bursting", "accomodation", "dap"])
def test_izhikevich_modules_match(preset: str) -> None:
    ours_b = getattr(sn, preset)
    theirs_b = getattr(norse_izh, preset)
    xs = torch.full((300, 2, 3), 10.0) + drive(5.0, shape=(300, 2, 3))
    with torch.no_grad():
        out_o, s_o = sn.Izhikevich(ours_b)(xs)
        out_t, s_t = nt.Izhikevich(theirs_b)(xs)
        assert out_o.sum() > 0
        assert torch.equal(out_o, out_t)
        assert_state_equal(s_o, s_t)
        cell_o, cell_t = sn.IzhikevichCell(ours_b), nt.IzhikevichCell(theirs_b)
        so = st = None
        for x in xs[:50]:
            zo, so = cell_o(x, so)
            zt, st = cell_t(x, st)
            assert torch.equal(zo, zt)
        assert_state_equal(so, st)


RECURRENT = {
    # name: (ours, theirs, p(method, alpha) -> (our p, norse p) or None, input scale)
    "LIFRecurrentCell": (sn.LIFRecurrentCell, nt.LIFRecurrentCell, "lif", 3.0),
    "LIFRecurrent": (sn.LIFRecurrent, nt.LIFRecurrent, "lif", 3.0),
    "LIFAdExRecurrentCell": (sn.LIFAdExRecurrentCell, nt.LIFAdExRecurrentCell, "adex", 3.0),
    "LIFAdExRecurrent": (sn.LIFAdExRecurrent, nt.LIFAdExRecurrent, "adex", 3.0),
    "LIFExRecurrentCell": (sn.LIFExRecurrentCell, nt.LIFExRecurrentCell, "ex", 3.0),
    "LIFExRecurrent": (sn.LIFExRecurrent, nt.LIFExRecurrent, "ex", 3.0),
    "LIFRefracRecurrentCell": (sn.LIFRefracRecurrentCell, nt.LIFRefracRecurrentCell, "refrac", 3.0),
    "LIFRefracRecurrent": (sn.LIFRefracRecurrent, nt.LIFRefracRecurrent, "refrac", 3.0),
    "LSNNRecurrentCell": (sn.LSNNRecurrentCell, nt.LSNNRecurrentCell, "lsnn", 30.0),
    "LSNNRecurrent": (sn.LSNNRecurrent, nt.LSNNRecurrent, "lsnn", 30.0),
    "LIFMCRecurrentCell": (sn.LIFMCRecurrentCell, nt.LIFMCRecurrentCell, "lif", 3.0),
    "LIFMCRefracRecurrentCell": (sn.LIFMCRefracRecurrentCell, nt.LIFMCRefracRecurrentCell, "refrac", 3.0),
}


def recurrent_params(kind: str, method: str, alpha: float) -> tuple[Any, Any]:
    a = torch.as_tensor(alpha)
    if kind == "lif":
        return sn.LIFParameters(method=method, alpha=a), nt.LIFParameters(method=method, alpha=a)
    if kind == "refrac":
        return (
            sn.LIFRefracParameters(sn.LIFParameters(method=method, alpha=a)),
            nt.LIFRefracParameters(nt.LIFParameters(method=method, alpha=a)),
        )
    if kind == "adex":
        return sn.LIFAdExParameters(method=method, alpha=alpha), nt.LIFAdExParameters(
            method=method, alpha=alpha
        )
    if kind == "ex":
        return sn.LIFExParameters(method=method, alpha=alpha), nt.LIFExParameters(method=method, alpha=alpha)
    return sn.LSNNParameters(method=method, alpha=alpha), nt.LSNNParameters(method=method, alpha=alpha)


def _pair(name: str, method: str = "super", alpha: float = 100.0, **kw: Any):
    ours_cls, theirs_cls, kind, _ = RECURRENT[name]
    p_o, p_t = recurrent_params(kind, method, alpha)
    torch.manual_seed(1234)
    ours = ours_cls(N, H, p_o, **kw)
    torch.manual_seed(1234)
    theirs = theirs_cls(N, H, p_t, **kw)
    return ours, theirs


@pytest.mark.parametrize("autapses", [False, True])
@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_same_seed_same_weights(name: str, autapses: bool) -> None:
    ours, theirs = _pair(name, autapses=autapses)
    names_o = dict(ours.named_parameters())
    names_t = dict(theirs.named_parameters())
    assert sorted(names_o) == sorted(names_t)
    for key, value in names_t.items():
        assert torch.equal(names_o[key].detach(), value.detach()), key
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())


def _run_recurrent(module, xs, time_layer):
    if time_layer:
        return module(xs)
    state, outs = None, []
    for x in xs.unbind(0):
        o, state = module(x, state)
        outs.append(o)
    return torch.stack(outs), state


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_outputs_and_states_are_bitwise_equal(name: str) -> None:
    ours, theirs = _pair(name)
    xs = drive(RECURRENT[name][3], seed=3)
    time_layer = not name.endswith("Cell")
    with torch.no_grad():
        out_o, s_o = _run_recurrent(ours, xs, time_layer)
        out_t, s_t = _run_recurrent(theirs, xs, time_layer)
    assert 0 < out_o.sum() < out_o.numel()
    assert torch.equal(out_o, out_t)
    assert_state_equal(s_o, s_t)


@pytest.mark.parametrize(("method", "alpha"), METHODS)
@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_gradients_match(name: str, method: str, alpha: float) -> None:
    ours, theirs = _pair(name, method, alpha)
    xs = drive(RECURRENT[name][3], seed=4)
    time_layer = not name.endswith("Cell")
    grads = []
    for module in (ours, theirs):
        x = xs.clone().requires_grad_(True)
        out, state = _run_recurrent(module, x, time_layer)
        v = state.v if hasattr(state, "v") else state.lif.v
        (out.sum() + (v * 0.5).sum()).backward()
        grads.append((out.detach(), x.grad, module.input_weights.grad, module.recurrent_weights.grad))
    (o1, gx1, gi1, gr1), (o2, gx2, gi2, gr2) = grads
    assert torch.equal(o1, o2)
    torch.testing.assert_close(gx1, gx2, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(gi1, gi2, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(gr1, gr2, rtol=1e-5, atol=1e-6)
    assert torch.equal(torch.diagonal(gr1), torch.zeros(H))


def test_izhikevich_recurrent_same_weights_and_numbers() -> None:
    for ours_cls, theirs_cls, layer in (
        (sn.IzhikevichRecurrentCell, nt.IzhikevichRecurrentCell, False),
        (sn.IzhikevichRecurrent, nt.IzhikevichRecurrent, True),
    ):
        torch.manual_seed(5)
        ours = ours_cls(N, H, sn.tonic_spiking)
        torch.manual_seed(5)
        theirs = theirs_cls(N, H, norse_izh.tonic_spiking)
        assert torch.equal(ours.input_weights.detach(), theirs.input_weights.detach())
        assert torch.equal(ours.recurrent_weights.detach(), theirs.recurrent_weights.detach())
        xs = drive(30.0, seed=6, shape=(200, B, N))
        with torch.no_grad():
            out_o, s_o = _run_recurrent(ours, xs, layer)
            out_t, s_t = _run_recurrent(theirs, xs, layer)
        assert out_o.sum() > 0
        assert torch.equal(out_o, out_t)
        assert_state_equal(s_o, s_t)


def _li_box_parameters(norse_cls: Any) -> Any:
    """Per-neuron trainable rates and a non-zero leak, as snn's and Norse's ``LIBoxParameters``."""
    tau = torch.nn.Parameter(torch.linspace(40.0, 600.0, N))
    return norse_cls(tau_mem_inv=tau, v_leak=torch.tensor(-0.3))


@pytest.mark.parametrize("dt", [0.001, 0.0004])
def test_li_box_cell_and_layer_match_norse_cell_with_gradients(dt: float) -> None:
    xs = drive(3.0, seed=21)
    p_o, p_t = _li_box_parameters(sn.LIBoxParameters), _li_box_parameters(nt.LIBoxParameters)
    reference = nt.LIBoxCell(p_t, dt=dt)
    out_t, s_t, g_t = run_with_grad(reference, xs, False)
    (gp_t,) = torch.autograd.grad(
        (reference(xs[0])[0] * torch.arange(N)).sum(), p_t.tau_mem_inv
    )  # a second, independent gradient of the rates
    # Norse 1.1.0 has no LIBox layer: ours must equal looping Norse's cell
    for ours, time_layer in ((sn.LIBoxCell(p_o, dt=dt), False), (sn.LIBox(p_o, dt=dt), True)):
        out_o, s_o, g_o = run_with_grad(ours, xs, time_layer)
        assert torch.equal(out_o, out_t)
        assert_state_equal(s_o, s_t)
        assert torch.equal(g_o, g_t)
        first = ours(xs[:1])[0][0] if time_layer else ours(xs[0])[0]
        (gp_o,) = torch.autograd.grad((first * torch.arange(N)).sum(), p_o.tau_mem_inv)
        assert torch.equal(gp_o, gp_t)
    assert out_o.abs().max() > 1.0  # the voltages moved


def test_li_box_cell_default_parameters_and_record_states_match_norse() -> None:
    xs = drive(5.0, seed=22)
    cell_t = nt.LIBoxCell()
    s_t, outs_t, vs_t = None, [], []
    with torch.no_grad():
        for x in xs:
            o, s_t = cell_t(x, s_t)
            outs_t.append(o)
            vs_t.append(s_t.v)
        out_o, states = sn.LIBox(record_states=True)(xs)
    assert torch.equal(out_o, torch.stack(outs_t))
    assert torch.equal(states.v, torch.stack(vs_t))


def test_li_linear_cell_matches() -> None:
    torch.manual_seed(8)
    ours = sn.LILinearCell(N, H)
    torch.manual_seed(8)
    theirs = nt.LILinearCell(N, H)
    assert torch.equal(ours.input_weights.detach(), theirs.input_weights.detach())
    xs = drive(3.0, seed=7)
    out_o, s_o, g_o = run_with_grad(ours, xs, False)
    out_t, s_t, g_t = run_with_grad(theirs, xs, False)
    assert torch.equal(out_o, out_t)
    assert_state_equal(s_o, s_t)
    torch.testing.assert_close(g_o, g_t, rtol=1e-5, atol=1e-6)


def test_coba_lif_cell_same_weights_and_input_now_drives_it() -> None:
    torch.manual_seed(9)
    ours = sn.CobaLIFCell(N, H)
    torch.manual_seed(9)
    theirs = nt.CobaLIFCell(N, H)
    assert torch.equal(ours.input_weights.detach(), theirs.input_weights.detach())
    assert torch.equal(ours.recurrent_weights.detach(), theirs.recurrent_weights.detach())
    x = drive(3.0, seed=8)[0].abs()
    with torch.no_grad():
        _, s_o = ours(x)
        _, s_t = theirs(x)
    # decided deviation: Norse 1.1.0's recurrent coba step discards the input (g_e stays 0)
    assert torch.equal(s_t.g_e, torch.zeros(B, H))
    assert s_o.g_e.abs().sum() > 0
    zeros = torch.zeros(B, H)
    ref = sn.coba_lif_step(
        x, sn.CobaLIFState(zeros, zeros, zeros, zeros), ours.input_weights, ours.recurrent_weights, ours.p
    )[1]
    assert torch.equal(s_o.g_e, ref.g_e) and torch.equal(s_o.v, ref.v)


def test_record_states_matches_norse() -> None:
    xs = drive(300, seed=9)
    with torch.no_grad():
        out_o, s_o = sn.LIF(record_states=True)(xs)
        out_t, s_t = nt.LIF(record_states=True)(xs)
        assert torch.equal(out_o, out_t)
        assert_state_equal(s_o, s_t)
        torch.manual_seed(2)
        r_o = sn.LIFRefracRecurrent(N, H, record_states=True)
        torch.manual_seed(2)
        r_t = nt.LIFRefracRecurrent(N, H, record_states=True)
        out_o, s_o = r_o(drive(3.0))
        out_t, s_t = r_t(drive(3.0))
        assert s_o.rho.shape == (T, B, H)
        assert torch.equal(out_o, out_t)
        assert_state_equal(s_o, s_t)


# --- adjoint --------------------------------------------------------------------------------------


def test_lsnn_adjoint_flag_matches_norse() -> None:
    xs = drive(300, seed=10)
    out_o, _, g_o = run_with_grad(sn.LSNN(adjoint=True), xs, True)
    out_t, _, g_t = run_with_grad(nt.LSNN(adjoint=True), xs, True)
    assert torch.equal(out_o, out_t)
    torch.testing.assert_close(g_o, g_t, rtol=1e-5, atol=1e-6)


def test_lif_adjoint_method_works_where_norse_raised() -> None:
    xs = drive(300, seed=11)
    with pytest.raises(ValueError):
        nt.LIF(nt.LIFParameters(method="adjoint"))(xs)
    out_o, _, g_o = run_with_grad(sn.LIF(sn.LIFParameters(method="adjoint")), xs, True)
    # the fixed behaviour equals looping Norse's own adjoint step with a real threshold method
    x = xs.clone().requires_grad_(True)
    state = nt.LIFFeedForwardState(torch.zeros(B, N), torch.zeros(B, N))
    outs = []
    for x_t in x.unbind(0):
        z, state = norse_lif_adjoint.lif_feed_forward_adjoint_step(x_t, state, nt.LIFParameters())
        outs.append(z)
    out_t = torch.stack(outs)
    (out_t.sum() + (state.v * 0.5).sum()).backward()
    assert torch.equal(out_o, out_t.detach())
    torch.testing.assert_close(g_o, x.grad, rtol=1e-5, atol=1e-6)


# --- structural modules ---------------------------------------------------------------------------


def _twin_stacks():
    torch.manual_seed(3)
    lin1, lin2 = torch.nn.Linear(N, 6), torch.nn.Linear(6, 2)
    ours = sn.SequentialState(lin1, sn.LIFCell(), lin2, sn.LICell())
    theirs = nt.SequentialState(lin1, nt.LIFCell(), lin2, nt.LICell())
    return ours, theirs


def test_sequential_state_matches_norse_and_keeps_the_callers_list() -> None:
    ours, theirs = _twin_stacks()
    xs = drive(100.0, seed=12)
    s_o = s_t = None
    for x in xs[:20]:
        given_o = None if s_o is None else list(s_o)
        y_o, s_o_new = ours(x, given_o)
        y_t, s_t_new = theirs(x, s_t)
        assert torch.equal(y_o.detach(), y_t.detach())
        for a, b in zip(s_o_new, s_t_new):
            if a is None:
                continue  # main's behaviour: None for stateless layers
            assert_state_equal(a, b)
        if given_o is not None:
            assert s_o_new is not given_o and given_o == list(s_o)  # ours: caller's list untouched
            assert s_t_new is s_t  # Norse 1.1.0: the same list, modified in place
        s_o, s_t = s_o_new, s_t_new


def test_sequential_state_return_hidden_and_time_layers_match() -> None:
    torch.manual_seed(4)
    lin = torch.nn.Linear(N, 4)
    ours = sn.SequentialState(sn.Lift(lin), sn.LIF(), return_hidden=True)
    theirs = nt.SequentialState(nt.Lift(lin), nt.LIF(), return_hidden=True)
    xs = drive(300.0, seed=13)
    with torch.no_grad():
        h_o, s_o = ours(xs)
        h_t, s_t = theirs(xs)
    assert len(h_o) == len(h_t) == 2
    for a, b in zip(h_o, h_t):
        assert torch.equal(a, b)
    assert_state_equal(s_o[1], s_t[1])


def test_lift_matches_norse() -> None:
    xs = drive(300.0, seed=14)
    with torch.no_grad():
        out_o, s_o = sn.Lift(sn.LIFCell())(xs)
        out_t, s_t = nt.Lift(nt.LIFCell())(xs)
    assert torch.equal(out_o, out_t)
    assert_state_equal(s_o, s_t)


def test_recurrent_sequential_matches_norse() -> None:
    torch.manual_seed(5)
    lin = torch.nn.Linear(N, N)
    ours = sn.RecurrentSequential(lin, sn.LIFCell())
    theirs = nt.RecurrentSequential(lin, nt.LIFCell())
    xs = drive(100.0, seed=15)
    s_o = s_t = None
    with torch.no_grad():
        for x in xs[:15]:
            y_o, s_o = ours(x, s_o)
            y_t, s_t = theirs(x, s_t)
            assert torch.equal(y_o, y_t)
            assert torch.equal(s_o.cache, s_t.cache)


def test_regularization_cell_matches_norse() -> None:
    xs = drive(300.0, seed=16)
    cell_o, cell_t = sn.LIFCell(), nt.LIFCell()
    reg_o, reg_t = sn.RegularizationCell(), nt.RegularizationCell()
    s_o = s_t = None
    for x in xs[:30]:
        z_o, s_o = cell_o(x, s_o)
        z_t, s_t = cell_t(x, s_t)
        _, r_o = reg_o(z_o, s_o)
        _, r_t = reg_t(z_t, s_t)
    assert r_o.item() > 0
    assert torch.equal(r_o, r_t)
