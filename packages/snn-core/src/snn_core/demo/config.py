"""Settings of ``snn demo``: one frozen dataclass, a full and a quick (CI) configuration."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MODELS", "ENCODERS", "DemoConfig"]

MODELS = ("lif", "lib")
ENCODERS = ("poisson", "constant_current_lif")


@dataclass(frozen=True)
class DemoConfig:
    """Everything that determines a demo run; the same config and seed give the same numbers.

    Attributes:
        epochs: passes over the training set.
        seed: seeds the weights, the train/test split, the shuffling and the spike encoding.
        out: output folder.
        model: ``"lif"`` (Norse-style LIF hidden layer + leaky-integrator read-out, from snn-neurons) or
            ``"lib"`` (traceTorch-style ``LIB`` layer from snn-tracelayers).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or ``"auto"`` (CUDA when available).
        encoder: registered encoder turning pixel intensities into spikes.
        steps: time steps per sample (each ``dt`` = 1 ms).
        hidden: hidden neurons.
        batch_size: samples per optimiser step.
        lr: Adam learning rate.
        f_max: Poisson rate of a white pixel in Hz (a pixel spikes with probability ``f_max * dt``).
        input_scale: current of a white pixel for the ``constant_current_lif`` encoder.
        limit: use only the first ``limit`` samples of the shuffled data set (``None``: all 1797).
        test_fraction: share of the samples held out for testing.
        expected_accuracy: the test accuracy this configuration is known to reach; the run reports whether
            it did and ``snn demo`` exits with status 3 when it did not.
        plots: write the figures (needs matplotlib).
        threads: ``torch.set_num_threads`` for the run (default 1: the numbers then do not depend on the
            machine's core count; ``None`` leaves it alone).
    """

    epochs: int = 12
    seed: int = 0
    out: Path = Path("snn-demo-output")
    model: str = "lif"
    device: str = "cpu"
    encoder: str = "poisson"
    steps: int = 24
    hidden: int = 128
    batch_size: int = 32
    lr: float = 1e-2
    f_max: float = 400.0
    input_scale: float = 12.0
    limit: int | None = None
    test_fraction: float = 0.2
    expected_accuracy: float = 0.90
    plots: bool = True
    threads: int | None = 1

    def __post_init__(self) -> None:
        for name in ("epochs", "steps", "hidden", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be an integer >= 1 or None, got {self.threads!r}")
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if self.encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {self.encoder!r}")
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 20):
            raise ValueError(f"limit must be an integer >= 20 or None, got {self.limit!r}")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"test_fraction must lie in (0, 1), got {self.test_fraction!r}")
        if not (self.lr > 0 and self.f_max > 0 and self.input_scale > 0):
            raise ValueError(
                f"lr, f_max and input_scale must be > 0, got {self.lr}, {self.f_max}, {self.input_scale}"
            )
        if not 0.0 <= self.expected_accuracy <= 1.0:
            raise ValueError(f"expected_accuracy must lie in [0, 1], got {self.expected_accuracy!r}")
        object.__setattr__(self, "out", Path(self.out))

    @classmethod
    def quick(cls, **overrides: object) -> DemoConfig:
        """The shortened configuration used in CI (``snn demo --quick``): fewer epochs and steps."""
        settings: dict[str, object] = {"epochs": 4, "steps": 16, "expected_accuracy": 0.80}
        settings.update(overrides)
        return cls(**settings)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> DemoConfig:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data["out"] = str(self.out)
        return data
