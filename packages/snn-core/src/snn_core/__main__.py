"""``python -m snn_core``: the same as the ``snn`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
