"""Neuron-only microbenchmark of the whole-sequence paths: neuron-steps per second and bytes moved.

    python benchmarks/neurons.py [--quick] [--device cpu|cuda]

Each path runs one neuron model over ``[T, B, N]`` inputs, forward + backward of ``out.sum()``
(training) and forward alone (inference). "Bytes" is the minimum traffic of a fused
implementation, ``4 * itemsize`` per neuron-step for training with one-state-saving backward
(forward: read input, write output and one saved value; backward: read output gradient and the
saved value, write input gradient) and ``2 * itemsize`` for inference; "GB/s" divides it by the
measured time, i.e. how close a path comes to a memory-bound kernel.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

CLOCK = time.perf_counter


def _time(fn: Callable[[], Any], reps: int, warmup: int, sync: Callable[[], None]) -> float:
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        start = CLOCK()
        fn()
        sync()
        times.append(CLOCK() - start)
    return statistics.median(times)


def _paths(device: str) -> dict[str, tuple[Callable[..., Any], Any, Callable[[Tensor], Any]]]:
    """name -> (sequence function or loop, parameters, initial state factory)."""
    import snn_neurons as sn
    from snn_neurons import sequence as seq

    def loop_of(step: Callable[..., Any]) -> Callable[..., Any]:
        def run(xs: Tensor, state: Any, p: Any, dt: float = 1e-3) -> Any:
            outs = []
            for x in xs.unbind(0):
                out, state = step(x, state, p, dt)
                outs.append(out)
            return torch.stack(outs), state

        return run

    def zeros(cls: Any, n: int) -> Callable[[Tensor], Any]:
        return lambda x: cls(*(torch.zeros_like(x[0]) for _ in range(n)))

    paths = {
        "LIF step loop": (
            loop_of(sn.lif_feed_forward_step),
            sn.LIFParameters(),
            zeros(sn.LIFFeedForwardState, 2),
        ),
        "LIF sequence": (seq.lif_feed_forward_sequence, sn.LIFParameters(), zeros(sn.LIFFeedForwardState, 2)),
        "LI sequence": (seq.li_feed_forward_sequence, sn.LIParameters(), zeros(sn.LIState, 2)),
        "IAF sequence": (seq.iaf_feed_forward_sequence, sn.IAFParameters(), zeros(sn.IAFFeedForwardState, 1)),
        "LIF box sequence": (
            seq.lif_box_feed_forward_sequence,
            sn.LIFBoxParameters(),
            zeros(sn.LIFBoxFeedForwardState, 1),
        ),
        "LSNN sequence": (
            seq.lsnn_feed_forward_sequence,
            sn.LSNNParameters(),
            lambda x: sn.LSNNFeedForwardState(
                torch.zeros_like(x[0]), torch.zeros_like(x[0]), torch.ones_like(x[0])
            ),
        ),
        "AdEx sequence": (
            seq.lif_adex_feed_forward_sequence,
            sn.LIFAdExParameters(),
            zeros(sn.LIFAdExFeedForwardState, 3),
        ),
    }
    # every registered kernel for this device gets its own row beside the torch path
    import snn_core

    models = {
        "LIF": "lif",
        "LI": "li",
        "IAF": "iaf",
        "LIF box": "lif_box",
        "LSNN": "lsnn",
        "AdEx": "lif_adex",
    }
    for label, model in models.items():
        kernel = snn_core.select_kernel(f"neuron:{model}", device)
        if kernel is None:
            continue
        fn, p, init = paths[f"{label} sequence"]
        paths[f"{label} sequence ({kernel.backend} kernel)"] = (_with_backend(fn, kernel.backend), p, init)
    for name in [n for n in paths if n.endswith(" sequence")]:
        paths[name] = (_with_backend(paths[name][0], "torch"), *paths[name][1:])
    return paths


def _with_backend(fn: Callable[..., Any], backend: str) -> Callable[..., Any]:
    return lambda xs, state, p, dt=1e-3: fn(xs, state, p, dt, backend=backend)


def run(quick: bool = False, device: str = "cpu", clock: str = "wall") -> list[dict[str, Any]]:
    global CLOCK
    CLOCK = time.process_time if clock == "cpu" and device == "cpu" else time.perf_counter
    steps, batch, neurons = (100, 16, 256) if quick else (200, 32, 512)
    reps, warmup = (5, 2) if quick else (10, 3)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    generator = torch.Generator().manual_seed(0)
    xs = (torch.rand(steps, batch, neurons, generator=generator) * 3.0).to(device)
    results = []
    for name, (fn, p, init) in _paths(device).items():
        if quick and not name.startswith("LIF s"):
            continue
        x = xs.clone().requires_grad_(True)

        def train(
            fn: Callable[..., Any] = fn, p: Any = p, init: Callable[[Tensor], Any] = init, x: Tensor = x
        ) -> None:
            out, _ = fn(x, init(x), p, 1e-3)
            out.sum().backward()

        def infer(fn: Callable[..., Any] = fn, p: Any = p, init: Callable[[Tensor], Any] = init) -> None:
            with torch.no_grad():
                fn(xs, init(xs), p, 1e-3)

        t_train = _time(train, reps, warmup, sync)
        t_infer = _time(infer, reps, warmup, sync)
        count = steps * batch * neurons
        size = xs.element_size()
        results.append(
            {
                "path": name,
                "shape": [steps, batch, neurons],
                "device": device,
                "train_ms": t_train * 1e3,
                "infer_ms": t_infer * 1e3,
                "train_neuron_steps_per_s": count / t_train,
                "infer_neuron_steps_per_s": count / t_infer,
                "train_GBps": 4 * size * count / t_train / 1e9,
                "infer_GBps": 2 * size * count / t_infer / 1e9,
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.device), indent=1))


if __name__ == "__main__":
    main()
