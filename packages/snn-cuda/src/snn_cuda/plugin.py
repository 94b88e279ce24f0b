"""Hook implementations through which snn-cuda registers its components with snn-core."""

from __future__ import annotations

import snn_core

from ._availability import available


@snn_core.hookimpl
def snn_register_kernels() -> list[snn_core.KernelSpec]:
    from .lif import lif_feed_forward_sequence

    return [
        snn_core.KernelSpec(
            name="cuda-lif",
            target="neuron:lif",
            backend="cuda",
            device="cuda",
            fn=lif_feed_forward_sequence,
            is_available=available,
            summary="fused Triton LIF (forward + backward, state in registers across T)",
        )
    ]
