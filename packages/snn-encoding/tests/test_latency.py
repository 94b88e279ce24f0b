"""spike_latency_encode: first spikes only."""

from __future__ import annotations

import pytest
import torch

from snn_encoding import SpikeLatencyEncoder, spike_latency_encode


def test_verified_example():
    out = spike_latency_encode(torch.tensor([[0.0, 1.0, 1.0], [1.0, 1.0, 1.0]]))
    assert torch.equal(out, torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]))


def test_keeps_exactly_the_first_spike_per_neuron():
    spikes = (torch.rand(30, 4, 5, generator=torch.Generator().manual_seed(0)) < 0.2).float()
    out = spike_latency_encode(spikes)
    first = spikes.argmax(0)
    expected = torch.zeros_like(spikes)
    has_spike = spikes.sum(0) > 0
    expected.scatter_(0, first.unsqueeze(0), has_spike.float().unsqueeze(0))
    assert torch.equal(out, expected)


def test_negative_entries_pass_and_do_not_block_and_dtype_is_kept():
    x = torch.tensor([[-1.0], [2.0], [1.0]], dtype=torch.float64)
    out = spike_latency_encode(x)
    # -1 passes and lowers the running sum to -1; 2 passes (sum 1 > 0) and blocks the last entry
    assert torch.equal(out, torch.tensor([[-1.0], [2.0], [0.0]], dtype=torch.float64))
    assert out.dtype == torch.float64


def test_errors_and_empty():
    with pytest.raises(ValueError, match="time-first"):
        spike_latency_encode(torch.tensor(1.0))
    with pytest.raises(TypeError):
        spike_latency_encode([[1.0]])
    assert spike_latency_encode(torch.zeros(0, 3)).shape == (0, 3)


def test_module():
    x = (torch.rand(10, 3) < 0.5).float()
    assert torch.equal(SpikeLatencyEncoder()(x), spike_latency_encode(x))
