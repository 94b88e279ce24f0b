r"""``snn_core.Layer``: the stateful one-timestep layer machinery of traceTorch.

A :class:`Layer` owns three things a recurrent spiking layer needs:

* **Hidden states**, declared by name with :meth:`Layer._initialize_state` and created lazily as
  zeros from the first input (the input's shape with the feature axis resized to
  ``num_neurons``, the input's dtype and device). States are plain tensors: never parameters,
  never buffers, never in ``state_dict()``. They follow ``.to()`` / ``.double()`` / ``.cuda()``.
  A later input whose shape needs a different state shape (e.g. another batch size) raises a
  ``ValueError`` until :meth:`Layer.zero_states` is called.
* **Constrained parameters** ``raw_<name>`` read through an activation, e.g. a decay
  $\beta = \sigma(r_\beta)$ stored as $r_\beta = \operatorname{logit}(\beta)$; ``self.<name>``
  returns the activated value. ``learn_<name>=False`` stores the raw tensor as a (persistent)
  buffer instead of a parameter, so ``state_dict()`` keys are the same either way.
* **The working dimension** ``dim``: the feature axis is moved last for the per-feature math
  and back afterwards (:meth:`Layer._to_working_dim`, :meth:`Layer._from_working_dim`).

:meth:`Layer.TTcompile` freezes every constrained parameter into a buffer holding its activated
value (``raw_beta`` → ``beta``); :meth:`Layer.TTdecompile` restores trainable raw parameters.

Example:
    >>> class Leaky(Layer):
    ...     def __init__(self, num_neurons, beta=0.9, dim=-1):
    ...         super().__init__(num_neurons, dim)
    ...         self._register_decay("beta", beta, rank=1, learnable=True)
    ...         self._initialize_state("mem")
    ...     def forward(self, x):
    ...         self._ensure_states(x)
    ...         mem = self._to_working_dim(self.mem)
    ...         mem = self.beta * mem + self._to_working_dim(x)
    ...         self.mem = self._from_working_dim(mem)
    ...         return self.mem
    >>> layer = Leaky(3)
    >>> layer(torch.ones(2, 3))[0]
    tensor([1., 1., 1.], grad_fn=<SelectBackward0>)
"""

from __future__ import annotations

import keyword
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from .constrained import BIAS, DECAY, IDENTITY, THRESHOLD, Constraint, identity

__all__ = ["Layer", "RegisteredThreshold", "resolve_spike_fn"]

DEFAULT_SURROGATE_ALPHA = 100.0


class RegisteredThreshold:
    r"""A registered threshold function bound to its ``alpha``: ``fn(x) = spec.fn(x, alpha)``.

    Made by :func:`resolve_spike_fn` from a name such as ``"sigmoid4x"`` or ``"super"``. Pickles
    by name, so a model using it can be saved whole with ``torch.save(model)``.
    """

    def __init__(self, name: str, alpha: float = DEFAULT_SURROGATE_ALPHA) -> None:
        from .plugins.manager import registry

        self.name = name
        self.alpha = alpha
        self.fn = registry().thresholds[name].fn

    def __call__(self, x: Tensor) -> Tensor:
        return self.fn(x, self.alpha)

    def __reduce__(self) -> tuple[Any, ...]:
        return (RegisteredThreshold, (self.name, self.alpha))

    def __repr__(self) -> str:
        return f"RegisteredThreshold({self.name!r}, alpha={self.alpha})"


def resolve_spike_fn(
    fn: str | Callable[[Tensor], Tensor],
    alpha: float = DEFAULT_SURROGATE_ALPHA,
    *,
    argument: str = "spike_fn",
) -> Callable[[Tensor], Tensor]:
    """Turn a ``spike_fn`` / ``quant_fn`` argument into a one-argument callable.

    Args:
        fn: a registered threshold name (``"sigmoid4x"``, ``"super"``, a plugin's name, ...),
            resolved through :func:`snn_core.registry` and called as ``fn(x, alpha)``; or any
            callable taking one tensor, returned unchanged.
        alpha: the surrogate hyperparameter for a named threshold (``sigmoid4x`` ignores it).
        argument: the argument name used in error messages.

    Returns:
        A callable ``f(x) -> Tensor``.

    Raises:
        UnknownComponentError: (a ``KeyError``) if the name is not registered.
        TypeError: if ``fn`` is neither a string nor callable.

    Example:
        >>> resolve_spike_fn("sigmoid4x")(torch.tensor([0.0]))
        tensor([0.5000])
    """
    if isinstance(fn, str):
        return RegisteredThreshold(fn, alpha)
    if callable(fn):
        return fn
    raise TypeError(f"{argument} must be a registered threshold name or a callable, got {fn!r}")


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{kind} name must be a Python identifier, got {name!r}")
    return name


class Layer(nn.Module):
    r"""Base class of stateful one-timestep layers (traceTorch's ``Layer``).

    Subclasses declare states with :meth:`_initialize_state`, constrained parameters with
    :meth:`_register_decay` / :meth:`_register_threshold` / :meth:`_register_bias` /
    :meth:`_register_parameter`, and in ``forward`` call :meth:`_ensure_states` first, then work
    in the layout given by :meth:`_to_working_dim` (feature axis last).

    Args:
        num_neurons: size $N$ of the feature axis the layer acts on (> 0).
        dim: which axis of the input holds the features (negative counts from the end).

    Raises:
        ValueError: if ``num_neurons`` is not a positive int or ``dim`` is not an int.
    """

    def __init__(self, num_neurons: int, dim: int = -1) -> None:
        num_neurons = _as_int("num_neurons", num_neurons)
        if num_neurons < 1:
            raise ValueError(f"num_neurons must be a positive int, got {num_neurons!r}")
        dim = _as_int("dim", dim)
        super().__init__()
        self.num_neurons = num_neurons
        self.dim = dim
        self._state_names: list[str] = []
        self._dynamic_params: dict[str, Callable[[Tensor], Tensor]] = {}
        self._inverse_functions: dict[str, Callable[[Tensor], Tensor]] = {}
        self._compiled = False
        self._compile_metadata: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ constrained parameters
    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            dynamic = self.__dict__.get("_dynamic_params")
            if dynamic is not None and name in dynamic:
                return dynamic[name](super().__getattr__("raw_" + name))
            raise

    def _register_parameter(
        self,
        name: str,
        value: Any,
        rank: int = 1,
        learnable: bool = True,
        init_fn: Callable[[Tensor], Tensor] = identity,
        inverse_fn: Callable[[Tensor], Tensor] = identity,
        activation_fn: Callable[[Tensor], Tensor] = identity,
    ) -> None:
        r"""Register the constrained parameter ``name`` stored as ``raw_<name>``.

        The raw tensor is ``init_fn(v)`` where ``v`` is built from ``value``: a 0-d tensor is used
        as is, a 1-d tensor must have ``num_neurons`` elements (its dtype is kept), a number gives
        a scalar (``rank=0``) or ``full([num_neurons], value)`` (``rank=1``) in the default dtype.
        ``self.<name>`` returns ``activation_fn(raw_<name>)``; ``inverse_fn`` maps a value back to
        raw (used by :meth:`TTdecompile`).

        Args:
            name: parameter name (an identifier).
            value: number or tensor (see above), in the activated (user-facing) units.
            rank: 0 for one shared value, 1 for one value per neuron (ignored for tensors).
            learnable: ``nn.Parameter`` if True, else a persistent buffer.
            init_fn: value → raw, applied once here.
            inverse_fn: value → raw, used by :meth:`TTdecompile`.
            activation_fn: raw → value.

        Raises:
            ValueError: for a tensor of the wrong size or rank, a rank other than 0/1, a value
                ``init_fn`` rejects, a non-finite raw value, or a name already in use.
        """
        _check_name("parameter", name)
        if name in self._dynamic_params or name in self._state_names:
            raise ValueError(f"parameter name {name!r} is already registered on {type(self).__name__}")
        if isinstance(value, Tensor):
            if value.dim() == 1 and value.numel() != self.num_neurons:
                raise ValueError(
                    f"{name} has {value.numel()} elements, expected num_neurons={self.num_neurons} "
                    "(or a 0-d tensor for one shared value)"
                )
            if value.dim() > 1:
                raise ValueError(f"{name} must be a 0-d or 1-d tensor, got shape {list(value.shape)}")
            tensor = value.detach()
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                try:
                    value = float(value)
                except (TypeError, ValueError) as err:
                    raise TypeError(f"{name} must be a number or a tensor, got {value!r}") from err
            if rank == 0:
                tensor = torch.tensor(float(value))
            elif rank == 1:
                tensor = torch.full((self.num_neurons,), float(value))
            else:
                raise ValueError(f"{name}_rank must be 0 or 1, got {rank!r}")
        try:
            raw = init_fn(tensor)
        except ValueError as err:
            raise ValueError(f"{name}={_short(value)} is out of range: {err}") from err
        if raw.is_floating_point() and not bool(torch.isfinite(raw).all()):
            raise ValueError(f"{name}={_short(value)} gives a non-finite raw value {_short(raw)}")
        raw = raw.detach().clone()
        if learnable:
            setattr(self, "raw_" + name, nn.Parameter(raw))
        else:
            self.register_buffer("raw_" + name, raw, persistent=True)
        self._dynamic_params[name] = activation_fn
        self._inverse_functions[name] = inverse_fn

    def _register_constrained(
        self, name: str, value: Any, constraint: Constraint, rank: int = 1, learnable: bool = True
    ) -> None:
        """Register ``name`` with one of the constraints of :mod:`snn_core.constrained`."""
        self._register_parameter(
            name,
            value,
            rank,
            learnable,
            init_fn=constraint.inverse,
            inverse_fn=constraint.inverse,
            activation_fn=constraint.activation,
        )

    def _register_decay(self, name: str, value: Any, rank: int = 1, learnable: bool = True) -> None:
        r"""A decay in $(0, 1)$: stored as $\operatorname{logit}(v)$, read as $\sigma(r)$."""
        self._register_constrained(name, value, DECAY, rank, learnable)

    def _register_threshold(self, name: str, value: Any, rank: int = 1, learnable: bool = True) -> None:
        r"""A positive value: stored as $\log(e^{v}-1)$, read as $\operatorname{softplus}(r)$."""
        self._register_constrained(name, value, THRESHOLD, rank, learnable)

    def _register_bias(self, name: str, value: Any, rank: int = 1, learnable: bool = True) -> None:
        r"""Any real: stored as $\sinh(v)$, read as $\operatorname{asinh}(r)$."""
        self._register_constrained(name, value, BIAS, rank, learnable)

    def _register_plain(self, name: str, value: Any, rank: int = 1, learnable: bool = True) -> None:
        """Any real, stored unchanged (recurrent weights, output scales)."""
        self._register_constrained(name, value, IDENTITY, rank, learnable)

    @property
    def constrained_names(self) -> tuple[str, ...]:
        """Names of the constrained parameters in registration order."""
        return tuple(self._dynamic_params)

    def constrained_value(self, name: str) -> Tensor:
        """The activated value of constrained parameter ``name`` (the frozen buffer once compiled)."""
        if self._compiled:
            return self._buffers[name]  # type: ignore[return-value]
        return self._dynamic_params[name](getattr(self, "raw_" + name))

    # ------------------------------------------------------------------ hidden states
    def _initialize_state(self, name: str) -> None:
        """Declare hidden state ``name`` (``None`` until the first input creates it)."""
        _check_name("state", name)
        if name in self._state_names:
            raise ValueError(f"state {name!r} is already registered on {type(self).__name__}")
        if name in self._dynamic_params or name in self._parameters or name in self._buffers:
            raise ValueError(f"state name {name!r} clashes with a parameter of {type(self).__name__}")
        self._state_names.append(name)
        self.__dict__[name] = None

    @property
    def state_names(self) -> tuple[str, ...]:
        """Registered hidden state names in declaration order."""
        return tuple(self._state_names)

    def _state_shape(self, name: str, ref: Tensor) -> list[int]:
        """Shape of state ``name`` for input ``ref``: ``ref``'s shape with ``shape[dim] = num_neurons``.

        Override to give states another shape (e.g. an extra trailing axis for SSM states).
        """
        shape = list(ref.shape)
        try:
            shape[self.dim] = self.num_neurons
        except IndexError:
            raise ValueError(
                f"dim={self.dim} is out of range for an input of shape {list(ref.shape)} in {type(self).__name__}"
            ) from None
        return shape

    def _ensure_state(self, name: str, ref: Tensor) -> None:
        """Create state ``name`` as zeros if it is ``None``; else check its shape against ``ref``.

        Raises:
            ValueError: if the existing state's shape differs from the shape ``ref`` needs
                (for example a new batch size): call :meth:`zero_states` first.
        """
        expected = self._state_shape(name, ref)
        state = self.__dict__[name]
        if state is None:
            dtype = ref.dtype if (ref.is_floating_point() or ref.is_complex()) else torch.get_default_dtype()
            self.__dict__[name] = torch.zeros(expected, dtype=dtype, device=ref.device)
        elif list(state.shape) != expected:
            raise ValueError(
                f"{type(self).__name__}: state {name!r} has shape {list(state.shape)} but the input of shape "
                f"{list(ref.shape)} needs {expected}; call zero_states() before changing batch or spatial size"
            )

    def _ensure_states(self, ref: Tensor) -> None:
        """:meth:`_ensure_state` for every registered state."""
        for name in self._state_names:
            self._ensure_state(name, ref)

    def zero_states(self) -> None:
        """Forget all hidden states (they are re-created as zeros from the next input)."""
        for name in self._state_names:
            self.__dict__[name] = None

    def detach_states(self) -> None:
        """Cut the autograd graph behind every hidden state, keeping its values."""
        for name in self._state_names:
            state = self.__dict__[name]
            if state is not None:
                self.__dict__[name] = state.detach()

    def save_states(self) -> dict[str, Tensor]:
        """Detached copies of the non-``None`` states of this layer and any nested layers."""
        from .model import save_states

        return save_states(self)

    def load_states(
        self, states: Mapping[str, Tensor], strict: bool = True, device: torch.device | str | None = None
    ) -> None:
        """Load states saved by :meth:`save_states` (see :meth:`snn_core.Model.load_states`)."""
        from .model import load_states

        load_states(self, states, strict=strict, device=device)

    # ------------------------------------------------------------------ working dimension
    def _to_working_dim(self, t: Tensor) -> Tensor:
        """Move the feature axis ``dim`` of ``t`` to the last position (a view)."""
        return t.movedim(self.dim, -1)

    def _from_working_dim(self, t: Tensor) -> Tensor:
        """Inverse of :meth:`_to_working_dim`."""
        return t.movedim(-1, self.dim)

    def _state_feature_axis(self) -> int:
        # A state with one extra trailing axis has its feature axis at dim (>= 0) or dim - 1 (< 0).
        return self.dim if self.dim >= 0 else self.dim - 1

    def _state_to_working_dim(self, t: Tensor) -> Tensor:
        """For states with an extra trailing axis (SSM): move the feature axis to position -2."""
        return t.movedim(self._state_feature_axis(), -2)

    def _state_from_working_dim(self, t: Tensor) -> Tensor:
        """Inverse of :meth:`_state_to_working_dim`."""
        return t.movedim(-2, self._state_feature_axis())

    # ------------------------------------------------------------------ devices, dtypes, copies
    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Layer:  # type: ignore[override]
        super()._apply(fn, recurse)
        for name in self._state_names:
            state = self.__dict__.get(name)
            if state is not None:
                self.__dict__[name] = fn(state)
        for meta in self._compile_metadata.values():
            meta["raw"] = fn(meta["raw"])
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for name in self._state_names:
            if state.get(name) is not None:
                state[name] = state[name].detach()
        return state

    # ------------------------------------------------------------------ TTcompile / TTdecompile
    def TTcompile(self) -> None:
        """Freeze constrained parameters: ``raw_<name>`` → persistent buffer ``<name>`` = activated value.

        Forward results are unchanged; the values leave ``parameters()`` and ``state_dict()`` keys
        change from ``raw_<name>`` to ``<name>``. No-op if already compiled or if the layer has no
        constrained parameters.
        """
        if self._compiled or not self._dynamic_params:
            return
        frozen: dict[str, Tensor] = {}
        metadata: dict[str, dict[str, Any]] = {}
        with torch.no_grad():
            for name, activation in self._dynamic_params.items():
                raw = getattr(self, "raw_" + name)
                frozen[name] = activation(raw).detach().clone()
                metadata[name] = {
                    "is_parameter": isinstance(raw, nn.Parameter),
                    "learnable": bool(raw.requires_grad),
                    "raw": raw.detach().clone(),
                }
        for name, value in frozen.items():
            delattr(self, "raw_" + name)
            self.register_buffer(name, value, persistent=True)
        self._compile_metadata = metadata
        self._compiled = True

    def TTdecompile(self) -> None:
        """Undo :meth:`TTcompile`: restore ``raw_<name>`` parameters (new objects: make a new optimizer).

        A buffer left unchanged since compiling gets its original raw tensor back exactly (also for
        saturated values such as $\\sigma(r) = 1$ in float32, which traceTorch cannot invert); a
        changed buffer goes through the inverse transform. Everything is checked before anything
        changes, so a failure leaves the layer compiled and intact.

        Raises:
            ValueError: if a changed buffer holds a value the inverse transform rejects.
        """
        if not self._compiled:
            return
        restored: dict[str, tuple[Tensor, dict[str, Any]]] = {}
        with torch.no_grad():
            for name, meta in self._compile_metadata.items():
                value = self._buffers.get(name)
                if value is None:
                    continue
                original = meta["raw"].to(device=value.device, dtype=value.dtype)
                if torch.equal(self._dynamic_params[name](original), value):
                    raw = original
                else:
                    try:
                        raw = self._inverse_functions[name](value)
                    except ValueError as err:
                        raise ValueError(
                            f"TTdecompile: {name}={_short(value)} cannot be inverted: {err}"
                        ) from err
                    if raw.is_floating_point() and not bool(torch.isfinite(raw).all()):
                        raise ValueError(
                            f"TTdecompile: {name}={_short(value)} inverts to a non-finite raw value"
                        )
                restored[name] = (raw.detach().clone(), meta)
        for name, (raw, meta) in restored.items():
            del self._buffers[name]
            if meta["is_parameter"]:
                setattr(self, "raw_" + name, nn.Parameter(raw, requires_grad=meta["learnable"]))
            else:
                self.register_buffer("raw_" + name, raw, persistent=True)
        self._compile_metadata = {}
        self._compiled = False

    def extra_repr(self) -> str:
        return f"num_neurons={self.num_neurons}, dim={self.dim}"


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an int, got {value!r}") from None


def _short(value: Any) -> str:
    if isinstance(value, Tensor):
        if value.numel() <= 4:
            return repr(value.detach().cpu().tolist())
        flat = value.detach().flatten()
        return (
            f"tensor of shape {list(value.shape)} (min {flat.min().item():.6g}, max {flat.max().item():.6g})"
        )
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return repr(value)
