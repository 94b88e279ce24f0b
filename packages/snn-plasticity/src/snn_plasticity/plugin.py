"""Hook implementations through which snn-plasticity registers its components with snn-core."""

from __future__ import annotations
