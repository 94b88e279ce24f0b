"""``lift``: turn a one-step function into a function over a time-first sequence (Norse semantics)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

__all__ = ["lift", "Lifted"]


class Lifted:
    """The picklable callable returned by :func:`lift`."""

    def __init__(self, activation: Callable[..., tuple[Tensor, Any]], p: Any = None) -> None:
        self.activation = activation
        self.p = p

    def __call__(self, input_tensor: Tensor, **kwargs: Any) -> tuple[Tensor, Any]:
        if self.p is not None and "p" not in kwargs:
            kwargs["p"] = self.p
        state = kwargs.pop("state", None)
        if input_tensor.shape[0] == 0:
            raise ValueError("lift: the input has no time steps (its first dimension is 0)")
        outputs = []
        for x_t in input_tensor.unbind(0):
            if state is None:
                out, state = self.activation(x_t, **kwargs)
            else:
                out, state = self.activation(x_t, state=state, **kwargs)
            outputs.append(out)
        return torch.stack(outputs), state

    def __repr__(self) -> str:
        name = getattr(self.activation, "__name__", repr(self.activation))
        return f"lift({name})"


def lift(activation: Callable[..., tuple[Tensor, Any]], p: Any = None) -> Lifted:
    r"""Loop a step function ``activation(x, state=..., **kw) -> (out, state)`` over dimension 0.

    $$ (o_t, s_t) = f(x_t, s_{t-1}),\quad t = 1..T;\qquad \text{returns } (\mathrm{stack}(o), s_T) $$

    Norse's semantics: ``p`` is passed as a keyword unless the call gives one; the first step is
    called without ``state=`` when no state is given (so the step function needs a default
    state, or the caller passes ``state=``); all arguments after the input are keywords.
    Iteration uses ``unbind`` so backward stays linear in ``T``.

    Example:
        >>> double = lift(lambda x, state=0: (2 * x, state))
        >>> double(torch.ones(3, 2))[0].shape
        torch.Size([3, 2])

    Raises:
        ValueError: for an input with zero time steps.
    """
    return Lifted(activation, p)
