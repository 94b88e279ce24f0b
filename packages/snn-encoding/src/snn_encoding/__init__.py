"""Encoders for snn: Poisson, population, latency, spike logic and receptive fields.

Every name of Norse 1.1.0's encoding, logic and receptive-field API is importable from here with
Norse's signature, defaults and numbers (see "Differences from Norse" in the docs for the fixes).
The encoders are also registered with snn-core (``snn_core.registry().encoders``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .latency import spike_latency_encode
from .lif import (
    constant_current_lif_encode,
    lif_neuron_spec,
    resolve_lif_parameters,
    spike_latency_lif_encode,
)
from .logical import logical_and, logical_or, logical_xor, muller_c, posedge_detector
from .modules import (
    ConstantCurrentLIFEncoder,
    PoissonEncoder,
    PoissonEncoderStep,
    PopulationEncoder,
    SignedPoissonEncoder,
    SignedPoissonEncoderStep,
    SpikeLatencyEncoder,
    SpikeLatencyLIFEncoder,
)
from .poisson import (
    poisson_encode,
    poisson_encode_step,
    signed_poisson_encode,
    signed_poisson_encode_step,
)
from .population import euclidean_distance, gaussian_rbf, population_encode
from .receptive_field import (
    calculate_normalization,
    covariance_matrix,
    derive_kernel,
    derive_spatial_receptive_field,
    derive_spatial_receptive_field_single,
    gaussian_kernel,
    spatial_parameters,
    spatial_receptive_field,
    spatial_receptive_fields_with_derivatives,
    temporal_scale_distribution,
)
from .receptive_field_modules import (
    ParameterizedSpatialReceptiveField2d,
    SampledSpatialReceptiveField2d,
    SpatialReceptiveField2d,
    TemporalReceptiveField,
    fields_to_weights,
)

try:
    __version__ = _version("snn-encoding")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0"

__all__ = [
    "ConstantCurrentLIFEncoder",
    "ParameterizedSpatialReceptiveField2d",
    "PoissonEncoder",
    "PoissonEncoderStep",
    "PopulationEncoder",
    "SampledSpatialReceptiveField2d",
    "SignedPoissonEncoder",
    "SignedPoissonEncoderStep",
    "SpatialReceptiveField2d",
    "SpikeLatencyEncoder",
    "SpikeLatencyLIFEncoder",
    "TemporalReceptiveField",
    "calculate_normalization",
    "constant_current_lif_encode",
    "covariance_matrix",
    "derive_kernel",
    "derive_spatial_receptive_field",
    "derive_spatial_receptive_field_single",
    "euclidean_distance",
    "fields_to_weights",
    "gaussian_kernel",
    "gaussian_rbf",
    "lif_neuron_spec",
    "logical_and",
    "logical_or",
    "logical_xor",
    "muller_c",
    "poisson_encode",
    "poisson_encode_step",
    "population_encode",
    "posedge_detector",
    "resolve_lif_parameters",
    "signed_poisson_encode",
    "signed_poisson_encode_step",
    "spatial_parameters",
    "spatial_receptive_field",
    "spatial_receptive_fields_with_derivatives",
    "spike_latency_encode",
    "spike_latency_lif_encode",
    "temporal_scale_distribution",
    "__version__",
]
