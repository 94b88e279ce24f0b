"""snn-rnn is discovered through its entry point and listed as an active plugin."""

from __future__ import annotations

import snn_core
import snn_rnn


def test_listed_as_active_plugin_with_its_version() -> None:
    plugins = {p.name: p for p in snn_core.reload_plugins().plugins}
    info = plugins["snn-rnn"]
    assert info.status == "active", info.reason
    assert info.version == snn_rnn.__version__
    assert info.entry_point.endswith("snn_rnn.plugin")
