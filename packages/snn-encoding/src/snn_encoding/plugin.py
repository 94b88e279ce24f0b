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


@snn_core.hookimpl
def snn_register_encoders() -> list[snn_core.EncoderSpec]:
    """The six encoders of Norse 1.1.0, by registry name."""
    return [
        snn_core.EncoderSpec(
            name="poisson",
            fn=poisson_encode,
            module=PoissonEncoder,
            summary="Poisson (Bernoulli) spike trains from non-negative rates",
        ),
        snn_core.EncoderSpec(
            name="signed_poisson",
            fn=signed_poisson_encode,
            module=SignedPoissonEncoder,
            summary="signed Poisson spike trains in {-1, 0, 1} from signed values",
        ),
        snn_core.EncoderSpec(
            name="population",
            fn=population_encode,
            module=PopulationEncoder,
            summary="Gaussian tuning curves with evenly spaced centres",
        ),
        snn_core.EncoderSpec(
            name="constant_current_lif",
            fn=constant_current_lif_encode,
            module=ConstantCurrentLIFEncoder,
            summary="LIF neurons driven by a constant current (needs the 'lif' neuron)",
        ),
        snn_core.EncoderSpec(
            name="spike_latency_lif",
            fn=spike_latency_lif_encode,
            module=SpikeLatencyLIFEncoder,
            summary="time to first spike of current-driven LIF neurons (needs the 'lif' neuron)",
        ),
        snn_core.EncoderSpec(
            name="spike_latency",
            fn=spike_latency_encode,
            module=SpikeLatencyEncoder,
            summary="keeps each neuron's first spike along time",
        ),
    ]
