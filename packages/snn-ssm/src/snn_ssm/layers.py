r"""``S4``, ``S5``, ``S6`` and ``Mamba``: one time step per call, plus a whole-sequence scan.

Drop-in for traceTorch 0.19.2's ``tt.ssm`` layers: the same constructors, parameter names (a traceTorch
``state_dict`` loads unchanged), initialisation rules and random stream (the same
``torch.manual_seed`` gives the same parameters), state names and layouts, and one-step outputs.
States are created lazily from the first input and managed by :class:`snn_core.Model` with every
other layer.

Beyond traceTorch, every layer has :meth:`Layer.sequence`: a time-first input ``[T, ...]`` in one call,
with the recurrence evaluated by a chunked scan (:mod:`snn_ssm.scan`) and the projections applied to
the whole sequence at once. It returns what looping ``forward`` returns (up to float round-off) and
leaves the states where the loop would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

import snn_core

from .functional import (
    MambaParameters,
    MambaState,
    S4Parameters,
    S5Parameters,
    S6Parameters,
    mamba_sequence,
    mamba_step,
    s4_sequence,
    s4_step,
    s5_sequence,
    s5_step,
    s6_sequence,
    s6_step,
)

__all__ = ["S4", "S5", "S6", "Layer", "Mamba"]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _dt_rank(value: Any, num_neurons: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (value < 1 and value != -1):
        raise ValueError(f"dt_rank must be a positive int or -1 (automatic), got {value!r}")
    return max(1, num_neurons // 16) if value == -1 else value


def _log_arange(d_state: int, num_neurons: int | None) -> Tensor:
    """$\\log(1, 2, \\dots, d)$, repeated per feature when ``num_neurons`` is given."""
    a = torch.log(torch.arange(1, d_state + 1, dtype=torch.get_default_dtype()))
    return a if num_neurons is None else a.repeat(num_neurons, 1)


class Layer(snn_core.Layer):
    r"""Base class of the SSM layers (traceTorch's ``tt.ssm.Layer``).

    States registered here have the input's shape (feature axis resized to ``num_neurons``) **plus a
    trailing axis of size** ``d_state``; :meth:`_state_to_working_dim` moves their feature axis to
    position $-2$.

    Args:
        num_neurons: size $N$ of the feature axis.
        dim: axis of the input holding the features.
        d_state: size $d$ of the latent state per feature.

    Raises:
        ValueError: for a non-positive ``num_neurons`` or ``d_state``.
    """

    def __init__(self, num_neurons: int, dim: int = -1, d_state: int = 1) -> None:
        super().__init__(num_neurons, dim)
        self.d_state = _positive_int("d_state", d_state)

    def _state_shape(self, name: str, ref: Tensor) -> list[int]:
        return [*super()._state_shape(name, ref), self.d_state]

    def _check_input(self, x: Tensor, *, time_first: bool = False) -> int:
        """Validate the feature axis of ``x``; return the axis index (shifted by one for sequences)."""
        if not isinstance(x, Tensor):
            raise TypeError(f"{type(self).__name__} expects a tensor input, got {type(x).__name__}")
        if time_first and x.dim() < 2:
            raise ValueError(
                f"{type(self).__name__}.sequence expects a time-first input [T, ...] with at least 2 dims, "
                f"got shape {list(x.shape)}"
            )
        step_dims = x.dim() - (1 if time_first else 0)
        if not -step_dims <= self.dim < step_dims:
            what = "each time step of the input" if time_first else "the input"
            raise ValueError(
                f"{type(self).__name__}: dim={self.dim} is out of range for {what} "
                f"({step_dims} dims, shape {list(x.shape)})"
            )
        axis = self.dim if self.dim < 0 else self.dim + (1 if time_first else 0)
        if x.shape[axis] != self.num_neurons:
            raise ValueError(
                f"{type(self).__name__} expected num_neurons={self.num_neurons} features along dim={self.dim}, "
                f"got {x.shape[axis]} (input shape {list(x.shape)})"
            )
        return axis

    def _run_sequence(
        self,
        x: Tensor,
        sequence_fn: Callable[[Tensor, Any], tuple[Tensor, Any]],
        read_state: Callable[[], Any],
        write_state: Callable[[Any], None],
    ) -> Tensor:
        axis = self._check_input(x, time_first=True)
        step_ref = x.detach()[0] if x.shape[0] else x.detach().new_zeros(x.shape[1:])
        self._ensure_states(step_ref)
        outputs, state = sequence_fn(x.movedim(axis, -1), read_state())
        write_state(state)
        return outputs.movedim(-1, axis)

    def _read(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _write(self, state: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _one_step(self, x: Tensor, step_fn: Callable[[Tensor, Any, Any], tuple[Tensor, Any]]) -> Tensor:
        """``forward`` of every layer: one ``step_fn(x, state, p)`` on the stored state (``_read``/``_write``)."""
        self._check_input(x)
        self._ensure_states(x)
        y, state = step_fn(self._to_working_dim(x), self._read(), self.parameters_tuple())  # type: ignore[attr-defined]
        self._write(state)
        return self._from_working_dim(y)

    def _whole_sequence(
        self, x: Tensor, sequence_fn: Callable[..., tuple[Tensor, Any]], **options: Any
    ) -> Tensor:
        """``sequence`` of every layer: ``sequence_fn(xs, state, p, **options)`` on the stored state."""
        p = self.parameters_tuple()  # type: ignore[attr-defined]
        return self._run_sequence(x, lambda xs, s: sequence_fn(xs, s, p, **options), self._read, self._write)

    def extra_repr(self) -> str:
        return f"num_neurons={self.num_neurons}, d_state={self.d_state}, dim={self.dim}"


class _PerFeatureStateLayer(Layer):
    """A layer with one state ``[..., N, d]`` named by ``_state``, driven by a step and a sequence function."""

    _state = "state"

    def parameters_tuple(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _step(self, x: Tensor, h: Tensor, p: Any) -> tuple[Tensor, Tensor]:  # pragma: no cover
        raise NotImplementedError

    def _sequence(self, x: Tensor, h: Tensor, p: Any, **options: Any) -> tuple[Tensor, Tensor]:
        raise NotImplementedError  # pragma: no cover

    def _read(self) -> Tensor:
        return self._state_to_working_dim(self.__dict__[self._state])

    def _write(self, h: Tensor) -> None:
        setattr(self, self._state, self._state_from_working_dim(h))

    def forward(self, x: Tensor) -> Tensor:
        """One time step: input and output share the shape ``[..., N (at dim), ...]``."""
        return self._one_step(x, self._step)

    def sequence(self, x: Tensor, *, chunk_size: int | None = None) -> Tensor:
        """A time-first sequence ``x [T, ...]`` in one call (chunked scan).

        Same outputs and final state as calling ``forward`` on each ``x[t]`` in turn, up to
        float round-off; gradients flow into the stored state as in the loop.

        Args:
            x: input ``[T, ...]``, each step shaped like a ``forward`` input.
            chunk_size: chunk length of the scan (default chosen from ``T``).

        Returns:
            Outputs ``[T, ...]`` shaped like ``x``.
        """
        return self._whole_sequence(x, self._sequence, chunk_size=chunk_size)


class S4(_PerFeatureStateLayer):
    r"""Diagonal S4-style SSM: a real diagonal system of size $d$ for each of the $N$ features.

    With $\Delta = e^{\text{log\_dt}}$, $A = -e^{A_{\log}}$, $\bar A = e^{\Delta A}$ and
    $\bar B = (\bar A - 1)/A \odot B$:

    $$h \leftarrow \bar A \odot h + \bar B\, x, \qquad y = \sum_d h \odot C + D \odot x .$$

    Initialisation (in this order, as traceTorch): ``A_log[n] = log(1..d)``; ``B``, ``C`` ``[N, d]``,
    ``log_dt`` and ``D`` ``[N]`` standard normal.

    Args:
        num_neurons: feature size $N$.
        d_state: state size $d$ per feature.
        dim: axis of the input holding the features.

    Attributes:
        state: ``[..., N (at dim), ..., d]``, ``None`` before the first input.

    Example:
        >>> layer = S4(8, d_state=16)
        >>> layer(torch.rand(2, 8)).shape, layer.state.shape
        (torch.Size([2, 8]), torch.Size([2, 8, 16]))
    """

    def __init__(self, num_neurons: int, d_state: int = 64, dim: int = -1) -> None:
        super().__init__(num_neurons, dim, d_state=d_state)
        self.A_log = nn.Parameter(_log_arange(self.d_state, num_neurons))
        self.B = nn.Parameter(torch.randn(num_neurons, self.d_state))
        self.C = nn.Parameter(torch.randn(num_neurons, self.d_state))
        self.log_dt = nn.Parameter(torch.randn(num_neurons))
        self.D = nn.Parameter(torch.randn(num_neurons))
        self._initialize_state("state")

    def parameters_tuple(self) -> S4Parameters:
        """The parameters as :class:`~snn_ssm.functional.S4Parameters`."""
        return S4Parameters(self.A_log, self.B, self.C, self.log_dt, self.D)

    def _step(self, x: Tensor, h: Tensor, p: S4Parameters) -> tuple[Tensor, Tensor]:
        return s4_step(x, h, p)

    def _sequence(self, x: Tensor, h: Tensor, p: S4Parameters, **options: Any) -> tuple[Tensor, Tensor]:
        return s4_sequence(x, h, p, **options)


class S6(_PerFeatureStateLayer):
    r"""Selective SSM (the core of Mamba): $\Delta$, $B_t$ and $C_t$ are computed from the input.

    $$(\delta, B_t, C_t) = \operatorname{x\_proj}(x), \quad \Delta = \operatorname{softplus}(
    \operatorname{dt\_proj}(\delta)), \quad \bar A = e^{\Delta A}, \quad
    \bar B = \frac{\bar A - 1}{A + 10^{-12}} \odot B_t,$$

    $$h \leftarrow \bar A \odot h + \bar B\, x, \qquad y = \sum_d h \odot C_t + D \odot x .$$

    Initialisation: ``x_proj = Linear(N, r + 2d, bias=False)``, ``dt_proj = Linear(r, N)`` with its bias
    set to $-2$, ``A_log[n] = log(1..d)``, ``D = 1``; $r$ = ``dt_rank``, default $\max(1, N // 16)$.

    Args:
        num_neurons: feature size $N$.
        d_state: state size $d$ per feature.
        dt_rank: rank $r$ of the step-size projection; ``-1`` for $\max(1, N // 16)$.
        dim: axis of the input holding the features (note: after ``dt_rank``, unlike :class:`Mamba`).

    Attributes:
        state: ``[..., N (at dim), ..., d]``, ``None`` before the first input.

    Example:
        >>> layer = S6(8, d_state=4)
        >>> layer(torch.rand(2, 8)).shape
        torch.Size([2, 8])
    """

    def __init__(self, num_neurons: int, d_state: int = 16, dt_rank: int = -1, dim: int = -1) -> None:
        super().__init__(num_neurons, dim, d_state=d_state)
        rank = _dt_rank(dt_rank, num_neurons)
        self.x_proj = nn.Linear(num_neurons, rank + 2 * self.d_state, bias=False)
        self.dt_proj = nn.Linear(rank, num_neurons, bias=True)
        nn.init.constant_(self.dt_proj.bias, -2.0)
        self.A_log = nn.Parameter(_log_arange(self.d_state, num_neurons))
        self.D = nn.Parameter(torch.ones(num_neurons))
        self._initialize_state("state")

    @property
    def dt_rank(self) -> int:
        """Rank $r$ of the step-size projection."""
        return self.dt_proj.in_features

    def parameters_tuple(self) -> S6Parameters:
        """The parameters as :class:`~snn_ssm.functional.S6Parameters`."""
        return S6Parameters(self.A_log, self.D, self.x_proj.weight, self.dt_proj.weight, self.dt_proj.bias)

    def _step(self, x: Tensor, h: Tensor, p: S6Parameters) -> tuple[Tensor, Tensor]:
        return s6_step(x, h, p)

    def _sequence(self, x: Tensor, h: Tensor, p: S6Parameters, **options: Any) -> tuple[Tensor, Tensor]:
        return s6_sequence(x, h, p, **options)

    def sequence(self, x: Tensor, *, chunk_size: int | None = None, block_size: int | None = None) -> Tensor:
        """A time-first sequence ``x [T, ...]`` in one call (blocked, chunked scan).

        Same outputs and final state as calling ``forward`` on each ``x[t]`` in turn, up to
        float round-off; gradients flow into the stored state as in the loop.

        Args:
            x: input ``[T, ...]``, each step shaped like a ``forward`` input.
            chunk_size: chunk length of the scan inside a time block.
            block_size: time steps per block (see :func:`snn_ssm.functional.s6_sequence`).

        Returns:
            Outputs ``[T, ...]`` shaped like ``x``.
        """
        return self._whole_sequence(x, self._sequence, chunk_size=chunk_size, block_size=block_size)


class S5(Layer):
    r"""S5-style SSM: one latent state of size $d$ shared by all $N$ features.

    With one shared $\Delta = e^{\text{log\_dt}}$, $A = -e^{A_{\log}}$ (``[d]``), $\bar A = e^{\Delta A}$
    and $\bar B = (\bar A - 1)/A$:

    $$g \leftarrow \bar A \odot g + \bar B \odot (x B), \qquad y = g\,C + D \odot x .$$

    Initialisation (in this order): ``A_log = log(1..d)``; ``B [N, d]``, ``C [d, N]``, ``D [N]``,
    ``log_dt [1]`` standard normal.

    Args:
        num_neurons: feature size $N$.
        d_state: size $d$ of the shared state.
        dim: axis of the input holding the features.

    Attributes:
        global_state: the input's shape with the feature axis replaced by $d$; ``None`` before the
            first input.

    Example:
        >>> layer = S5(8, d_state=16)
        >>> layer(torch.rand(2, 8)).shape, layer.global_state.shape
        (torch.Size([2, 8]), torch.Size([2, 16]))
    """

    def __init__(self, num_neurons: int, d_state: int = 64, dim: int = -1) -> None:
        super().__init__(num_neurons, dim, d_state=d_state)
        self.A_log = nn.Parameter(_log_arange(self.d_state, None))
        self.B = nn.Parameter(torch.randn(num_neurons, self.d_state))
        self.C = nn.Parameter(torch.randn(self.d_state, num_neurons))
        self.D = nn.Parameter(torch.randn(num_neurons))
        self.log_dt = nn.Parameter(torch.randn(1))
        self._initialize_state("global_state")

    def _state_shape(self, name: str, ref: Tensor) -> list[int]:
        shape = snn_core.Layer._state_shape(self, name, ref)
        shape[self.dim] = self.d_state
        return shape

    def parameters_tuple(self) -> S5Parameters:
        """The parameters as :class:`~snn_ssm.functional.S5Parameters`."""
        return S5Parameters(self.A_log, self.B, self.C, self.D, self.log_dt)

    def _read(self) -> Tensor:
        return self._to_working_dim(self.global_state)

    def _write(self, g: Tensor) -> None:
        self.global_state = self._from_working_dim(g)

    def forward(self, x: Tensor) -> Tensor:
        """One time step: input and output share the shape ``[..., N (at dim), ...]``."""
        return self._one_step(x, s5_step)

    def sequence(self, x: Tensor, *, chunk_size: int | None = None) -> Tensor:
        """A time-first sequence ``x [T, ...]`` in one call (see :meth:`S4.sequence`)."""
        return self._whole_sequence(x, s5_sequence, chunk_size=chunk_size)


class Mamba(Layer):
    r"""Compact Mamba block: gated selective SSM with a causal depthwise convolution and a residual.

    $$[u, g] = \operatorname{in\_proj}(x), \quad c = \operatorname{SiLU}\Big(\sum_{k} w_{k}\,
    u_{t-K+1+k} + b\Big), \quad y = \operatorname{out\_proj}\big(\operatorname{S6}(c) \odot
    \operatorname{SiLU}(g)\big) + x,$$

    where $\operatorname{S6}$ is :class:`S6`'s update with ``ssm_proj`` in place of ``x_proj`` (state
    ``ssm_state``) and the convolution reads the buffer of the last $K$ values of $u$ (zeros before the
    start). With ``conv_kernel <= 1`` there is no convolution ($c = \operatorname{SiLU}(u)$), no
    ``conv_*`` parameters and no ``conv_buffer`` state. No normalisation layer.

    Initialisation (in this order): ``in_proj = Linear(N, 2N, bias=False)``,
    ``out_proj = Linear(N, N, bias=False)``, ``conv_weights = 1/K`` ``[N, K]``, ``conv_bias = 0``,
    ``ssm_proj = Linear(N, r + 2d, bias=False)``, ``dt_proj = Linear(r, N)`` with bias $-2$,
    ``A_log[n] = log(1..d)``, ``D = 1``.

    Args:
        num_neurons: feature size $N$ (input and output).
        d_state: state size $d$ per feature.
        dim: axis of the input holding the features (note: before ``dt_rank``, unlike :class:`S6`).
        dt_rank: rank $r$ of the step-size projection; ``-1`` for $\max(1, N // 16)$.
        conv_kernel: convolution length $K$; ``<= 1`` disables the convolution.

    Attributes:
        conv_buffer: ``[..., N (at dim), ..., K]`` (only when $K > 1$).
        ssm_state: ``[..., N (at dim), ..., d]``.

    Example:
        >>> layer = Mamba(8, d_state=4)
        >>> layer(torch.rand(2, 8)).shape, layer.conv_buffer.shape
        (torch.Size([2, 8]), torch.Size([2, 8, 4]))
    """

    def __init__(
        self, num_neurons: int, d_state: int = 16, dim: int = -1, dt_rank: int = -1, conv_kernel: int = 4
    ) -> None:
        super().__init__(num_neurons, dim, d_state=d_state)
        if isinstance(conv_kernel, bool) or not isinstance(conv_kernel, int):
            raise ValueError(
                f"conv_kernel must be an int (<= 1 disables the convolution), got {conv_kernel!r}"
            )
        rank = _dt_rank(dt_rank, num_neurons)
        self.conv_kernel = conv_kernel
        self.in_proj = nn.Linear(num_neurons, 2 * num_neurons, bias=False)
        self.out_proj = nn.Linear(num_neurons, num_neurons, bias=False)
        if conv_kernel > 1:
            self.conv_weights = nn.Parameter(torch.ones(num_neurons, conv_kernel) / conv_kernel)
            self.conv_bias = nn.Parameter(torch.zeros(num_neurons))
            self._initialize_state("conv_buffer")
        self.ssm_proj = nn.Linear(num_neurons, rank + 2 * self.d_state, bias=False)
        self.dt_proj = nn.Linear(rank, num_neurons, bias=True)
        nn.init.constant_(self.dt_proj.bias, -2.0)
        self.A_log = nn.Parameter(_log_arange(self.d_state, num_neurons))
        self.D = nn.Parameter(torch.ones(num_neurons))
        self._initialize_state("ssm_state")

    @property
    def dt_rank(self) -> int:
        """Rank $r$ of the step-size projection."""
        return self.dt_proj.in_features

    def _state_shape(self, name: str, ref: Tensor) -> list[int]:
        shape = snn_core.Layer._state_shape(self, name, ref)
        return [*shape, self.conv_kernel if name == "conv_buffer" else self.d_state]

    def parameters_tuple(self) -> MambaParameters:
        """The parameters as :class:`~snn_ssm.functional.MambaParameters`."""
        has_conv = self.conv_kernel > 1
        return MambaParameters(
            self.in_proj.weight,
            self.out_proj.weight,
            self.conv_weights if has_conv else None,
            self.conv_bias if has_conv else None,
            S6Parameters(self.A_log, self.D, self.ssm_proj.weight, self.dt_proj.weight, self.dt_proj.bias),
        )

    def _read(self) -> MambaState:
        buffer = self._state_to_working_dim(self.conv_buffer) if self.conv_kernel > 1 else None
        return MambaState(buffer, self._state_to_working_dim(self.ssm_state))

    def _write(self, state: MambaState) -> None:
        if self.conv_kernel > 1:
            if state.conv_buffer is None:
                raise TypeError(
                    f"state.conv_buffer is None, expected a tensor (conv_kernel={self.conv_kernel} > 1)"
                )
            self.conv_buffer = self._state_from_working_dim(state.conv_buffer)
        self.ssm_state = self._state_from_working_dim(state.ssm_state)

    def forward(self, x: Tensor) -> Tensor:
        """One time step: input and output share the shape ``[..., N (at dim), ...]``."""
        return self._one_step(x, mamba_step)

    def sequence(self, x: Tensor, *, chunk_size: int | None = None, block_size: int | None = None) -> Tensor:
        """A time-first sequence ``x [T, ...]`` in one call (see :meth:`S6.sequence`)."""
        return self._whole_sequence(x, mamba_sequence, chunk_size=chunk_size, block_size=block_size)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, dt_rank={self.dt_rank}, conv_kernel={self.conv_kernel}"
