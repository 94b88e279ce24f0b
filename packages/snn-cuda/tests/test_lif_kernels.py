"""snn-cuda's Triton LIF kernels, run on the CPU by Triton's interpreter, against a step loop.

The reference step is written from spec/norse-functional.md §7.4.3 (snn-neurons is not installed
in this package's isolated test session).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, NamedTuple

import pytest
import torch

import snn_core

os.environ.setdefault("TRITON_INTERPRET", "1")  # before the kernel module is imported (lazily)

import snn_cuda
from snn_cuda import lif as cuda_lif
from snn_cuda._availability import triton_importable

needs_triton = pytest.mark.skipif(not triton_importable(), reason="triton is not installed")


class LIFParameters(NamedTuple):
    tau_syn_inv: Any = torch.as_tensor(200.0)
    tau_mem_inv: Any = torch.as_tensor(100.0)
    v_leak: Any = torch.as_tensor(0.0)
    v_th: Any = torch.as_tensor(1.0)
    v_reset: Any = torch.as_tensor(0.0)
    method: str = "super"
    alpha: Any = torch.as_tensor(100.0)


class LIFFeedForwardState(NamedTuple):
    v: torch.Tensor
    i: torch.Tensor


def lif_step(x, s, p, dt=1e-3):
    j = s.i + x
    v1 = s.v + (dt * p.tau_mem_inv) * ((p.v_leak - s.v) + j)
    i1 = j + ((-dt) * p.tau_syn_inv) * j
    z = snn_core.threshold(v1 - p.v_th, p.method, p.alpha)
    return z, LIFFeedForwardState((1 - z) * v1 + z * p.v_reset, i1)


def inputs(dtype, shape=(40, 3, 7), seed=0):
    g = torch.Generator().manual_seed(seed)
    xs = ((torch.rand(shape, generator=g, dtype=dtype) < 0.3).to(dtype) * 3.0).requires_grad_(True)
    v0 = torch.rand(shape[1:], generator=g, dtype=dtype).requires_grad_(True)
    i0 = torch.randn(shape[1:], generator=g, dtype=dtype).requires_grad_(True)
    return xs, LIFFeedForwardState(v0, i0)


@needs_triton
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("method", ["super", "triangle", "heaviside", "tanh"])
def test_kernels_equal_step_loop(dtype, method, matches_step_loop):
    alpha = torch.as_tensor(100.0 if method == "super" else 0.7)
    p = LIFParameters(
        v_reset=torch.as_tensor(-0.1),
        v_th=torch.linspace(0.8, 1.2, 7, dtype=dtype),
        method=method,
        alpha=alpha,
    )
    xs, state = inputs(dtype)
    assert cuda_lif.kernel_supports(xs, state, p)
    matches_step_loop(snn_cuda.lif_feed_forward_sequence, lif_step, xs, state, p, seed=5)


@needs_triton
def test_kernels_broadcast_zero_dim_state(step_loop):
    p = LIFParameters()
    xs, _ = inputs(torch.float32, shape=(25, 4, 130), seed=3)  # two programs: masks in use
    v0 = torch.tensor(0.2, requires_grad=True)
    i0 = torch.zeros(130, requires_grad=True)
    zs, final = snn_cuda.lif_feed_forward_sequence(xs, LIFFeedForwardState(v0, i0), p)
    ref, ref_final = step_loop(lif_step, xs, LIFFeedForwardState(v0, i0), p)
    assert torch.equal(zs, ref) and torch.equal(final.v, ref_final.v)
    g = torch.autograd.grad(zs.sum() + final.v.sum(), (xs, v0, i0))
    r = torch.autograd.grad(ref.sum() + ref_final.v.sum(), (xs, v0, i0))
    for a, b in zip(g, r):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_unsupported_arguments_are_detected():
    xs, state = inputs(torch.float32)
    assert not cuda_lif.kernel_supports(xs.half(), state, LIFParameters())
    assert not cuda_lif.kernel_supports(
        xs, state, LIFParameters(tau_mem_inv=torch.tensor(100.0, requires_grad=True))
    )
    assert not cuda_lif.kernel_supports(xs, state, LIFParameters(method="logistic"))
    assert not cuda_lif.kernel_supports(xs, LIFFeedForwardState(state.v.double(), state.i), LIFParameters())


def test_kernel_registered_and_unavailable_without_gpu():
    kernel = snn_core.registry().kernels["cuda-lif"]
    assert (kernel.target, kernel.backend, kernel.device) == ("neuron:lif", "cuda", "cuda")
    assert kernel.fn is snn_cuda.lif_feed_forward_sequence
    assert kernel.is_available() == (torch.cuda.is_available() and triton_importable())
    if not torch.cuda.is_available():
        on_cpu = snn_core.select_kernel("neuron:lif", "cpu")
        assert on_cpu is None or on_cpu.device == "cpu"  # snn-neurons' compiled CPU loop, never this kernel
        with pytest.raises(snn_core.BackendUnavailableError):
            snn_core.select_kernel("neuron:lif", "cuda", backend="cuda")


def test_import_without_triton_is_harmless():
    """With triton hidden, snn_cuda imports, registers, and reports its kernels unavailable."""
    code = (
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'triton' or name.startswith('triton.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "import snn_cuda, snn_core\n"
        "k = snn_core.registry().kernels['cuda-lif']\n"
        "print(snn_cuda.available(), k.is_available(), 'triton' in sys.modules)\n"
        "info = [p for p in snn_core.list_plugins() if p.name == 'snn-cuda']\n"
        "print(info[0].status if info else 'missing')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "active"]
