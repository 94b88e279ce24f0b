"""snn benchmarks: the 3-layer SNN training step beside peer libraries, and neuron microbenchmarks.

    python benchmarks/run.py [--quick] [--json PATH] [--markdown PATH] [--threads N] [--clock wall|cpu]

Network: ``Linear -> LIF`` x 3, time-first input, loss ``out.sum()``; one training step is forward
+ backward. Sizes: small (B=16, T=100, 128-256-256-10) and medium (B=32, T=200, 700-512-512-20).
Each case runs in a fresh process (``network.py``) for an honest peak-memory reading; times are
medians after warm-up. Ratios are to the floor (the Linear layers alone over the whole sequence)
and to the fastest installed peer. Peers that are not installed are skipped (listed in the
report). ``--quick`` runs the small size only, without torch.compile, in under two minutes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import network  # noqa: E402
import neurons  # noqa: E402


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _cases(quick: bool) -> tuple[list[str], list[str]]:
    run, skipped = [], []
    for name, (_, _, module) in network.CASES.items():
        if name.endswith("torch.compile") and quick:
            skipped.append(f"{name} (not in --quick)")
        elif name.endswith("(cuda)") and not (_importable("snn_cuda") and _importable("triton") and _cuda()):
            skipped.append(f"{name} (needs snn-cuda[triton] and a GPU)")
        elif not _importable(module):
            skipped.append(f"{name} (`{module}` not installed)")
        else:
            run.append(name)
    return run, skipped


def _run_case(
    case: str, size: str, reps: int, warmup: int, threads: int | None, clock: str
) -> dict[str, Any]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    device = "cuda" if case.endswith("(cuda)") else "cpu"
    command = [
        sys.executable,
        str(HERE / "network.py"),
        case,
        size,
        "--reps",
        str(reps),
        "--warmup",
        str(warmup),
    ]
    command += ["--device", device, "--clock", clock]
    if threads:
        command += ["--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:
        return {"case": case, "size": size, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}×" if value and base else "–"


def _number(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# snn benchmark results",
        "",
        f"Machine: {report['machine']}. torch {report['torch']}, torch threads: {report['threads']}. "
        f"{report['date']}; {'quick' if report['quick'] else 'full'} run; "
        + (
            "elapsed (wall-clock) times."
            if report["clock"] == "wall"
            else "CPU time of the benchmark process (one thread)."
        ),
        "",
        "Training step = forward + backward of `out.sum()`; inference = forward under `no_grad`. "
        "Medians; peak memory of the first training step above the process's memory before it "
        "(not measured after torch.compile's first step); spike rate of the network output.",
    ]
    for size, results in report["network"].items():
        spec = network.SIZES[size]
        floor = next((r for r in results if r.get("group") == "floor" and "train_ms" in r), None)
        peers = [r for r in results if r.get("group") == "peer" and "train_ms" in r]
        fastest = min(peers, key=lambda r: r["train_ms"]) if peers else None
        features = "→".join(map(str, spec["features"]))
        lines += ["", f"## {size}: B={spec['batch']}, T={spec['steps']}, {features}", ""]
        lines += [
            "| case | train ms | × floor | × fastest peer | infer ms | infer × floor | peak MB | spike rate |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in results:
            if "error" in r:
                lines.append(f"| {r['case']} | failed: {' '.join(r['error'])} |  |  |  |  |  |  |")
                continue
            note = f" (compile {r['compile_s']} s)" if "compile_s" in r else ""
            lines.append(
                f"| {r['case']}{note} | {r['train_ms']:.1f} | {_ratio(r['train_ms'], floor and floor['train_ms'])} | "
                f"{_ratio(r['train_ms'], fastest and fastest['train_ms'])} | {r['infer_ms']:.1f} | "
                f"{_ratio(r['infer_ms'], floor and floor['infer_ms'])} | {_number(r.get('peak_mb'), '.0f')} | "
                f"{_number(r.get('spike_rate'), '.3f')} |"
            )
        if fastest:
            lines += ["", f"Fastest peer: {fastest['case']}."]
    if report["skipped"]:
        lines += ["", "Skipped: " + "; ".join(report["skipped"]) + "."]
    lines += [
        "",
        "## Neuron microbenchmark",
        "",
        "| path | shape [T, B, N] | train ms | train neuron-steps/s | train GB/s | infer ms | infer GB/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["neurons"]:
        lines.append(
            f"| {r['path']} | {r['shape']} | {r['train_ms']:.2f} | {r['train_neuron_steps_per_s']:.3g} | "
            f"{r['train_GBps']:.2f} | {r['infer_ms']:.2f} | {r['infer_GBps']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small size only, fewer repetitions, no torch.compile"
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the markdown report here")
    parser.add_argument("--threads", type=int, help="torch threads for the cases (default: torch's default)")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall: elapsed time (default); cpu: CPU time of the process with one thread, for a busy machine",
    )
    args = parser.parse_args(argv)
    if args.clock == "cpu" and not args.threads:
        args.threads = 1
    import torch

    started = time.time()
    cases, skipped = _cases(args.quick)
    sizes = ["small"] if args.quick else ["small", "medium"]
    repetitions = {"small": (7, 2) if args.quick else (15, 3), "medium": (5, 2)}
    report: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
        + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"),
        "torch": torch.__version__,
        "threads": args.threads or torch.get_num_threads(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": args.quick,
        "clock": args.clock,
        "skipped": skipped,
        "network": {},
    }
    for size in sizes:
        reps, warmup = repetitions[size]
        report["network"][size] = []
        for case in cases:
            result = _run_case(case, size, reps, warmup, args.threads, args.clock)
            report["network"][size].append(result)
            shown = f"{result['train_ms']:.1f} ms" if "train_ms" in result else f"error {result['error']}"
            print(f"[{time.time() - started:5.0f} s] {size:6} {case:32} {shown}", file=sys.stderr)
    if args.threads:
        torch.set_num_threads(args.threads)
    report["neurons"] = neurons.run(args.quick, "cpu", args.clock) + (
        neurons.run(args.quick, "cuda") if _cuda() else []
    )
    report["seconds"] = round(time.time() - started)
    text = markdown(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    if args.markdown:
        args.markdown.write_text(text)
    print(text)
    return report


if __name__ == "__main__":
    main()
