"""The ``snn`` command (also ``python -m snn_core``).

Subcommands are small functions registered in :data:`COMMANDS`; each gets the parsed arguments and
returns an exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .plugins.manager import KINDS, list_plugins, registry

__all__ = ["main", "COMMANDS"]

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int], str]
COMMANDS: dict[str, Command] = {}


def command(name: str, help: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register ``fn(args) -> exit code`` as ``snn <name>``; its ``configure`` adds the arguments."""

    def decorate(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        configure = getattr(fn, "configure", lambda parser: None)
        COMMANDS[name] = (configure, fn, help)
        return fn

    return decorate


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _plugins(args: argparse.Namespace) -> int:
    plugins = list_plugins()
    if args.json:
        print(json.dumps([p.as_dict() for p in plugins], indent=2))
        return 0
    rows = []
    for p in plugins:
        registered = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in p.components.items())
        rows.append([p.name, p.version or "-", p.status, registered or p.reason or "-"])
    print(_table(rows, ["distribution", "version", "status", "registered"]))
    return 0


def _configure_plugins(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


_plugins.configure = _configure_plugins  # type: ignore[attr-defined]
command("plugins", "list installed plugins, their status and what they registered")(_plugins)


def _components(args: argparse.Namespace) -> int:
    reg = registry()
    kinds = [args.kind] if args.kind else list(KINDS)
    if args.json:
        out: dict[str, Any] = {}
        for kind in kinds:
            mapping = reg.kind(kind)
            out[kind] = [{"name": n, "provider": mapping.provider(n), "summary": getattr(s, "summary", "")}
                         for n, s in sorted(mapping.items())]
        print(json.dumps(out, indent=2))
        return 0
    for kind in kinds:
        mapping = reg.kind(kind)
        print(f"{kind} ({len(mapping)})")
        rows = []
        for name, spec in sorted(mapping.items()):
            extra = getattr(spec, "family", None) or getattr(spec, "target", None) or ""
            summary = getattr(spec, "summary", "")
            rows.append([name, mapping.provider(name), f"[{extra}] {summary}" if extra else summary])
        print(_table(rows, ["name", "provider", "summary"]) if rows else "  (none registered)")
        print()
    return 0


def _configure_components(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=KINDS, help="list only this kind")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


_components.configure = _configure_components  # type: ignore[attr-defined]
command("components", "list registered components by kind")(_components)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="snn", description="snn: spiking neural networks on PyTorch")
    parser.add_argument("--version", action="version", version=f"snn-core {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (configure, _, help_text) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``snn``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return COMMANDS[args.command][1](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
