"""Whether the Triton kernels can run here, probed without importing triton at package import."""

from __future__ import annotations

import functools
import importlib.util

import torch

__all__ = ["available", "triton_importable"]


@functools.cache
def triton_importable() -> bool:
    """``import triton`` works (the optional extra ``snn-cuda[triton]`` is installed)."""
    try:
        if importlib.util.find_spec("triton") is None:
            return False
        import triton  # noqa: F401
    except Exception:
        return False
    return True


def available() -> bool:
    """The kernels can run: a CUDA device is visible and triton imports."""
    try:
        cuda = torch.cuda.is_available()
    except Exception:
        return False
    return bool(cuda) and triton_importable()
