"""snn-plasticity registers its three rules with snn-core."""

from __future__ import annotations

import snn_core
import snn_plasticity as sp
from snn_plasticity import plugin


def test_specs():
    specs = {spec.name: spec for spec in plugin.snn_register_plasticity_rules()}
    assert set(specs) == {"stdp_sensor", "tsodyks_markram", "stdp"}
    assert (
        specs["stdp_sensor"].step is sp.stdp_sensor_step and specs["stdp_sensor"].module is sp.STDPSensorCell
    )
    assert specs["tsodyks_markram"].step is sp.stp_step
    assert specs["tsodyks_markram"].parameters is sp.TsodyksMakramParameters
    assert specs["stdp"].step is sp.stdp_step_linear and specs["stdp"].module is sp.STDPLinear
    assert specs["stdp"].state is sp.STDPState and specs["stdp"].parameters is sp.STDPParameters


def test_registered_through_the_entry_point():
    rules = snn_core.registry().plasticity_rules
    for name in ("stdp_sensor", "tsodyks_markram", "stdp"):
        assert rules.provider(name) == "snn-plasticity"
    assert rules["stdp"].step is sp.stdp_step_linear


def test_every_public_name_is_exported():
    for name in sp.__all__:
        assert hasattr(sp, name), name
