"""snn gallery without snn-neurons: a stand-in module provides the 'izhikevich' neuron and its presets."""

from __future__ import annotations

import sys
import types

import pytest
import torch

import snn_core
from snn_core import cli, gallery

STANDIN_SOURCE = """
from typing import NamedTuple
import torch
import snn_core

class P(NamedTuple):
    a: float
    b: float
    c: float
    d: float
    sq: float = 0.04
    mn: float = 5
    bias: float = 140
    v_th: float = 30
    tau_inv: float = 250
    method: str = "heaviside"
    alpha: float = 100.0

class S(NamedTuple):
    v: torch.Tensor
    u: torch.Tensor

class Behaviour(NamedTuple):
    p: P
    s: S

def step(i, s, p, dt=0.001):
    v = s.v + p.tau_inv * dt * (p.sq * s.v**2 + p.mn * s.v + p.bias - s.u + i)
    u = s.u + p.tau_inv * dt * p.a * (p.b * s.v - s.u)
    z = snn_core.threshold(v - p.v_th, p.method, p.alpha)
    return z, S((1 - z) * v + z * p.c, (1 - z) * u + z * (u + p.d))

def initial(x, p):
    return S(torch.full_like(x, -70.0), torch.full_like(x, -14.0))

def _b(a, b, c, d, v0, tau_inv=250):
    return Behaviour(P(a, b, c, d, tau_inv=tau_inv), S(torch.tensor(v0), torch.tensor(v0 * b)))

NAMES = {names!r}
for _name in NAMES:
    globals()[_name] = _b(0.02, 0.2, -65, 6, -70.0, tau_inv=200 if _name == "phasic_bursting" else 250)

class Plugin:
    @snn_core.hookimpl
    def snn_register_neurons(self):
        return [snn_core.NeuronSpec(name="izhikevich", step=step, parameters=P, state=S, initial_state=initial)]
"""


def _standin_module(monkeypatch, names=gallery.BEHAVIOURS) -> types.ModuleType:
    module = types.ModuleType("snn_standin_izhikevich")
    exec(STANDIN_SOURCE.format(names=tuple(names)), module.__dict__)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for fn in (module.step, module.initial):
        fn.__module__ = module.__name__
    return module


@pytest.fixture
def no_plugins(monkeypatch):
    monkeypatch.setenv("SNN_DISABLE_PLUGIN_AUTOLOAD", "1")
    snn_core.reload_plugins()


@pytest.fixture
def standin(no_plugins, monkeypatch):
    module = _standin_module(monkeypatch)
    with snn_core.registered(module.Plugin(), "standin-izhikevich"):
        yield module


def test_twenty_behaviours_with_protocols():
    assert len(gallery.BEHAVIOURS) == 20 == len(set(gallery.BEHAVIOURS))
    assert gallery.BEHAVIOURS[0] == "tonic_spiking" and "accomodation" in gallery.BEHAVIOURS
    duration, current = gallery.PROTOCOLS["tonic_spiking"]
    assert duration == 100.0 and current(5.0) == 0.0 and current(10.5) == 14.0
    _, current = gallery.PROTOCOLS["class_2_exc"]
    assert current(0.0) == -0.5 and current(130.0) == pytest.approx(-0.5 + 0.015 * 100)
    _, current = gallery.PROTOCOLS["bistability"]
    assert [current(t) for t in (0.0, 40.0, 100.0, 218.0)] == [0.24, 1.24, 0.24, 1.24]
    _, current = gallery.PROTOCOLS["accomodation"]
    assert [current(t) for t in (100.0, 250.0, 306.25, 350.0)] == [4.0, 0.0, 2.0, 0.0]


def test_missing_neuron_names_snn_neurons(no_plugins):
    with pytest.raises(snn_core.UnknownComponentError, match="pip install snn-neurons"):
        gallery.load_behaviours()


def test_missing_preset_is_explained(no_plugins, monkeypatch):
    module = _standin_module(monkeypatch, names=["tonic_spiking"])
    with snn_core.registered(module.Plugin(), "partial"):
        assert list(gallery.load_behaviours(["tonic_spiking"])) == ["tonic_spiking"]
        with pytest.raises(snn_core.UnknownComponentError, match="defines no preset behaviour 'dap'"):
            gallery.load_behaviours(["dap"])
    with pytest.raises(KeyError, match="unknown Izhikevich behaviour"):
        gallery.load_behaviours(["bursting_madly"])


def test_simulate_follows_the_registered_step_and_protocol(standin):
    behaviour = gallery.load_behaviours(["tonic_spiking"])["tonic_spiking"]
    trace = gallery.simulate("tonic_spiking", behaviour)
    assert trace.time.shape == (400,) and float(trace.time[1]) == 0.25  # 100 ms at 0.25 ms steps
    assert float(trace.current[40]) == 0.0 and float(trace.current[41]) == 14.0
    # hand loop with the same step function
    state = behaviour.s
    expected_v, expected_z = [], []
    for i_t in trace.current:
        z, state = standin.step(i_t, state, behaviour.p)
        expected_z.append(float(z))
        expected_v.append(30.0 if float(z) > 0 else float(state.v))
    assert trace.spikes.tolist() == expected_z
    torch.testing.assert_close(trace.voltage, torch.tensor(expected_v), rtol=1e-6, atol=1e-5)
    assert 3 <= sum(expected_z) <= 10  # tonic spiking from 10 ms on
    assert float(trace.voltage[:40].max()) < -60.0  # at rest before the step
    slow = gallery.simulate("phasic_bursting", behaviour._replace(p=behaviour.p._replace(tau_inv=200)))
    assert float(slow.time[1]) == pytest.approx(0.2) and slow.time.shape == (1000,)


def test_gallery_figure_has_twenty_panels(standin, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.image

    path = tmp_path / "g" / "gallery.png"
    fig, traces = gallery.izhikevich_gallery(path, dpi=50)
    assert len(traces) == 20 and len(fig.axes) == 40
    titles = [ax.get_title() for ax in fig.axes[::2]]
    assert titles[0] == "(A) tonic spiking" and titles[-1] == "(T) inhibition induced bursting"
    assert all(len(ax.lines) == 1 for ax in fig.axes)
    height, width = matplotlib.image.imread(path).shape[:2]
    assert width > 500 and height > 300
    fig, traces = gallery.izhikevich_gallery(names=["dap", "resonator"], columns=1)
    assert [t.name for t in traces] == ["dap", "resonator"] and len(fig.axes) == 4


def test_cli_gallery(standin, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "two.png"
    assert cli.main(["gallery", "--out", str(out), "--behaviours", "dap,integrator", "--dpi", "40"]) == 0
    assert out.stat().st_size > 1000 and f"wrote {out}" in capsys.readouterr().out
    assert cli.main(["gallery", "--behaviours", "dap,nonsense"]) == 2
    assert "unknown behaviour(s) nonsense" in capsys.readouterr().err


def test_cli_gallery_without_neuron_names_package(no_plugins, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert cli.main(["gallery", "--out", str(tmp_path / "x.png")]) == 2
    assert "pip install snn-neurons" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
