"""Parameter containers: defaults and dtypes, state-tuple methods, validation, any registered surrogate."""

from __future__ import annotations

import math

import pytest
import torch

import snn_core
import snn_neurons as sn


def test_defaults_are_float32_zero_dim_tensors() -> None:
    p = sn.LIFParameters()
    for name in ("tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "alpha"):
        value = getattr(p, name)
        assert value.dim() == 0
        assert value.dtype == torch.float32
    assert (p.tau_syn_inv.item(), p.tau_mem_inv.item(), p.method) == (200.0, 100.0, "super")
    assert sn.LSNNParameters().tau_adapt_inv.item() == torch.tensor(1 / 800, dtype=torch.float32).item()
    assert sn.LIFAdExParameters().adaptation_current.dtype == torch.int64
    assert sn.LIFExParameters().alpha == 100.0
    assert sn.LIFRefracParameters().rho_reset.item() == 5.0
    assert sn.IAFParameters()._fields == ("v_th", "v_reset", "method", "alpha")
    assert sn.LIFBoxParameters().reset_method is sn.reset_value


def test_field_orders_match_norse() -> None:
    assert sn.LIFParameters._fields == (
        "tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha",
    )  # fmt: skip
    assert sn.LSNNParameters._fields == (
        "tau_syn_inv", "tau_mem_inv", "tau_adapt_inv", "v_leak", "v_th", "v_reset", "beta", "method", "alpha",
    )  # fmt: skip
    assert sn.CobaLIFParameters._fields[:4] == ("tau_syn_exc_inv", "tau_syn_inh_inv", "c_m_inv", "g_l")
    assert sn.LIFAdExParameters._fields[:4] == (
        "adaptation_current",
        "adaptation_spike",
        "delta_T",
        "tau_ada_inv",
    )
    assert sn.LIFRefracFeedForwardState._fields == ("lif", "rho")
    assert sn.LSNNFeedForwardState._fields == ("v", "i", "b")
    assert sn.CobaLIFFeedForwardState._fields == ("v", "g_e", "g_i")


def test_state_tuple_methods() -> None:
    p = sn.LIFParameters(v_th=torch.tensor(0.5, requires_grad=True))
    b = p.broadcast(torch.zeros(2, 3))
    assert b.v_th.shape == (2, 3)
    assert torch.all(b.v_th == 0.5)
    assert b.method == "super"
    same = sn.LIFParameters(v_th=torch.ones(2, 3)).broadcast(torch.zeros(2, 3))
    assert same.v_th.shape == (2, 3)
    with pytest.raises(ValueError, match="non-scalar"):
        sn.LIFParameters(v_th=torch.ones(3)).broadcast(torch.zeros(2, 4))
    moved = p.to("cpu")
    assert moved.v_th.requires_grad
    assert p.cpu().tau_mem_inv.device.type == "cpu"
    assert p.int().tau_mem_inv.dtype == torch.int32
    assert p.int().float().tau_mem_inv.dtype == torch.float32
    assert p.to(torch.float64).tau_syn_inv.dtype == torch.float64
    box = sn.LIFBoxParameters().broadcast(torch.zeros(4))
    assert box.v_th.shape == (4,)
    assert box.reset_method is sn.reset_value


def test_parameters_are_pytree_nodes() -> None:
    from torch.utils._pytree import tree_flatten, tree_unflatten

    leaves, spec = tree_flatten(sn.LIFParameters())
    assert len(leaves) == 7
    assert isinstance(tree_unflatten(leaves, spec), sn.LIFParameters)


# ---------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("p", "field", "value"),
    [
        (sn.LIFParameters(tau_mem_inv=torch.tensor(-1.0)), "p.tau_mem_inv", "-1.0"),
        (sn.LIFParameters(tau_syn_inv=torch.tensor(float("nan"))), "p.tau_syn_inv", "nan"),
        (sn.LIParameters(tau_mem_inv=torch.tensor(float("inf"))), "p.tau_mem_inv", "inf"),
        (sn.LSNNParameters(tau_adapt_inv=torch.tensor([1.0, -2.0])), "p.tau_adapt_inv", "shape (2,)"),
        (sn.LIFExParameters(delta_T=torch.tensor(0.0)), "p.delta_T", "0.0"),
        (sn.CobaLIFParameters(c_m_inv=torch.tensor(-5.0)), "p.c_m_inv", "-5.0"),
        (sn.LIFAdExParameters(tau_ada_inv=torch.tensor(-2.0)), "p.tau_ada_inv", "-2.0"),
        (sn.tonic_spiking.p._replace(tau_inv=-250), "p.tau_inv", "-250"),
        (
            sn.LIFRefracParameters(sn.LIFParameters(tau_mem_inv=torch.tensor(-1.0))),
            "p.lif.tau_mem_inv",
            "-1.0",
        ),
        (sn.LIFRefracParameters(rho_reset=torch.tensor(-1.0)), "p.rho_reset", "-1.0"),
    ],
)
def test_validate_parameters_rejects_bad_time_constants(p: object, field: str, value: str) -> None:
    with pytest.raises(ValueError, match="must be finite") as info:
        sn.validate_parameters(p)
    assert field in str(info.value)
    assert value in str(info.value)


def test_validate_parameters_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match=r"p\.method must be a registered threshold method") as info:
        sn.validate_parameters(sn.LIFParameters(method="adjoint"))
    assert "'adjoint'" in str(info.value)
    assert "super" in str(info.value)  # lists what is registered
    with pytest.raises(TypeError, match=r"p\.method"):
        sn.validate_parameters(sn.LIFParameters(method=3))  # type: ignore[arg-type]


def test_validate_parameters_accepts_defaults_and_zero_decay() -> None:
    for p in (
        sn.LIFParameters(),
        sn.LIParameters(),
        sn.IAFParameters(),
        sn.LIFBoxParameters(),
        sn.CobaLIFParameters(),
        sn.LIFAdExParameters(),
        sn.LIFExParameters(),
        sn.LIFRefracParameters(),
        sn.LSNNParameters(),
        sn.tonic_spiking.p,
        sn.LIFMCParameters(g_coupling=torch.zeros(3, 3)),
        sn.LIFParameters(tau_syn_inv=torch.tensor(0.0)),
    ):
        assert sn.validate_parameters(p) is p


def test_validate_dt_and_other_errors() -> None:
    with pytest.raises(ValueError, match="dt"):
        sn.validate_parameters(sn.LIFParameters(), dt=0.0)
    with pytest.raises(ValueError, match="dt"):
        sn.validate_parameters(sn.LIFParameters(), dt=-1e-3)
    with pytest.raises(TypeError, match="p must be a parameter NamedTuple"):
        sn.validate_parameters({"tau_mem_inv": 1.0})
    with pytest.raises(ValueError, match="g_coupling must be a square matrix"):
        sn.validate_parameters(sn.LIFMCParameters(g_coupling=torch.zeros(2, 3)))
    with pytest.raises(ValueError, match=r"q\.tau_mem_inv"):
        sn.validate_parameters(sn.LIFParameters(tau_mem_inv=torch.tensor(-1.0)), name="q")


def test_check_state_shape() -> None:
    x = torch.zeros(4, 3)
    good = sn.LIFFeedForwardState(torch.zeros(4, 3), torch.zeros(()))
    assert sn.check_state_shape(good, x) is good
    with pytest.raises(ValueError, match=r"state\.v has shape \(4, 2\).*\(4, 3\)"):
        sn.check_state_shape(sn.LIFFeedForwardState(torch.zeros(4, 2), torch.zeros(4, 3)), x)
    nested = sn.LIFRefracFeedForwardState(
        sn.LIFFeedForwardState(torch.zeros(4, 3), torch.zeros(5, 3)), torch.zeros(4, 3)
    )
    with pytest.raises(ValueError, match=r"state\.lif\.i"):
        sn.check_state_shape(nested, x)


# --------------------------------------------------------------------- any registered surrogate


def _fast_sigmoid_backward(x: torch.Tensor, alpha: float) -> torch.Tensor:
    return 1.0 / (1.0 + alpha * x.abs()) ** 2 * 0.5


class _FastSigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * _fast_sigmoid_backward(x, ctx.alpha), None


class _ThirdPartyPlugin:
    @snn_core.hookimpl
    def snn_register_thresholds(self) -> list[snn_core.ThresholdSpec]:
        return [snn_core.ThresholdSpec(name="test_half_fast_sigmoid", fn=_FastSigmoid.apply)]


@pytest.mark.parametrize(
    ("step", "state", "p"),
    [
        (sn.lif_feed_forward_step, sn.LIFFeedForwardState(torch.zeros(4), torch.zeros(4)),
         sn.LIFParameters(method="test_half_fast_sigmoid", alpha=2.0)),
        (sn.lsnn_feed_forward_step, sn.LSNNFeedForwardState(torch.full((4,), 1.5), torch.zeros(4), torch.ones(4)),
         sn.LSNNParameters(method="test_half_fast_sigmoid", alpha=2.0)),
        (sn.iaf_feed_forward_step, sn.IAFFeedForwardState(torch.zeros(4)),
         sn.IAFParameters(method="test_half_fast_sigmoid", alpha=2.0)),
    ],
)  # fmt: skip
def test_third_party_threshold_works_in_every_model(step, state, p) -> None:
    x = torch.tensor([0.5, 3.0, 12.0, 30.0], requires_grad=True)
    with snn_core.registered(_ThirdPartyPlugin()):
        sn.validate_parameters(p)
        z1, s = step(x, state, p)
        z2, s = step(x, s, p)  # LSNN's input reaches v one step later
        z = z1 + z2
        (g,) = torch.autograd.grad(z2.sum(), x, retain_graph=True)
    assert z.sum() > 0
    assert (g > 0).all()
    if step is sn.iaf_feed_forward_step:  # one step: v1 = x, the gradient is the surrogate itself
        (g1,) = torch.autograd.grad(z1.sum(), x)
        torch.testing.assert_close(g1, _fast_sigmoid_backward(x.detach() - 1.0, 2.0))
    with pytest.raises(ValueError, match="test_half_fast_sigmoid"):
        sn.validate_parameters(p)  # gone once unregistered


@pytest.mark.parametrize(
    ("method", "alpha", "expected"),
    [
        ("super", 3.0, lambda d, a: 1 / (a * abs(d) + 1) ** 2),
        ("tanh", 2.0, lambda d, a: 1 - math.tanh(d * a) ** 2),
        ("triangle", 0.3, lambda d, a: a * max(1 - abs(d), 0.0)),
        ("heavi_erfc", 0.5, lambda d, a: 2 * math.exp(-((a * d) ** 2)) / math.sqrt(math.pi)),
        ("circ", 2.0, lambda d, a: a**3 / (a**2 + d**2) ** 1.5),
    ],
)
def test_builtin_surrogates_through_iaf(method: str, alpha: float, expected) -> None:
    x = torch.tensor([0.7, 1.4], requires_grad=True)
    z, _ = sn.iaf_feed_forward_step(
        x, sn.IAFFeedForwardState(torch.zeros(2)), sn.IAFParameters(method=method, alpha=alpha)
    )
    (g,) = torch.autograd.grad(z.sum(), x)
    want = torch.tensor([expected(d, alpha) for d in (-0.3, 0.4)])
    torch.testing.assert_close(g, want, rtol=1e-5, atol=1e-6)


def test_heaviside_method_gives_no_gradient() -> None:
    x = torch.tensor([2.0], requires_grad=True)
    z, _ = sn.iaf_feed_forward_step(
        x, sn.IAFFeedForwardState(torch.zeros(1)), sn.IAFParameters(method="heaviside")
    )
    assert z.item() == 1.0
    assert not z.requires_grad
