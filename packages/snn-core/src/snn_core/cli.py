"""The ``snn`` command (also ``python -m snn_core``).

Subcommands are small functions registered in :data:`COMMANDS`; each gets the parsed arguments and
returns an exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .plugins.manager import KINDS, list_plugins, registry

__all__ = ["main", "COMMANDS"]

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int], str]
COMMANDS: dict[str, Command] = {}


def command(
    name: str, help: str
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register ``fn(args) -> exit code`` as ``snn <name>``; its ``configure`` adds the arguments."""

    def decorate(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        configure = getattr(fn, "configure", lambda parser: None)
        COMMANDS[name] = (configure, fn, help)
        return fn

    return decorate


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
        for row in [header, *rows]
    ]
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
            out[kind] = [
                {"name": n, "provider": mapping.provider(n), "summary": getattr(s, "summary", "")}
                for n, s in sorted(mapping.items())
            ]
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


def _fail(message: str) -> int:
    print(f"snn: error: {message}", file=sys.stderr)
    return 2


def _headless_matplotlib() -> None:
    """The commands only write image files: use the non-interactive Agg backend when matplotlib is there."""
    try:
        import matplotlib
    except ImportError:
        return
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")


def _demo(args: argparse.Namespace) -> int:
    from .demo import DemoConfig, run_demo

    given = {
        name: getattr(args, name)
        for name in (
            "epochs",
            "seed",
            "out",
            "model",
            "device",
            "encoder",
            "steps",
            "hidden",
            "batch_size",
            "lr",
            "f_max",
            "limit",
            "threads",
        )
        if getattr(args, name) is not None
    }
    if args.expect is not None:
        given["expected_accuracy"] = args.expect
    if args.no_plots:
        given["plots"] = False
    _headless_matplotlib()
    try:
        config = DemoConfig.quick(**given) if args.quick else DemoConfig(**given)
        result = run_demo(config)
    except (KeyError, ImportError, ValueError) as error:  # UnknownComponentError is a KeyError
        return _fail(str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error))
    return 0 if result.reached else 3


def _configure_demo(parser: argparse.ArgumentParser) -> None:
    from .demo.config import ENCODERS, MODELS

    parser.epilog = (
        'Needs: pip install "snn-core[demo]" snn-neurons snn-encoding (and snn-tracelayers for --model lib). '
        "Exit status: 0 when the test accuracy reached the expectation, 3 when not, 2 on errors."
    )
    add = parser.add_argument
    add("--epochs", type=int, help="training epochs (default 12; 4 with --quick)")
    add("--seed", type=int, help="seed of weights, split, shuffling and spikes (default 0)")
    add("--out", help="output folder (default ./snn-demo-output)")
    add(
        "--model",
        choices=MODELS,
        help="lif: LIF + leaky integrator (snn-neurons, default); lib: LIB (snn-tracelayers)",
    )
    add("--device", help="cpu (default), cuda, cuda:N or auto")
    add("--encoder", choices=ENCODERS, help="spike encoder from snn-encoding (default poisson)")
    add("--steps", type=int, help="time steps per sample (default 24; 16 with --quick)")
    add("--hidden", type=int, help="hidden neurons (default 128)")
    add("--batch-size", dest="batch_size", type=int, help="batch size (default 32)")
    add("--lr", type=float, help="Adam learning rate")
    add("--f-max", dest="f_max", type=float, help="Poisson rate of a white pixel in Hz (default 400)")
    add("--limit", type=int, help="use only this many of the 1797 samples")
    add("--threads", type=int, help="torch CPU threads (default 1: reproducible on any machine)")
    add("--expect", type=float, help="expected test accuracy in [0, 1] (default 0.90; 0.80 with --quick)")
    add("--quick", action="store_true", help="shortened configuration for CI")
    add("--no-plots", dest="no_plots", action="store_true", help="skip the figures")


_demo.configure = _configure_demo  # type: ignore[attr-defined]
command("demo", "train a spiking classifier on handwritten digits and write a report")(_demo)


def _gallery(args: argparse.Namespace) -> int:
    from .gallery import BEHAVIOURS, izhikevich_gallery

    names = [n.strip() for n in args.behaviours.split(",") if n.strip()] if args.behaviours else None
    unknown = [n for n in names or [] if n not in BEHAVIOURS]
    if unknown:
        return _fail(f"unknown behaviour(s) {', '.join(unknown)}; choose from: {', '.join(BEHAVIOURS)}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from .plot import PLOT_INSTALL_HINT

        return _fail(PLOT_INSTALL_HINT)
    _headless_matplotlib()
    try:
        izhikevich_gallery(args.out, names=names, columns=args.columns, dpi=args.dpi)
    except (KeyError, ImportError) as error:
        return _fail(str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error))
    print(f"wrote {args.out}")
    return 0


def _configure_gallery(parser: argparse.ArgumentParser) -> None:
    parser.epilog = 'Needs: pip install "snn-core[plot]" snn-neurons'
    parser.add_argument("--out", default="izhikevich-gallery.png", help="PNG to write (default %(default)s)")
    parser.add_argument("--behaviours", help="comma-separated subset (default: all 20)")
    parser.add_argument("--columns", type=int, default=5, help="panels per row (default %(default)s)")
    parser.add_argument("--dpi", type=int, default=100, help="resolution (default %(default)s)")


_gallery.configure = _configure_gallery  # type: ignore[attr-defined]
command("gallery", "draw the 20 Izhikevich spiking behaviours into a PNG")(_gallery)


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
    try:
        return COMMANDS[args.command][1](args)
    except BrokenPipeError:  # `snn demo | head`: stop quietly like other command-line tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
