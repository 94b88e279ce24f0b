r"""Tsodyks–Markram short-term synaptic plasticity (Norse's spelling: ``TsodyksMakram``).

Utilisation $u$ (facilitation) and available resources $x$ (depression) evolve as

$$ \dot u = -\tau_f^{-1} u + U (1 - u)\, z, \qquad \dot x = \tau_d^{-1} (1 - x) - u^+ x\, z $$

and each presynaptic spike $z$ transmits the efficacy $u^+ x$, where $u^+$ is $u$ just after the
spike. Euler steps in Norse 1.1.0's order (``tau_s_inv`` is kept but unused, as in Norse).
"""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor

from ._checks import check_finite, check_nonnegative

__all__ = [
    "TsodyksMakramParameters",
    "TsodyksMakramState",
    "TsodyksMarkramParameters",
    "TsodyksMarkramState",
    "stp_step",
    "check_tsodyks_makram_parameters",
]


class TsodyksMakramParameters(NamedTuple):
    """Parameters of the Tsodyks–Markram model (Python floats, Norse's defaults).

    Attributes:
        tau_f_inv: inverse facilitation time constant in 1/s. Default 20 (1/50 ms).
        tau_s_inv: unused, as in Norse 1.1.0. Default 50 (1/20 ms).
        tau_d_inv: inverse depression (recovery) time constant in 1/s. Default 1/750 ms ≈ 1.333.
        U: utilisation increment per spike, in [0, 1]. Default 0.45.
    """

    tau_f_inv: float = 1 / (50.0e-3)
    tau_s_inv: float = 1 / (20.0e-3)
    tau_d_inv: float = 1 / (750.0e-3)
    U: float = 0.45


class TsodyksMakramState(NamedTuple):
    """State of the Tsodyks–Markram model.

    Attributes:
        u: utilisation (usually starts at 0).
        x: fraction of available resources (usually starts at 1).
    """

    u: Tensor
    x: Tensor


TsodyksMarkramParameters = TsodyksMakramParameters
TsodyksMarkramState = TsodyksMakramState


def check_tsodyks_makram_parameters(p: TsodyksMakramParameters) -> TsodyksMakramParameters:
    """Return ``p`` after checking the rates are finite and >= 0 and ``U`` lies in [0, 1].

    Raises:
        TypeError: if ``p`` is not a :class:`TsodyksMakramParameters`.
        ValueError: naming the field that is out of range.
    """
    if not isinstance(p, TsodyksMakramParameters):
        raise TypeError(f"p must be TsodyksMakramParameters, got {type(p).__name__}")
    for name in ("tau_f_inv", "tau_s_inv", "tau_d_inv"):
        check_nonnegative(f"p.{name}", getattr(p, name))
    check_finite("p.U", p.U)
    check_nonnegative("p.U", p.U)
    check_nonnegative("1 - p.U", 1 - p.U)
    return p


def stp_step(
    z: Tensor,
    s: TsodyksMakramState,
    p: TsodyksMakramParameters,
    dt: float = 0.001,
) -> tuple[Tensor, TsodyksMakramState]:
    r"""One Euler step of Tsodyks–Markram short-term plasticity.

    $$ u' = \big(u + \Delta t\,(-\tau_f^{-1} u)\big) + U (1 - u)\, z, \qquad
       x' = \big(x + \Delta t\,\tau_d^{-1}(1 - x)\big) - u' x\, z, \qquad
       \text{out} = u' x\, z $$

    The jump of $u$ uses the old $u$; depression and output use the new $u'$ and the old $x$.

    Args:
        z: presynaptic spikes.
        s: state ``(u, x)``.
        p: parameters (required, as in Norse).
        dt: time step in seconds.

    Returns:
        ``(efficacy, new_state)``.

    Example:
        >>> s = TsodyksMakramState(torch.zeros(1), torch.ones(1))
        >>> out, s = stp_step(torch.ones(1), s, TsodyksMakramParameters())
        >>> out, s.u, s.x
        (tensor([0.4500]), tensor([0.4500]), tensor([0.5500]))
    """
    # Groupings follow Norse's evaluation order so that the numbers agree to the last bit.
    leak = dt * ((-p.tau_f_inv) * s.u)
    facilitated = (s.u + leak) + (p.U * (1 - s.u)) * z
    recovery = dt * (p.tau_d_inv * (1 - s.x))
    depleted = (s.x + recovery) - (facilitated * s.x) * z
    # The efficacy is its own product (not shared with the depletion) so gradients sum in Norse's order.
    return (facilitated * s.x) * z, TsodyksMakramState(u=facilitated, x=depleted)
