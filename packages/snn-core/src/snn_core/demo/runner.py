"""``run_demo``: check the plugins, load the digits, train, evaluate and write every output."""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import torch

from ..plugins.manager import registry
from .config import DemoConfig
from .data import Split, load_digits_split
from .model import build_classifier
from .progress import ProgressBar
from .train import DT, EpochStats, encode, evaluate, train

__all__ = ["DemoResult", "check_components", "resolve_device", "run_demo"]


@dataclass
class DemoResult:
    """Outcome of :func:`run_demo`."""

    config: DemoConfig
    accuracy: float
    history: list[EpochStats]
    times: dict[str, float]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def reached(self) -> bool:
        """Whether the test accuracy reached ``config.expected_accuracy``."""
        return self.accuracy >= self.config.expected_accuracy


def check_components(config: DemoConfig) -> None:
    """Look up every component the run needs, so a missing plugin fails before any work.

    Raises:
        UnknownComponentError: naming the package to install (``pip install snn-neurons`` & co.).
    """
    reg = registry()
    reg.encoders[config.encoder]
    if config.encoder == "constant_current_lif" or config.model == "lif":
        reg.neurons["lif"]
    if config.model == "lif":
        reg.neurons["li"]
    else:
        reg.layers["LIB"]


def resolve_device(name: str) -> torch.device:
    """``"auto"`` gives CUDA when available, else the CPU; other names are passed to ``torch.device``.

    Raises:
        ValueError: for an unknown device name or an unavailable CUDA device.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {name!r}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but CUDA is not available; use --device cpu or auto")
    return device


def _describe(config: DemoConfig, data: Split, device: torch.device) -> str:
    network = (
        "Linear({i}, {h}) -> LIF -> Linear({h}, {c}) -> leaky integrator (mean over time)"
        if config.model == "lif"
        else "Linear({i}, {h}) -> LIB (traceTorch) -> Linear({h}, {c}) (mean over time)"
    ).format(i=data.x_train.shape[1], h=config.hidden, c=data.classes)
    return (
        f"snn demo: spiking classifier on scikit-learn's handwritten digits (8x8 pixels)\n"
        f"  data     {data.x_train.shape[0]} train / {data.x_test.shape[0]} test samples, {data.classes} classes\n"
        f"  encoding {config.encoder}, {config.steps} steps of {DT * 1e3:g} ms"
        + (f", f_max {config.f_max:g} Hz" if config.encoder == "poisson" else "")
        + f"\n  network  {network}\n"
        f"  training {config.epochs} epochs, batch {config.batch_size}, Adam lr {config.lr:g}, seed {config.seed}, "
        f"device {device}\n"
    )


def _save_outputs(
    network: torch.nn.Module,
    data: Split,
    config: DemoConfig,
    device: torch.device,
    result: DemoResult,
    stream: TextIO,
) -> None:
    out = config.out
    out.mkdir(parents=True, exist_ok=True)
    weights = out / "weights.pt"
    torch.save({k: v.detach().cpu() for k, v in network.state_dict().items()}, weights)
    result.files["weights"] = weights
    if config.plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            stream.write('  figures skipped: matplotlib is missing (pip install "snn-core[plot]")\n')
        else:
            from . import figures

            image, label = data.x_test[:1], int(data.y_test[0])
            generator = torch.Generator(device=device).manual_seed(config.seed + 2)
            spikes = encode(image.to(device), config, generator)
            recording = network.record(spikes)  # type: ignore[operator]
            paths = {name: out / f"{name}.png" for name in ("raster", "membrane", "learning_curve")}
            figures.raster_figure(image[0], spikes[:, 0], recording, label, paths["raster"])
            figures.membrane_figure(recording, label, figures.threshold_of(network), paths["membrane"])
            figures.learning_curve_figure(result.history, config.expected_accuracy, paths["learning_curve"])
            result.files.update(paths)
    report = _report_dict(config, result, device)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(_report_markdown(report, result))
    result.files["report_json"] = out / "report.json"
    result.files["report_md"] = out / "report.md"


def _report_dict(config: DemoConfig, result: DemoResult, device: torch.device) -> dict[str, Any]:
    return {
        "accuracy": result.accuracy,
        "expected_accuracy": config.expected_accuracy,
        "reached": result.reached,
        "seed": config.seed,
        "epochs": config.epochs,
        "model": config.model,
        "encoder": config.encoder,
        "device": str(device),
        "times_s": {k: round(v, 3) for k, v in result.times.items()},
        "history": [s._asdict() for s in result.history],
        "config": config.as_dict(),
        "environment": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        "files": {k: p.name for k, p in sorted(result.files.items())},
    }


def _report_markdown(report: dict[str, Any], result: DemoResult) -> str:
    verdict = "reached" if result.reached else "NOT reached"
    rows = "\n".join(
        f"| {s.epoch} | {s.loss:.4f} | {100 * s.train_accuracy:.1f} % | {100 * s.test_accuracy:.1f} % | {s.seconds:.1f} |"
        for s in result.history
    )
    figures = "".join(
        f"![{name}]({name}.png)\n\n"
        for name in ("learning_curve", "raster", "membrane")
        if name in result.files
    )
    times = report["times_s"]
    return (
        "# snn demo report\n\n"
        f"Spiking classifier (`{report['model']}`) on scikit-learn's handwritten digits, "
        f"`{report['encoder']}` encoding, seed {report['seed']}, {report['epochs']} epochs on {report['device']}.\n\n"
        f"**Test accuracy: {100 * result.accuracy:.2f} %** (expected at least "
        f"{100 * report['expected_accuracy']:.0f} %: {verdict}).\n\n"
        f"Time: {times['total']:.1f} s in total, {times['train']:.1f} s training.\n\n"
        "| epoch | loss | train accuracy | test accuracy | seconds |\n|---|---|---|---|---|\n"
        f"{rows}\n\n{figures}"
        "Weights: `weights.pt` (a `state_dict`; `torch.load(path, weights_only=True)`).\n"
    )


def run_demo(
    config: DemoConfig,
    *,
    data: Split | None = None,
    stream: TextIO | None = None,
    interactive: bool | None = None,
) -> DemoResult:
    """Train the demo classifier and write weights, figures and reports to ``config.out``.

    Args:
        config: the run's settings.
        data: a ready train/test split; default: scikit-learn's digits (needs ``snn-core[demo]``).
        stream: where progress goes (default ``sys.stdout``).
        interactive: force the progress bar's TTY mode on or off (default: detect).

    Returns:
        A :class:`DemoResult` (accuracy, per-epoch history, times, written files).

    Raises:
        UnknownComponentError: when a needed plugin is missing (names the package to install).
        ImportError: when scikit-learn is missing (names ``pip install "snn-core[demo]"``).
    """
    previous_threads = torch.get_num_threads()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    try:
        return _run(config, data, stream if stream is not None else sys.stdout, interactive)
    finally:
        torch.set_num_threads(previous_threads)


def _run(config: DemoConfig, data: Split | None, stream: TextIO, interactive: bool | None) -> DemoResult:
    started = time.perf_counter()
    check_components(config)
    device = resolve_device(config.device)
    if data is None:
        data = load_digits_split(seed=config.seed, test_fraction=config.test_fraction, limit=config.limit)
    loaded = time.perf_counter()
    stream.write(_describe(config, data, device))
    torch.manual_seed(config.seed)
    network = build_classifier(config.model, data.x_train.shape[1], config.hidden, data.classes, DT).to(
        device
    )
    progress = ProgressBar(
        config.epochs, -(-data.x_train.shape[0] // config.batch_size), stream, interactive=interactive
    )
    history = train(network, data, config, device, progress)
    trained = time.perf_counter()
    accuracy = (
        history[-1].test_accuracy if history else evaluate(network, data.x_test, data.y_test, config, device)
    )
    times = {"data": loaded - started, "train": trained - loaded}
    result = DemoResult(config, accuracy, history, times)
    result.times["total"] = time.perf_counter() - started
    _save_outputs(network, data, config, device, result, stream)
    result.times["total"] = time.perf_counter() - started
    verdict = "OK" if result.reached else "below expectation"
    stream.write(
        f"test accuracy {100 * accuracy:.2f} % (expected >= {100 * config.expected_accuracy:.0f} %): {verdict}\n"
        f"time {result.times['total']:.1f} s (training {result.times['train']:.1f} s); outputs in {config.out}/\n"
    )
    return result
