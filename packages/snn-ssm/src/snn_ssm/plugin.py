"""Hook implementations through which snn-ssm registers its components with snn-core."""

from __future__ import annotations

import snn_core

from .layers import S4, S5, S6, Mamba


@snn_core.hookimpl
def snn_register_layers() -> list[snn_core.LayerSpec]:
    """S4, S5, S6 and Mamba (family ``"ssm"``)."""
    return [
        snn_core.LayerSpec(name="S4", cls=S4, family="ssm", summary="diagonal SSM per feature (ZOH)"),
        snn_core.LayerSpec(
            name="S5", cls=S5, family="ssm", summary="SSM with one latent state shared by all features"
        ),
        snn_core.LayerSpec(
            name="S6", cls=S6, family="ssm", summary="selective SSM, step size and B, C from the input"
        ),
        snn_core.LayerSpec(
            name="Mamba", cls=Mamba, family="ssm", summary="gated S6 block with causal conv and residual"
        ),
    ]
