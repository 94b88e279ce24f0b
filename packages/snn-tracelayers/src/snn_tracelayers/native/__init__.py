r"""Compiled CPU loops for the fused whole-sequence path of the trace layers.

On CPU tensors the cost of the torch fused loop (:mod:`snn_tracelayers.fused`) is operator
dispatch: 10 to 20 tiny operators per step. ``trace.c`` runs all ``T`` steps of the non-recurrent
layers (``LI``, ``LIEMA``, ``LIB``, ``LIT``, ``LITS`` and their ``S``, ``D`` and ``DS`` variants, with
scalar or per-neuron parameters, the default ``sigmoid4x`` spike function and no quantizer or
``round_ste(h)``) in one call: the forward pass is bit-identical to the step loop (the same roundings in the same order,
compiled with ``-ffp-contract=off``, and torch's own vectorised ``exp`` for the sigmoid, see
:mod:`._build`), the backward pass is the fused path's adjoint in one sweep, giving gradients for
the input, the initial states and every parameter.

:func:`snn_tracelayers.fused.fused_trace_sequence` dispatches here where :func:`supports` holds
and runs its torch loop otherwise (recurrent layers, other spike or quantizer functions, custom
recipes with an EMA membrane and firing, non-CPU tensors, non-contiguous firing-layer inputs). A
dual layer whose final states come out non-finite is repeated with the step loop, as on the torch
fused path. The C file is compiled on first use with the system compiler, as four parts built in
parallel (once: about 7 s of compiler time in all, 4 s on two cores), and cached (:mod:`snn_core.native`); without a compiler, with
``SNN_DISABLE_NATIVE=1`` in the environment, or with ``snn_tracelayers.native.sequence.ENABLED =
False`` the torch path runs, with the same numbers.

Example:
    >>> import torch
    >>> from snn_tracelayers import LIB
    >>> layer = LIB(4)
    >>> xs = torch.randn(20, 2, 4)
    >>> outs = layer.sequence(xs)          # the compiled loop where available()
    >>> layer.zero_states()
    >>> torch.equal(outs, torch.stack([layer(x) for x in xs]))
    True
"""

from __future__ import annotations

from snn_core.native import cache_dir, disabled

from . import sequence
from ._build import build_error, library, sigmoid_ready
from .sequence import supports

__all__ = [
    "available",
    "build_error",
    "cache_dir",
    "disabled",
    "library",
    "sequence",
    "sigmoid_ready",
    "supports",
]


def available() -> bool:
    """Whether the compiled loops can run in this process (builds them on the first call)."""
    return library() is not None
