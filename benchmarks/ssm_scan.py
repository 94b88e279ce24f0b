"""Step loop vs ``layer.sequence(x)`` (chunked scan) for the snn_ssm layers.

For each of S4, S5, S6 and Mamba: the time of one forward pass over a time-first sequence
``[T, B, N]`` as a Python loop of one-step ``forward`` calls (traceTorch's interface) and as one
``sequence`` call, in inference (``torch.no_grad``) and training (forward + backward of
``out.square().mean()``). Identical weights and input for both paths; the script also reports the
largest output difference between them. Median of ``--repeats`` runs after ``--warmup`` runs.

    python benchmarks/ssm_scan.py                      # T=1024, B=8, N=128 on the CPU
    python benchmarks/ssm_scan.py --json out.json --device cuda

With ``--reference`` the installed traceTorch 0.19.2 step loop is timed as well.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

import snn_ssm

LAYERS: dict[str, Callable[[int], torch.nn.Module]] = {
    "S4": lambda n: snn_ssm.S4(n, d_state=64),
    "S5": lambda n: snn_ssm.S5(n, d_state=64),
    "S6": lambda n: snn_ssm.S6(n, d_state=16),
    "Mamba": lambda n: snn_ssm.Mamba(n, d_state=16, conv_kernel=4),
}
REFERENCE_ARGS = {
    "S4": {"d_state": 64},
    "S5": {"d_state": 64},
    "S6": {"d_state": 16},
    "Mamba": {"d_state": 16},
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _loop(layer: torch.nn.Module, xs: torch.Tensor) -> torch.Tensor:
    return torch.stack([layer(x) for x in xs.unbind(0)])


def _time(fn: Callable[[], Any], device: torch.device, warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _runner(layer: torch.nn.Module, xs: torch.Tensor, path: str, train: bool) -> Callable[[], None]:
    def run() -> None:
        layer.zero_states()
        if train:
            layer.zero_grad(set_to_none=True)
            out = _loop(layer, xs) if path == "loop" else layer.sequence(xs)
            out.square().mean().backward()
        else:
            with torch.no_grad():
                _loop(layer, xs) if path == "loop" else layer.sequence(xs)

    return run


def bench_layer(name: str, args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    torch.manual_seed(0)
    layer = LAYERS[name](args.width).to(device)
    xs = torch.randn(args.steps, args.batch, args.width, device=device)
    with torch.no_grad():
        layer.zero_states()
        diff = (_loop(layer, xs) - (layer.zero_states() or layer.sequence(xs))).abs().max().item()
    row: dict[str, Any] = {"layer": name, "max_abs_diff": diff}
    for mode, train in (("inference", False), ("training", True)):
        loop = _time(_runner(layer, xs, "loop", train), device, args.warmup, args.repeats)
        seq = _time(_runner(layer, xs, "sequence", train), device, args.warmup, args.repeats)
        row[f"{mode}_loop_ms"] = 1e3 * loop
        row[f"{mode}_sequence_ms"] = 1e3 * seq
        row[f"{mode}_speedup"] = loop / seq
        if args.reference:
            row[f"{mode}_tracetorch_ms"] = 1e3 * _time_reference(name, layer, xs, train, args, device)
    return row


def _time_reference(
    name: str,
    layer: torch.nn.Module,
    xs: torch.Tensor,
    train: bool,
    args: argparse.Namespace,
    device: torch.device,
) -> float:
    import tracetorch as tt

    ref = getattr(tt.ssm, name)(args.width, **REFERENCE_ARGS[name]).to(device)
    ref.load_state_dict(layer.state_dict())

    def run() -> None:
        ref.zero_states()
        if train:
            ref.zero_grad(set_to_none=True)
            _loop(ref, xs).square().mean().backward()
        else:
            with torch.no_grad():
                _loop(ref, xs)

    return _time(run, device, args.warmup, args.repeats)


def markdown(rows: list[dict[str, Any]], reference: bool) -> str:
    head = "| layer | mode | step loop (ms) | sequence (ms) | speed-up |"
    sep = "|---|---|---|---|---|"
    if reference:
        head += " traceTorch loop (ms) |"
        sep += "---|"
    lines = [head, sep]
    for row in rows:
        for mode in ("inference", "training"):
            line = (
                f"| {row['layer']} | {mode} | {row[f'{mode}_loop_ms']:.1f} | {row[f'{mode}_sequence_ms']:.1f} "
                f"| {row[f'{mode}_speedup']:.1f}x |"
            )
            if reference:
                line += f" {row[f'{mode}_tracetorch_ms']:.1f} |"
            lines.append(line)
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", "-T", type=int, default=1024, help="sequence length T")
    parser.add_argument("--batch", "-B", type=int, default=8, help="batch size B")
    parser.add_argument("--width", "-N", type=int, default=128, help="feature size N")
    parser.add_argument("--layers", nargs="+", default=list(LAYERS), choices=list(LAYERS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    parser.add_argument(
        "--flush-denormal", action="store_true", help="torch.set_flush_denormal(True) (CPU; S4's tiny decays)"
    )
    parser.add_argument("--reference", action="store_true", help="also time traceTorch 0.19.2's loop")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.flush_denormal:
        torch.set_flush_denormal(True)
    device = torch.device(args.device)
    rows = [bench_layer(name, args, device) for name in args.layers]
    print(
        f"snn_ssm step loop vs sequence: T={args.steps}, B={args.batch}, N={args.width}, device={device}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {args.repeats}"
        f"{', denormals flushed' if args.flush_denormal else ''}\n"
    )
    print(markdown(rows, args.reference))
    if args.json:
        meta = {
            "steps": args.steps,
            "batch": args.batch,
            "width": args.width,
            "device": str(device),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "repeats": args.repeats,
            "warmup": args.warmup,
            "flush_denormal": args.flush_denormal,
            "platform": platform.platform(),
            "processor": platform.processor(),
        }
        with open(args.json, "w") as handle:
            json.dump({"config": meta, "results": rows}, handle, indent=2)
    return rows


if __name__ == "__main__":
    main()
