"""Parity of snn_ssm (S4, S5, S6, Mamba) with traceTorch 0.19.2's tt.ssm layers."""

from __future__ import annotations

import pytest
import torch

tt = pytest.importorskip("tracetorch")

from torch import nn  # noqa: E402

import snn_core  # noqa: E402
import snn_ssm  # noqa: E402

# name, positional args (as traceTorch takes them), one-step input shape
CONFIGS = [
    ("S4", (5,), (3, 5)),
    ("S4", (4, 6, 1), (2, 4, 3)),
    ("S4", (4, 3, -2), (2, 4, 3)),
    ("S5", (5,), (3, 5)),
    ("S5", (4, 6, 1), (2, 4, 3)),
    ("S6", (20, 4), (3, 20)),
    ("S6", (5, 3, 2, 1), (2, 5, 3)),
    ("S6", (4, 3, -1, -2), (2, 4, 3)),
    ("Mamba", (6,), (3, 6)),
    ("Mamba", (4, 3, 1, -1, 3), (2, 4, 3)),
    ("Mamba", (5, 4, -1, 2, 1), (3, 5)),
    ("Mamba", (4, 3, -2, -1, 2), (2, 4, 3)),
]
IDS = [f"{name}{args}" for name, args, _ in CONFIGS]


def make_pair(name, args, seed=0):
    torch.manual_seed(seed)
    ref = getattr(tt.ssm, name)(*args)
    torch.manual_seed(seed)
    ours = getattr(snn_ssm, name)(*args)
    return ref, ours


def state_names(layer):
    return sorted(layer._state_names) if hasattr(layer, "_state_names") else []


@pytest.mark.parametrize(("name", "args", "shape"), CONFIGS, ids=IDS)
def test_same_seed_same_parameters_and_state_dict_keys(name, args, shape):
    ref, ours = make_pair(name, args, seed=321)
    ref_sd, our_sd = ref.state_dict(), ours.state_dict()
    assert list(our_sd) == list(ref_sd)
    for key in ref_sd:
        assert torch.equal(our_sd[key], ref_sd[key]), key
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert sorted(ours.state_names) == state_names(ref)


@pytest.mark.parametrize(("name", "args", "shape"), CONFIGS, ids=IDS)
def test_outputs_states_and_gradients_over_many_steps(name, args, shape):
    ref, _ = make_pair(name, args, seed=1)
    _, ours = make_pair(name, args, seed=2)
    ours.load_state_dict(ref.state_dict(), strict=True)  # traceTorch's state_dict loads unchanged
    g = torch.Generator().manual_seed(9)
    xs = 2 * torch.randn(100, *shape, generator=g)
    x_ref = xs.clone().requires_grad_(True)
    x_our = xs.clone().requires_grad_(True)
    out_ref = torch.stack([ref(x) for x in x_ref.unbind(0)])
    out_our = torch.stack([ours(x) for x in x_our.unbind(0)])
    assert torch.equal(out_our, out_ref)  # same operations in the same order: bitwise
    for s in ours.state_names:
        assert torch.equal(getattr(ours, s), getattr(ref, s)), s
    weights = torch.randn(out_ref.shape, generator=g)
    (out_ref * weights).sum().backward()
    (out_our * weights).sum().backward()
    torch.testing.assert_close(x_our.grad, x_ref.grad, atol=1e-5, rtol=1e-5)
    for (n, p_our), p_ref in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p_our.grad, p_ref.grad, atol=1e-4, rtol=1e-5, msg=n)


@pytest.mark.parametrize(("name", "args", "shape"), CONFIGS, ids=IDS)
def test_sequence_matches_reference_loop(name, args, shape):
    ref, _ = make_pair(name, args, seed=3)
    _, ours = make_pair(name, args, seed=4)
    ours.load_state_dict(ref.state_dict())
    g = torch.Generator().manual_seed(10)
    warmup = torch.randn(*shape, generator=g)
    with torch.no_grad():
        ref(warmup)
        ours(warmup)  # both start from the same non-zero state
    xs = 2 * torch.randn(200, *shape, generator=g)
    x_ref = xs.clone().requires_grad_(True)
    x_our = xs.clone().requires_grad_(True)
    out_ref = torch.stack([ref(x) for x in x_ref.unbind(0)])
    out_our = ours.sequence(x_our)
    scale = out_ref.abs().max().item()
    torch.testing.assert_close(out_our, out_ref, atol=1e-5 * max(1.0, scale), rtol=1e-4)
    for s in ours.state_names:
        torch.testing.assert_close(getattr(ours, s), getattr(ref, s), atol=1e-5 * max(1.0, scale), rtol=1e-4)
    weights = torch.randn(out_ref.shape, generator=g)
    (out_ref * weights).sum().backward()
    (out_our * weights).sum().backward()
    torch.testing.assert_close(x_our.grad, x_ref.grad, atol=1e-4, rtol=1e-4)
    for (n, p_our), p_ref in zip(ours.named_parameters(), ref.parameters()):
        tol = 1e-4 * max(1.0, p_ref.grad.abs().max().item())
        torch.testing.assert_close(p_our.grad, p_ref.grad, atol=tol, rtol=1e-3, msg=n)


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("S4", (3, 4), [[0, -0.013520, -0.050475], [0.036687, -0.032583, -0.069921],
                     [0.070991, -0.043532, -0.070722], [0.089816, -0.043853, -0.053600]]),
    ("Mamba", (3, 4, -1, -1, 3), [[-0.000801, 0.296796, 0.566578], [0.478656, 0.718373, 0.892881],
                                   [0.842002, 0.960193, 0.996050], [0.998640, 0.966862, 0.855852]]),
])  # fmt: skip
def test_reference_and_spec_numbers_agree(name, args, expected):
    """The spec's §7.5 numbers are what the installed reference produces (guards the spec itself)."""
    ref = getattr(tt.ssm, name)(*args)
    names = {"S4": ["B", "C", "log_dt", "D"],
             "Mamba": ["in_proj.weight", "out_proj.weight", "conv_weights", "conv_bias", "ssm_proj.weight",
                       "dt_proj.weight"]}[name]  # fmt: skip
    params = dict(ref.named_parameters())
    with torch.no_grad():
        for k, n in enumerate(names):
            j = torch.arange(params[n].numel(), dtype=torch.float64)
            params[n].copy_((0.25 * torch.cos(0.37 * j + 0.5 * k)).reshape(params[n].shape))
    ours = getattr(snn_ssm, name)(*args)
    ours.load_state_dict(ref.state_dict())
    xs = torch.sin(0.5 * torch.arange(4.0)[:, None] + 0.3 * torch.arange(3.0)[None, :]).unsqueeze(1)
    out_ref = torch.cat([ref(x) for x in xs])
    torch.testing.assert_close(out_ref, torch.tensor(expected), atol=1.5e-6, rtol=0)
    assert torch.equal(torch.cat([ours(x) for x in xs]), out_ref)


def test_tracetorch_state_file_loads_into_mixed_model():
    class Ref(tt.Model):
        def __init__(self):
            super().__init__()
            self.lif = tt.snn.LIB(4)
            self.net = nn.Sequential(tt.ssm.S4(4, 3), tt.rnn.GRU(4, 4), tt.ssm.Mamba(4, 3), tt.ssm.S5(4, 2))

        def forward(self, x):
            return self.net(self.lif(x))

    class Leaky(snn_core.Layer):
        """Stand-in for snn_tracelayers.LIB (not a dependency here): only its state name matters."""

        def __init__(self, n):
            super().__init__(n)
            self._initialize_state("mem")

        def forward(self, x):
            self._ensure_states(x)
            self.mem = 0.5 * self.mem + x
            return self.mem

    class Ours(snn_core.Model):
        def __init__(self):
            super().__init__()
            self.lif = Leaky(4)
            self.net = nn.Sequential(snn_ssm.S4(4, 3), _rnn_gru(4, 4), snn_ssm.Mamba(4, 3), snn_ssm.S5(4, 2))

        def forward(self, x):
            return self.net(x)

    ref, ours = Ref(), Ours()
    ours.net.load_state_dict(ref.net.state_dict(), strict=True)
    for x in torch.randn(8, 2, 4):
        ref(x)
    ours.load_states(ref.save_states(), strict=True)
    x = torch.randn(2, 4)
    assert torch.equal(ours(x), ref.net(x))


def _rnn_gru(n_in, n_out):
    snn_rnn = pytest.importorskip("snn_rnn")
    return snn_rnn.GRU(n_in, n_out)
