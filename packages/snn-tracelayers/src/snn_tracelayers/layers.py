"""The 32 traceTorch 0.19.2 layers, each declared by its name (see :func:`recipe_from_name`)."""

from __future__ import annotations

from .layer import make_layer_class, recipe_from_name

__all__ = [
    "LI", "DLI", "SLI", "DSLI", "LIEMA", "DLIEMA", "SLIEMA", "DSLIEMA",
    "LIB", "DLIB", "SLIB", "RLIB", "DSLIB", "DRLIB", "SRLIB", "DSRLIB",
    "LIT", "DLIT", "SLIT", "RLIT", "DSLIT", "DRLIT", "SRLIT", "DSRLIT",
    "LITS", "DLITS", "SLITS", "RLITS", "DSLITS", "DRLITS", "SRLITS", "DSRLITS",
]  # fmt: skip

LAYER_NAMES: tuple[str, ...] = tuple(__all__)


def _declare(name: str) -> type:
    return make_layer_class(name, recipe_from_name(name), module=__name__)


LI = _declare("LI")
DLI = _declare("DLI")
SLI = _declare("SLI")
DSLI = _declare("DSLI")
LIEMA = _declare("LIEMA")
DLIEMA = _declare("DLIEMA")
SLIEMA = _declare("SLIEMA")
DSLIEMA = _declare("DSLIEMA")
LIB = _declare("LIB")
DLIB = _declare("DLIB")
SLIB = _declare("SLIB")
RLIB = _declare("RLIB")
DSLIB = _declare("DSLIB")
DRLIB = _declare("DRLIB")
SRLIB = _declare("SRLIB")
DSRLIB = _declare("DSRLIB")
LIT = _declare("LIT")
DLIT = _declare("DLIT")
SLIT = _declare("SLIT")
RLIT = _declare("RLIT")
DSLIT = _declare("DSLIT")
DRLIT = _declare("DRLIT")
SRLIT = _declare("SRLIT")
DSRLIT = _declare("DSRLIT")
LITS = _declare("LITS")
DLITS = _declare("DLITS")
SLITS = _declare("SLITS")
RLITS = _declare("RLITS")
DSLITS = _declare("DSLITS")
DRLITS = _declare("DRLITS")
SRLITS = _declare("SRLITS")
DSRLITS = _declare("DSRLITS")
