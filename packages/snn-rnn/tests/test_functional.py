"""Numbers of the pure SimpleRNN/LSTM/GRU functions: spec reference values, sequence == step loop."""

from __future__ import annotations

import math

import pytest
import torch

from snn_rnn.functional import (
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


def cosine_weights(shape: tuple[int, ...], k: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The spec's deterministic weights: element j (row-major) of the k-th parameter is 0.25 cos(0.37 j + 0.5 k)."""
    n = math.prod(shape)
    return (0.25 * torch.cos(0.37 * torch.arange(n, dtype=torch.float64) + 0.5 * k)).reshape(shape).to(dtype)


def sine_inputs(steps: int, width: int) -> torch.Tensor:
    t = torch.arange(steps, dtype=torch.float64)[:, None]
    j = torch.arange(width, dtype=torch.float64)[None, :]
    return torch.sin(0.5 * t + 0.3 * j).unsqueeze(1).float()


def params(name: str, n_in: int = 3, n_out: int = 2, dtype=torch.float32):
    width = n_in + n_out
    if name == "SimpleRNN":
        return SimpleRNNParameters(
            cosine_weights((n_out, width), 0, dtype), cosine_weights((n_out,), 1, dtype)
        )
    if name == "LSTM":
        return LSTMParameters(
            cosine_weights((4 * n_out, width), 0, dtype), cosine_weights((4 * n_out,), 1, dtype)
        )
    return GRUParameters(
        cosine_weights((2 * n_out, width), 0, dtype),
        cosine_weights((2 * n_out,), 1, dtype),
        cosine_weights((n_out, width), 2, dtype),
        cosine_weights((n_out,), 3, dtype),
    )


FUNCTIONS = {
    "SimpleRNN": (simple_rnn_step, simple_rnn_sequence),
    "LSTM": (lstm_step, lstm_sequence),
    "GRU": (gru_step, gru_sequence),
}


def zero_state(name, batch, n_out=2, dtype=torch.float32):
    h = torch.zeros(*batch, n_out, dtype=dtype)
    return LSTMState(h, h.clone()) if name == "LSTM" else h


def run_steps(step, xs, state, p):
    outputs = []
    for x in xs.unbind(0):
        y, state = step(x, state, p)
        outputs.append(y)
    return torch.stack(outputs), state


EXPECTED = {
    "SimpleRNN": [[0.259010, -0.050079], [0.430844, -0.333179], [0.488868, -0.445995], [0.500250, -0.437310]],
    "LSTM": [[-0.004353, -0.058601], [0.053986, -0.073513], [0.112385, -0.072318], [0.145163, -0.068602]],
    "GRU": [[-0.070401, -0.094609], [-0.180517, -0.248900], [-0.271580, -0.368001], [-0.307270, -0.411768]],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_reference_numbers_step_and_sequence(name):
    step, sequence = FUNCTIONS[name]
    xs = sine_inputs(4, 3)
    expected = torch.tensor(EXPECTED[name]).unsqueeze(1)
    looped, last = run_steps(step, xs, zero_state(name, (1,)), params(name))
    whole, last_seq = sequence(xs, zero_state(name, (1,)), params(name))
    torch.testing.assert_close(looped, expected, atol=1.5e-6, rtol=0)
    torch.testing.assert_close(whole, expected, atol=1.5e-6, rtol=0)
    if name == "LSTM":
        final_c = torch.tensor([[0.403114, -0.195736]])
        torch.testing.assert_close(last.C, final_c, atol=1.5e-6, rtol=0)
        torch.testing.assert_close(last_seq.C, final_c, atol=1.5e-6, rtol=0)


def test_simple_rnn_hand_computed_concatenation_order():
    """weight columns: hidden first, then input."""
    weight = torch.tensor([[2.0, 0.0, 1.0]])  # [out=1, out + in = 1 + 2]
    h, _ = simple_rnn_step(
        torch.tensor([0.5, -0.7]), torch.tensor([0.25]), SimpleRNNParameters(weight, torch.tensor([0.1]))
    )
    assert h.item() == pytest.approx(math.tanh(2 * 0.25 + 0 * 0.5 + 1 * -0.7 + 0.1), rel=1e-6)


def test_lstm_gate_order_is_input_forget_output_candidate():
    # out = 1, no weights: gates are the bias values [i, f, o, c~]
    p = LSTMParameters(torch.zeros(4, 2), torch.tensor([0.3, -0.4, 1.2, 0.7]))
    h, state = lstm_step(torch.zeros(1), LSTMState(torch.zeros(1), torch.tensor([2.0])), p)
    sig = torch.sigmoid
    c = sig(torch.tensor(-0.4)) * 2.0 + sig(torch.tensor(0.3)) * math.tanh(0.7)
    assert state.C.item() == pytest.approx(c.item(), rel=1e-6)
    assert h.item() == pytest.approx((sig(torch.tensor(1.2)) * torch.tanh(c)).item(), rel=1e-6)


def test_gru_update_gate_weights_the_new_candidate():
    # out = 1: gate bias [reset, update]; a large update gate takes the candidate
    p = GRUParameters(torch.zeros(2, 2), torch.tensor([0.0, 30.0]), torch.zeros(1, 2), torch.tensor([0.5]))
    h, _ = gru_step(torch.zeros(1), torch.tensor([3.0]), p)
    assert h.item() == pytest.approx(math.tanh(0.5), rel=1e-6)
    p = p._replace(gate_bias=torch.tensor([0.0, -30.0]))
    h, _ = gru_step(torch.zeros(1), torch.tensor([3.0]), p)
    assert h.item() == pytest.approx(3.0, rel=1e-6)


def test_gru_reset_gate_applies_before_the_candidate_map():
    # candidate weight on the hidden column only: c = tanh(w * r * H)
    p = GRUParameters(
        torch.zeros(2, 2), torch.tensor([-1.0, 30.0]), torch.tensor([[1.0, 0.0]]), torch.zeros(1)
    )
    h, _ = gru_step(torch.zeros(1), torch.tensor([2.0]), p)
    assert h.item() == pytest.approx(math.tanh(torch.sigmoid(torch.tensor(-1.0)).item() * 2.0), rel=1e-6)


@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("steps", [1, 30])
def test_sequence_equals_loop(name, steps):
    g = torch.Generator().manual_seed(steps)
    step, sequence = FUNCTIONS[name]
    p = params(name, 4, 3, torch.float64)
    xs = 2 * torch.randn(steps, 2, 5, 4, generator=g, dtype=torch.float64)
    state = zero_state(name, (2, 5), 3, torch.float64)
    state = LSTMState(state.H + 0.3, state.C - 0.2) if name == "LSTM" else state + 0.3
    looped, last = run_steps(step, xs, state, p)
    whole, last_seq = sequence(xs, state, p)
    torch.testing.assert_close(whole, looped, atol=1e-12, rtol=1e-12)
    for a, b in zip(last_seq if name == "LSTM" else [last_seq], last if name == "LSTM" else [last]):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_gradcheck_sequence(name):
    _, sequence = FUNCTIONS[name]
    p = type(params(name))(*(t.double().requires_grad_(True) for t in params(name, 2, 3)))
    xs = torch.randn(6, 2, 2, dtype=torch.float64, requires_grad=True)

    def run(x, *q):
        out, state = sequence(x, zero_state(name, (2,), 3, torch.float64), type(p)(*q))
        return out

    assert torch.autograd.gradcheck(run, (xs, *p))
