"""Parameter and state checks, run once (at construction or state creation), never per step.

The step functions themselves are check-free so that they stay cheap and ``torch.compile``
friendly. :func:`validate_parameters` is called by the registered neurons' ``initial_state``
(once per sequence) and by the module wrappers at construction; call it yourself when you build
parameters for the functional API by hand.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

import snn_core

__all__ = ["validate_parameters", "check_state_shape"]

# Fields that must be finite and >= 0 (inverse time constants: 0 means "no decay").
_NON_NEGATIVE = {
    "tau_syn_inv",
    "tau_mem_inv",
    "tau_adapt_inv",
    "tau_ada_inv",
    "tau_syn_exc_inv",
    "tau_syn_inh_inv",
    "tau_inv",
    "rho_reset",
}
# Fields that must be finite and > 0 (they divide or scale the whole update).
_POSITIVE = {"c_m_inv", "delta_T"}


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _describe(value: Any) -> str:
    if isinstance(value, Tensor):
        if value.numel() == 1:
            return f"tensor({value.detach().reshape(()).item()!r})"
        return f"a tensor of shape {tuple(value.shape)}"
    return repr(value)


def _check_range(arg: str, value: Any, *, strict: bool) -> None:
    expected = "finite and > 0" if strict else "finite and >= 0"
    if isinstance(value, Tensor):
        if value.is_complex():
            raise TypeError(f"{arg} must be a real tensor, got dtype {value.dtype}")
        v = value.detach()
        ok = bool(torch.isfinite(v).all()) and bool((v > 0).all() if strict else (v >= 0).all())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ok = math.isfinite(value) and (value > 0 if strict else value >= 0)
    else:
        raise TypeError(f"{arg} must be a number or a tensor, got {type(value).__name__}: {value!r}")
    if not ok:
        raise ValueError(f"{arg} must be {expected}, got {_describe(value)}")


def _check_method(arg: str, method: Any) -> None:
    if not isinstance(method, str):
        raise TypeError(f"{arg} must be a threshold name (str), got {type(method).__name__}: {method!r}")
    known = snn_core.registry().thresholds
    if method not in known:
        names = ", ".join(sorted(known))
        raise ValueError(f"{arg} must be a registered threshold method ({names}), got {method!r}")


def _check_coupling(arg: str, g: Any) -> None:
    if g is None:
        return
    if not isinstance(g, Tensor):
        raise TypeError(f"{arg} must be a tensor [n, n] or None, got {type(g).__name__}")
    if g.dim() != 2 or g.shape[0] != g.shape[1]:
        raise ValueError(f"{arg} must be a square matrix [n, n], got shape {tuple(g.shape)}")
    if not bool(torch.isfinite(g.detach()).all()):
        raise ValueError(f"{arg} must be finite")


def validate_parameters(p: Any, name: str = "p", dt: float | None = None) -> Any:
    r"""Check a parameter NamedTuple once and return it unchanged.

    Checks every field it knows by name, recursing into nested parameter tuples
    (``LIFRefracParameters.lif``):

    - inverse time constants (``tau_*_inv``, ``tau_inv``) and ``rho_reset``: finite and $\ge 0$;
    - ``c_m_inv`` and ``delta_T``: finite and $> 0$;
    - ``method``: a registered threshold name (any plugin's included);
    - ``g_coupling``: ``None`` or a finite square matrix;
    - ``dt`` (if given): finite and $> 0$ (:func:`snn_core.check_dt`).

    Args:
        p: a parameter NamedTuple such as :class:`LIFParameters`.
        name: the argument name used in error messages.
        dt: optional time step to check as well.

    Returns:
        ``p`` itself.

    Raises:
        ValueError: naming the field and its value when it is out of range or unknown.
        TypeError: when ``p`` is not a NamedTuple or a field has the wrong type.

    Example:
        >>> validate_parameters(LIFParameters(tau_mem_inv=torch.tensor(-1.0)))
        Traceback (most recent call last):
        ValueError: p.tau_mem_inv must be finite and >= 0, got tensor(-1.0)
    """
    if not _is_namedtuple(p):
        raise TypeError(f"{name} must be a parameter NamedTuple, got {type(p).__name__}: {p!r}")
    for field, value in zip(p._fields, p):
        arg = f"{name}.{field}"
        if _is_namedtuple(value):
            validate_parameters(value, arg)
        elif field == "method":
            _check_method(arg, value)
        elif field in _NON_NEGATIVE:
            _check_range(arg, value, strict=False)
        elif field in _POSITIVE:
            _check_range(arg, value, strict=True)
        elif field == "g_coupling":
            _check_coupling(arg, value)
    if dt is not None:
        snn_core.check_dt(dt)
    return p


def check_state_shape(state: Any, x: Tensor, name: str = "state") -> Any:
    """Check that every tensor field of ``state`` broadcasts against the input ``x``; return ``state``.

    Meant for the moment a state is created or handed in (not every step).

    Raises:
        ValueError: naming the field, its shape and the input's shape.

    Args:
        state: a state NamedTuple (nested ones are checked field by field).
        x: the input of one time step.
        name: the argument name used in error messages.

    Returns:
        ``state`` itself.
    """
    if not _is_namedtuple(state):
        raise TypeError(f"{name} must be a state NamedTuple, got {type(state).__name__}")
    for field, value in zip(state._fields, state):
        arg = f"{name}.{field}"
        if _is_namedtuple(value):
            check_state_shape(value, x, arg)
        elif isinstance(value, Tensor) and not value.is_sparse:
            try:
                shape = torch.broadcast_shapes(value.shape, x.shape)
            except RuntimeError:
                shape = None
            if shape != x.shape:
                raise ValueError(
                    f"{arg} has shape {tuple(value.shape)}, which does not match the input shape "
                    f"{tuple(x.shape)}"
                )
    return state
