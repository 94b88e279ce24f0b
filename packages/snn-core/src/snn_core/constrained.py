r"""Constraints for stored parameters: a raw tensor, an activation and its inverse.

A :class:`snn_core.Layer` stores each constrained parameter as an unconstrained tensor
``raw_<name>`` and reads it through an activation, so that gradient steps can never leave the
valid range:

| kind | activation (raw → value) | inverse (value → raw) | valid values |
|---|---|---|---|
| decay | $\sigma(r)$ | $\operatorname{logit}(v)$ | $(0, 1)$ |
| threshold | $\operatorname{softplus}(r)$ | $\log(e^{v} - 1)$ | $v > 0$ |
| bias | $\operatorname{asinh}(r)$ | $\sinh(v)$ | any real |
| identity | $r$ | $v$ | any real |
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from .functional import sigmoid_inverse, softplus_inverse

__all__ = ["identity", "DECAY", "THRESHOLD", "BIAS", "IDENTITY", "Constraint"]


def identity(x: Tensor) -> Tensor:
    """Return ``x`` unchanged (the activation and inverse of unconstrained parameters)."""
    return x


class Constraint:
    """A named (activation, inverse) pair; ``inverse`` validates and raises ``ValueError``."""

    __slots__ = ("activation", "inverse", "name")

    def __init__(
        self, name: str, activation: Callable[[Tensor], Tensor], inverse: Callable[[Tensor], Tensor]
    ):
        self.name = name
        self.activation = activation
        self.inverse = inverse

    def __repr__(self) -> str:
        return f"Constraint({self.name!r})"


DECAY = Constraint("decay", torch.sigmoid, sigmoid_inverse)
THRESHOLD = Constraint("threshold", F.softplus, softplus_inverse)
BIAS = Constraint("bias", torch.asinh, torch.sinh)
IDENTITY = Constraint("identity", identity, identity)
