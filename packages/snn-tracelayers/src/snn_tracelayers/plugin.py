"""Hook implementations through which snn-tracelayers registers its components with snn-core."""

from __future__ import annotations
