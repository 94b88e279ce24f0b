r"""Reset functions for :class:`LIFBoxParameters` (``reset_method``).

A reset method is called as ``reset_method(z, v, v_reset, v_th)`` with spikes $z \in \{0, 1\}$.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

__all__ = ["ResetMethod", "reset_value", "reset_subtract"]

ResetMethod = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]
"""The type of a reset function: ``(z, v, v_reset, v_th) -> v_new``."""


def reset_value(z: Tensor, v: Tensor, reset: Tensor, th: Tensor) -> Tensor:
    r"""Reset to a value: $v' = (1 - z)\,v + z\,v_{reset}$.

    Args:
        z: spikes of this step.
        v: voltage.
        reset: reset potential.
        th: threshold potential.

    Returns:
        The reset voltage.

    Example:
        >>> reset_value(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 1.2]), torch.tensor(0.0), torch.tensor(1.0))
        tensor([0.5000, 0.0000])
    """
    return (1 - z) * v + z * reset


def reset_subtract(z: Tensor, v: Tensor, reset: Tensor, th: Tensor) -> Tensor:
    r"""Reset by subtraction: $v' = (1 - z)\,v + z\,(v - v_{th})$.

    Args:
        z: spikes of this step.
        v: voltage.
        reset: reset potential.
        th: threshold potential.

    Returns:
        The reset voltage.

    Example:
        >>> reset_subtract(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 1.25]), torch.tensor(0.0), torch.tensor(1.0))
        tensor([0.5000, 0.2500])
    """
    return (1 - z) * v + z * (v - th)
