"""Parity of snn_neurons' functional API with Norse 1.1.0 (``norse.torch``).

Every model runs 200 steps side by side on spiking inputs strong enough to fire and reset; each
step's output and every state field must be bitwise equal (``torch.equal``, NaN == NaN), and so
must the gradients with respect to the input (and the initial state, for the adjoint variants).

Gradient parity needs the same surrogate: Norse 1.1.0's ``super`` ignores ``alpha`` while ours
uses it (DESIGN decision), so gradients are compared for ``super`` with ``alpha=1`` and for the
surrogates without that difference (``tanh``, ``heavi_erfc``, ``circ``, ``triangle``).
Decided deviations (AdEx current encoder, recurrent CobaLIF input, ``lif_step_integral``) are
compared on the part that is unchanged; the package's unit tests check the fixed formulas.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

norse = pytest.importorskip("norse")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import norse.torch as nt
    import norse.torch.functional.izhikevich as nt_izhikevich
    from norse.torch.functional.adjoint.lif_adjoint import lif_adjoint_step as nt_lif_adjoint_step
    from norse.torch.functional.adjoint.lsnn_adjoint import lsnn_adjoint_step as nt_lsnn_adjoint_step
    from norse.torch.functional.lif import (
        lif_feed_forward_integral as nt_lif_feed_forward_integral,
    )
    from norse.torch.functional.lif import (
        lif_feed_forward_step_sparse as nt_lif_feed_forward_step_sparse,
    )
    from norse.torch.functional.lif import lif_step_integral as nt_lif_step_integral
    from norse.torch.functional.lif import lif_step_sparse as nt_lif_step_sparse
    from norse.torch.functional.lif_mc_refrac import (
        lif_mc_refrac_feed_forward_step as nt_lif_mc_refrac_feed_forward_step,
    )

import snn_core  # noqa: E402
import snn_neurons as sn  # noqa: E402

T = 200
N = 64

# (method, alpha) pairs whose gradients agree with Norse 1.1.0.
METHODS = [("super", 1.0), ("tanh", 2.0), ("heavi_erfc", 0.5), ("circ", 2.0), ("triangle", 0.3)]


# --------------------------------------------------------------------------------------------
# helpers


def to_norse(obj: Any) -> Any:
    """Our NamedTuple (state or parameters) as the Norse NamedTuple of the same name."""
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        cls = getattr(nt, type(obj).__name__)
        return cls(*(to_norse(v) for v in obj))
    if callable(obj) and getattr(obj, "__name__", "") in ("reset_value", "reset_subtract"):
        return getattr(nt, obj.__name__)
    return obj


def leaves(obj: Any) -> list[Any]:
    if isinstance(obj, tuple):
        return [leaf for v in obj for leaf in leaves(v)]
    return [obj]


def assert_same(ours: Any, theirs: Any, what: str = "") -> None:
    a_leaves, b_leaves = leaves(ours), leaves(theirs)
    assert len(a_leaves) == len(b_leaves), what
    for k, (a, b) in enumerate(zip(a_leaves, b_leaves)):
        if not isinstance(a, torch.Tensor):
            assert a == b, f"{what} field {k}"
            continue
        if a.is_sparse:
            a = a.to_dense()
        if b.is_sparse:
            b = b.to_dense()
        assert a.dtype == b.dtype, f"{what} field {k}: {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{what} field {k}: {a.shape} != {b.shape}"
        same = torch.equal(a, b) or torch.allclose(a, b, rtol=0, atol=0, equal_nan=True)
        if not same:
            diff = (a - b).abs().max().item()
            raise AssertionError(f"{what} field {k}: not bitwise equal (max diff {diff})")


def spikes(seed: int, amplitude: float, shape: tuple[int, ...] = (T, N), p: float = 0.3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g) < p).float() * amplitude


def run_pair(
    step_ours: Callable[..., Any],
    step_theirs: Callable[..., Any],
    xs: torch.Tensor,
    state: Any,
    *,
    grad: bool = True,
    state_grad: bool = False,
    min_spikes: int = 1,
    spiking: bool = True,
) -> None:
    """Run both step functions over ``xs``, comparing every step; then compare input gradients."""
    x_o = xs.clone().requires_grad_(grad)
    x_n = xs.clone().requires_grad_(grad)
    s_o = state
    s_n = to_norse(state)
    init_o = init_n = None
    if state_grad:
        init_o = [t.clone().requires_grad_(True) for t in leaves(state)]
        init_n = [t.clone().requires_grad_(True) for t in leaves(state)]
        s_o = rebuild(state, init_o)
        s_n = to_norse(rebuild(state, init_n))
    outs_o, outs_n = [], []
    for t, (a, b) in enumerate(zip(x_o.unbind(0), x_n.unbind(0))):
        z_o, s_o = step_ours(a, s_o)
        z_n, s_n = step_theirs(b, s_n)
        assert_same(z_o, z_n, f"output at step {t}")
        assert_same(s_o, s_n, f"state at step {t}")
        outs_o.append(z_o.to_dense() if z_o.is_sparse else z_o)
        outs_n.append(z_n.to_dense() if z_n.is_sparse else z_n)
    if spiking:
        total = int(torch.stack(outs_o).detach().sum())
        assert total >= min_spikes, f"only {total} spikes: the test input is too weak"
    if not grad:
        return
    g = torch.Generator().manual_seed(99)
    weights = torch.randn(len(outs_o), *outs_o[0].shape, generator=g)
    loss_o = (torch.stack(outs_o) * weights).sum()
    loss_n = (torch.stack(outs_n) * weights).sum()
    for a, b in zip(leaves(s_o), leaves(s_n)):
        if isinstance(a, torch.Tensor) and a.requires_grad:
            w = torch.randn(a.shape, generator=g)
            loss_o = loss_o + (a * w).sum()
            loss_n = loss_n + (b * w).sum()
    loss_o.backward()
    loss_n.backward()
    assert x_o.grad is not None
    assert_same(x_o.grad, x_n.grad, "input gradient")
    assert x_o.grad.abs().sum() > 0
    if state_grad:
        for a, b in zip(init_o, init_n):
            assert_same(a.grad, b.grad, "initial state gradient")


def rebuild(template: Any, tensors: list[torch.Tensor]) -> Any:
    it = iter(tensors)

    def build(obj: Any) -> Any:
        if isinstance(obj, tuple) and hasattr(obj, "_fields"):
            return type(obj)(*(build(v) for v in obj))
        return next(it)

    return build(template)


def zeros(n: int = N) -> torch.Tensor:
    return torch.zeros(n)


# --------------------------------------------------------------------------------------------
# feed-forward models: (name, our step, Norse step, initial state, parameters, input amplitude)


def lif_p(method: str = "super", alpha: float = 100.0) -> sn.LIFParameters:
    return sn.LIFParameters(method=method, alpha=torch.as_tensor(alpha))


G = torch.randn(N, N, generator=torch.Generator().manual_seed(5)) / N**0.5


FEED_FORWARD: dict[str, dict[str, Any]] = {
    "lif": dict(
        ours=sn.lif_feed_forward_step,
        theirs=nt.lif_feed_forward_step,
        state=lambda: sn.LIFFeedForwardState(zeros(), zeros()),
        p=lambda m, a: lif_p(m, a),
        amp=4.0,
    ),
    "iaf": dict(
        ours=sn.iaf_feed_forward_step,
        theirs=nt.iaf_feed_forward_step,
        state=lambda: sn.IAFFeedForwardState(zeros()),
        p=lambda m, a: sn.IAFParameters(method=m, alpha=torch.as_tensor(a)),
        amp=0.45,
    ),
    "li": dict(
        ours=sn.li_feed_forward_step,
        theirs=nt.li_feed_forward_step,
        state=lambda: sn.LIState(zeros(), zeros()),
        p=lambda m, a: sn.LIParameters(),
        amp=4.0,
        spiking=False,
    ),
    "lif_box": dict(
        ours=sn.lif_box_feed_forward_step,
        theirs=nt.lif_box_feed_forward_step,
        state=lambda: sn.LIFBoxFeedForwardState(zeros()),
        p=lambda m, a: sn.LIFBoxParameters(method=m, alpha=torch.as_tensor(a)),
        amp=40.0,
    ),
    "lif_box_subtract": dict(
        ours=sn.lif_box_feed_forward_step,
        theirs=nt.lif_box_feed_forward_step,
        state=lambda: sn.LIFBoxFeedForwardState(zeros()),
        p=lambda m, a: sn.LIFBoxParameters(
            method=m, alpha=torch.as_tensor(a), reset_method=sn.reset_subtract
        ),
        amp=40.0,
    ),
    "coba_lif": dict(
        ours=sn.coba_lif_feed_forward_step,
        theirs=nt.coba_lif_feed_forward_step,
        state=lambda: sn.CobaLIFFeedForwardState(torch.full((N,), -20.0), zeros(), zeros()),
        p=lambda m, a: sn.CobaLIFParameters(method=m, alpha=a),
        amp=40.0,
        signed=True,
    ),
    "lif_adex": dict(
        ours=sn.lif_adex_feed_forward_step,
        theirs=nt.lif_adex_feed_forward_step,
        state=lambda: sn.LIFAdExFeedForwardState(zeros(), zeros(), zeros()),
        p=lambda m, a: sn.LIFAdExParameters(method=m, alpha=a),
        amp=4.0,
    ),
    "lif_ex": dict(
        ours=sn.lif_ex_feed_forward_step,
        theirs=nt.lif_ex_feed_forward_step,
        state=lambda: sn.LIFExFeedForwardState(zeros(), zeros()),
        p=lambda m, a: sn.LIFExParameters(method=m, alpha=a),
        amp=4.0,
    ),
    "lif_refrac": dict(
        ours=sn.lif_refrac_feed_forward_step,
        theirs=nt.lif_refrac_feed_forward_step,
        state=lambda: sn.LIFRefracFeedForwardState(sn.LIFFeedForwardState(zeros(), zeros()), zeros()),
        p=lambda m, a: sn.LIFRefracParameters(lif_p(m, a)),
        amp=4.0,
    ),
    "lsnn": dict(
        ours=sn.lsnn_feed_forward_step,
        theirs=nt.lsnn_feed_forward_step,
        state=lambda: sn.LSNNFeedForwardState(zeros(), zeros(), torch.ones(N)),
        p=lambda m, a: sn.LSNNParameters(method=m, alpha=a),
        amp=4.0,
    ),
}


def _ff_cases() -> list[Any]:
    cases = []
    for name in FEED_FORWARD:
        cases.append(pytest.param(name, "default", id=f"{name}-default"))
        methods = METHODS if name == "lif" else METHODS[:2]
        for method, alpha in methods:
            cases.append(pytest.param(name, (method, alpha), id=f"{name}-{method}"))
    return cases


@pytest.mark.parametrize(("name", "method"), _ff_cases())
def test_feed_forward_step_matches_norse(name: str, method: Any) -> None:
    case = FEED_FORWARD[name]
    if method == "default":
        p = case["p"]("super", 100.0)
        p = type(p)() if name not in ("lif_box_subtract",) else p
        grad = False
    else:
        p = case["p"](*method)
        grad = True
    xs = spikes(1, case["amp"])
    if case.get("signed"):
        sign = torch.where(torch.rand(T, N, generator=torch.Generator().manual_seed(2)) < 0.3, -1.0, 1.0)
        xs = xs * sign
    p_n = to_norse(p)
    run_pair(
        lambda x, s: case["ours"](x, s, p),
        lambda x, s: case["theirs"](x, s, p_n),
        xs,
        case["state"](),
        grad=grad,
        min_spikes=50,
        spiking=case.get("spiking", True),
    )


@pytest.mark.parametrize(("method", "alpha"), METHODS[:2])
def test_lif_mc_feed_forward_matches_norse(method: str, alpha: float) -> None:
    p = lif_p(method, alpha)
    p_n = to_norse(p)
    run_pair(
        lambda x, s: sn.lif_mc_feed_forward_step(x, s, G, p),
        lambda x, s: nt.lif_mc_feed_forward_step(x, s, G, p_n),
        spikes(3, 4.0),
        sn.LIFFeedForwardState(zeros(), zeros()),
        min_spikes=50,
    )


@pytest.mark.parametrize(("method", "alpha"), METHODS[:2])
def test_lif_mc_refrac_feed_forward_matches_norse(method: str, alpha: float) -> None:
    p = sn.LIFRefracParameters(lif_p(method, alpha))
    p_n = to_norse(p)
    run_pair(
        lambda x, s: sn.lif_mc_refrac_feed_forward_step(x, s, G * 0.01, p),
        lambda x, s: nt_lif_mc_refrac_feed_forward_step(x, s, G * 0.01, p_n),
        spikes(4, 4.0),
        sn.LIFRefracFeedForwardState(sn.LIFFeedForwardState(zeros(), zeros()), zeros()),
        min_spikes=50,
    )


IZHIKEVICH_PRESETS = [
    "tonic_spiking",
    "accomodation",
    "dap",
    "class_1_exc",
    "inhibition_induced_bursting",
    "inhibition_induced_spiking",
]


@pytest.mark.parametrize("preset", IZHIKEVICH_PRESETS)
def test_izhikevich_preset_matches_norse(preset: str) -> None:
    ours = getattr(sn, preset)
    theirs = getattr(nt_izhikevich, preset)
    assert tuple(ours.p) == tuple(theirs.p)
    assert_same(ours.s.v.detach(), theirs.s.v.detach())
    assert_same(ours.s.u, theirs.s.u.detach())
    # drive: a constant current plus spikes, strong enough to fire (inhibition-induced: below 80)
    xs = (70.0 if preset.startswith("inhibition") else 10.0) + spikes(6, 5.0)
    full = sn.IzhikevichState(
        torch.full((N,), float(ours.s.v)), torch.full((N,), float(ours.s.u), dtype=torch.float32)
    )
    p = ours.p._replace(alpha=1.0)
    p_n = to_norse(p)
    run_pair(
        lambda x, s: sn.izhikevich_feed_forward_step(x, s, p),
        lambda x, s: nt.izhikevich_feed_forward_step(x, s, p_n),
        xs,
        full,
        min_spikes=1,
    )


def test_izhikevich_shared_preset_state_forward_matches_norse() -> None:
    """Starting from the shared 0-dim preset states (which broadcast) gives Norse's numbers."""
    xs = 10.0 + spikes(7, 5.0)
    s_o, s_n = sn.tonic_spiking.s, nt_izhikevich.tonic_spiking.s
    for x in xs.unbind(0):
        z_o, s_o = sn.izhikevich_feed_forward_step(x, s_o, sn.tonic_spiking.p)
        z_n, s_n = nt.izhikevich_feed_forward_step(x, s_n, nt_izhikevich.tonic_spiking.p)
        assert_same(z_o, z_n.detach())
        assert_same(tuple(s_o), tuple(t.detach() for t in s_n))
    assert not sn.tonic_spiking.s.v.requires_grad


ALL_PRESETS = [
    "tonic_spiking", "phasic_spiking", "tonic_bursting", "phasic_bursting", "mixed_mode",
    "spike_frequency_adaptation", "class_1_exc", "class_2_exc", "spike_latency", "subthreshold_oscillation",
    "resonator", "integrator", "rebound_spike", "rebound_burst", "threshold_variability", "bistability",
    "dap", "accomodation", "inhibition_induced_spiking", "inhibition_induced_bursting",
]  # fmt: skip


@pytest.mark.parametrize("name", ALL_PRESETS)
def test_every_izhikevich_preset_table_matches_norse(name: str) -> None:
    ours, theirs = getattr(sn, name), getattr(nt_izhikevich, name)
    assert tuple(ours.p) == tuple(theirs.p)
    assert_same(ours.s.v, theirs.s.v.detach())
    assert_same(ours.s.u, theirs.s.u.detach())


def test_create_izhikevich_spiking_behavior_matches_norse() -> None:
    ours = sn.create_izhikevich_spiking_behavior(0.02, 0.2, -65, 6, -70, -70, tau_inv=200)
    theirs = nt.create_izhikevich_spiking_behavior(0.02, 0.2, -65, 6, -70, -70, tau_inv=200)
    assert tuple(ours.p) == tuple(theirs.p)
    assert_same(ours.s.v.detach(), theirs.s.v.detach())
    assert_same(ours.s.u, theirs.s.u)
    assert ours.s.v.requires_grad == theirs.s.v.requires_grad


# --------------------------------------------------------------------------------------------
# LIF variants: integral, sparse, current encoders


def test_lif_feed_forward_integral_matches_norse() -> None:
    p = lif_p("super", 1.0)
    xs = spikes(8, 4.0)
    state = sn.LIFFeedForwardState(zeros(), zeros())
    x_o, x_n = xs.clone().requires_grad_(), xs.clone().requires_grad_()
    z_o, s_o = sn.lif_feed_forward_integral(x_o, state, p)
    z_n, s_n = nt_lif_feed_forward_integral(x_n, to_norse(state), to_norse(p))
    assert_same(z_o, z_n)
    assert_same(s_o, s_n)
    assert z_o.sum() > 50
    (z_o.sum() + s_o.v.sum()).backward()
    (z_n.sum() + s_n.v.sum()).backward()
    assert_same(x_o.grad, x_n.grad)


def test_lif_feed_forward_step_sparse_matches_norse() -> None:
    p = lif_p()
    run_pair(
        lambda x, s: sn.lif_feed_forward_step_sparse(x, s, p),
        lambda x, s: nt_lif_feed_forward_step_sparse(x, s, to_norse(p)),
        spikes(9, 4.0),
        sn.LIFFeedForwardState(zeros(), zeros()),
        grad=False,
        min_spikes=50,
    )


def test_lif_feed_forward_step_sparse_accepts_sparse_input() -> None:
    p = lif_p()
    s_o = sn.LIFFeedForwardState(zeros(), zeros())
    s_n = to_norse(s_o)
    for x in spikes(10, 4.0).unbind(0):
        z_o, s_o = sn.lif_feed_forward_step_sparse(x.to_sparse(), s_o, p)
        z_n, s_n = nt_lif_feed_forward_step_sparse(x.to_sparse(), s_n, to_norse(p))
        assert z_o.is_sparse
        assert_same(z_o, z_n)
        assert_same(s_o, s_n)


@pytest.mark.parametrize(("method", "alpha"), METHODS[:2])
def test_lif_current_encoder_matches_norse(method: str, alpha: float) -> None:
    p = lif_p(method, alpha)
    run_pair(
        lambda x, v: sn.lif_current_encoder(x, v, p),
        lambda x, v: nt.lif_current_encoder(x, v, to_norse(p)),
        1.5 + spikes(11, 20.0),
        zeros(),
        min_spikes=50,
    )


@pytest.mark.parametrize(("method", "alpha"), METHODS[:2])
def test_lif_ex_current_encoder_matches_norse(method: str, alpha: float) -> None:
    p = sn.LIFExParameters(method=method, alpha=alpha)
    run_pair(
        lambda x, v: sn.lif_ex_current_encoder(x, v, p),
        lambda x, v: nt.lif_ex_current_encoder(x, v, to_norse(p)),
        1.5 + spikes(12, 20.0),
        zeros(),
        min_spikes=50,
    )


def test_lif_adex_current_encoder_voltage_matches_norse_first_step() -> None:
    """The voltage and spike equations are Norse's; only the adaptation update is fixed."""
    x = 1.5 + spikes(13, 20.0)[0]
    v = torch.rand(N, generator=torch.Generator().manual_seed(1))
    a = torch.rand(N, generator=torch.Generator().manual_seed(2))
    z_o, v_o, a_o = sn.lif_adex_current_encoder(x, v, a)
    z_n, v_n, a_n = nt.lif_adex_current_encoder(x, v, a)
    assert_same(z_o, z_n)
    assert_same(v_o, v_n)
    assert not torch.equal(a_o, a_n)  # Norse 1.1.0's adaptation update is the documented bug


# --------------------------------------------------------------------------------------------
# adjoint variants


@pytest.mark.parametrize("sparse", [False, True])
def test_lif_feed_forward_adjoint_matches_norse(sparse: bool) -> None:
    ours = sn.lif_feed_forward_adjoint_step_sparse if sparse else sn.lif_feed_forward_adjoint_step
    theirs = nt.lif_feed_forward_adjoint_step_sparse if sparse else nt.lif_feed_forward_adjoint_step
    p = lif_p()
    run_pair(
        lambda x, s: ours(x, s, p),
        lambda x, s: theirs(x, s, to_norse(p)),
        spikes(14, 4.0),
        sn.LIFFeedForwardState(torch.rand(N) * 0.5, zeros()),
        state_grad=True,
        min_spikes=50,
    )


def test_lif_adjoint_forward_equals_plain_step() -> None:
    p = lif_p()
    s_a = s_p = sn.LIFFeedForwardState(zeros(), zeros())
    for x in spikes(15, 4.0).unbind(0):
        z_a, s_a = sn.lif_feed_forward_adjoint_step(x, s_a, p)
        z_p, s_p = sn.lif_feed_forward_step(x, s_p, p)
        assert_same(z_a, z_p)
        assert_same(s_a, s_p)


def test_lif_refrac_feed_forward_adjoint_matches_norse() -> None:
    p = sn.LIFRefracParameters(lif_p())
    run_pair(
        lambda x, s: sn.lif_refrac_feed_forward_adjoint_step(x, s, p),
        lambda x, s: nt.lif_refrac_feed_forward_adjoint_step(x, s, to_norse(p)),
        spikes(16, 4.0),
        sn.LIFRefracFeedForwardState(sn.LIFFeedForwardState(torch.rand(N) * 0.5, zeros()), zeros()),
        state_grad=True,
        min_spikes=50,
    )


def test_lsnn_feed_forward_adjoint_matches_norse() -> None:
    p = sn.LSNNParameters()
    run_pair(
        lambda x, s: sn.lsnn_feed_forward_adjoint_step(x, s, p),
        lambda x, s: nt.lsnn_feed_forward_adjoint_step(x, s, to_norse(p)),
        spikes(17, 4.0),
        sn.LSNNFeedForwardState(torch.rand(N) * 0.5, zeros(), torch.ones(N)),
        state_grad=True,
        min_spikes=50,
    )


# --------------------------------------------------------------------------------------------
# recurrent steps

B, IN, HID, TR = 4, 6, 8, 60


def _weights(seed: int, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(HID, IN, generator=g) * scale, torch.randn(HID, HID, generator=g) * 0.5 * scale


def run_recurrent(step_ours, step_theirs, state, xs, w_in, w_rec, *, min_spikes=10, spiking=True):
    w_o = [w_in.clone().requires_grad_(), w_rec.clone().requires_grad_()]
    w_n = [w_in.clone().requires_grad_(), w_rec.clone().requires_grad_()]
    run_pair(
        lambda x, s: step_ours(x, s, *w_o),
        lambda x, s: step_theirs(x, s, *w_n),
        xs,
        state,
        min_spikes=min_spikes,
        spiking=spiking,
    )
    for a, b in zip(w_o, w_n):
        if a.grad is not None or b.grad is not None:
            assert_same(a.grad, b.grad, "weight gradient")


def hz() -> torch.Tensor:
    return torch.zeros(B, HID)


RECURRENT = {
    "lif_step": (
        lambda: sn.LIFState(hz(), hz(), hz()),
        lambda x, s, wi, wr: sn.lif_step(x, s, wi, wr, lif_p("super", 1.0)),
        lambda x, s, wi, wr: nt.lif_step(x, s, wi, wr, to_norse(lif_p("super", 1.0))),
        4.0,
    ),
    "iaf_step": (
        lambda: sn.IAFState(hz(), hz()),
        lambda x, s, wi, wr: sn.iaf_step(x, s, wi, wr, sn.IAFParameters(alpha=torch.tensor(1.0))),
        lambda x, s, wi, wr: nt.iaf_step(x, s, wi, wr, nt.IAFParameters(alpha=torch.tensor(1.0))),
        0.3,
    ),
    "lif_adex_step": (
        lambda: sn.LIFAdExState(hz(), hz(), hz(), hz()),
        lambda x, s, wi, wr: sn.lif_adex_step(x, s, wi, wr, sn.LIFAdExParameters(alpha=1.0)),
        lambda x, s, wi, wr: nt.lif_adex_step(x, s, wi, wr, nt.LIFAdExParameters(alpha=1.0)),
        4.0,
    ),
    "lif_ex_step": (
        lambda: sn.LIFExState(hz(), hz(), hz()),
        lambda x, s, wi, wr: sn.lif_ex_step(x, s, wi, wr, sn.LIFExParameters(alpha=1.0)),
        lambda x, s, wi, wr: nt.lif_ex_step(x, s, wi, wr, nt.LIFExParameters(alpha=1.0)),
        4.0,
    ),
    "lsnn_step": (
        lambda: sn.LSNNState(hz(), hz(), hz(), torch.ones(B, HID)),
        lambda x, s, wi, wr: sn.lsnn_step(x, s, wi, wr, sn.LSNNParameters(alpha=1.0)),
        lambda x, s, wi, wr: nt.lsnn_step(x, s, wi, wr, nt.LSNNParameters(alpha=1.0)),
        4.0,
    ),
    "lif_refrac_step": (
        lambda: sn.LIFRefracState(sn.LIFState(hz(), hz(), hz()), hz()),
        lambda x, s, wi, wr: sn.lif_refrac_step(x, s, wi, wr, sn.LIFRefracParameters(lif_p("tanh", 2.0))),
        lambda x, s, wi, wr: nt.lif_refrac_step(
            x, s, wi, wr, to_norse(sn.LIFRefracParameters(lif_p("tanh", 2.0)))
        ),
        4.0,
    ),
    "lif_mc_step": (
        lambda: sn.LIFState(hz(), hz(), hz()),
        lambda x, s, wi, wr: sn.lif_mc_step(x, s, wi, wr, G[:HID, :HID], lif_p("super", 1.0)),
        lambda x, s, wi, wr: nt.lif_mc_step(x, s, wi, wr, G[:HID, :HID], to_norse(lif_p("super", 1.0))),
        4.0,
    ),
    "lif_mc_refrac_step": (
        lambda: sn.LIFRefracState(sn.LIFState(hz(), hz(), hz()), hz()),
        lambda x, s, wi, wr: sn.lif_mc_refrac_step(
            x, s, wi, wr, G[:HID, :HID] * 0.01, sn.LIFRefracParameters(lif_p("super", 1.0))
        ),
        lambda x, s, wi, wr: nt.lif_mc_refrac_step(
            x, s, wi, wr, G[:HID, :HID] * 0.01, to_norse(sn.LIFRefracParameters(lif_p("super", 1.0)))
        ),
        4.0,
    ),
    "izhikevich_recurrent_step": (
        lambda: sn.IzhikevichRecurrentState(hz(), torch.full((B, HID), -70.0), torch.full((B, HID), -14.0)),
        lambda x, s, wi, wr: sn.izhikevich_recurrent_step(
            x + 2.0, s, wi, wr, sn.tonic_spiking.p._replace(alpha=1.0)
        ),
        lambda x, s, wi, wr: nt.izhikevich_recurrent_step(
            x + 2.0, s, wi, wr, nt_izhikevich.tonic_spiking.p._replace(alpha=1.0)
        ),
        10.0,
    ),
}


@pytest.mark.parametrize("name", list(RECURRENT))
def test_recurrent_step_matches_norse(name: str) -> None:
    make_state, ours, theirs, scale = RECURRENT[name]
    w_in, w_rec = _weights(20, scale)
    xs = spikes(21, 1.0, (TR, B, IN), p=0.5)
    run_recurrent(ours, theirs, make_state(), xs, w_in.abs() if "izh" in name else w_in, w_rec)


def test_li_step_matches_norse() -> None:
    w_in, _ = _weights(22, 4.0)
    run_pair(
        lambda x, s: sn.li_step(x, s, w_in),
        lambda x, s: nt.li_step(x, s, w_in),
        spikes(23, 1.0, (TR, B, IN)),
        sn.LIState(hz(), hz()),
        spiking=False,
    )


def test_coba_lif_step_recurrent_part_matches_norse() -> None:
    """With zero input weights (Norse 1.1.0 drops the input term), the recurrent dynamics agree."""
    _, w_rec = _weights(24, 30.0)
    w_in = torch.zeros(HID, IN)
    p = sn.CobaLIFParameters(alpha=1.0)
    state = sn.CobaLIFState(torch.ones(B, HID), torch.full((B, HID), -20.0), hz(), hz())
    s_o, s_n = state, to_norse(state)
    for x in spikes(25, 1.0, (TR, B, IN)).unbind(0):
        z_o, s_o = sn.coba_lif_step(x, s_o, w_in, w_rec, p)
        z_n, s_n = nt.coba_lif_step(x, s_n, w_in, w_rec, to_norse(p))
        assert_same(z_o, z_n)
        assert_same(s_o, s_n)


def test_lif_step_sparse_matches_norse() -> None:
    w_in, w_rec = _weights(26, 4.0)
    p = lif_p()
    s_o = sn.LIFState(hz().to_sparse(), hz(), hz())
    s_n = to_norse(s_o)
    total = 0
    for x in spikes(27, 1.0, (TR, B, IN)).unbind(0):
        z_o, s_o = sn.lif_step_sparse(x.to_sparse(), s_o, w_in, w_rec, p)
        z_n, s_n = nt_lif_step_sparse(x.to_sparse(), s_n, w_in, w_rec, to_norse(p))
        assert z_o.is_sparse
        assert_same(z_o, z_n)
        assert_same(s_o, s_n)
        total += int(z_o.to_dense().sum())
    assert total > 10


def test_lif_step_integral_final_state_matches_norse() -> None:
    """Ours returns every step's spikes (Norse 1.1.0 only the last); the final values agree."""
    w_in, w_rec = _weights(28, 4.0)
    p = lif_p()
    xs = spikes(29, 1.0, (TR, B, IN))
    state = sn.LIFState(hz(), hz(), hz())
    zs, s_o = sn.lif_step_integral(xs, state, w_in, w_rec, p)
    z_n, s_n = nt_lif_step_integral(xs, to_norse(state), w_in, w_rec, to_norse(p))
    assert zs.shape == (TR, B, HID)
    assert_same(zs[-1], z_n)
    assert_same(s_o, s_n)


def test_lsnn_adjoint_step_matches_norse() -> None:
    w_in, w_rec = _weights(30, 4.0)
    run_recurrent(
        lambda x, s, wi, wr: sn.lsnn_adjoint_step(x, s, wi, wr, sn.LSNNParameters()),
        lambda x, s, wi, wr: nt_lsnn_adjoint_step(x, s, wi, wr, nt.LSNNParameters()),
        sn.LSNNState(hz(), hz(), hz(), torch.ones(B, HID)),
        spikes(31, 1.0, (TR, B, IN)),
        w_in,
        w_rec,
    )


# --------------------------------------------------------------------------------------------
# regularisation and lift


@pytest.mark.parametrize("accumulator", ["spike_accumulator", "voltage_accumulator"])
def test_regularize_step_matches_norse(accumulator: str) -> None:
    p = lif_p()
    s = sn.LIFFeedForwardState(zeros(), zeros())
    reg_o = reg_n = None
    for x in spikes(32, 4.0).unbind(0):
        z, s = sn.lif_feed_forward_step(x, s, p)
        z_o, reg_o = sn.regularize_step(z, s, getattr(sn, accumulator), reg_o)
        z_n, reg_n = nt.regularize_step(z, s, getattr(nt, accumulator), reg_n)
        assert z_o is z
        assert_same(reg_o, reg_n)
    assert float(reg_o.sum()) > 0


def test_lift_with_lif_matches_norse() -> None:
    p = lif_p("super", 1.0)
    xs = spikes(33, 4.0)
    state = sn.LIFFeedForwardState(zeros(), zeros())
    x_o, x_n = xs.clone().requires_grad_(), xs.clone().requires_grad_()
    z_o, s_o = snn_core.lift(sn.lif_feed_forward_step, p=p)(x_o, state=state)
    z_n, s_n = nt.lift(nt.lif_feed_forward_step, p=to_norse(p))(x_n, state=to_norse(state))
    assert_same(z_o, z_n)
    assert_same(s_o, s_n)
    z_o.sum().backward()
    z_n.sum().backward()
    assert_same(x_o.grad, x_n.grad)


def test_lift_without_state_uses_default_state_like_norse() -> None:
    xs = spikes(34, 4.0)
    z_o, s_o = snn_core.lift(sn.lif_adex_feed_forward_step)(xs)
    z_n, s_n = nt.lift(nt.lif_adex_feed_forward_step)(xs)
    assert_same(z_o, z_n)
    assert_same(s_o, s_n)
    assert z_o.sum() > 50


def test_registered_lif_neuron_matches_norse_lif_module() -> None:
    """``snn_core.Neuron("lif")`` gives the numbers of Norse's ``LIF`` time layer."""
    xs = spikes(35, 4.0, (T, 2, N))
    z_o, s_o = snn_core.Neuron("lif")(xs)
    z_n, s_n = nt.LIF()(xs)
    assert_same(z_o, z_n)
    assert_same(s_o, s_n)


# --------------------------------------------------------------------------------------------
# non-default parameters (every term of the equations non-zero), float64 inputs

CUSTOM = {
    "lif": sn.LIFParameters(
        tau_syn_inv=torch.tensor(150.0),
        tau_mem_inv=torch.tensor(70.0),
        v_leak=torch.tensor(0.1),
        v_th=torch.tensor(0.8),
        v_reset=torch.tensor(-0.2),
        method="tanh",
        alpha=torch.tensor(3.0),
    ),
    "lif_box": sn.LIFBoxParameters(
        tau_mem_inv=torch.tensor(70.0),
        v_leak=torch.tensor(0.1),
        v_th=torch.tensor(0.8),
        v_reset=torch.tensor(-0.2),
        method="triangle",
        alpha=torch.tensor(0.5),
    ),
    "lif_adex": sn.LIFAdExParameters(
        adaptation_current=torch.tensor(2.5),
        adaptation_spike=torch.tensor(0.3),
        delta_T=torch.tensor(0.7),
        tau_ada_inv=torch.tensor(5.0),
        v_leak=torch.tensor(0.1),
        v_th=torch.tensor(0.9),
        v_reset=torch.tensor(-0.1),
        method="circ",
        alpha=2.0,
    ),
    "lif_ex": sn.LIFExParameters(
        delta_T=torch.tensor(0.3),
        v_leak=torch.tensor(0.1),
        v_reset=torch.tensor(-0.1),
        method="tanh",
        alpha=2.0,
    ),
    "lsnn": sn.LSNNParameters(
        tau_adapt_inv=torch.tensor(20.0),
        v_leak=torch.tensor(0.1),
        v_th=torch.tensor(0.7),
        v_reset=torch.tensor(-0.1),
        beta=torch.tensor(0.5),
        method="heavi_erfc",
        alpha=0.5,
    ),
    "coba_lif": sn.CobaLIFParameters(
        tau_syn_exc_inv=torch.tensor(0.5),
        tau_syn_inh_inv=torch.tensor(0.3),
        g_l=torch.tensor(0.1),
        v_rest=torch.tensor(-30.0),
        method="tanh",
        alpha=0.1,
    ),
    "lif_refrac": sn.LIFRefracParameters(
        sn.LIFParameters(
            v_leak=torch.tensor(0.1), v_reset=torch.tensor(-0.3), method="tanh", alpha=torch.tensor(2.0)
        ),
        rho_reset=torch.tensor(3.0),
    ),
}


@pytest.mark.parametrize("name", list(CUSTOM))
def test_feed_forward_step_with_custom_parameters_matches_norse(name: str) -> None:
    case = FEED_FORWARD[name]
    p = CUSTOM[name]
    xs = spikes(40, case["amp"])
    if case.get("signed"):
        xs = xs * torch.where(torch.rand(T, N, generator=torch.Generator().manual_seed(41)) < 0.3, -1.0, 1.0)
    p_n = to_norse(p)
    run_pair(
        lambda x, s: case["ours"](x, s, p),
        lambda x, s: case["theirs"](x, s, p_n),
        xs,
        case["state"](),
        min_spikes=50,
    )


def test_lif_float64_matches_norse() -> None:
    p = lif_p("tanh", 2.0)
    state = sn.LIFFeedForwardState(torch.zeros(N, dtype=torch.float64), torch.zeros(N, dtype=torch.float64))
    run_pair(
        lambda x, s: sn.lif_feed_forward_step(x, s, p),
        lambda x, s: nt.lif_feed_forward_step(x, s, to_norse(p)),
        spikes(42, 4.0).double(),
        state,
        min_spikes=50,
    )


def test_li_box_matches_norse() -> None:
    p = sn.LIBoxParameters(tau_mem_inv=torch.tensor(70.0), v_leak=torch.tensor(0.1))
    run_pair(
        lambda x, s: sn.li_box_feed_forward_step(x, s, p),
        lambda x, s: nt.li_box_feed_forward_step(x, s, to_norse(p)),
        spikes(43, 4.0),
        sn.LIBoxState(zeros()),
        spiking=False,
    )
    w_in, _ = _weights(44, 2.0)
    run_pair(
        lambda x, s: sn.li_box_step(x, s, w_in, p),
        lambda x, s: nt.li_box_step(x, s, w_in, to_norse(p)),
        spikes(45, 1.0, (TR, B, IN)),
        sn.LIBoxState(hz()),
        spiking=False,
    )


def test_lif_adjoint_step_matches_norse() -> None:
    w_in, w_rec = _weights(46, 4.0)
    run_recurrent(
        lambda x, s, wi, wr: sn.lif_adjoint_step(x, s, wi, wr, sn.LIFParameters()),
        lambda x, s, wi, wr: nt_lif_adjoint_step(x, s, wi, wr, nt.LIFParameters()),
        sn.LIFState(hz(), hz(), hz()),
        spikes(47, 1.0, (TR, B, IN)),
        w_in,
        w_rec,
    )
