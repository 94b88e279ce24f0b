"""Encoding, training and evaluation of the demo classifier."""

from __future__ import annotations

import time
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ..plugins.manager import registry
from .config import DemoConfig
from .data import Split
from .progress import ProgressBar

__all__ = ["DT", "EpochStats", "encode", "evaluate", "train"]

DT = 1e-3
"""Simulation time step of the demo in seconds."""


class EpochStats(NamedTuple):
    """One epoch of training: mean loss and accuracy over its batches, then the test accuracy."""

    epoch: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float


def encode(x: Tensor, config: DemoConfig, generator: torch.Generator | None) -> Tensor:
    """Turn pixel intensities ``[B, F]`` in ``[0, 1]`` into time-first spikes ``[T, B, F]``.

    The encoder comes from the registry (``snn-encoding``); ``poisson`` spikes with probability
    ``f_max * dt * x`` per step, ``constant_current_lif`` drives LIF neurons with ``input_scale * x``.
    """
    spec = registry().encoders[config.encoder]
    if config.encoder == "poisson":
        return spec.fn(x, config.steps, f_max=config.f_max, dt=DT, generator=generator)
    return spec.fn(x * config.input_scale, config.steps, dt=DT)


def _batches(count: int, size: int, order: Tensor | None = None) -> list[Tensor]:
    index = order if order is not None else torch.arange(count)
    return list(index.split(size))


@torch.no_grad()
def evaluate(network: nn.Module, x: Tensor, y: Tensor, config: DemoConfig, device: torch.device) -> float:
    """Accuracy on ``(x, y)`` with a fixed encoding seed, so every evaluation sees the same spikes."""
    network.eval()
    generator = torch.Generator(device=device).manual_seed(config.seed + 2)
    correct = 0
    for index in _batches(x.shape[0], 256):
        spikes = encode(x[index].to(device), config, generator)
        correct += int((network(spikes).argmax(dim=1) == y[index].to(device)).sum())
    return correct / max(x.shape[0], 1)


def train(
    network: nn.Module, data: Split, config: DemoConfig, device: torch.device, progress: ProgressBar
) -> list[EpochStats]:
    """Train with Adam (cosine-annealed learning rate) on the cross-entropy of the class scores.

    Returns one :class:`EpochStats` per epoch.
    """
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    loss_fn = nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(config.seed + 1)
    spikes_rng = torch.Generator(device=device).manual_seed(config.seed + 3)
    history: list[EpochStats] = []
    samples = data.x_train.shape[0]
    per_epoch = -(-samples // config.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * per_epoch)
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        network.train()
        total_loss, correct, seen = 0.0, 0, 0
        batches = _batches(samples, config.batch_size, torch.randperm(samples, generator=shuffle))
        for number, index in enumerate(batches, start=1):
            x = data.x_train[index].to(device)
            y = data.y_train[index].to(device)
            scores = network(encode(x, config, spikes_rng))
            loss = loss_fn(scores, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += float(loss.detach()) * y.shape[0]
            correct += int((scores.detach().argmax(dim=1) == y).sum())
            seen += y.shape[0]
            progress.update(epoch, number, total_loss / seen, correct / seen)
        test_accuracy = evaluate(network, data.x_test, data.y_test, config, device)
        stats = EpochStats(
            epoch, total_loss / seen, correct / seen, test_accuracy, time.perf_counter() - started
        )
        progress.end_epoch(epoch, stats.loss, stats.train_accuracy, stats.test_accuracy, stats.seconds)
        history.append(stats)
    return history
