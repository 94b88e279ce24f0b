"""snn-encoding registers its six encoders with snn-core."""

from __future__ import annotations

import snn_core
import snn_encoding
from snn_encoding import plugin

EXPECTED = {
    "poisson": (snn_encoding.poisson_encode, snn_encoding.PoissonEncoder),
    "signed_poisson": (snn_encoding.signed_poisson_encode, snn_encoding.SignedPoissonEncoder),
    "population": (snn_encoding.population_encode, snn_encoding.PopulationEncoder),
    "constant_current_lif": (
        snn_encoding.constant_current_lif_encode,
        snn_encoding.ConstantCurrentLIFEncoder,
    ),
    "spike_latency_lif": (snn_encoding.spike_latency_lif_encode, snn_encoding.SpikeLatencyLIFEncoder),
    "spike_latency": (snn_encoding.spike_latency_encode, snn_encoding.SpikeLatencyEncoder),
}


def test_hook_returns_the_six_encoder_specs():
    specs = {spec.name: spec for spec in plugin.snn_register_encoders()}
    assert set(specs) == set(EXPECTED)
    for name, (fn, module) in EXPECTED.items():
        assert specs[name].fn is fn and specs[name].module is module and specs[name].summary


def test_registered_through_the_entry_point():
    encoders = snn_core.registry().encoders
    for name, (fn, _) in EXPECTED.items():
        assert encoders[name].fn is fn
        assert encoders.provider(name) == "snn-encoding"


def test_every_public_name_is_exported():
    for name in snn_encoding.__all__:
        assert hasattr(snn_encoding, name), name
