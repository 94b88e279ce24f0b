r"""Keep only the first spike of each neuron along time (time-to-first-spike coding)."""

from __future__ import annotations

import torch
from torch import Tensor

from ._checks import check_tensor

__all__ = ["spike_latency_encode"]


def spike_latency_encode(input_spikes: Tensor) -> Tensor:
    r"""Keep each neuron's first spike along dim 0 and drop the later ones.

    $$ o_t = \begin{cases} 0 & \text{if } \sum_{s<t} o_s > 0 \\ x_t & \text{otherwise} \end{cases} $$

    As in Norse only positive entries block later ones; a negative entry passes through.

    Args:
        input_spikes: time-first spikes ``[T, ...]`` (at least one dimension).

    Returns:
        Spikes of the same shape and dtype with at most one (positive) spike per neuron.

    Raises:
        TypeError: if ``input_spikes`` is not a real tensor.
        ValueError: if it is 0-dimensional.

    Example:
        >>> spike_latency_encode(torch.tensor([[0.0, 1.0, 1.0], [1.0, 1.0, 1.0]]))
        tensor([[0., 1., 1.],
                [1., 0., 0.]])
    """
    check_tensor("input_spikes", input_spikes)
    if input_spikes.dim() == 0:
        raise ValueError("input_spikes must be time-first [T, ...], got a 0-dimensional tensor")
    if input_spikes.shape[0] == 0:
        return input_spikes.clone()
    fired = torch.zeros(input_spikes.shape[1:], device=input_spikes.device)
    silent = torch.zeros_like(input_spikes[0])
    outputs = []
    for spikes in input_spikes.unbind(0):
        kept = torch.where(fired > 0, silent, spikes)
        fired = fired + kept
        outputs.append(kept)
    return torch.stack(outputs)
