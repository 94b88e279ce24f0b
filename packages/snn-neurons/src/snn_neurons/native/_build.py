"""The compiled library of this folder's C files (built and cached by :mod:`snn_core.native`)."""

from __future__ import annotations

import ctypes
from pathlib import Path

from snn_core import native

__all__ = ["ABI", "NAME", "library", "build_error"]

ABI = 1  # must equal snn_native_abi() in lif.c
NAME = "snn-neurons"
SOURCES = sorted(Path(__file__).parent.glob("*.c"))


def library() -> ctypes.CDLL | None:
    """The loaded kernel library, built on first use; ``None`` if it cannot be built or is disabled."""
    return native.load_library(NAME, SOURCES, _declare)


def build_error() -> str | None:
    """Why :func:`library` returned ``None``, if it did."""
    return native.build_error(NAME)


def _declare(lib: ctypes.CDLL) -> None:
    """Argument types of every exported function (ctypes would otherwise pass floats as ints)."""
    if lib.snn_native_abi() != ABI:
        raise OSError(f"{NAME}: the cached library has ABI {lib.snn_native_abi()}, expected {ABI}")
    i64, ptr, i32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
    for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
        forward = getattr(lib, f"snn_lif_forward_{suffix}")
        forward.argtypes = [i64, i64] + [ptr] * 7 + [real] * 5
        forward.restype = None
        backward = getattr(lib, f"snn_lif_backward_{suffix}")
        backward.argtypes = [i32, i64, i64] + [ptr] * 5 + [real] * 6
        backward.restype = None
