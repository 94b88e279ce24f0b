"""Plasticity rules for snn: STDP and Tsodyks-Markram short-term plasticity.

Norse 1.1.0's plasticity API (``stdp_sensor_step``, ``stp_step`` and the pair-based
``stdp_step_linear``/``stdp_step_conv2d``) with its names, defaults and numbers, plus modules for
training loops. The rules are registered with snn-core (``snn_core.registry().plasticity_rules``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .modules import STDPConv2d, STDPLinear, STDPSensorCell, TsodyksMakramCell, TsodyksMarkramCell
from .stdp import (
    STDP_ALGORITHMS,
    STDPParameters,
    STDPState,
    stdp_initial_state,
    stdp_step_conv2d,
    stdp_step_linear,
)
from .stdp_sensor import (
    STDPSensorParameters,
    STDPSensorState,
    check_stdp_sensor_parameters,
    stdp_sensor_step,
)
from .tsodyks_markram import (
    TsodyksMakramParameters,
    TsodyksMakramState,
    TsodyksMarkramParameters,
    TsodyksMarkramState,
    check_tsodyks_makram_parameters,
    stp_step,
)

try:
    __version__ = _version("snn-plasticity")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0"

__all__ = [
    "STDP_ALGORITHMS",
    "STDPConv2d",
    "STDPLinear",
    "STDPParameters",
    "STDPSensorCell",
    "STDPSensorParameters",
    "STDPSensorState",
    "STDPState",
    "TsodyksMakramCell",
    "TsodyksMakramParameters",
    "TsodyksMakramState",
    "TsodyksMarkramCell",
    "TsodyksMarkramParameters",
    "TsodyksMarkramState",
    "check_stdp_sensor_parameters",
    "check_tsodyks_makram_parameters",
    "stdp_initial_state",
    "stdp_sensor_step",
    "stdp_step_conv2d",
    "stdp_step_linear",
    "stp_step",
    "__version__",
]
