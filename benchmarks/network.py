"""One benchmark case: the 3-layer network ``Linear -> LIF`` x 3 in one library, timed in this process.

    python benchmarks/network.py CASE SIZE [--reps N] [--warmup N] [--no-memory]

prints one JSON object: training step (forward + backward of ``out.sum()``) and inference
(forward under ``no_grad``) medians in milliseconds, the peak memory of the first training step,
and the output spike rate. ``run.py`` starts one fresh process per case so memory peaks and
library imports do not interfere. Every library gets the same weights (seed 0) and input.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

SIZES: dict[str, dict[str, Any]] = {
    "small": {"batch": 16, "steps": 100, "features": [128, 256, 256, 10]},
    "medium": {"batch": 32, "steps": 200, "features": [700, 512, 512, 20]},
}
WEIGHT_SCALE = 4.0  # default nn.Linear init x 4: every layer spikes at a moderate rate
INPUT_RATE = 0.2

# Norse's default LIF: tau_syn = 5 ms, tau_mem = 10 ms, dt = 1 ms; peers get their closest equivalent
DT, TAU_SYN, TAU_MEM = 1e-3, 5e-3, 1e-2


def linears(features: list[int]) -> nn.ModuleList:
    torch.manual_seed(0)
    layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(features))
    with torch.no_grad():
        for layer in layers:
            layer.weight.mul_(WEIGHT_SCALE)
    return layers


def spikes_input(size: dict[str, Any]) -> Tensor:
    generator = torch.Generator().manual_seed(1)
    shape = (size["steps"], size["batch"], size["features"][0])
    return (torch.rand(shape, generator=generator) < INPUT_RATE).float()


class Network(nn.Module):
    """``neuron(linear(x))`` per layer; ``neuron`` maps a time-first ``[T, B, F]`` tensor to spikes."""

    def __init__(self, layers: nn.ModuleList, neurons: list[Callable[[Tensor], Tensor]]) -> None:
        super().__init__()
        self.layers = layers
        self.neurons = neurons

    def forward(self, x: Tensor) -> Tensor:
        for layer, neuron in zip(self.layers, self.neurons):
            x = neuron(layer(x))
        return x


# --- the cases -------------------------------------------------------------------------------


def _ours_step_loop(n: int) -> Callable[[Tensor], Tensor]:
    from snn_neurons import LIFFeedForwardState, LIFParameters, lif_feed_forward_step

    p = LIFParameters()

    def neuron(x: Tensor) -> Tensor:
        state = LIFFeedForwardState(torch.zeros_like(x[0]), torch.zeros_like(x[0]))
        out = []
        for xt in x.unbind(0):
            z, state = lif_feed_forward_step(xt, state, p, DT)
            out.append(z)
        return torch.stack(out)

    return neuron


def _ours_sequence(backend: str) -> Callable[[int], Callable[[Tensor], Tensor]]:
    def make(n: int) -> Callable[[Tensor], Tensor]:
        from snn_neurons import LIFFeedForwardState, LIFParameters
        from snn_neurons.sequence import lif_feed_forward_sequence

        p = LIFParameters()

        def neuron(x: Tensor) -> Tensor:
            state = LIFFeedForwardState(torch.zeros_like(x[0]), torch.zeros_like(x[0]))
            return lif_feed_forward_sequence(x, state, p, DT, backend=backend)[0]

        return neuron

    return make


def _ours_module(n: int) -> Callable[[Tensor], Tensor]:
    from snn_neurons import LIF

    module = LIF(dt=DT)
    return lambda x: module(x)[0]


def _norse(n: int) -> Callable[[Tensor], Tensor]:
    import norse.torch as norse

    module = norse.LIF(dt=DT)
    return lambda x: module(x)[0]


def _snntorch(n: int) -> Callable[[Tensor], Tensor]:
    import math

    import snntorch

    # current-based LIF as ours: synaptic decay alpha, membrane decay beta per step
    cell = snntorch.Synaptic(alpha=math.exp(-DT / TAU_SYN), beta=math.exp(-DT / TAU_MEM))

    def neuron(x: Tensor) -> Tensor:
        syn, mem = cell.init_synaptic()
        out = []
        for xt in x.unbind(0):
            spk, syn, mem = cell(xt, syn, mem)
            out.append(spk)
        return torch.stack(out)

    return neuron


def _spikingjelly(n: int) -> Callable[[Tensor], Tensor]:
    from spikingjelly.activation_based import functional, neuron

    node = neuron.LIFNode(tau=TAU_MEM / DT, step_mode="m")

    def run(x: Tensor) -> Tensor:
        functional.reset_net(node)
        return node(x)

    return run


def _tracetorch(n: int) -> Callable[[Tensor], Tensor]:
    import tracetorch as tt

    layer = tt.snn.SLIB(n)  # synaptic trace + binary-firing leaky integrator: a current-based LIF

    def run(x: Tensor) -> Tensor:
        layer.zero_states()
        return torch.stack([layer(xt) for xt in x.unbind(0)])

    return run


def _sinabs(n: int) -> Callable[[Tensor], Tensor]:
    import sinabs.layers as sl

    layer = sl.LIF(tau_mem=TAU_MEM / DT, tau_syn=TAU_SYN / DT)  # batch-first [B, T, ...]

    def run(x: Tensor) -> Tensor:
        layer.reset_states()
        return layer(x.transpose(0, 1)).transpose(0, 1)

    return run


def _floor(n: int) -> Callable[[Tensor], Tensor]:
    return lambda x: x


#: name -> (group, neuron factory, module that must import)
CASES: dict[str, tuple[str, Callable[[int], Callable[[Tensor], Tensor]], str]] = {
    "floor (Linear only)": ("floor", _floor, "torch"),
    "snn: step loop": ("ours", _ours_step_loop, "snn_neurons"),
    "snn: LIF module": ("ours", _ours_module, "snn_neurons"),
    "snn: sequence (torch)": ("ours", _ours_sequence("torch"), "snn_neurons.sequence"),
    "snn: sequence (cpu)": ("ours", _ours_sequence("cpu"), "snn_neurons.native"),
    "snn: sequence + torch.compile": ("ours", _ours_sequence("auto"), "snn_neurons.sequence"),
    "snn: sequence (cuda)": ("ours", _ours_sequence("cuda"), "snn_cuda"),
    "Norse 1.1": ("peer", _norse, "norse"),
    "snnTorch": ("peer", _snntorch, "snntorch"),
    "SpikingJelly": ("peer", _spikingjelly, "spikingjelly"),
    "traceTorch": ("peer", _tracetorch, "tracetorch"),
    "Sinabs": ("peer", _sinabs, "sinabs"),
}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _cpu_peak_mb(step: Callable[[], None]) -> float:
    """Peak resident memory of the first ``step`` above the memory before it.

    Measured on the process's first training step (freed memory stays mapped afterwards, so a
    later step would read ~0); the high-water mark VmHWM is reset just before (Linux clear_refs).
    """
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the resident-set high-water mark VmHWM
        base = _status_kb("VmRSS")
        step()
        return max(_status_kb("VmHWM") - base, 0) / 1024
    except OSError:
        base = _status_kb("VmRSS")
        step()
        return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base, 0) / 1024


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.perf_counter


def _median_ms(fn: Callable[[], Any], reps: int, warmup: int, sync: Callable[[], None]) -> float:
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        start = _clock()
        fn()
        sync()
        times.append(_clock() - start)
    return statistics.median(times) * 1e3


def run_case(
    case: str, size_name: str, reps: int, warmup: int, device: str = "cpu", memory: bool = True
) -> dict[str, Any]:
    group, factory, _ = CASES[case]
    size = SIZES[size_name]
    features = size["features"]
    layers = linears(features)
    net = Network(layers, [factory(n) for n in features[1:]]).to(device)
    x = spikes_input(size).to(device)
    cuda = device == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    result: dict[str, Any] = {"case": case, "group": group, "size": size_name, "device": device}
    model: Callable[[Tensor], Tensor] = net
    if case.endswith("torch.compile"):
        model = torch.compile(net)
        start = time.perf_counter()
        model(x).sum().backward()
        result["compile_s"] = round(time.perf_counter() - start, 1)

    def train() -> None:
        net.zero_grad(set_to_none=True)
        model(x).sum().backward()

    def infer() -> Tensor:
        with torch.no_grad():
            return model(x)

    gc.collect()
    if memory and "compile_s" not in result:  # after the compiling step, memory is already mapped
        if cuda:
            train()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            train()
            result["peak_mb"] = (torch.cuda.max_memory_allocated() - base) / 2**20
        else:
            result["peak_mb"] = _cpu_peak_mb(train)
    result["train_ms"] = _median_ms(train, reps, warmup, sync)
    result["infer_ms"] = _median_ms(infer, reps, warmup, sync)
    result["spike_rate"] = float(infer().float().mean()) if group != "floor" else None
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="cpu: process CPU time")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    global _clock
    _clock = CLOCKS[args.clock]
    if args.threads:
        torch.set_num_threads(args.threads)
    result = run_case(args.case, args.size, args.reps, args.warmup, args.device, not args.no_memory)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
