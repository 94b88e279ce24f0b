"""Hook implementations through which snn-neurons registers its components with snn-core."""

from __future__ import annotations
