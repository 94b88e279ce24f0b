"""S4, S5, S6 and Mamba layers on snn's one-timestep state machinery, with scan paths.

Drop-in replacements for traceTorch 0.19.2's ``tt.ssm`` layers (same signatures, parameter names,
initialisation and one-step outputs) built on :class:`snn_core.Layer`. Each layer also has a
``sequence(x)`` method that runs a whole time-first sequence through a chunked scan
(:mod:`snn_ssm.scan`) with the same numbers as the step loop. Pure functions live in
:mod:`snn_ssm.functional`.

Example:
    >>> import torch, snn_ssm
    >>> s6 = snn_ssm.S6(8, d_state=4)
    >>> s6.sequence(torch.rand(100, 2, 8)).shape
    torch.Size([100, 2, 8])
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from . import functional, scan
from .functional import (
    MambaParameters,
    MambaState,
    S4Parameters,
    S5Parameters,
    S6Parameters,
    mamba_sequence,
    mamba_step,
    s4_sequence,
    s4_step,
    s5_sequence,
    s5_step,
    s6_sequence,
    s6_step,
)
from .layers import S4, S5, S6, Layer, Mamba
from .scan import linear_scan, lti_output_scan, lti_scan, selective_scan

try:
    __version__ = _version("snn-ssm")
except PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0.0.0"

__all__ = [
    "Layer",
    "Mamba",
    "MambaParameters",
    "MambaState",
    "S4",
    "S4Parameters",
    "S5",
    "S5Parameters",
    "S6",
    "S6Parameters",
    "functional",
    "linear_scan",
    "lti_output_scan",
    "lti_scan",
    "mamba_sequence",
    "mamba_step",
    "s4_sequence",
    "s4_step",
    "s5_sequence",
    "s5_step",
    "s6_sequence",
    "s6_step",
    "scan",
    "selective_scan",
    "__version__",
]
