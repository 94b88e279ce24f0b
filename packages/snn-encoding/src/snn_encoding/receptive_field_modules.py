r"""Convolutions whose kernels are spatial receptive fields (Norse's ``module.receptive_field``).

The kernels are rebuilt from their parameters in every ``forward`` while those parameters are
optimised (so gradients always reach them), and built once otherwise.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_positive_int, check_tensor
from .receptive_field import spatial_parameters, spatial_receptive_fields_with_derivatives

__all__ = [
    "SpatialReceptiveField2d",
    "SampledSpatialReceptiveField2d",
    "ParameterizedSpatialReceptiveField2d",
    "fields_to_weights",
]


def fields_to_weights(fields: Tensor, in_channels: int, aggregate: bool) -> Tensor:
    r"""Conv2d weights from ``[N, s, s]`` fields.

    ``aggregate=True``: ``[N, in_channels, s, s]``, every field applied to (and summed over) all input
    channels. ``aggregate=False``: ``[in_channels * N, in_channels, s, s]``, output channel
    ``i * N + f`` applies field ``f`` to input channel ``i`` only.
    """
    count, size = fields.shape[0], fields.shape[-1]
    if aggregate:
        return fields.unsqueeze(1).repeat(1, in_channels, 1, 1)
    eye = torch.eye(in_channels, dtype=fields.dtype, device=fields.device)
    weights = eye[:, None, :, None, None] * fields[None, :, None]
    return weights.reshape(in_channels * count, in_channels, size, size)


class SpatialReceptiveField2d(nn.Module):
    r"""A 2-D convolution with receptive-field kernels given by parameter rows.

    Args:
        in_channels: input channels.
        size: kernel side in pixels.
        rf_parameters: ``[N, 5]`` rows ``[scale, angle, ratio, dx, dy]`` (or ``[N, 7]`` with ``x, y``).
        aggregate: sum each field over all input channels (``N`` outputs); otherwise one output per
            field and input channel (``in_channels * N`` outputs; this crashes in Norse 1.1.0).
        domain: half-width of the sampled square. Default 8.
        optimize_fields: make ``rf_parameters`` an ``nn.Parameter``.
        **kwargs: passed to ``torch.nn.functional.conv2d`` (``stride``, ``padding``, ``bias``, ...).

    Example:
        >>> m = SpatialReceptiveField2d(1, 9, torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0]]))
        >>> m(torch.ones(1, 1, 9, 9)).shape
        torch.Size([1, 1, 1, 1])
    """

    def __init__(
        self,
        in_channels: int,
        size: int,
        rf_parameters: Tensor,
        aggregate: bool = True,
        domain: float = 8,
        optimize_fields: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.size = check_positive_int("size", size)
        check_tensor("rf_parameters", rf_parameters)
        if rf_parameters.dim() != 2 or rf_parameters.shape[1] not in (5, 7):
            raise ValueError(
                f"rf_parameters must have shape [N, 5] or [N, 7], got {tuple(rf_parameters.shape)}"
            )
        self.aggregate = aggregate
        self.domain = domain
        self.optimize_fields = optimize_fields
        self.kwargs = dict(kwargs)
        self.kwargs.setdefault("bias", None)
        if optimize_fields:
            self.rf_parameters = nn.Parameter(rf_parameters)
        else:
            self.register_buffer("rf_parameters", rf_parameters, persistent=False)
            self.register_buffer("_weights", self._build_weights(), persistent=False)
        self.out_channels = rf_parameters.shape[0] * (1 if aggregate else in_channels)

    def _build_weights(self) -> Tensor:
        fields = spatial_receptive_fields_with_derivatives(self.rf_parameters, self.size, self.domain)
        return fields_to_weights(fields, self.in_channels, self.aggregate)

    @property
    def weights(self) -> Tensor:
        """The conv2d kernels ``[out_channels, in_channels, size, size]``."""
        return self._build_weights() if self.optimize_fields else self._weights

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weights, **self.kwargs)


class _FieldsFromShapes(nn.Module):
    """Convolution with fields rebuilt in every ``forward`` from ``_rf_parameters()`` (``submodule`` holds the rest)."""

    submodule: SpatialReceptiveField2d

    def _add_shape_values(self, name: str, value: Tensor, optimize: bool) -> None:
        """Store ``value`` as parameter ``name`` when ``optimize``, else as a non-persistent buffer."""
        if optimize:
            setattr(self, name, nn.Parameter(value))
        else:
            self.register_buffer(name, value, persistent=False)

    def _rf_parameters(self) -> Tensor:  # pragma: no cover - overridden
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        sub = self.submodule
        fields = spatial_receptive_fields_with_derivatives(self._rf_parameters(), sub.size, sub.domain)
        return F.conv2d(x, fields_to_weights(fields, sub.in_channels, sub.aggregate), **sub.kwargs)


class SampledSpatialReceptiveField2d(_FieldsFromShapes):
    r"""Receptive-field convolution over all combinations of ``scales x angles x ratios x derivatives``.

    The combinations come from :func:`snn_encoding.spatial_parameters`; the three value lists can be
    optimised (each value is shared by every field built from it). ``**kwargs`` go to
    :class:`SpatialReceptiveField2d` (``aggregate``, ``domain``, conv2d arguments).
    """

    def __init__(
        self,
        in_channels: int,
        size: int,
        scales: Tensor,
        angles: Tensor,
        ratios: Tensor,
        derivatives: Any,
        optimize_scales: bool = True,
        optimize_angles: bool = True,
        optimize_ratios: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.derivatives = derivatives
        for name, value, optimize in (
            ("scales", scales, optimize_scales),
            ("angles", angles, optimize_angles),
            ("ratios", ratios, optimize_ratios),
        ):
            self._add_shape_values(name, value, optimize)
        self.submodule = SpatialReceptiveField2d(
            in_channels, size, self._rf_parameters().detach(), optimize_fields=False, **kwargs
        )

    def _rf_parameters(self) -> Tensor:
        return spatial_parameters(self.scales, self.angles, self.ratios, self.derivatives)


class ParameterizedSpatialReceptiveField2d(_FieldsFromShapes):
    r"""Receptive-field convolution whose every field has its own optimisable scale, angle and ratio.

    Initial rows come from :func:`snn_encoding.spatial_parameters`; ``**kwargs`` go to
    :class:`SpatialReceptiveField2d`.
    """

    def __init__(
        self,
        in_channels: int,
        size: int,
        scales: Tensor,
        angles: Tensor,
        ratios: Tensor,
        derivatives: Any,
        optimize_scales: bool = True,
        optimize_angles: bool = True,
        optimize_ratios: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        initial = spatial_parameters(scales, angles, ratios, derivatives)
        self.register_buffer("initial_parameters", initial, persistent=False)
        for column, (name, optimize) in enumerate(
            (("scales", optimize_scales), ("angles", optimize_angles), ("ratios", optimize_ratios))
        ):
            value = initial[:, column].clone()
            self._add_shape_values(name, value, optimize)
        self.submodule = SpatialReceptiveField2d(in_channels, size, initial, optimize_fields=False, **kwargs)

    def _rf_parameters(self) -> Tensor:
        shape = torch.stack([self.scales, self.angles, self.ratios], 1)
        return torch.cat([shape, self.initial_parameters[:, 3:]], 1)
