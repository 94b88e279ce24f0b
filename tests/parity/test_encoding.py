"""Parity of snn-encoding with Norse 1.1.0: encoders (random streams included), logic, receptive fields.

Bitwise (``torch.equal``) wherever the spec says the numbers are Norse's. Decided deviations
(DESIGN.md "Where the references are wrong") are tested against their own formula:
``signed_poisson_encode`` draws on the input's device (same numbers on CPU), the receptive-field
derivative axes and ``temporal_scale_distribution(max_scale=...)`` are fixed (and so the time constants of
``TemporalReceptiveField(max_scale=...)``), and ``super_fn`` (used by ``logical_or``/``muller_c``) uses
``alpha``.
"""

from __future__ import annotations

import math

import pytest
import torch

norse = pytest.importorskip("norse")

import norse.torch as nt  # noqa: E402
from norse.torch.functional import logical as nlog  # noqa: E402
from norse.torch.functional import receptive_field as nrf  # noqa: E402
from norse.torch.module import encode as nmod  # noqa: E402

import snn_core  # noqa: E402
import snn_encoding as se  # noqa: E402


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


RATES = torch.rand(8, 16, generator=gen(0))
SIGNED = torch.randn(8, 16, generator=gen(1))


# --- Poisson: same seed / generator -> same spikes ----------------------------------------------


@pytest.mark.parametrize(("f_max", "dt"), [(100, 0.001), (250.0, 0.002), (1000, 0.0005)])
def test_poisson_encode_same_generator(f_max, dt):
    ours = se.poisson_encode(RATES, 120, f_max, dt, generator=gen(7))
    theirs = nt.poisson_encode(RATES, 120, f_max, dt, generator=gen(7))
    assert torch.equal(ours, theirs) and ours.sum() > 0


def test_poisson_encode_same_global_seed_and_defaults():
    torch.manual_seed(3)
    ours = se.poisson_encode(RATES, 100)
    torch.manual_seed(3)
    assert torch.equal(ours, nt.poisson_encode(RATES, 100))


def test_poisson_encode_step_same_stream_over_many_steps():
    g1, g2 = gen(5), gen(5)
    for _ in range(100):
        assert torch.equal(
            se.poisson_encode_step(RATES, generator=g1), nt.poisson_encode_step(RATES, generator=g2)
        )
    torch.manual_seed(9)
    ours = torch.stack([se.poisson_encode_step(RATES, f_max=300) for _ in range(50)])
    torch.manual_seed(9)
    assert torch.equal(ours, torch.stack([nt.poisson_encode_step(RATES, f_max=300) for _ in range(50)]))


def test_poisson_float64_input():
    x = RATES.double()
    assert torch.equal(se.poisson_encode(x, 50, generator=gen(2)), nt.poisson_encode(x, 50, generator=gen(2)))


def test_signed_poisson_encode_same_generator_on_cpu():
    ours = se.signed_poisson_encode(SIGNED, 150, f_max=400, generator=gen(4))
    theirs = nt.signed_poisson_encode(SIGNED, 150, f_max=400, generator=gen(4))
    assert torch.equal(ours, theirs) and (ours < 0).any() and (ours > 0).any()
    torch.manual_seed(8)
    ours = se.signed_poisson_encode(SIGNED, 60)
    torch.manual_seed(8)
    assert torch.equal(ours, nt.signed_poisson_encode(SIGNED, 60))


def test_signed_poisson_encode_step_same_stream():
    g1, g2 = gen(6), gen(6)
    for _ in range(100):
        ours = se.signed_poisson_encode_step(SIGNED, generator=g1)
        assert torch.equal(ours, nt.signed_poisson_encode_step(SIGNED, generator=g2))


def test_signed_poisson_draws_on_the_input_device_decided_fix():
    # Norse 1.1.0 draws on the CPU (CUDA inputs fail); ours on the input's device. Meta tensors show
    # the device without a GPU: Norse's CPU noise cannot meet a meta input, ours stays on meta.
    x = torch.empty(3, 4, device="meta")
    assert se.signed_poisson_encode(x.abs(), 5, generator=None).device.type == "meta"
    with pytest.raises((RuntimeError, NotImplementedError)):
        nt.signed_poisson_encode(x, 5)


def test_poisson_modules_same_global_seed():
    for ours_m, theirs_m, x in [
        (se.PoissonEncoder(40, f_max=200), nt.PoissonEncoder(40, f_max=200), RATES),
        (se.SignedPoissonEncoder(40), nt.SignedPoissonEncoder(40), SIGNED),
        (se.PoissonEncoderStep(), nmod.PoissonEncoderStep(), RATES),
        (se.SignedPoissonEncoderStep(f_max=500), nmod.SignedPoissonEncoderStep(f_max=500), SIGNED),
    ]:
        torch.manual_seed(11)
        ours = ours_m(x)
        torch.manual_seed(11)
        assert torch.equal(ours, theirs_m(x))


# --- population, latency --------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [None, 0, 2.5, torch.tensor(3.0)])
def test_population_encode(scale):
    x = torch.rand(5, 7, generator=gen(2)) * 4
    ours = se.population_encode(x, 9, scale)
    assert torch.equal(ours, nt.population_encode(x, 9, scale))
    assert torch.equal(se.PopulationEncoder(9, scale)(x), nt.PopulationEncoder(9, scale)(x))


def test_population_encode_gradients():
    x1 = (torch.rand(6, generator=gen(3)) * 2).requires_grad_()
    x2 = x1.detach().clone().requires_grad_()
    w = torch.randn(6, 5, generator=gen(4))
    (se.population_encode(x1, 5, 2.0) * w).sum().backward()
    (nt.population_encode(x2, 5, 2.0) * w).sum().backward()
    assert torch.equal(x1.grad, x2.grad)


def test_gaussian_rbf_and_distance():
    d = torch.rand(20, generator=gen(5)) * 5
    assert torch.equal(se.gaussian_rbf(d, 0.7), nt.gaussian_rbf(d, 0.7))
    assert torch.equal(se.euclidean_distance(d, d.flip(0)), nt.euclidean_distance(d, d.flip(0)))


def test_spike_latency_encode():
    spikes = (torch.rand(100, 4, 9, generator=gen(6)) < 0.05).float()
    assert torch.equal(se.spike_latency_encode(spikes), nt.spike_latency_encode(spikes))
    assert torch.equal(se.SpikeLatencyEncoder()(spikes), nt.SpikeLatencyEncoder()(spikes))
    mixed = torch.randint(-1, 2, (30, 12), generator=gen(7)).float()
    assert torch.equal(se.spike_latency_encode(mixed), nt.spike_latency_encode(mixed))


# --- LIF-driven encoders (the LIF model comes through the registry) -------------------------------


class _StandInLIF:
    """Registers a 'lif' neuron when snn-neurons is not installed (the encoders only need its type)."""

    @snn_core.hookimpl
    def snn_register_neurons(self):
        return [
            snn_core.NeuronSpec(
                name="lif",
                step=nt.lif_feed_forward_step,
                parameters=nt.LIFParameters,
                state=nt.LIFFeedForwardState,
                initial_state=lambda x, p: nt.LIFFeedForwardState(torch.zeros_like(x), torch.zeros_like(x)),
            )
        ]


@pytest.fixture
def lif():
    if "lif" in snn_core.registry().neurons:
        yield
        return
    with snn_core.registered(_StandInLIF(), name="parity-stand-in-lif"):
        yield


CURRENTS = torch.randn(64, generator=gen(8)) * 3 + 1.5


@pytest.mark.usefixtures("lif")
@pytest.mark.parametrize("dt", [0.001, 0.0025])
def test_constant_current_lif_encode(dt):
    ours = se.constant_current_lif_encode(CURRENTS * 20, 200, dt=dt)
    theirs = nt.constant_current_lif_encode(CURRENTS * 20, 200, dt=dt)
    assert torch.equal(ours, theirs) and ours.sum() > 500
    p = nt.LIFParameters(v_th=torch.tensor(0.7), v_reset=torch.tensor(-0.2), tau_mem_inv=torch.tensor(150.0))
    assert torch.equal(
        se.constant_current_lif_encode(CURRENTS * 20, 200, p=p, dt=dt),
        nt.constant_current_lif_encode(CURRENTS * 20, 200, p=p, dt=dt),
    )
    assert torch.equal(
        se.ConstantCurrentLIFEncoder(50, p)(CURRENTS), nt.ConstantCurrentLIFEncoder(50, p)(CURRENTS)
    )


@pytest.mark.usefixtures("lif")
def test_spike_latency_lif_encode():
    x = CURRENTS * 20
    ours = se.spike_latency_lif_encode(x, 200)
    assert torch.equal(ours, nt.spike_latency_lif_encode(x, 200)) and ours.sum() > 10
    p = nt.LIFParameters(v_th=torch.tensor(0.5))
    assert torch.equal(se.SpikeLatencyLIFEncoder(80, p)(x), nt.SpikeLatencyLIFEncoder(80, p)(x))
    x64 = x.double()
    assert torch.equal(se.spike_latency_lif_encode(x64, 100), nt.spike_latency_lif_encode(x64, 100))


@pytest.mark.usefixtures("lif")
def test_lif_encoders_registered_defaults_are_norse_defaults():
    spec = snn_core.registry().neurons["lif"]
    ours_default = spec.parameters()
    for name in ("tau_mem_inv", "v_leak", "v_th", "v_reset", "alpha"):
        assert torch.equal(torch.as_tensor(getattr(ours_default, name)), getattr(nt.LIFParameters(), name))
    assert ours_default.method == nt.LIFParameters().method


# --- logic -------------------------------------------------------------------------------------


def test_logic_forward_identical():
    x = (torch.rand(200, generator=gen(9)) < 0.5).float()
    y = (torch.rand(200, generator=gen(10)) < 0.5).float()
    y_prev = (torch.rand(200, generator=gen(11)) < 0.5).float()
    assert torch.equal(se.logical_and(x, y), nt.logical_and(x, y))
    assert torch.equal(se.logical_xor(x, y), nt.logical_xor(x, y))
    assert torch.equal(se.logical_or(x, y), nt.logical_or(x, y))
    assert torch.equal(se.muller_c(y_prev, x, y), nlog.muller_c(y_prev, x, y))
    assert torch.equal(se.posedge_detector(x, y), nlog.posedge_detector(x, y))


def test_logical_or_gradients_alpha_one_equal_norse_1_1_0():
    x = torch.tensor([0.0, 0.0, 1.0, 1.0])
    y = torch.tensor([0.0, 1.0, 0.0, 1.0])
    a, b = x.clone().requires_grad_(), y.clone().requires_grad_()
    c, d = x.clone().requires_grad_(), y.clone().requires_grad_()
    se.logical_or(a, b, alpha=1.0).sum().backward()
    nt.logical_or(c, d).sum().backward()
    assert torch.equal(a.grad, c.grad) and torch.equal(b.grad, d.grad)
    # default alpha=100: snn-core's super_fn uses it (Norse main's formula), 1.1.0 ignores it
    e = x.clone().requires_grad_()
    se.logical_or(e, y).sum().backward()
    assert torch.allclose(e.grad, 1 / (100 * (x + y).abs() + 1) ** 2)


def test_muller_c_gradients_alpha_one_equal_norse():
    y_prev = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0])
    x1 = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.0])
    x2 = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])
    a, b = x1.clone().requires_grad_(), x1.clone().requires_grad_()
    se.muller_c(y_prev, a, x2, alpha=1.0).sum().backward()
    nlog.muller_c(y_prev, b, x2).sum().backward()
    assert torch.equal(a.grad, b.grad)


# --- receptive fields --------------------------------------------------------------------------

FIELD_CASES = [(1.0, 0.0, 1.0), (2.5, 0.7, 0.5), (0.3, 2.0, 3.0), (4.0, -1.2, 1.7)]


@pytest.mark.parametrize(("scale", "angle", "ratio"), FIELD_CASES)
def test_gaussian_kernel_and_covariance(scale, angle, ratio):
    s, a, r = map(torch.tensor, (scale, angle, ratio))
    assert torch.equal(se.covariance_matrix(r, 1 / r, a), nrf.covariance_matrix(r, 1 / r, a))
    c = nrf.covariance_matrix(r, 1 / r, a) * s
    for size, domain in [(9, 8), (15, 3), (4, 1)]:
        assert torch.equal(se.gaussian_kernel(size, c, domain), nrf.gaussian_kernel(size, c, domain))


@pytest.mark.parametrize(("scale", "angle", "ratio"), FIELD_CASES)
def test_spatial_receptive_field_without_derivatives(scale, angle, ratio):
    s, a, r = map(torch.tensor, (scale, angle, ratio))
    for size, domain in [(11, 10), (9, 2)]:
        ours = se.spatial_receptive_field(s, a, r, size, domain=domain)
        assert torch.equal(ours, nrf.spatial_receptive_field(s, a, r, size, domain=domain))


def test_spatial_receptive_field_gradients_without_derivatives():
    params = [torch.tensor(v, requires_grad=True) for v in (1.7, 0.4, 1.3)]
    clones = [p.detach().clone().requires_grad_() for p in params]
    weights = torch.randn(9, 9, generator=gen(12))
    (se.spatial_receptive_field(*params, 9, domain=3) * weights).sum().backward()
    (nrf.spatial_receptive_field(*clones, 9, domain=3) * weights).sum().backward()
    for p, q in zip(params, clones):
        assert torch.allclose(p.grad, q.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("angle", [0.0, 0.5, 1.3, -2.0])
def test_derive_kernel_axes_fixed_as_norse_main(angle):
    # main: cos(a) * d/dx + sin(a) * d/dy with x along columns; 1.1.0 differentiates rows by cos(a).
    # Hence ours(K) equals 1.1.0's derivative of the transposed kernel, transposed back.
    k = torch.rand(9, 9, generator=gen(13))
    a = torch.tensor(angle)
    assert torch.equal(se.derive_kernel(k, a), nrf.derive_kernel(k.T, a).T)


@pytest.mark.parametrize(("dx", "dy"), [(1, 0), (0, 1), (2, 1), (1, 2)])
def test_derivatives_equal_norse_on_transposed_fields(dx, dy):
    # A round field (ratio 1) is symmetric, so the fixed axes give 1.1.0's result transposed.
    s, a, r = torch.tensor(2.0), torch.tensor(0.6), torch.tensor(1.0)
    ours = se.spatial_receptive_field(s, a, r, 11, dx, dy, domain=4)
    theirs = nrf.spatial_receptive_field(s, a, r, 11, dx, dy, domain=4)
    assert torch.allclose(ours, theirs.T, atol=1e-8)


def test_spatial_receptive_field_dx_angle_zero_differentiates_along_x():
    k = se.spatial_receptive_field(torch.tensor(1.0), torch.tensor(0.0), torch.tensor(1.0), 9, dx=1)
    old = nrf.spatial_receptive_field(torch.tensor(1.0), torch.tensor(0.0), torch.tensor(1.0), 9, dx=1)
    assert torch.all(k[:, 4].abs() < 1e-12) and k[4].abs().sum() > 0  # ours: along the row (x)
    assert torch.all(old[4].abs() < 1e-12) and old[:, 4].abs().sum() > 0  # 1.1.0: along the column


@pytest.mark.parametrize("derivatives", [0, 1, 2, [(0, 0), (1, 0), (0, 2)]])
@pytest.mark.parametrize("include_replicas", [False, True])
def test_spatial_parameters(derivatives, include_replicas):
    scales, angles = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([0.0, 0.8])
    for ratios in (torch.tensor([1.0, 0.5]), torch.tensor([2.0, 0.5])):
        ours = se.spatial_parameters(scales, angles, ratios, derivatives, include_replicas)
        assert torch.equal(
            ours, nrf.spatial_parameters(scales, angles, ratios, derivatives, include_replicas)
        )


def test_spatial_receptive_fields_with_derivatives_no_derivatives():
    rows = nrf.spatial_parameters(
        torch.tensor([0.5, 2.0]), torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]), 0
    )
    for domain in (1, 5):
        ours = se.spatial_receptive_fields_with_derivatives(rows, 9, domain)
        assert torch.equal(ours, nrf.spatial_receptive_fields_with_derivatives(rows, 9, domain))
    assert torch.equal(
        se.spatial_receptive_fields_with_derivatives(rows, 7),
        nrf.spatial_receptive_fields_with_derivatives(rows, 7),
    )


@pytest.mark.parametrize(
    ("n", "min_scale", "c"), [(4, 1, 1.41421), (3, 1, 2.0), (6, 0.5, 1.2), (1, 2.0, 1.5)]
)
def test_temporal_scale_distribution_without_max_scale(n, min_scale, c):
    ours = se.temporal_scale_distribution(n, min_scale, c=c)
    assert torch.equal(ours, nrf.temporal_scale_distribution(n, min_scale, c=c))


@pytest.mark.parametrize(("n", "min_scale", "max_scale"), [(4, 1, 8), (5, 2.0, 50.0), (2, 1, 4)])
def test_temporal_scale_distribution_max_scale_fixed(n, min_scale, max_scale):
    ours = se.temporal_scale_distribution(n, min_scale, max_scale)
    expected = torch.tensor(
        [math.sqrt(min_scale * (max_scale / min_scale) ** (k / (n - 1))) for k in range(n)],
        dtype=torch.float32,
    )
    assert torch.allclose(ours, expected, rtol=1e-5)
    # 1.1.0 runs from sqrt(max^2/min) down to sqrt(max): the inverted range
    theirs = nrf.temporal_scale_distribution(n, min_scale, max_scale)
    assert torch.allclose(theirs, torch.tensor([max_scale / min_scale]).sqrt() * ours.flip(0), rtol=1e-5)
    assert torch.equal(
        se.temporal_scale_distribution(1, 3.0, 9.0), nrf.temporal_scale_distribution(1, 3.0, 9.0)
    )


def test_spatial_receptive_field_2d_module():
    rows = torch.tensor([[1.0, 0.0, 1.0, 0.0, 0.0], [2.0, 0.7, 2.0, 0.0, 0.0], [0.7, 1.0, 0.5, 0.0, 0.0]])
    x = torch.rand(2, 3, 16, 16, generator=gen(14))
    ours = se.SpatialReceptiveField2d(3, 7, rows.clone(), padding=2, stride=2)
    theirs = nt.SpatialReceptiveField2d(3, 7, rows.clone(), padding=2, stride=2)
    assert torch.equal(ours.weights, theirs.weights)
    assert torch.equal(ours(x), theirs(x))


# --- TemporalReceptiveField: default LIBoxCell from snn-neurons ----------------------------------


def _run_rf(rf: torch.nn.Module, xs: torch.Tensor) -> tuple[torch.Tensor, object]:
    state, outs = None, []
    for x in xs:
        out, state = rf(x, state)
        outs.append(out)
    return torch.stack(outs), state


def _rf_pair(shape, **kwargs):
    pytest.importorskip("snn_neurons")
    return se.TemporalReceptiveField(shape, **kwargs), nt.TemporalReceptiveField(shape, **kwargs)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((2, 3), {}),
        ((4,), {"n_scales": 6, "min_scale": 0.5, "c": 1.7}),
        ((3, 5, 5), {"n_scales": 3, "min_scale": 2.0, "dt": 0.0005}),
        (
            (2,),
            {"n_scales": 1, "max_scale": 9.0, "min_scale": 3.0},
        ),  # the one max_scale case 1.1.0 gets right
    ],
)
def test_temporal_receptive_field_matches_norse(shape, kwargs):
    ours, theirs = _rf_pair(shape, **kwargs)
    assert torch.equal(ours.ps, theirs.ps) and ours.ps.dtype == theirs.ps.dtype
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["ps"]
    xs = (torch.rand(25, 7, *shape, generator=gen(30)) * 4 - 1).requires_grad_(True)
    out_o, s_o = _run_rf(ours, xs)
    out_t, s_t = _run_rf(theirs, xs)
    assert out_o.shape == out_t.shape == (25, 7, ours.n_scales, *shape)
    assert torch.equal(out_o, out_t)
    assert torch.equal(s_o.v, s_t.v)
    weights = torch.rand(out_o.shape, generator=gen(31))
    g_o = torch.autograd.grad((out_o * weights).sum(), (xs, ours.ps))
    g_t = torch.autograd.grad((out_t * weights).sum(), (xs, theirs.ps))
    assert torch.equal(g_o[0], g_t[0])
    assert torch.equal(g_o[1], g_t[1])
    assert g_o[1].abs().sum() > 0


def test_temporal_receptive_field_given_time_constants_match_norse():
    tau = torch.tensor([30.0, 120.0, 480.0]).reshape(3, 1, 1).expand(3, 2, 1).clone()
    ours, theirs = _rf_pair((2, 4), n_scales=3, time_constants=tau.clone())
    assert torch.equal(ours.ps, theirs.ps)
    xs = torch.rand(10, 2, 4, generator=gen(32))
    assert torch.equal(_run_rf(ours, xs)[0], _run_rf(theirs, xs)[0])


def test_temporal_receptive_field_custom_activation_matches_norse():
    sn = pytest.importorskip("snn_neurons")
    ours = se.TemporalReceptiveField(
        (3,), activation=sn.LICell, activation_state_map=lambda t: sn.LIParameters(tau_mem_inv=t)
    )
    theirs = nt.TemporalReceptiveField(
        (3,), activation=nt.LICell, activation_state_map=lambda t: nt.LIParameters(tau_mem_inv=t)
    )
    xs = torch.rand(15, 5, 3, generator=gen(33)) * 2
    out_o, s_o = _run_rf(ours, xs)
    out_t, s_t = _run_rf(theirs, xs)
    assert torch.equal(out_o, out_t)
    assert torch.equal(s_o.v, s_t.v) and torch.equal(s_o.i, s_t.i.expand_as(s_o.i))


def test_temporal_receptive_field_max_scale_uses_the_fixed_distribution():
    ours, theirs = _rf_pair((2,), max_scale=8.0)
    # ours: variances 1..8 (rates 1000 .. 353.6); 1.1.0: 64..8 (rates 125 .. 353.6), the inverted range
    assert ours.ps[:, 0].tolist() == pytest.approx([1000.0, 707.1068, 500.0, 353.5534], rel=1e-6)
    assert theirs.ps[:, 0].tolist() == pytest.approx([125.0, 176.7767, 250.0, 353.5534], rel=1e-6)
    # with the same time constants the modules agree: only the distribution differs
    fixed = nt.TemporalReceptiveField((2,), time_constants=ours.ps.detach().clone())
    xs = torch.rand(10, 2, generator=gen(34))
    assert torch.equal(_run_rf(ours, xs)[0], _run_rf(fixed, xs)[0])
