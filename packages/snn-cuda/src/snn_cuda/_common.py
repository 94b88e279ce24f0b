"""Helpers shared by the kernel launchers: parameter tensors, surrogate choice, fallbacks."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

import snn_core

__all__ = [
    "BLOCK",
    "DTYPES",
    "alpha_tensor",
    "defaults",
    "full",
    "grid",
    "launch_options",
    "mark_spikes",
    "reduce",
    "supports",
    "surrogate_code",
    "surrogate_table",
    "threshold_fn",
    "torch_path",
]

BLOCK = 128
DTYPES = (torch.float32, torch.float64)
# surrogates computed inside the kernels; the others with a Heaviside forward come as a table
IN_KERNEL = {snn_core.super_fn: 1, snn_core.triangle_fn: 2, snn_core.heaviside: 3}
TABLE = (snn_core.heavi_tanh_fn, snn_core.heavi_erfc_fn, snn_core.heavi_circ_fn)


def launch_options(device: torch.device) -> dict[str, Any]:
    """Compiler options that keep the torch step's roundings on a GPU (none elsewhere)."""
    if device.type != "cuda":
        return {}
    # no contraction of a*b + c into an FMA: the torch step rounds the product first
    options: dict[str, Any] = {"enable_fp_fusion": False}
    if _reflect_ftz_configurable():
        # libdevice keeps subnormals, as CUDA's expf does in torch (Triton flushes them by default)
        options["enable_reflect_ftz"] = False
    return options


@functools.cache
def _reflect_ftz_configurable() -> bool:
    """Whether this triton's CUDA backend has the ``enable_reflect_ftz`` option (added in late 2025)."""
    try:
        from triton.backends.nvidia.compiler import CUDAOptions
    except Exception:
        return False
    return "enable_reflect_ftz" in getattr(CUDAOptions, "__dataclass_fields__", {})


def defaults(name: str, p: Any) -> Any:
    """``p``, or the registered neuron ``name``'s default parameters where ``p`` is ``None``."""
    return snn_core.registry().neurons[name].parameters() if p is None else p


def threshold_fn(method: str) -> Any:
    """The registered threshold function of ``method`` (its forward and surrogate backward)."""
    return snn_core.registry().thresholds[method].fn


def full(value: Any, shape: Sequence[int], dtype: torch.dtype, device: torch.device) -> Tensor:
    """``value`` (number or broadcastable tensor) as a contiguous tensor of ``shape`` and ``dtype``."""
    if not isinstance(value, Tensor):  # a Python number: exact in float64, rounded once to ``dtype``
        value = torch.tensor(float(value), dtype=torch.float64)
    tensor = torch.as_tensor(value, device=device)
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.float64)
    return tensor.to(dtype).expand(shape).contiguous()


def grid(n: int) -> tuple[int]:
    """One program per ``BLOCK`` neurons."""
    return ((n + BLOCK - 1) // BLOCK,)


def alpha_tensor(code: int, alpha: Any, like: Tensor) -> Tensor:
    """The surrogate's alpha as a 1-element tensor in the computation dtype (a float argument would be float32)."""
    return full(alpha if code in (1, 2) else 0.0, (1,), like.dtype, like.device)


def mark_spikes(ctx: Any, zs: Tensor, threshold: Any) -> None:
    """Heaviside spikes carry no gradient: mark them non-differentiable."""
    if threshold is snn_core.heaviside:
        ctx.mark_non_differentiable(zs)


def reduce(grad: Tensor, like: Tensor) -> Tensor:
    return grad.sum_to_size(like.shape).to(like.dtype) if grad.shape != like.shape else grad.to(like.dtype)


def surrogate_code(threshold: Any) -> int:
    """0: table computed by torch; 1: super; 2: triangle; 3: heaviside (no gradient)."""
    return IN_KERNEL.get(threshold, 0)


def surrogate_table(fn: Any, x: Tensor, alpha: Any) -> Tensor:
    """sigma'(x) for every element, from the registered threshold's own backward."""
    with torch.enable_grad():
        leaf = x.detach().requires_grad_(True)
        spikes = fn(leaf, alpha)
        (grad,) = torch.autograd.grad(spikes, leaf, torch.ones_like(spikes))
    return grad


def supports(
    xs: Tensor, fields: tuple[Any, ...], params: tuple[Any, ...], method: str | None, alpha: Any
) -> bool:
    """Whether the kernels reproduce the torch path for these arguments (else it runs instead)."""
    if xs.dtype not in DTYPES or xs.dim() < 2 or xs[0].numel() == 0:
        return False
    if method is not None:
        fn = threshold_fn(method)
        if fn not in IN_KERNEL and fn not in TABLE:
            return False
        if (
            fn in (snn_core.super_fn, snn_core.triangle_fn)
            and isinstance(alpha, Tensor)
            and alpha.numel() != 1
        ):
            return False
    shape = xs.shape[1:]
    if not all(isinstance(f, Tensor) and f.dtype == xs.dtype for f in fields):
        return False
    tensors = [t for t in params if isinstance(t, Tensor)]
    if any(t.requires_grad or (t.dim() > 0 and t.dtype != xs.dtype) for t in tensors):
        return False
    try:
        return torch.broadcast_shapes(shape, *(t.shape for t in [*fields, *tensors])) == shape
    except RuntimeError:
        return False


def torch_path(name: str, xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The registered neuron's torch path: its sequence function (``backend="torch"``) or a step loop."""
    spec = snn_core.registry().neurons[name]
    if spec.sequence is not None:
        return spec.sequence(xs, state, p, dt, backend="torch")
    outputs = []
    for x in xs.unbind(0):
        out, state = spec.step(x, state, p, dt)
        outputs.append(out)
    return torch.stack(outputs), state
