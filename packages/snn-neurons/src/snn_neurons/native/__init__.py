"""Compiled CPU loops for the whole-sequence paths, registered as the ``"cpu"`` kernel backend.

On CPU tensors the per-step cost of the TorchScript loops is operator dispatch (about eight
operator calls per step), which dominates at a few thousand neurons. ``lif.c`` runs all ``T``
steps of a neuron in one call: the forward pass is bit-identical to looping the step function, the
backward pass is the same adjoint recursion in one sweep. ``li.c``, ``iaf.c``, ``lif_box.c``,
``lif_refrac.c`` and ``lsnn.c`` do the same for their models (:mod:`.models`); ``lif_ex.c`` and
``lif_adex.c`` run one C call per step around torch's ``exp`` (whose vectorised CPU kernel rounds
differently from libm's), so their forward pass stays bit-identical too. The C files are compiled on first use with
the system compiler (a few seconds, once per machine, one compiler process per core; see :mod:`snn_core.native`).
Without a compiler, or with ``SNN_DISABLE_NATIVE=1``, :func:`available` is ``False`` and the
TorchScript path runs, with the same numbers.

Example:
    >>> import torch
    >>> from snn_neurons import LIFFeedForwardState
    >>> from snn_neurons.sequence import lif_feed_forward_sequence
    >>> xs = torch.full((10, 2, 3), 5.0)
    >>> state = LIFFeedForwardState(torch.zeros(2, 3), torch.zeros(2, 3))
    >>> cpu = lif_feed_forward_sequence(xs, state)[0]             # "auto": this kernel if available
    >>> torch.equal(cpu, lif_feed_forward_sequence(xs, state, backend="torch")[0])
    True
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from snn_core.native import cache_dir, disabled

from . import models
from ._build import build_error, library
from ._common import surrogate_kind
from .models import (
    iaf_feed_forward_sequence,
    li_feed_forward_sequence,
    lif_adex_feed_forward_sequence,
    lif_box_feed_forward_sequence,
    lif_ex_feed_forward_sequence,
    lif_feed_forward_sequence,
    lif_refrac_feed_forward_sequence,
    lsnn_feed_forward_sequence,
)

__all__ = [
    "available",
    "build_error",
    "cache_dir",
    "disabled",
    "iaf_feed_forward_sequence",
    "li_feed_forward_sequence",
    "library",
    "lif_adex_feed_forward_sequence",
    "lif_box_feed_forward_sequence",
    "lif_ex_feed_forward_sequence",
    "lif_feed_forward_sequence",
    "lif_refrac_feed_forward_sequence",
    "lsnn_feed_forward_sequence",
    "supported",
    "supports",
    "surrogate_kind",
]


def available() -> bool:
    """Whether the compiled loops can run in this process (builds them on the first call)."""
    return library() is not None


def supports(model: str, xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> bool:
    """Whether the compiled loop of neuron ``model`` (``"lif"``, ``"li"``, ..., ``"lif_adex"``) runs for
    these arguments; where it does not, its kernel runs the torch path (same numbers).

    Raises:
        KeyError: for a model without a compiled loop.
    """
    return models.supported(model, xs, state, p, dt)


def supported(xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> bool:
    """``supports("lif", ...)``: whether the compiled LIF loop reproduces the step here (CPU
    float32/float64 input, full-shape tensor states of its dtype, scalar parameters without gradient,
    a threshold built into ``_common.h``)."""
    return models.supported("lif", xs, state, p, dt)
