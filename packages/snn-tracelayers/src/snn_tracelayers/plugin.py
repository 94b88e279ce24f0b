"""Hook implementations through which snn-tracelayers registers its components with snn-core."""

from __future__ import annotations

import snn_core

from . import layers


@snn_core.hookimpl
def snn_register_layers() -> list[snn_core.LayerSpec]:
    """The 32 traceTorch layers, family ``"trace"``."""
    return [
        snn_core.LayerSpec(
            name=name,
            cls=getattr(layers, name),
            family="trace",
            summary=(getattr(layers, name).__doc__ or "").split("\n", 1)[0],
        )
        for name in layers.LAYER_NAMES
    ]
