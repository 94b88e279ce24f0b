r"""Receptive-field modules (Norse's ``module.receptive_field``): spatial convolutions and temporal scales.

The spatial kernels are rebuilt from their parameters in every ``forward`` while those parameters are
optimised (so gradients always reach them), and built once otherwise.

:class:`TemporalReceptiveField` runs each input through a bank of leaky integrators with
geometrically spaced time constants (a time-causal temporal scale space, Lindeberg 2016). Its default
neuron, ``LIBoxCell``, comes from snn-neurons and is imported only when such a module is built.
"""

from __future__ import annotations

import importlib
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snn_core import UnknownComponentError, check_dt

from ._checks import check_positive_int, check_tensor
from .receptive_field import (
    spatial_parameters,
    spatial_receptive_fields_with_derivatives,
    temporal_scale_distribution,
)

__all__ = [
    "SpatialReceptiveField2d",
    "SampledSpatialReceptiveField2d",
    "ParameterizedSpatialReceptiveField2d",
    "TemporalReceptiveField",
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

    rf_parameters: Tensor
    _weights: Tensor

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
    scales: Tensor
    angles: Tensor
    ratios: Tensor

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

    initial_parameters: Tensor

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


class _NeuronModelMissingError(UnknownComponentError, ImportError):  # type: ignore[misc]
    """The default neuron of :class:`TemporalReceptiveField` (snn-neurons' ``LIBoxCell``) cannot be imported.

    Both an :class:`snn_core.UnknownComponentError` (like the LIF encoders' missing-model error) and
    an ``ImportError`` (what code guarding an optional dependency catches).
    """


#: where the default neuron of :class:`TemporalReceptiveField` lives; imported only when it is needed
_NEURONS_PACKAGE = "snn_neurons"


def _li_box_model(user: str) -> tuple[Callable[..., nn.Module], Callable[..., Any]]:
    """snn-neurons' ``LIBoxCell`` and ``LIBoxParameters``, imported now.

    Raises:
        UnknownComponentError: (also an ``ImportError``) when snn-neurons is missing or too old to
            have them; the message says ``pip install snn-neurons``.
    """
    try:
        neurons = importlib.import_module(_NEURONS_PACKAGE)
        return neurons.LIBoxCell, neurons.LIBoxParameters
    except (ImportError, AttributeError) as error:
        raise _NeuronModelMissingError(
            f"{user} needs LIBoxCell and LIBoxParameters from snn-neurons, which could not be imported "
            f"({error}); install it with: pip install snn-neurons (or pass both activation= and "
            "activation_state_map= for another neuron model)",
            kind="neurons",
            name="li_box",
        ) from error


def _check_shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(
            f"shape must be a sequence of positive ints (channels first), got {type(shape).__name__}: {shape!r}"
        )
    sizes = tuple(shape)
    if not sizes or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes):
        raise ValueError(
            f"shape must be a non-empty sequence of positive ints (channels first), got {shape!r}"
        )
    return tuple(int(n) for n in sizes)


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(a in (1, b) for a, b in zip(reversed(shape), reversed(target)))


def _given_time_constants(time_constants: Any, n_scales: int, shape: tuple[int, ...]) -> Tensor:
    """A copy of ``time_constants`` (an ``nn.Parameter`` is used as it is), checked against ``n_scales``/``shape``."""
    check_tensor("time_constants", time_constants)
    if not time_constants.is_floating_point():
        raise TypeError(f"time_constants must be a floating-point tensor, got dtype {time_constants.dtype}")
    expected = (n_scales, *shape)
    if not _broadcasts_to(tuple(time_constants.shape), expected):
        tail = ", 1" * (len(shape) - 1)
        raise ValueError(
            f"time_constants has shape {tuple(time_constants.shape)}, which does not broadcast to "
            f"[n_scales, *shape] = {list(expected)}; expected e.g. [{n_scales}, {shape[0]}{tail}]"
        )
    if time_constants.device.type != "meta" and not bool(torch.isfinite(time_constants.detach()).all()):
        raise ValueError("time_constants must contain only finite values, found NaN or infinity")
    if isinstance(time_constants, nn.Parameter):
        return time_constants
    return time_constants.detach().clone()


class TemporalReceptiveField(nn.Module):
    r"""A temporal scale space: every input is fed to ``n_scales`` leaky integrators with different time constants.

    The inverse time constants are geometrically spaced (Lindeberg 2016):

    $$ \tau^{-1}_k = \frac{1/\Delta t}{\sigma_k}, \qquad
       \sigma = \mathrm{temporal\_scale\_distribution}(K, \mathrm{min\_scale}, \mathrm{max\_scale}, c),
       \quad k = 1..K $$

    stored as one trainable ``nn.Parameter`` ``ps`` of shape ``[K, shape[0], 1, ...]`` (float32; one
    value per scale and channel, broadcast over the other dimensions). ``forward`` stacks ``K`` copies
    of the input on a new dimension just before the ``len(shape)`` trailing ones and runs the neuron
    cell once; with the default ``LIBoxCell`` this is one step of

    $$ v'_k = v_k + \Delta t\,\tau^{-1}_k\,\big((v_{leak} - v_k) + x\big)
            = v_k + \tfrac{1}{\sigma_k}\big((v_{leak} - v_k) + x\big) $$

    for every scale, i.e. an exponential smoothing of the input over about $\sigma_k$ steps
    ($\sigma_k = 1$ passes the input through). Call it once per time step, passing the state back.

    Args:
        shape: shape of one input sample without batch dimensions, channels first (e.g. ``(C, H, W)``).
        n_scales: number of scales $K \ge 1$.
        activation: neuron cell class, called as ``activation(p=activation_state_map(ps), dt=dt)``.
            ``None`` (default) means snn-neurons' ``LIBoxCell`` (Norse's default), imported here.
        activation_state_map: ``ps -> parameters`` of ``activation``. ``None`` (default) means
            ``LIBoxParameters(tau_mem_inv=ps)`` of snn-neurons; give your own with another activation.
        min_scale: smallest variance $\sigma_{min}^2$ (see :func:`snn_encoding.temporal_scale_distribution`).
        max_scale: optional largest variance; when set, ``c`` is ignored.
        c: ratio between consecutive scales when ``max_scale`` is ``None`` (default $\approx\sqrt 2$).
        time_constants: optional inverse time constants used instead of the generated ones; must
            broadcast to ``[n_scales, *shape]`` (e.g. ``[n_scales, shape[0], 1, ...]``). An
            ``nn.Parameter`` becomes ``ps`` itself; any other tensor is copied, so training never
            modifies the caller's tensor.
        dt: integration time step in seconds (> 0).

    Attributes:
        ps: the trainable inverse time constants (the name of Norse's ``state_dict`` key).
        neurons: the activation cell.

    Raises:
        UnknownComponentError: (also an ``ImportError``) when ``activation`` or ``activation_state_map``
            is ``None`` and snn-neurons is not installed: ``pip install snn-neurons``.
        TypeError, ValueError: for an invalid ``shape``, ``n_scales``, ``dt``, scale arguments or
            ``time_constants``.

    Example:
        The default needs snn-neurons (``TemporalReceptiveField((2, 28, 28))``); any cell taking
        ``p=`` and ``dt=`` works, here an integrator that only scales its input:

        >>> class Scale(torch.nn.Module):
        ...     def __init__(self, p, dt):
        ...         super().__init__()
        ...         self.p, self.dt = p, dt
        ...     def forward(self, x, state=None):
        ...         return x * self.p * self.dt, state
        >>> rf = TemporalReceptiveField((2, 5), n_scales=3, activation=Scale, activation_state_map=lambda t: t)
        >>> rf.ps.shape, rf.ps[:, 0, 0]
        (torch.Size([3, 2, 1]), tensor([1000.0000,  707.1085,  500.0025], grad_fn=<SelectBackward0>))
        >>> out, _ = rf(torch.ones(8, 2, 5))
        >>> out.shape, out[0, :, 0, 0]
        (torch.Size([8, 3, 2, 5]), tensor([1.0000, 0.7071, 0.5000], grad_fn=<SelectBackward0>))
    """

    def __init__(
        self,
        shape: Sequence[int],
        n_scales: int = 4,
        activation: Callable[..., nn.Module] | None = None,
        activation_state_map: Callable[[Tensor], Any] | None = None,
        min_scale: float = 1,
        max_scale: float | None = None,
        c: float = 1.41421,
        time_constants: Tensor | None = None,
        dt: float = 0.001,
    ) -> None:
        super().__init__()
        self.shape = _check_shape(shape)
        self.n_scales = check_positive_int("n_scales", n_scales)
        self.dt = check_dt(dt)
        self.rf_dimension = len(self.shape)
        if activation is None or activation_state_map is None:
            li_box_cell, li_box_parameters = _li_box_model(type(self).__name__)
            if activation is None:
                activation = li_box_cell
            if activation_state_map is None:

                def activation_state_map(t: Tensor) -> Any:
                    return li_box_parameters(tau_mem_inv=t)

        if time_constants is None:
            scales = temporal_scale_distribution(self.n_scales, min_scale=min_scale, max_scale=max_scale, c=c)
            # the same expression as Norse (a Python float divided by the tensor), so the same rounding
            rates = ((1 / self.dt) / scales).to(torch.float32)
            ones = (1,) * (self.rf_dimension - 1)
            values = (
                rates.reshape(self.n_scales, 1, *ones).expand(self.n_scales, self.shape[0], *ones).clone()
            )
        else:
            values = _given_time_constants(time_constants, self.n_scales, self.shape)
        self.ps = values if isinstance(values, nn.Parameter) else nn.Parameter(values)
        self.neurons = activation(p=activation_state_map(self.ps), dt=self.dt)

    @property
    def time_constants(self) -> Tensor:
        """The inverse time constants ``[n_scales, shape[0], 1, ...]`` (the parameter ``ps`` itself)."""
        return self.ps

    def extra_repr(self) -> str:
        return f"shape={self.shape}, n_scales={self.n_scales}, dt={self.dt}"

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        r"""One step of every scale: returns ``(output, state)`` of the activation cell.

        Args:
            x: input ``[..., *shape]`` (any leading batch dimensions).
            state: the cell's state from the previous step, or ``None`` to start from its initial state.

        Returns:
            The cell's output ``[..., n_scales, *shape]`` and its new state.
        """
        check_tensor("x", x)
        if x.dim() < self.rf_dimension:
            raise ValueError(
                f"x must have at least len(shape)={self.rf_dimension} dimensions ([..., *shape] with "
                f"shape={self.shape}), got shape {tuple(x.shape)}"
            )
        # stacked copies (not an expanded view): the backward then sums the scales' gradients in
        # the same order as Norse, and the cell may write to its input
        repeated = torch.stack([x] * self.n_scales, dim=-self.rf_dimension - 1)
        return self.neurons(repeated, state)
