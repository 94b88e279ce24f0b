"""Hook implementations through which snn-ssm registers its components with snn-core."""

from __future__ import annotations
