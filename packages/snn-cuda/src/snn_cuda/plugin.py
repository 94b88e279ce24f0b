"""Hook implementations through which snn-cuda registers its components with snn-core."""

from __future__ import annotations

import snn_core

from ._availability import available


@snn_core.hookimpl
def snn_register_kernels() -> list[snn_core.KernelSpec]:
    from . import lif_family as family
    from . import models
    from .lif import lif_feed_forward_sequence

    table = [
        ("cuda-lif", "lif", lif_feed_forward_sequence, "fused Triton LIF"),
        ("cuda-li", "li", models.li_feed_forward_sequence, "fused Triton leaky integrator"),
        ("cuda-iaf", "iaf", models.iaf_feed_forward_sequence, "fused Triton integrate-and-fire"),
        ("cuda-lif-box", "lif_box", models.lif_box_feed_forward_sequence, "fused Triton LIF box"),
        ("cuda-lsnn", "lsnn", models.lsnn_feed_forward_sequence, "fused Triton LSNN"),
        ("cuda-lif-refrac", "lif_refrac", family.lif_refrac_feed_forward_sequence, "fused Triton LIF refrac"),
        ("cuda-lif-ex", "lif_ex", family.lif_ex_feed_forward_sequence, "fused Triton exponential LIF"),
        ("cuda-lif-adex", "lif_adex", family.lif_adex_feed_forward_sequence, "fused Triton AdEx"),
    ]
    return [
        snn_core.KernelSpec(
            name=name,
            target=f"neuron:{neuron}",
            backend="cuda",
            device="cuda",
            fn=fn,
            is_available=available,
            summary=f"{summary} (forward + backward, state in registers across T)",
        )
        for name, neuron, fn, summary in table
    ]
