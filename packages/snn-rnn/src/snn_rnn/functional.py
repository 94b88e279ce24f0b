r"""Pure functions of the SimpleRNN, LSTM and GRU layers: one step and whole sequences.

Everything works in the *working layout* (features last): ``x [..., in_features]``, hidden states
``[..., out_features]``. Every linear map acts on the concatenation $[H, x]$ — **hidden state first,
then input** — so a weight matrix has ``out_features + in_features`` columns, the hidden-state columns
first. ``*_step(x, state, p) -> (out, state)`` advances one time step; ``*_sequence(xs, state, p)`` takes
a time-first ``xs [T, ..., in_features]``, applies the input part of every weight to the whole
sequence in one matrix product and loops only the recurrent part; it equals looping the step
function up to floating-point round-off.

There is no ``dt`` argument: these are discrete-time recurrent networks.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "GRUParameters",
    "LSTMParameters",
    "LSTMState",
    "SimpleRNNParameters",
    "gru_sequence",
    "gru_step",
    "lstm_sequence",
    "lstm_step",
    "simple_rnn_sequence",
    "simple_rnn_step",
]


class SimpleRNNParameters(NamedTuple):
    """Parameters of :func:`simple_rnn_step` (``lin.weight`` / ``lin.bias`` of :class:`snn_rnn.SimpleRNN`).

    Attributes:
        weight: ``[out, out + in]`` (hidden columns first).
        bias: ``[out]``.
    """

    weight: Tensor
    bias: Tensor


class LSTMParameters(NamedTuple):
    """Parameters of :func:`lstm_step` (``gate_layers.weight`` / ``.bias`` of :class:`snn_rnn.LSTM`).

    Attributes:
        weight: ``[4 out, out + in]``; row blocks in gate order input, forget, output, candidate.
        bias: ``[4 out]``.
    """

    weight: Tensor
    bias: Tensor


class LSTMState(NamedTuple):
    """State of :func:`lstm_step`.

    Attributes:
        H: hidden state (the output) ``[..., out]``.
        C: cell state ``[..., out]``.
    """

    H: Tensor
    C: Tensor


class GRUParameters(NamedTuple):
    """Parameters of :func:`gru_step` (``gate_layers`` and ``candidate_layer`` of :class:`snn_rnn.GRU`).

    Attributes:
        gate_weight: ``[2 out, out + in]``; row blocks reset gate, update gate.
        gate_bias: ``[2 out]``.
        candidate_weight: ``[out, out + in]``.
        candidate_bias: ``[out]``.
    """

    gate_weight: Tensor
    gate_bias: Tensor
    candidate_weight: Tensor
    candidate_bias: Tensor


def _split_columns(weight: Tensor, hidden: int) -> tuple[Tensor, Tensor]:
    """Hidden-state columns and input columns of a ``[rows, hidden + in]`` weight."""
    return weight[:, :hidden], weight[:, hidden:]


# -------------------------------------------------------------------------------------------- SimpleRNN


def simple_rnn_step(x: Tensor, state: Tensor, p: SimpleRNNParameters) -> tuple[Tensor, Tensor]:
    r"""One Elman RNN step: $H \leftarrow \tanh(W [H, x] + b)$.

    Args:
        x: input ``[..., in]``.
        state: $H$ ``[..., out]``.
        p: parameters.

    Returns:
        ``(H, H)``: the output is the new hidden state.

    Example:
        >>> p = SimpleRNNParameters(torch.zeros(2, 5), torch.ones(2))
        >>> simple_rnn_step(torch.ones(3), torch.zeros(2), p)[0]
        tensor([0.7616, 0.7616])
    """
    h = torch.tanh(F.linear(torch.cat([state, x], dim=-1), p.weight, p.bias))
    return h, h


def simple_rnn_sequence(xs: Tensor, state: Tensor, p: SimpleRNNParameters) -> tuple[Tensor, Tensor]:
    """:func:`simple_rnn_step` over a time-first ``xs [T, ..., in]``.

    Args:
        xs: inputs ``[T, ..., in]``.
        state: $H$ before the first step ``[..., out]``.
        p: parameters.

    Returns:
        ``(Hs, H)``: every output ``[T, ..., out]`` and the final hidden state.
    """
    w_h, w_x = _split_columns(p.weight, p.weight.shape[0])
    drive = F.linear(xs, w_x, p.bias)
    h = state
    outputs = []
    for drive_t in drive.unbind(0):
        h = torch.tanh(drive_t + F.linear(h, w_h))
        outputs.append(h)
    return _stack(outputs, drive), h


def _stack(outputs: list[Tensor], like: Tensor) -> Tensor:
    return torch.stack(outputs) if outputs else like.new_zeros(like.shape)


# ------------------------------------------------------------------------------------------------- LSTM


def _lstm_update(gates: Tensor, cell: Tensor) -> LSTMState:
    i, f, o, g = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
    return LSTMState(torch.sigmoid(o) * torch.tanh(c), c)


def lstm_step(x: Tensor, state: LSTMState, p: LSTMParameters) -> tuple[Tensor, LSTMState]:
    r"""One LSTM step with gate order input, forget, output, candidate (not PyTorch's i, f, g, o).

    $$[i, f, o, \tilde c] = W [H, x] + b, \quad
    C \leftarrow \sigma(f) \odot C + \sigma(i) \odot \tanh(\tilde c), \quad
    H \leftarrow \sigma(o) \odot \tanh(C).$$

    There is no forget-gate bias offset.

    Args:
        x: input ``[..., in]``.
        state: ``LSTMState(H, C)``, each ``[..., out]``.
        p: parameters.

    Returns:
        ``(H, LSTMState(H, C))``.
    """
    gates = F.linear(torch.cat([state.H, x], dim=-1), p.weight, p.bias)
    new = _lstm_update(gates, state.C)
    return new.H, new


def lstm_sequence(xs: Tensor, state: LSTMState, p: LSTMParameters) -> tuple[Tensor, LSTMState]:
    """:func:`lstm_step` over a time-first ``xs [T, ..., in]``.

    Args:
        xs: inputs ``[T, ..., in]``.
        state: state before the first step.
        p: parameters.

    Returns:
        ``(Hs, state)``: every output ``[T, ..., out]`` and the final state.
    """
    w_h, w_x = _split_columns(p.weight, p.weight.shape[0] // 4)
    drive = F.linear(xs, w_x, p.bias)
    outputs = []
    for drive_t in drive.unbind(0):
        state = _lstm_update(drive_t + F.linear(state.H, w_h), state.C)
        outputs.append(state.H)
    return _stack(outputs, drive[..., : w_h.shape[1]]), state


# -------------------------------------------------------------------------------------------------- GRU


def gru_step(x: Tensor, state: Tensor, p: GRUParameters) -> tuple[Tensor, Tensor]:
    r"""One GRU step; the update gate $z$ weights the *new* candidate (the opposite of ``torch.nn.GRU``).

    $$[r, z] = \sigma(W_g [H, x] + b_g), \quad c = \tanh(W_c [r \odot H, x] + b_c), \quad
    H \leftarrow (1 - z) \odot H + z \odot c .$$

    Args:
        x: input ``[..., in]``.
        state: $H$ ``[..., out]``.
        p: parameters.

    Returns:
        ``(H, H)``.
    """
    gates = torch.sigmoid(F.linear(torch.cat([state, x], dim=-1), p.gate_weight, p.gate_bias))
    reset, update = gates.chunk(2, dim=-1)
    candidate = torch.tanh(
        F.linear(torch.cat([state * reset, x], dim=-1), p.candidate_weight, p.candidate_bias)
    )
    h = state * (1 - update) + update * candidate
    return h, h


def gru_sequence(xs: Tensor, state: Tensor, p: GRUParameters) -> tuple[Tensor, Tensor]:
    """:func:`gru_step` over a time-first ``xs [T, ..., in]``.

    Args:
        xs: inputs ``[T, ..., in]``.
        state: $H$ before the first step ``[..., out]``.
        p: parameters.

    Returns:
        ``(Hs, H)``: every output ``[T, ..., out]`` and the final hidden state.
    """
    hidden = p.candidate_weight.shape[0]
    gate_h, gate_x = _split_columns(p.gate_weight, hidden)
    cand_h, cand_x = _split_columns(p.candidate_weight, hidden)
    gate_drive = F.linear(xs, gate_x, p.gate_bias)
    cand_drive = F.linear(xs, cand_x, p.candidate_bias)
    h = state
    outputs = []
    for gate_t, cand_t in zip(gate_drive.unbind(0), cand_drive.unbind(0)):
        reset, update = torch.sigmoid(gate_t + F.linear(h, gate_h)).chunk(2, dim=-1)
        candidate = torch.tanh(cand_t + F.linear(h * reset, cand_h))
        h = h * (1 - update) + update * candidate
        outputs.append(h)
    return _stack(outputs, cand_drive), h
