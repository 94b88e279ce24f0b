"""Parity of the 32 snn_tracelayers layers with traceTorch 0.19.2 (tracetorch.md §4.1, §5).

For every layer, on the last axis and on another axis: the reference's ``state_dict`` loads strictly
and unchanged, then outputs, every state, input gradients and raw-parameter gradients are compared
over many steps with inputs strong enough to fire and reset (smooth and ``round_ste`` spikes).
"""

from __future__ import annotations

import inspect

import pytest
import torch

tt = pytest.importorskip("tracetorch")

import snn_core  # noqa: E402
import snn_tracelayers as st  # noqa: E402

NAMES = st.LAYER_NAMES
N = 5
T = 60
LAYOUTS = {"last": (-1, (3, N)), "axis1": (1, (2, N, 4))}


def randomize(layer: torch.nn.Module, seed: int) -> None:
    """Give every raw parameter of a reference layer a distinct, non-default value."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in layer.state_dict().items():
            noise = torch.randn(tensor.shape, generator=gen)
            if "alpha" in name or "beta" in name or "gamma" in name:
                value = 1.0 + noise
            elif "threshold" in name:
                value = 0.3 + 0.4 * noise
            elif "bias" in name:
                value = 0.2 * noise
            elif "scale" in name:
                value = 1.0 + 0.4 * noise
            else:  # rec weights
                value = 0.6 * noise
            tensor.copy_(value)


def inputs(shape, seed: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    xs = []
    for t in range(T):
        x = 1.5 * torch.randn(shape, generator=gen)
        x[torch.rand(shape, generator=gen) < 0.15] = 0.0  # exact zeros exercise the sign splits
        if t % 17 == 16:
            x = torch.zeros(shape)
        xs.append(x)
    return xs


def pair(name: str, dim: int, quant: str | None = None):
    theirs = getattr(tt.snn, name)(N, dim=dim, **({"quant_fn": tt.functional.round_ste()} if quant else {}))
    ours = getattr(st, name)(N, dim=dim, **({"quant_fn": snn_core.round_ste()} if quant else {}))
    randomize(theirs, seed=sum(map(ord, name)))
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


def run(layer, xs, states_of):
    xs = [x.clone().requires_grad_(True) for x in xs]
    outs, trajectories = [], []
    for x in xs:
        outs.append(layer(x))
        trajectories.append({k: getattr(layer, k).detach().clone() for k in states_of})
    return xs, torch.stack(outs), trajectories


CASES = [
    (name, layout, quant)
    for name in NAMES
    for layout in LAYOUTS
    for quant in ([None, "round"] if getattr(st, name).recipe.firing is not None else [None])
]


@pytest.mark.parametrize(("name", "layout", "quant"), CASES)
def test_outputs_states_and_gradients(name: str, layout: str, quant: str | None) -> None:
    dim, shape = LAYOUTS[layout]
    ours, theirs = pair(name, dim, quant)
    state_names = ours.state_names
    assert set(state_names) == set(theirs._state_names)
    xs = inputs(shape, seed=len(name))
    xo, out_o, traj_o = run(ours, xs, state_names)
    xt, out_t, traj_t = run(theirs, xs, state_names)
    assert out_o.shape == out_t.shape
    assert torch.allclose(out_o, out_t, atol=1e-6, rtol=1e-5), (out_o - out_t).abs().max()
    if quant is None:
        assert out_t.abs().max() > 0.3  # strong enough to fire
    for step, (a, b) in enumerate(zip(traj_o, traj_t)):
        for k in state_names:
            assert torch.allclose(a[k], b[k], atol=1e-5, rtol=1e-5), (step, k)
    weights = torch.linspace(-1.0, 2.0, out_o.numel()).view_as(out_o)
    (out_o * weights).sum().backward()
    (out_t * weights).sum().backward()
    for a, b in zip(xo, xt):
        assert torch.allclose(a.grad, b.grad, atol=1e-4, rtol=1e-4)
    theirs_params = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        ref = theirs_params[pname].grad
        assert torch.allclose(p.grad, ref, atol=1e-4, rtol=1e-4), (pname, (p.grad - ref).abs().max())


@pytest.mark.parametrize("name", NAMES)
def test_sequence_matches_reference_loop(name: str) -> None:
    dim, shape = LAYOUTS["axis1"]
    ours, theirs = pair(name, dim)
    xs = inputs(shape, seed=7)
    expected = torch.stack([theirs(x) for x in xs])
    got = ours.sequence(torch.stack(xs))
    assert torch.allclose(got, expected, atol=1e-6, rtol=1e-5)
    for k in ours.state_names:
        assert torch.allclose(getattr(ours, k), getattr(theirs, k), atol=1e-5, rtol=1e-5), k


@pytest.mark.parametrize("name", NAMES)
def test_construction_signature_state_dict_and_defaults(name: str) -> None:
    ours_cls, theirs_cls = getattr(st, name), getattr(tt.snn, name)
    sig_o = inspect.signature(ours_cls).parameters
    sig_t = inspect.signature(theirs_cls).parameters
    assert [p for p in sig_o if p != "backend"] == list(sig_t)
    for p, param in sig_t.items():
        if p not in ("spike_fn", "quant_fn"):
            assert sig_o[p].default == param.default, p
    ours, theirs = ours_cls(4), theirs_cls(4)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[k], v), k
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    # rank 0, tensor values and learn flags
    kwargs = {f"{d.name}_rank": 0 for d in ours_cls.recipe.params}
    kwargs[f"learn_{ours_cls.recipe.params[0].name}"] = False
    ours, theirs = ours_cls(4, **kwargs), theirs_cls(4, **kwargs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in theirs.state_dict().items()
    ]


@pytest.mark.parametrize("name", ["LIB", "DSRLITS", "SLIEMA", "DRLIT"])
def test_ttcompile_matches(name: str) -> None:
    ours, theirs = pair(name, -1)
    ours.TTcompile()
    theirs.TTcompile()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[k], v), k
    xs = inputs((3, N), seed=3)
    with torch.no_grad():
        a = torch.stack([ours(x) for x in xs])
        b = torch.stack([theirs(x) for x in xs])
    assert torch.allclose(a, b, atol=1e-6)


def test_model_state_files_interchange() -> None:
    class Ref(tt.Model):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(3, N), tt.snn.DSRLIB(N), torch.nn.Linear(N, N), tt.snn.LI(N)
            )

        def forward(self, x):
            return self.net(x)

    class Ours(snn_core.Model):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(3, N), st.DSRLIB(N), torch.nn.Linear(N, N), st.LI(N)
            )

        def forward(self, x):
            return self.net(x)

    ref, ours = Ref(), Ours()
    ours.load_state_dict(ref.state_dict(), strict=True)
    torch.manual_seed(0)
    for _ in range(10):
        x = torch.randn(2, 3)
        assert torch.allclose(ours(x), ref(x), atol=1e-6)
    fresh = Ours()
    fresh.load_state_dict(ref.state_dict())
    fresh.load_states(ref.save_states())  # traceTorch's duplicate-key file, strict
    x = torch.randn(2, 3)
    assert torch.allclose(fresh(x), ref(x), atol=1e-6)
