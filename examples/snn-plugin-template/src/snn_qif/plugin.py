"""The hook implementations snn calls through the ``snn`` entry point in pyproject.toml.

Each hook takes no argument and returns the specs of one kind. Names must be unique across every
installed plugin; snn refuses a plugin whose names collide with another's and says which.
"""

from __future__ import annotations

import snn_core

from .functional import QIFParameters, QIFState, qif_initial_state, qif_sequence, qif_step
from .layer import QIF
from .surrogate import fast_sigmoid


@snn_core.hookimpl
def snn_register_thresholds() -> list[snn_core.ThresholdSpec]:
    return [
        snn_core.ThresholdSpec(
            name="fast_sigmoid", fn=fast_sigmoid, summary="Heaviside with the fast-sigmoid surrogate"
        )
    ]


@snn_core.hookimpl
def snn_register_neurons() -> list[snn_core.NeuronSpec]:
    return [
        snn_core.NeuronSpec(
            name="qif",
            step=qif_step,
            parameters=QIFParameters,
            state=QIFState,
            initial_state=qif_initial_state,
            sequence=qif_sequence,
            summary="quadratic integrate-and-fire",
        )
    ]


@snn_core.hookimpl
def snn_register_layers() -> list[snn_core.LayerSpec]:
    return [snn_core.LayerSpec(name="QIF", cls=QIF, family="qif", summary="layer of QIF neurons")]
