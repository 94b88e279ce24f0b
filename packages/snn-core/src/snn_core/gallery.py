"""``snn gallery``: the 20 Izhikevich spiking behaviours in one figure.

The neuron comes from the registry (``registry().neurons["izhikevich"]``, registered by snn-neurons); core
never imports a plugin. The preset behaviours are found through a small contract:

1. the module that defines the registered ``step`` function (``spec.step.__module__``), then the top-level
   package of that module, is searched for the 20 names in :data:`BEHAVIOURS` (Norse's names, including its
   spelling ``accomodation``);
2. each preset is an ``IzhikevichSpikingBehavior``-like object with ``.p`` (parameters with ``tau_inv``,
   ``v_th``) and ``.s`` (initial state with ``v`` and ``u``);
3. the neuron is stepped with ``spec.step(I_t, state, p, dt)``, starting from ``.s`` broadcast to the input.

Each behaviour is driven by the stimulus protocol of Izhikevich's classic figure (E. M. Izhikevich, "Which
model to use for cortical spiking neurons?", IEEE TNN 15(5), 2004): steps, pulses and ramps of input current,
in the model's units (mV, ms). With ``dt = 1e-3`` one step lasts ``tau_inv * dt`` ms (0.25 ms for
``tau_inv = 250``). The presets keep Norse's parameters and Euler scheme (``u`` is updated with the old ``v``,
some presets use other step lengths than the paper), so a few panels differ from the paper: the spike-latency
pulse is 7.5 instead of 7.04 to cross threshold, the second bistability pulse does not switch the neuron off,
accommodation fires on the slow ramp, and inhibition-induced bursting keeps firing after the inhibition ends.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, NamedTuple

import torch
from torch import Tensor

from .errors import UnknownComponentError
from .plugins.manager import registry

__all__ = ["BEHAVIOURS", "PROTOCOLS", "BehaviourTrace", "izhikevich_gallery", "load_behaviours", "simulate"]

Current = Callable[[float], float]


def _step(onset: float, amplitude: float, baseline: float = 0.0) -> Current:
    return lambda t: amplitude if t > onset else baseline


def _pulses(windows: Sequence[tuple[float, float, float]], baseline: float = 0.0) -> Current:
    """``(start, width, amplitude)`` windows on a baseline; later windows win where they overlap."""

    def current(t: float) -> float:
        value = baseline
        for start, width, amplitude in windows:
            if start < t < start + width:
                value = amplitude
        return value

    return current


def _ramp(onset: float, slope: float, offset: float = 0.0) -> Current:
    return lambda t: offset + slope * (t - onset) if t > onset else offset


def _accommodation(t: float) -> float:
    if t < 200:
        return t / 25
    if 300 < t < 312.5:
        return (t - 300) / 12.5 * 4
    return 0.0


PROTOCOLS: dict[str, tuple[float, Current]] = {
    "tonic_spiking": (100.0, _step(10.0, 14.0)),
    "phasic_spiking": (200.0, _step(20.0, 0.5)),
    "tonic_bursting": (220.0, _step(22.0, 15.0)),
    "phasic_bursting": (200.0, _step(20.0, 0.6)),
    "mixed_mode": (160.0, _step(16.0, 10.0)),
    "spike_frequency_adaptation": (85.0, _step(8.5, 30.0)),
    "class_1_exc": (300.0, _ramp(30.0, 0.075)),
    "class_2_exc": (300.0, _ramp(30.0, 0.015, offset=-0.5)),
    "spike_latency": (
        100.0,
        _pulses([(10.0, 3.0, 7.5)]),
    ),  # paper: 7.04 at 0.2 ms steps; preset steps 0.25 ms
    "subthreshold_oscillation": (200.0, _pulses([(20.0, 5.0, 2.0)])),
    "resonator": (
        400.0,
        _pulses([(40.0, 4.0, 0.65), (60.0, 4.0, 0.65), (280.0, 4.0, 0.65), (320.0, 4.0, 0.65)]),
    ),
    "integrator": (
        100.0,
        _pulses([(100 / 11, 2.0, 9.0), (100 / 11 + 5, 2.0, 9.0), (70.0, 2.0, 9.0), (80.0, 2.0, 9.0)]),
    ),
    "rebound_spike": (200.0, _pulses([(20.0, 5.0, -15.0)])),
    "rebound_burst": (200.0, _pulses([(20.0, 5.0, -15.0)])),
    "threshold_variability": (100.0, _pulses([(10.0, 5.0, 1.0), (80.0, 5.0, 1.0), (70.0, 5.0, -6.0)])),
    "bistability": (300.0, _pulses([(37.5, 5.0, 1.24), (216.0, 5.0, 1.24)], baseline=0.24)),
    "dap": (50.0, _pulses([(9.0, 2.0, 20.0)])),
    "accomodation": (400.0, _accommodation),
    "inhibition_induced_spiking": (350.0, _pulses([(50.0, 200.0, 75.0)], baseline=80.0)),
    "inhibition_induced_bursting": (350.0, _pulses([(50.0, 200.0, 75.0)], baseline=80.0)),
}
"""Behaviour name -> (duration in ms, input current as a function of time in ms)."""

BEHAVIOURS: tuple[str, ...] = tuple(PROTOCOLS)
"""The 20 preset names, in the order of Izhikevich's figure (A-T)."""


class BehaviourTrace(NamedTuple):
    """A simulated behaviour: time [ms], input current, membrane voltage (spikes drawn at ``v_th``), spikes."""

    name: str
    time: Tensor
    current: Tensor
    voltage: Tensor
    spikes: Tensor


def _modules_to_search(spec: Any) -> list[ModuleType]:
    name = getattr(spec.step, "__module__", None) or ""
    candidates = [name, name.split(".")[0]] if name else []
    modules = []
    for candidate in dict.fromkeys(candidates):
        try:
            modules.append(importlib.import_module(candidate))
        except ImportError:
            continue
    return modules


def load_behaviours(names: Sequence[str] | None = None) -> dict[str, Any]:
    """The preset behaviours of the registered ``izhikevich`` neuron, by name.

    Raises:
        UnknownComponentError: if no ``izhikevich`` neuron is registered (``pip install snn-neurons``), or its
            package does not define a requested preset.
    """
    names = list(names) if names is not None else list(BEHAVIOURS)
    for name in names:
        if name not in PROTOCOLS:
            raise UnknownComponentError(
                f"unknown Izhikevich behaviour {name!r}; expected one of: {', '.join(BEHAVIOURS)}",
                kind="izhikevich behaviour",
                name=name,
            )
    spec = registry().neurons["izhikevich"]
    modules = _modules_to_search(spec)
    found: dict[str, Any] = {}
    for name in names:
        preset = next((getattr(m, name) for m in modules if hasattr(m, name)), None)
        if preset is None or not hasattr(preset, "p") or not hasattr(preset, "s"):
            where = ", ".join(m.__name__ for m in modules) or "<no module>"
            raise UnknownComponentError(
                f"the registered 'izhikevich' neuron's package ({where}) defines no preset behaviour {name!r} "
                "with .p and .s; snn gallery needs the presets of snn-neurons (pip install snn-neurons)",
                kind="izhikevich behaviour",
                name=name,
            )
        found[name] = preset
    return found


@torch.no_grad()
def simulate(name: str, behaviour: Any, dt: float = 1e-3) -> BehaviourTrace:
    """Drive one preset with its protocol from :data:`PROTOCOLS` and record the voltage."""
    spec = registry().neurons["izhikevich"]
    p = behaviour.p
    duration, current_at = PROTOCOLS[name]
    step_ms = float(p.tau_inv) * dt
    steps = round(duration / step_ms)
    time = torch.arange(steps, dtype=torch.float64) * step_ms
    current = torch.tensor([current_at(float(t)) for t in time], dtype=torch.float32)
    state = type(behaviour.s)(*(torch.as_tensor(v).detach().float().reshape(1) for v in behaviour.s))
    voltages, spikes = [], []
    for i_t in current.reshape(-1, 1).unbind(0):
        z, state = spec.step(i_t, state, p, dt)
        spikes.append(z)
        voltages.append(torch.where(z > 0, torch.full_like(state.v, float(p.v_th)), state.v))
    return BehaviourTrace(name, time, current, torch.cat(voltages), torch.cat(spikes))


def izhikevich_gallery(
    save: str | os.PathLike[str] | None = None,
    *,
    names: Sequence[str] | None = None,
    columns: int = 5,
    dpi: int = 100,
) -> tuple[Any, list[BehaviourTrace]]:
    """Simulate the Izhikevich behaviours and draw each one's voltage above its input current.

    Args:
        save: PNG path to write (folders are created); ``None`` only returns the figure.
        names: behaviours to draw (default: all 20 of :data:`BEHAVIOURS`).
        columns: panels per row.
        dpi: resolution of the saved image.

    Returns:
        ``(figure, traces)``.

    Raises:
        UnknownComponentError: if the ``izhikevich`` neuron or a preset is missing (names ``snn-neurons``).
        ImportError: if matplotlib is missing (names ``pip install "snn-core[plot]"``).
    """
    from .plot._common import finish, pyplot

    behaviours = load_behaviours(names)
    traces = [simulate(name, behaviour) for name, behaviour in behaviours.items()]
    plt = pyplot()
    columns = max(1, min(columns, len(traces)))
    rows = -(-len(traces) // columns)
    fig = plt.figure(figsize=(3.2 * columns, 2.3 * rows))
    outer = fig.add_gridspec(rows, columns, hspace=0.45, wspace=0.12)
    for index, trace in enumerate(traces):
        cell = outer[index // columns, index % columns].subgridspec(2, 1, height_ratios=(4, 1), hspace=0.05)
        ax_v = fig.add_subplot(cell[0])
        ax_i = fig.add_subplot(cell[1], sharex=ax_v)
        ax_v.plot(trace.time.numpy(), trace.voltage.numpy(), color="black", linewidth=0.7)
        ax_i.plot(trace.time.numpy(), trace.current.numpy(), color="tab:blue", linewidth=0.9)
        letter = chr(ord("A") + BEHAVIOURS.index(trace.name))
        ax_v.set_title(f"({letter}) {trace.name.replace('_', ' ')}", fontsize=9)
        ax_v.set_ylim(-95.0, 40.0)
        low, high = float(trace.current.min()), float(trace.current.max())
        margin = 0.15 * (high - low) if high > low else 1.0
        ax_i.set_ylim(low - margin, high + margin)
        for ax in (ax_v, ax_i):
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ("top", "right", "left", "bottom"):
                ax.spines[side].set_visible(False)
        ax_i.set_xlabel(f"{float(trace.time[-1] + trace.time[1]):.0f} ms", fontsize=7, labelpad=1)
    fig.suptitle("Izhikevich neuron: 20 spiking behaviours (voltage, input current below)", fontsize=12)
    fig.set_dpi(dpi)
    finish(fig, save)
    return fig, traces
