r"""STDP sensor: exponentially decaying pre- and postsynaptic spike traces (Norse's ``stdp_sensor``).

$$ a_{pre} \leftarrow a_{pre} + \Delta t\,\big(\tau_c^{-1}\,(-a_{pre})\big) + \eta_+\, z_{pre}, \qquad
   a_{post} \leftarrow a_{post} + \Delta t\,\big(\tau_c^{-1}\,(-a_{post})\big) + \eta_-\, z_{post} $$

As in Norse 1.1.0 both traces decay with ``tau_c_inv``; ``tau_ac_inv`` is kept for compatibility
but unused.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from ._checks import check_nonnegative

__all__ = [
    "STDPSensorParameters",
    "STDPSensorState",
    "stdp_sensor_step",
    "check_stdp_sensor_parameters",
]


class STDPSensorParameters(NamedTuple):
    """Parameters of the STDP sensor (Norse's names and defaults).

    Attributes:
        eta_p: jump of the presynaptic trace per presynaptic spike. Default 1.
        eta_m: jump of the postsynaptic trace per postsynaptic spike. Default 1.
        tau_ac_inv: unused (as in Norse 1.1.0). Default 10 (1/100 ms).
        tau_c_inv: inverse time constant of both traces, in 1/s. Default 10 (1/100 ms).
    """

    eta_p: Tensor = torch.as_tensor(1.0)
    eta_m: Tensor = torch.as_tensor(1.0)
    tau_ac_inv: Tensor = torch.as_tensor(1.0 / 100e-3)
    tau_c_inv: Tensor = torch.as_tensor(1.0 / 100e-3)


class STDPSensorState(NamedTuple):
    """State of the STDP sensor.

    Attributes:
        a_pre: presynaptic trace.
        a_post: postsynaptic trace.
    """

    a_pre: Tensor
    a_post: Tensor


def check_stdp_sensor_parameters(p: STDPSensorParameters) -> STDPSensorParameters:
    """Return ``p`` after checking every field is finite and the rates are >= 0.

    Raises:
        TypeError: if ``p`` is not an :class:`STDPSensorParameters` or a field is not numeric.
        ValueError: naming the field that is not finite or negative.
    """
    if not isinstance(p, STDPSensorParameters):
        raise TypeError(f"p must be STDPSensorParameters, got {type(p).__name__}")
    for name in STDPSensorParameters._fields:
        check_nonnegative(f"p.{name}", getattr(p, name))
    return p


def stdp_sensor_step(
    z_pre: Tensor,
    z_post: Tensor,
    state: STDPSensorState,
    p: STDPSensorParameters = STDPSensorParameters(),
    dt: float = 0.001,
) -> STDPSensorState:
    r"""One Euler step of the STDP sensor's traces; returns only the new state, as Norse.

    $$ a_{pre}' = \big(a_{pre} + \Delta t\,(\tau_c^{-1}\,(-a_{pre}))\big) + z_{pre}\,\eta_+ ,\qquad
       a_{post}' = \big(a_{post} + \Delta t\,(\tau_c^{-1}\,(-a_{post}))\big) + z_{post}\,\eta_- $$

    Args:
        z_pre: presynaptic spikes, shaped like ``state.a_pre``.
        z_post: postsynaptic spikes, shaped like ``state.a_post``.
        state: the traces.
        p: parameters (validate once with :func:`check_stdp_sensor_parameters`).
        dt: time step in seconds.

    Returns:
        The new :class:`STDPSensorState`.

    Example:
        >>> s = STDPSensorState(torch.zeros(1), torch.zeros(1))
        >>> for _ in range(3):
        ...     s = stdp_sensor_step(torch.ones(1), torch.zeros(1), s)
        >>> s.a_pre  # 1, 1.99, 2.9701
        tensor([2.9701])
    """
    a_pre = state.a_pre + dt * (p.tau_c_inv * (-state.a_pre))
    a_post = state.a_post + dt * (p.tau_c_inv * (-state.a_post))
    return STDPSensorState(a_pre + z_pre * p.eta_p, a_post + z_post * p.eta_m)
