"""Hook implementations through which snn-cuda registers its components with snn-core."""

from __future__ import annotations
