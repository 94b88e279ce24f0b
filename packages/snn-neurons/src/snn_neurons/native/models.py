r"""The ``"cpu"`` kernels of LIF, LI, IAF, LIF box, refractory LIF, LSNN, AdEx, exponential LIF, Izhikevich and
conductance-based LIF.

Each ``<model>_feed_forward_sequence(xs, state, p, dt)`` runs the model's C file (``<model>.c``)
where the compiled loop reproduces the step function bit for bit, and
:func:`snn_neurons.sequence.<model>_feed_forward_sequence` with ``backend="torch"`` otherwise: a
parameter that is not one CPU number (per-neuron tensors), one that requires grad, a threshold
without a C derivative (a plugin's, ``logistic``), a state that is not a full-shape tensor of the
input's dtype, other dtypes than float32/float64, ``torch.func`` transforms, a user-defined
``reset_method`` of LIF box. ``lif_ex``/``lif_adex`` also need contiguous input and state: their step
keeps torch's ``exp`` (see :mod:`._sequence`) over contiguous buffers, and torch does not promise
that its vectorised loop and its remainder loop round alike, so the step's ``exp`` must visit the
elements in the same memory order.

Constants are computed with the step's own expressions (``dt * p.tau_mem_inv`` in the parameter's
type, then rounded to the input's dtype by ctypes as torch rounds a 0-dim operand).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..functional.reset import reset_subtract, reset_value
from ._common import PlanCache, scalar, scalars, surrogate_kind
from ._sequence import SQRT_PI, Model, NativeSequence, Plan, Stepwise, run
from ._sequence import supported as _supported

__all__ = [
    "MODELS",
    "coba_lif_feed_forward_sequence",
    "iaf_feed_forward_sequence",
    "izhikevich_feed_forward_sequence",
    "li_feed_forward_sequence",
    "lif_adex_feed_forward_sequence",
    "lif_box_feed_forward_sequence",
    "lif_ex_feed_forward_sequence",
    "lif_feed_forward_sequence",
    "lif_refrac_feed_forward_sequence",
    "lsnn_feed_forward_sequence",
    "supported",
]


def _leak(p: Any, dt: float) -> tuple[float, float] | None:
    """``(dt * tau_mem_inv, -dt * tau_syn_inv)`` as the step rounds them, or ``None``."""
    a, c = scalar(dt * p.tau_mem_inv), scalar(-dt * p.tau_syn_inv)
    return None if a is None or c is None else (a, c)


# --- LIF ---------------------------------------------------------------------------------------


def _lif_plan(p: Any, dt: float) -> Plan | None:
    kind, leak = surrogate_kind(p.method), _leak(p, dt)
    values = scalars(p.v_leak, p.v_th, p.v_reset, p.alpha)
    if kind is None or leak is None or values is None:
        return None
    (a, c), (v_leak, v_th, v_reset, alpha) = leak, values
    return Plan((a, c, v_leak, v_th, v_reset), (a, c, v_th, v_reset, alpha, SQRT_PI), kind)


LIF = Model(
    "lif",
    ("v", "i"),
    saved=1,
    spikes=True,
    plan=PlanCache(
        lambda p: (p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha, p.method), _lif_plan
    ),
)


class _NativeLIF(NativeSequence):
    """LIF's compiled loop; saves the voltage before reset per step."""


def lif_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:lif`` (``lif.c``).

    Called by :func:`snn_neurons.sequence.lif_feed_forward_sequence` (which validates ``xs`` and
    ``dt`` and keeps ``torch.compile`` out) through the kernel registry.
    """
    from ..sequence import lif_feed_forward_sequence as fallback

    return run(LIF, _NativeLIF, xs, state, p, dt, fallback)


# --- LI ----------------------------------------------------------------------------------------


def _li_plan(p: Any, dt: float) -> Plan | None:
    leak, values = _leak(p, dt), scalars(p.v_leak)
    if leak is None or values is None:
        return None
    (a, c), (v_leak,) = leak, values
    return Plan((a, c, v_leak), (a, c), kind=-1)


LI = Model(
    "li",
    ("v", "i"),
    saved=0,
    spikes=False,
    plan=PlanCache(lambda p: (p.tau_syn_inv, p.tau_mem_inv, p.v_leak), _li_plan),
)


class _NativeLI(NativeSequence):
    """LI's compiled loop (linear: the backward pass needs no saved tensor)."""


def li_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:li`` (``li.c``; outputs: the voltage after each step)."""
    from ..sequence import li_feed_forward_sequence as fallback

    return run(LI, _NativeLI, xs, state, p, dt, fallback)


# --- IAF ---------------------------------------------------------------------------------------


def _iaf_plan(p: Any, dt: float) -> Plan | None:
    kind, values = surrogate_kind(p.method), scalars(p.v_th, p.v_reset, p.alpha)
    if kind is None or values is None:
        return None
    v_th, v_reset, alpha = values
    return Plan((v_th, v_reset), (v_th, v_reset, alpha, SQRT_PI), kind)


IAF = Model(
    "iaf",
    ("v",),
    saved=1,
    spikes=True,
    plan=PlanCache(lambda p: (p.v_th, p.v_reset, p.alpha, p.method), _iaf_plan),
)


class _NativeIAF(NativeSequence):
    """IAF's compiled loop; saves the voltage before reset per step."""


def iaf_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:iaf`` (``iaf.c``)."""
    from ..sequence import iaf_feed_forward_sequence as fallback

    return run(IAF, _NativeIAF, xs, state, p, dt, fallback)


# --- LIF box -----------------------------------------------------------------------------------


def _lif_box_plan(p: Any, dt: float) -> Plan | None:
    kind = surrogate_kind(p.method)
    a, values = scalar(dt * p.tau_mem_inv), scalars(p.v_leak, p.v_th, p.v_reset, p.alpha)
    # the two built-in resets by identity; a user's function runs in torch
    subtract = {reset_value: 0, reset_subtract: 1}.get(p.reset_method)
    if kind is None or a is None or values is None or subtract is None:
        return None
    v_leak, v_th, v_reset, alpha = values
    return Plan((a, v_leak, v_th, v_reset, subtract), (a, v_th, v_reset, alpha, SQRT_PI, subtract), kind)


LIF_BOX = Model(
    "lif_box",
    ("v",),
    saved=1,
    spikes=True,
    plan=PlanCache(
        lambda p: (p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha, p.method, p.reset_method),
        _lif_box_plan,
    ),
)


class _NativeLIFBox(NativeSequence):
    """LIF box's compiled loop (value or subtractive reset); saves the voltage before reset."""


def lif_box_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:lif_box`` (``lif_box.c``; ``reset_value`` or ``reset_subtract``)."""
    from ..sequence import lif_box_feed_forward_sequence as fallback

    return run(LIF_BOX, _NativeLIFBox, xs, state, p, dt, fallback)


# --- refractory LIF ----------------------------------------------------------------------------


def _lif_refrac_plan(p: Any, dt: float) -> Plan | None:
    lif = p.lif
    kind, leak = surrogate_kind(lif.method), _leak(lif, dt)
    values = scalars(lif.v_leak, lif.v_th, lif.v_reset, lif.alpha, p.rho_reset)
    if kind is None or leak is None or values is None:
        return None
    (a, c), (v_leak, v_th, v_reset, alpha, rho_reset) = leak, values
    return Plan(
        (a, c, v_leak, v_th, v_reset, rho_reset), (a, c, v_th, v_reset, rho_reset, alpha, SQRT_PI), kind
    )


def _lif_refrac_fields(p: Any) -> tuple[Any, ...]:
    lif = p.lif
    return (
        lif.tau_syn_inv,
        lif.tau_mem_inv,
        lif.v_leak,
        lif.v_th,
        lif.v_reset,
        lif.alpha,
        lif.method,
        p.rho_reset,
    )


LIF_REFRAC = Model(
    "lif_refrac",
    ("lif.v", "lif.i", "rho"),
    saved=3,
    spikes=True,
    plan=PlanCache(_lif_refrac_fields, _lif_refrac_plan),
)


class _NativeLIFRefrac(NativeSequence):
    """Refractory LIF's compiled loop; saves the voltage and counter entering each step and v1."""


def lif_refrac_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:lif_refrac`` (``lif_refrac.c``)."""
    from ..sequence import lif_refrac_feed_forward_sequence as fallback

    return run(LIF_REFRAC, _NativeLIFRefrac, xs, state, p, dt, fallback)


# --- LSNN --------------------------------------------------------------------------------------


def _lsnn_plan(p: Any, dt: float) -> Plan | None:
    kind, leak, d = surrogate_kind(p.method), _leak(p, dt), scalar(dt * p.tau_adapt_inv)
    values = scalars(p.v_leak, p.v_th, p.v_reset, p.beta, p.alpha)
    if kind is None or leak is None or d is None or values is None:
        return None
    (a, c), (v_leak, v_th, v_reset, beta, alpha) = leak, values
    return Plan((a, c, d, v_leak, v_th, v_reset, beta), (a, c, d, v_reset, beta, alpha, SQRT_PI), kind)


def _lsnn_fields(p: Any) -> tuple[Any, ...]:
    return (
        p.tau_syn_inv,
        p.tau_mem_inv,
        p.tau_adapt_inv,
        p.v_leak,
        p.v_th,
        p.v_reset,
        p.beta,
        p.alpha,
        p.method,
    )


LSNN = Model("lsnn", ("v", "i", "b"), saved=2, spikes=True, plan=PlanCache(_lsnn_fields, _lsnn_plan))


class _NativeLSNN(NativeSequence):
    """LSNN's compiled loop; saves the voltage and the threshold before reset per step."""


def lsnn_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:lsnn`` (``lsnn.c``)."""
    from ..sequence import lsnn_feed_forward_sequence as fallback

    return run(LSNN, _NativeLSNN, xs, state, p, dt, fallback)


# --- exponential LIF ---------------------------------------------------------------------------


def _lif_ex_plan(p: Any, dt: float) -> Plan | None:
    kind, leak = surrogate_kind(p.method), _leak(p, dt)
    values = scalars(p.v_leak, p.v_th, p.v_reset, p.delta_T, p.alpha)
    if kind is None or leak is None or values is None:
        return None
    (a, c), (v_leak, v_th, v_reset, delta_t, alpha) = leak, values
    return Plan((a, c, v_leak, v_th, v_reset, delta_t), (a, c, v_th, v_reset, alpha, SQRT_PI), kind)


def _lif_ex_fields(p: Any) -> tuple[Any, ...]:
    return (p.delta_T, p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th, p.v_reset, p.alpha, p.method)


LIF_EX = Model(
    "lif_ex",
    ("v", "i"),
    saved=2,
    spikes=True,
    plan=PlanCache(_lif_ex_fields, _lif_ex_plan),
    stepwise=Stepwise(
        ("xs", "v", "i", "zs", "v1s", "es", "e", "arg"), ("a", "c", "v_leak", "v_th", "v_reset", "delta_t")
    ),
)


class _NativeLIFEx(NativeSequence):
    """Exponential LIF's compiled step around torch's exp; saves v1 and the exponential per step."""


def lif_ex_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:lif_ex`` (``lif_ex.c``, one C call and one ``torch.exp`` per step)."""
    from ..sequence import lif_ex_feed_forward_sequence as fallback

    return run(LIF_EX, _NativeLIFEx, xs, state, p, dt, fallback)


# --- AdEx --------------------------------------------------------------------------------------


def _lif_adex_plan(p: Any, dt: float) -> Plan | None:
    kind, leak, d = surrogate_kind(p.method), _leak(p, dt), scalar(dt * p.tau_ada_inv)
    values = scalars(
        p.v_leak, p.v_th, p.v_reset, p.delta_T, p.adaptation_current, p.adaptation_spike, p.alpha
    )
    if kind is None or leak is None or d is None or values is None:
        return None
    (a, c), (v_leak, v_th, v_reset, delta_t, a_c, a_s, alpha) = leak, values
    return Plan(
        (a, c, d, v_leak, v_th, v_reset, delta_t, a_c, a_s),
        (a, c, d, v_th, v_reset, a_c, a_s, alpha, SQRT_PI),
        kind,
    )


def _lif_adex_fields(p: Any) -> tuple[Any, ...]:
    return (
        p.adaptation_current,
        p.adaptation_spike,
        p.delta_T,
        p.tau_ada_inv,
        p.tau_syn_inv,
        p.tau_mem_inv,
        p.v_leak,
        p.v_th,
        p.v_reset,
        p.alpha,
        p.method,
    )


LIF_ADEX = Model(
    "lif_adex",
    ("v", "i", "a"),
    saved=2,
    spikes=True,
    plan=PlanCache(_lif_adex_fields, _lif_adex_plan),
    stepwise=Stepwise(
        ("xs", "v", "i", "w", "zs", "v1s", "es", "e", "arg"),
        ("a", "c", "d", "v_leak", "v_th", "v_reset", "delta_t", "adaptation_current", "adaptation_spike"),
    ),
)


class _NativeLIFAdEx(NativeSequence):
    """AdEx's compiled step around torch's exp; saves v1 and the exponential per step."""


def lif_adex_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:lif_adex`` (``lif_adex.c``, one C call and one ``torch.exp`` per step)."""
    from ..sequence import lif_adex_feed_forward_sequence as fallback

    return run(LIF_ADEX, _NativeLIFAdEx, xs, state, p, dt, fallback)


# --- Izhikevich -------------------------------------------------------------------------------


def _izhikevich_plan(p: Any, dt: float) -> Plan | None:
    # the step's own products of parameters: (tau_inv * dt) and (tau_inv * dt) * a, in their type
    kind, e, f = surrogate_kind(p.method), scalar(p.tau_inv * dt), scalar(p.tau_inv * dt * p.a)
    values = scalars(p.sq, p.mn, p.bias, p.b, p.v_th, p.c, p.d, p.alpha)
    if kind is None or e is None or f is None or values is None:
        return None
    sq, mn, bias, b, v_th, c, d, alpha = values
    return Plan((e, f, sq, mn, bias, b, v_th, c, d), (e, f, sq, mn, b, v_th, c, d, alpha, SQRT_PI), kind)


def _izhikevich_fields(p: Any) -> tuple[Any, ...]:
    return (p.tau_inv, p.a, p.b, p.c, p.d, p.sq, p.mn, p.bias, p.v_th, p.alpha, p.method)


IZHIKEVICH = Model(
    "izhikevich",
    ("v", "u"),
    saved=2,
    spikes=True,
    plan=PlanCache(_izhikevich_fields, _izhikevich_plan),
)


class _NativeIzhikevich(NativeSequence):
    """Izhikevich's compiled loop; saves the voltage entering each step and v1."""


def izhikevich_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:izhikevich`` (``izhikevich.c``; the 0-dim preset states run torch)."""
    from ..sequence import izhikevich_feed_forward_sequence as fallback

    return run(IZHIKEVICH, _NativeIzhikevich, xs, state, p, dt, fallback)


# --- conductance-based LIF ---------------------------------------------------------------------


def _coba_lif_plan(p: Any, dt: float) -> Plan | None:
    # the step's own products: -dt * tau_syn_*_inv and dt * c_m_inv, in the parameters' type
    kind = surrogate_kind(p.method)
    a_e, a_i, m = scalar(-dt * p.tau_syn_exc_inv), scalar(-dt * p.tau_syn_inh_inv), scalar(dt * p.c_m_inv)
    values = scalars(p.g_l, p.v_rest, p.e_rev_E, p.e_rev_I, p.v_thresh, p.v_reset, p.alpha)
    if kind is None or a_e is None or a_i is None or m is None or values is None:
        return None
    g_l, v_rest, e_e, e_i, v_th, v_reset, alpha = values
    return Plan(
        (a_e, a_i, m, g_l, v_rest, e_e, e_i, v_th, v_reset),
        (a_e, a_i, m, g_l, e_e, e_i, v_th, v_reset, alpha, SQRT_PI),
        kind,
    )


def _coba_lif_fields(p: Any) -> tuple[Any, ...]:
    return (
        p.tau_syn_exc_inv,
        p.tau_syn_inh_inv,
        p.c_m_inv,
        p.g_l,
        p.e_rev_I,
        p.e_rev_E,
        p.v_rest,
        p.v_reset,
        p.v_thresh,
        p.alpha,
        p.method,
    )


COBA_LIF = Model(
    "coba_lif",
    ("v", "g_e", "g_i"),
    saved=4,
    spikes=True,
    plan=PlanCache(_coba_lif_fields, _coba_lif_plan),
)


class _NativeCobaLIF(NativeSequence):
    """Conductance-based LIF's compiled loop; saves v entering each step, v1, g_e1 + g_i1 and the input."""


def coba_lif_feed_forward_sequence(xs: Tensor, state: Any, p: Any, dt: float) -> tuple[Tensor, Any]:
    """The ``"cpu"`` kernel of ``neuron:coba_lif`` (``coba_lif.c``)."""
    from ..sequence import coba_lif_feed_forward_sequence as fallback

    return run(COBA_LIF, _NativeCobaLIF, xs, state, p, dt, fallback)


#: registry neuron name -> its Model
MODELS = {
    "lif": LIF,
    "li": LI,
    "iaf": IAF,
    "lif_box": LIF_BOX,
    "lif_refrac": LIF_REFRAC,
    "lsnn": LSNN,
    "lif_ex": LIF_EX,
    "lif_adex": LIF_ADEX,
    "izhikevich": IZHIKEVICH,
    "coba_lif": COBA_LIF,
}


def supported(model: str, xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> bool:
    """Whether the compiled loop of ``model`` (a key of :data:`MODELS`) reproduces its step here.

    Raises:
        KeyError: for a model without a compiled loop here.
    """
    if model not in MODELS:
        raise KeyError(
            f"model={model!r} has no compiled loop in snn_neurons.native.models; expected one of {sorted(MODELS)}"
        )
    return _supported(MODELS[model], xs, state, p, dt)
