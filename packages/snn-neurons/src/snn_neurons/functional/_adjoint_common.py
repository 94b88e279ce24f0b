r"""Pieces shared by the adjoint step functions (LIF, refractory LIF, LSNN).

The membrane slopes before and after a step, with old $v, i$ and new $v'$:

$$ D^- = \tau_{mem}^{-1}((v_{leak} - v) + i), \qquad D^+ = \tau_{mem}^{-1}((v_{leak} - v') + i) $$
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def nan_to_zero(t: Tensor) -> Tensor:
    """``t`` with every NaN replaced by 0 (the terms divided by $D^- = 0$)."""
    return torch.where(torch.isnan(t), torch.zeros_like(t), t)


def membrane_slopes(p: Any, v: Tensor, i: Tensor, v_new: Tensor) -> tuple[Tensor, Tensor]:
    """$(D^-, D^+)$ for parameters ``p`` with ``tau_mem_inv`` and ``v_leak`` (see the module docstring)."""
    d_minus = p.tau_mem_inv * ((p.v_leak - v) + i)
    d_plus = p.tau_mem_inv * ((p.v_leak - v_new) + i)
    return d_minus, d_plus


def weight_gradients(lam_i: Tensor, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
    r"""The recurrent steps' weight gradients $(\lambda_i^T x, \lambda_i^T z)$ (incoming $\lambda_i$)."""
    return lam_i.t().mm(x), lam_i.t().mm(z)
