"""The examples in the module wrappers' docstrings run and print what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest
import torch

import snn_neurons as sn

MODULES = [
    "base",
    "structural",
    "lif",
    "li",
    "iaf",
    "lif_box",
    "coba_lif",
    "lif_adex",
    "lif_ex",
    "lif_refrac",
    "lif_mc",
    "lsnn",
    "izhikevich",
    "regularization",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"snn_neurons.modules.{name}")
    globs = {"torch": torch, **{n: getattr(sn, n) for n in sn.__all__}}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    torch.manual_seed(0)
    result = doctest.testmod(module, extraglobs=globs, optionflags=flags, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
