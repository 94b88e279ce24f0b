"""The examples in the functional API's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest
import torch

import snn_neurons

MODULES = [
    "_validation", "reset", "iaf", "leaky_integrator", "leaky_integrator_box", "lif", "lif_box", "lif_refrac", "izhikevich", "coba_lif",
    "lif_adex", "lif_ex", "lsnn", "lif_mc",
    "regularization",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"snn_neurons.functional.{name}")
    globs = {"torch": torch, **{n: getattr(snn_neurons, n) for n in snn_neurons.__all__}}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL
    result = doctest.testmod(module, extraglobs=globs, optionflags=flags, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
