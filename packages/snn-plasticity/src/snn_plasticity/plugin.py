"""Hook implementations through which snn-plasticity registers its components with snn-core."""

from __future__ import annotations

import snn_core

from .modules import STDPLinear, STDPSensorCell, TsodyksMakramCell
from .stdp import STDPParameters, STDPState, stdp_step_linear
from .stdp_sensor import STDPSensorParameters, STDPSensorState, stdp_sensor_step
from .tsodyks_markram import TsodyksMakramParameters, TsodyksMakramState, stp_step


@snn_core.hookimpl
def snn_register_plasticity_rules() -> list[snn_core.PlasticitySpec]:
    """The STDP sensor, Tsodyks–Markram short-term plasticity and pair-based STDP."""
    return [
        snn_core.PlasticitySpec(
            name="stdp_sensor",
            step=stdp_sensor_step,
            parameters=STDPSensorParameters,
            state=STDPSensorState,
            module=STDPSensorCell,
            summary="pre/post spike traces for STDP (Norse's stdp_sensor_step)",
        ),
        snn_core.PlasticitySpec(
            name="tsodyks_markram",
            step=stp_step,
            parameters=TsodyksMakramParameters,
            state=TsodyksMakramState,
            module=TsodyksMakramCell,
            summary="Tsodyks-Markram short-term synaptic facilitation and depression",
        ),
        snn_core.PlasticitySpec(
            name="stdp",
            step=stdp_step_linear,
            parameters=STDPParameters,
            state=STDPState,
            module=STDPLinear,
            summary="pair-based STDP weight updates (linear; stdp_step_conv2d for conv2d)",
        ),
    ]
