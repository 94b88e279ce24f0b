"""Modules for training loops: layers that learn with STDP, and cells of the plasticity models.

Hidden traces are returned to the caller (functional style), never stored as parameters or buffers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ._checks import is_finite_number
from .stdp import STDPParameters, STDPState, stdp_initial_state, stdp_step_conv2d, stdp_step_linear
from .stdp_sensor import (
    STDPSensorParameters,
    STDPSensorState,
    check_stdp_sensor_parameters,
    stdp_sensor_step,
)
from .tsodyks_markram import (
    TsodyksMakramParameters,
    TsodyksMakramState,
    check_tsodyks_makram_parameters,
    stp_step,
)

__all__ = ["STDPLinear", "STDPConv2d", "STDPSensorCell", "TsodyksMakramCell", "TsodyksMarkramCell"]


def _check_dt(dt: Any) -> float:
    if not is_finite_number(dt) or dt <= 0:
        raise ValueError(f"dt must be a finite number > 0, got {dt!r}")
    return float(dt)


def _check_stdp_parameters(p: Any) -> STDPParameters:
    if p is None:
        return STDPParameters()
    if not isinstance(p, STDPParameters):
        raise TypeError(f"p must be STDPParameters, got {type(p).__name__}")
    return p


def _stdp_update(
    layer: nn.Linear | nn.Conv2d,
    step: Callable[..., Any],
    z_pre: Tensor,
    z_post: Tensor,
    state: STDPState | None,
) -> STDPState:
    """One STDP ``step`` applied in place to ``layer.weight`` (under the caller's ``no_grad``); new traces."""
    if state is None:
        state = stdp_initial_state(z_pre, z_post)
    weight, state = step(z_pre, z_post, layer.weight, state, layer.p, layer.dt)
    layer.weight.copy_(weight)
    return state


class STDPLinear(nn.Linear):
    r"""A linear layer whose weight learns with pair-based STDP.

    ``forward`` is an ordinary ``nn.Linear``; call :meth:`stdp_update` with the layer's presynaptic
    (input) and postsynaptic (neuron output) spikes after each time step. The weight is changed in
    place under ``torch.no_grad()`` by :func:`snn_plasticity.stdp_step_linear`.

    Args:
        in_features: input size, as ``nn.Linear``.
        out_features: output size.
        bias: add a learnable bias (off by default; STDP does not change it).
        device: as ``nn.Linear``.
        dtype: as ``nn.Linear``.
        p: STDP parameters (default ``STDPParameters()``).
        dt: time step in seconds.

    Example:
        >>> layer = STDPLinear(4, 2)
        >>> state = None
        >>> for x in torch.bernoulli(torch.full((10, 1, 4), 0.3)).unbind(0):
        ...     z = (layer(x) > 0.2).float()          # any neuron model
        ...     state = layer.stdp_update(x, z, state)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = False,
        p: STDPParameters | None = None,
        dt: float = 0.001,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)
        self.p = _check_stdp_parameters(p)
        self.dt = _check_dt(dt)

    @torch.no_grad()
    def stdp_update(self, z_pre: Tensor, z_post: Tensor, state: STDPState | None = None) -> STDPState:
        """Apply one STDP step to ``self.weight``; returns the new traces (pass them to the next call).

        Args:
            z_pre: input spikes ``[batch, in_features]``.
            z_post: output spikes ``[batch, out_features]``.
            state: traces from the previous call, or ``None`` for zeros.
        """
        return _stdp_update(self, stdp_step_linear, z_pre, z_post, state)


class STDPConv2d(nn.Conv2d):
    r"""A 2-D convolution whose kernel learns with pair-based STDP (``groups=1``).

    The STDP step uses the layer's own ``stride``, ``padding`` and ``dilation``; those of ``p`` are
    replaced. Call :meth:`stdp_update` with the input spikes and the output neurons' spikes.

    Args:
        in_channels: input channels, as ``nn.Conv2d``.
        out_channels: output channels.
        kernel_size: int or pair.
        stride: int or pair.
        padding: int or pair (strings such as ``"same"`` are not supported).
        dilation: int or pair.
        bias: add a learnable bias (off by default; STDP does not change it).
        device: as ``nn.Conv2d``.
        dtype: as ``nn.Conv2d``.
        p: STDP parameters.
        dt: time step in seconds.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = False,
        p: STDPParameters | None = None,
        dt: float = 0.001,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if isinstance(padding, str):
            raise ValueError(f"padding must be an int or a pair of ints for STDPConv2d, got {padding!r}")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            bias=bias,
            device=device,
            dtype=dtype,
        )
        self.p = _check_stdp_parameters(p).replace(
            convolutional=True,
            stride=tuple(self.stride),
            padding=tuple(self.padding),
            dilation=tuple(self.dilation),
        )
        self.dt = _check_dt(dt)

    @torch.no_grad()
    def stdp_update(self, z_pre: Tensor, z_post: Tensor, state: STDPState | None = None) -> STDPState:
        """Apply one STDP step to ``self.weight``; returns the new traces.

        Args:
            z_pre: input spikes ``[batch, in_channels, H, W]``.
            z_post: output spikes ``[batch, out_channels, H', W']``.
            state: traces from the previous call, or ``None`` for zeros.
        """
        return _stdp_update(self, stdp_step_conv2d, z_pre, z_post, state)


class STDPSensorCell(nn.Module):
    r"""One step of the STDP sensor's traces per call; see :func:`snn_plasticity.stdp_sensor_step`.

    ``forward(z_pre, z_post, state=None) -> state``; ``None`` starts from zero traces.
    """

    def __init__(self, p: STDPSensorParameters = STDPSensorParameters(), dt: float = 0.001) -> None:
        super().__init__()
        self.p = check_stdp_sensor_parameters(p)
        self.dt = _check_dt(dt)

    def forward(self, z_pre: Tensor, z_post: Tensor, state: STDPSensorState | None = None) -> STDPSensorState:
        if state is None:
            state = STDPSensorState(torch.zeros_like(z_pre), torch.zeros_like(z_post))
        return stdp_sensor_step(z_pre, z_post, state, self.p, self.dt)


class TsodyksMakramCell(nn.Module):
    r"""One Tsodyks–Markram step per call; see :func:`snn_plasticity.stp_step`.

    ``forward(z, state=None) -> (efficacy, state)``; ``None`` starts from $u = 0$, $x = 1$.
    """

    def __init__(self, p: TsodyksMakramParameters = TsodyksMakramParameters(), dt: float = 0.001) -> None:
        super().__init__()
        self.p = check_tsodyks_makram_parameters(p)
        self.dt = _check_dt(dt)

    def forward(
        self, z: Tensor, state: TsodyksMakramState | None = None
    ) -> tuple[Tensor, TsodyksMakramState]:
        if state is None:
            state = TsodyksMakramState(torch.zeros_like(z), torch.ones_like(z))
        return stp_step(z, state, self.p, self.dt)


TsodyksMarkramCell = TsodyksMakramCell
