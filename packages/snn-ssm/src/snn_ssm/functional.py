r"""Pure functions of the S4, S5, S6 and Mamba layers: one step and whole sequences.

Everything here works in the *working layout*: the feature axis (size $N$) is last, per-feature
latent states carry a trailing axis of size $d$ (``[..., N, d]``), S5's shared latent state is
``[..., d]`` and Mamba's convolution buffer is ``[..., N, K]``. Each ``*_step`` function advances one
time step, ``step(x, state, p) -> (y, state)``; each ``*_sequence`` function takes a time-first input
``[T, ..., N]`` and returns every output and the final state, equal to looping the step function up to
floating-point round-off (the recurrences run through the chunked scans of :mod:`snn_ssm.scan`).

Zero-order-hold discretisation used by all four models, with $A = -e^{A_{\log}}$:

$$\bar A = e^{\Delta A}, \qquad \bar B = \frac{\bar A - 1}{A}\, B .$$

There is no ``dt`` argument: the step size $\Delta$ is a learned parameter (S4, S5) or computed from
the input (S6, Mamba).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .scan import lti_output_scan, lti_scan, selective_scan

__all__ = [
    "MambaParameters",
    "MambaState",
    "S4Parameters",
    "S5Parameters",
    "S6Parameters",
    "causal_conv_sequence",
    "causal_conv_step",
    "mamba_sequence",
    "mamba_step",
    "s4_discretize",
    "s4_sequence",
    "s4_step",
    "s5_discretize",
    "s5_sequence",
    "s5_step",
    "s6_sequence",
    "s6_step",
    "default_block_size",
    "selective_discretize",
    "selective_projections",
    "selective_zoh",
]

_SELECTIVE_EPS = 1e-12


class S4Parameters(NamedTuple):
    """Parameters of :func:`s4_step` (the names of :class:`snn_ssm.S4`'s parameters).

    Attributes:
        A_log: ``[N, d]``, $A = -e^{A_{\\log}}$.
        B: ``[N, d]`` input weights.
        C: ``[N, d]`` output weights.
        log_dt: ``[N]``, $\\Delta = e^{\\text{log\\_dt}}$ per feature.
        D: ``[N]`` skip weights.
    """

    A_log: Tensor
    B: Tensor
    C: Tensor
    log_dt: Tensor
    D: Tensor


class S5Parameters(NamedTuple):
    """Parameters of :func:`s5_step` (the names of :class:`snn_ssm.S5`'s parameters).

    Attributes:
        A_log: ``[d]``, $A = -e^{A_{\\log}}$.
        B: ``[N, d]`` projection of the input into the shared state.
        C: ``[d, N]`` projection of the shared state to the output.
        D: ``[N]`` skip weights.
        log_dt: ``[1]``, one shared $\\Delta = e^{\\text{log\\_dt}}$.
    """

    A_log: Tensor
    B: Tensor
    C: Tensor
    D: Tensor
    log_dt: Tensor


class S6Parameters(NamedTuple):
    """Parameters of the selective core of :func:`s6_step` and :func:`mamba_step`.

    Attributes:
        A_log: ``[N, d]``, $A = -e^{A_{\\log}}$.
        D: ``[N]`` skip weights.
        x_proj_weight: ``[r + 2d, N]``, maps the input to $(\\delta, B_t, C_t)$ (no bias).
        dt_proj_weight: ``[N, r]``, maps $\\delta$ to the per-feature step size.
        dt_proj_bias: ``[N]``.
    """

    A_log: Tensor
    D: Tensor
    x_proj_weight: Tensor
    dt_proj_weight: Tensor
    dt_proj_bias: Tensor


class MambaParameters(NamedTuple):
    """Parameters of :func:`mamba_step` (``conv_*`` are ``None`` when the kernel size is 1).

    Attributes:
        in_proj_weight: ``[2N, N]``; first half main branch, second half gate.
        out_proj_weight: ``[N, N]``.
        conv_weights: ``[N, K]`` causal depthwise convolution (oldest sample first) or ``None``.
        conv_bias: ``[N]`` or ``None``.
        core: the selective core (:class:`S6Parameters`; ``x_proj_weight`` is Mamba's ``ssm_proj``).
    """

    in_proj_weight: Tensor
    out_proj_weight: Tensor
    conv_weights: Tensor | None
    conv_bias: Tensor | None
    core: S6Parameters


class MambaState(NamedTuple):
    """State of :func:`mamba_step`.

    Attributes:
        conv_buffer: ``[..., N, K]`` the last $K$ main-branch inputs, newest last (``None`` when $K = 1$).
        ssm_state: ``[..., N, d]`` the selective core's state.
    """

    conv_buffer: Tensor | None
    ssm_state: Tensor


# ----------------------------------------------------------------------------------------------------- S4


def s4_discretize(p: S4Parameters) -> tuple[Tensor, Tensor]:
    r"""Zero-order hold of S4: $\bar A = e^{\Delta A}$, $\bar B = (\bar A - 1)/A \odot B$, ``[N, d]`` each."""
    step = torch.exp(p.log_dt).unsqueeze(-1)
    a = -torch.exp(p.A_log)
    a_bar = torch.exp(step * a)
    return a_bar, (a_bar - 1) / a * p.B


def s4_step(x: Tensor, state: Tensor, p: S4Parameters) -> tuple[Tensor, Tensor]:
    r"""One S4 step: a diagonal SSM of size $d$ per feature.

    $$h \leftarrow \bar A \odot h + \bar B\, x, \qquad y = \sum_d h \odot C + D \odot x .$$

    Args:
        x: input ``[..., N]``.
        state: $h$, ``[..., N, d]``.
        p: parameters.

    Returns:
        ``(y, h)`` with ``y`` shaped like ``x``.
    """
    a_bar, b_bar = s4_discretize(p)
    h = state * a_bar + b_bar * x.unsqueeze(-1)
    return torch.sum(h * p.C, dim=-1) + x * p.D, h


def _flatten_batch(x: Tensor) -> tuple[Tensor, tuple[int, ...]]:
    """``[T, *batch, N] -> [T, M, N]`` and the batch shape."""
    batch_shape = tuple(x.shape[1:-1])
    return x.reshape(x.shape[0], -1, x.shape[-1]), batch_shape


def s4_sequence(
    x: Tensor, state: Tensor, p: S4Parameters, *, chunk_size: int | None = None
) -> tuple[Tensor, Tensor]:
    """S4 over a time-first sequence ``x [T, ..., N]`` (equals looping :func:`s4_step`).

    Uses :func:`snn_ssm.scan.lti_output_scan`: the ``[T, ..., N, d]`` states are never formed.

    Args:
        x: inputs ``[T, ..., N]``.
        state: $h$ before the first step, ``[..., N, d]``.
        p: parameters.
        chunk_size: chunk length of the scan (default chosen from $T$).

    Returns:
        ``(y, h)``: outputs ``[T, ..., N]`` and the final state ``[..., N, d]``.
    """
    a_bar, b_bar = s4_discretize(p)
    flat, batch_shape = _flatten_batch(x)
    h0 = state.expand(*batch_shape, *a_bar.shape).reshape(-1, *a_bar.shape)
    y, h = lti_output_scan(a_bar, b_bar, p.C, flat, h0, chunk_size=chunk_size)
    y = y.reshape(x.shape) + x * p.D
    return y, h.reshape(*batch_shape, *a_bar.shape)


# ----------------------------------------------------------------------------------------------------- S5


def s5_discretize(p: S5Parameters) -> tuple[Tensor, Tensor]:
    r"""Zero-order hold of S5 with one shared $\Delta$: $\bar A = e^{\Delta A}$, $\bar B = (\bar A-1)/A$, ``[d]``."""
    step = torch.exp(p.log_dt)
    a = -torch.exp(p.A_log)
    a_bar = torch.exp(step * a)
    return a_bar, (a_bar - 1) / a


def s5_step(x: Tensor, state: Tensor, p: S5Parameters) -> tuple[Tensor, Tensor]:
    r"""One S5 step: a shared latent state of size $d$ driven by all features.

    $$g \leftarrow \bar A \odot g + \bar B \odot (x B), \qquad y = g\,C + D \odot x .$$

    Args:
        x: input ``[..., N]``.
        state: $g$, ``[..., d]``.
        p: parameters.

    Returns:
        ``(y, g)`` with ``y`` shaped like ``x``.
    """
    a_bar, b_bar = s5_discretize(p)
    g = state * a_bar + b_bar * torch.matmul(x, p.B)
    return torch.matmul(g, p.C) + x * p.D, g


def s5_sequence(
    x: Tensor, state: Tensor, p: S5Parameters, *, chunk_size: int | None = None
) -> tuple[Tensor, Tensor]:
    """S5 over a time-first sequence ``x [T, ..., N]`` (equals looping :func:`s5_step`).

    The input projection $xB$ and output projection $gC$ are single matrix products over the whole
    sequence; the recurrence runs through :func:`snn_ssm.scan.lti_scan`.

    Args:
        x: inputs ``[T, ..., N]``.
        state: $g$ before the first step, ``[..., d]``.
        p: parameters.
        chunk_size: chunk length of the scan.

    Returns:
        ``(y, g)``: outputs ``[T, ..., N]`` and the final state ``[..., d]``.
    """
    a_bar, b_bar = s5_discretize(p)
    d_state = a_bar.shape[0]
    flat, batch_shape = _flatten_batch(x)
    u = b_bar * torch.matmul(flat, p.B)
    g0 = state.expand(*batch_shape, d_state).reshape(-1, d_state)
    g, g_last = lti_scan(a_bar, u, g0, chunk_size=chunk_size)
    y = torch.matmul(g, p.C).reshape(x.shape) + x * p.D
    return y, g_last.reshape(*batch_shape, d_state)


# ----------------------------------------------------------------------------------------------- S6 core


def selective_projections(x: Tensor, p: S6Parameters) -> tuple[Tensor, Tensor, Tensor]:
    r"""The input-dependent part of S6: step size and input/output matrices.

    $$(\delta, B_t, C_t) = x W_x^\top, \qquad \Delta = \operatorname{softplus}(\delta W_\Delta^\top + b_\Delta).$$

    Args:
        x: input ``[..., N]``.
        p: parameters.

    Returns:
        ``(step, b_t, c_t)``: $\Delta$ ``[..., N]``, $B_t$ ``[..., d]`` and $C_t$ ``[..., d]``.
    """
    d_state = p.A_log.shape[-1]
    rank = p.dt_proj_weight.shape[-1]
    delta, b_t, c_t = torch.split(F.linear(x, p.x_proj_weight), [rank, d_state, d_state], dim=-1)
    return F.softplus(F.linear(delta, p.dt_proj_weight, p.dt_proj_bias)), b_t, c_t


def selective_zoh(step: Tensor, b_t: Tensor, a_log: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    r"""Zero-order hold of S6 with per-input step: $\bar A = e^{\Delta A}$, $\bar B = \frac{\bar A - 1}{A + 10^{-12}} \odot B_t$.

    Args:
        step: $\Delta$ ``[..., N]``.
        b_t: $B_t$ ``[..., d]``.
        a_log: $A_{\log}$ ``[N, d]``.

    Returns:
        ``(a_bar, b_bar, log_a_bar)``, each ``[..., N, d]`` ($\log \bar A = \Delta A$).
    """
    a = -torch.exp(a_log)
    log_a_bar = step.unsqueeze(-1) * a
    a_bar = torch.exp(log_a_bar)
    b_bar = (a_bar - 1) / (a + _SELECTIVE_EPS) * b_t.unsqueeze(-2)
    return a_bar, b_bar, log_a_bar


def selective_discretize(x: Tensor, p: S6Parameters) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    r"""Input-dependent step size and matrices of the selective SSM (S6) for one step.

    $$(\delta, B_t, C_t) = x W_x^\top, \quad \Delta = \operatorname{softplus}(\delta W_\Delta^\top + b_\Delta),
    \quad \bar A = e^{\Delta A}, \quad \bar B = \frac{\bar A - 1}{A + 10^{-12}} \odot B_t .$$

    Args:
        x: input ``[..., N]``.
        p: parameters.

    Returns:
        ``(a_bar, b_bar, c_t, log_a_bar)``: ``[..., N, d]``, ``[..., N, d]``, ``[..., 1, d]`` and
        $\Delta A = \log \bar A$, ``[..., N, d]``.
    """
    step, b_t, c_t = selective_projections(x, p)
    a_bar, b_bar, log_a_bar = selective_zoh(step, b_t, p.A_log)
    return a_bar, b_bar, c_t.unsqueeze(-2), log_a_bar


def s6_step(x: Tensor, state: Tensor, p: S6Parameters) -> tuple[Tensor, Tensor]:
    r"""One selective-SSM (S6) step; $\Delta$, $B_t$, $C_t$ are computed from ``x`` (see
    :func:`selective_discretize`).

    $$h \leftarrow \bar A \odot h + \bar B\, x, \qquad y = \sum_d h \odot C_t + D \odot x .$$

    Args:
        x: input ``[..., N]``.
        state: $h$, ``[..., N, d]``.
        p: parameters.

    Returns:
        ``(y, h)`` with ``y`` shaped like ``x``.
    """
    a_bar, b_bar, c_t, _ = selective_discretize(x, p)
    h = state * a_bar + b_bar * x.unsqueeze(-1)
    return torch.sum(h * c_t, dim=-1) + x * p.D, h


_BLOCK_ELEMENTS = 1 << 19


def default_block_size(num_steps: int, state_numel: int) -> int:
    """Time steps per block of :func:`s6_sequence`: about $2^{19}$ state elements per block (2 MiB in
    float32, so a block's intermediates stay in cache), at least 8 steps, at most ``num_steps``.

    Args:
        num_steps: sequence length $T$.
        state_numel: elements of one time step's state (batch × $N$ × $d$).

    Returns:
        The block length.
    """
    return max(1, min(num_steps, max(8, _BLOCK_ELEMENTS // max(1, state_numel))))


def s6_sequence(
    x: Tensor,
    state: Tensor,
    p: S6Parameters,
    *,
    chunk_size: int | None = None,
    block_size: int | None = None,
) -> tuple[Tensor, Tensor]:
    """S6 over a time-first sequence ``x [T, ..., N]`` (equals looping :func:`s6_step`).

    The projections act on the whole sequence at once. The discretised ``[T, ..., N, d]`` tensors
    are formed one time block at a time (``block_size`` steps, sized to stay in cache), and each
    block's recurrence runs through :func:`snn_ssm.scan.selective_scan` from the state the
    previous block left.

    Args:
        x: inputs ``[T, ..., N]``.
        state: $h$ before the first step, ``[..., N, d]``.
        p: parameters.
        chunk_size: chunk length of the scan inside a block (default $\\lceil\\sqrt{\\text{block}}\\rceil$).
        block_size: time steps per block (default :func:`default_block_size`).

    Returns:
        ``(y, h)``: outputs ``[T, ..., N]`` and the final state ``[..., N, d]``.

    Raises:
        ValueError: for a ``block_size`` that is not a positive int.
    """
    num_steps = x.shape[0]
    if block_size is None:
        block_size = default_block_size(num_steps, math.prod(x.shape[1:]) * p.A_log.shape[-1])
    elif isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"block_size must be a positive int or None, got {block_size!r}")
    step, b_t, c_t = selective_projections(x, p)
    if num_steps == 0:
        return x.new_zeros(x.shape), state
    h = state
    outputs = []
    for x_b, step_b, b_b, c_b in zip(
        x.split(block_size), step.split(block_size), b_t.split(block_size), c_t.split(block_size)
    ):
        a_bar, b_bar, log_a_bar = selective_zoh(step_b, b_b, p.A_log)
        y, h = selective_scan(
            a_bar, b_bar * x_b.unsqueeze(-1), c_b.unsqueeze(-2), h, log_a=log_a_bar, chunk_size=chunk_size
        )
        outputs.append(y)
    y = outputs[0] if len(outputs) == 1 else torch.cat(outputs)
    return y + x * p.D, h


# ------------------------------------------------------------------------------------------------- Mamba


def causal_conv_step(u: Tensor, buffer: Tensor, weights: Tensor, bias: Tensor) -> tuple[Tensor, Tensor]:
    r"""One step of Mamba's causal depthwise convolution over the last $K$ inputs.

    The buffer shifts left and takes $u$ in its last slot; $c = \sum_k \text{buf}_k w_k + b$.

    Args:
        u: newest input ``[..., N]``.
        buffer: previous $K$ inputs ``[..., N, K]`` (oldest first).
        weights: ``[N, K]``.
        bias: ``[N]``.

    Returns:
        ``(c, buffer)``.
    """
    buffer = torch.cat([buffer[..., 1:], u.unsqueeze(-1)], dim=-1)
    return torch.sum(buffer * weights, dim=-1) + bias, buffer


def causal_conv_sequence(u: Tensor, buffer: Tensor, weights: Tensor, bias: Tensor) -> tuple[Tensor, Tensor]:
    """:func:`causal_conv_step` over a time-first sequence ``u [T, ..., N]`` (sliding windows, no loop).

    Args:
        u: inputs ``[T, ..., N]``.
        buffer: buffer before the first step ``[..., N, K]``.
        weights: ``[N, K]``.
        bias: ``[N]``.

    Returns:
        ``(c, buffer)``: outputs ``[T, ..., N]`` and the final buffer ``[..., N, K]``.
    """
    kernel = weights.shape[-1]
    num_steps = u.shape[0]
    if num_steps == 0:
        return u.new_zeros(u.shape), buffer
    history = buffer.expand(*u.shape[1:], kernel)[..., 1:].movedim(-1, 0)  # [K-1, ..., N]
    padded = torch.cat([history, u])  # [T+K-1, ..., N]
    windows = padded.unfold(0, kernel, 1)  # [T, ..., N, K]
    c = torch.sum(windows * weights, dim=-1) + bias
    return c, padded[num_steps - 1 :].movedim(0, -1)


def _conv_operands(p: MambaParameters, buffer: Tensor | None) -> tuple[Tensor, Tensor, Tensor] | None:
    """``(buffer, weights, bias)`` of the block's causal convolution, or ``None`` when ``p`` has none."""
    if p.conv_weights is None:
        return None
    if p.conv_bias is None or buffer is None:
        raise TypeError(
            f"p.conv_weights is a tensor, so p.conv_bias and state.conv_buffer must be tensors too; got "
            f"conv_bias={type(p.conv_bias).__name__}, conv_buffer={type(buffer).__name__}"
        )
    return buffer, p.conv_weights, p.conv_bias


def _gate_and_project(y_core: Tensor, gate: Tensor, x: Tensor, p: MambaParameters) -> Tensor:
    return F.linear(y_core * F.silu(gate), p.out_proj_weight) + x


def mamba_step(x: Tensor, state: MambaState, p: MambaParameters) -> tuple[Tensor, MambaState]:
    r"""One step of the Mamba block.

    $$[u, g] = x W_{\text{in}}^\top, \quad c = \operatorname{SiLU}(\operatorname{conv}_K(u)), \quad
    y = \big(\operatorname{S6}(c) \odot \operatorname{SiLU}(g)\big) W_{\text{out}}^\top + x .$$

    The convolution is skipped ($c = \operatorname{SiLU}(u)$) when ``p.conv_weights`` is ``None``.

    Args:
        x: input ``[..., N]``.
        state: convolution buffer and selective state.
        p: parameters.

    Returns:
        ``(y, state)`` with ``y`` shaped like ``x``.
    """
    main, gate = F.linear(x, p.in_proj_weight).chunk(2, dim=-1)
    buffer = state.conv_buffer
    conv = _conv_operands(p, buffer)
    if conv is not None:
        main, buffer = causal_conv_step(main, *conv)
    main = F.silu(main)
    y_core, h = s6_step(main, state.ssm_state, p.core)
    return _gate_and_project(y_core, gate, x, p), MambaState(buffer, h)


def mamba_sequence(
    x: Tensor,
    state: MambaState,
    p: MambaParameters,
    *,
    chunk_size: int | None = None,
    block_size: int | None = None,
) -> tuple[Tensor, MambaState]:
    """The Mamba block over a time-first sequence ``x [T, ..., N]`` (equals looping :func:`mamba_step`).

    Args:
        x: inputs ``[T, ..., N]``.
        state: state before the first step.
        p: parameters.
        chunk_size: chunk length of the selective scan.
        block_size: time steps per block of the selective scan (see :func:`s6_sequence`).

    Returns:
        ``(y, state)``: outputs ``[T, ..., N]`` and the final state.
    """
    main, gate = F.linear(x, p.in_proj_weight).chunk(2, dim=-1)
    buffer = state.conv_buffer
    conv = _conv_operands(p, buffer)
    if conv is not None:
        main, buffer = causal_conv_sequence(main, *conv)
    main = F.silu(main)
    y_core, h = s6_sequence(main, state.ssm_state, p.core, chunk_size=chunk_size, block_size=block_size)
    return _gate_and_project(y_core, gate, x, p), MambaState(buffer, h)
