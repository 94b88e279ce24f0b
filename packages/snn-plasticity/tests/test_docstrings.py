"""The examples in the docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest
import torch

MODULES = [
    "snn_plasticity.stdp",
    "snn_plasticity.stdp_sensor",
    "snn_plasticity.tsodyks_markram",
    "snn_plasticity.modules",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, extraglobs={"torch": torch}, optionflags=flags, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0
