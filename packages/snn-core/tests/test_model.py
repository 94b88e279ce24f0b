"""snn_core.Model: recursive zero/detach/compile and save/load of states (tracetorch.md §3, fixed bugs)."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from snn_core import Layer, Model


class Leaky(Layer):
    def __init__(self, n: int, beta: float = 0.9, dim: int = -1) -> None:
        super().__init__(n, dim)
        self._register_decay("beta", beta)
        self._initialize_state("mem")
        self._initialize_state("count")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._ensure_states(x)
        self.mem = self._from_working_dim(
            self.beta * self._to_working_dim(self.mem) + self._to_working_dim(x)
        )
        self.count = self.count + 1
        return self.mem


class Net(Model):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 3), Leaky(3), nn.Linear(3, 2), Leaky(2))
        self.extra = [Leaky(2, beta=0.5)]
        self.table = {"a": Leaky(2, beta=0.7)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.net(x)
        return self.extra[0](y) + self.table["a"](y)


def run(net: Net, steps: int = 3, batch: int = 2) -> torch.Tensor:
    torch.manual_seed(3)
    return torch.stack([net(torch.randn(batch, 3)) for _ in range(steps)])


def test_save_states_canonical_keys_each_state_once() -> None:
    net = Net()
    assert net.save_states() == {}
    run(net)
    states = net.save_states()
    assert sorted(states) == sorted(
        [
            "net.1.mem",
            "net.1.count",
            "net.3.mem",
            "net.3.count",
            "extra[0].mem",
            "extra[0].count",
            "table[a].mem",
            "table[a].count",
        ]
    )
    assert torch.equal(states["net.1.count"], torch.full((2, 3), 3.0))
    assert not states["net.1.mem"].requires_grad
    states["net.1.mem"].add_(100)  # a copy, not the live state
    assert not torch.equal(states["net.1.mem"], net.net[1].mem)


def test_zero_states_and_detach_reach_every_layer() -> None:
    net = Net()
    x = torch.randn(2, 3, requires_grad=True)
    net(x)
    net.detach_states()
    layers = [net.net[1], net.net[3], net.extra[0], net.table["a"]]
    assert all(not layer.mem.requires_grad for layer in layers)
    net.zero_states()
    assert all(layer.mem is None and layer.count is None for layer in layers)


def test_save_load_round_trip_continues_identically_and_weights_only() -> None:
    net = Net()
    run(net)
    buf = io.BytesIO()
    torch.save(net.save_states(), buf)
    buf.seek(0)
    saved = torch.load(buf, weights_only=True)
    expected = run(net)
    twin = Net()
    twin.load_state_dict(net.state_dict())
    twin.load_states(saved)
    assert torch.equal(run(twin), expected)


def test_load_states_strict_checks_missing_and_unexpected_atomically() -> None:
    net = Net()
    run(net)
    states = net.save_states()
    partial = {k: v for k, v in states.items() if k.startswith("net.1")}
    fresh = Net()
    with pytest.raises(ValueError, match=r"Missing states for: \[.*net.3.mem"):
        fresh.load_states(partial)
    assert fresh.net[1].mem is None  # nothing half-loaded
    fresh.load_states(partial, strict=False)
    assert torch.equal(fresh.net[1].mem, states["net.1.mem"])
    assert fresh.net[3].mem is None
    with pytest.raises(ValueError, match=r"unexpected states: \['bogus.mem'\]"):
        fresh.load_states({**states, "bogus.mem": torch.zeros(1)})


def test_load_states_shape_mismatch() -> None:
    net = Net()
    run(net, batch=2)
    other = Net()
    run(other, batch=4)
    with pytest.raises(ValueError, match=r"Shape mismatch for net.1.mem: expected \[2, 3\], got \[4, 3\]"):
        net.load_states(other.save_states())


def test_load_states_accepts_tracetorch_alias_keys() -> None:
    net = Net()
    run(net)
    states = net.save_states()
    aliased = {}
    for k, v in states.items():
        if k.startswith("net."):
            _, idx, name = k.split(".")
            for alias in (
                k,
                f"net._modules[{idx}].{name}",
                f"._modules[net].{idx}.{name}",
                f"._modules[net]._modules[{idx}].{name}",
            ):
                aliased[alias] = v
        else:
            aliased["." + k] = v
    fresh = Net()
    fresh.load_states(aliased)
    for k, v in states.items():
        assert torch.equal(fresh.save_states()[k], v)


def test_load_states_device_argument_and_copy() -> None:
    net = Net()
    run(net)
    states = net.save_states()
    fresh = Net()
    fresh.load_states(states, device="cpu")
    assert fresh.net[1].mem.data_ptr() != states["net.1.mem"].data_ptr()


def test_model_overrides_calling_super_do_not_recurse() -> None:
    calls: list[str] = []

    class Inner(Model):
        def __init__(self) -> None:
            super().__init__()
            self.layer = Leaky(2)

        def zero_states(self) -> None:
            calls.append("inner")
            super().zero_states()

    class Outer(Model):
        def __init__(self) -> None:
            super().__init__()
            self.inner = Inner()
            self.layer = Leaky(2)

        def zero_states(self) -> None:
            calls.append("outer")
            super().zero_states()

        def TTcompile(self) -> None:
            calls.append("compile")
            super().TTcompile()

        def TTdecompile(self) -> None:
            super().TTdecompile()

        def detach_states(self) -> None:
            super().detach_states()

    net = Outer()
    net.inner.layer(torch.ones(1, 2))
    net.layer(torch.ones(1, 2))
    net.detach_states()
    net.zero_states()
    assert calls == ["outer", "inner"]
    assert net.inner.layer.mem is None and net.layer.mem is None
    net.TTcompile()
    assert net.layer._compiled and net.inner.layer._compiled
    assert set(net.state_dict()) == {"inner.layer.beta", "layer.beta"}
    net.TTdecompile()
    assert set(net.state_dict()) == {"inner.layer.raw_beta", "layer.raw_beta"}


def test_walker_never_calls_arbitrary_attributes() -> None:
    class Trap:
        def __init__(self) -> None:
            self.called = False

        def zero_states(self) -> None:
            self.called = True

    class WithTrap(Model):
        def __init__(self) -> None:
            super().__init__()
            self.trap = Trap()
            self.traps = [Trap()]
            self.layer = Leaky(2)

    net = WithTrap()
    net.zero_states()
    assert not net.trap.called and not net.traps[0].called


def test_cycles_are_safe() -> None:
    net = Net()
    net.loop = [net]  # back-reference to the root
    run(net)
    assert len(net.save_states()) == 8
    net.zero_states()


def test_states_follow_model_to() -> None:
    net = Net()
    run(net)
    net.double()
    assert net.net[1].mem.dtype == torch.float64 and net.net[3].mem.dtype == torch.float64
    # layers in plain lists are not registered submodules, so nn.Module.to() does not reach them
    assert net.extra[0].mem.dtype == torch.float32
