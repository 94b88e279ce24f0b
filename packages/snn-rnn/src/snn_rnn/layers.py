r"""``SimpleRNN``, ``LSTM`` and ``GRU``: one time step per call, states owned by :class:`snn_core.Layer`.

Drop-in for traceTorch 0.19.2's ``tt.rnn`` layers: the same constructor ``(in_features, out_features,
dim=-1)``, submodule and parameter names (so a traceTorch ``state_dict`` loads unchanged), the same
random initialisation stream, gate conventions and outputs. Hidden states are created lazily from the
first input (its shape with the feature axis resized to ``out_features``, its dtype and device) and are
managed by :class:`snn_core.Model` (``zero_states``, ``detach_states``, ``save_states``,
``load_states``) together with SNN and SSM layers.

Beyond traceTorch: :meth:`Layer.sequence` runs a whole time-first sequence in one call (the input
projections as one matrix product), an input with the wrong feature size or ``dim`` raises a
``ValueError`` naming both sizes, and a batch-size change without ``zero_states()`` raises instead of
broadcasting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor, nn

import snn_core

from .functional import (
    GRUParameters,
    LSTMParameters,
    LSTMState,
    SimpleRNNParameters,
    gru_sequence,
    gru_step,
    lstm_sequence,
    lstm_step,
    simple_rnn_sequence,
    simple_rnn_step,
)

__all__ = ["GRU", "LSTM", "Layer", "SimpleRNN"]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


class Layer(snn_core.Layer):
    r"""Base class of the recurrent layers (traceTorch's ``tt.rnn.Layer``).

    Adds to :class:`snn_core.Layer` the input check and the plumbing of :meth:`sequence`.

    Args:
        num_neurons: size of the output feature axis (``out_features``).
        dim: axis of the input holding the features.
    """

    in_features: int

    def _check_input(self, x: Tensor, *, time_first: bool = False) -> int:
        """Validate the feature axis of ``x``; return the axis index (shifted by one for sequences)."""
        if not isinstance(x, Tensor):
            raise TypeError(f"{type(self).__name__} expects a tensor input, got {type(x).__name__}")
        step_dims = x.dim() - (1 if time_first else 0)
        if time_first and x.dim() < 2:
            raise ValueError(
                f"{type(self).__name__}.sequence expects a time-first input [T, ...] with at least 2 dims, "
                f"got shape {list(x.shape)}"
            )
        if not -step_dims <= self.dim < step_dims:
            what = "each time step of the input" if time_first else "the input"
            raise ValueError(
                f"{type(self).__name__}: dim={self.dim} is out of range for {what} "
                f"({step_dims} dims, shape {list(x.shape)})"
            )
        axis = self.dim if self.dim < 0 else self.dim + (1 if time_first else 0)
        size = x.shape[axis]
        if size != self.in_features:
            raise ValueError(
                f"{type(self).__name__} expected in_features={self.in_features} entries along dim={self.dim}, "
                f"got {size} (input shape {list(x.shape)})"
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

    def _init_features(self, in_features: int, out_features: int, dim: int) -> None:
        """Check the sizes, set up :class:`snn_core.Layer` and store ``in_features``/``out_features``."""
        super().__init__(_positive_int("out_features", out_features), dim)
        self.in_features = _positive_int("in_features", in_features)
        self.out_features = out_features

    def _hidden_step(self, x: Tensor, step_fn: Callable[[Tensor, Tensor, Any], tuple[Tensor, Any]]) -> Tensor:
        """One step of a layer whose only state is ``H``; stores and returns the new ``H``."""
        self._check_input(x)
        self._ensure_states(x)
        h, _ = step_fn(self._to_working_dim(x), self._to_working_dim(self.H), self.parameters_tuple())
        self._write_hidden(h)
        return self.H

    def _hidden_sequence(
        self, x: Tensor, sequence_fn: Callable[[Tensor, Tensor, Any], tuple[Tensor, Tensor]]
    ) -> Tensor:
        """:meth:`sequence` of a layer whose only state is ``H``."""
        p = self.parameters_tuple()
        return self._run_sequence(
            x, lambda xs, h: sequence_fn(xs, h, p), lambda: self._to_working_dim(self.H), self._write_hidden
        )

    def _write_hidden(self, h: Tensor) -> None:
        self.H = self._from_working_dim(h)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.num_neurons}, dim={self.dim}"


class SimpleRNN(Layer):
    r"""Elman recurrent layer: $H \leftarrow \tanh(W [H, x] + b)$; returns $H$.

    Args:
        in_features: size of the input feature axis.
        out_features: size of the hidden state and output.
        dim: axis of the input holding the features (``-3`` for ``[B, C, H, W]`` channels).

    Attributes:
        lin: ``nn.Linear(out_features + in_features, out_features)``; weight columns act on $[H, x]$,
            hidden state first.
        H: hidden state (``None`` before the first input).

    Raises:
        ValueError: for non-positive sizes or a non-int ``dim``; in ``forward`` for an input whose
            feature size is not ``in_features``.

    Example:
        >>> layer = SimpleRNN(4, 8)
        >>> layer(torch.rand(16, 4)).shape
        torch.Size([16, 8])
    """

    def __init__(self, in_features: int, out_features: int, dim: int = -1) -> None:
        self._init_features(in_features, out_features, dim)
        self._initialize_state("H")
        self.lin = nn.Linear(in_features + out_features, out_features)

    def parameters_tuple(self) -> SimpleRNNParameters:
        """The weights as :class:`~snn_rnn.functional.SimpleRNNParameters` for the functional API."""
        return SimpleRNNParameters(self.lin.weight, self.lin.bias)

    def forward(self, x: Tensor) -> Tensor:
        """One time step; returns the new hidden state (the stored tensor ``self.H``)."""
        return self._hidden_step(x, simple_rnn_step)

    def sequence(self, x: Tensor) -> Tensor:
        """Run a time-first sequence ``x [T, ...]`` (same numbers and final ``H`` as looping ``forward``)."""
        return self._hidden_sequence(x, simple_rnn_sequence)


class LSTM(Layer):
    r"""Long short-term memory layer with gate order input, forget, output, candidate.

    $$[i, f, o, \tilde c] = W [H, x] + b, \quad C \leftarrow \sigma(f) \odot C + \sigma(i) \odot
    \tanh(\tilde c), \quad H \leftarrow \sigma(o) \odot \tanh(C);$$

    returns $H$. Note ``torch.nn.LSTM`` orders its chunks i, f, g, o; this layer (like traceTorch)
    uses i, f, o, g, and there is no forget-gate bias offset.

    Args:
        in_features: size of the input feature axis.
        out_features: size of the hidden and cell states and of the output.
        dim: axis of the input holding the features.

    Attributes:
        gate_layers: ``nn.Linear(out_features + in_features, 4 * out_features)``.
        H: hidden state; C: cell state (``None`` before the first input).

    Raises:
        ValueError: for non-positive sizes; in ``forward`` for a wrong input feature size.

    Example:
        >>> layer = LSTM(4, 8)
        >>> layer(torch.rand(16, 4)).shape
        torch.Size([16, 8])
    """

    def __init__(self, in_features: int, out_features: int, dim: int = -1) -> None:
        self._init_features(in_features, out_features, dim)
        self._initialize_state("H")
        self._initialize_state("C")
        self.gate_layers = nn.Linear(in_features + out_features, 4 * out_features)

    def parameters_tuple(self) -> LSTMParameters:
        """The weights as :class:`~snn_rnn.functional.LSTMParameters` for the functional API."""
        return LSTMParameters(self.gate_layers.weight, self.gate_layers.bias)

    def _working_state(self) -> LSTMState:
        return LSTMState(self._to_working_dim(self.H), self._to_working_dim(self.C))

    def _store(self, state: LSTMState) -> None:
        self.C = self._from_working_dim(state.C)
        self.H = self._from_working_dim(state.H)

    def forward(self, x: Tensor) -> Tensor:
        """One time step; returns the new hidden state (the stored tensor ``self.H``)."""
        self._check_input(x)
        self._ensure_states(x)
        _, state = lstm_step(self._to_working_dim(x), self._working_state(), self.parameters_tuple())
        self._store(state)
        return self.H

    def sequence(self, x: Tensor) -> Tensor:
        """Run a time-first sequence ``x [T, ...]`` (same numbers and final states as looping ``forward``)."""
        p = self.parameters_tuple()
        return self._run_sequence(x, lambda xs, s: lstm_sequence(xs, s, p), self._working_state, self._store)


class GRU(Layer):
    r"""Gated recurrent unit whose update gate weights the *new* candidate.

    $$[r, z] = \sigma(W_g [H, x] + b_g), \quad c = \tanh(W_c [r \odot H, x] + b_c), \quad
    H \leftarrow (1 - z) \odot H + z \odot c;$$

    returns $H$. (``torch.nn.GRU`` uses the opposite convention, $H \leftarrow z H + (1 - z) c$.)

    Args:
        in_features: size of the input feature axis.
        out_features: size of the hidden state and output.
        dim: axis of the input holding the features.

    Attributes:
        gate_layers: ``nn.Linear(out_features + in_features, 2 * out_features)``; first half reset,
            second half update gate.
        candidate_layer: ``nn.Linear(out_features + in_features, out_features)``.
        H: hidden state (``None`` before the first input).

    Raises:
        ValueError: for non-positive sizes; in ``forward`` for a wrong input feature size.

    Example:
        >>> layer = GRU(4, 8)
        >>> layer(torch.rand(16, 4)).shape
        torch.Size([16, 8])
    """

    def __init__(self, in_features: int, out_features: int, dim: int = -1) -> None:
        self._init_features(in_features, out_features, dim)
        self._initialize_state("H")
        self.gate_layers = nn.Linear(in_features + out_features, 2 * out_features)
        self.candidate_layer = nn.Linear(in_features + out_features, out_features)

    def parameters_tuple(self) -> GRUParameters:
        """The weights as :class:`~snn_rnn.functional.GRUParameters` for the functional API."""
        return GRUParameters(
            self.gate_layers.weight,
            self.gate_layers.bias,
            self.candidate_layer.weight,
            self.candidate_layer.bias,
        )

    def forward(self, x: Tensor) -> Tensor:
        """One time step; returns the new hidden state (the stored tensor ``self.H``)."""
        return self._hidden_step(x, gru_step)

    def sequence(self, x: Tensor) -> Tensor:
        """Run a time-first sequence ``x [T, ...]`` (same numbers and final ``H`` as looping ``forward``)."""
        return self._hidden_sequence(x, gru_sequence)
