"""Griffe extension for the docs build: read a Google-style ``Example:`` section as ``Examples:``.

Griffe only parses the plural title as an examples section (doctest lines become code blocks); the singular,
which our docstrings use, would otherwise render as an admonition with ``>>>`` as nested quotes and with
``x[0][:, 0]`` mistaken for a Markdown reference link.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SINGULAR = re.compile(r"^(\s*)Example:[ \t]*$", flags=re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` section titles to ``Examples:`` before the docstrings are parsed."""

    def on_instance(self, *, node: Any, obj: griffe.Object, agent: Any, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is not None and "Example:" in docstring.value:
            docstring.value = _SINGULAR.sub(r"\1Examples:", docstring.value)
