"""Compile ``kernels.c`` once with the system C compiler, cache the shared library, load it with ctypes.

The library is plain C (no Python or torch headers), so it builds in a fraction of a second and
does not depend on the torch version. It is cached under ``$SNN_CACHE_DIR`` (default
``$XDG_CACHE_HOME/snn`` or ``~/.cache/snn``), keyed by the source, the compiler, the flags and the
CPU, so a cache shared between machines never loads code built for another processor. Everything
that can fail (no compiler, a read-only cache, a refused build) leaves :func:`library` returning
``None``; callers then run the TorchScript path, which gives the same numbers.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

__all__ = ["library", "disabled", "cache_dir", "build_error", "ABI"]

ABI = 1  # must equal snn_native_abi() in kernels.c
SOURCE = Path(__file__).with_name("kernels.c")
# -ffp-contract=off: no fused multiply-add, so every rounding matches torch's separate operations
BASE_FLAGS = ["-O3", "-std=c99", "-shared", "-fPIC", "-ffp-contract=off", "-fno-strict-aliasing"]
TUNED_FLAGS = ["-march=native"]

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_state: dict[str, object] = {}


def disabled() -> bool:
    """``SNN_DISABLE_NATIVE=1`` (read when the module is imported) turns the compiled CPU loops off."""
    return _DISABLED


_DISABLED = os.environ.get("SNN_DISABLE_NATIVE", "") not in ("", "0")


def cache_dir() -> Path:
    """Where built libraries are kept: ``$SNN_CACHE_DIR``, else ``$XDG_CACHE_HOME/snn``, else ``~/.cache/snn``."""
    if os.environ.get("SNN_CACHE_DIR"):
        return Path(os.environ["SNN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "snn"


def build_error() -> str | None:
    """Why the last :func:`library` call found no library (``None`` if it loaded or was not tried)."""
    error = _state.get("error")
    return None if error is None else str(error)


def library() -> ctypes.CDLL | None:
    """The loaded kernel library, built on first use; ``None`` if it cannot be built or is disabled."""
    if "lib" in _state:
        return _state["lib"]  # type: ignore[return-value]
    if _DISABLED:
        return None
    with _lock:
        if "lib" not in _state:
            _state["lib"] = _load()
    return _state["lib"]  # type: ignore[return-value]


def _compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _cpu_signature() -> str:
    """The processor's feature flags (Linux), so a -march=native build is only reused on the same CPU."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> ctypes.CDLL | None:
    compiler = _compiler()
    if compiler is None:
        _state["error"] = "no C compiler found (set CC, or install gcc or clang)"
        return None
    source = SOURCE.read_bytes()
    for flags in (BASE_FLAGS + TUNED_FLAGS, BASE_FLAGS):
        key = hashlib.sha256(
            b"\0".join(
                [
                    source,
                    compiler.encode(),
                    " ".join(flags).encode(),
                    _cpu_signature().encode(),
                    platform.machine().encode(),
                    sys.platform.encode(),
                ]
            )
        ).hexdigest()[:20]
        target = cache_dir() / f"snn-native-{key}.so"
        try:
            if not target.exists():
                _compile(compiler, flags, target)
            lib = ctypes.CDLL(str(target))
            if lib.snn_native_abi() != ABI:
                raise OSError(f"{target} has ABI {lib.snn_native_abi()}, expected {ABI}")
            _declare(lib)
            _state["error"] = None
            return lib
        except (OSError, subprocess.SubprocessError) as error:
            _state["error"] = error
            _log.debug("snn-neurons: native build with %s failed: %s", flags, error)
    return None


def _compile(compiler: str, flags: list[str], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # build next to the target and rename: concurrent processes never load a half-written file
    fd, partial = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        subprocess.run(
            [compiler, *flags, str(SOURCE), "-o", partial, "-lm"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def _declare(lib: ctypes.CDLL) -> None:
    """Argument types of the exported functions (ctypes would otherwise pass every float as int)."""
    i64, ptr, i32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
    for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
        forward = getattr(lib, f"snn_lif_forward_{suffix}")
        forward.argtypes = [i64, i64, ptr, ptr, ptr, ptr, ptr, ptr, ptr] + [real] * 5
        forward.restype = None
        backward = getattr(lib, f"snn_lif_backward_{suffix}")
        backward.argtypes = [i32, i64, i64, ptr, ptr, ptr, ptr, ptr] + [real] * 6
        backward.restype = None
