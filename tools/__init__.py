"""Maintenance tools of the snn monorepo: workspace model, change detection, fragments, releases.

Each module runs as a script (``python tools/<name>.py``) or as ``python -m tools.<name>`` from the
repository root; the nox sessions import them directly.
"""
