"""Draw the figures of the snn-encoding docs (run once; the PNGs are committed).

    python docs/packages/snn-encoding/make_figures.py

Needs matplotlib, snn-encoding and, for the two LIF encoders, snn-neurons (the ``"lif"`` model).
Each figure is a small PNG (< 60 kB) next to this script.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

import snn_encoding as se

HERE = Path(__file__).parent
DPI = 80


def raster(ax, spikes, title, values=None, size=6):
    """Spikes [T, N] as a raster: time along x, neuron along y; -1 drawn in red, +1 in black."""
    t, n = torch.nonzero(spikes > 0, as_tuple=True)
    ax.scatter(t, n, s=size, marker="|", color="black", linewidths=1)
    t, n = torch.nonzero(spikes < 0, as_tuple=True)
    ax.scatter(t, n, s=size, marker="|", color="tab:red", linewidths=1)
    ax.set_xlim(-1, spikes.shape[0])
    ax.set_ylim(-0.5, spikes.shape[1] - 0.5)
    ax.set_xlabel("time step")
    ax.set_ylabel("neuron" if values is None else "input value")
    if values is not None:
        ticks = list(range(0, len(values), max(1, len(values) // 5)))
        ax.set_yticks(ticks, [f"{float(values[i]):.2g}" for i in ticks])
    ax.set_title(title, fontsize=10)


def save(fig, name):
    fig.tight_layout()
    path = HERE / f"{name}.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"{path.name}: {path.stat().st_size / 1024:.1f} kB")


def main() -> None:
    g = torch.Generator().manual_seed(0)

    rates = torch.linspace(0, 1, 20)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    raster(
        ax, se.poisson_encode(rates, 200, f_max=100, generator=g), "poisson_encode(x, 200, f_max=100)", rates
    )
    save(fig, "poisson")

    signed = torch.linspace(-1, 1, 21)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    spikes = se.signed_poisson_encode(signed, 200, f_max=100, generator=g)
    raster(ax, spikes, "signed_poisson_encode (black +1, red -1)", signed)
    save(fig, "signed_poisson")

    values = torch.linspace(0, 4, 200)
    fig, ax = plt.subplots(figsize=(6, 2.4))
    responses = se.population_encode(values, 8, scale=4.0)
    for k in range(8):
        ax.plot(values, responses[:, k], linewidth=1.2)
    ax.set_xlabel("input value x")
    ax.set_ylabel("response")
    ax.set_title("population_encode(x, 8, scale=4): 8 tuning curves", fontsize=10)
    save(fig, "population")

    currents = torch.linspace(0, 15, 20)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    raster(ax, se.constant_current_lif_encode(currents, 100), "constant_current_lif_encode(I, 100)", currents)
    save(fig, "constant_current_lif")

    currents = torch.linspace(1, 6, 20)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    raster(
        ax, se.spike_latency_lif_encode(currents, 40), "spike_latency_lif_encode(I, 40)", currents, size=30
    )
    save(fig, "spike_latency_lif")

    fig, axes = plt.subplots(1, 2, figsize=(6, 2.4), sharey=True)
    train = se.poisson_encode(torch.full((12,), 0.3), 60, f_max=300, generator=g)
    raster(axes[0], train, "input spikes")
    raster(axes[1], se.spike_latency_encode(train), "spike_latency_encode", size=20)
    axes[1].set_ylabel("")
    save(fig, "spike_latency")

    rows = torch.tensor(
        [
            [1.0, 0.0, 1.0, 0.0, 0.0],
            [2.0, 0.0, 2.0, 0.0, 0.0],
            [2.0, 0.8, 2.0, 0.0, 0.0],
            [1.0, 0.0, 1.0, 1.0, 0.0],
            [1.0, 0.0, 1.0, 0.0, 1.0],
            [1.0, 0.8, 2.0, 1.0, 0.0],
            [1.0, 0.0, 1.0, 2.0, 0.0],
            [1.0, 0.0, 1.0, 1.0, 1.0],
        ]
    )
    fields = se.spatial_receptive_fields_with_derivatives(rows, 21, domain=4)
    fig, axes = plt.subplots(2, 4, figsize=(6, 3.3))
    for ax, field, row in zip(axes.flat, fields, rows):
        limit = float(field.abs().max())
        ax.imshow(field, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"s={row[0]:g} φ={row[1]:g} r={row[2]:g}\ndx={int(row[3])} dy={int(row[4])}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    save(fig, "receptive_fields")


if __name__ == "__main__":
    main()
