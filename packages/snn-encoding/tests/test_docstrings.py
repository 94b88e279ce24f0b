"""The examples in the docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest
import torch

MODULES = [
    "snn_encoding.poisson",
    "snn_encoding.population",
    "snn_encoding.lif",
    "snn_encoding.latency",
    "snn_encoding.logical",
    "snn_encoding.receptive_field",
    "snn_encoding.modules",
    "snn_encoding.receptive_field_modules",
]


@pytest.mark.usefixtures("lif_registered")
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, extraglobs={"torch": torch}, optionflags=flags, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0
