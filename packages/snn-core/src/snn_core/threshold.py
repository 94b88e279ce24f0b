"""``threshold(x, method, alpha)``: the spike nonlinearity every neuron calls, resolved by name."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from .plugins.manager import registry

__all__ = ["threshold", "sign", "resolve_threshold"]


def resolve_threshold(method: str) -> Any:
    """The registered function for ``method`` (``"super"``, ``"tanh"``, a plugin's name, ...).

    Raises:
        UnknownComponentError: (a ``KeyError``) naming the registered methods.
    """
    return registry().thresholds[method].fn


def threshold(x: Tensor, method: str, alpha: Any) -> Tensor:
    r"""Spike where $x > 0$ with the surrogate gradient registered as ``method``.

    Norse's ``threshold``: neurons call it on a voltage difference such as $v - v_{th}$.
    ``method`` may be any registered threshold, including a third-party plugin's.

    Args:
        x: the voltage difference.
        method: registered threshold name (``snn components --kind thresholds`` lists them).
        alpha: the surrogate's hyperparameter, passed through unchanged.

    Returns:
        Spikes in the dtype of ``x``.

    Raises:
        UnknownComponentError: (a ``KeyError``) if ``method`` is not registered.
    """
    return resolve_threshold(method)(x, alpha)


def sign(x: Tensor, method: str, alpha: Any) -> Tensor:
    r"""Signed spikes $2\,\mathrm{threshold}(x) - 1 \in \{-1, 1\}$, as Norse's ``sign``."""
    return 2 * threshold(x, method, alpha) - 1
