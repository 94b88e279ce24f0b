r"""Chunked scans for diagonal linear recurrences over a time-first sequence.

Every SSM in this package updates its latent state with a diagonal linear recurrence

$$h_t = a_t \odot h_{t-1} + b_t, \qquad t = 0, \dots, T-1,$$

which a step loop evaluates in $T$ dependent steps. The functions here give the same states (up to
floating-point round-off: only the order of the operations changes) in about $2\sqrt{T}$ dependent
steps. The sequence is cut into $C$ chunks of $L \approx \sqrt{T}$ steps. A first pass runs every
chunk from a zero state (all chunks at once, as one batch) to get its end state $e_c$ and its total
decay $P_c = \prod_{l} a_{c,l}$; the incoming states then cross the chunks,

$$h^{\text{in}}_{c+1} = P_c \odot h^{\text{in}}_c + e_c ,$$

and a second pass reruns every chunk from its true incoming state, emitting the states (or, in
:func:`selective_scan`, directly their contraction with the output weights).

For time-invariant decays (S4, S5) the within-chunk part is a causal convolution within the chunk, evaluated
as one batched matrix product with a small Toeplitz matrix (:func:`lti_scan`, :func:`lti_output_scan`).

All functions are plain differentiable PyTorch: no data-dependent Python branching, no ``.item()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

__all__ = [
    "default_chunk_size",
    "linear_scan",
    "lti_output_scan",
    "lti_scan",
    "selective_scan",
    "sequential_scan",
]


def default_chunk_size(num_steps: int) -> int:
    """Chunk length used when none is given: $\\lceil\\sqrt{T}\\rceil$ (at least 1).

    Args:
        num_steps: sequence length $T$.

    Returns:
        The chunk length $L$.
    """
    return max(1, math.ceil(math.sqrt(num_steps)))


def _check_chunk_size(chunk_size: int | None, num_steps: int) -> int:
    if chunk_size is None:
        return default_chunk_size(num_steps)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int or None, got {chunk_size!r}")
    return chunk_size


def _split_time(
    num_steps: int, chunk_size: int, run: Callable[[int, int, int, Tensor], tuple[Tensor, Tensor]], h0: Tensor
) -> tuple[list[Tensor], Tensor]:
    """Run ``run(start, chunks, length, h)`` over the full chunks, then once over the remainder."""
    chunks, rest = divmod(num_steps, chunk_size)
    pieces: list[Tensor] = []
    h = h0
    if chunks:
        out, h = run(0, chunks, chunk_size, h)
        pieces.append(out)
    if rest:
        out, h = run(chunks * chunk_size, 1, rest, h)
        pieces.append(out)
    return pieces, h


def sequential_scan(a: Tensor, b: Tensor, h0: Tensor) -> tuple[Tensor, Tensor]:
    """Reference step loop for $h_t = a_t h_{t-1} + b_t$ (what the chunked scans must reproduce).

    Args:
        a: decays, time-first ``[T, ...]``, broadcastable against ``b``.
        b: inputs, ``[T, ...]``.
        h0: state before the first step, broadcastable to ``b.shape[1:]``.

    Returns:
        ``(h, h_last)``: all states ``[T, ...]`` and the last state.
    """
    h = h0
    states = []
    for a_t, b_t in zip(a.unbind(0), b.unbind(0)):
        h = a_t * h + b_t
        states.append(h)
    return torch.stack(states), h


def linear_scan(
    a: Tensor,
    b: Tensor,
    h0: Tensor | None = None,
    *,
    log_a: Tensor | None = None,
    chunk_size: int | None = None,
) -> tuple[Tensor, Tensor]:
    r"""Chunked scan of $h_t = a_t \odot h_{t-1} + b_t$ with time-varying decays (S6, Mamba).

    Equal to :func:`sequential_scan` up to round-off, in about $2\sqrt{T}$ dependent steps.

    Args:
        a: decays, time-first ``[T, ...]`` with the same shape as ``b``.
        b: inputs ``[T, ...]``.
        h0: state before the first step, broadcastable to ``b.shape[1:]``; zeros when ``None``.
        log_a: optionally $\log a$ (same shape); each chunk's total decay is then
            $e^{\sum_l \log a_l}$ instead of a product.
        chunk_size: chunk length $L$; default $\lceil\sqrt{T}\rceil$.

    Returns:
        ``(h, h_last)``: every state ``[T, ...]`` and the state after the last step.

    Raises:
        ValueError: if ``a``, ``b`` (and ``log_a``) differ in shape, ``b`` has no time axis or ``chunk_size`` is invalid.

    Example:
        >>> a = torch.full((5, 2), 0.5); b = torch.ones(5, 2)
        >>> linear_scan(a, b)[1]
        tensor([1.9375, 1.9375])
    """
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got a {tuple(a.shape)} and b {tuple(b.shape)}")
    if log_a is not None and log_a.shape != a.shape:
        raise ValueError(f"log_a must have the shape of a {tuple(a.shape)}, got {tuple(log_a.shape)}")
    if b.dim() < 1:
        raise ValueError("b must be time-first [T, ...], got a 0-d tensor")
    num_steps = b.shape[0]
    rest_shape = b.shape[1:]
    if h0 is None:
        h0 = b.new_zeros(rest_shape)
    else:
        h0 = h0.expand(rest_shape)
    if num_steps == 0:
        return b.new_zeros(b.shape), h0
    return _two_pass_scan(a, b, None, h0, log_a, _check_chunk_size(chunk_size, num_steps))


def selective_scan(
    a: Tensor,
    b: Tensor,
    c: Tensor,
    h0: Tensor | None = None,
    *,
    log_a: Tensor | None = None,
    chunk_size: int | None = None,
) -> tuple[Tensor, Tensor]:
    r"""Outputs $y_t = \sum_{\text{last axis}} c_t \odot h_t$ of $h_t = a_t \odot h_{t-1} + b_t$ (S6, Mamba).

    Like :func:`linear_scan`, but each state is contracted with $c_t$ as soon as it is formed, so the
    ``[T, ...]`` states are never stacked.

    Args:
        a: decays ``[T, ..., d]``.
        b: inputs, same shape as ``a``.
        c: output weights, broadcastable to ``a`` (e.g. ``[T, M, 1, d]`` against ``[T, M, N, d]``).
        h0: state before the first step, broadcastable to ``b.shape[1:]``; zeros when ``None``.
        log_a: optionally $\log a$ (see :func:`linear_scan`).
        chunk_size: chunk length $L$; default $\lceil\sqrt{T}\rceil$.

    Returns:
        ``(y, h_last)``: outputs ``[T, ...]`` (``a``'s shape without its last axis) and the last state.

    Raises:
        ValueError: on mismatched shapes or an invalid ``chunk_size``.
    """
    if a.shape != b.shape or (log_a is not None and log_a.shape != a.shape):
        shapes = f"a {tuple(a.shape)}, b {tuple(b.shape)}" + (
            "" if log_a is None else f", log_a {tuple(log_a.shape)}"
        )
        raise ValueError(f"a, b and log_a must have the same shape, got {shapes}")
    if b.dim() < 2 or c.dim() != b.dim() or c.shape[0] != b.shape[0]:
        raise ValueError(
            f"expected b [T, ..., d] and c [T, ..., d] of equal rank, got b {tuple(b.shape)}, c {tuple(c.shape)}"
        )
    rest_shape = b.shape[1:]
    h0 = b.new_zeros(rest_shape) if h0 is None else h0.expand(rest_shape)
    if b.shape[0] == 0:
        return b.new_zeros(b.shape[:-1]), h0
    return _two_pass_scan(a, b, c, h0, log_a, _check_chunk_size(chunk_size, b.shape[0]))


def _two_pass_scan(
    a: Tensor, b: Tensor, c: Tensor | None, h0: Tensor, log_a: Tensor | None, length: int
) -> tuple[Tensor, Tensor]:
    """Chunked scan in two passes over each chunk.

    Pass 1 runs every chunk from a zero state (all chunks at once) only to get its end state; the
    carries then cross the chunks; pass 2 reruns every chunk from its true incoming state and emits
    the states (or their contraction with ``c``). Nothing of size ``[T, ...]`` is formed besides
    the output.
    """
    rest_shape = b.shape[1:]

    def run(start: int, chunks: int, size: int, h_in: Tensor) -> tuple[Tensor, Tensor]:
        stop = start + chunks * size
        a_c = a[start:stop].reshape(chunks, size, *rest_shape)
        a_steps = a_c.unbind(1)
        b_steps = b[start:stop].reshape(chunks, size, *rest_shape).unbind(1)
        if chunks > 1:
            local = b_steps[0]
            for a_l, b_l in zip(a_steps[1:], b_steps[1:]):
                local = torch.addcmul(b_l, a_l, local)
            if log_a is None:
                chunk_decay = a_c.prod(1)
            else:
                chunk_decay = torch.exp(log_a[start:stop].reshape(chunks, size, *rest_shape).sum(1))
            carries = [h_in]
            h = h_in
            for end, decay in zip(local.unbind(0)[:-1], chunk_decay.unbind(0)[:-1]):
                h = torch.addcmul(end, decay, h)
                carries.append(h)
            h_c = torch.stack(carries)
        else:
            h_c = h_in.unsqueeze(0)
        if c is None:
            c_steps: tuple[Tensor | None, ...] = (None,) * size
        else:
            c_steps = c[start:stop].reshape(chunks, size, *c.shape[1:]).unbind(1)
        outputs = []
        for a_l, b_l, c_l in zip(a_steps, b_steps, c_steps):
            h_c = torch.addcmul(b_l, a_l, h_c)
            outputs.append(h_c if c_l is None else torch.sum(h_c * c_l, dim=-1))
        out = torch.stack(outputs, 1)
        return out.reshape(chunks * size, *out.shape[2:]), h_c[-1]

    pieces, h_last = _split_time(b.shape[0], length, run, h0)
    out = pieces[0] if len(pieces) == 1 else torch.cat(pieces)
    return out, h_last


def _powers(a: Tensor, count: int) -> Tensor:
    """``[a^0, a^1, ..., a^count]`` stacked on a new leading axis (by repeated products, like a loop)."""
    ones = torch.ones_like(a).unsqueeze(0)
    return torch.cat([ones, a.unsqueeze(0).expand(count, *a.shape)]).cumprod(0)


def _toeplitz(kernel: Tensor) -> Tensor:
    """``T[l, j, ...] = kernel[l - j, ...]`` for ``j <= l`` else 0, from ``kernel [L, ...]``."""
    length = kernel.shape[0]
    steps = torch.arange(length, device=kernel.device)
    lag = steps[:, None] - steps[None, :]
    causal = (lag >= 0).to(kernel.dtype)
    causal = causal.reshape(length, length, *([1] * (kernel.dim() - 1)))
    return kernel[lag.clamp(min=0)] * causal


def lti_scan(
    a: Tensor, u: Tensor, h0: Tensor | None = None, *, chunk_size: int | None = None
) -> tuple[Tensor, Tensor]:
    r"""Chunked scan of $h_t = a \odot h_{t-1} + u_t$ with a time-invariant diagonal decay (S5).

    Within a chunk the states are one batched product with the Toeplitz matrix $a^{l-j}$ ($j \le l$).

    Args:
        a: decay per channel ``[P]`` (the last axis of ``u``).
        u: inputs ``[T, M, P]``.
        h0: state before the first step, ``[M, P]``; zeros when ``None``.
        chunk_size: chunk length $L$; default $\lceil\sqrt{T}\rceil$.

    Returns:
        ``(h, h_last)``: every state ``[T, M, P]`` and the state after the last step.

    Raises:
        ValueError: on mismatched shapes or an invalid ``chunk_size``.
    """
    if u.dim() != 3 or a.shape != u.shape[-1:]:
        raise ValueError(f"expected u [T, M, P] and a [P], got u {tuple(u.shape)} and a {tuple(a.shape)}")
    num_steps, batch, width = u.shape
    h0 = u.new_zeros(batch, width) if h0 is None else h0.expand(batch, width)
    if num_steps == 0:
        return u.new_zeros(u.shape), h0
    length = _check_chunk_size(chunk_size, num_steps)

    def run(start: int, chunks: int, size: int, h_in: Tensor) -> tuple[Tensor, Tensor]:
        powers = _powers(a, size)  # [size + 1, P]
        mixing = _toeplitz(powers[:size])  # [size, size, P]
        u_c = u[start : start + chunks * size].reshape(chunks, size, batch, width)
        local = torch.einsum("ljp,cjmp->clmp", mixing, u_c)
        carries = []
        h = h_in
        for end in local[:, -1].unbind(0):
            carries.append(h)
            h = powers[size] * h + end
        carry = torch.stack(carries).unsqueeze(1)  # [C, 1, M, P]
        states = local + powers[1:].unsqueeze(1) * carry
        return states.reshape(chunks * size, batch, width), h

    pieces, h_last = _split_time(num_steps, length, run, h0)
    states = pieces[0] if len(pieces) == 1 else torch.cat(pieces)
    return states, h_last


def lti_output_scan(
    a: Tensor, b: Tensor, c: Tensor, x: Tensor, h0: Tensor | None = None, *, chunk_size: int | None = None
) -> tuple[Tensor, Tensor]:
    r"""Outputs of a per-channel diagonal LTI system without materialising its states (S4).

    For every channel $n$ with a state of size $d$:

    $$h_t = a \odot h_{t-1} + b\,x_t, \qquad y_t = \sum_d c \odot h_t,$$

    computed per chunk as a causal convolution with the kernel $K_k = \sum_d c\,a^k b$ (one batched
    Toeplitz product) plus the contribution of the chunk's incoming state; only the chunk-boundary
    states ``[C, M, N, d]`` are formed.

    Args:
        a: decays ``[N, d]``.
        b: input weights ``[N, d]``.
        c: output weights ``[N, d]``.
        x: inputs ``[T, M, N]``.
        h0: state before the first step ``[M, N, d]``; zeros when ``None``.
        chunk_size: chunk length $L$; default $\max(16, \lceil\sqrt{T}\rceil)$.

    Returns:
        ``(y, h_last)``: outputs ``[T, M, N]`` and the state after the last step ``[M, N, d]``.

    Raises:
        ValueError: on mismatched shapes or an invalid ``chunk_size``.
    """
    if x.dim() != 3 or a.dim() != 2 or a.shape[0] != x.shape[-1] or b.shape != a.shape or c.shape != a.shape:
        raise ValueError(
            "expected x [T, M, N] and a, b, c [N, d], got "
            f"x {tuple(x.shape)}, a {tuple(a.shape)}, b {tuple(b.shape)}, c {tuple(c.shape)}"
        )
    num_steps, batch, width = x.shape
    state_shape = (batch, *a.shape)
    h0 = x.new_zeros(state_shape) if h0 is None else h0.expand(state_shape)
    if num_steps == 0:
        return x.new_zeros(x.shape), h0
    if chunk_size is None:
        chunk_size = max(16, default_chunk_size(num_steps))
    length = _check_chunk_size(chunk_size, num_steps)
    cb = c * b

    def run(start: int, chunks: int, size: int, h_in: Tensor) -> tuple[Tensor, Tensor]:
        powers = _powers(a, size)  # [size + 1, N, d]
        kernel = (powers[:size] * cb).sum(-1)  # [size, N]
        x_c = x[start : start + chunks * size].reshape(chunks, size, batch, width)
        y = torch.einsum("ljn,cjmn->clmn", _toeplitz(kernel), x_c)
        into_end = powers[:size].flip(0) * b  # a^(size-1-j) b   [size, N, d]
        ends = torch.einsum("jnd,cjmn->cmnd", into_end, x_c)
        carries = []
        h = h_in
        for end in ends.unbind(0):
            carries.append(h)
            h = powers[size] * h + end
        carry = torch.stack(carries)  # [C, M, N, d]
        y = y + torch.einsum("lnd,cmnd->clmn", powers[1:] * c, carry)
        return y.reshape(chunks * size, batch, width), h

    pieces, h_last = _split_time(num_steps, length, run, h0)
    y = pieces[0] if len(pieces) == 1 else torch.cat(pieces)
    return y, h_last
