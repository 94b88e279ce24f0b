"""snn demo without any plugin installed: in-process stand-ins for lif/li/poisson and a synthetic data set.

The end-to-end run on scikit-learn's digits with the real plugins is in the root tests/test_demo.py.
"""

from __future__ import annotations

import io
import json
import sys
from typing import NamedTuple

import pytest
import torch

import snn_core
from snn_core import cli
from snn_core.demo import (
    DemoConfig,
    ProgressBar,
    Split,
    check_components,
    load_digits_split,
    resolve_device,
    run_demo,
    split_dataset,
)

# ---------------------------------------------------------------- stand-in plugin (tiny, hand-written)


class _LIFParameters(NamedTuple):
    tau_syn_inv: float = 200.0
    tau_mem_inv: float = 100.0
    v_th: float = 1.0
    method: str = "super"
    alpha: float = 100.0


class _State(NamedTuple):
    v: torch.Tensor
    i: torch.Tensor


def _initial(x, p):
    return _State(torch.zeros_like(x), torch.zeros_like(x))


def _lif_step(x, s, p, dt=1e-3):
    j = s.i + x
    v = s.v + dt * p.tau_mem_inv * (j - s.v)
    z = snn_core.threshold(v - p.v_th, p.method, p.alpha)
    return z, _State(v * (1 - z), j * (1 - dt * p.tau_syn_inv))


def _li_step(x, s, p, dt=1e-3):
    j = s.i + x
    v = s.v + dt * p.tau_mem_inv * (j - s.v)
    return v, _State(v, j * (1 - dt * p.tau_syn_inv))


def _poisson(x, seq_length, f_max=100, dt=0.001, generator=None):
    r = torch.rand(seq_length, *x.shape, device=x.device, generator=generator)
    return (r < dt * f_max * x).float()


class StandInNeurons:
    @snn_core.hookimpl
    def snn_register_neurons(self):
        return [
            snn_core.NeuronSpec(
                name="lif", step=_lif_step, parameters=_LIFParameters, state=_State, initial_state=_initial
            ),
            snn_core.NeuronSpec(
                name="li", step=_li_step, parameters=_LIFParameters, state=_State, initial_state=_initial
            ),
        ]


class StandInEncoders:
    @snn_core.hookimpl
    def snn_register_encoders(self):
        return [snn_core.EncoderSpec(name="poisson", fn=_poisson)]


@pytest.fixture
def no_plugins(monkeypatch):
    """Only core's own components, whatever is installed in this environment."""
    monkeypatch.setenv("SNN_DISABLE_PLUGIN_AUTOLOAD", "1")
    snn_core.reload_plugins()


@pytest.fixture
def standins(no_plugins):
    neurons, encoders = StandInNeurons(), StandInEncoders()
    with snn_core.registered(neurons, "standin-neurons"), snn_core.registered(encoders, "standin-encoders"):
        yield


def _blobs(
    samples: int = 240, features: int = 24, classes: int = 3, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each class lights up its own block of pixels (plus noise): easy for any working classifier."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(samples) % classes
    x = 0.15 * torch.rand(samples, features, generator=g)
    block = features // classes
    for c in range(classes):
        x[y == c, c * block : (c + 1) * block] += 0.8
    return x.clamp(0, 1), y


def _data(seed: int = 0) -> Split:
    x, y = _blobs()
    return split_dataset(x, y, seed=seed, test_fraction=0.25)


def _config(tmp_path, **changes) -> DemoConfig:
    settings = dict(
        epochs=3,
        steps=12,
        hidden=32,
        batch_size=16,
        lr=2e-2,
        f_max=800.0,
        out=tmp_path / "out",
        plots=False,
        expected_accuracy=0.9,
    )
    settings.update(changes)
    return DemoConfig(**settings)


# ---------------------------------------------------------------- data, config, device, progress


def test_split_is_stratified_deterministic_and_limited():
    x, y = _blobs(samples=300)
    a = split_dataset(x, y, seed=3, test_fraction=0.2)
    b = split_dataset(x, y, seed=3, test_fraction=0.2)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert a.x_test.shape == (60, 24) and a.x_train.shape == (240, 24) and a.classes == 3
    assert torch.bincount(a.y_test).tolist() == [20, 20, 20]
    c = split_dataset(x, y, seed=4, test_fraction=0.2)
    assert not torch.equal(a.x_test, c.x_test)
    limited = split_dataset(x, y, seed=3, test_fraction=0.2, limit=90)
    assert limited.x_train.shape[0] + limited.x_test.shape[0] == 90
    with pytest.raises(ValueError, match="same number of samples"):
        split_dataset(x, y[:-1], seed=0, test_fraction=0.2)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"model": "gru"}, "model"),
        ({"encoder": "x"}, "encoder"),
        ({"limit": 5}, "limit"),
        ({"test_fraction": 1.0}, "test_fraction"),
        ({"lr": -1.0}, "lr"),
        ({"expected_accuracy": 2.0}, "expected_accuracy"),
    ],
)
def test_config_rejects_bad_values(changes, match):
    with pytest.raises(ValueError, match=match):
        DemoConfig(**changes)


def test_quick_config_is_shorter_and_overridable():
    quick, full = DemoConfig.quick(), DemoConfig()
    assert quick.epochs < full.epochs and quick.steps < full.steps
    assert quick.expected_accuracy < full.expected_accuracy
    assert DemoConfig.quick(epochs=5).epochs == 5


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device"):
        resolve_device("quantum")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_progress_plain_prints_one_line_per_epoch():
    stream = io.StringIO()
    bar = ProgressBar(2, 4, stream, width=8, interactive=False)
    bar.update(1, 1, 1.0, 0.5)
    bar.end_epoch(1, 0.75, 0.5, 0.625, 1.25)
    assert stream.getvalue() == "epoch 1/2 [########] loss 0.7500 train acc  50.0% test acc  62.5% (1.2 s)\n"


def test_progress_tty_redraws_in_place():
    stream = io.StringIO()
    bar = ProgressBar(10, 4, stream, width=4, interactive=True)
    bar.update(3, 2, 0.5, 0.25)
    assert stream.getvalue() == "\repoch  3/10 [##--] 2/4 loss 0.5000 train acc  25.0%"
    bar.end_epoch(3, 0.5, 0.25, 0.5, 2.0)
    assert stream.getvalue().endswith(
        "\r\033[Kepoch  3/10 [####] loss 0.5000 train acc  25.0% test acc  50.0% (2.0 s)\n"
    )


# ---------------------------------------------------------------- missing plugins


def test_missing_neurons_name_the_package(no_plugins, tmp_path):
    encoders = snn_core.registered(StandInEncoders(), "standin-encoders")
    with encoders, pytest.raises(snn_core.UnknownComponentError, match="pip install snn-neurons"):
        run_demo(_config(tmp_path), data=_data(), stream=io.StringIO())
    assert not (tmp_path / "out").exists()


def test_missing_encoder_names_the_package(no_plugins, tmp_path):
    with pytest.raises(snn_core.UnknownComponentError, match="pip install snn-encoding"):
        check_components(_config(tmp_path))


def test_lib_model_needs_tracelayers(standins, tmp_path):
    with pytest.raises(snn_core.UnknownComponentError, match="pip install snn-tracelayers"):
        check_components(_config(tmp_path, model="lib"))


def test_cli_demo_missing_plugin_exits_2_with_hint(no_plugins, capsys):
    assert cli.main(["demo", "--quick", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("snn: error:") and "pip install snn-encoding" in err


# ---------------------------------------------------------------- training with the stand-ins


def test_run_learns_writes_outputs_and_is_deterministic(standins, tmp_path):
    stream = io.StringIO()
    result = run_demo(_config(tmp_path), data=_data(), stream=stream, interactive=False)
    assert result.accuracy >= 0.9 and result.reached  # measured: 1.0 (the blobs are easy)
    assert len(result.history) == 3 and result.history[-1].loss < result.history[0].loss
    out = tmp_path / "out"
    weights = torch.load(out / "weights.pt", weights_only=True)
    assert set(weights) == {"fc_in.weight", "fc_in.bias", "fc_out.weight"}
    assert weights["fc_in.weight"].shape == (32, 24)
    report = json.loads((out / "report.json").read_text())
    assert report["accuracy"] == result.accuracy and report["seed"] == 0 and report["epochs"] == 3
    assert set(report["times_s"]) == {"data", "train", "total"}
    assert "Test accuracy: 100.00 %" in (out / "report.md").read_text() or result.accuracy < 1.0
    text = stream.getvalue()
    assert text.count("\n") >= 3 + 5 and "epoch 3/3" in text and "expected >= 90 %" in text

    again = run_demo(_config(tmp_path, out=tmp_path / "again"), data=_data(), stream=io.StringIO())
    assert [s[:4] for s in again.history] == [s[:4] for s in result.history]
    torch.testing.assert_close(
        torch.load(tmp_path / "again" / "weights.pt", weights_only=True), weights, rtol=0, atol=0
    )
    other = run_demo(_config(tmp_path, out=tmp_path / "other", seed=1), data=_data(), stream=io.StringIO())
    assert [s.loss for s in other.history] != [s.loss for s in result.history]


def test_run_below_expectation_is_reported(standins, tmp_path):
    result = run_demo(
        _config(tmp_path, epochs=1, lr=1e-6, expected_accuracy=1.0), data=_data(), stream=io.StringIO()
    )
    assert not result.reached
    assert json.loads((tmp_path / "out" / "report.json").read_text())["reached"] is False
    assert "NOT reached" in (tmp_path / "out" / "report.md").read_text()


def test_cli_demo_end_to_end_with_standins(standins, tmp_path, monkeypatch, capsys):
    from snn_core.demo import runner

    monkeypatch.setattr(runner, "load_digits_split", lambda **kw: _data(kw["seed"]))
    out = tmp_path / "cli"
    code = cli.main(
        [
            "demo",
            "--epochs",
            "2",
            "--steps",
            "10",
            "--hidden",
            "32",
            "--lr",
            "0.02",
            "--f-max",
            "800",
            "--batch-size",
            "16",
            "--out",
            str(out),
            "--seed",
            "2",
            "--no-plots",
            "--expect",
            "0.5",
        ]
    )
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert (report["seed"], report["epochs"], report["config"]["steps"]) == (2, 2, 10)
    assert "epoch 2/2" in capsys.readouterr().out
    code = cli.main(
        [
            "demo",
            "--epochs",
            "1",
            "--lr",
            "1e-7",
            "--hidden",
            "4",
            "--out",
            str(out),
            "--no-plots",
            "--expect",
            "1.0",
        ]
    )
    assert code == 3


def test_cli_demo_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--model", "gru"])
    assert exit_info.value.code == 2
    assert cli.main(["demo", "--epochs", "0"]) == 2
    assert "epochs must be an integer >= 1" in capsys.readouterr().err


def test_run_with_figures(standins, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.image

    result = run_demo(_config(tmp_path, epochs=1, plots=True), data=_data(), stream=io.StringIO())
    for name in ("raster", "membrane", "learning_curve"):
        path = result.files[name]
        height, width = matplotlib.image.imread(path).shape[:2]
        assert width > 600 and height > 300, name
    assert "![raster](raster.png)" in (tmp_path / "out" / "report.md").read_text()


# ---------------------------------------------------------------- optional dependencies missing


@pytest.fixture
def without_matplotlib(monkeypatch):
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import matplotlib` raise ImportError


def test_plot_names_the_extra_when_matplotlib_is_missing(without_matplotlib):
    from snn_core import plot

    with pytest.raises(ImportError, match=r'pip install "snn-core\[plot\]"'):
        plot.spike_raster(torch.zeros(3, 2))


def test_demo_skips_figures_without_matplotlib(standins, tmp_path, without_matplotlib):
    stream = io.StringIO()
    result = run_demo(_config(tmp_path, epochs=1, plots=True), data=_data(), stream=stream)
    assert 'figures skipped: matplotlib is missing (pip install "snn-core[plot]")' in stream.getvalue()
    assert set(result.files) == {"weights", "report_json", "report_md"}


def test_missing_sklearn_names_the_extra(standins, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r'pip install "snn-core\[demo\]"'):
        load_digits_split(seed=0, test_fraction=0.2)
    assert cli.main(["demo", "--quick", "--no-plots"]) == 2
    assert 'pip install "snn-core[demo]"' in capsys.readouterr().err


def test_cli_gallery_without_matplotlib(without_matplotlib, capsys):
    assert cli.main(["gallery"]) == 2
    assert "snn-core" in capsys.readouterr().err
