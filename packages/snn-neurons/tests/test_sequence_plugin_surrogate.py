"""A third-party surrogate that declares its derivative runs inside the fused path, by name."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

import snn_core
from snn_neurons import LIFFeedForwardState, LIFParameters, lif_feed_forward_step
from snn_neurons.sequence import lif_feed_forward_sequence
from snn_neurons.sequence._surrogate import surrogate_derivative


def boxcar_factor(x: Tensor, alpha: Any) -> Tensor:
    return (x.abs() < alpha).to(x.dtype) / (2 * alpha)


Boxcar = snn_core.surrogate_function("Boxcar", lambda x, alpha, g: g * boxcar_factor(x, alpha))


class BoxcarPlugin:
    @snn_core.hookimpl
    def snn_register_thresholds(self) -> list[snn_core.ThresholdSpec]:
        return [
            snn_core.ThresholdSpec(name="boxcar", fn=Boxcar.apply, derivative=boxcar_factor),
            snn_core.ThresholdSpec(name="boxcar_plain", fn=Boxcar.apply),
        ]


def run_loop(xs: Tensor, state: LIFFeedForwardState, p: LIFParameters) -> tuple[Tensor, LIFFeedForwardState]:
    out = []
    for x in xs.unbind(0):
        z, state = lif_feed_forward_step(x, state, p)
        out.append(z)
    return torch.stack(out), state


def test_declared_derivative_is_fused_and_undeclared_one_loops() -> None:
    with snn_core.registered(BoxcarPlugin()):
        assert surrogate_derivative("boxcar") is not None
        assert surrogate_derivative("boxcar_plain") is None  # no derivative declared: loop the step
        for method in ("boxcar", "boxcar_plain"):
            p = LIFParameters(method=method, alpha=0.5)
            xs = (torch.rand(60, 3, 7, generator=torch.Generator().manual_seed(1)) * 4).requires_grad_(True)
            state = LIFFeedForwardState(v=torch.zeros(3, 7), i=torch.zeros(3, 7))
            zs, final = lif_feed_forward_sequence(xs, state, p)
            (g_seq,) = torch.autograd.grad(zs.sum() + final.v.sum(), xs)
            zl, final_l = run_loop(xs, state, p)
            (g_loop,) = torch.autograd.grad(zl.sum() + final_l.v.sum(), xs)
            assert zs.sum() > 0
            assert torch.equal(zs, zl)
            assert torch.equal(final.v, final_l.v)
            torch.testing.assert_close(g_seq, g_loop, rtol=1e-5, atol=1e-6)
            assert g_seq.abs().sum() > 0


def test_registered_lif_uses_the_sequence_path() -> None:
    spec = snn_core.registry().neurons["lif"]
    assert spec.sequence is lif_feed_forward_sequence
    xs = torch.rand(20, 4) * 3
    zs, _ = snn_core.Neuron("lif")(xs)
    zl, _ = run_loop(xs, LIFFeedForwardState(v=torch.zeros(4), i=torch.zeros(4)), LIFParameters())
    assert torch.equal(zs, zl)
