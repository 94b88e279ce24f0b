"""``nn.Module`` wrappers of the encoders (Norse's ``norse.torch.module.encode``).

Each module checks its arguments once at construction and calls the functional encoder in
``forward``. The Poisson modules accept a ``generator=`` (an addition to Norse) for reproducible
spike trains; with ``None`` they draw from the global generator of the input's device, as Norse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from snn_core import check_dt

from ._checks import check_positive_int, check_rate, check_seq_length
from .latency import spike_latency_encode
from .lif import constant_current_lif_encode, resolve_lif_parameters, spike_latency_lif_encode
from .poisson import (
    poisson_encode,
    poisson_encode_step,
    signed_poisson_encode,
    signed_poisson_encode_step,
)
from .population import euclidean_distance, gaussian_rbf, population_encode

__all__ = [
    "PoissonEncoder",
    "PoissonEncoderStep",
    "SignedPoissonEncoder",
    "SignedPoissonEncoderStep",
    "PopulationEncoder",
    "ConstantCurrentLIFEncoder",
    "SpikeLatencyLIFEncoder",
    "SpikeLatencyEncoder",
]


class _PoissonBase(nn.Module):
    def __init__(self, f_max: float, dt: float, generator: torch.Generator | None) -> None:
        super().__init__()
        self.f_max = check_rate("f_max", f_max)
        self.dt = check_dt(dt)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        self.generator = generator

    def extra_repr(self) -> str:
        return f"f_max={self.f_max}, dt={self.dt}"


class _PoissonSequenceBase(_PoissonBase):
    """``seq_length`` steps of a Poisson encoder ``_encode(x, seq_length, f_max, dt, generator)``."""

    _encode: Callable[..., Tensor]

    def __init__(self, seq_length: int, f_max: float, dt: float, generator: torch.Generator | None) -> None:
        super().__init__(f_max, dt, generator)
        self.seq_length = check_seq_length(seq_length)

    def forward(self, x: Tensor) -> Tensor:
        return type(self)._encode(x, self.seq_length, self.f_max, self.dt, self.generator)

    def extra_repr(self) -> str:
        return f"seq_length={self.seq_length}, {super().extra_repr()}"


class _PoissonStepBase(_PoissonBase):
    """One step of a Poisson encoder ``_encode(x, f_max, dt, generator)``."""

    _encode: Callable[..., Tensor]

    def forward(self, x: Tensor) -> Tensor:
        return type(self)._encode(x, self.f_max, self.dt, self.generator)


class PoissonEncoder(_PoissonSequenceBase):
    r"""Poisson spike trains of ``seq_length`` steps: $z_t = [\, r_t < \Delta t\, f_{max}\, x \,]$.

    See :func:`snn_encoding.poisson_encode`.

    Args:
        seq_length: number of time steps.
        f_max: maximal rate in Hz. Default 100.
        dt: time step in seconds.
        generator: optional ``torch.Generator`` (an addition to Norse).

    Example:
        >>> PoissonEncoder(10)(torch.rand(2, 3)).shape
        torch.Size([10, 2, 3])
    """

    _encode = staticmethod(poisson_encode)

    def __init__(
        self, seq_length: int, f_max: float = 100, dt: float = 0.001, generator: torch.Generator | None = None
    ) -> None:
        super().__init__(seq_length, f_max, dt, generator)


class PoissonEncoderStep(_PoissonStepBase):
    r"""One step of Poisson spikes; see :func:`snn_encoding.poisson_encode_step`. Default ``f_max=1000``."""

    _encode = staticmethod(poisson_encode_step)

    def __init__(
        self, f_max: float = 1000, dt: float = 0.001, generator: torch.Generator | None = None
    ) -> None:
        super().__init__(f_max, dt, generator)


class SignedPoissonEncoder(_PoissonSequenceBase):
    r"""Signed Poisson spike trains in $\{-1, 0, 1\}$; see :func:`snn_encoding.signed_poisson_encode`."""

    _encode = staticmethod(signed_poisson_encode)

    def __init__(
        self, seq_length: int, f_max: float = 100, dt: float = 0.001, generator: torch.Generator | None = None
    ) -> None:
        super().__init__(seq_length, f_max, dt, generator)


class SignedPoissonEncoderStep(_PoissonStepBase):
    r"""One step of signed Poisson spikes; see :func:`snn_encoding.signed_poisson_encode_step`."""

    _encode = staticmethod(signed_poisson_encode_step)

    def __init__(
        self, f_max: float = 1000, dt: float = 0.001, generator: torch.Generator | None = None
    ) -> None:
        super().__init__(f_max, dt, generator)


class PopulationEncoder(nn.Module):
    r"""Population code with ``out_features`` Gaussian tuning curves; see :func:`snn_encoding.population_encode`.

    Example:
        >>> PopulationEncoder(5)(torch.rand(2, 3)).shape
        torch.Size([2, 3, 5])
    """

    def __init__(
        self,
        out_features: int,
        scale: int | float | Tensor | None = None,
        kernel: Callable[[Tensor], Tensor] = gaussian_rbf,
        distance_function: Callable[[Tensor, Tensor], Tensor] = euclidean_distance,
    ) -> None:
        super().__init__()
        self.out_features = check_positive_int("out_features", out_features)
        if isinstance(scale, Tensor) and scale.numel() != 1:
            raise ValueError(
                f"scale must be a number or a one-element tensor, got shape {tuple(scale.shape)}"
            )
        self.scale = scale
        self.kernel = kernel
        self.distance_function = distance_function

    def forward(self, x: Tensor) -> Tensor:
        return population_encode(x, self.out_features, self.scale, self.kernel, self.distance_function)

    def extra_repr(self) -> str:
        return f"out_features={self.out_features}, scale={self.scale}"


class _LIFEncoderBase(nn.Module):
    def __init__(self, seq_length: int, p: Any, dt: float, user: str) -> None:
        super().__init__()
        self.seq_length = check_seq_length(seq_length)
        self.dt = check_dt(dt)
        self.p = resolve_lif_parameters(p, user)

    def extra_repr(self) -> str:
        return f"seq_length={self.seq_length}, dt={self.dt}"


class ConstantCurrentLIFEncoder(_LIFEncoderBase):
    r"""LIF neurons driven by a constant current; see :func:`snn_encoding.constant_current_lif_encode`.

    Args:
        seq_length: number of time steps.
        p: LIF parameters; ``None`` means the registered ``"lif"`` model's defaults.
        dt: time step in seconds.

    Raises:
        UnknownComponentError: at construction when ``"lif"`` is not registered (``pip install snn-neurons``).
    """

    def __init__(self, seq_length: int, p: Any = None, dt: float = 0.001) -> None:
        super().__init__(seq_length, p, dt, "ConstantCurrentLIFEncoder")

    def forward(self, input_currents: Tensor) -> Tensor:
        return constant_current_lif_encode(input_currents, self.seq_length, self.p, self.dt)


class SpikeLatencyLIFEncoder(_LIFEncoderBase):
    r"""First spike of LIF neurons driven by a constant current; see :func:`snn_encoding.spike_latency_lif_encode`.

    Raises:
        UnknownComponentError: at construction when ``"lif"`` is not registered (``pip install snn-neurons``).
    """

    def __init__(self, seq_length: int, p: Any = None, dt: float = 0.001) -> None:
        super().__init__(seq_length, p, dt, "SpikeLatencyLIFEncoder")

    def forward(self, input_current: Tensor) -> Tensor:
        return spike_latency_lif_encode(input_current, self.seq_length, self.p, self.dt)


class SpikeLatencyEncoder(nn.Module):
    r"""Keep each neuron's first spike along time; see :func:`snn_encoding.spike_latency_encode`."""

    def forward(self, input_spikes: Tensor) -> Tensor:
        return spike_latency_encode(input_spikes)
