"""The registered neuron specs: every model runs through ``snn_core.Neuron`` with full-shape states."""

from __future__ import annotations

import pytest
import torch

import snn_core
import snn_neurons as sn
from snn_neurons.plugin import initial_states

NAMES = [
    "lif", "li", "iaf", "izhikevich", "lif_box", "coba_lif", "lif_adex", "lif_ex", "lif_mc", "lif_refrac",
    "lif_mc_refrac", "lsnn",
]  # fmt: skip


def test_every_official_neuron_is_registered() -> None:
    neurons = snn_core.registry().neurons
    for name in NAMES:
        spec = neurons[name]
        assert spec.initial_state is initial_states[name]
        assert spec.sequence is None or callable(spec.sequence)
        spec.parameters()  # every field has a default


def _loop(name: str, xs: torch.Tensor, p=None):
    spec = snn_core.registry().neurons[name]
    p = spec.parameters() if p is None else p
    state = spec.initial_state(xs[0], p)
    outs = []
    for x in xs.unbind(0):
        z, state = spec.step(x, state, p, 1e-3)
        outs.append(z)
    return torch.stack(outs), state


@pytest.mark.parametrize("name", NAMES)
def test_neuron_module_runs_model_and_equals_loop(name: str) -> None:
    torch.manual_seed(0)
    scale = {"izhikevich": 20.0, "lif_box": 40.0, "coba_lif": 60.0, "iaf": 0.5}.get(name, 5.0)
    xs = (torch.rand(40, 3, 5) < 0.4).float() * scale
    out, state = snn_core.Neuron(name)(xs)
    ref_out, ref_state = _loop(name, xs)
    assert out.shape == xs.shape
    assert torch.equal(out, ref_out)
    for a, b in zip(_leaves(state), _leaves(ref_state)):
        assert torch.equal(a, b)
        assert a.shape == xs.shape[1:]
    if name != "li":
        assert 0 < out.sum() < out.numel()


def _leaves(state):
    if isinstance(state, tuple):
        return [leaf for v in state for leaf in _leaves(v)]
    return [state]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_initial_state_takes_input_dtype_and_shape(name: str, dtype: torch.dtype) -> None:
    x = torch.zeros(2, 7, dtype=dtype)
    spec = snn_core.registry().neurons[name]
    state = spec.initial_state(x, spec.parameters())
    assert isinstance(state, spec.state)
    for leaf in _leaves(state):
        assert leaf.shape == (2, 7)
        assert leaf.dtype == dtype
        assert leaf.device == x.device


def test_initial_state_values() -> None:
    x = torch.zeros(3)
    assert initial_states["lsnn"](x, sn.LSNNParameters()).b.tolist() == [1.0] * 3
    assert initial_states["coba_lif"](x, sn.CobaLIFParameters()).v.tolist() == [-20.0] * 3
    assert initial_states["iaf"](x, sn.IAFParameters(v_reset=torch.tensor(-0.5))).v.tolist() == [-0.5] * 3
    izh = initial_states["izhikevich"](x, sn.IzhikevichNeuronParameters.from_behavior(sn.dap))
    assert izh.v.tolist() == [-70.0] * 3
    lif = initial_states["lif"](torch.zeros(2, 3), sn.LIFParameters(v_leak=torch.tensor([0.1, 0.2, 0.3])))
    torch.testing.assert_close(lif.v, torch.tensor([[0.1, 0.2, 0.3]] * 2))


def test_initial_state_validates_parameters_once() -> None:
    with pytest.raises(ValueError, match=r"p\.tau_mem_inv"):
        snn_core.Neuron("lif", sn.LIFParameters(tau_mem_inv=torch.tensor(-100.0)))(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"p\.method"):
        snn_core.Neuron("lsnn", sn.LSNNParameters(method="nope"))(torch.zeros(3, 2))
    with pytest.raises(TypeError, match="LIFRefracParameters"):
        snn_core.Neuron("lif_refrac", sn.LIFParameters())


def test_lif_mc_neuron_with_and_without_coupling() -> None:
    torch.manual_seed(1)
    xs = (torch.rand(30, 2, 4) < 0.4).float() * 5
    plain, _ = snn_core.Neuron("lif")(xs)
    uncoupled, _ = snn_core.Neuron("lif_mc")(xs)
    assert torch.equal(plain, uncoupled)
    g = torch.randn(4, 4)
    coupled, state = snn_core.Neuron("lif_mc", sn.LIFMCParameters(g_coupling=g))(xs)
    s = sn.LIFFeedForwardState(torch.zeros(2, 4), torch.zeros(2, 4))
    for t, x in enumerate(xs):
        z, s = sn.lif_mc_feed_forward_step(x, s, g, sn.LIFParameters())
        assert torch.equal(coupled[t], z)
    assert torch.equal(state.v, s.v)
    with pytest.raises(ValueError, match="g_coupling has shape"):
        snn_core.Neuron("lif_mc", sn.LIFMCParameters(g_coupling=torch.zeros(3, 3)))(xs)


def test_lif_mc_refrac_neuron_zero_coupling_equals_none() -> None:
    torch.manual_seed(2)
    xs = (torch.rand(30, 2, 4) < 0.4).float() * 5
    none, s_none = snn_core.Neuron("lif_mc_refrac")(xs)
    zero, s_zero = snn_core.Neuron("lif_mc_refrac", sn.LIFMCRefracParameters(g_coupling=torch.zeros(4, 4)))(
        xs
    )
    assert torch.equal(none, zero)
    assert torch.equal(s_none.rho, s_zero.rho)
    torch.testing.assert_close(s_none.lif.v, s_zero.lif.v)
    assert none.sum() > 0


def test_izhikevich_neuron_runs_a_preset() -> None:
    p = sn.IzhikevichNeuronParameters.from_behavior(sn.tonic_spiking)
    xs = torch.full((400, 1), 10.0)
    out, _ = snn_core.Neuron("izhikevich", p)(xs)
    s = sn.tonic_spiking.s
    ref = []
    for x in xs:
        z, s = sn.izhikevich_feed_forward_step(x, s, sn.tonic_spiking.p)
        ref.append(z)
    assert torch.equal(out, torch.stack(ref))
    assert out.sum() >= 2


def test_neuron_gradients_flow_to_input() -> None:
    xs = (torch.rand(20, 2, 3) * 6).requires_grad_()
    out, _ = snn_core.Neuron("lif", sn.LIFParameters(alpha=torch.tensor(1.0)))(xs)
    out.sum().backward()
    assert xs.grad is not None
    assert xs.grad.abs().sum() > 0


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", NAMES)
def test_neuron_runs_on_cuda_with_states_on_the_device(name: str) -> None:
    xs = (torch.rand(10, 2, 4, device="cuda") < 0.5).float() * 5
    out, state = snn_core.Neuron(name)(xs)
    assert out.device.type == "cuda"
    for leaf in _leaves(state):
        assert leaf.device.type == "cuda"
    cpu_out, _ = snn_core.Neuron(name)(xs.cpu())
    torch.testing.assert_close(out.cpu(), cpu_out)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_lif_parameters_cuda_roundtrip() -> None:
    p = sn.LIFParameters(v_th=torch.ones(4)).cuda()
    assert p.v_th.device.type == "cuda"
    assert p.cpu().v_th.device.type == "cpu"
