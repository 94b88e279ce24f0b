"""Which official distribution provides which component name.

Used only to turn an unknown-name error into an install hint; registration never reads it.
"""

from __future__ import annotations

_TRACE_FAMILIES = ("LI", "LIB", "LIT", "LITS")
_TRACE_LI = ["LI", "DLI", "SLI", "DSLI", "LIEMA", "DLIEMA", "SLIEMA", "DSLIEMA"]
_TRACE_FIRING = [
    prefix + family
    for family in _TRACE_FAMILIES[1:]
    for prefix in ("", "D", "S", "R", "DS", "DR", "SR", "DSR")
]

OFFICIAL: dict[str, dict[str, str]] = {
    "neurons": dict.fromkeys(
        [
            "lif",
            "li",
            "iaf",
            "izhikevich",
            "lif_box",
            "coba_lif",
            "lif_adex",
            "lif_ex",
            "lif_mc",
            "lif_refrac",
            "lif_mc_refrac",
            "lsnn",
        ],
        "snn-neurons",
    ),
    "encoders": dict.fromkeys(
        [
            "poisson",
            "signed_poisson",
            "population",
            "constant_current_lif",
            "spike_latency_lif",
            "spike_latency",
        ],
        "snn-encoding",
    ),
    "plasticity_rules": dict.fromkeys(["stdp_sensor", "tsodyks_markram", "stdp"], "snn-plasticity"),
    "layers": {
        **dict.fromkeys(_TRACE_LI + _TRACE_FIRING, "snn-tracelayers"),
        **dict.fromkeys(["SimpleRNN", "LSTM", "GRU"], "snn-rnn"),
        **dict.fromkeys(["S4", "S5", "S6", "Mamba"], "snn-ssm"),
    },
    "kernels": {},
    "thresholds": {},
}

#: backend name -> distribution that provides kernels for it
OFFICIAL_BACKENDS: dict[str, str] = {"cuda": "snn-cuda", "cpu": "snn-neurons"}
