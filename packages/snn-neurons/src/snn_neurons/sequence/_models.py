"""Whole-sequence functions for LI, IAF, LIF box, LIF refrac, LSNN, AdEx, Ex, Izhikevich and CobaLIF (recomputing backward)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor
from torch.utils import _pytree as pytree

import snn_core

from ._adex import AdExSequence
from ._common import check_sequence, dispatch, fusable, step_loop
from ._ex import ExSequence
from ._generic import Unfusable, generic_sequence
from ._lsnn import LSNNSequence
from ._refrac import RefracSequence
from ._simple import IAFSequence, LIFBoxSequence, LISequence
from ._surrogate import surrogate_derivative

__all__ = [
    "coba_lif_feed_forward_sequence",
    "iaf_feed_forward_sequence",
    "izhikevich_feed_forward_sequence",
    "li_feed_forward_sequence",
    "lif_adex_feed_forward_sequence",
    "lif_box_feed_forward_sequence",
    "lif_ex_feed_forward_sequence",
    "lif_refrac_feed_forward_sequence",
    "lsnn_feed_forward_sequence",
    "sequence_of",
]


def _functional(name: str) -> Any:
    from .. import functional

    return getattr(functional, name)


def _method(p: Any) -> str | None:
    """The threshold method of a parameter tuple (``p.lif.method`` for refractory LIF), or None."""
    inner = getattr(p, "lif", p)
    return getattr(inner, "method", None)


def run_sequence(
    name: str,
    target: str,
    step: Callable[..., Any],
    xs: Tensor,
    state: Any,
    p: Any,
    dt: float,
    backend: str,
    fused: Callable[..., Any] | None = None,
    recompute: bool = True,
) -> tuple[Tensor, Any]:
    """Dispatch to a kernel, a fused path, the recomputing sequence path, or the step loop (in that order).

    ``recompute=False`` skips the recomputing path, for models where it is slower than the loop.
    """
    check_sequence(xs, name)
    dt = snn_core.check_dt(dt)
    kernel = dispatch(target, xs, backend)
    if kernel is not None:
        return kernel(xs, state, p, dt)
    method = _method(p)
    derivative = None if method is None else surrogate_derivative(method)
    deterministic = method is None or derivative is not None
    if deterministic and fusable(xs, pytree.tree_leaves(state), pytree.tree_leaves(p)):
        if fused is not None:
            result = fused(xs, state, p, dt, derivative)
            if result is not None:
                return result
        if recompute:
            try:
                return generic_sequence(step, xs, state, p, dt)
            except Unfusable:
                pass
    return step_loop(step, xs, state, p, dt)


def sequence_of(
    name: str,
    target: str,
    step_name: str,
    parameters_name: str,
    fused: Callable[..., Any] | None = None,
    recompute: bool = True,
) -> Callable[..., Any]:
    """Build ``<model>_feed_forward_sequence(xs, state, p=None, dt=1e-3, backend="auto")``."""

    def sequence(xs: Tensor, state: Any, p: Any = None, dt: float = 1e-3, backend: str = "auto") -> Any:
        if p is None:
            p = _functional(parameters_name)()
        return run_sequence(name, target, _functional(step_name), xs, state, p, dt, backend, fused, recompute)

    sequence.__name__ = sequence.__qualname__ = name
    return sequence


_DOC_ARGS = r"""
    Args:
        xs: inputs ``[T, ...]``.
        state: ``{state}`` at the start.
        p: ``{params}``; ``None`` means the defaults.
        dt: time step.
        backend: ``"auto"``, ``"torch"`` or a kernel backend such as ``"cpu"`` or ``"cuda"``
            (``snn_core.select_kernel``).

    Returns:
        ``(outputs [T, ...], final_state)``.

    Raises:
        TypeError: if ``xs`` is not a floating-point tensor.
        ValueError: if ``xs`` has no time step or ``dt`` is not positive.
        BackendUnavailableError: for an explicit ``backend`` that cannot run here.

    Example:
        >>> zs, state = {name}(xs, state, p)  # xs: [T, batch, neurons]
"""

_DOC = (
    r"""Run ``{step}`` over a whole time-first sequence in one call.

    The outputs and the final state are bit for bit those of looping ``{step}``. No autograd graph
    is built per step: the forward pass keeps the state entering each step, the backward pass
    recomputes all steps in one batch, takes each step's (elementwise) Jacobian from it and runs
    the adjoint recursion backwards through time; gradients equal backpropagation through the
    loop up to float round-off. Gradients flow to ``xs`` and to the initial state; parameters are
    constants. The step loop runs instead when a parameter requires grad, the threshold method is
    not one of snn-core's deterministic ones, a state field is not a tensor, or the input does not
    have the state's full shape.
"""
    + _DOC_ARGS
)

_KERNEL_OR_LOOP_DOC = (
    r"""Run ``{step}`` over a whole time-first sequence in one call.

    The outputs and the final state are bit for bit those of looping ``{step}``. A registered
    kernel for the input's device runs the whole sequence (on CPU tensors the compiled C loop of
    snn-neurons' ``"cpu"`` backend: one autograd node, adjoint backward, gradients equal to
    backpropagation through the loop up to float round-off); otherwise, and with
    ``backend="torch"``, the step function is looped with autograd (for this model a recomputing
    torch path would be slower than the loop).
"""
    + _DOC_ARGS
)


def _li_fused(xs: Tensor, state: Any, p: Any, dt: float, derivative: Any) -> Any:
    outs, v, i = LISequence.apply(xs, state.v, state.i, p, dt)
    return outs, state._replace(v=v, i=i)


def _iaf_fused(xs: Tensor, state: Any, p: Any, dt: float, derivative: Any) -> Any:
    zs, v = IAFSequence.apply(xs, state.v, p, dt, derivative, False, False)
    return zs, state._replace(v=v)


def _lif_box_fused(xs: Tensor, state: Any, p: Any, dt: float, derivative: Any) -> Any:
    reset = p.reset_method
    if reset is _functional("reset_value"):
        subtract = False
    elif reset is _functional("reset_subtract"):
        subtract = True
    else:
        return None  # a user's reset function: the recomputing path handles any step
    zs, v = LIFBoxSequence.apply(xs, state.v, p, dt, derivative, True, subtract)
    return zs, state._replace(v=v)


def _lsnn_fused(xs: Tensor, state: Any, p: Any, dt: float, derivative: Any) -> Any:
    zs, v, i, b = LSNNSequence.apply(xs, state.v, state.i, state.b, p, dt, derivative)
    return zs, state._replace(v=v, i=i, b=b)


def _lif_ex_fused(xs: Tensor, state: Any, p: Any, dt: float, derivative: Any) -> Any:
    zs, v, i = ExSequence.apply(xs, state.v, state.i, p, dt, derivative)
    return zs, state._replace(v=v, i=i)


def _lif_adex_fused(xs: Tensor, state: Any, p: Any, dt: float, derivative: Any) -> Any:
    zs, v, i, a = AdExSequence.apply(xs, state.v, state.i, state.a, p, dt, derivative)
    return zs, state._replace(v=v, i=i, a=a)


def _lif_refrac_fused(xs: Tensor, state: Any, p: Any, dt: float, derivative: Any) -> Any:
    zs, v, i, rho = RefracSequence.apply(xs, state.lif.v, state.lif.i, state.rho, p, dt, derivative)
    return zs, state._replace(lif=state.lif._replace(v=v, i=i), rho=rho)


def _make(
    name: str,
    target: str,
    step: str,
    state: str,
    params: str,
    fused: Callable[..., Any] | None = None,
    recompute: bool = True,
) -> Callable[..., Any]:
    fn = sequence_of(name, target, step, params, fused, recompute)
    doc = _DOC if recompute or fused is not None else _KERNEL_OR_LOOP_DOC
    fn.__doc__ = doc.format(step=step, state=state, params=params, name=name)
    fn.__module__ = __name__
    return snn_core_disable(fn)


def snn_core_disable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Exclude ``fn`` from ``torch.compile`` tracing (a graph break; the loop runs eagerly)."""
    import torch

    return torch.compiler.disable(fn)


li_feed_forward_sequence = _make(
    "li_feed_forward_sequence", "neuron:li", "li_feed_forward_step", "LIState", "LIParameters", _li_fused
)
iaf_feed_forward_sequence = _make(
    "iaf_feed_forward_sequence",
    "neuron:iaf",
    "iaf_feed_forward_step",
    "IAFFeedForwardState",
    "IAFParameters",
    _iaf_fused,
)
lif_box_feed_forward_sequence = _make(
    "lif_box_feed_forward_sequence",
    "neuron:lif_box",
    "lif_box_feed_forward_step",
    "LIFBoxFeedForwardState",
    "LIFBoxParameters",
    _lif_box_fused,
)
lif_refrac_feed_forward_sequence = _make(
    "lif_refrac_feed_forward_sequence",
    "neuron:lif_refrac",
    "lif_refrac_feed_forward_step",
    "LIFRefracFeedForwardState",
    "LIFRefracParameters",
    _lif_refrac_fused,
)
lsnn_feed_forward_sequence = _make(
    "lsnn_feed_forward_sequence",
    "neuron:lsnn",
    "lsnn_feed_forward_step",
    "LSNNFeedForwardState",
    "LSNNParameters",
    _lsnn_fused,
)
lif_adex_feed_forward_sequence = _make(
    "lif_adex_feed_forward_sequence",
    "neuron:lif_adex",
    "lif_adex_feed_forward_step",
    "LIFAdExFeedForwardState",
    "LIFAdExParameters",
    _lif_adex_fused,
)
lif_ex_feed_forward_sequence = _make(
    "lif_ex_feed_forward_sequence",
    "neuron:lif_ex",
    "lif_ex_feed_forward_step",
    "LIFExFeedForwardState",
    "LIFExParameters",
    _lif_ex_fused,
)
# no torch fused paths: the registered kernels (the C loops on CPU) or the step loop; the recomputing
# path trains 3-6x slower than the loop for these two (measured at [200, 32, 1024])
izhikevich_feed_forward_sequence = _make(
    "izhikevich_feed_forward_sequence",
    "neuron:izhikevich",
    "izhikevich_feed_forward_step",
    "IzhikevichState",
    "IzhikevichNeuronParameters",
    recompute=False,
)
coba_lif_feed_forward_sequence = _make(
    "coba_lif_feed_forward_sequence",
    "neuron:coba_lif",
    "coba_lif_feed_forward_step",
    "CobaLIFFeedForwardState",
    "CobaLIFParameters",
    recompute=False,
)
