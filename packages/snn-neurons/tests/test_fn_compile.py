"""The step functions trace into one graph with ``torch.compile`` (no data-dependent Python branches)."""

from __future__ import annotations

import pytest
import torch

import snn_core
import snn_neurons as sn

CASES = [
    (sn.lif_feed_forward_step, lambda: sn.LIFFeedForwardState(torch.zeros(4), torch.zeros(4)), sn.LIFParameters()),
    (sn.lif_refrac_feed_forward_step,
     lambda: sn.LIFRefracFeedForwardState(sn.LIFFeedForwardState(torch.zeros(4), torch.zeros(4)), torch.zeros(4)),
     sn.LIFRefracParameters()),
    (sn.izhikevich_feed_forward_step, lambda: sn.tonic_spiking.s, sn.tonic_spiking.p),
]  # fmt: skip


@pytest.mark.parametrize(("step", "make_state", "p"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_step_compiles_fullgraph(step, make_state, p) -> None:
    snn_core.registry()  # built outside the compiled region (it imports plugins)
    compiled = torch.compile(lambda x, s: step(x, s, p), backend="eager", fullgraph=True)
    x = torch.tensor([0.0, 5.0, 20.0, 40.0])
    z_c, s_c = compiled(x, make_state())
    z, s = step(x, make_state(), p)
    assert torch.equal(z_c, z)
    for a, b in zip(torch.utils._pytree.tree_leaves(s_c), torch.utils._pytree.tree_leaves(s)):
        assert torch.equal(a, b)
