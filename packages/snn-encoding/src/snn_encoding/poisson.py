r"""Poisson (Bernoulli) rate encoders: values become random spike trains.

Each time step of length $\Delta t$ a neuron with rate $x \cdot f_{max}$ spikes with probability
$p = \Delta t \, f_{max} \, x$:

$$ z_t = [\, r_t < (\Delta t \, f_{max}) \cdot x \,], \qquad r_t \sim \mathcal U[0, 1) $$

The random numbers come from exactly one ``torch.rand`` call of shape ``(T, *x.shape)`` (or
``x.shape`` for a single step) on ``generator`` or the global generator of the input's device, in
the default dtype, so the same seed or generator gives the same spikes as Norse 1.1.0. The signed
variants encode $|x|$ and multiply by $\operatorname{sign}(x)$.
"""

from __future__ import annotations

import torch
from torch import Tensor

from snn_core import check_dt

from ._checks import (
    check_finite_values,
    check_nonnegative_values,
    check_rate,
    check_seq_length,
    check_tensor,
)

__all__ = [
    "poisson_encode",
    "poisson_encode_step",
    "signed_poisson_encode",
    "signed_poisson_encode_step",
]

_RATE_HINT = "; use signed_poisson_encode for signed values"


def _probability(f_max: float, dt: float) -> float:
    # The product is a Python (float64) number, rounded to the tensor's dtype when it meets x,
    # exactly as Norse evaluates ``dt * f_max * x``.
    return check_dt(dt) * check_rate("f_max", f_max)


def poisson_encode(
    input_values: Tensor,
    seq_length: int,
    f_max: float = 100,
    dt: float = 0.001,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Encode non-negative values as ``seq_length`` steps of Poisson spikes.

    $$ z_t = [\, r_t < (\Delta t\, f_{max})\, x \,], \quad r_t \sim \mathcal U[0,1), \quad t = 0..T-1 $$

    Values are rates relative to ``f_max``: ``x = 1`` spikes with probability
    $\Delta t\, f_{max}$ per step (0.1 with the defaults).

    Args:
        input_values: non-negative rates of any shape.
        seq_length: number of time steps $T \ge 0$.
        f_max: maximal firing rate in Hz (>= 0). Default 100, as Norse.
        dt: time step in seconds (> 0).
        generator: optional ``torch.Generator`` on the input's device; the global one otherwise.

    Returns:
        float32 spikes in $\{0, 1\}$ of shape ``[T, *input_values.shape]``.

    Raises:
        TypeError: if ``input_values`` is not a real tensor or an argument has the wrong type.
        ValueError: for negative or non-finite values, ``f_max < 0``, ``dt <= 0`` or ``seq_length < 0``.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> poisson_encode(torch.full((3,), 0.5), 100, generator=g).mean()  # p = 0.05
        tensor(0.0533)
    """
    check_tensor("input_values", input_values)
    steps = check_seq_length(seq_length)
    probability = _probability(f_max, dt)
    check_nonnegative_values("input_values", input_values, _RATE_HINT)
    noise = torch.rand(steps, *input_values.shape, device=input_values.device, generator=generator)
    return (noise.float() < probability * input_values).float()


def poisson_encode_step(
    input_values: Tensor,
    f_max: float = 1000,
    dt: float = 0.001,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""One step of Poisson spikes: $z = [\, r < (\Delta t\, f_{max})\, x \,]$, $r \sim \mathcal U[0,1)$.

    Calling it $T$ times equals :func:`poisson_encode` with the same seed and ``f_max``; note the
    different default ``f_max`` (1000 here, 100 there), as in Norse.

    Args:
        input_values: non-negative rates of any shape.
        f_max: maximal firing rate in Hz (>= 0). Default 1000.
        dt: time step in seconds (> 0).
        generator: optional ``torch.Generator`` on the input's device.

    Returns:
        float32 spikes in $\{0, 1\}$ shaped like ``input_values``.

    Raises:
        TypeError, ValueError: as :func:`poisson_encode`.

    Example:
        >>> poisson_encode_step(torch.ones(4))  # spikes everywhere: p = 1
        tensor([1., 1., 1., 1.])
    """
    check_tensor("input_values", input_values)
    probability = _probability(f_max, dt)
    check_nonnegative_values("input_values", input_values, _RATE_HINT)
    noise = torch.rand(*input_values.shape, device=input_values.device, generator=generator)
    return (noise.float() < probability * input_values).float()


def signed_poisson_encode(
    input_values: Tensor,
    seq_length: int,
    f_max: float = 100,
    dt: float = 0.001,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Encode signed values as ``seq_length`` steps of signed Poisson spikes.

    $$ z_t = \operatorname{sign}(x)\, [\, r_t < (\Delta t\, f_{max})\, |x| \,] \in \{-1, 0, 1\} $$

    Unlike Norse 1.1.0, which always draws the random numbers on the CPU (and fails for CUDA
    inputs), they are drawn on the input's device, as :func:`signed_poisson_encode_step` does. On the
    CPU the numbers are Norse's.

    Args:
        input_values: finite values of any sign and shape.
        seq_length: number of time steps $T \ge 0$.
        f_max: maximal firing rate in Hz (>= 0). Default 100.
        dt: time step in seconds (> 0).
        generator: optional ``torch.Generator`` on the input's device.

    Returns:
        float32 spikes in $\{-1, 0, 1\}$ of shape ``[T, *input_values.shape]``.

    Raises:
        TypeError: if ``input_values`` is not a real tensor.
        ValueError: for non-finite values, ``f_max < 0``, ``dt <= 0`` or ``seq_length < 0``.

    Example:
        >>> signed_poisson_encode(torch.tensor([-10.0, 0.0, 10.0]), 2)
        tensor([[-1., 0., 1.],
                [-1., 0., 1.]])
    """
    check_tensor("input_values", input_values)
    steps = check_seq_length(seq_length)
    probability = _probability(f_max, dt)
    check_finite_values("input_values", input_values)
    noise = torch.rand(steps, *input_values.shape, device=input_values.device, generator=generator)
    return torch.sign(input_values) * (noise.float() < probability * torch.abs(input_values)).float()


def signed_poisson_encode_step(
    input_values: Tensor,
    f_max: float = 1000,
    dt: float = 0.001,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""One step of signed Poisson spikes: $z = \operatorname{sign}(x)\,[\, r < (\Delta t\, f_{max})\,|x| \,]$.

    Args:
        input_values: finite values of any sign and shape.
        f_max: maximal firing rate in Hz (>= 0). Default 1000.
        dt: time step in seconds (> 0).
        generator: optional ``torch.Generator`` on the input's device.

    Returns:
        float32 spikes in $\{-1, 0, 1\}$ shaped like ``input_values``.

    Raises:
        TypeError, ValueError: as :func:`signed_poisson_encode`.

    Example:
        >>> signed_poisson_encode_step(torch.tensor([-1.0, 1.0]))
        tensor([-1.,  1.])
    """
    check_tensor("input_values", input_values)
    probability = _probability(f_max, dt)
    check_finite_values("input_values", input_values)
    noise = torch.rand(*input_values.shape, device=input_values.device, generator=generator)
    return torch.sign(input_values) * (noise.float() < probability * torch.abs(input_values)).float()
