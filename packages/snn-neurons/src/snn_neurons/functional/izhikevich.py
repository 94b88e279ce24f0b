r"""Izhikevich neuron and its 20 classic spiking behaviours.

$$ \dot v = \tau^{-1}\,(s_q v^2 + m_n v + \mathrm{bias} - u + I),\qquad \dot u = \tau^{-1} a\,(b v - u) $$

with a spike when $v > v_{th}$ (30 mV) and the reset $v \leftarrow c$, $u \leftarrow u + d$. In the
classic units (mV, ms) with ``tau_inv=250`` and ``dt=0.001`` one step advances 0.25 ms.

The preset behaviours (:data:`tonic_spiking`, ...) hold shared 0-dim initial states. Unlike Norse
1.1.0 their tensors never require grad (a simulation from a preset does not build a graph through
the shared tensor); see "Differences from Norse".
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.nn.functional import linear

from snn_core import threshold

__all__ = [
    "IzhikevichParameters",
    "IzhikevichState",
    "IzhikevichRecurrentState",
    "IzhikevichSpikingBehavior",
    "IzhikevichNeuronParameters",
    "create_izhikevich_spiking_behavior",
    "izhikevich_feed_forward_step",
    "izhikevich_recurrent_step",
    "tonic_spiking",
    "phasic_spiking",
    "tonic_bursting",
    "phasic_bursting",
    "mixed_mode",
    "spike_frequency_adaptation",
    "class_1_exc",
    "class_2_exc",
    "spike_latency",
    "subthreshold_oscillation",
    "resonator",
    "integrator",
    "rebound_spike",
    "rebound_burst",
    "threshold_variability",
    "threshhold_variability",
    "bistability",
    "dap",
    "accomodation",
    "inhibition_induced_spiking",
    "inhibition_induced_bursting",
]


class IzhikevichParameters(NamedTuple):
    """Parameters of an Izhikevich neuron (plain Python numbers).

    Attributes:
        a: time scale of the recovery variable $u$.
        b: sensitivity of $u$ to the subthreshold voltage.
        c: after-spike reset value of $v$.
        d: after-spike increment of $u$.
        sq: coefficient of $v^2$ (0.04).
        mn: coefficient of $v$ (5).
        bias: constant drive (140).
        v_th: spike cut-off (30).
        tau_inv: inverse time constant (250).
        method: registered threshold name.
        alpha: the surrogate's hyperparameter.
    """

    a: float
    b: float
    c: float
    d: float
    sq: float = 0.04
    mn: float = 5
    bias: float = 140
    v_th: float = 30
    tau_inv: float = 250
    method: str = "super"
    alpha: float = 100.0


class IzhikevichState(NamedTuple):
    """State of a feed-forward Izhikevich neuron: voltage ``v`` and recovery ``u``."""

    v: Tensor
    u: Tensor


class IzhikevichRecurrentState(NamedTuple):
    """State of a recurrent Izhikevich neuron: last spikes ``z``, voltage ``v``, recovery ``u``."""

    z: Tensor
    v: Tensor
    u: Tensor


class IzhikevichSpikingBehavior(NamedTuple):
    """A behaviour: parameters ``p`` and a matching initial state ``s``."""

    p: IzhikevichParameters
    s: IzhikevichState


def _behavior(
    a: float,
    b: float,
    c: float,
    d: float,
    v0: float,
    u0: Tensor,
    *,
    mn: float = 5,
    bias: float = 140,
    tau_inv: float = 250,
) -> IzhikevichSpikingBehavior:
    p = IzhikevichParameters(a=a, b=b, c=c, d=d, mn=mn, bias=bias, tau_inv=tau_inv)
    return IzhikevichSpikingBehavior(p=p, s=IzhikevichState(v=torch.tensor(v0), u=u0))


def create_izhikevich_spiking_behavior(
    a: float,
    b: float,
    c: float,
    d: float,
    v_rest: float,
    u_rest: float,
    tau_inv: float = 250,
) -> IzhikevichSpikingBehavior:
    r"""Build a custom behaviour: ``p = IzhikevichParameters(a, b, c, d, tau_inv=tau_inv)``,
    $v_0 = $ ``tensor(float(v_rest))`` and $u_0 = $ ``tensor(u_rest) * b``.

    The returned tensors are fresh; as in Norse, ``v`` requires grad.

    Args:
        a: time scale of the recovery variable.
        b: sensitivity of the recovery variable to the voltage.
        c: after-spike reset value of the voltage.
        d: after-spike increment of the recovery variable.
        v_rest: initial voltage.
        u_rest: initial recovery value before the factor ``b``.
        tau_inv: inverse time constant.

    Returns:
        an :class:`IzhikevichSpikingBehavior`.

    Example:
        >>> beh = create_izhikevich_spiking_behavior(0.02, 0.2, -65, 6, -70, -70)
        >>> beh.s.u
        tensor(-14.)
    """
    p = IzhikevichParameters(a=a, b=b, c=c, d=d, tau_inv=tau_inv)
    s = IzhikevichState(v=torch.tensor(float(v_rest), requires_grad=True), u=torch.tensor(u_rest) * p.b)
    return IzhikevichSpikingBehavior(p=p, s=s)


def _u0(literal: float, b: float) -> Tensor:
    return torch.tensor(literal) * b


tonic_spiking = _behavior(0.02, 0.2, -65, 6, -70.0, _u0(-70, 0.2))
phasic_spiking = _behavior(0.02, 0.25, -65, 6, -64.0, _u0(-64, 0.25))
tonic_bursting = _behavior(0.02, 0.2, -50, 2, -70.0, _u0(-70, 0.2))
phasic_bursting = _behavior(0.02, 0.25, -55, 0.05, -64.0, _u0(-64, 0.25), tau_inv=200)
mixed_mode = _behavior(0.02, 0.2, -55, 4, -70.0, _u0(-70, 0.2))
spike_frequency_adaptation = _behavior(0.01, 0.2, -65, 8, -70.0, _u0(-70, 0.2))
class_1_exc = _behavior(0.02, -0.1, -55, 6, -60.0, _u0(-60, -0.1), mn=4.1, bias=108)
class_2_exc = _behavior(0.2, 0.26, -65, 0, -64.0, _u0(-64, 0.26))
spike_latency = _behavior(0.02, 0.2, -65, 6, -70.0, _u0(-70, 0.2))
subthreshold_oscillation = _behavior(0.05, 0.26, -60, 0, -62.0, _u0(-62, 0.26))
resonator = _behavior(0.1, 0.26, -60, -1, -62.0, _u0(-62, 0.26))
integrator = _behavior(0.02, -0.1, -55, 6, -60.0, _u0(-60, -0.1), mn=4.1, bias=108)
rebound_spike = _behavior(0.03, 0.25, -60, 4, -64.0, _u0(-64, 0.25), tau_inv=200)
rebound_burst = _behavior(0.03, 0.25, -52, 0, -64.0, _u0(-64, 0.25), tau_inv=200)
threshold_variability = _behavior(0.03, 0.25, -60, 4, -64.0, _u0(-64, 0.25))
threshhold_variability = threshold_variability
"""Alias of :data:`threshold_variability` (the spelling in Norse's documentation)."""
bistability = _behavior(0.1, 0.26, -60, 0, -61.0, _u0(-61, 0.26))
dap = _behavior(1.0, 0.2, -60, -21, -70.0, _u0(-70, 0.2), tau_inv=100)
accomodation = _behavior(0.02, 1.0, -55, 4, -65.0, torch.tensor(-16), tau_inv=500)
inhibition_induced_spiking = _behavior(-0.02, -1.0, -60, 8, -63.8, _u0(-63.8, -1.0))
inhibition_induced_bursting = _behavior(-0.026, -1.0, -45, -2, -63.8, _u0(-63.8, -1.0))


class IzhikevichNeuronParameters(NamedTuple):
    """Izhikevich parameters with defaults and an initial state, for ``snn_core.Neuron("izhikevich")``.

    The fields of :class:`IzhikevichParameters` (defaults: :data:`tonic_spiking`) plus the initial
    values ``v0`` and ``u0`` that the registered ``initial_state`` fills the state with. Use
    :meth:`from_behavior` to run a preset.

    Example:
        >>> p = IzhikevichNeuronParameters.from_behavior(dap)
        >>> (p.a, p.tau_inv, p.v0, p.u0)
        (1.0, 100, -70.0, -14.0)
    """

    a: float = 0.02
    b: float = 0.2
    c: float = -65
    d: float = 6
    sq: float = 0.04
    mn: float = 5
    bias: float = 140
    v_th: float = 30
    tau_inv: float = 250
    method: str = "super"
    alpha: float = 100.0
    v0: float = -70.0
    u0: float = -14.0

    @classmethod
    def from_behavior(cls, behavior: IzhikevichSpikingBehavior) -> IzhikevichNeuronParameters:
        """The parameters and initial values of a behaviour such as :data:`tonic_spiking`."""
        v0 = float(torch.as_tensor(behavior.s.v).detach().reshape(()).item())
        u0 = float(torch.as_tensor(behavior.s.u).detach().reshape(()).item())
        return cls(*behavior.p, v0=v0, u0=u0)  # type: ignore[misc]


def izhikevich_feed_forward_step(
    input_current: Tensor,
    s: IzhikevichState,
    p: IzhikevichParameters,
    dt: float = 0.001,
) -> tuple[Tensor, IzhikevichState]:
    r"""One Euler step of a feed-forward Izhikevich neuron.

    $$ \begin{aligned}
      v_1 &= v + (\tau^{-1}\Delta t)\,(((((s_q v^2) + m_n v) + \mathrm{bias}) - u) + I) \\
      u_1 &= u + ((\tau^{-1}\Delta t)\,a)\,(b v - u) \\
      z &= \Theta(v_1 - v_{th}),\quad v' = (1 - z)\,v_1 + z\,c,\quad u' = (1 - z)\,u_1 + z\,(u_1 + d)
    \end{aligned} $$

    The products of Python numbers ($\tau^{-1}\Delta t$, times $a$) are formed in double precision
    before they meet a tensor.

    Args:
        input_current: input current $I$.
        s: previous state (the 0-dim preset states broadcast).
        p: parameters.
        dt: time step.

    Returns:
        ``(z, IzhikevichState(v', u'))``.

    Example:
        >>> z, s = izhikevich_feed_forward_step(torch.full((2,), 10.0), tonic_spiking.s, tonic_spiking.p)
        >>> s.v
        tensor([-67.5000, -67.5000])
    """
    v_new = s.v + p.tau_inv * dt * (p.sq * s.v**2 + p.mn * s.v + p.bias - s.u + input_current)
    u_new = s.u + p.tau_inv * dt * p.a * (p.b * s.v - s.u)
    z_new = threshold(v_new - p.v_th, p.method, p.alpha)
    v_new = (1 - z_new) * v_new + z_new * p.c
    u_new = (1 - z_new) * u_new + z_new * (u_new + p.d)
    return z_new, IzhikevichState(v_new, u_new)


def izhikevich_recurrent_step(
    input_current: Tensor,
    s: IzhikevichRecurrentState,
    input_weights: Tensor,
    recurrent_weights: Tensor,
    p: IzhikevichParameters,
    dt: float = 0.001,
) -> tuple[Tensor, IzhikevichRecurrentState]:
    r"""Recurrent Izhikevich step: the drive is $(\ldots + W_{in} I) + W_{rec} z$ inside the $v$ update.

    Args:
        input_current: input current of this step.
        s: previous state.
        input_weights: input weights ``[hidden, in]``.
        recurrent_weights: recurrent weights ``[hidden, hidden]``.
        p: parameters.
        dt: time step.

    Returns:
        ``(z', IzhikevichRecurrentState(z', v', u'))``.
    """
    input_drive = linear(input_current, input_weights)
    recurrent_drive = linear(s.z, recurrent_weights)
    v_new = s.v + p.tau_inv * dt * (p.sq * s.v**2 + p.mn * s.v + p.bias - s.u + input_drive + recurrent_drive)
    u_new = s.u + p.tau_inv * dt * p.a * (p.b * s.v - s.u)
    z_new = threshold(v_new - p.v_th, p.method, p.alpha)
    v_new = (1 - z_new) * v_new + z_new * p.c
    u_new = (1 - z_new) * u_new + z_new * (u_new + p.d)
    return z_new, IzhikevichRecurrentState(z_new, v_new, u_new)
