"""What is particular to the compiled Izhikevich and conductance-based LIF loops.

The generic checks (the step loop bit for bit, gradients, no_grad, the kernel registry, gradcheck,
fallbacks) run for both models in ``test_native_models.py``; here: Izhikevich's presets, CobaLIF's
circ surrogate on a short run, their own parameter fields and defaults, the preset state that
broadcasts, and the ``backend="torch"`` path looping the step.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

import snn_neurons.functional as F
from snn_neurons import native, sequence

pytestmark = pytest.mark.skipif(
    not native.available(), reason=f"the C kernels cannot be built here: {native.build_error()}"
)


def _shared_helpers() -> ModuleType:
    """test_native_models.py's helpers (tests run under ``--import-mode=importlib``: no sibling import)."""
    spec = importlib.util.spec_from_file_location(
        "_native_models_helpers", Path(__file__).with_name("test_native_models.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nm = _shared_helpers()
DTYPES = [torch.float32, torch.float64]
PRESETS = {
    "tonic_spiking": F.tonic_spiking,
    "phasic_bursting": F.phasic_bursting,  # tau_inv = 200, d = 0.05 (not a float32 number)
    "class_1_exc": F.class_1_exc,  # mn = 4.1, bias = 108, negative b
    "dap": F.dap,  # a = 1, tau_inv = 100, negative d
}


def preset_state(
    behavior: F.IzhikevichSpikingBehavior, shape: tuple[int, ...], dtype: torch.dtype, seed: int = 2
) -> F.IzhikevichState:
    """The preset's state, spread by a few mV per neuron, full shape, requiring grad."""
    g = torch.Generator().manual_seed(seed)
    v = behavior.s.v.to(dtype) + 4 * torch.rand(shape, generator=g, dtype=dtype)
    u = behavior.s.u.to(dtype) + torch.rand(shape, generator=g, dtype=dtype)
    return F.IzhikevichState(v.requires_grad_(True), u.requires_grad_(True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_izhikevich_presets_match_the_step_loop(preset, dtype):
    behavior = PRESETS[preset]
    xs = nm.drive_for("izhikevich", (160, 2, 9), dtype, seed=3, level=float(behavior.p.bias) / 14)
    state = preset_state(behavior, (2, 9), dtype, seed=4)
    outs, final = nm.assert_matches("izhikevich", xs, state, behavior.p)
    assert outs.sum() > 0
    assert nm.node_name(outs, final) == "_NativeIzhikevichBackward"


@pytest.mark.parametrize("dtype", DTYPES)
def test_coba_lif_circ_on_a_short_run(dtype):
    """circ's slowly decaying derivative times (v_reset - v1) grows the adjoint over long runs."""
    xs = nm.drive_for("coba_lif", (30, 3, 11), dtype, seed=12)
    state = nm.initial_state("coba_lif", (3, 11), dtype)
    outs, final = nm.assert_matches("coba_lif", xs, state, nm.params("coba_lif", "circ"))
    assert outs.sum() > 0 and nm.node_name(outs, final) == "_NativeCobaLIFBackward"


def _typed_parameters(model: str, kind: str) -> tuple[Any, Any]:
    """Izhikevich: (tau_inv * dt) * a in the parameter's type, then the input's dtype; CobaLIF:
    -dt * tau_syn_*_inv and dt * c_m_inv in the parameter's type (its defaults are int64 tensors)."""
    if model == "izhikevich":
        base = F.phasic_bursting.p._replace(a=0.03, b=0.23, sq=0.041, v_th=29.7)
        numbers = {k: v for k, v in base._asdict().items() if k != "method"}
        if kind != "python-floats":
            scalar_type = torch.float64 if kind == "float64-scalars" else torch.float32
            numbers = {k: torch.tensor(float(v), dtype=scalar_type) for k, v in numbers.items()}
        return base._replace(**numbers), F.phasic_bursting
    values = dict(
        tau_syn_exc_inv=0.3, tau_syn_inh_inv=0.17, c_m_inv=4.7, g_l=0.3, v_rest=-20.3, v_thresh=-9.9
    )
    p = nm.params("coba_lif")
    if kind == "python-floats":
        p = p._replace(**values, e_rev_E=60.1, e_rev_I=-99.7, v_reset=-70.2)
    elif kind == "float64-scalars":
        p = p._replace(**{k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()})
    return p, None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("izhikevich", "python-floats"),
        ("izhikevich", "float64-scalars"),
        ("izhikevich", "float32-scalars"),
        ("coba_lif", "int64-default"),
        ("coba_lif", "python-floats"),
        ("coba_lif", "float64-scalars"),
    ],
)
def test_parameter_types_round_as_the_step_does(model, kind, dtype):
    p, behavior = _typed_parameters(model, kind)
    xs = nm.drive_for(model, (120, 2, 7), dtype, seed=5, level=12.0)
    state = preset_state(behavior, (2, 7), dtype) if behavior else nm.initial_state(model, (2, 7), dtype)
    assert native.supports(model, xs, state, p)
    outs, _ = nm.assert_matches(model, xs, state, p, dt=7e-4)
    assert outs.sum() > 0


@pytest.mark.parametrize(
    ("model", "default"), [("izhikevich", F.tonic_spiking.p), ("coba_lif", F.CobaLIFParameters())]
)
def test_default_parameters(model, default):
    xs = nm.drive_for(model, (60, 2, 5), torch.float64, seed=16)
    state = nm.initial_state(model, (2, 5), torch.float64)
    nm.assert_bitwise(*nm.seq_fn(model)(xs, state), *nm.seq_fn(model)(xs, state, default))


def test_izhikevich_preset_state_runs_the_torch_path():
    """The presets' shared 0-dim states broadcast: the loop's numbers, not the compiled loop."""
    xs = nm.drive_for("izhikevich", (30, 2, 3), torch.float32, seed=15).detach()
    state = F.tonic_spiking.s
    p = nm.params("izhikevich")
    assert not native.supports("izhikevich", xs, state, p)
    outs, final = sequence.izhikevich_feed_forward_sequence(xs, state, p)
    ref_outs, ref_final = nm.step_loop("izhikevich", xs, state, p)
    assert torch.equal(outs, ref_outs)
    assert all(torch.equal(a, b) for a, b in zip(final, ref_final))
    assert outs.sum() > 0


@pytest.mark.parametrize("model", ["izhikevich", "coba_lif"])
def test_torch_backend_loops_the_step_not_the_slower_recomputing_path(model):
    xs = nm.drive_for("izhikevich", (12, 2, 5), torch.float64)
    if model == "izhikevich":
        state, p = nm.initial_state(model, (2, 5), torch.float64), nm.params(model)
    else:
        state = F.CobaLIFFeedForwardState(
            *(torch.zeros(2, 5, dtype=torch.float64, requires_grad=True) for _ in range(3))
        )
        p = F.CobaLIFParameters()
    outs, final = nm.seq_fn(model)(xs, state, p, backend="torch")
    assert "Generic" not in nm.node_name(outs, final)
    assert nm.node_name(outs, final) == "StackBackward0"
