"""Fixtures for snn-encoding's tests (only snn-core is required beside this package)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import pytest
import torch
from torch import Tensor

import snn_core


class StandInLIFParameters(NamedTuple):
    """Norse's LIFParameters defaults, for a stand-in ``"lif"`` when snn-neurons is absent."""

    tau_syn_inv: Tensor = torch.as_tensor(200.0)
    tau_mem_inv: Tensor = torch.as_tensor(100.0)
    v_leak: Tensor = torch.as_tensor(0.0)
    v_th: Tensor = torch.as_tensor(1.0)
    v_reset: Tensor = torch.as_tensor(0.0)
    method: str = "super"
    alpha: Tensor = torch.as_tensor(100.0)


class StandInLIFState(NamedTuple):
    v: Tensor
    i: Tensor


def _unused_step(x, state, p, dt=1e-3):  # the encoders never call the model's step
    raise AssertionError("the LIF encoders must not call the neuron's step function")


class StandInLIFPlugin:
    @snn_core.hookimpl
    def snn_register_neurons(self):
        return [
            snn_core.NeuronSpec(
                name="lif",
                step=_unused_step,
                parameters=StandInLIFParameters,
                state=StandInLIFState,
                initial_state=lambda x, p: StandInLIFState(torch.zeros_like(x), torch.zeros_like(x)),
            )
        ]


@pytest.fixture
def lif_registered() -> Iterator[None]:
    """Make sure a ``"lif"`` neuron is registered: snn-neurons' if installed, else a stand-in."""
    if "lif" in snn_core.registry().neurons:
        yield
        return
    with snn_core.registered(StandInLIFPlugin(), name="stand-in-lif"):
        yield


@pytest.fixture
def no_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A registry built with every installed plugin disabled (as if snn-neurons were not installed)."""
    with monkeypatch.context() as patch:
        patch.setenv("SNN_LOAD_PLUGINS", "")
        snn_core.reload_plugins()
        try:
            yield
        finally:
            patch.undo()
            snn_core.reload_plugins()
