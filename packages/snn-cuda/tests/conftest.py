"""Scaffolding shared by the kernel tests: a step loop and the kernel-versus-loop comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch


def loop(step: Callable[..., Any], xs: torch.Tensor, state: Any, p: Any, dt: float = 1e-3) -> tuple[Any, Any]:
    """Outputs stacked over time and the final state of calling ``step`` once per time step."""
    outs = []
    for x in xs.unbind(0):
        out, state = step(x, state, p, dt)
        outs.append(out)
    return torch.stack(outs), state


def check(
    run: Callable[..., Any], step: Callable[..., Any], xs: torch.Tensor, state: Any, p: Any,
    spiking: bool = True, seed: int = 3,
) -> None:  # fmt: skip
    """``run(xs, state, p)`` gives the step loop's outputs and state exactly and its gradients to round-off."""
    outs, final = run(xs, state, p)
    ref, ref_final = loop(step, xs, state, p)
    assert torch.equal(outs, ref)
    for a, b in zip(final, ref_final):
        assert torch.equal(a, b)
    if spiking:
        assert 0 < outs.sum() < outs.numel()
    g = torch.Generator().manual_seed(seed)
    weights = [torch.randn(t.shape, generator=g, dtype=xs.dtype) for t in [outs, *final]]
    inputs = [xs, *state]

    def loss(o, f):
        return sum((w * t).sum() for w, t in zip(weights, [o, *f]) if t.requires_grad)

    got = torch.autograd.grad(loss(outs, final), inputs)
    expected = torch.autograd.grad(loss(ref, ref_final), inputs)
    tol = 1e-5 if xs.dtype == torch.float32 else 1e-12
    for a, b in zip(got, expected):
        assert a.shape == b.shape
        assert ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)) < tol


@pytest.fixture
def step_loop() -> Callable[..., Any]:
    """:func:`loop`: ``step_loop(step, xs, state, p, dt=1e-3) -> (outs, final_state)``."""
    return loop


@pytest.fixture
def matches_step_loop() -> Callable[..., None]:
    """:func:`check`: ``matches_step_loop(run, step, xs, state, p, spiking=True, seed=3)``."""
    return check
