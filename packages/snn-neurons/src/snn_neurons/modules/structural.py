"""Structural modules: ``Lift`` (apply a module at every time step) and state-threading containers."""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

__all__ = ["Lift", "RecurrentSequential", "RecurrentSequentialState", "SequentialState", "is_stateful"]


_STATEFUL_BY_TYPE: dict[type, bool] = {}


def _has_state_parameter(fn: Callable[..., Any]) -> bool:
    try:
        return "state" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def is_stateful(module: nn.Module) -> bool:
    """True when ``module`` takes and returns a state.

    That is: its ``forward`` has a parameter named ``state``, or it is a ``torch.nn.RNNBase``
    (``RNN``/``LSTM``/``GRU``, whose second argument and output are the hidden state). A
    ``torch.compile`` wrapper is judged by the module it wraps. The answer is cached per class.
    """
    module = getattr(module, "_orig_mod", module)
    if isinstance(module, nn.RNNBase):
        return True
    if "forward" in vars(module):  # an instance-level forward
        return _has_state_parameter(module.forward)
    cls = type(module)
    cached = _STATEFUL_BY_TYPE.get(cls)
    if cached is None:
        cached = _STATEFUL_BY_TYPE[cls] = _has_state_parameter(cls.forward)
    return cached


class Lift(nn.Module):
    r"""Apply a module to every time step of a time-first input ``[T, ...]``.

    $$ y_t = m(x_t) \quad\text{or, for a stateful } m,\quad (y_t, s_t) = m(x_t, s_{t-1}) $$

    A stateful module (see :func:`is_stateful`) gets the state threaded through time and the
    layer returns ``(stack(y) [T, ...], s_T)``; any other module returns ``stack(y)`` only.
    The input may be a tuple ``(x, state)`` to start a stateful module from ``state``.

    Args:
        module: the module applied at each step (e.g. ``nn.Linear``, ``nn.Conv2d``, a cell).

    Example:
        >>> lifted = Lift(torch.nn.Linear(4, 2))
        >>> lifted(torch.ones(10, 8, 4)).shape
        torch.Size([10, 8, 2])

    Raises:
        ValueError: for an input without a time step.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.lifted_module = module
        self.is_stateful = is_stateful(module)

    def forward(self, x: Tensor | tuple[Tensor, Any]) -> Tensor | tuple[Tensor, Any]:
        """Returns ``stack(outputs)``, plus the final state for a stateful module."""
        state = None
        if isinstance(x, tuple):
            x, state = x
        if x.dim() == 0 or x.shape[0] == 0:
            raise ValueError(
                f"Lift: the input must be time-first with at least one step, got {tuple(x.shape)}"
            )
        outputs = []
        for x_t in x.unbind(0):
            if self.is_stateful:
                out, state = self.lifted_module(x_t, state)
            else:
                out = self.lifted_module(x_t)
            outputs.append(out)
        if self.is_stateful:
            return torch.stack(outputs), state
        return torch.stack(outputs)


class SequentialState(nn.Sequential):
    r"""Like ``nn.Sequential``, but threads each stateful module's state through the stack.

    ``forward(x, state)`` takes ``state`` as a list with one entry per module (``None`` to start
    fresh) and returns ``(output, new_states)``. Stateful modules (see :func:`is_stateful`) are
    called as ``x, s = m(x, state[k])``; others as ``x = m(x)``. ``new_states`` is a **new** list
    (``None`` for stateless modules); the caller's list is never modified (Norse 1.1.0 modified it
    in place; Norse's main branch returns a fresh list, as here).

    Args:
        *modules: the modules in order (or a single ``OrderedDict`` of named modules).
        return_hidden: return the list of every module's output instead of only the last one.

    Example:
        >>> net = SequentialState(torch.nn.Linear(4, 3), LIFCell(), torch.nn.Linear(3, 2), LICell())
        >>> out, states = net(torch.ones(8, 4))
        >>> out, states = net(torch.ones(8, 4), states)   # continue from the previous states
        >>> [s is None for s in states]
        [True, False, True, False]

    Raises:
        ValueError: if ``state`` is not ``None`` and its length differs from the number of modules.
    """

    def __init__(self, *modules: nn.Module, return_hidden: bool = False) -> None:
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            super().__init__(modules[0])
        else:
            super().__init__(*modules)
        self.return_hidden = bool(return_hidden)
        self.forward_state_hooks: list[torch.utils.hooks.RemovableHandle] = []

    @property
    def stateful_layers(self) -> list[bool]:
        """For each module, whether it is stateful (see :func:`is_stateful`); follows edits of the stack."""
        return [is_stateful(m) for m in self]

    def register_forward_state_hooks(self, forward_hook: Callable[[nn.Module, Any, Any], Any]) -> None:
        """Register ``forward_hook(module, input, output)`` as a forward hook on every stateful module.

        Raises:
            ValueError: if hooks registered by this method are already in place.
        """
        if self.forward_state_hooks:
            raise ValueError("SequentialState: forward state hooks are already registered; remove them first")
        for module, stateful in zip(self, self.stateful_layers):
            if stateful:
                self.forward_state_hooks.append(module.register_forward_hook(forward_hook))

    def remove_forward_state_hooks(self) -> None:
        """Remove the hooks registered by :meth:`register_forward_state_hooks`."""
        for handle in self.forward_state_hooks:
            handle.remove()
        self.forward_state_hooks.clear()

    def forward(  # type: ignore[override]
        self, input_tensor: Tensor, state: Sequence[Any] | None = None
    ) -> tuple[Any, list[Any]]:
        """Run the stack; returns ``(output or list of outputs, new list of states)``."""
        if state is None:
            state = [None] * len(self)
        elif len(state) != len(self):
            raise ValueError(
                f"SequentialState: state must hold one entry per module ({len(self)}), got {len(state)}"
            )
        new_states: list[Any] = []
        hidden = []
        x = input_tensor
        for module, s in zip(self, state):
            stateful = is_stateful(module)
            if stateful:
                x, s = module(x, s)
                new_states.append(s)
            else:
                x = module(x)
                new_states.append(None)
            if self.return_hidden:
                hidden.append(x)
        return (hidden if self.return_hidden else x), new_states


class RecurrentSequentialState(NamedTuple):
    """State of :class:`RecurrentSequential`: the fed-back output(s) and the inner state list."""

    cache: Any = None
    state: Any = None


class RecurrentSequential(nn.Module):
    r"""A :class:`SequentialState` whose chosen output is fed back and added to the next step's input.

    $$ (y_t, s_t) = \mathrm{net}(x_t + y_{t-1}, s_{t-1}) $$

    (no feedback on the first call, when ``state`` is ``None``).

    Args:
        *modules: the modules of the stack.
        output_modules: index of the module whose output is returned and fed back, or a list of
            indices (then a list of outputs is returned and cached, and their sum is fed back).

    Example:
        >>> net = RecurrentSequential(torch.nn.Linear(2, 2), LIFCell())
        >>> y, s = net(torch.ones(1, 2))
        >>> y, s = net(torch.ones(1, 2), s)     # input + previous output
    """

    def __init__(self, *modules: nn.Module, output_modules: int | list[int] = -1) -> None:
        super().__init__()
        self.module = SequentialState(*modules, return_hidden=True)
        self.output_modules = output_modules

    def forward(
        self, x: Tensor, state: RecurrentSequentialState | None = None
    ) -> tuple[Any, RecurrentSequentialState]:
        """One step; returns ``(output(s), RecurrentSequentialState(cache, inner states))``."""
        if state is None:
            state = RecurrentSequentialState()
        elif state.cache is not None:
            cache = state.cache
            feedback = torch.stack(list(cache)).sum(0) if isinstance(cache, list) else cache
            x = x + feedback
        outputs, inner = self.module(x, state.state)
        if isinstance(self.output_modules, int):
            chosen: Any = outputs[self.output_modules]
        else:
            chosen = [outputs[i] for i in self.output_modules]
        return chosen, RecurrentSequentialState(chosen, inner)
