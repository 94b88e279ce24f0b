r"""Encoders driven by a leaky integrate-and-fire (LIF) neuron.

The LIF model comes from the registry (``snn_core.registry().neurons["lif"]``, provided by
``snn-neurons``); this package never imports ``snn_neurons``. With ``p=None`` the registered model's
default parameters are used (``LIFParameters()``: $\tau_{mem}^{-1} = 100$, $v_{leak} = 0$,
$v_{th} = 1$, $v_{reset} = 0$, ``method="super"``).

A constant current $I$ drives the membrane directly (Norse's ``lif_current_encoder``):

$$ v' = v + (\Delta t\, \tau_{mem}^{-1}) \big((v_{leak} - v) + I\big), \quad
   z = \Theta(v' - v_{th}), \quad v'' = v' - z\,(v' - v_{reset}) $$

Stronger currents spike earlier and more often.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

import snn_core
from snn_core import UnknownComponentError, check_dt

from ._checks import check_finite_values, check_seq_length, check_tensor, tracing

__all__ = [
    "constant_current_lif_encode",
    "spike_latency_lif_encode",
    "lif_neuron_spec",
    "resolve_lif_parameters",
]

LIF_FIELDS = ("tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha")


def lif_neuron_spec(user: str = "this encoder") -> snn_core.NeuronSpec:
    """The registered ``"lif"`` neuron model.

    Args:
        user: who needs it, named in the error message.

    Raises:
        UnknownComponentError: (a ``KeyError``) when no plugin registers ``"lif"``; the message says
            ``pip install snn-neurons``.
    """
    try:
        return snn_core.registry().neurons["lif"]
    except UnknownComponentError as error:
        raise UnknownComponentError(
            f"{user} needs the LIF neuron model, which is not registered. {error}",
            kind="neurons",
            name="lif",
        ) from None


def resolve_lif_parameters(p: Any, user: str = "this encoder") -> Any:
    """Return ``p``, or the registered LIF model's default parameters when ``p`` is ``None``, checked.

    Any object with the fields ``tau_mem_inv``, ``v_leak``, ``v_th``, ``v_reset``, ``method`` and
    ``alpha`` is accepted (snn-neurons' ``LIFParameters``, or Norse's).

    Raises:
        UnknownComponentError: when the ``"lif"`` model is not registered (``pip install snn-neurons``).
        TypeError: if ``p`` lacks one of the fields.
        ValueError: if ``tau_mem_inv`` is not finite and > 0, or a voltage is not finite.
    """
    spec = lif_neuron_spec(user)
    if p is None:
        p = spec.parameters()
    missing = [name for name in LIF_FIELDS if not hasattr(p, name)]
    if missing:
        raise TypeError(
            f"p must be LIF parameters ({spec.parameters.__name__}) with fields {', '.join(LIF_FIELDS)}; "
            f"{type(p).__name__} lacks {', '.join(missing)}"
        )
    if not tracing():
        tau = torch.as_tensor(p.tau_mem_inv)
        if not bool(torch.isfinite(tau).all()) or not bool((tau > 0).all()):
            raise ValueError(f"p.tau_mem_inv must be finite and > 0, got {p.tau_mem_inv!r}")
        for name in ("v_leak", "v_th", "v_reset"):
            if not bool(torch.isfinite(torch.as_tensor(getattr(p, name))).all()):
                raise ValueError(f"p.{name} must be finite, got {getattr(p, name)!r}")
    return p


def _current_step(current: Tensor, voltage: Tensor, p: Any, dt: float) -> tuple[Tensor, Tensor]:
    """One LIF voltage step driven by a current; returns ``(z, v)`` (reset by subtraction)."""
    voltage = voltage + (dt * p.tau_mem_inv) * ((p.v_leak - voltage) + current)
    z = snn_core.threshold(voltage - p.v_th, p.method, p.alpha)
    return z, voltage - z * (voltage - p.v_reset)


def constant_current_lif_encode(
    input_current: Tensor,
    seq_length: int,
    p: Any = None,
    dt: float = 0.001,
) -> Tensor:
    r"""Drive LIF neurons with a constant current for ``seq_length`` steps; return their spikes.

    $$ v_{t+1}' = v_t + (\Delta t\,\tau_{mem}^{-1})\big((v_{leak} - v_t) + I\big), \quad
       z_t = \Theta(v'_{t+1} - v_{th}), \quad v_{t+1} = v'_{t+1} - z_t (v'_{t+1} - v_{reset}) $$

    starting from $v_0 = 0$. Only the spikes are returned (Norse's docstring promises voltages too,
    but Norse returns only spikes as well).

    Args:
        input_current: constant input current of any shape.
        seq_length: number of time steps $T \ge 0$.
        p: LIF parameters; ``None`` (default) means the registered ``"lif"`` model's defaults, i.e.
            ``LIFParameters()`` of snn-neurons. Norse's signature has ``p=LIFParameters()``.
        dt: time step in seconds (> 0).

    Returns:
        Spikes of shape ``[T, *input_current.shape]`` in the default dtype.

    Raises:
        UnknownComponentError: if the ``"lif"`` model is not registered: ``pip install snn-neurons``.
        TypeError, ValueError: for a non-tensor or non-finite input, bad ``p``, ``dt`` or ``seq_length``.

    Example:
        >>> constant_current_lif_encode(torch.tensor([2.0, 4.0, 8.0, 16.0]), 2)
        tensor([[0., 0., 0., 1.],
                [0., 0., 1., 1.]])
    """
    check_tensor("input_current", input_current)
    steps = check_seq_length(seq_length)
    dt = check_dt(dt)
    p = resolve_lif_parameters(p, "constant_current_lif_encode")
    check_finite_values("input_current", input_current)
    dtype = torch.get_default_dtype()
    if steps == 0:
        return torch.zeros(0, *input_current.shape, dtype=dtype, device=input_current.device)
    voltage = torch.zeros(input_current.shape, dtype=dtype, device=input_current.device)
    spikes = []
    for _ in range(steps):
        z, voltage = _current_step(input_current, voltage, p, dt)
        spikes.append(z)
    return torch.stack(spikes).to(dtype)


def spike_latency_lif_encode(
    input_current: Tensor,
    seq_length: int,
    p: Any = None,
    dt: float = 0.001,
) -> Tensor:
    r"""Time-to-first-spike code: the LIF encoder of :func:`constant_current_lif_encode`, first spikes only.

    $$ o_t = z_t \, \Big[\sum_{s < t} z_s = 0\Big] $$

    The neuron keeps integrating and resetting; only its output after the first spike is masked.
    Stronger currents spike earlier.

    Args:
        input_current: constant floating-point input current of any shape.
        seq_length: number of time steps $T \ge 0$.
        p: LIF parameters; ``None`` (default) means the registered ``"lif"`` model's defaults.
        dt: time step in seconds (> 0).

    Returns:
        Spikes of shape ``[T, *input_current.shape]`` in the input's dtype, at most one per neuron.

    Raises:
        UnknownComponentError: if the ``"lif"`` model is not registered: ``pip install snn-neurons``.
        TypeError: if ``input_current`` is not a floating-point tensor.
        ValueError: for non-finite input or bad ``p``, ``dt`` or ``seq_length``.

    Example:
        >>> spike_latency_lif_encode(torch.tensor([2.0, 4.0, 8.0, 16.0]), 3)
        tensor([[0., 0., 0., 1.],
                [0., 0., 1., 0.],
                [0., 1., 0., 0.]])
    """
    check_tensor("input_current", input_current)
    if not input_current.is_floating_point():
        raise TypeError(f"input_current must be a floating-point tensor, got dtype {input_current.dtype}")
    steps = check_seq_length(seq_length)
    dt = check_dt(dt)
    p = resolve_lif_parameters(p, "spike_latency_lif_encode")
    check_finite_values("input_current", input_current)
    if steps == 0:
        return input_current.new_zeros(0, *input_current.shape)
    voltage = torch.zeros_like(input_current)
    fired = torch.zeros_like(input_current)
    silent = torch.zeros_like(input_current)
    spikes = []
    for _ in range(steps):
        z, voltage = _current_step(input_current, voltage, p, dt)
        spikes.append(torch.where(fired > 0, silent, z))
        fired = fired + z
    return torch.stack(spikes)
