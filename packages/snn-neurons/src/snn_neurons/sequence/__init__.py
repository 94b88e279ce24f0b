r"""Whole-sequence paths: one call (and one autograd node) for ``T`` steps of a neuron model.

Each ``<model>_feed_forward_sequence(xs, state, p=None, dt=1e-3, backend="auto")`` takes a
time-first input ``xs`` of shape ``[T, ...]`` and returns ``(outputs [T, ...], final_state)`` with the
numbers of looping the model's step function (bit for bit for outputs and state; gradients up to
float round-off). Speed comes from running the time loop without an autograd graph and a custom
backward pass; a kernel registered for ``"neuron:<model>"`` (``snn-cuda``) replaces the torch code
on its device (``backend="auto"``), and an explicit ``backend="cuda"`` raises when unavailable.

``lif_recurrent_sequence(xs, state, input_weights, recurrent_weights, p=None, dt=1e-3, backend="auto")``
does the same for the recurrent ``lif_step`` (input ``[T, ..., in]``, spikes ``[T, ..., hidden]``).

``SEQUENCES`` maps the registry's neuron names to these functions, for ``NeuronSpec(sequence=...)``.
"""

from __future__ import annotations

from ._lif import lif_feed_forward_sequence
from ._lif_recurrent import lif_recurrent_sequence
from ._models import (
    coba_lif_feed_forward_sequence,
    iaf_feed_forward_sequence,
    izhikevich_feed_forward_sequence,
    li_feed_forward_sequence,
    lif_adex_feed_forward_sequence,
    lif_box_feed_forward_sequence,
    lif_ex_feed_forward_sequence,
    lif_refrac_feed_forward_sequence,
    lsnn_feed_forward_sequence,
)

#: registry neuron name -> whole-sequence function ``(xs, state, p, dt) -> (outputs, state)``
SEQUENCES = {
    "lif": lif_feed_forward_sequence,
    "li": li_feed_forward_sequence,
    "iaf": iaf_feed_forward_sequence,
    "lif_box": lif_box_feed_forward_sequence,
    "lif_refrac": lif_refrac_feed_forward_sequence,
    "lsnn": lsnn_feed_forward_sequence,
    "lif_adex": lif_adex_feed_forward_sequence,
    "lif_ex": lif_ex_feed_forward_sequence,
    "izhikevich": izhikevich_feed_forward_sequence,
    "coba_lif": coba_lif_feed_forward_sequence,
}

__all__ = [
    "SEQUENCES",
    "coba_lif_feed_forward_sequence",
    "iaf_feed_forward_sequence",
    "izhikevich_feed_forward_sequence",
    "li_feed_forward_sequence",
    "lif_adex_feed_forward_sequence",
    "lif_box_feed_forward_sequence",
    "lif_ex_feed_forward_sequence",
    "lif_feed_forward_sequence",
    "lif_recurrent_sequence",
    "lif_refrac_feed_forward_sequence",
    "lsnn_feed_forward_sequence",
]
