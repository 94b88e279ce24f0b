"""The compiled library of this folder's C files (built and cached by :mod:`snn_core.native`)."""

from __future__ import annotations

import ctypes
import hashlib
from pathlib import Path

from snn_core import native

__all__ = ["ABI", "NAME", "library", "build_error"]

ABI = 1  # must equal snn_native_abi() in lif.c
NAME = "snn-neurons"
SOURCES = sorted(Path(__file__).parent.glob("*.c"))
HEADERS = sorted(Path(__file__).parent.glob("*.h"))


def _library_name() -> str:
    """``NAME`` plus a digest of the headers: snn-core keys its cache by the compiled sources only,
    and a header is not one, so its bytes go into the cached file's name instead."""
    digest = hashlib.sha256(b"\0".join(h.read_bytes() for h in HEADERS)).hexdigest()[:12]
    return f"{NAME}-{digest}"


_LIBRARY = _library_name()


def library() -> ctypes.CDLL | None:
    """The loaded kernel library, built on first use; ``None`` if it cannot be built or is disabled."""
    return native.load_library(_LIBRARY, SOURCES, _declare)


def build_error() -> str | None:
    """Why :func:`library` returned ``None``, if it did."""
    return native.build_error(_LIBRARY)


def _signatures(real: type) -> dict[str, list[type]]:
    """Argument types of each exported function (``_f32``/``_f64`` appended), ``real`` the float type.

    Whole-sequence functions: ``forward(steps, n, xs, *initial, *final, outs, *saved, *constants)``
    and ``backward(kind, steps, n, *saved, g_outs, g_xs, *g_state, *constants)``. The exponential
    models run one step per call on a struct of pointers and constants (``_ExArgs`` in
    :mod:`.models`), so per-step calls convert two arguments instead of twenty.
    """
    i32, i64, ptr = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p
    return {
        "snn_lif_forward": [i64, i64, *[ptr] * 7, *[real] * 5],
        "snn_lif_backward": [i32, i64, i64, *[ptr] * 5, *[real] * 6],
        "snn_li_forward": [i64, i64, *[ptr] * 6, *[real] * 3],
        "snn_li_backward": [i32, i64, i64, *[ptr] * 4, *[real] * 2],
        "snn_iaf_forward": [i64, i64, *[ptr] * 5, *[real] * 2],
        "snn_iaf_backward": [i32, i64, i64, *[ptr] * 4, *[real] * 4],
        "snn_lif_box_forward": [i64, i64, *[ptr] * 5, *[real] * 4, i32],
        "snn_lif_box_backward": [i32, i64, i64, *[ptr] * 4, *[real] * 5, i32],
        "snn_lif_refrac_forward": [i64, i64, *[ptr] * 11, *[real] * 6],
        "snn_lif_refrac_backward": [i32, i64, i64, *[ptr] * 8, *[real] * 7],
        "snn_lsnn_forward": [i64, i64, *[ptr] * 10, *[real] * 7],
        "snn_lsnn_backward": [i32, i64, i64, *[ptr] * 7, *[real] * 7],
        "snn_lif_ex_begin": [ptr],
        "snn_lif_ex_step": [ptr, i64],
        "snn_lif_ex_backward": [i32, i64, i64, *[ptr] * 6, *[real] * 6],
        "snn_lif_adex_begin": [ptr],
        "snn_lif_adex_step": [ptr, i64],
        "snn_lif_adex_backward": [i32, i64, i64, *[ptr] * 7, *[real] * 9],
        "snn_izhikevich_forward": [i64, i64, *[ptr] * 8, *[real] * 9],
        "snn_izhikevich_backward": [i32, i64, i64, *[ptr] * 6, *[real] * 10],
        "snn_coba_lif_forward": [i64, i64, *[ptr] * 12, *[real] * 9],
        "snn_coba_lif_backward": [i32, i64, i64, *[ptr] * 9, *[real] * 10],
    }


def _declare(lib: ctypes.CDLL) -> None:
    """Argument types of every exported function (ctypes would otherwise pass floats as ints)."""
    if lib.snn_native_abi() != ABI:
        raise OSError(f"{NAME}: the cached library has ABI {lib.snn_native_abi()}, expected {ABI}")
    for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
        for name, argtypes in _signatures(real).items():
            function = getattr(lib, f"{name}_{suffix}")
            function.argtypes = argtypes
            function.restype = None
