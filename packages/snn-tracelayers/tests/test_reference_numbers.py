"""The reference numbers of tracetorch.md §5.10 (traceTorch 0.19.2, float32), to 1e-6."""

from __future__ import annotations

import pytest
import torch

import snn_core
import snn_tracelayers as st

X = torch.tensor([[1.0, -1.0, 0.5]])


def run(layer, xs):
    layer.zero_states()
    with torch.no_grad():
        return [layer(x).clone() for x in xs]


def close(got, expected, atol=1e-6):
    got = torch.stack([g.flatten() for g in got]) if isinstance(got, list) else got
    expected = torch.tensor(expected, dtype=got.dtype).reshape(got.shape)
    assert torch.allclose(got, expected, atol=atol), (got, expected)


def test_a_lib_default_ones() -> None:
    layer = st.LIB(4)
    out = run(layer, [torch.ones(1, 4)] * 5)
    close([o[:, :1] for o in out], [0.5, 0.858149, 0.893848, 0.908856, 0.916666])
    assert torch.allclose(layer.mem, torch.full((1, 4), 0.682806), atol=1e-6)


TABLE_B = {
    ("LI", "DLI"): [[1, -1, 0.5], [1.9, -1.9, 0.95], [2.71, -2.71, 1.355], [3.439, -3.439, 1.7195],
                    [4.0951, -4.0951, 2.04755]],
    ("SLI", "DSLI"): [[0.5, -0.5, 0.25], [1.2, -1.2, 0.6], [1.955, -1.955, 0.9775], [2.697, -2.697, 1.3485],
                      [3.39605, -3.39605, 1.698025]],
    ("LIEMA", "DLIEMA"): [[0.1, -0.1, 0.05], [0.19, -0.19, 0.095], [0.271, -0.271, 0.1355],
                          [0.3439, -0.3439, 0.17195], [0.40951, -0.40951, 0.204755]],
    ("SLIEMA", "DSLIEMA"): [[0.05, -0.05, 0.025], [0.12, -0.12, 0.06], [0.1955, -0.1955, 0.09775],
                            [0.2697, -0.2697, 0.13485], [0.339605, -0.339605, 0.169803]],
    ("LIB", "DLIB", "RLIB", "DRLIB"): [[0.5, 0.000335, 0.119203], [0.858149, 0.000009, 0.347708],
                                       [0.893848, 0.0, 0.445723], [0.908856, 0.0, 0.449975],
                                       [0.916666, 0.0, 0.450016]],
    ("SLIB", "DSLIB", "SRLIB", "DSRLIB"): [[0.119203, 0.002473, 0.047426], [0.591669, 0.000149, 0.145451],
                                           [0.786469, 0.000007, 0.317067], [0.844501, 0.0, 0.411687],
                                           [0.876283, 0.0, 0.433921]],
    ("LIT", "DLIT", "RLIT", "DRLIT", "LITS", "DLITS", "RLITS", "DRLITS"): [
        [0.499665, -0.499665, 0.116730], [0.858240, -0.858240, 0.349106], [0.893880, -0.893880, 0.446043],
        [0.908869, -0.908869, 0.449944], [0.916671, -0.916671, 0.449975]],
    ("SLIT", "DSLIT", "SRLIT", "DSRLIT", "SLITS", "DSLITS", "SRLITS", "DSRLITS"): [
        [0.116730, -0.116730, 0.040733], [0.593588, -0.593588, 0.146551], [0.786563, -0.786563, 0.320208],
        [0.844525, -0.844525, 0.412335], [0.876290, -0.876290, 0.433938]],
}  # fmt: skip


@pytest.mark.parametrize("name", [n for names in TABLE_B for n in names])
def test_b_defaults_constant_input(name: str) -> None:
    expected = next(v for k, v in TABLE_B.items() if name in k)
    tol = 2e-6 if "EMA" not in name else 1e-6
    close(run(getattr(st, name)(3), [X] * 5), expected, atol=tol)


def test_all_32_layers_are_covered_by_table_b() -> None:
    assert sorted(n for names in TABLE_B for n in names) == sorted(st.LAYER_NAMES)


TABLE_C = {
    ("RLIB", "DRLIB"): [[0.5, 0.000335, 0.119203], [0.869891, 0.000009, 0.353134], [0.920002, 0.0, 0.469049],
                        [0.948226, 0.0, 0.494136], [0.966830, 0.0, 0.514457]],
    ("SRLIB", "DSRLIB"): [[0.119203, 0.002473, 0.047426], [0.597416, 0.000149, 0.146634],
                          [0.809302, 0.000007, 0.326262], [0.883516, 0.0, 0.437124], [0.927870, 0.0, 0.478293]],
    ("RLIT", "DRLIT", "RLITS", "DRLITS"): [[0.499665, -0.499665, 0.116730], [0.869970, -0.869970, 0.354448],
                                           [0.920024, -0.920024, 0.469332], [0.948233, -0.948233, 0.494109],
                                           [0.966832, -0.966832, 0.514423]],
    ("SRLIT", "DSRLIT", "SRLITS", "DSRLITS"): [[0.116730, -0.116730, 0.040733], [0.599212, -0.599212, 0.147600],
                                               [0.809379, -0.809379, 0.329105], [0.883530, -0.883530, 0.437633],
                                               [0.927871, -0.927871, 0.478276]],
}  # fmt: skip


@pytest.mark.parametrize("name", [n for names in TABLE_C for n in names])
def test_c_recurrent_weight(name: str) -> None:
    expected = next(v for k, v in TABLE_C.items() if name in k)
    kw = {"pos_rec_weight": 0.5, "neg_rec_weight": 0.5} if name.startswith("D") else {"rec_weight": 0.5}
    close(run(getattr(st, name)(3, **kw), [X] * 5), expected, atol=2e-6)


TABLE_D = {
    ("LITS", "DLITS", "RLITS", "DRLITS"): [[0.999832, -0.249329, 0.237170], [1.716564, -0.429037, 0.699147],
                                           [1.787820, -0.446880, 0.892710], [1.817789, -0.454384, 0.900501],
                                           [1.833387, -0.458290, 0.900564]],
    ("SLITS", "DSLITS", "SRLITS", "DSRLITS"): [[0.237170, -0.054656, 0.091505], [1.187521, -0.296450, 0.295983],
                                               [1.573263, -0.393145, 0.641480], [1.689143, -0.422170, 0.825386],
                                               [1.752651, -0.438074, 0.868531]],
}  # fmt: skip


@pytest.mark.parametrize("name", [n for names in TABLE_D for n in names])
def test_d_lits_scales(name: str) -> None:
    expected = next(v for k, v in TABLE_D.items() if name in k)
    close(run(getattr(st, name)(3, pos_scale=2.0, neg_scale=0.5), [X] * 5), expected, atol=2e-6)


SEQ_E = [2.0, -2.0, 1.0, -1.0, 0.0, 0.0]
TABLE_E = {
    "LI": [2, -0.2, 0.82, -0.262, -0.2358, -0.21222],
    "DLI": [2, -0.2, 1.62, 0.858, 1.3722, 1.53498],
    "SLI": [1, 0.4, 0.61, 0.174, -0.0309, -0.12156],
    "DSLI": [1, 0.4, 0.81, 0.454, 0.4211, 0.46024],
    "LIEMA": [0.2, -0.02, 0.082, -0.0262, -0.02358, -0.021222],
    "DLIEMA": [0.2, -0.82, -0.238, -0.5142, -0.16278, 0.003498],
    "SLIEMA": [0.1, 0.04, 0.061, 0.0174, -0.00309, -0.012156],
    "DSLIEMA": [0.1, -0.16, -0.019, -0.1546, -0.13289, -0.078976],
    "DLIB": [0.982014, 0.000526, 0.597885, 0.019446, 0.223495, 0.316447],
    "DRLIB": [0.982014, 0.000526, 0.597885, 0.019446, 0.223495, 0.316447],
    "DLIT": [0.982008, -0.388745, 0.815496, 0.010574, 0.264681, 0.335852],
    "DLITS": [0.982008, -0.388745, 0.815496, 0.010574, 0.264681, 0.335852],
    "DRLIT": [0.982008, -0.388745, 0.815496, 0.010574, 0.264681, 0.335852],
    "DSLIB": [0.5, 0.021881, 0.132243, 0.030630, 0.031138, 0.039535],
    "DSRLIB": [0.5, 0.021881, 0.132243, 0.030630, 0.031138, 0.039535],
    "DSLIT": [0.499665, 0.007141, 0.135030, 0.021093, 0.022705, 0.034293],
    "DSRLIT": [0.499665, 0.007141, 0.135030, 0.021093, 0.022705, 0.034293],
}
FINAL_E = {
    "DLIB": {"pos_mem": 1.135272, "neg_mem": -0.644256},
    "DRLIB": {"pos_rec": 0.136997, "neg_rec": 0.0},
    "DLIT": {"pos_mem": 1.159012, "neg_mem": -0.664582},
    "DRLIT": {"pos_rec": 0.157904, "neg_rec": -0.028339},
    "DSLIB": {"pos_syn": 0.09375, "neg_syn": -0.1875, "pos_mem": 0.523552, "neg_mem": -0.360642},
    "DSRLIB": {"pos_rec": 0.050982},
    "DSLIT": {"pos_mem": 0.537749, "neg_mem": -0.354429},
    "DSRLIT": {"pos_rec": 0.04841, "neg_rec": 0.0},
}


@pytest.mark.parametrize("name", list(TABLE_E))
def test_e_sign_alternating_single_neuron(name: str) -> None:
    layer = getattr(st, name)(1, pos_beta=0.9, neg_beta=0.5) if name.startswith("D") else getattr(st, name)(1)
    close(run(layer, [torch.tensor([[v]]) for v in SEQ_E]), TABLE_E[name], atol=2e-6)
    for state, value in FINAL_E.get(name, {}).items():
        assert getattr(layer, state).item() == pytest.approx(value, abs=2e-6), state


def test_f_hard_spikes_with_round_ste() -> None:
    layer = st.LIB(1, quant_fn=snn_core.round_ste())
    close(run(layer, [torch.ones(1, 1)] * 6), [0, 1, 1, 1, 1, 1])
    layer.zero_states()
    outs, mems = [], []
    for _ in range(8):
        outs.append(layer(torch.full((1, 1), 0.6)).item())
        mems.append(layer.mem.item())
    assert outs == [0, 1, 0, 1, 0, 1, 0, 1]
    assert mems == pytest.approx([0.6, 0.14, 0.726, 0.2534, 0.82806, 0.345254, 0.910729, 0.419656], abs=1e-6)


@pytest.mark.parametrize(
    ("name", "kwargs", "out"),
    [
        ("LIT", {}, [0, 1, 0, 1, 0, -1, -1, -1]),
        ("LITS", {"pos_scale": 2.0, "neg_scale": 0.5}, [0, 2, 0, 2, 0, -0.5, -0.5, -0.5]),
    ],
)
def test_f_ternary_round_ste(name: str, kwargs: dict, out: list) -> None:
    layer = getattr(st, name)(1, quant_fn=snn_core.round_ste(), **kwargs)
    got, mems = [], []
    for v in [0.6] * 4 + [-0.9] * 4:
        got.append(layer(torch.tensor([[v]])).item())
        mems.append(layer.mem.item())
    assert got == out
    expected_mem = [0.6, 0.14, 0.726, 0.2534, -0.67194, -0.504746, -0.354271, -0.218844]
    assert mems == pytest.approx(expected_mem, abs=1e-6)


def test_f_rlits_feeds_back_scaled_output() -> None:
    layer = st.RLITS(1, pos_scale=2.0, neg_scale=0.5, rec_weight=1.0, quant_fn=snn_core.round_ste())
    got, trace = [], []
    for v in [0.6] * 4 + [-0.9] * 4:
        got.append(layer(torch.tensor([[v]])).item())
        trace.append((layer.mem.item(), layer.rec.item()))
    assert got == [0, 2, 0, 2, 0, 0, -0.5, 0]
    expected = [(0.6, 0), (0.14, 0), (0.926, 0.2), (0.6134, 0.18), (0.01406, 0.362), (-0.561546, 0.3258),
                (-0.112171, 0.29322), (-0.787056, 0.213898)]  # fmt: skip
    assert [m for m, _ in trace] == pytest.approx([m for m, _ in expected], abs=1e-5)
    assert [r for _, r in trace] == pytest.approx([r for _, r in expected], abs=1e-6)


def test_g_zero_input_drift() -> None:
    layer = st.LIB(2)
    out = run(layer, [torch.zeros(1, 2)] * 5)
    close([o[:, :1] for o in out], [0.017986, 0.016878, 0.016000, 0.015296, 0.014726])
    assert layer.mem[0, 0].item() == pytest.approx(-0.065557, abs=1e-6)


def grads(layer, values):
    xs = [torch.tensor([[v]], requires_grad=True) for v in values]
    outs = [layer(x) for x in xs]
    loss = torch.stack(outs).sum()
    loss.backward()
    return (
        loss.item(),
        [o.item() for o in outs],
        {n: p.grad.item() for n, p in layer.named_parameters()},
        [x.grad.item() for x in xs],
    )


def test_h_gradients_lib() -> None:
    loss, _, g, gx = grads(st.LIB(1), [1.0, 0.5, 1.5])
    assert loss == pytest.approx(1.928272, abs=1e-6)
    assert [g["raw_beta"], g["raw_threshold"], g["raw_bias"]] == pytest.approx(
        [0.048441, -1.003952, 1.107649], abs=1e-6
    )
    assert gx == pytest.approx([1.0, 0.990832, 0.085659], abs=1e-6)


def test_h_gradients_lib_round_ste() -> None:
    loss, _, g, gx = grads(st.LIB(1, quant_fn=snn_core.round_ste()), [1.0, 0.5, 1.5])
    assert loss == 2.0
    assert [g["raw_beta"], g["raw_threshold"], g["raw_bias"]] == pytest.approx(
        [0.058951, -0.746596, 1.072726], abs=1e-6
    )
    assert gx == pytest.approx([1.0, 0.606841, 0.120413], abs=1e-6)


def test_h_gradients_lit() -> None:
    loss, _, g, gx = grads(st.LIT(1), [1.0, -1.5, 0.5])
    assert loss == pytest.approx(-0.042545, abs=1e-6)
    names = ["raw_beta", "raw_pos_threshold", "raw_neg_threshold", "raw_bias"]
    assert [g[n] for n in names] == pytest.approx([0.038212, -0.404486, 0.627009, 1.113764], abs=1e-6)
    assert gx == pytest.approx([1.000143, 0.992412, 0.143793], abs=1e-6)


def test_h_gradients_rlib() -> None:
    loss, _, g, _ = grads(st.RLIB(1, rec_weight=0.5), [1.0, 0.5, 1.5])
    assert loss == pytest.approx(1.956766, abs=1e-6)
    names = ["raw_beta", "raw_gamma", "raw_threshold", "raw_bias", "raw_rec_weight"]
    assert [g[n] for n in names] == pytest.approx(
        [0.048282, -0.025351, -1.037806, 1.160580, 0.056693], abs=1e-6
    )


def test_h_gradients_dsrlits() -> None:
    layer = st.DSRLITS(1, pos_rec_weight=0.5, neg_rec_weight=-0.3, pos_scale=1.5, neg_scale=0.7)
    _, outs, g, _ = grads(layer, [1.0, -2.0, 1.5, 0.2])
    assert outs == pytest.approx([0.177074, -0.051805, 0.030327, 0.107291], abs=1e-6)
    expected = {
        "pos_alpha": -0.396305, "neg_alpha": 0.226696, "pos_beta": 0.072005, "neg_beta": -0.064329,
        "pos_gamma": -0.010395, "neg_gamma": 0.001976, "pos_threshold": -0.679566, "neg_threshold": 0.098535,
        "bias": 1.115762, "pos_scale": 0.231258, "neg_scale": -0.105191, "pos_rec_weight": 0.020735,
        "neg_rec_weight": 0.0,
    }  # fmt: skip
    for name, value in expected.items():
        assert g["raw_" + name] == pytest.approx(value, abs=1e-6), name
