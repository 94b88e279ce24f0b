"""Compiled CPU loops for the whole-sequence paths, registered as the ``"cpu"`` kernel backend.

On CPU tensors the per-step cost of the TorchScript loops is operator dispatch (about eight
operator calls per step), which dominates at a few thousand neurons. ``lif.c`` runs all ``T``
steps of a neuron in one call: the forward pass is bit-identical to looping the step function, the
backward pass is the same adjoint recursion in one sweep. The C files are compiled on first use with
the system compiler (about half a second, once per machine; see :mod:`snn_core.native`).
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

from snn_core.native import cache_dir, disabled

from ._build import build_error, library
from .lif import lif_feed_forward_sequence, supported, surrogate_kind

__all__ = [
    "available",
    "build_error",
    "cache_dir",
    "disabled",
    "library",
    "lif_feed_forward_sequence",
    "supported",
    "surrogate_kind",
]


def available() -> bool:
    """Whether the compiled loops can run in this process (builds them on the first call)."""
    return library() is not None
