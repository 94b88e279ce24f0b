"""The demo's data: scikit-learn's 8x8 handwritten digits, shipped inside scikit-learn (no download)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

__all__ = ["DEMO_INSTALL_HINT", "Split", "load_digits_split", "split_dataset"]

DEMO_INSTALL_HINT = 'snn demo needs scikit-learn and matplotlib: pip install "snn-core[demo]"'


class Split(NamedTuple):
    """Train and test tensors: ``x`` in ``[0, 1]`` of shape ``[N, features]``, ``y`` class indices ``[N]``."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    classes: int


def split_dataset(
    x: Tensor, y: Tensor, *, seed: int, test_fraction: float, limit: int | None = None
) -> Split:
    """Shuffle with ``seed``, keep the first ``limit`` samples, and hold out ``test_fraction`` for testing.

    The split is stratified: every class contributes the same share to the test set, so small ``limit``s
    still test every class.
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of samples, got {x.shape[0]} and {y.shape[0]}")
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(x.shape[0], generator=generator)
    if limit is not None:
        order = order[:limit]
    x, y = x[order], y[order]
    test_index, train_index = [], []
    for label in torch.unique(y).tolist():
        members = torch.nonzero(y == label).flatten()
        held_out = max(1, round(test_fraction * members.numel()))
        test_index.append(members[:held_out])
        train_index.append(members[held_out:])
    train = torch.cat(train_index).sort().values
    test = torch.cat(test_index).sort().values
    classes = int(y.max()) + 1
    return Split(x[train], y[train], x[test], y[test], classes)


def load_digits_split(*, seed: int, test_fraction: float, limit: int | None = None) -> Split:
    """Load ``sklearn.datasets.load_digits`` (1797 images, 8x8, 10 classes), scale to ``[0, 1]``, split.

    Raises:
        ImportError: naming ``pip install "snn-core[demo]"`` when scikit-learn is missing.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(DEMO_INSTALL_HINT) from error
    digits = load_digits()
    x = torch.as_tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.as_tensor(digits.target, dtype=torch.long)
    return split_dataset(x, y, seed=seed, test_fraction=test_fraction, limit=limit)
