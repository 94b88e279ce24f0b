"""LIBoxCell and LIBox: numbers equal looping ``li_box_feed_forward_step``; states, dtypes, gradients."""

from __future__ import annotations

import doctest
import math

import pytest
import torch

import snn_core
import snn_neurons as sn
import snn_neurons.modules.li_box as li_box_module

T, B, N = 40, 3, 5
# per-neuron membrane rates and a non-zero leak, so broadcasting and v_leak both matter
P = sn.LIBoxParameters(tau_mem_inv=torch.linspace(50.0, 400.0, N), v_leak=torch.tensor(-0.25))


def drive(
    seed: int = 0, shape: tuple[int, ...] = (T, B, N), dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g, dtype=dtype) * 2 - 0.5) * 3.0


def loop_step(xs: torch.Tensor, p: sn.LIBoxParameters, dt: float, v0: torch.Tensor):
    """The reference: the functional step looped by hand from ``v0``."""
    state, outs, states = sn.LIBoxState(v0), [], []
    for x in xs.unbind(0):
        out, state = sn.li_box_feed_forward_step(x, state, p, dt)
        outs.append(out)
        states.append(state.v)
    return torch.stack(outs), state, torch.stack(states)


def run_cell(cell: torch.nn.Module, xs: torch.Tensor, state=None):
    outs = []
    for x in xs.unbind(0):
        out, state = cell(x, state)
        outs.append(out)
    return torch.stack(outs), state


def test_exported_from_the_top_level() -> None:
    assert {"LIBox", "LIBoxCell"} <= set(sn.__all__)
    assert sn.LIBoxCell is li_box_module.LIBoxCell and sn.LIBox is li_box_module.LIBox


@pytest.mark.parametrize("dt", [0.001, 0.0025])
def test_cell_equals_the_step_loop_bitwise(dt: float) -> None:
    xs = drive()
    ours, state = run_cell(sn.LIBoxCell(P, dt=dt), xs)
    ref, ref_state, _ = loop_step(xs, P, dt, torch.full((B, N), -0.25))
    assert torch.equal(ours, ref)
    assert torch.equal(state.v, ref_state.v)
    assert torch.equal(ours[-1], state.v)  # the output is the voltage
    assert ours.abs().max() > 0.5  # the inputs moved the voltages


@pytest.mark.parametrize("dt", [0.001, 0.0025])
def test_layer_equals_the_step_loop_bitwise(dt: float) -> None:
    xs = drive(1)
    ours, state = sn.LIBox(P, dt=dt)(xs)
    ref, ref_state, _ = loop_step(xs, P, dt, torch.full((B, N), -0.25))
    assert ours.shape == (T, B, N) and state.v.shape == (B, N)
    assert torch.equal(ours, ref)
    assert torch.equal(state.v, ref_state.v)
    ours_torch, _ = sn.LIBox(P, dt=dt, backend="torch")(xs)
    assert torch.equal(ours_torch, ref)


def test_constant_input_follows_the_closed_form() -> None:
    # v_t = (v_leak + x) + (v_0 - v_leak - x) (1 - dt/tau)^t for a constant x
    p = sn.LIBoxParameters(tau_mem_inv=torch.tensor(100.0, dtype=torch.float64), v_leak=torch.tensor(0.5))
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
    v, _ = sn.LIBox(p)(x.expand(50, 3))
    t = torch.arange(1, 51, dtype=torch.float64)[:, None]
    expected = (0.5 + x) + (0.5 - 0.5 - x) * 0.9**t
    torch.testing.assert_close(v, expected, rtol=1e-12, atol=1e-12)
    assert v[0].tolist() == pytest.approx([0.4, 0.5, 0.7])  # 0.5 + 0.1 * (0 + x)


def test_defaults_by_hand() -> None:
    v, s = sn.LIBoxCell()(torch.full((2,), 3.0))
    assert v.tolist() == pytest.approx([0.3, 0.3])  # 0 + 0.001 * 100 * (0 - 0 + 3)
    v, _ = sn.LIBoxCell()(torch.full((2,), 3.0), s)
    assert v.tolist() == pytest.approx([0.57, 0.57])  # 0.3 + 0.1 * (3 - 0.3)


def test_initial_state_is_v_leak_full_shape_and_detached() -> None:
    v_leak = torch.tensor(0.75, requires_grad=True)
    p = sn.LIBoxParameters(v_leak=v_leak)
    x = torch.zeros(4, 6, dtype=torch.float64)
    state = sn.LIBoxCell(p).initial_state(x)
    assert state.v.shape == (4, 6) and state.v.dtype == torch.float64
    assert torch.all(state.v == 0.75) and not state.v.requires_grad
    layer_state = sn.LIBox(p).initial_state(torch.zeros(7, 4, 6))
    assert layer_state.v.shape == (4, 6) and torch.all(layer_state.v == 0.75)
    # with zero input the voltage rests at v_leak
    v, _ = sn.LIBox(p)(torch.zeros(5, 4, 6))
    assert torch.all(v == 0.75)


def test_state_continues_a_split_sequence() -> None:
    xs = drive(2)
    layer = sn.LIBox(P)
    whole, s_whole = layer(xs)
    first, s = layer(xs[:15])
    second, s = layer(xs[15:], s)
    assert torch.equal(torch.cat([first, second]), whole)
    assert torch.equal(s.v, s_whole.v)


def test_norse_style_zero_dim_state_is_accepted() -> None:
    xs = drive(3)
    out, _ = run_cell(sn.LIBoxCell(P), xs, sn.LIBoxState(torch.tensor(-0.25)))
    ref, _ = run_cell(sn.LIBoxCell(P), xs)
    assert torch.equal(out, ref)


def test_mismatched_state_raises() -> None:
    _, s = sn.LIBoxCell()(torch.ones(4, 3))
    with pytest.raises(ValueError, match=r"state.v has shape \(4, 3\).*input of shape \(2, 3\)"):
        sn.LIBoxCell()(torch.ones(2, 3), s)
    with pytest.raises(ValueError, match=r"state.v has shape \(4, 3\)"):
        sn.LIBox()(torch.ones(5, 2, 3), s)


def test_record_states_stacks_every_step() -> None:
    xs = drive(4)
    out, states = sn.LIBox(P, record_states=True)(xs)
    _, _, ref_states = loop_step(xs, P, 0.001, torch.full((B, N), -0.25))
    assert isinstance(states, sn.LIBoxState) and states.v.shape == (T, B, N)
    assert torch.equal(states.v, ref_states)
    assert torch.equal(out, states.v)


def test_invalid_arguments_raise() -> None:
    with pytest.raises(ValueError, match="tau_mem_inv must be finite and >= 0"):
        sn.LIBoxCell(sn.LIBoxParameters(tau_mem_inv=torch.tensor(-1.0)))
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        sn.LIBoxCell(dt=0.0)
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        sn.LIBox(dt=-1e-3)
    with pytest.raises(ValueError, match="time-first"):
        sn.LIBox()(torch.zeros(0, 3))


def test_unavailable_backend_raises_at_forward() -> None:
    layer = sn.LIBox(backend="cuda")
    with pytest.raises(snn_core.BackendUnavailableError, match="backend='cuda'"):
        layer(torch.ones(3, 2))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_dtype_follows_the_input(dtype: torch.dtype) -> None:
    # 0-dim float32 parameters keep the input's dtype (per-neuron float32 tensors would promote it)
    p = sn.LIBoxParameters(tau_mem_inv=torch.tensor(230.0), v_leak=torch.tensor(-0.25))
    xs = drive(5, dtype=dtype)
    out, s = sn.LIBox(p)(xs)
    cell_out, cell_s = run_cell(sn.LIBoxCell(p), xs)
    assert out.dtype == s.v.dtype == cell_out.dtype == cell_s.v.dtype == dtype
    ref, _, _ = loop_step(xs, p, 0.001, torch.full((B, N), -0.25, dtype=dtype))
    assert torch.equal(out, ref) and torch.equal(cell_out, ref)
    assert out.abs().max() > 0.5


def test_per_neuron_float32_parameters_promote_half_inputs() -> None:
    out, s = sn.LIBox(P)(drive(5, dtype=torch.float16))
    assert out.dtype == s.v.dtype == torch.float32


def test_integer_input_gives_default_float_states() -> None:
    out, s = sn.LIBoxCell()(torch.ones(3, dtype=torch.int64))
    assert s.v.dtype == torch.float32 and out.tolist() == pytest.approx([0.1] * 3)


def test_device_follows_the_input() -> None:
    # meta tensors carry shapes and devices but no values: the state is created on the input's device
    v, s = sn.LIBoxCell()(torch.ones(2, 3, device="meta"))
    assert v.device.type == s.v.device.type == "meta" and v.shape == (2, 3)
    v, s = sn.LIBox()(torch.ones(4, 2, 3, device="meta"))
    assert v.device.type == "meta" and v.shape == (4, 2, 3) and s.v.shape == (2, 3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_equals_cpu() -> None:
    xs = drive(6)
    p_cuda = sn.LIBoxParameters(*(t.cuda() for t in P))
    out, s = sn.LIBox(p_cuda)(xs.cuda())
    ref, ref_s = sn.LIBox(P)(xs)
    assert out.is_cuda and s.v.is_cuda
    torch.testing.assert_close(out.cpu(), ref, rtol=1e-6, atol=1e-6)


def test_gradients_equal_the_step_loop() -> None:
    xs = drive(7, dtype=torch.float64).requires_grad_(True)
    tau = torch.linspace(50.0, 400.0, N, dtype=torch.float64).requires_grad_(True)
    p = sn.LIBoxParameters(tau_mem_inv=tau, v_leak=torch.tensor(-0.25))
    weights = torch.linspace(-1.0, 1.0, T * B * N, dtype=torch.float64).reshape(T, B, N)

    out, _ = sn.LIBox(p)(xs)
    g_x, g_tau = torch.autograd.grad((out * weights).sum(), (xs, tau))
    ref, _, _ = loop_step(xs, p, 0.001, torch.full((B, N), -0.25, dtype=torch.float64))
    r_x, r_tau = torch.autograd.grad((ref * weights).sum(), (xs, tau))
    assert torch.equal(g_x, r_x) and torch.equal(g_tau, r_tau)
    assert g_tau.abs().min() > 0  # every neuron's rate gets a gradient

    cell_out, _ = run_cell(sn.LIBoxCell(p), xs)
    c_x, c_tau = torch.autograd.grad((cell_out * weights).sum(), (xs, tau))
    assert torch.equal(c_x, r_x) and torch.equal(c_tau, r_tau)


def test_gradcheck_input_and_rates() -> None:
    xs = drive(8, shape=(6, 2, 3), dtype=torch.float64).requires_grad_(True)
    tau = torch.tensor([30.0, 120.0, 500.0], dtype=torch.float64, requires_grad=True)

    def run(x: torch.Tensor, rates: torch.Tensor) -> torch.Tensor:
        return sn.LIBox(sn.LIBoxParameters(tau_mem_inv=rates))(x)[0]

    assert torch.autograd.gradcheck(run, (xs, tau))


def test_input_gradient_of_the_last_voltage_decays_geometrically() -> None:
    # dv_T/dx_t = a (1 - a)^(T - t) with a = dt * tau_mem_inv = 0.1
    xs = torch.zeros(10, 1, dtype=torch.float64, requires_grad=True)
    p = sn.LIBoxParameters(tau_mem_inv=torch.tensor(100.0, dtype=torch.float64))
    v, _ = sn.LIBox(p)(xs)
    (grad,) = torch.autograd.grad(v[-1].sum(), xs)
    expected = torch.tensor([0.1 * 0.9 ** (9 - t) for t in range(10)], dtype=torch.float64)
    torch.testing.assert_close(grad[:, 0], expected, rtol=1e-12, atol=0.0)
    assert math.isclose(float(grad.sum()), 1 - 0.9**10, rel_tol=1e-12)


def test_docstring_examples() -> None:
    globs = {"torch": torch, **{n: getattr(sn, n) for n in sn.__all__}}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(li_box_module, extraglobs=globs, optionflags=flags, verbose=False)
    assert result.attempted >= 5
    assert result.failed == 0
