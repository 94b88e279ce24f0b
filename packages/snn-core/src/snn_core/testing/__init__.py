"""Conformance checks for plugin authors: call them on your specs from your own tests.

    from snn_core.testing import check_neuron_spec, check_threshold_spec, check_layer_spec

    def test_qif_conforms():
        check_neuron_spec(QIF_SPEC)

Each check raises :class:`ConformanceError` (an ``AssertionError``, so pytest shows it as a test
failure) naming the spec, the check and what was expected, and returns the names of the checks that
ran. They use tiny shapes and run in well under a second each, except the ``torch.compile`` smoke
run (a few seconds the first time), which ``compile=False`` or ``SNN_TESTING_SKIP_COMPILE=1`` skips.

Fixtures for pytest (``register_plugin``, ``clean_plugin_env``, ``plugin_switches``) are in
:mod:`snn_core.testing.pytest_plugin`; enable them with
``pytest_plugins = ["snn_core.testing.pytest_plugin"]`` in your ``conftest.py``.
"""

from __future__ import annotations

from .checks import (
    ConformanceError,
    check_encoder_spec,
    check_layer_spec,
    check_neuron_spec,
    check_plugin,
    check_threshold_spec,
    compile_enabled,
)

__all__ = [
    "ConformanceError",
    "check_encoder_spec",
    "check_layer_spec",
    "check_neuron_spec",
    "check_plugin",
    "check_threshold_spec",
    "compile_enabled",
]
