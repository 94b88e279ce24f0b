"""Numbers of the pure S4/S5/S6/Mamba functions: spec reference values, sequence == step loop."""

from __future__ import annotations

import math

import pytest
import torch

from snn_ssm.functional import (
    MambaParameters,
    MambaState,
    S4Parameters,
    S5Parameters,
    S6Parameters,
    causal_conv_sequence,
    causal_conv_step,
    mamba_sequence,
    mamba_step,
    s4_sequence,
    s4_step,
    s5_sequence,
    s5_step,
    s6_sequence,
    s6_step,
)


def cosine_weights(shape: tuple[int, ...], k: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The spec's deterministic weights: element j (row-major) of the k-th parameter is 0.25 cos(0.37 j + 0.5 k)."""
    n = math.prod(shape)
    return (0.25 * torch.cos(0.37 * torch.arange(n, dtype=torch.float64) + 0.5 * k)).reshape(shape).to(dtype)


def sine_inputs(steps: int, width: int) -> torch.Tensor:
    """x_t[j] = sin(0.5 t + 0.3 j), shape [T, 1, width]."""
    t = torch.arange(steps, dtype=torch.float64)[:, None]
    j = torch.arange(width, dtype=torch.float64)[None, :]
    return torch.sin(0.5 * t + 0.3 * j).unsqueeze(1).float()


def a_log(width: int, d_state: int) -> torch.Tensor:
    return torch.log(torch.arange(1, d_state + 1).float()).repeat(width, 1)


def s4_params(dtype=torch.float32) -> S4Parameters:
    return S4Parameters(
        a_log(3, 4).to(dtype),
        cosine_weights((3, 4), 0, dtype),
        cosine_weights((3, 4), 1, dtype),
        cosine_weights((3,), 2, dtype),
        cosine_weights((3,), 3, dtype),
    )


def s5_params(dtype=torch.float32) -> S5Parameters:
    return S5Parameters(
        torch.log(torch.arange(1, 5).to(dtype)),
        cosine_weights((3, 4), 0, dtype),
        cosine_weights((4, 3), 1, dtype),
        cosine_weights((3,), 2, dtype),
        cosine_weights((1,), 3, dtype),
    )


def s6_params(proj_k: int = 0, dt_k: int = 1, dtype=torch.float32) -> S6Parameters:
    return S6Parameters(
        a_log(3, 4).to(dtype),
        torch.ones(3, dtype=dtype),
        cosine_weights((1 + 8, 3), proj_k, dtype),
        cosine_weights((3, 1), dt_k, dtype),
        torch.full((3,), -2.0, dtype=dtype),
    )


def mamba_params(kernel: int, dtype=torch.float32) -> MambaParameters:
    if kernel > 1:
        conv_w, conv_b = cosine_weights((3, kernel), 2, dtype), cosine_weights((3,), 3, dtype)
        core = s6_params(4, 5, dtype)
    else:
        conv_w = conv_b = None
        core = s6_params(2, 3, dtype)
    return MambaParameters(
        cosine_weights((6, 3), 0, dtype), cosine_weights((3, 3), 1, dtype), conv_w, conv_b, core
    )


def mamba_state(batch: tuple[int, ...], kernel: int, dtype=torch.float32) -> MambaState:
    buffer = torch.zeros(*batch, 3, kernel, dtype=dtype) if kernel > 1 else None
    return MambaState(buffer, torch.zeros(*batch, 3, 4, dtype=dtype))


def run_steps(step, xs, state, p):
    outputs = []
    for x in xs.unbind(0):
        y, state = step(x, state, p)
        outputs.append(y)
    return torch.stack(outputs), state


EXPECTED = {
    "S4": [[0, -0.013520, -0.050475], [0.036687, -0.032583, -0.069921],
           [0.070991, -0.043532, -0.070722], [0.089816, -0.043853, -0.053600]],
    "S5": [[0.001070, 0.025485, -0.004797], [0.074055, 0.054241, -0.012372],
           [0.133710, 0.072625, -0.016297], [0.162459, 0.074500, -0.015691]],
    "S6": [[0, 0.294535, 0.562780], [0.472547, 0.704953, 0.874614],
           [0.813954, 0.927568, 0.958752], [0.953013, 0.923285, 0.811322]],
    "Mamba3": [[-0.000801, 0.296796, 0.566578], [0.478656, 0.718373, 0.892881],
               [0.842002, 0.960193, 0.996050], [0.998640, 0.966862, 0.855852]],
    "Mamba1": [[-0.002356, 0.297492, 0.568752], [0.465502, 0.726806, 0.913535],
               [0.816683, 0.979302, 1.038363], [0.971827, 0.989418, 0.902725]],
}  # fmt: skip


def cases(dtype=torch.float32):
    """name -> (step, sequence, parameters, zero state for batch shape (1,))."""
    return {
        "S4": (s4_step, s4_sequence, s4_params(dtype), torch.zeros(1, 3, 4, dtype=dtype)),
        "S5": (s5_step, s5_sequence, s5_params(dtype), torch.zeros(1, 4, dtype=dtype)),
        "S6": (s6_step, s6_sequence, s6_params(dtype=dtype), torch.zeros(1, 3, 4, dtype=dtype)),
        "Mamba3": (mamba_step, mamba_sequence, mamba_params(3, dtype), mamba_state((1,), 3, dtype)),
        "Mamba1": (mamba_step, mamba_sequence, mamba_params(1, dtype), mamba_state((1,), 1, dtype)),
    }


@pytest.mark.parametrize("name", list(EXPECTED))
def test_reference_numbers_step_and_sequence(name):
    step, sequence, p, state = cases()[name]
    xs = sine_inputs(4, 3)
    expected = torch.tensor(EXPECTED[name]).unsqueeze(1)
    looped, _ = run_steps(step, xs, state, p)
    whole, _ = sequence(xs, state, p)
    torch.testing.assert_close(looped, expected, atol=1.5e-6, rtol=0)
    torch.testing.assert_close(whole, expected, atol=1.5e-6, rtol=0)


def _random_state(state, generator):
    if isinstance(state, MambaState):
        buffer = (
            None if state.conv_buffer is None else torch.randn(state.conv_buffer.shape, generator=generator)
        )
        return MambaState(buffer, torch.randn(state.ssm_state.shape, generator=generator))
    return torch.randn(state.shape, generator=generator)


def _expand_state(state, batch):
    if isinstance(state, MambaState):
        return MambaState(*(None if s is None else s.expand(*batch, *s.shape[1:]).clone() for s in state))
    return state.expand(*batch, *state.shape[1:]).clone()


@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("steps", [1, 7, 64, 101])
def test_sequence_equals_loop_and_final_state(name, steps):
    generator = torch.Generator().manual_seed(steps)
    step, sequence, p, state = cases(torch.float64)[name]
    state = _random_state(
        _expand_state(state.double() if torch.is_tensor(state) else state, (2, 5)), generator
    )
    state = (
        MambaState(*(None if s is None else s.double() for s in state))
        if isinstance(state, MambaState)
        else state.double()
    )
    xs = 2 * torch.randn(steps, 2, 5, 3, generator=generator, dtype=torch.float64)
    looped, last_loop = run_steps(step, xs, state, p)
    whole, last_seq = sequence(xs, state, p)
    torch.testing.assert_close(whole, looped, atol=1e-11, rtol=1e-11)
    if isinstance(last_loop, MambaState):
        for a, b in zip(last_seq, last_loop):
            assert (a is None) == (b is None)
            if a is not None:
                torch.testing.assert_close(a, b, atol=1e-11, rtol=1e-11)
    else:
        torch.testing.assert_close(last_seq, last_loop, atol=1e-11, rtol=1e-11)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_sequence_gradients_equal_loop_gradients(name):
    generator = torch.Generator().manual_seed(3)
    step, sequence, p, state = cases(torch.float64)[name]
    leaves = [t.clone().requires_grad_(True) if t is not None and torch.is_tensor(t) else t for t in _flat(p)]
    p = _unflat(p, leaves)
    xs = torch.randn(23, 1, 3, generator=generator, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(23, 1, 3, generator=generator, dtype=torch.float64)
    tensors = [xs] + [t for t in leaves if t is not None]
    loop_grads = torch.autograd.grad((run_steps(step, xs, state, p)[0] * weights).sum(), tensors)
    seq_grads = torch.autograd.grad((sequence(xs, state, p)[0] * weights).sum(), tensors)
    for a, b in zip(seq_grads, loop_grads):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)
    assert any(g.abs().sum() > 0 for g in loop_grads[1:])


def _flat(p):
    out = []
    for value in p:
        if isinstance(value, tuple):
            out.extend(value)
        else:
            out.append(value)
    return out


def _unflat(p, leaves):
    it = iter(leaves)
    fields = []
    for value in p:
        fields.append(type(value)(*[next(it) for _ in value]) if isinstance(value, tuple) else next(it))
    return type(p)(*fields)


def test_s4_gradcheck():
    p = S4Parameters(*(t.double().requires_grad_(True) for t in s4_params()))
    xs = torch.randn(9, 2, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, h, *q: s4_sequence(x, h, S4Parameters(*q), chunk_size=4), (xs, h0, *p)
    )


def test_s6_gradcheck():
    p = S6Parameters(*(t.double().requires_grad_(True) for t in s6_params()))
    xs = torch.randn(7, 2, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, h, *q: s6_sequence(x, h, S6Parameters(*q), chunk_size=3), (xs, h0, *p)
    )


def test_s4_step_hand_computed():
    """d = 1, N = 1: a_bar = exp(-dt), b_bar = (1 - a_bar) B."""
    p = S4Parameters(
        torch.zeros(1, 1),
        torch.full((1, 1), 2.0),
        torch.full((1, 1), 3.0),
        torch.zeros(1),
        torch.full((1,), 0.5),
    )
    y, h = s4_step(torch.ones(1), torch.full((1, 1), 4.0), p)
    a_bar = math.exp(-1.0)
    expected_h = a_bar * 4.0 + (1 - a_bar) * 2.0
    assert h.item() == pytest.approx(expected_h, rel=1e-6)
    assert y.item() == pytest.approx(3.0 * expected_h + 0.5, rel=1e-6)


def test_causal_conv_sequence_matches_steps_and_keeps_history():
    generator = torch.Generator().manual_seed(0)
    weights = torch.randn(3, 4, generator=generator)
    bias = torch.randn(3, generator=generator)
    buffer = torch.randn(2, 3, 4, generator=generator)
    u = torch.randn(6, 2, 3, generator=generator)
    looped, buf = [], buffer
    for u_t in u.unbind(0):
        c, buf = causal_conv_step(u_t, buf, weights, bias)
        looped.append(c)
    whole, last = causal_conv_sequence(u, buffer, weights, bias)
    torch.testing.assert_close(whole, torch.stack(looped))
    torch.testing.assert_close(last, buf)
    # first output sees the last K-1 samples of the initial buffer, oldest weight first
    first = (buffer[..., 1:] * weights[:, :3]).sum(-1) + u[0] * weights[:, 3] + bias
    torch.testing.assert_close(whole[0], first)
    torch.testing.assert_close(last[..., -1], u[-1])


@pytest.mark.parametrize("name", ["S6", "Mamba3", "Mamba1"])
@pytest.mark.parametrize(("block_size", "chunk_size"), [(1, None), (5, None), (5, 2), (16, 3), (100, 7)])
def test_blocked_selective_sequence_equals_loop_with_gradients(name, block_size, chunk_size):
    generator = torch.Generator().manual_seed(block_size)
    step, sequence, p, state = cases(torch.float64)[name]
    leaves = [t.clone().requires_grad_(True) if torch.is_tensor(t) else t for t in _flat(p)]
    p = _unflat(p, leaves)
    state = _expand_state(state, (2,))
    xs = 2 * torch.randn(37, 2, 3, generator=generator, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(37, 2, 3, generator=generator, dtype=torch.float64)
    looped, last_loop = run_steps(step, xs, state, p)
    whole, last_seq = sequence(xs, state, p, chunk_size=chunk_size, block_size=block_size)
    torch.testing.assert_close(whole, looped, atol=1e-11, rtol=1e-11)
    h_seq = last_seq.ssm_state if isinstance(last_seq, MambaState) else last_seq
    h_loop = last_loop.ssm_state if isinstance(last_loop, MambaState) else last_loop
    torch.testing.assert_close(h_seq, h_loop, atol=1e-11, rtol=1e-11)
    tensors = [xs] + [t for t in leaves if t is not None]
    loop_grads = torch.autograd.grad((looped * weights).sum(), tensors)
    seq_grads = torch.autograd.grad((whole * weights).sum(), tensors)
    for a, b in zip(seq_grads, loop_grads):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)


def test_default_block_size_and_invalid_block_size():
    from snn_ssm.functional import default_block_size

    assert default_block_size(1024, 8 * 128 * 16) == 32  # 2^19 elements per block
    assert default_block_size(1024, 10) == 1024  # small states: one block
    assert default_block_size(1024, 1 << 22) == 8  # at least 8 steps
    assert default_block_size(3, 1 << 22) == 3
    _, sequence, p, state = cases()["S6"]
    with pytest.raises(ValueError, match="block_size"):
        sequence(torch.zeros(4, 1, 3), state, p, block_size=0)
