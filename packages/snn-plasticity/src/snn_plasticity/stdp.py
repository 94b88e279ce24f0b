r"""Pair-based spike-timing-dependent plasticity (STDP) for linear and conv2d connections.

Each synapse keeps a presynaptic trace $t_{pre}$ and a postsynaptic trace $t_{post}$:

$$ t_{pre} \leftarrow t_{pre} + \Delta t\,\tau_{pre}^{-1}\big(-t_{pre} + a_{pre} z_{pre}\big), \qquad
   t_{post} \leftarrow t_{post} + \Delta t\,\tau_{post}^{-1}\big(-t_{post} + a_{post} z_{post}\big) $$

A postsynaptic spike potentiates by the presynaptic trace, a presynaptic spike depresses by the
postsynaptic trace (summed over the batch):

$$ \Delta w_{ij} = A_+(w_{ij}) \sum_b z^{post}_{bi} t^{pre}_{bj} - A_-(w_{ij}) \sum_b t^{post}_{bi} z^{pre}_{bj},
   \qquad w \leftarrow \operatorname{clip}(w + \Delta w, w_{min}, w_{max}) $$

with the weight dependence chosen by ``stdp_algorithm``:

| algorithm | $A_+(w)$ | $A_-(w)$ |
|---|---|---|
| ``additive`` | $\eta_+$ | $\eta_-$ |
| ``additive_step`` | $\eta_+\,\Theta(w_{max} - w)$ | $\eta_-\,\Theta(w - w_{min})$ |
| ``multiplicative_pow`` | $\eta_+ (w_{max} - w)^{\mu}$ | $\eta_- (w - w_{min})^{\mu}$ |
| ``multiplicative_relu`` | $\eta_+ \operatorname{relu}(w_{max} - w)$ | $\eta_- \operatorname{relu}(w - w_{min})$ |

Same parameters, defaults and numbers as Norse 1.1.0's ``norse.torch.functional.stdp``. Unlike
Norse, :class:`STDPState` is immutable: the step functions return a new state instead of updating
the one passed in.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from snn_core import heaviside

from ._checks import check_finite, check_int_at_least, check_nonnegative, is_finite_number, tracing

__all__ = [
    "STDP_ALGORITHMS",
    "STDPParameters",
    "STDPState",
    "stdp_initial_state",
    "stdp_step_linear",
    "stdp_step_conv2d",
]

STDP_ALGORITHMS = ("additive", "additive_step", "multiplicative_pow", "multiplicative_relu")


class STDPState(NamedTuple):
    """Traces of pair-based STDP.

    Attributes:
        t_pre: presynaptic trace, shaped like the presynaptic spikes.
        t_post: postsynaptic trace, shaped like the postsynaptic spikes.
    """

    t_pre: Tensor
    t_post: Tensor

    def decay(
        self,
        z_pre: Tensor,
        z_post: Tensor,
        tau_pre_inv: Any,
        tau_post_inv: Any,
        a_pre: Any,
        a_post: Any,
        dt: float = 0.001,
    ) -> STDPState:
        r"""The traces one step later: $t \leftarrow t + (\Delta t\,\tau^{-1})(-t + a z)$.

        Norse's ``STDPState.decay`` updates the state in place and returns ``None``; this returns
        the new state and leaves ``self`` unchanged.
        """
        t_pre = self.t_pre + (dt * tau_pre_inv) * (-self.t_pre + a_pre * z_pre)
        t_post = self.t_post + (dt * tau_post_inv) * (-self.t_post + a_post * z_post)
        return STDPState(t_pre, t_post)


def stdp_initial_state(z_pre: Tensor, z_post: Tensor) -> STDPState:
    """Zero traces shaped (and typed, placed) like the given spikes."""
    return STDPState(torch.zeros_like(z_pre), torch.zeros_like(z_post))


class STDPParameters:
    r"""Parameters of pair-based STDP, with Norse's constructor signature and defaults.

    Args:
        a_pre: contribution of a presynaptic spike to its trace. Default 1.
        a_post: contribution of a postsynaptic spike to its trace. Default 1.
        tau_pre_inv: inverse time constant of the presynaptic trace in 1/s. Default 20 (1/50 ms).
        tau_post_inv: inverse time constant of the postsynaptic trace in 1/s. Default 20.
        w_min: lower weight bound. Default 0.
        w_max: upper weight bound (>= ``w_min``). Default 1.
        eta_plus: potentiation rate. Default 1e-3.
        eta_minus: depression rate. Default 1e-3.
        stdp_algorithm: one of ``additive``, ``additive_step``, ``multiplicative_pow``,
            ``multiplicative_relu``.
        mu: exponent of ``multiplicative_pow`` (forced to 0 for the additive rules and 1 for
            ``multiplicative_relu``, as Norse).
        hardbound: clip the weights to ``[w_min, w_max]`` after each update.
        convolutional: marks parameters meant for :func:`stdp_step_conv2d` (informational).
        stride: of the convolution, used by :func:`stdp_step_conv2d`.
        padding: of the convolution.
        dilation: of the convolution.

    Raises:
        ValueError: for an unknown algorithm, negative or non-finite rates and time constants,
            ``w_min > w_max``, or bad convolution geometry.

    Example:
        >>> p = STDPParameters(eta_plus=1e-2, stdp_algorithm="multiplicative_relu")
        >>> p.A_plus(torch.tensor([0.25]))
        tensor([0.0075])
    """

    def __init__(
        self,
        a_pre: Any = torch.as_tensor(1.0),
        a_post: Any = torch.as_tensor(1.0),
        tau_pre_inv: Any = torch.as_tensor(1.0 / 50e-3),
        tau_post_inv: Any = torch.as_tensor(1.0 / 50e-3),
        w_min: Any = 0.0,
        w_max: Any = 1.0,
        eta_plus: Any = 1e-3,
        eta_minus: Any = 1e-3,
        stdp_algorithm: str = "additive",
        mu: Any = 0.0,
        hardbound: bool = True,
        convolutional: bool = False,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
    ) -> None:
        if stdp_algorithm not in STDP_ALGORITHMS:
            raise ValueError(
                f"stdp_algorithm must be one of {', '.join(STDP_ALGORITHMS)}; got {stdp_algorithm!r}"
            )
        for name, value in (("a_pre", a_pre), ("a_post", a_post), ("w_min", w_min), ("w_max", w_max)):
            check_finite(name, value)
        for name, value in (
            ("tau_pre_inv", tau_pre_inv),
            ("tau_post_inv", tau_post_inv),
            ("eta_plus", eta_plus),
            ("eta_minus", eta_minus),
            ("mu", mu),
        ):
            check_nonnegative(name, value)
        if not tracing() and bool((torch.as_tensor(w_min) > torch.as_tensor(w_max)).any()):
            raise ValueError(f"w_min must be <= w_max, got w_min={w_min!r}, w_max={w_max!r}")
        self.a_pre = a_pre
        self.a_post = a_post
        self.tau_pre_inv = tau_pre_inv
        self.tau_post_inv = tau_post_inv
        self.w_min = w_min
        self.w_max = w_max
        self.eta_plus = eta_plus
        self.eta_minus = eta_minus
        self.stdp_algorithm = stdp_algorithm
        if stdp_algorithm == "multiplicative_pow":
            self.mu = torch.as_tensor(mu).clone().detach()
        else:
            self.mu = torch.tensor(1.0 if stdp_algorithm == "multiplicative_relu" else 0.0)
        self.hardbound = bool(hardbound)
        self.convolutional = bool(convolutional)
        self.stride = check_int_at_least("stride", stride, 1)
        self.padding = check_int_at_least("padding", padding, 0)
        self.dilation = check_int_at_least("dilation", dilation, 1)
        self._mu_input = mu

    def A_plus(self, w: Tensor) -> Any:
        """Weight dependence of potentiation, $A_+(w)$."""
        if self.stdp_algorithm == "additive":
            return self.eta_plus
        if self.stdp_algorithm == "additive_step":
            return self.eta_plus * heaviside(self.w_max - w)
        if self.stdp_algorithm == "multiplicative_pow":
            return self.eta_plus * torch.pow(self.w_max - w, self.mu)
        return self.eta_plus * F.relu(self.w_max - w)

    def A_minus(self, w: Tensor) -> Any:
        """Weight dependence of depression, $A_-(w)$."""
        if self.stdp_algorithm == "additive":
            return self.eta_minus
        if self.stdp_algorithm == "additive_step":
            return self.eta_minus * heaviside(w - self.w_min)
        if self.stdp_algorithm == "multiplicative_pow":
            return self.eta_minus * torch.pow(w - self.w_min, self.mu)
        return self.eta_minus * F.relu(w - self.w_min)

    def bounding_func(self, w: Tensor) -> Tensor:
        """``clamp(w, w_min, w_max)`` with ``hardbound``, else ``w`` unchanged."""
        if self.hardbound:
            return torch.clamp(w, self.w_min, self.w_max)
        return w

    def replace(self, **changes: Any) -> STDPParameters:
        """A copy with some constructor arguments changed (validated again)."""
        names = (
            "a_pre",
            "a_post",
            "tau_pre_inv",
            "tau_post_inv",
            "w_min",
            "w_max",
            "eta_plus",
            "eta_minus",
            "stdp_algorithm",
            "hardbound",
            "convolutional",
            "stride",
            "padding",
            "dilation",
        )
        unknown = sorted(set(changes) - {*names, "mu"})
        if unknown:
            raise TypeError(f"unknown STDPParameters fields {unknown}; expected some of {(*names, 'mu')}")
        values = {name: getattr(self, name) for name in names}
        values["mu"] = self._mu_input
        values.update(changes)
        return STDPParameters(**values)

    def __repr__(self) -> str:
        return (
            f"STDPParameters(stdp_algorithm={self.stdp_algorithm!r}, eta_plus={self.eta_plus!r}, "
            f"eta_minus={self.eta_minus!r}, w_min={self.w_min!r}, w_max={self.w_max!r}, mu={self.mu!r}, "
            f"hardbound={self.hardbound}, tau_pre_inv={self.tau_pre_inv!r}, tau_post_inv={self.tau_post_inv!r})"
        )


def _check_dt(dt: Any) -> float:
    if not is_finite_number(dt) or dt <= 0:
        raise ValueError(f"dt must be a finite number > 0, got {dt!r}")
    return dt if isinstance(dt, float) else float(dt)


def _shape_error(message: str, **shapes: Tensor) -> ValueError:
    listed = ", ".join(f"{name} {tuple(t.shape)}" for name, t in shapes.items())
    return ValueError(f"{message}; got {listed}")


def stdp_step_linear(
    z_pre: Tensor,
    z_post: Tensor,
    w: Tensor,
    state_stdp: STDPState,
    p_stdp: STDPParameters = STDPParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, STDPState]:
    r"""One STDP step for a linear (fully connected) connection ``w: [out, in]``.

    $$ \Delta w = A_+(w) \odot (z_{post}^\top t_{pre}) - A_-(w) \odot (t_{post}^\top z_{pre}) $$

    after decaying the traces (module docstring). Use under ``torch.no_grad()`` to update a layer's
    weight (see :class:`snn_plasticity.STDPLinear`).

    Args:
        z_pre: presynaptic spikes ``[batch, in]``.
        z_post: postsynaptic spikes ``[batch, out]``.
        w: weights ``[out, in]``.
        state_stdp: traces (:func:`stdp_initial_state` for zeros).
        p_stdp: parameters.
        dt: time step in seconds (> 0).

    Returns:
        ``(new_w, new_state)``.

    Raises:
        ValueError: for mismatched shapes or ``dt <= 0``.

    Example:
        >>> z_pre, z_post, w = torch.ones(1, 3), torch.ones(1, 2), torch.full((2, 3), 0.5)
        >>> w, s = stdp_step_linear(z_pre, z_post, w, stdp_initial_state(z_pre, z_post))
    """
    dt = _check_dt(dt)
    if z_pre.dim() != 2 or z_post.dim() != 2 or w.dim() != 2:
        raise _shape_error(
            "stdp_step_linear expects z_pre [batch, in], z_post [batch, out], w [out, in]",
            z_pre=z_pre,
            z_post=z_post,
            w=w,
        )
    if z_pre.shape[0] != z_post.shape[0] or tuple(w.shape) != (z_post.shape[1], z_pre.shape[1]):
        raise _shape_error(
            "w must be [out, in] for z_pre [batch, in] and z_post [batch, out]",
            z_pre=z_pre,
            z_post=z_post,
            w=w,
        )
    state = state_stdp.decay(
        z_pre, z_post, p_stdp.tau_pre_inv, p_stdp.tau_post_inv, p_stdp.a_pre, p_stdp.a_post, dt
    )
    potentiation = p_stdp.A_plus(w) * torch.einsum("bo,bi->oi", z_post, state.t_pre)
    depression = p_stdp.A_minus(w) * torch.einsum("bo,bi->oi", state.t_post, z_pre)
    return p_stdp.bounding_func(w + (potentiation - depression)), state


def stdp_step_conv2d(
    z_pre: Tensor,
    z_post: Tensor,
    w: Tensor,
    state_stdp: STDPState,
    p_stdp: STDPParameters = STDPParameters(),
    dt: float = 0.001,
) -> tuple[Tensor, STDPState]:
    r"""One STDP step for a 2-D convolution ``w: [out_channels, in_channels, kh, kw]``.

    The presynaptic spikes and trace are unfolded into the patches each output position sees
    (``stride``, ``padding``, ``dilation`` from ``p_stdp``); then, summed over batch and positions,

    $$ \Delta w = A_+(w) \odot \sum_{b,k} z^{post}_{b,o,k}\, \hat t^{pre}_{b,(i,u,v),k}
                - A_-(w) \odot \sum_{b,k} t^{post}_{b,o,k}\, \hat z^{pre}_{b,(i,u,v),k} $$

    Args:
        z_pre: presynaptic spikes ``[batch, in_channels, H, W]``.
        z_post: postsynaptic spikes ``[batch, out_channels, H', W']`` (the conv's output size).
        w: kernel ``[out_channels, in_channels, kh, kw]``.
        state_stdp: traces shaped like ``z_pre`` and ``z_post``.
        p_stdp: parameters, including the convolution geometry.
        dt: time step in seconds (> 0).

    Returns:
        ``(new_w, new_state)``.

    Raises:
        ValueError: for mismatched shapes or ``dt <= 0``.
    """
    dt = _check_dt(dt)
    if z_pre.dim() != 4 or z_post.dim() != 4 or w.dim() != 4:
        raise _shape_error(
            "stdp_step_conv2d expects z_pre [B, C_in, H, W], z_post [B, C_out, H', W'], "
            "w [C_out, C_in, kh, kw]",
            z_pre=z_pre,
            z_post=z_post,
            w=w,
        )
    batch = z_pre.shape[0]
    out_channels, in_channels, kernel_h, kernel_w = w.shape
    if z_post.shape[0] != batch or z_post.shape[1] != out_channels or z_pre.shape[1] != in_channels:
        raise _shape_error(
            "batch and channel sizes of z_pre, z_post and w disagree", z_pre=z_pre, z_post=z_post, w=w
        )
    state = state_stdp.decay(
        z_pre, z_post, p_stdp.tau_pre_inv, p_stdp.tau_post_inv, p_stdp.a_pre, p_stdp.a_post, dt
    )
    geometry = {"dilation": p_stdp.dilation, "padding": p_stdp.padding, "stride": p_stdp.stride}
    trace_patches = F.unfold(state.t_pre, (kernel_h, kernel_w), **geometry)
    spike_patches = F.unfold(z_pre, (kernel_h, kernel_w), **geometry)
    positions = trace_patches.shape[-1]
    if math.prod(z_post.shape[2:]) != positions:
        raise _shape_error(
            f"z_post must have the conv's output size ({positions} positions for this kernel and geometry)",
            z_pre=z_pre,
            z_post=z_post,
            w=w,
        )
    post_spikes = z_post.reshape(batch, out_channels, -1)
    post_trace = state.t_post.reshape(batch, out_channels, -1)
    potentiation = p_stdp.A_plus(w) * torch.einsum("bok,bik->oi", post_spikes, trace_patches).reshape(w.shape)
    depression = p_stdp.A_minus(w) * torch.einsum("bok,bik->oi", post_trace, spike_patches).reshape(w.shape)
    return p_stdp.bounding_func(w + (potentiation - depression)), state
