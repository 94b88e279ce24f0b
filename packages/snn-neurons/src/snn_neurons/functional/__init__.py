"""Neuron models as pure step functions over NamedTuple state (Norse's functional API).

Every model is ``step(x, state, p, dt) -> (z, state)`` with NamedTuple parameters and states and
Norse 1.1.0's names, defaults and numbers. Thresholds go through :func:`snn_core.threshold`, so
``method=`` accepts any registered surrogate. Parameters are validated once with
:func:`validate_parameters` (the registered neurons do so when they create a state); the step
functions themselves do no checks.
"""

from __future__ import annotations

from ._validation import check_state_shape, validate_parameters
from .coba_lif import *  # noqa: F403
from .coba_lif import __all__ as _coba
from .iaf import *  # noqa: F403
from .iaf import __all__ as _iaf
from .izhikevich import *  # noqa: F403
from .izhikevich import __all__ as _izhikevich
from .leaky_integrator import *  # noqa: F403
from .leaky_integrator import __all__ as _li
from .leaky_integrator_box import *  # noqa: F403
from .leaky_integrator_box import __all__ as _li_box
from .lif import *  # noqa: F403
from .lif import __all__ as _lif
from .lif_adex import *  # noqa: F403
from .lif_adex import __all__ as _adex
from .lif_adjoint import *  # noqa: F403
from .lif_adjoint import __all__ as _lif_adjoint
from .lif_box import *  # noqa: F403
from .lif_box import __all__ as _box
from .lif_ex import *  # noqa: F403
from .lif_ex import __all__ as _ex
from .lif_mc import *  # noqa: F403
from .lif_mc import __all__ as _mc
from .lif_mc_refrac import *  # noqa: F403
from .lif_mc_refrac import __all__ as _mc_refrac
from .lif_refrac import *  # noqa: F403
from .lif_refrac import __all__ as _refrac
from .lif_refrac_adjoint import *  # noqa: F403
from .lif_refrac_adjoint import __all__ as _refrac_adjoint
from .lsnn import *  # noqa: F403
from .lsnn import __all__ as _lsnn
from .lsnn_adjoint import *  # noqa: F403
from .lsnn_adjoint import __all__ as _lsnn_adjoint
from .regularization import *  # noqa: F403
from .regularization import __all__ as _regularization
from .reset import *  # noqa: F403
from .reset import __all__ as _reset

__all__: list[str] = [
    "validate_parameters",
    "check_state_shape",
    *_iaf,
    *_izhikevich,
    *_li,
    *_li_box,
    *_lif,
    *_lif_adjoint,
    *_box,
    *_reset,
    *_coba,
    *_adex,
    *_ex,
    *_mc,
    *_mc_refrac,
    *_refrac,
    *_refrac_adjoint,
    *_lsnn,
    *_lsnn_adjoint,
    *_regularization,
]
