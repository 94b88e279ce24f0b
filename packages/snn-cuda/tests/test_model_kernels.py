"""snn-cuda's Triton kernels for LI, IAF, LIF box and LSNN (Triton interpreter on the CPU).

Reference steps written from spec/norse-functional.md §7 (snn-neurons is not installed in this
package's isolated test session).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import pytest
import torch

import snn_core

os.environ.setdefault("TRITON_INTERPRET", "1")  # before the kernel module is imported (lazily)

from snn_cuda import models
from snn_cuda._availability import triton_importable

pytestmark = pytest.mark.skipif(not triton_importable(), reason="triton is not installed")
T = torch.as_tensor


class LIParameters(NamedTuple):
    tau_syn_inv: Any = T(200.0)
    tau_mem_inv: Any = T(100.0)
    v_leak: Any = T(0.0)


class LIState(NamedTuple):
    v: torch.Tensor
    i: torch.Tensor


def li_step(x, s, p, dt=1e-3):
    j = s.i + x
    v1 = s.v + (dt * p.tau_mem_inv) * ((p.v_leak - s.v) + j)
    return v1, LIState(v1, j + ((-dt) * p.tau_syn_inv) * j)


def reset_value(z, v, v_reset, v_th):
    return (1 - z) * v + z * v_reset


def reset_subtract(z, v, v_reset, v_th):
    return (1 - z) * v + z * (v - v_th)


class BoxParameters(NamedTuple):
    tau_mem_inv: Any = T(100.0)
    v_leak: Any = T(0.0)
    v_th: Any = T(1.0)
    v_reset: Any = T(0.0)
    method: str = "super"
    alpha: Any = T(100.0)
    reset_method: Any = reset_value


class VState(NamedTuple):
    v: torch.Tensor


def iaf_step(x, s, p, dt=1e-3):
    v1 = s.v + x
    z = snn_core.threshold(v1 - p.v_th, p.method, p.alpha)
    return z, VState((1 - z) * v1 + z * p.v_reset)


def box_step(x, s, p, dt=1e-3):
    v1 = s.v + (dt * p.tau_mem_inv) * ((x + p.v_leak) - s.v)
    z = snn_core.threshold(v1 - p.v_th, p.method, p.alpha)
    return z, VState(p.reset_method(z, v1, p.v_reset, p.v_th))


class LSNNParameters(NamedTuple):
    tau_syn_inv: Any = T(200.0)
    tau_mem_inv: Any = T(100.0)
    tau_adapt_inv: Any = T(50.0)
    v_leak: Any = T(0.0)
    v_th: Any = T(1.0)
    v_reset: Any = T(0.0)
    beta: Any = T(1.8)
    method: str = "super"
    alpha: Any = 10.0


class LSNNState(NamedTuple):
    v: torch.Tensor
    i: torch.Tensor
    b: torch.Tensor


def lsnn_step(x, s, p, dt=1e-3):
    v1 = s.v + (dt * p.tau_mem_inv) * ((p.v_leak - s.v) + s.i)
    i1 = s.i + ((-dt) * p.tau_syn_inv) * s.i
    b1 = s.b + (dt * p.tau_adapt_inv) * (p.v_th - s.b)
    z = snn_core.threshold(v1 - b1, p.method, p.alpha)
    return z, LSNNState((1 - z) * v1 + z * p.v_reset, i1 + x, b1 + z * p.beta)


def data(dtype, n_state, shape=(30, 3, 7), seed=0, amplitude=3.0):
    g = torch.Generator().manual_seed(seed)
    xs = ((torch.rand(shape, generator=g, dtype=dtype) < 0.3).to(dtype) * amplitude).requires_grad_(True)
    states = [
        (0.5 * torch.rand(shape[1:], generator=g, dtype=dtype)).requires_grad_(True) for _ in range(n_state)
    ]
    return xs, states


DTYPES = [torch.float32, torch.float64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_li_kernel(dtype, matches_step_loop):
    xs, (v, i) = data(dtype, 2)
    matches_step_loop(
        models.li_feed_forward_sequence,
        li_step,
        xs,
        LIState(v, i),
        LIParameters(v_leak=T(0.1)),
        spiking=False,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["super", "tanh"])
def test_iaf_kernel(dtype, method, matches_step_loop):
    xs, (v,) = data(dtype, 1, amplitude=1.0)
    p = BoxParameters(v_th=T(2.0), v_reset=T(-0.2), method=method, alpha=T(2.0))
    matches_step_loop(models.iaf_feed_forward_sequence, iaf_step, xs, VState(v), p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("subtract", [False, True])
def test_lif_box_kernel(dtype, subtract, matches_step_loop):
    xs, (v,) = data(dtype, 1)
    p = BoxParameters(
        tau_mem_inv=T(300.0),
        method="triangle",
        alpha=T(0.5),
        reset_method=reset_subtract if subtract else reset_value,
    )

    def run(xs, state, p):
        zs, v = models._IAF.apply(xs, state.v, p, 1e-3, True, subtract)
        return zs, VState(v)

    matches_step_loop(run, box_step, xs, VState(v), p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["super", "heaviside"])
def test_lsnn_kernel(dtype, method, matches_step_loop):
    xs, (v, i) = data(dtype, 2)
    b = torch.ones(xs.shape[1:], dtype=dtype, requires_grad=True)
    p = LSNNParameters(method=method, beta=torch.linspace(0.5, 2.0, 7, dtype=dtype))
    matches_step_loop(models.lsnn_feed_forward_sequence, lsnn_step, xs, LSNNState(v, i, b), p)


def test_kernels_registered_for_each_model():
    kernels = snn_core.registry().kernels
    targets = {kernels[name].target for name in kernels if name.startswith("cuda-")}
    assert targets == {
        "neuron:lif",
        "neuron:li",
        "neuron:iaf",
        "neuron:lif_box",
        "neuron:lsnn",
        "neuron:lif_refrac",
        "neuron:lif_ex",
        "neuron:lif_adex",
    }
    assert all(
        kernels[name].backend == "cuda" and kernels[name].device == "cuda"
        for name in kernels
        if name.startswith("cuda-")
    )


def test_box_reset_detection():
    assert models._reset_kind(reset_value) is None  # not snn-neurons' function: the torch path decides
    reset_value.__module__, original = "snn_neurons.functional.reset", reset_value.__module__
    try:
        assert models._reset_kind(reset_value) is False
    finally:
        reset_value.__module__ = original
