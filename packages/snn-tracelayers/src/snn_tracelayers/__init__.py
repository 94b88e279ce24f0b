"""The 32 traceTorch-compatible leaky-integrator layers for snn, built from one composable core.

Each layer is a :class:`~snn_tracelayers.parts.TraceRecipe` (synapse, recurrence, membrane,
firing) turned into a class by :func:`make_layer_class`; ``LIB``, ``DSRLITS`` & co. have
traceTorch 0.19.2's signatures, parameter names, ``state_dict`` keys, states and numbers.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .functional import TraceConfig, trace_sequence, trace_step
from .layer import DEFAULT_QUANT_FN, TraceLayer, make_layer_class, recipe_from_name
from .layers import (
    DLI,
    DLIB,
    DLIEMA,
    DLIT,
    DLITS,
    DRLIB,
    DRLIT,
    DRLITS,
    DSLI,
    DSLIB,
    DSLIEMA,
    DSLIT,
    DSLITS,
    DSRLIB,
    DSRLIT,
    DSRLITS,
    LAYER_NAMES,
    LI,
    LIB,
    LIEMA,
    LIT,
    LITS,
    RLIB,
    RLIT,
    RLITS,
    SLI,
    SLIB,
    SLIEMA,
    SLIT,
    SLITS,
    SRLIB,
    SRLIT,
    SRLITS,
)
from .parts import (
    BinaryFiring,
    Membrane,
    ParamDecl,
    Recurrence,
    Synapse,
    TernaryFiring,
    TraceRecipe,
    negative_part,
    positive_part,
    strict_negative_part,
)

try:
    __version__ = _version("snn-tracelayers")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0"

__all__ = [
    "LI",
    "DLI",
    "SLI",
    "DSLI",
    "LIEMA",
    "DLIEMA",
    "SLIEMA",
    "DSLIEMA",
    "LIB",
    "DLIB",
    "SLIB",
    "RLIB",
    "DSLIB",
    "DRLIB",
    "SRLIB",
    "DSRLIB",
    "LIT",
    "DLIT",
    "SLIT",
    "RLIT",
    "DSLIT",
    "DRLIT",
    "SRLIT",
    "DSRLIT",
    "LITS",
    "DLITS",
    "SLITS",
    "RLITS",
    "DSLITS",
    "DRLITS",
    "SRLITS",
    "DSRLITS",
    "LAYER_NAMES",
    "TraceLayer",
    "make_layer_class",
    "recipe_from_name",
    "TraceRecipe",
    "Synapse",
    "Recurrence",
    "Membrane",
    "BinaryFiring",
    "TernaryFiring",
    "ParamDecl",
    "TraceConfig",
    "trace_step",
    "trace_sequence",
    "positive_part",
    "negative_part",
    "strict_negative_part",
    "DEFAULT_QUANT_FN",
    "__version__",
]
