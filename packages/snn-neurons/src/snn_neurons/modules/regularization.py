r"""``RegularizationCell``: accumulate a regularisation term (spike count, voltages, ...) across steps."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from ..functional.regularization import Accumulator, regularize_step, spike_accumulator

__all__ = ["RegularizationCell"]


class RegularizationCell(nn.Module):
    r"""Pass spikes through and accumulate $r' = \mathrm{accumulator}(z, s, r)$ on ``self.state``.

    The accumulated value persists across calls (assign ``cell.state = None`` to restart) and can be
    added to a loss, e.g. a spike-count penalty.

    Args:
        accumulator: ``(z, neuron_state, acc_state) -> acc_state``; default
            :func:`snn_neurons.spike_accumulator` (total spike count).
        state: the initial accumulator state (``None`` to start from nothing).

    Example:
        >>> r = RegularizationCell()
        >>> z, count = r(torch.tensor([1.0, 0.0, 1.0]), None)
        >>> z, count = r(torch.tensor([1.0, 1.0, 1.0]), None)
        >>> count
        tensor(5.)
    """

    def __init__(self, accumulator: Accumulator = spike_accumulator, state: Any = None) -> None:
        super().__init__()
        self.accumulator = accumulator
        self.state = state

    def forward(self, z: Tensor, s: Any) -> tuple[Tensor, Any]:
        """Returns ``(z, accumulated state)`` and stores the latter on ``self.state``."""
        _, self.state = regularize_step(z, s, self.accumulator, self.state)
        return z, self.state
