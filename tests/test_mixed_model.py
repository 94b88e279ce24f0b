"""A real SNN + SSM + RNN model from three plugins, managed by one snn_core.Model."""

from __future__ import annotations

import torch
from torch import nn

import snn_core
from snn_rnn import LSTM
from snn_ssm import S5, Mamba
from snn_tracelayers import LIB


class Hybrid(snn_core.Model):
    def __init__(self) -> None:
        super().__init__()
        self.encode = nn.Linear(6, 16)
        self.spiking = LIB(16)
        self.ssm = S5(16, d_state=8)
        self.selective = Mamba(16, d_state=4)
        self.lstm = LSTM(16, 8)
        self.readout = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # one time step [batch, 6]
        return self.readout(self.lstm(self.selective(self.ssm(self.spiking(self.encode(x))))))

    def sequence(self, xs: torch.Tensor) -> torch.Tensor:  # whole time-first sequence, layer by layer
        h = self.encode(xs)
        for layer in (self.spiking, self.ssm, self.selective, self.lstm):
            h = layer.sequence(h)
        return self.readout(h)


def run_steps(model: Hybrid, xs: torch.Tensor) -> torch.Tensor:
    return torch.stack([model(x) for x in xs.unbind(0)])


def test_states_are_managed_across_families() -> None:
    torch.manual_seed(0)
    model = Hybrid()
    xs = torch.randn(30, 4, 6)
    model.zero_states()
    first = run_steps(model, xs[:15])
    saved = model.save_states()
    # traceTorch's state names, each stored once under its canonical key
    assert sorted(saved) == [
        "lstm.C",
        "lstm.H",
        "selective.conv_buffer",
        "selective.ssm_state",
        "spiking.mem",
        "ssm.global_state",
    ]
    rest = run_steps(model, xs[15:])

    model.zero_states()
    run_steps(model, xs[:3])  # disturb the states, then restore them
    model.load_states(saved)
    again = run_steps(model, xs[15:])
    torch.testing.assert_close(again, rest, rtol=0, atol=0)

    model.zero_states()
    torch.testing.assert_close(run_steps(model, xs[:15]), first, rtol=0, atol=0)

    # hidden states never leak into the checkpoint
    assert not set(saved) & set(model.state_dict())


def test_whole_sequence_equals_the_step_loop_and_trains() -> None:
    torch.manual_seed(1)
    model = Hybrid()
    xs = torch.randn(40, 2, 6)
    model.zero_states()
    loop = run_steps(model, xs)
    model.zero_states()
    seq = model.sequence(xs)
    torch.testing.assert_close(seq, loop, rtol=1e-5, atol=1e-6)
    seq.sum().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    model.detach_states()
    assert not model.spiking.mem.requires_grad
