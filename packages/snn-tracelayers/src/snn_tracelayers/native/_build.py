r"""The compiled library of ``trace.c`` (built and cached by :mod:`snn_core.native`) and torch's exp.

``sigmoid4x`` needs $\exp$ inside the loop (the membrane reset depends on the spikes). torch's CPU
``sigmoid`` computes $1 / (1 + \exp(0 - v))$ with the vectorised SLEEF ``exp`` of its CPU
capability on whole blocks of ``2 * lanes`` elements and with libm's ``exp`` on the rest of each
thread's chunk; the two differ in the last bit on some inputs, so the C loop repeats that split and
calls the SLEEF function that torch itself calls (exported by ``libtorch_cpu``; its address is
passed to C). :func:`sigmoid_ready` checks the result against ``torch.sigmoid`` once per dtype
before any loop relies on it.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
from pathlib import Path
from typing import NamedTuple

import torch

from snn_core import native

__all__ = [
    "ABI",
    "NAME",
    "ExpKernel",
    "build_error",
    "exp_kernel",
    "library",
    "openmp_split",
    "sigmoid_chunk",
    "sigmoid_ready",
    "variant",
]

ABI = 3  # must equal snn_trace_native_abi() in trace.c
NAME = "snn-tracelayers"
SOURCE = Path(__file__).parent / "trace.c"


def _parts(source: Path) -> int:
    """``SNN_TRACE_PARTS`` of ``trace.c``: how many units it is compiled as (1 if it cannot be read)."""
    try:
        found = re.search(r"^#define SNN_TRACE_PARTS (\d+)$", source.read_text(), re.MULTILINE)
    except OSError:
        return 1
    return int(found.group(1)) if found else 1


#: the units of the build: ``trace.c`` once per part (``-DSNN_TRACE_PART=k``), compiled in parallel
SOURCES = [(SOURCE, [f"-DSNN_TRACE_PART={k}"]) for k in range(_parts(SOURCE))]
#: at::internal::GRAIN_SIZE: below it (or on one thread) torch runs an elementwise kernel as one chunk
GRAIN_SIZE = 32768


def library() -> ctypes.CDLL | None:
    """The loaded kernel library, built on first use; ``None`` if it cannot be built or is disabled."""
    return native.load_library(NAME, SOURCES, _declare)


def variant(firing: int, flags: int) -> bool:
    """Whether the library holds the loops for this firing kind and these flags (``STRICT`` aside).

    ``trace.c`` compiles one copy per combination that the library's layers use (no EMA membrane with
    firing); other recipes keep the torch fused loop.
    """
    key = (firing, flags & 15)
    if key not in _variants:
        lib = library()
        _variants[key] = lib is not None and lib.snn_trace_variant(*key) == 1
    return _variants[key]


_variants: dict[tuple[int, int], bool] = {}


def build_error() -> str | None:
    """Why :func:`library` returned ``None``, if it did."""
    return native.build_error(NAME)


def _declare(lib: ctypes.CDLL) -> None:
    """Argument types of every exported function (ctypes would otherwise pass pointers as ints)."""
    if lib.snn_trace_native_abi() != ABI:
        raise OSError(f"{NAME}: the cached library has ABI {lib.snn_trace_native_abi()}, expected {ABI}")
    i32, i64, f64, ptr = ctypes.c_int, ctypes.c_int64, ctypes.c_double, ctypes.c_void_p
    for suffix in ("f32", "f64"):
        # getattr, not lib[...]: item access makes a new function object without these settings
        getattr(lib, f"snn_trace_sigmoid4x_{suffix}").argtypes = [i32, ptr, i64, ptr, ptr, i64]
        head = [i64, i64, i64, i32, i32, f64]  # steps, batch, width, firing, flags, quantizer step
        getattr(lib, f"snn_trace_forward_{suffix}").argtypes = [*head, *[ptr] * 22, i32, ptr, i64]
        getattr(lib, f"snn_trace_backward_{suffix}").argtypes = [*head, *[ptr] * 26]
        for what in ("sigmoid4x", "forward", "backward"):
            getattr(lib, f"snn_trace_{what}_{suffix}").restype = None
    lib.snn_trace_variant.argtypes = [i32, i32]
    lib.snn_trace_variant.restype = i32


class ExpKernel(NamedTuple):
    """torch's vectorised exp for one dtype: ``cap`` as ``trace.c`` codes it, ``fn`` its address."""

    cap: int  # 0: scalar (libm everywhere), 1: AVX2, 2: AVX512
    fn: int | None


# capability -> (code, SLEEF symbol per dtype) of the exp that ATen's Vectorized<T>::exp calls
_SLEEF = {
    "DEFAULT": (0, {}),
    "AVX2": (1, {torch.float32: "Sleef_expf8_u10", torch.float64: "Sleef_expd4_u10"}),
    "AVX512": (2, {torch.float32: "Sleef_expf16_u10", torch.float64: "Sleef_expd8_u10"}),
}
_kernels: dict[torch.dtype, ExpKernel | None] = {}
_ready: dict[torch.dtype, bool] = {}


def _torch_cpu() -> ctypes.CDLL | None:
    path = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
    try:
        return ctypes.CDLL(str(path), mode=os.RTLD_NOLOAD | ctypes.RTLD_LOCAL) if path.exists() else None
    except OSError:
        return None


def exp_kernel(dtype: torch.dtype) -> ExpKernel | None:
    """torch's exp for ``dtype`` on this machine, or ``None`` where the C loop cannot call it."""
    if dtype not in _kernels:
        found = _SLEEF.get(torch.backends.cpu.get_cpu_capability())
        kernel = None
        if found is not None:
            cap, symbols = found
            if cap == 0:
                kernel = ExpKernel(0, None)
            else:
                lib, vector = _torch_cpu(), library()
                if lib is not None and vector is not None and vector.snn_trace_vector_exp() == 1:
                    try:
                        kernel = ExpKernel(
                            cap, ctypes.cast(getattr(lib, symbols[dtype]), ctypes.c_void_p).value
                        )
                    except AttributeError:
                        kernel = None
        _kernels[dtype] = kernel
    return _kernels[dtype]


def openmp_split() -> bool:
    """Whether torch runs its parallel loops on OpenMP, whose even split :func:`sigmoid_chunk` mirrors.

    Other parallel backends (TBB, torch's native thread pool) chunk differently, so on them the loop
    runs only steps that torch computes as one chunk.
    """
    if "openmp" not in _state:
        _state["openmp"] = "parallel backend: OpenMP" in torch.__config__.parallel_info()
    return _state["openmp"]


_state: dict[str, bool] = {}


def sigmoid_chunk(n: int) -> int:
    """The per-thread chunk torch splits an ``n``-element elementwise kernel into (OpenMP split)."""
    threads = torch.get_num_threads()
    if n < GRAIN_SIZE or threads == 1:
        return max(n, 1)
    used = min(threads, math.ceil(n / GRAIN_SIZE))
    return math.ceil(n / used)


def sigmoid_ready(dtype: torch.dtype) -> bool:
    """Whether the C sigmoid4x equals ``torch.sigmoid(4 * x)`` bit for bit here (checked once per dtype).

    The check covers the vector blocks and the libm remainders (sizes 1 to 70 and larger), zeros,
    infinities, NaN and arguments where exp overflows or underflows.
    """
    if dtype not in _ready:
        _ready[dtype] = _check_sigmoid(dtype)
    return _ready[dtype]


def _check_sigmoid(dtype: torch.dtype) -> bool:
    lib, kernel = library(), exp_kernel(dtype)
    if lib is None or kernel is None:
        return False
    run = getattr(lib, f"snn_trace_sigmoid4x_{'f32' if dtype == torch.float32 else 'f64'}")
    generator = torch.Generator().manual_seed(0)
    special = torch.tensor(
        [0.0, -0.0, math.inf, -math.inf, math.nan, 30.0, -30.0, 200.0, -200.0], dtype=dtype
    )
    with torch.no_grad():
        for n in (*range(1, 71), 1000, 4099):
            x = torch.randn(n, generator=generator, dtype=dtype) * 6
            if n >= special.numel():  # in the first vector block, and (n > 40) in the libm remainder too
                x[: special.numel()] = special
            if n > 40:
                x[-special.numel() :] = special
            out = torch.empty_like(x)
            run(kernel.cap, kernel.fn, n, x.data_ptr(), out.data_ptr(), n)
            if not torch.equal(out.nan_to_num(7.0), torch.sigmoid(x * 4).nan_to_num(7.0)):
                return False
    return True
