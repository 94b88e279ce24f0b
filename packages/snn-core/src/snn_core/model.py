r"""``snn_core.Model``: zero, detach, save and load the hidden states of every layer in a network.

The walk visits the registered submodules of a module (``_modules``) and, like traceTorch, also
modules kept in plain Python lists, tuples, sets and dicts stored as attributes. Each
:class:`~snn_core.Layer` is visited once (cycles are safe). Only :class:`~snn_core.Layer` and
:class:`Model` objects are ever called; arbitrary attributes are not.

State keys are canonical paths: ``net.1.mem`` for ``self.net = nn.Sequential(..., LIB, ...)``,
``layers[0].mem`` for a layer in a plain list ``self.layers``. Each state is stored once.
:func:`load_states` also accepts traceTorch's state files, whose extra keys
(``net._modules[1].mem``, ``._modules[net].1.mem``, ``.layers[0].mem``) are aliases of these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from .layer import Layer

__all__ = ["Model", "iter_layers", "save_states", "load_states", "canonical_state_key"]

_STATE_OPS = ("zero_states", "detach_states", "TTcompile", "TTdecompile")
_MODULE_INTERNALS = frozenset({"_parameters", "_buffers", "_modules"})


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _modules_in(value: Any, path: str, seen: set[int]) -> Iterator[tuple[str, nn.Module]]:
    """Modules inside a plain container (recursively), with bracketed paths."""
    if isinstance(value, nn.Module):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _modules_in(item, f"{path}[{key}]", seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        if id(value) in seen:
            return
        seen.add(id(value))
        for index, item in enumerate(value):
            yield from _modules_in(item, f"{path}[{index}]", seen)


def iter_modules(root: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    """Every module reachable from ``root`` once, depth first, with its canonical path (root: ``""``)."""
    visited: set[int] = set()
    containers: set[int] = set()

    def walk(module: nn.Module, path: str) -> Iterator[tuple[str, nn.Module]]:
        if id(module) in visited:
            return
        visited.add(id(module))
        yield path, module
        for name, child in module._modules.items():
            if child is not None:
                yield from walk(child, _join(path, name))
        for attr, value in module.__dict__.items():
            if attr in _MODULE_INTERNALS or not isinstance(value, (list, tuple, set, frozenset, Mapping)):
                continue
            for sub_path, child in _modules_in(value, _join(path, attr), containers):
                yield from walk(child, sub_path)

    yield from walk(root, "")


def iter_layers(root: nn.Module) -> Iterator[tuple[str, Layer]]:
    """Every :class:`~snn_core.Layer` reachable from ``root`` (itself included) with its path."""
    for path, module in iter_modules(root):
        if isinstance(module, Layer):
            yield path, module


def _run_state_op(root: nn.Module, op: str) -> None:
    """Call ``op`` on every Layer and on every nested Model that overrides it (never on ``root``)."""
    for _path, module in iter_modules(root):
        if isinstance(module, Layer):
            if module is root:
                getattr(Layer, op)(module)
            else:
                getattr(module, op)()
        elif (
            isinstance(module, Model)
            and module is not root
            and getattr(type(module), op) is not getattr(Model, op)
        ):
            getattr(module, op)()


def save_states(root: nn.Module) -> dict[str, Tensor]:
    """Detached copies of every non-``None`` state under ``root``, keyed ``"<path>.<state>"``."""
    out: dict[str, Tensor] = {}
    for path, layer in iter_layers(root):
        for name in layer.state_names:
            state = layer.__dict__[name]
            if state is not None:
                out[_join(path, name)] = state.detach().clone()
    return out


_ALIAS = re.compile(r"\._modules\[([^\]]*)\]")


def canonical_state_key(key: str) -> str:
    """Map a traceTorch ``save_states`` key to the canonical one (``._modules[net].1.mem`` → ``net.1.mem``)."""
    return _ALIAS.sub(r".\1", key).lstrip(".")


def _layer_device(layer: Layer) -> torch.device | None:
    for tensor in layer.parameters():
        return tensor.device
    for buffer in layer.buffers():
        return buffer.device
    return None


def load_states(
    root: nn.Module,
    states: Mapping[str, Tensor],
    strict: bool = True,
    device: torch.device | str | None = None,
) -> None:
    """Load states saved by :func:`save_states` into the layers under ``root``.

    Everything is checked before anything is assigned: an error leaves every state unchanged.

    Raises:
        TypeError: if ``states`` is not a mapping of tensors.
        ValueError: on a shape mismatch with an existing state, or (``strict``) on missing or
            unexpected keys.
    """
    if not isinstance(states, Mapping):
        raise TypeError(f"states must be a mapping of state names to tensors, got {type(states).__name__}")
    canonical: dict[str, Tensor] = {}
    for key, value in states.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"states[{key!r}] must be a tensor, got {type(value).__name__}")
        canonical.setdefault(canonical_state_key(str(key)), value)

    assignments: list[tuple[Layer, str, Tensor]] = []
    missing: list[str] = []
    used: set[str] = set()
    for path, layer in iter_layers(root):
        target = torch.device(device) if device is not None else _layer_device(layer)
        for name in layer.state_names:
            key = _join(path, name)
            if key not in canonical:
                missing.append(key)
                continue
            tensor = canonical[key]
            current = layer.__dict__[name]
            if current is not None and current.shape != tensor.shape:
                raise ValueError(
                    f"Shape mismatch for {key}: expected {list(current.shape)}, got {list(tensor.shape)}"
                )
            used.add(key)
            where = target if target is not None else tensor.device
            assignments.append((layer, name, tensor.detach().to(where, copy=True)))
    unexpected = sorted(set(canonical) - used)
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"Missing states for: {missing}")
        if unexpected:
            parts.append(f"unexpected states: {unexpected}")
        raise ValueError("; ".join(parts) + " (pass strict=False to load a subset)")
    for layer, name, tensor in assignments:
        layer.__dict__[name] = tensor


class Model(nn.Module):
    """Base class for networks of :class:`~snn_core.Layer` objects (traceTorch's ``Model``).

    Subclass it, build layers in ``__init__`` and write ``forward`` as usual; the methods below
    act on every layer inside, also layers nested in other modules or kept in plain lists. A
    subclass may override any of them and call ``super()`` without recursing.

    Example:
        >>> class Net(Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.net = nn.Sequential(nn.Linear(2, 3))
        ...     def forward(self, x):
        ...         return self.net(x)
        >>> Net().save_states()
        {}
    """

    def zero_states(self) -> None:
        """Forget the hidden states of every layer (re-created as zeros from the next input)."""
        _run_state_op(self, "zero_states")

    def detach_states(self) -> None:
        """Cut the autograd graph behind every layer's states, keeping the values."""
        _run_state_op(self, "detach_states")

    def TTcompile(self) -> None:
        """:meth:`Layer.TTcompile` on every layer."""
        _run_state_op(self, "TTcompile")

    def TTdecompile(self) -> None:
        """:meth:`Layer.TTdecompile` on every layer."""
        _run_state_op(self, "TTdecompile")

    def save_states(self) -> dict[str, Tensor]:
        """Detached copies of every non-``None`` state, each once, under its canonical key.

        Example: ``{"net.1.mem": tensor(...), "net.3.mem": tensor(...)}``. A fresh or just
        zeroed model gives ``{}``. Save with ``torch.save``; it loads with ``weights_only=True``.
        """
        return save_states(self)

    def load_states(
        self, states: Mapping[str, Tensor], strict: bool = True, device: torch.device | str | None = None
    ) -> None:
        """Load a dict from :meth:`save_states` (or traceTorch's ``save_states``).

        Args:
            states: key → tensor. traceTorch's alias keys are accepted.
            strict: if True, every state of every layer must be present and no key may be unused.
            device: where to put the tensors; default: the device of each layer's first parameter
                (or buffer), else the tensor's own device. Tensors are copied, never shared.

        Raises:
            ValueError: on a shape mismatch with an existing state or (``strict``) missing or
                unexpected keys; nothing is loaded then.
        """
        load_states(self, states, strict=strict, device=device)
