"""Hook implementations through which snn-neurons registers its components with snn-core.

Every feed-forward model is registered as a :class:`snn_core.NeuronSpec`, so
``snn_core.Neuron("<name>")`` runs it over a time-first input. Each ``initial_state(x, p)``
validates ``p`` once (:func:`~snn_neurons.validate_parameters`) and builds full-shape states in
the dtype and on the device of one time step ``x``: voltages at rest (``v_leak``; ``v_reset`` for
IAF, ``v_rest`` for CobaLIF, ``v0``/``u0`` for Izhikevich), currents, conductances and counters at 0,
and LSNN's threshold ``b`` at ``v_th``.

Two models need more than Norse's parameter tuple: ``"izhikevich"`` uses
:class:`~snn_neurons.IzhikevichNeuronParameters` (defaults and initial values of tonic spiking),
and ``"lif_mc"`` / ``"lif_mc_refrac"`` use :class:`~snn_neurons.LIFMCParameters` /
:class:`~snn_neurons.LIFMCRefracParameters`, which carry ``g_coupling`` (``None``: no coupling).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

import snn_core

from . import functional as F
from .sequence import SEQUENCES

__all__ = ["snn_register_neurons", "initial_states"]


def _dtype(x: Tensor) -> torch.dtype:
    return x.dtype if x.is_floating_point() else torch.get_default_dtype()


def _zeros(x: Tensor) -> Tensor:
    return torch.zeros(x.shape, dtype=_dtype(x), device=x.device)


def _filled(x: Tensor, value: Any) -> Tensor:
    """A tensor shaped like ``x`` holding ``value`` (a number or a broadcastable tensor)."""
    value = torch.as_tensor(value).to(device=x.device, dtype=_dtype(x))
    return _zeros(x) + value


def _lif_state(x: Tensor, p: Any) -> F.LIFFeedForwardState:
    return F.LIFFeedForwardState(v=_filled(x, p.v_leak), i=_zeros(x))


def _checked(build: Any) -> Any:
    def initial_state(x: Tensor, p: Any) -> Any:
        F.validate_parameters(p)
        return build(x, p)

    initial_state.__name__ = f"initial_state_{build.__name__.lstrip('_')}"
    initial_state.__doc__ = "Validate ``p`` once and build a full-shape state like ``x``."
    return initial_state


def _iaf(x: Tensor, p: F.IAFParameters) -> F.IAFFeedForwardState:
    return F.IAFFeedForwardState(v=_filled(x, p.v_reset))


def _li(x: Tensor, p: F.LIParameters) -> F.LIState:
    return F.LIState(v=_filled(x, p.v_leak), i=_zeros(x))


def _izhikevich(x: Tensor, p: F.IzhikevichNeuronParameters) -> F.IzhikevichState:
    return F.IzhikevichState(v=_filled(x, p.v0), u=_filled(x, p.u0))


def _lif_box(x: Tensor, p: F.LIFBoxParameters) -> F.LIFBoxFeedForwardState:
    return F.LIFBoxFeedForwardState(v=_filled(x, p.v_leak))


def _coba_lif(x: Tensor, p: F.CobaLIFParameters) -> F.CobaLIFFeedForwardState:
    return F.CobaLIFFeedForwardState(v=_filled(x, p.v_rest), g_e=_zeros(x), g_i=_zeros(x))


def _lif_adex(x: Tensor, p: F.LIFAdExParameters) -> F.LIFAdExFeedForwardState:
    return F.LIFAdExFeedForwardState(v=_filled(x, p.v_leak), i=_zeros(x), a=_zeros(x))


def _lif_ex(x: Tensor, p: F.LIFExParameters) -> F.LIFExFeedForwardState:
    return F.LIFExFeedForwardState(v=_filled(x, p.v_leak), i=_zeros(x))


def _lif_refrac(x: Tensor, p: Any) -> F.LIFRefracFeedForwardState:
    return F.LIFRefracFeedForwardState(lif=_lif_state(x, p.lif), rho=_zeros(x))


def _lif_mc(x: Tensor, p: F.LIFMCParameters) -> F.LIFFeedForwardState:
    if p.g_coupling is not None and x.dim() > 0 and p.g_coupling.shape[0] != x.shape[-1]:
        raise ValueError(
            f"p.g_coupling has shape {tuple(p.g_coupling.shape)}, but the input's last dimension is "
            f"{x.shape[-1]}"
        )
    return _lif_state(x, p)


def _lif_mc_refrac(x: Tensor, p: F.LIFMCRefracParameters) -> F.LIFRefracFeedForwardState:
    if p.g_coupling is not None and x.dim() > 0 and p.g_coupling.shape[0] != x.shape[-1]:
        raise ValueError(
            f"p.g_coupling has shape {tuple(p.g_coupling.shape)}, but the input's last dimension is "
            f"{x.shape[-1]}"
        )
    return _lif_refrac(x, p)


def _lsnn(x: Tensor, p: F.LSNNParameters) -> F.LSNNFeedForwardState:
    return F.LSNNFeedForwardState(v=_filled(x, p.v_leak), i=_zeros(x), b=_filled(x, p.v_th))


initial_states = {
    "lif": _checked(_lif_state),
    "li": _checked(_li),
    "iaf": _checked(_iaf),
    "izhikevich": _checked(_izhikevich),
    "lif_box": _checked(_lif_box),
    "coba_lif": _checked(_coba_lif),
    "lif_adex": _checked(_lif_adex),
    "lif_ex": _checked(_lif_ex),
    "lif_mc": _checked(_lif_mc),
    "lif_refrac": _checked(_lif_refrac),
    "lif_mc_refrac": _checked(_lif_mc_refrac),
    "lsnn": _checked(_lsnn),
}
"""Name -> ``initial_state(x, p)`` of every registered neuron (validates ``p``, then builds)."""


@snn_core.hookimpl
def snn_register_neurons() -> list[snn_core.NeuronSpec]:
    """Every feed-forward neuron model of snn-neurons, with its fused whole-sequence path where one exists."""
    table: list[tuple[str, Callable[..., Any], type, type, str]] = [
        (
            "lif",
            F.lif_feed_forward_step,
            F.LIFParameters,
            F.LIFFeedForwardState,
            "current-based leaky integrate-and-fire",
        ),
        ("li", F.li_feed_forward_step, F.LIParameters, F.LIState, "leaky integrator (outputs v)"),
        ("iaf", F.iaf_feed_forward_step, F.IAFParameters, F.IAFFeedForwardState, "integrate-and-fire"),
        (
            "izhikevich",
            F.izhikevich_feed_forward_step,
            F.IzhikevichNeuronParameters,
            F.IzhikevichState,
            "Izhikevich neuron (tonic spiking defaults)",
        ),
        (
            "lif_box",
            F.lif_box_feed_forward_step,
            F.LIFBoxParameters,
            F.LIFBoxFeedForwardState,
            "LIF without synaptic current",
        ),
        (
            "coba_lif",
            F.coba_lif_feed_forward_step,
            F.CobaLIFParameters,
            F.CobaLIFFeedForwardState,
            "conductance-based LIF",
        ),
        (
            "lif_adex",
            F.lif_adex_feed_forward_step,
            F.LIFAdExParameters,
            F.LIFAdExFeedForwardState,
            "adaptive exponential LIF",
        ),
        ("lif_ex", F.lif_ex_feed_forward_step, F.LIFExParameters, F.LIFExFeedForwardState, "exponential LIF"),
        (
            "lif_mc",
            F.lif_mc_neuron_step,
            F.LIFMCParameters,
            F.LIFFeedForwardState,
            "multi-compartment LIF (g_coupling in the parameters)",
        ),
        (
            "lif_refrac",
            F.lif_refrac_feed_forward_step,
            F.LIFRefracParameters,
            F.LIFRefracFeedForwardState,
            "LIF with absolute refractory period",
        ),
        (
            "lif_mc_refrac",
            F.lif_mc_refrac_neuron_step,
            F.LIFMCRefracParameters,
            F.LIFRefracFeedForwardState,
            "multi-compartment LIF with refractory period",
        ),
        (
            "lsnn",
            F.lsnn_feed_forward_step,
            F.LSNNParameters,
            F.LSNNFeedForwardState,
            "LIF with adaptive threshold",
        ),
    ]
    return [
        snn_core.NeuronSpec(
            name=name,
            step=step,
            parameters=parameters,
            state=state,
            initial_state=initial_states[name],
            sequence=SEQUENCES.get(name),
            summary=summary,
        )
        for name, step, parameters, state, summary in table
    ]


@snn_core.hookimpl
def snn_register_kernels() -> list[snn_core.KernelSpec]:
    """The compiled CPU loops (``backend="cpu"``; built on first use, see :mod:`snn_neurons.native`).

    One kernel per model with a whole-sequence path: ``neuron:lif``, ``li``, ``iaf``, ``lif_box``,
    ``lif_refrac``, ``lsnn``, ``izhikevich``, ``coba_lif`` (all steps in C), ``lif_ex`` and ``lif_adex`` (one
    C call per step around torch's ``exp``). Each runs the torch path itself where its loop does not apply.
    """
    from . import native

    exact = "forward bit-identical to the step, one-sweep backward"
    table = [
        ("lif", native.lif_feed_forward_sequence, f"compiled C loop for CPU tensors ({exact})"),
        ("li", native.li_feed_forward_sequence, f"compiled C loop for CPU tensors ({exact})"),
        ("iaf", native.iaf_feed_forward_sequence, f"compiled C loop for CPU tensors ({exact})"),
        ("lif_box", native.lif_box_feed_forward_sequence, f"compiled C loop for CPU tensors ({exact})"),
        ("lif_refrac", native.lif_refrac_feed_forward_sequence, f"compiled C loop for CPU tensors ({exact})"),
        ("lsnn", native.lsnn_feed_forward_sequence, f"compiled C loop for CPU tensors ({exact})"),
        ("lif_ex", native.lif_ex_feed_forward_sequence, f"compiled C step around torch.exp ({exact})"),
        ("lif_adex", native.lif_adex_feed_forward_sequence, f"compiled C step around torch.exp ({exact})"),
        (
            "izhikevich",
            native.models.izhikevich_feed_forward_sequence,
            f"compiled C loop for CPU tensors ({exact})",
        ),
        (
            "coba_lif",
            native.models.coba_lif_feed_forward_sequence,
            f"compiled C loop for CPU tensors ({exact})",
        ),
    ]
    return [
        snn_core.KernelSpec(
            name=f"cpu-{model.replace('_', '-')}",
            target=f"neuron:{model}",
            backend="cpu",
            device="cpu",
            fn=fn,
            is_available=native.available,
            summary=summary,
        )
        for model, fn, summary in table
    ]
