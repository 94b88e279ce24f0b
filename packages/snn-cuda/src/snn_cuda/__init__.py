"""snn-cuda: fused Triton GPU kernels for snn neurons, registered as kernels.

Importing ``snn_cuda`` never imports triton; the kernels are compiled on first use. Without a
CUDA device or without triton (``pip install snn-cuda[triton]``) the plugin is listed as active
and its kernels report ``is_available() == False``, so ``backend="auto"`` keeps the torch path.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from ._availability import available
from .lif import lif_feed_forward_sequence
from .lif_family import (
    lif_adex_feed_forward_sequence,
    lif_ex_feed_forward_sequence,
    lif_refrac_feed_forward_sequence,
)
from .models import (
    iaf_feed_forward_sequence,
    li_feed_forward_sequence,
    lif_box_feed_forward_sequence,
    lsnn_feed_forward_sequence,
)

__version__ = _version("snn-cuda")

__all__ = [
    "available",
    "iaf_feed_forward_sequence",
    "li_feed_forward_sequence",
    "lif_adex_feed_forward_sequence",
    "lif_box_feed_forward_sequence",
    "lif_ex_feed_forward_sequence",
    "lif_feed_forward_sequence",
    "lif_refrac_feed_forward_sequence",
    "lsnn_feed_forward_sequence",
]
