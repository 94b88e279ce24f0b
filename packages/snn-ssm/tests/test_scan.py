"""The chunked scans reproduce the step loop for any chunk length, including ragged last chunks."""

from __future__ import annotations

import pytest
import torch

from snn_ssm.scan import (
    default_chunk_size,
    linear_scan,
    lti_output_scan,
    lti_scan,
    selective_scan,
    sequential_scan,
)

CHUNKS = [None, 1, 2, 5, 8, 37, 100]


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("chunk_size", CHUNKS)
@pytest.mark.parametrize("steps", [1, 2, 37, 64])
def test_linear_scan_matches_loop(chunk_size, steps):
    g = _gen(steps)
    a = torch.rand(steps, 3, 4, 2, generator=g, dtype=torch.float64)
    b = torch.randn(steps, 3, 4, 2, generator=g, dtype=torch.float64)
    h0 = torch.randn(3, 4, 2, generator=g, dtype=torch.float64)
    states, last = linear_scan(a, b, h0, chunk_size=chunk_size)
    ref_states, ref_last = sequential_scan(a, b, h0)
    torch.testing.assert_close(states, ref_states, atol=1e-13, rtol=1e-13)
    torch.testing.assert_close(last, ref_last, atol=1e-13, rtol=1e-13)


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_linear_scan_with_log_decays_matches_loop(chunk_size):
    g = _gen(5)
    log_a = -3 * torch.rand(29, 2, 3, generator=g, dtype=torch.float64)
    b = torch.randn(29, 2, 3, generator=g, dtype=torch.float64)
    h0 = torch.randn(2, 3, generator=g, dtype=torch.float64)
    states, last = linear_scan(log_a.exp(), b, h0, log_a=log_a, chunk_size=chunk_size)
    ref_states, ref_last = sequential_scan(log_a.exp(), b, h0)
    torch.testing.assert_close(states, ref_states, atol=1e-13, rtol=1e-13)
    torch.testing.assert_close(last, ref_last, atol=1e-13, rtol=1e-13)
    with pytest.raises(ValueError, match="log_a"):
        linear_scan(log_a.exp(), b, log_a=log_a[:, :1])


@pytest.mark.parametrize("chunk_size", CHUNKS)
@pytest.mark.parametrize("with_log", [False, True])
def test_selective_scan_matches_loop_contraction(chunk_size, with_log):
    g = _gen(6)
    log_a = -2 * torch.rand(33, 2, 3, 4, generator=g, dtype=torch.float64)
    b = torch.randn(33, 2, 3, 4, generator=g, dtype=torch.float64)
    c = torch.randn(33, 2, 1, 4, generator=g, dtype=torch.float64)
    h0 = torch.randn(2, 3, 4, generator=g, dtype=torch.float64)
    y, last = selective_scan(log_a.exp(), b, c, h0, log_a=log_a if with_log else None, chunk_size=chunk_size)
    ref_states, ref_last = sequential_scan(log_a.exp(), b, h0)
    torch.testing.assert_close(y, (ref_states * c).sum(-1), atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(last, ref_last, atol=1e-13, rtol=1e-13)


def test_selective_scan_gradcheck_and_errors():
    g = _gen(7)
    a = torch.rand(9, 2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(9, 2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    c = torch.randn(9, 1, 3, generator=g, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b, c, h: selective_scan(a, b, c, h, chunk_size=4), (a, b, c, h0)
    )
    with pytest.raises(ValueError, match="same shape"):
        selective_scan(a, b[:, :1], c)
    with pytest.raises(ValueError, match="equal rank"):
        selective_scan(a, b, c[0])
    y, h = selective_scan(a[:0], b[:0], c[:0], h0)
    assert y.shape == (0, 2) and torch.equal(h, h0)


def test_linear_scan_hand_values_and_default_zero_state():
    a = torch.full((4, 1), 0.5)
    b = torch.ones(4, 1)
    states, last = linear_scan(a, b, chunk_size=3)
    assert states.flatten().tolist() == [1.0, 1.5, 1.75, 1.875]
    assert last.item() == 1.875


def test_linear_scan_broadcasts_initial_state_and_handles_empty_sequence():
    a = torch.full((3, 2, 2), 0.5)
    b = torch.zeros(3, 2, 2)
    states, last = linear_scan(a, b, torch.tensor(8.0))
    assert states[:, 0, 0].tolist() == [4.0, 2.0, 1.0]
    empty, h = linear_scan(torch.zeros(0, 2), torch.zeros(0, 2), torch.ones(2))
    assert empty.shape == (0, 2)
    assert h.tolist() == [1.0, 1.0]


def test_linear_scan_gradcheck():
    g = _gen(1)
    a = torch.rand(11, 2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(11, 2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b, h: linear_scan(a, b, h, chunk_size=4), (a, b, h0))


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_lti_scan_matches_loop(chunk_size):
    g = _gen(2)
    a = torch.rand(5, generator=g, dtype=torch.float64)
    u = torch.randn(41, 3, 5, generator=g, dtype=torch.float64)
    h0 = torch.randn(3, 5, generator=g, dtype=torch.float64)
    states, last = lti_scan(a, u, h0, chunk_size=chunk_size)
    ref_states, ref_last = sequential_scan(a.expand_as(u), u, h0)
    torch.testing.assert_close(states, ref_states, atol=1e-13, rtol=1e-13)
    torch.testing.assert_close(last, ref_last, atol=1e-13, rtol=1e-13)


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_lti_output_scan_matches_loop(chunk_size):
    g = _gen(3)
    a = torch.rand(4, 6, generator=g, dtype=torch.float64)
    b = torch.randn(4, 6, generator=g, dtype=torch.float64)
    c = torch.randn(4, 6, generator=g, dtype=torch.float64)
    x = torch.randn(45, 3, 4, generator=g, dtype=torch.float64)
    h0 = torch.randn(3, 4, 6, generator=g, dtype=torch.float64)
    y, last = lti_output_scan(a, b, c, x, h0, chunk_size=chunk_size)
    ref_states, ref_last = sequential_scan(a.expand(45, 3, 4, 6), b * x.unsqueeze(-1), h0)
    torch.testing.assert_close(y, (ref_states * c).sum(-1), atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(last, ref_last, atol=1e-12, rtol=1e-12)


def test_lti_gradcheck():
    g = _gen(4)
    a = torch.rand(3, generator=g, dtype=torch.float64, requires_grad=True)
    u = torch.randn(10, 2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, u: lti_scan(a, u, chunk_size=3), (a, u))
    b = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    c = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    x = torch.randn(10, 1, 2, generator=g, dtype=torch.float64, requires_grad=True)
    a2 = torch.rand(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b, c, x: lti_output_scan(a, b, c, x, chunk_size=4), (a2, b, c, x)
    )


def test_default_chunk_size():
    assert [default_chunk_size(t) for t in (0, 1, 2, 1024, 1025)] == [1, 1, 2, 32, 33]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_invalid_chunk_size_is_named(bad):
    with pytest.raises(ValueError, match="chunk_size"):
        linear_scan(torch.ones(3, 1), torch.ones(3, 1), chunk_size=bad)


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"a \(3, 2\) and b \(3, 1\)"):
        linear_scan(torch.ones(3, 2), torch.ones(3, 1))
    with pytest.raises(ValueError, match="u"):
        lti_scan(torch.ones(4), torch.ones(3, 2, 5))
    with pytest.raises(ValueError, match="x"):
        lti_output_scan(torch.ones(2, 3), torch.ones(2, 3), torch.ones(2, 3), torch.ones(5, 1, 4))
