"""Hook implementations through which snn-rnn registers its components with snn-core."""

from __future__ import annotations
