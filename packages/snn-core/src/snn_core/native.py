"""Build plain-C kernel libraries once with the system compiler, cache them, load them with ctypes.

Plugins use this for CPU loops that the per-operator dispatch of torch makes slow (a neuron step
is a handful of tiny operators). The sources are plain C99 (no Python or torch headers), so a
build takes well under a second and does not depend on the torch version. Libraries are cached
under :func:`cache_dir`, keyed by the sources, the compiler, the flags and the CPU, so a cache
shared between machines never loads code built for another processor.

Every failure (no compiler, a refused flag, a read-only cache) makes :func:`load_library` return
``None`` and leaves the reason in :func:`build_error`; callers then run their torch code.
``SNN_DISABLE_NATIVE=1`` (read at import) turns all compiled kernels off.

Example:
    >>> from pathlib import Path
    >>> import tempfile
    >>> source = Path(tempfile.mkdtemp()) / "twice.c"
    >>> _ = source.write_text("double twice(double x) { return 2 * x; }")
    >>> lib = load_library("doctest-twice", [source])
    >>> lib is None or lib.twice.__name__ == "twice"
    True
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
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["BASE_FLAGS", "TUNED_FLAGS", "build_error", "cache_dir", "disabled", "load_library"]

#: ``-ffp-contract=off``: no fused multiply-add, so each rounding matches torch's separate operators
BASE_FLAGS = ("-O3", "-std=c99", "-shared", "-fPIC", "-ffp-contract=off", "-fno-strict-aliasing")
#: tried first; dropped when the compiler refuses them
TUNED_FLAGS = ("-march=native",)

_DISABLED = os.environ.get("SNN_DISABLE_NATIVE", "") not in ("", "0")
_log = logging.getLogger(__name__)
_lock = threading.Lock()
_libraries: dict[str, ctypes.CDLL | None] = {}
_errors: dict[str, str] = {}


def disabled() -> bool:
    """Whether ``SNN_DISABLE_NATIVE`` was set (to anything but ``0``) when snn-core was imported."""
    return _DISABLED


def cache_dir() -> Path:
    """``$SNN_CACHE_DIR``, else ``$XDG_CACHE_HOME/snn``, else ``~/.cache/snn``."""
    if os.environ.get("SNN_CACHE_DIR"):
        return Path(os.environ["SNN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "snn"


def build_error(name: str) -> str | None:
    """Why :func:`load_library` found no library ``name`` (``None`` if it loaded or was not tried)."""
    return _errors.get(name)


#: a source file, or a source file with its own extra flags (e.g. ``-DPART=2`` to build one part of it)
Source = Path | str | tuple[Path | str, Sequence[str]]


def load_library(
    name: str, sources: Sequence[Source], declare: Callable[[ctypes.CDLL], None] | None = None
) -> ctypes.CDLL | None:
    """The library built from ``sources``, compiled on the first call of the process's life and cached.

    Each source becomes one object file; the objects are compiled in parallel (one compiler process
    per CPU) and linked into one shared library, so splitting a large file into parts (the same
    file with different ``-D`` flags) shortens the one-time build on machines with several cores.

    Args:
        name: a short name, part of the cached file's name and the key of :func:`build_error`.
        sources: C99 files, each optionally paired with extra compiler flags for it alone.
        declare: called once with the loaded library to set ``argtypes``/``restype``; an
            ``AttributeError`` there (a missing symbol) counts as a failed build.

    Returns:
        The loaded library, or ``None`` when disabled or when it cannot be built here.
    """
    if name in _libraries:
        return _libraries[name]
    if _DISABLED:
        _errors[name] = "disabled by SNN_DISABLE_NATIVE"
        return None
    with _lock:
        if name not in _libraries:
            _libraries[name] = _build_and_load(name, [_unit(s) for s in sources], declare)
    return _libraries[name]


def _unit(source: Source) -> tuple[Path, tuple[str, ...]]:
    if isinstance(source, tuple):
        path, flags = source
        return Path(path), tuple(flags)
    return Path(source), ()


def _compiler() -> str | None:
    for candidate in (os.environ.get("CC"), "cc", "gcc", "clang"):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    return None


def _cpu_signature() -> str:
    """The processor's feature flags (Linux), so a ``-march=native`` build is reused only on that CPU."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _build_and_load(
    name: str, units: list[tuple[Path, tuple[str, ...]]], declare: Callable[[ctypes.CDLL], None] | None
) -> ctypes.CDLL | None:
    compiler = _compiler()
    if compiler is None:
        _errors[name] = "no C compiler found (set CC, or install gcc or clang)"
        return None
    code = b"\0".join(path.read_bytes() + b"\0" + " ".join(flags).encode() for path, flags in units)
    for flags in ([*BASE_FLAGS, *TUNED_FLAGS], list(BASE_FLAGS)):
        parts = [
            code,
            compiler.encode(),
            " ".join(flags).encode(),
            _cpu_signature().encode(),
            sys.platform.encode(),
        ]
        key = hashlib.sha256(b"\0".join(parts)).hexdigest()[:20]
        target = cache_dir() / f"{name}-{key}.so"
        try:
            if not target.exists():
                _log.info("snn: compiling %s once (cached in %s)", name, target.parent)
                _compile(compiler, flags, units, target)
            lib = ctypes.CDLL(str(target))
            if declare is not None:
                declare(lib)
        except (OSError, AttributeError, subprocess.SubprocessError) as error:
            message = getattr(error, "stderr", None) or str(error)
            _errors[name] = message.decode(errors="replace") if isinstance(message, bytes) else message
            _log.debug("snn-core: building %s with %s failed: %s", name, flags, _errors[name])
            continue
        _errors.pop(name, None)
        return lib
    return None


def _compile(
    compiler: str, flags: list[str], units: list[tuple[Path, tuple[str, ...]]], target: Path
) -> None:
    """Compile every unit to an object file in parallel, then link them into ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    object_flags = [f for f in flags if f != "-shared"]
    # build beside the target, then rename: a concurrent process never loads a half-written file
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as work:
        objects = [os.path.join(work, f"unit{k}.o") for k in range(len(units))]
        commands = [
            [compiler, *object_flags, *extra, "-c", str(path), "-o", obj]
            for (path, extra), obj in zip(units, objects)
        ]
        _run_parallel(commands)
        partial = os.path.join(work, "library.so")
        _run_parallel([[compiler, *flags, *objects, "-o", partial, "-lm"]])
        os.replace(partial, target)


def _run_parallel(commands: list[list[str]]) -> None:
    """Run the commands, at most one per CPU at a time; raise ``CalledProcessError`` on the first failure."""
    pending = list(commands)
    running: list[tuple[list[str], subprocess.Popen[bytes]]] = []
    width = max(1, os.cpu_count() or 1)
    try:
        while pending or running:
            while pending and len(running) < width:
                command = pending.pop(0)
                running.append(
                    (command, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
                )
            command, process = running.pop(0)
            out, err = process.communicate(timeout=600)
            if process.returncode != 0:
                raise subprocess.CalledProcessError(process.returncode, command, out, err)
    finally:
        for _, process in running:
            process.kill()
            process.wait()
