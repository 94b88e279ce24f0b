"""snn_core.plot: every helper drawn headless (Agg), its figure content and saved file checked."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
np = pytest.importorskip("numpy")

import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from snn_core import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png_shape(path) -> tuple[int, ...]:
    assert path.exists() and path.stat().st_size > 1000
    return matplotlib.image.imread(path).shape


def _spikes(steps: int = 50, neurons: int = 12, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(steps, neurons, generator=g) < 0.2).float()


def test_import_does_not_import_matplotlib():
    code = "import sys, snn_core.plot; sys.exit(1 if 'matplotlib' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_spike_raster_draws_one_tick_per_spike(tmp_path):
    z = _spikes()
    z[3, 4] = -1.0
    fig, ax = plot.spike_raster(z.requires_grad_(), dt=1e-3, save=tmp_path / "r.png")
    positive, negative = ax.collections
    assert positive.get_offsets().shape[0] == int((z > 0).sum())
    np.testing.assert_allclose(negative.get_offsets(), [[3.0, 4.0]])  # dt=1 ms: x in ms
    assert ax.get_xlabel() == "Time [ms]"
    assert ax.get_ylim() == (-0.5, 11.5)
    height, width, _ = _png_shape(tmp_path / "r.png")
    assert width > height > 200


def test_spike_raster_flattens_batched_steps_and_lists():
    z = _spikes(20, 6).reshape(20, 2, 3)
    _, ax = plot.spike_raster(list(z.reshape(20, 1, 6)))
    _, ax2 = plot.spike_raster(z)
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), ax2.collections[0].get_offsets())
    assert ax.get_ylim() == (-0.5, 5.5)


def test_spike_raster_rejects_empty_and_ragged():
    with pytest.raises(ValueError, match="spikes"):
        plot.spike_raster(torch.zeros(0, 3))
    with pytest.raises(ValueError, match="same number of elements"):
        plot.spike_raster([torch.zeros(3), torch.zeros(4)])


@pytest.mark.parametrize("use_imshow", [True, False])
def test_spike_train_accepts_1xN_steps_with_grad(tmp_path, use_imshow):
    steps = [s.reshape(1, -1).requires_grad_() for s in _spikes(30, 8)]  # traceTorch fails on these
    fig, ax = plot.spike_train(steps, use_imshow=use_imshow, save=tmp_path / "s.png")
    if use_imshow:
        (image,) = ax.images
        assert image.get_array().shape == (8, 30)
        assert image.get_clim() == (-1.0, 1.0)
        assert len(fig.axes) == 2  # colour bar
    else:
        assert len(ax.collections) == 8
        assert ax.get_ylim() == (-1.0, 8.0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Time step", "Neuron index")
    assert _png_shape(tmp_path / "s.png")[1] > 400


def test_trace_lines_plots_each_neuron_and_threshold(tmp_path):
    v = torch.linspace(0, 1, 40).unsqueeze(1) * torch.arange(1, 4)
    _, ax = plot.trace_lines(v, dt=5e-4, threshold=1.0, save=tmp_path / "v.png")
    assert len(ax.lines) == 4
    np.testing.assert_allclose(ax.lines[2].get_ydata(), v[:, 2].numpy(), rtol=1e-6)
    np.testing.assert_allclose(ax.lines[0].get_xdata()[-1], 39 * 0.5)
    assert ax.get_legend() is not None
    _png_shape(tmp_path / "v.png")
    _, ax = plot.membrane_traces(torch.randn(10, 20), max_lines=5)
    assert len(ax.lines) == 5


def test_line_graph_multidimensional_requires_grad_tensors(tmp_path):
    steps = [torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * t for t in range(5)]
    _, ax = plot.line_graph(steps, "lines", label=["a", "b"], save=tmp_path / "l.png")
    assert len(ax.lines) == 4
    assert [line.get_label() for line in ax.lines] == ["a", "b", "Neuron 2", "Neuron 3"]
    np.testing.assert_allclose(ax.lines[3].get_ydata(), [0, 4, 8, 12, 16])
    _, ax = plot.line_graph([0.5, 0.25, 0.125], "numbers")
    assert len(ax.lines) == 1 and ax.get_legend() is None
    _png_shape(tmp_path / "l.png")


def test_measurement_manager_matches_tracetorch_numbers(tmp_path):
    m = plot.MeasurementManager("loss")
    for value in (1, torch.tensor(1.0, requires_grad=True), 3):
        m.append(value)
    expected = [[1, 0.1, 0.01, 0.001], [1, 0.19, 0.0199, 0.001999], [3, 0.471, 0.049701, 0.004997]]
    np.testing.assert_allclose(torch.stack(m.measurement).numpy(), expected, rtol=2e-5, atol=1e-6)
    _, ax = m.plot(save=tmp_path / "m.png")
    assert [line.get_label() for line in ax.lines] == ["0.0", "0.9", "0.99", "0.999"]
    assert ax.get_title() == "loss"
    m.reset()
    with pytest.raises(ValueError, match="no measurements"):
        m.plot()
    with pytest.raises(ValueError, match="decay"):
        plot.MeasurementManager("x", decay=[1.5])


def test_firing_rates_and_histogram(tmp_path):
    z = torch.zeros(10, 2, 3)
    z[:, :, 0] = 1.0
    z[::2, 0, 1] = 1.0
    np.testing.assert_allclose(plot.firing_rates(z), [1.0, 0.25, 0.0])
    np.testing.assert_allclose(plot.firing_rates(z, dt=1e-3), [1000.0, 250.0, 0.0])
    _, ax = plot.firing_rate_histogram(z, dt=1e-3, bins=4, save=tmp_path / "h.png")
    heights = [patch.get_height() for patch in ax.patches]
    assert len(heights) == 4 and sum(heights) == 3
    assert ax.get_xlabel() == "Firing rate [Hz]"
    _png_shape(tmp_path / "h.png")
    with pytest.raises(ValueError, match="dt"):
        plot.firing_rates(z, dt=0.0)


def test_parameter_distributions_one_panel_per_parameter(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    fig, axes = plot.parameter_distributions(net, columns=3, save=tmp_path / "p.png")
    visible = [ax for ax in axes.flat if ax.get_visible()]
    assert axes.shape == (2, 3) and len(visible) == 4
    assert visible[0].get_title() == "0.weight (32)"
    assert sum(p.get_height() for p in visible[0].patches) == 32
    _png_shape(tmp_path / "p.png")
    with pytest.raises(ValueError, match="no parameters"):
        plot.parameter_distributions({})


def test_render_image_grid_and_save_true(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig, axes = plot.render_image(torch.rand(5, 3, 6, 6), title="rgb", name="grid", save=True)
    assert axes.shape == (2, 3)
    assert tuple(fig.get_size_inches()) == (6.0, 4.0)
    assert sum(len(ax.images) for ax in axes.flat) == 5
    _png_shape(tmp_path / "media" / "grid.png")
    _, axes = plot.render_image(torch.rand(1, 8, 8))
    assert axes[0, 0].images[0].get_cmap().name == "gray"
    with pytest.raises(ValueError, match="C in"):
        plot.render_image(torch.rand(2, 2, 4, 4))


def test_distributions_numbers_and_metrics(tmp_path):
    a = torch.randn(3000, generator=torch.Generator().manual_seed(1), requires_grad=True)
    b = torch.tensor([0.0, 1.0, 2.0, float("nan"), float("inf")])
    result = plot.distributions([a, b], "d", max_kde_samples=1000, save=tmp_path / "d.png")
    grid = result["grid"]
    assert grid.shape == (1024,)
    for density in result["kdes"]:
        assert np.trapezoid(density, grid) == pytest.approx(1.0)
    stats = result["stats"][1]
    assert (stats["n"], stats["mean"], stats["std"], stats["min"], stats["max"]) == (3, 1.0, 1.0, 0.0, 2.0)
    np.testing.assert_allclose(result["percentiles"][1][[0, 50, 100]], [0.0, 1.0, 2.0])
    l1 = result["metrics"]["l1_kde"]
    assert l1.shape == (2, 2) and l1[0, 0] == 0.0 and 0.0 < l1[0, 1] == l1[1, 0] <= 2.0
    if "wasserstein" in result["metrics"]:
        assert result["metrics"]["wasserstein"][0, 1] > 0.5
    fig, ax = result["fig_ax"]
    assert len(ax.lines) == 2 and ax.get_legend() is not None
    _png_shape(tmp_path / "d.png")


def test_distributions_kde_hand_values():
    grid = np.linspace(-3.0, 3.0, 601)
    density = plot.gaussian_kde(np.array([0.0]), grid, bandwidth=1.0)
    normal = np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(density, normal / np.trapezoid(normal, grid), rtol=1e-12)
    x = np.array([0.0, 2.0])
    assert plot.silverman_bandwidth(x) == pytest.approx(1.06 * np.sqrt(2.0) * 2**-0.2)
    assert plot.silverman_bandwidth(np.ones(5)) == 1.0
    with pytest.raises(ValueError, match="no finite"):
        plot.distributions([torch.tensor([float("nan")])], "x")


def test_plot_functions_draw_into_given_axes():
    fig, ax = plt.subplots()
    out_fig, out_ax = plot.spike_raster(_spikes(), ax=ax, title=None)
    assert out_fig is fig and out_ax is ax and ax.get_title() == ""


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.bool, torch.int64])
def test_low_precision_and_integer_inputs(dtype):
    z = _spikes(20, 5)
    _, ax = plot.spike_raster(z.to(dtype))
    assert ax.collections[0].get_offsets().shape[0] == int(z.sum())
    np.testing.assert_allclose(plot.firing_rates(z.to(dtype)), z.mean(0).numpy(), rtol=1e-6)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_tensors_are_copied_to_the_cpu(tmp_path):
    z = _spikes(30, 6).cuda().requires_grad_()
    _, ax = plot.spike_raster(z, save=tmp_path / "gpu.png")
    assert ax.collections[0].get_offsets().shape[0] == int(z.detach().sum().cpu())
    result = plot.distributions([z, torch.randn(100, device="cuda")], "gpu")
    assert result["stats"][0]["n"] == 180
