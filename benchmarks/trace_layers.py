"""Training-step speed of the snn_tracelayers layers: step loop vs sequence loop vs fused sequence.

    python benchmarks/trace_layers.py [--layers LIB LIT DSRLITS] [--batch 32] [--steps 200]
                                      [--neurons 512] [--reps 7] [--warmup 2] [--quant]
                                      [--threads N] [--json PATH]

For each layer one training step is forward + backward of ``(outputs * w).sum()`` over a time-first
input ``[T, B, N]`` (gradients for the input and every parameter), timed four ways in this process,
interleaved round by round so that load from other processes hits all of them alike:

* ``step loop``: ``T`` calls of the layer, ``torch.stack`` of the outputs (traceTorch's usage);
* ``sequence (loop)``: ``snn_tracelayers.trace_sequence(..., fused=False)``, the step function
  looped over ``xs.unbind(0)`` (what ``layer.sequence`` did before the fused path);
* ``fused (torch)``: ``layer.sequence(xs)`` with the compiled loops switched off
  (``snn_tracelayers.native.sequence.ENABLED = False``): one autograd node, torch operators per step;
* ``fused``: ``layer.sequence(xs)`` as it runs by default: the compiled C loops of
  ``snn_tracelayers.native`` where they apply (CPU, the LI/LIEMA/LIB/LIT/LITS families with or
  without ``S`` and ``D``, no ``R``; ``sigmoid4x``; no quantizer or ``round_ste``), else the same as
  ``fused (torch)``.

Prints a markdown table of medians (milliseconds) and speed-ups over the step loop, and with
``--json PATH`` writes the raw numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable

import torch

import snn_core
import snn_tracelayers as st
from snn_tracelayers.native import sequence as native_sequence

MODES = ("step loop", "sequence (loop)", "fused (torch)", "fused")


def make_layer(name: str, neurons: int, quant: bool) -> st.TraceLayer:
    torch.manual_seed(0)
    cls = getattr(st, name)
    firing = cls.recipe.firing is not None  # layers without firing take no quant_fn
    kwargs = {"quant_fn": snn_core.round_ste()} if quant and firing else {}
    layer = cls(neurons, **kwargs)
    with torch.no_grad():  # non-trivial recurrent weights, so the R paths do real work
        for pname, p in layer.named_parameters():
            if "rec_weight" in pname:
                p.fill_(0.3)
    return layer


def training_step(
    layer: st.TraceLayer, xs: torch.Tensor, weight: torch.Tensor, mode: str
) -> Callable[[], None]:
    def run() -> None:
        layer.zero_states()
        layer.zero_grad(set_to_none=True)
        x = xs.detach().requires_grad_(True)
        if mode == "step loop":
            outs = torch.stack([layer(step) for step in x.unbind(0)])
        elif mode == "sequence (loop)":
            layer._ensure_states(x[0].detach())
            states = {k: getattr(layer, k) for k in layer.state_names}
            outs, _ = st.trace_sequence(x, states, layer.trace_params(), layer.trace_config(), fused=False)
        else:
            native_sequence.ENABLED = mode == "fused"
            try:
                outs = layer.sequence(x)
                (outs * weight).sum().backward()
            finally:
                native_sequence.ENABLED = True
            return
        (outs * weight).sum().backward()

    return run


def measure(name: str, args: argparse.Namespace) -> dict[str, object]:
    layer = make_layer(name, args.neurons, args.quant)
    gen = torch.Generator().manual_seed(1)
    xs = 1.5 * torch.randn((args.steps, args.batch, args.neurons), generator=gen)
    weight = torch.randn(xs.shape, generator=gen)
    runs = {mode: training_step(layer, xs, weight, mode) for mode in MODES}
    for _ in range(args.warmup):
        for run in runs.values():
            run()
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(args.reps):
        for mode, run in runs.items():
            start = time.perf_counter()
            run()
            times[mode].append((time.perf_counter() - start) * 1e3)
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    return {"layer": name, "median_ms": medians, "times_ms": times}


def table(results: list[dict[str, object]], args: argparse.Namespace) -> str:
    quant = ", quant_fn=round_ste()" if args.quant else ""
    lines = [
        f"training step (forward + backward), B={args.batch}, T={args.steps}, N={args.neurons}{quant}, "
        f"{torch.get_num_threads()} threads, median of {args.reps} (ms)",
        "",
        "| layer | step loop | sequence (loop) | fused (torch) | fused | fused vs step loop | fused vs fused (torch) |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        m = result["median_ms"]
        assert isinstance(m, dict)
        lines.append(
            f"| {result['layer']} | {m['step loop']:.1f} | {m['sequence (loop)']:.1f} | {m['fused (torch)']:.1f} | "
            f"{m['fused']:.1f} | {m['step loop'] / m['fused']:.2f}x | {m['fused (torch)'] / m['fused']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", nargs="+", default=["LIB", "LIT", "DSRLITS"])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--neurons", type=int, default=512)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--quant", action="store_true", help="quant_fn=round_ste() on the firing layers (binary spikes)"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--json", metavar="PATH", help="write the raw numbers here")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    results = [measure(name, args) for name in args.layers]
    print(table(results, args))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {"config": vars(args), "threads": torch.get_num_threads(), "results": results},
                handle,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
