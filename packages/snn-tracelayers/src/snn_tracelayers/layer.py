r"""``TraceLayer``: one stateful layer class driven by a :class:`~snn_tracelayers.parts.TraceRecipe`.

:func:`make_layer_class` turns a recipe into a public class with traceTorch's constructor
signature (values, ``dim``, ``<name>_rank``, ``learn_<name>``, ``spike_fn``, ``quant_fn``), and
:func:`recipe_from_name` reads a name of the grammar ``[D][S][R](LI|LIEMA|LIB|LIT|LITS)``.
The 32 traceTorch layers are declared that way in :mod:`snn_tracelayers.layers`.

Example (a 33rd layer: a recurrent, synaptic, EMA leaky integrator without firing):
    >>> from snn_tracelayers import Membrane, Recurrence, Synapse, TraceRecipe, make_layer_class
    >>> SRLIEMA = make_layer_class(
    ...     "SRLIEMA", TraceRecipe(Membrane(ema=True), synapse=Synapse(), recurrence=Recurrence())
    ... )
    >>> layer = SRLIEMA(4, rec_weight=0.5)
    >>> layer(torch.ones(2, 4)).shape
    torch.Size([2, 4])
"""

from __future__ import annotations

import inspect
import re
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

import snn_core
from snn_core.kernels import check_backend

from .functional import TraceConfig, trace_sequence, trace_step
from .parts import BinaryFiring, Membrane, Recurrence, Synapse, TernaryFiring, TraceRecipe

__all__ = ["TraceLayer", "make_layer_class", "recipe_from_name", "DEFAULT_QUANT_FN"]

#: The default ``quant_fn``: one shared ``nn.Identity`` (as in traceTorch), skipped at run time.
DEFAULT_QUANT_FN = nn.Identity()


class TraceLayer(snn_core.Layer):
    """Base of all trace layers: the recipe's parameters and states on :class:`snn_core.Layer`.

    Do not instantiate directly; use a class made by :func:`make_layer_class` (``LIB``, ...).
    ``layer(x)`` runs one timestep; ``layer.sequence(xs)`` runs a time-first sequence.
    """

    recipe: ClassVar[TraceRecipe]

    def _setup(self, num_neurons: int, arguments: dict[str, Any]) -> None:
        super().__init__(num_neurons, arguments["dim"])
        recipe = type(self).recipe
        for decl in recipe.params:
            self._register_constrained(
                decl.name,
                arguments[decl.name],
                decl.constraint,
                rank=arguments[f"{decl.name}_rank"],
                learnable=bool(arguments[f"learn_{decl.name}"]),
            )
        for name in recipe.states:
            self._initialize_state(name)
        if recipe.firing is not None:
            self.spike_fn = snn_core.resolve_spike_fn(arguments["spike_fn"], argument="spike_fn")
            self.quant_fn = snn_core.resolve_spike_fn(arguments["quant_fn"], argument="quant_fn")
        self.backend = check_backend(arguments["backend"])

    # ------------------------------------------------------------------ pieces of the pure core
    def trace_params(self) -> dict[str, Tensor]:
        """Activated parameters by name (frozen buffers after ``TTcompile``)."""
        return {name: self.constrained_value(name) for name in self._dynamic_params}

    def trace_config(self) -> TraceConfig:
        """The static description handed to :func:`~snn_tracelayers.functional.trace_step`."""
        recipe = type(self).recipe
        if recipe.firing is None:
            return TraceConfig(recipe)
        quant = self.quant_fn
        return TraceConfig(recipe, self.spike_fn, None if isinstance(quant, nn.Identity) else quant)

    def _check_input(self, x: Tensor, axis: int, what: str) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"{type(self).__name__}: {what} must be a tensor, got {type(x).__name__}")
        try:
            size = x.shape[axis]
        except IndexError:
            raise ValueError(
                f"{type(self).__name__}: dim={self.dim} is out of range for {what} of shape {list(x.shape)}"
            ) from None
        if size != self.num_neurons:
            raise ValueError(
                f"{type(self).__name__}: {what} of shape {list(x.shape)} has {size} features on axis {axis}, "
                f"expected num_neurons={self.num_neurons}"
            )

    def _store(self, new: dict[str, Tensor], out: Tensor) -> Tensor:
        moved: dict[int, Tensor] = {}
        for name, value in new.items():
            back = moved.get(id(value))
            if back is None:
                back = moved[id(value)] = self._from_working_dim(value)
            self.__dict__[name] = back
        result = moved.get(id(out))
        return result if result is not None else self._from_working_dim(out)

    # ------------------------------------------------------------------ public calls
    def forward(self, x: Tensor) -> Tensor:
        """One timestep: input with ``num_neurons`` features on axis ``dim``; output of the same shape."""
        self._check_input(x, self.dim, "input")
        self._ensure_states(x)
        states = {name: self._to_working_dim(self.__dict__[name]) for name in self._state_names}
        out, new = trace_step(self._to_working_dim(x), states, self.trace_params(), self.trace_config())
        return self._store(new, out)

    def sequence(self, xs: Tensor) -> Tensor:
        """``T`` timesteps at once over a time-first input ``[T, ...]``.

        Returns the stacked outputs of ``T`` calls of the layer and leaves the states where those
        calls would. A kernel registered for ``"trace:<class name>"`` runs it when
        ``backend`` allows (``"auto"``: the best available for the device, else torch); inside
        ``torch.compile`` the torch loop is used (and compiled).

        Raises:
            ValueError: if the per-step shape does not fit ``num_neurons``/``dim`` or the states.
            BackendUnavailableError: for an explicit ``backend`` that cannot run here.
        """
        if not isinstance(xs, Tensor) or xs.dim() < 2:
            raise ValueError(
                f"{type(self).__name__}.sequence: xs must be a time-first tensor [T, ...] with at least 2 dims, "
                f"got {getattr(xs, 'shape', xs)!r}"
            )
        step_shape = xs[0] if xs.shape[0] > 0 else xs.new_zeros(xs.shape[1:])
        self._check_input(step_shape, self.dim, "each step of xs")
        self._ensure_states(step_shape)
        axis = self.dim + 1 if self.dim >= 0 else self.dim
        xw = xs.movedim(axis, -1)
        states = {name: self._to_working_dim(self.__dict__[name]) for name in self._state_names}
        params, config = self.trace_params(), self.trace_config()
        result: Any = NotImplemented
        kernel = None
        if not torch.compiler.is_compiling():  # under torch.compile the torch loop is what gets compiled
            kernel = snn_core.select_kernel(f"trace:{type(self).__name__}", xs.device, self.backend)
        if kernel is not None:
            result = kernel.fn(xw, states, params, config)
        if result is NotImplemented:
            result = trace_sequence(xw, states, params, config)
        outs, new = result
        self._store(new, outs[-1] if outs.shape[0] > 0 else outs)
        return outs.movedim(-1, axis)

    def extra_repr(self) -> str:
        extra = f"num_neurons={self.num_neurons}, dim={self.dim}"
        if type(self).recipe.firing is not None:
            extra += f", spike_fn={getattr(self.spike_fn, '__name__', self.spike_fn)!r}"
        return extra


def _signature(recipe: TraceRecipe) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter("num_neurons", kind, annotation="int")]
    params += [
        inspect.Parameter(d.name, kind, default=d.default, annotation="float | Tensor") for d in recipe.params
    ]
    params.append(inspect.Parameter("dim", kind, default=-1, annotation="int"))
    params += [
        inspect.Parameter(f"{d.name}_rank", kind, default=1, annotation="int") for d in recipe.rank_order
    ]
    params += [
        inspect.Parameter(f"learn_{d.name}", kind, default=True, annotation="bool") for d in recipe.rank_order
    ]
    if recipe.firing is not None:
        params.append(
            inspect.Parameter("spike_fn", kind, default=snn_core.sigmoid4x, annotation="Callable | str")
        )
        params.append(
            inspect.Parameter("quant_fn", kind, default=DEFAULT_QUANT_FN, annotation="Callable | str")
        )
    params.append(
        inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, default="auto", annotation="str")
    )
    return inspect.Signature(params)


def _docstring(name: str, recipe: TraceRecipe, signature: inspect.Signature) -> str:
    parts = ", ".join(
        type(p).__name__ + ("(dual)" if getattr(p, "dual", False) else "") for p in recipe.parts
    )
    params = ", ".join(d.name for d in recipe.params)
    output = "the membrane" if recipe.firing is None else "the (quantized) spikes"
    return (
        f"traceTorch's ``{name}``: {parts}.\n\n"
        f"One call is one timestep; returns {output}. Parameters (stored as ``raw_<name>``): {params}. "
        f"States: {', '.join(recipe.states)}. Equations: :mod:`snn_tracelayers.parts`.\n\n"
        f"Signature: ``{name}{signature}``\n\n"
        "Raises:\n    ValueError: for out-of-range values (decays outside (0, 1), thresholds <= 0), ranks other "
        "than 0/1, or inputs whose feature axis does not have ``num_neurons`` entries.\n"
    )


def make_layer_class(
    name: str, recipe: TraceRecipe, doc: str | None = None, module: str | None = None
) -> type:
    """Make a public trace layer class from a recipe.

    The class gets traceTorch's constructor signature for these parts: ``num_neurons``, the
    parameter values (alphas, betas, gammas, thresholds, bias, scales, rec weights), ``dim=-1``,
    one ``<name>_rank=1`` and one ``learn_<name>=True`` per value, and for firing layers
    ``spike_fn=sigmoid4x, quant_fn=nn.Identity()``; plus the keyword-only ``backend="auto"``.

    Args:
        name: class name (also the kernel target ``"trace:<name>"`` and the registry name).
        recipe: the parts.
        doc: class docstring (generated when omitted).
        module: ``__module__`` of the class (default: the caller's module).

    Returns:
        A subclass of :class:`TraceLayer`.

    Raises:
        ValueError: if ``name`` is not an identifier.
        TypeError: if ``recipe`` is not a :class:`TraceRecipe`.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    if not isinstance(recipe, TraceRecipe):
        raise TypeError(f"recipe must be a TraceRecipe, got {recipe!r}")
    signature = _signature(recipe)
    bind = signature.bind

    def __init__(self: TraceLayer, *args: Any, **kwargs: Any) -> None:
        try:
            bound = bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{name}(): {err}") from None
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        self._setup(arguments.pop("num_neurons"), arguments)

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD), *signature.parameters.values()]
    )
    __init__.__qualname__ = f"{name}.__init__"
    if module is None:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        module = caller.f_globals.get("__name__", __name__) if caller is not None else __name__
    namespace = {
        "__init__": __init__,
        "recipe": recipe,
        "__doc__": doc or _docstring(name, recipe, signature),
        "__module__": module,
        "__qualname__": name,
    }
    return type(name, (TraceLayer,), namespace)


_NAME = re.compile(r"^(D?)(S?)(R?)(LIEMA|LITS|LIT|LIB|LI)$")


def recipe_from_name(name: str) -> TraceRecipe:
    """The recipe of a traceTorch layer name ``[D][S][R](LI|LIEMA|LIB|LIT|LITS)``.

    ``D`` makes every part dual, ``S`` adds a synapse, ``R`` a recurrence; the family picks the
    membrane and firing (``LIEMA``: EMA membrane, no firing). ``DLIT`` gets traceTorch's strict
    negative split. Names outside traceTorch's 32 (``RLI``, ``DSRLIEMA``, ...) work too.

    Raises:
        ValueError: for a name outside the grammar.

    Example:
        >>> recipe_from_name("SRLIB").states
        ('syn', 'mem', 'rec', 'prev_output')
    """
    match = _NAME.match(name) if isinstance(name, str) else None
    if match is None:
        raise ValueError(f"name must match [D][S][R](LI|LIEMA|LIB|LIT|LITS), got {name!r}")
    dual, synaptic, recurrent = (bool(match.group(i)) for i in (1, 2, 3))
    family = match.group(4)
    firing: BinaryFiring | TernaryFiring | None = {
        "LI": None,
        "LIEMA": None,
        "LIB": BinaryFiring(),
        "LIT": TernaryFiring(),
        "LITS": TernaryFiring(scaled=True),
    }[family]
    membrane = Membrane(dual=dual, ema=family == "LIEMA", strict_negative=name == "DLIT")
    return TraceRecipe(
        membrane=membrane,
        synapse=Synapse(dual=dual) if synaptic else None,
        recurrence=Recurrence(dual=dual) if recurrent else None,
        firing=firing,
    )
