"""``snn demo``: train a spiking classifier on scikit-learn's handwritten digits and report on it.

Everything it needs comes through the registry: the ``poisson`` encoder (snn-encoding), the ``lif`` and ``li``
neurons (snn-neurons) or the ``LIB`` layer (snn-tracelayers). Install with
``pip install "snn-core[demo]" snn-neurons snn-encoding`` (plus ``snn-tracelayers`` for ``--model lib``).

Example:
    >>> from snn_core.demo import DemoConfig, run_demo
    >>> result = run_demo(DemoConfig(epochs=8, seed=0, out="snn-demo-output"))
    >>> result.accuracy >= 0.9
    True
"""

from __future__ import annotations

from .config import ENCODERS, MODELS, DemoConfig
from .data import DEMO_INSTALL_HINT, Split, load_digits_split, split_dataset
from .model import LIBClassifier, LIFClassifier, Recording, build_classifier
from .progress import ProgressBar
from .runner import DemoResult, check_components, resolve_device, run_demo
from .train import DT, EpochStats, encode, evaluate, train

__all__ = [
    "DEMO_INSTALL_HINT",
    "DT",
    "ENCODERS",
    "MODELS",
    "DemoConfig",
    "DemoResult",
    "EpochStats",
    "LIBClassifier",
    "LIFClassifier",
    "ProgressBar",
    "Recording",
    "Split",
    "build_classifier",
    "check_components",
    "encode",
    "evaluate",
    "load_digits_split",
    "resolve_device",
    "run_demo",
    "split_dataset",
    "train",
]
