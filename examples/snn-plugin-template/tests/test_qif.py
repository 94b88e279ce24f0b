"""Tests of the snn-qif plugin: hand-derived numbers, and snn_core.testing's conformance checks.

Run from this folder after ``pip install .``: ``python -m pytest``. The fixtures
``register_plugin`` & co. come from ``snn_core.testing.pytest_plugin`` (see pyproject.toml).
"""

from __future__ import annotations

import pytest
import torch
from snn_qif import QIF, QIFParameters, QIFState, fast_sigmoid, qif_initial_state, qif_sequence, qif_step
from snn_qif import plugin as qif_plugin

import snn_core
from snn_core.testing import check_layer_spec, check_neuron_spec, check_threshold_spec


@pytest.fixture
def registry(request: pytest.FixtureRequest) -> snn_core.plugins.Registry:
    """The registry with this plugin: found through its entry point when installed, else registered here."""
    current = request.getfixturevalue("snn_registry")
    if "qif" in current.neurons:
        return current
    return request.getfixturevalue("register_plugin")(qif_plugin, name="snn-qif")


# ---------------------------------------------------------------- conformance (snn_core.testing)
def test_neuron_conforms(registry) -> None:
    assert "torch.compile" in check_neuron_spec(registry.neurons["qif"], drives=(100.0, 1000.0))


def test_threshold_conforms(registry) -> None:
    check_threshold_spec(registry.thresholds["fast_sigmoid"], alpha=10.0)


def test_layer_conforms(registry) -> None:
    check_layer_spec(registry.layers["QIF"], 4, drives=(100.0, 1000.0))


# ---------------------------------------------------------------- numbers derived by hand
def test_step_numbers(registry) -> None:
    p = QIFParameters()  # tau 10 ms, a 1, v_rest 0, v_c 0.5, v_peak 1, reset 0
    x = torch.tensor([10.0])
    # step 1: v = 0 + 0.1 * (1 * 0 * -0.5 + 10) = 1.0, not > v_peak: no spike
    z, s = qif_step(x, qif_initial_state(x, p), p, 1e-3)
    assert z.item() == 0.0
    assert s.v.item() == pytest.approx(1.0)
    # step 2: v = 1 + 0.1 * (1 * 1 * 0.5 + 10) = 2.05 > 1: spike and reset to 0
    z, s = qif_step(x, s, p, 1e-3)
    assert z.item() == 1.0
    assert s.v.item() == 0.0


def test_subthreshold_relaxes_and_runs_away(registry) -> None:
    p = QIFParameters()
    zero = torch.zeros(2)
    _, s = qif_step(zero, QIFState(v=torch.tensor([0.4, 0.6])), p, 1e-3)
    # 0.4 + 0.1 * 0.4 * (0.4 - 0.5) = 0.396;  0.6 + 0.1 * 0.6 * 0.1 = 0.606
    torch.testing.assert_close(s.v, torch.tensor([0.396, 0.606]))


def test_fast_sigmoid_gradient(registry) -> None:
    x = torch.tensor([-0.5, 0.0, 0.5], requires_grad=True)
    z = fast_sigmoid(x, 10.0)
    assert z.tolist() == [0.0, 0.0, 1.0]
    z.sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([1 / 36, 1.0, 1 / 36]))


def test_method_by_name_reaches_fast_sigmoid(registry) -> None:
    x = torch.tensor([0.25], requires_grad=True)
    snn_core.threshold(x, "fast_sigmoid", 2.0).sum().backward()
    assert x.grad.item() == pytest.approx(1 / 1.5**2)


def test_neuron_module_equals_functional(registry) -> None:
    xs = torch.rand(30, 2, 3) * 40
    zs, state = snn_core.Neuron("qif", dt=1e-3)(xs)
    ref, ref_state = qif_sequence(xs, qif_initial_state(xs[0]), QIFParameters(), 1e-3)
    assert torch.equal(zs, ref) and torch.equal(state.v, ref_state.v)
    assert zs.sum() > 0


def test_layer_equals_functional(registry) -> None:
    layer = QIF(3)
    xs = torch.rand(20, 2, 3) * 40
    out = torch.stack([layer(x) for x in xs.unbind(0)])
    ref, ref_state = qif_sequence(xs, qif_initial_state(xs[0]), QIFParameters(), 1e-3)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(layer.v, ref_state.v)
    assert set(layer.state_dict()) == {"raw_v_c", "raw_v_peak"}


def test_parameters_are_validated_once() -> None:
    with pytest.raises(ValueError, match="tau_mem must be finite and > 0"):
        QIFParameters(tau_mem=-1.0).checked()
    with pytest.raises(ValueError, match="v_rest < v_c < v_peak"):
        QIF(3, v_c=2.0)
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        QIF(3, dt=0.0)
