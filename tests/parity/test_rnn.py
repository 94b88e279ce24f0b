"""Parity of snn_rnn (SimpleRNN, LSTM, GRU) with traceTorch 0.19.2's tt.rnn layers."""

from __future__ import annotations

import pytest
import torch

tt = pytest.importorskip("tracetorch")

from torch import nn  # noqa: E402

import snn_core  # noqa: E402
import snn_rnn  # noqa: E402

NAMES = ["SimpleRNN", "LSTM", "GRU"]
STATES = {"SimpleRNN": ["H"], "LSTM": ["H", "C"], "GRU": ["H"]}
# (in, out, dim, one-step input shape)
CONFIGS = [(3, 5, -1, (4, 3)), (3, 5, -3, (2, 3, 4, 4)), (6, 2, 1, (3, 6, 5)), (2, 3, -1, (2,))]


def make_pair(name, n_in, n_out, dim, seed=0):
    torch.manual_seed(seed)
    ref = getattr(tt.rnn, name)(n_in, n_out, dim)
    torch.manual_seed(seed)
    ours = getattr(snn_rnn, name)(n_in, n_out, dim)
    return ref, ours


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("config", CONFIGS)
def test_same_seed_same_parameters_and_state_dict_keys(name, config):
    ref, ours = make_pair(name, *config[:3], seed=123)
    ref_sd, our_sd = ref.state_dict(), ours.state_dict()
    assert list(our_sd) == list(ref_sd)
    for key in ref_sd:
        assert torch.equal(our_sd[key], ref_sd[key]), key
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("config", CONFIGS)
def test_outputs_states_and_gradients_over_many_steps(name, config):
    n_in, n_out, dim, shape = config
    ref = getattr(tt.rnn, name)(n_in, n_out, dim)
    ours = getattr(snn_rnn, name)(n_in, n_out, dim)
    ours.load_state_dict(ref.state_dict(), strict=True)  # traceTorch's state_dict loads unchanged
    g = torch.Generator().manual_seed(7)
    xs = 3 * torch.randn(120, *shape, generator=g)
    x_ref = xs.clone().requires_grad_(True)
    x_our = xs.clone().requires_grad_(True)
    out_ref = torch.stack([ref(x) for x in x_ref.unbind(0)])
    out_our = torch.stack([ours(x) for x in x_our.unbind(0)])
    assert torch.equal(out_our, out_ref)  # same operations in the same order: bitwise
    for s in STATES[name]:
        assert torch.equal(getattr(ours, s), getattr(ref, s)), s
    weights = torch.randn(out_ref.shape, generator=g)
    (out_ref * weights).sum().backward()
    (out_our * weights).sum().backward()
    torch.testing.assert_close(x_our.grad, x_ref.grad, atol=1e-6, rtol=1e-5)
    for (n, p_our), p_ref in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p_our.grad, p_ref.grad, atol=1e-5, rtol=1e-5, msg=n)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("config", CONFIGS[:3])
def test_sequence_matches_reference_loop(name, config):
    n_in, n_out, dim, shape = config
    ref = getattr(tt.rnn, name)(n_in, n_out, dim)
    ours = getattr(snn_rnn, name)(n_in, n_out, dim)
    ours.load_state_dict(ref.state_dict())
    xs = 3 * torch.randn(150, *shape, generator=torch.Generator().manual_seed(8))
    x_ref = xs.clone().requires_grad_(True)
    x_our = xs.clone().requires_grad_(True)
    out_ref = torch.stack([ref(x) for x in x_ref.unbind(0)])
    out_our = ours.sequence(x_our)
    torch.testing.assert_close(out_our, out_ref, atol=2e-6, rtol=1e-5)
    for s in STATES[name]:
        torch.testing.assert_close(getattr(ours, s), getattr(ref, s), atol=2e-6, rtol=1e-5)
    out_ref.square().sum().backward()
    out_our.square().sum().backward()
    torch.testing.assert_close(x_our.grad, x_ref.grad, atol=1e-5, rtol=1e-4)
    for (n, p_our), p_ref in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p_our.grad, p_ref.grad, atol=1e-4, rtol=1e-4, msg=n)


def test_tracetorch_state_file_loads_into_mixed_model():
    """A traceTorch Model's save_states() (duplicate alias keys included) restores our model."""

    class Ref(tt.Model):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                tt.rnn.LSTM(3, 4), nn.Linear(4, 4), tt.rnn.GRU(4, 2), tt.rnn.SimpleRNN(2, 2)
            )

        def forward(self, x):
            return self.net(x)

    class Ours(snn_core.Model):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                snn_rnn.LSTM(3, 4), nn.Linear(4, 4), snn_rnn.GRU(4, 2), snn_rnn.SimpleRNN(2, 2)
            )

        def forward(self, x):
            return self.net(x)

    ref, ours = Ref(), Ours()
    ours.load_state_dict(ref.state_dict(), strict=True)
    xs = torch.randn(10, 2, 3)
    for x in xs:
        ref(x)
    ours.load_states(ref.save_states(), strict=True)
    x = torch.randn(2, 3)
    assert torch.equal(ours(x), ref(x))
    assert sorted(ours.save_states()) == ["net.0.C", "net.0.H", "net.2.H", "net.3.H"]
