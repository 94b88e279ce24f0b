"""Hook implementations through which snn-encoding registers its components with snn-core."""

from __future__ import annotations
