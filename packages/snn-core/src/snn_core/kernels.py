"""Backend selection: which registered kernel (if any) runs a target on a device.

Owners of a computation (``snn-neurons`` for ``"neuron:lif"``, ...) call :func:`select_kernel`
and fall back to their own torch code when it returns ``None``.
"""

from __future__ import annotations

import torch

from .errors import BackendUnavailableError
from .plugins.manager import registry
from .plugins.official import OFFICIAL_BACKENDS
from .plugins.specs import KernelSpec

__all__ = ["BACKENDS", "select_kernel", "check_backend"]

BACKENDS = ("auto", "torch", "cpu", "cuda")


def check_backend(backend: str) -> str:
    """Validate a ``backend=`` argument at construction time; returns it unchanged."""
    if not isinstance(backend, str) or not backend:
        raise ValueError(f"backend must be 'auto', 'torch' or a registered kernel backend, got {backend!r}")
    return backend


def select_kernel(target: str, device: torch.device | str, backend: str = "auto") -> KernelSpec | None:
    """Choose the kernel for ``target`` on ``device``.

    * ``backend="torch"``: always ``None`` (the caller's torch code runs).
    * ``backend="auto"``: the available kernel with the highest priority for this target and device
      type, or ``None`` when there is none (silent fallback to torch).
    * any other backend (``"cuda"``): exactly that kernel; raises when it is not installed, not
      available here, or made for another device.

    Raises:
        BackendUnavailableError: for an explicit backend that cannot run (the message says why).
    """
    device_type = torch.device(device).type
    if backend == "torch":
        return None
    kernels = _by_target(target)
    if backend == "auto":
        usable = [k for k in kernels if k.device == device_type and _available(k)]
        return max(usable, key=lambda k: k.priority) if usable else None
    named = [k for k in kernels if k.backend == backend]
    if not named:
        hint = ""
        if backend in OFFICIAL_BACKENDS:
            dist = OFFICIAL_BACKENDS[backend]
            hint = f"; install it with: pip install {dist}"
        registered = sorted({k.backend for k in kernels}) or ["none"]
        raise BackendUnavailableError(
            f"backend={backend!r}: no kernel for {target!r} is registered (registered backends for it: "
            f"{', '.join(registered)}){hint}"
        )
    for kernel in named:
        if kernel.device == device_type and _available(kernel):
            return kernel
    devices = sorted({k.device for k in named})
    if device_type not in devices:
        raise BackendUnavailableError(
            f"backend={backend!r} runs {target!r} on {', '.join(devices)} tensors, but the input is on "
            f"{device_type}; move the input (and module) with .to('{devices[0]}') or use backend='auto'"
        )
    raise BackendUnavailableError(
        f"backend={backend!r} for {target!r} is installed but not available in this process "
        f"(no usable device or compiler); use backend='auto' to fall back to torch"
    )


_index: dict[str, list[KernelSpec]] = {}
_indexed: list[object] = [None]  # the registry's kernel mapping the index was built from


def _by_target(target: str) -> list[KernelSpec]:
    """The registered kernels for ``target``, from an index rebuilt whenever the registry is.

    ``select_kernel`` runs on every call of a whole-sequence function; scanning all kernels there
    grew with each plugin's kernels.
    """
    kernels = registry().kernels
    if _indexed[0] is not kernels:
        _index.clear()
        for kernel in kernels.values():
            _index.setdefault(kernel.target, []).append(kernel)
        _indexed[0] = kernels
    return _index.get(target, [])


def _available(kernel: KernelSpec) -> bool:
    try:
        return bool(kernel.is_available())
    except Exception:
        return False
