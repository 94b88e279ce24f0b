"""Lift, SequentialState, RecurrentSequential and RegularizationCell."""

from __future__ import annotations

import pytest
import torch

import snn_neurons as sn


def test_lift_applies_a_stateless_module_per_step() -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 2)
    xs = torch.rand(6, 3, 4)
    out = sn.Lift(linear)(xs)
    assert out.shape == (6, 3, 2)
    assert torch.allclose(out, linear(xs))


def test_lift_threads_the_state_of_a_stateful_module() -> None:
    xs = torch.rand(10, 2, 3) * 300
    lifted = sn.Lift(sn.LIFCell())
    assert lifted.is_stateful
    out, state = lifted(xs)
    ref_out, ref_state = sn.LIF()(xs)
    assert torch.equal(out, ref_out) and torch.equal(state.v, ref_state.v)
    # a tuple (x, state) continues from that state
    out2, state2 = lifted((xs, state))
    ref2, _ = sn.LIF()(xs, ref_state)
    assert torch.equal(out2, ref2)


def test_lift_treats_rnn_modules_as_stateful() -> None:
    assert sn.Lift(torch.nn.GRU(3, 2)).is_stateful
    assert not sn.Lift(torch.nn.ReLU()).is_stateful


def _net() -> sn.SequentialState:
    torch.manual_seed(0)
    return sn.SequentialState(torch.nn.Linear(4, 3), sn.LIFCell(), torch.nn.Linear(3, 2), sn.LICell())


def test_sequential_state_threads_states_and_matches_manual_composition() -> None:
    net = _net()
    x = torch.rand(5, 4) * 100
    out, states = net(x)
    assert [s is None for s in states] == [True, False, True, False]
    h = net[0](x)
    z, s1 = net[1](h)
    v, s3 = net[3](net[2](z))
    assert torch.equal(out, v)
    assert torch.equal(states[1].v, s1.v) and torch.equal(states[3].v, s3.v)
    out2, states2 = net(x, states)
    z2, _ = net[1](h, s1)
    v2, _ = net[3](net[2](z2), s3)
    assert torch.equal(out2, v2)


def test_sequential_state_does_not_mutate_the_callers_list() -> None:
    net = _net()
    x = torch.rand(5, 4) * 100
    _, states = net(x)
    snapshot = list(states)
    given = list(states)
    _, new_states = net(x, given)
    assert new_states is not given
    assert all(a is b for a, b in zip(given, snapshot))  # untouched
    assert new_states[1] is not snapshot[1]
    none_list = [None] * 4
    _, fresh = net(x, none_list)
    assert none_list == [None] * 4 and fresh is not none_list


def test_sequential_state_return_hidden_gives_every_output() -> None:
    net = _net()
    net.return_hidden = True
    x = torch.rand(5, 4)
    hidden, states = net(x)
    assert [h.shape for h in hidden] == [(5, 3), (5, 3), (5, 2), (5, 2)]
    assert torch.equal(hidden[0], net[0](x))


def test_sequential_state_wrong_state_length_raises() -> None:
    with pytest.raises(ValueError, match=r"one entry per module \(4\), got 2"):
        _net()(torch.rand(5, 4), [None, None])


def test_sequential_state_append_slicing_and_hooks() -> None:
    net = sn.SequentialState(torch.nn.Linear(2, 2))
    net.append(sn.LIFCell())
    assert net.stateful_layers == [False, True]
    _, states = net(torch.rand(3, 2))
    assert len(states) == 2 and states[1] is not None
    head = net[0:1]
    assert isinstance(head, sn.SequentialState) and len(head) == 1
    calls = []
    net.register_forward_state_hooks(lambda m, i, o: calls.append(type(m).__name__))
    with pytest.raises(ValueError, match="already registered"):
        net.register_forward_state_hooks(lambda m, i, o: None)
    net(torch.rand(3, 2))
    assert calls == ["LIFCell"]
    net.remove_forward_state_hooks()
    net(torch.rand(3, 2))
    assert calls == ["LIFCell"]


def test_sequential_state_follows_edits_of_the_stack() -> None:
    net = sn.SequentialState(torch.nn.Linear(2, 2))
    net.insert(0, sn.LIFCell())
    net[1] = sn.LICell()
    assert net.stateful_layers == [True, True]
    _, states = net(torch.rand(3, 2))
    assert all(s is not None for s in states)
    assert sn.modules.structural.is_stateful(torch.nn.GRU(2, 2))


def test_sequential_state_with_time_layers() -> None:
    torch.manual_seed(0)
    net = sn.SequentialState(sn.Lift(torch.nn.Linear(4, 3)), sn.LIF(), sn.LIFRecurrent(3, 2))
    out, states = net(torch.rand(20, 5, 4) * 300)
    assert out.shape == (20, 5, 2)
    assert states[1].v.shape == (5, 3) and states[2].z.shape == (5, 2)


def test_recurrent_sequential_feeds_the_output_back() -> None:
    net = sn.RecurrentSequential(torch.nn.Identity(), torch.nn.Identity())
    y, s = net(torch.ones(2))
    assert torch.equal(y, torch.ones(2))
    y, s = net(torch.ones(2), s)
    assert torch.equal(y, torch.full((2,), 2.0))
    y, s = net(torch.ones(2), s)
    assert torch.equal(y, torch.full((2,), 3.0))
    assert isinstance(s, sn.RecurrentSequentialState)


def test_recurrent_sequential_with_neurons_and_output_list() -> None:
    torch.manual_seed(0)
    net = sn.RecurrentSequential(torch.nn.Linear(2, 2), sn.LIFCell(), output_modules=[1])
    ys, s = net(torch.ones(1, 2) * 50)
    assert isinstance(ys, list) and ys[0].shape == (1, 2)
    ys2, _ = net(torch.ones(1, 2) * 50, s)
    assert ys2[0].shape == (1, 2)


def test_regularization_cell_accumulates_spike_counts_and_voltages() -> None:
    r = sn.RegularizationCell()
    z, c = r(torch.tensor([1.0, 0.0, 1.0]), None)
    z, c = r(torch.tensor([1.0, 1.0, 1.0]), None)
    assert c.item() == 5.0 and r.state.item() == 5.0
    rv = sn.RegularizationCell(sn.voltage_accumulator)
    s = sn.LIFFeedForwardState(torch.tensor([0.5, 0.25]), torch.zeros(2))
    rv(torch.zeros(2), s)
    _, acc = rv(torch.zeros(2), s)
    assert torch.equal(acc, torch.tensor([1.0, 0.5]))
