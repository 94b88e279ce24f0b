"""Hook implementations through which snn-encoding registers its components with snn-core."""

from __future__ import annotations

import snn_core

from .latency import spike_latency_encode
from .lif import constant_current_lif_encode, spike_latency_lif_encode
from .modules import (
    ConstantCurrentLIFEncoder,
    PoissonEncoder,
    PopulationEncoder,
    SignedPoissonEncoder,
    SpikeLatencyEncoder,
    SpikeLatencyLIFEncoder,
)
from .poisson import poisson_encode, signed_poisson_encode
from .population import population_encode

#: (registry name, functional encoder, module, summary) of the six encoders of Norse 1.1.0
_ENCODERS = (
    ("poisson", poisson_encode, PoissonEncoder, "Poisson (Bernoulli) spike trains from non-negative rates"),
    (
        "signed_poisson",
        signed_poisson_encode,
        SignedPoissonEncoder,
        "signed Poisson spike trains in {-1, 0, 1} from signed values",
    ),
    ("population", population_encode, PopulationEncoder, "Gaussian tuning curves with evenly spaced centres"),
    (
        "constant_current_lif",
        constant_current_lif_encode,
        ConstantCurrentLIFEncoder,
        "LIF neurons driven by a constant current (needs the 'lif' neuron)",
    ),
    (
        "spike_latency_lif",
        spike_latency_lif_encode,
        SpikeLatencyLIFEncoder,
        "time to first spike of current-driven LIF neurons (needs the 'lif' neuron)",
    ),
    (
        "spike_latency",
        spike_latency_encode,
        SpikeLatencyEncoder,
        "keeps each neuron's first spike along time",
    ),
)


@snn_core.hookimpl
def snn_register_encoders() -> list[snn_core.EncoderSpec]:
    """The six encoders of Norse 1.1.0, by registry name."""
    return [
        snn_core.EncoderSpec(name=name, fn=fn, module=module, summary=summary)
        for name, fn, module, summary in _ENCODERS
    ]
