"""With every package installed, real entry-point discovery finds every official component."""

from __future__ import annotations

import warnings
from importlib import metadata

import pytest

import snn_core
from snn_core.plugins.official import OFFICIAL

OFFICIAL_DISTRIBUTIONS = [
    "snn-neurons",
    "snn-encoding",
    "snn-plasticity",
    "snn-tracelayers",
    "snn-rnn",
    "snn-ssm",
    "snn-cuda",
]


def test_every_official_plugin_is_active_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plugins = {p.name: p for p in snn_core.reload_plugins().plugins}
    for dist in OFFICIAL_DISTRIBUTIONS:
        assert plugins[dist].status == "active", plugins[dist].reason
        assert plugins[dist].version == metadata.version(dist)


@pytest.mark.parametrize("kind", sorted(k for k, names in OFFICIAL.items() if names))
def test_every_official_name_is_registered_by_its_package(kind: str) -> None:
    mapping = snn_core.registry().kind(kind)
    wrong = {
        name: dist
        for name, dist in OFFICIAL[kind].items()
        if name not in mapping or mapping.provider(name) != dist
    }
    assert not wrong, f"not registered by the expected package: {wrong}"


def test_trace_rnn_ssm_families() -> None:
    layers = snn_core.registry().layers
    assert {layers[n].family for n in ("LIB", "DSRLITS", "LIEMA")} == {"trace"}
    assert {layers[n].family for n in ("SimpleRNN", "LSTM", "GRU")} == {"rnn"}
    assert {layers[n].family for n in ("S4", "S5", "S6", "Mamba")} == {"ssm"}
