"""Draw the figures of the snn-plasticity docs (run once; the PNGs are committed).

python docs/packages/snn-plasticity/make_figures.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

import snn_plasticity as sp

HERE = Path(__file__).parent
DPI = 80


def save(fig, name):
    fig.tight_layout()
    path = HERE / f"{name}.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"{path.name}: {path.stat().st_size / 1024:.1f} kB")


def stdp_window(p: sp.STDPParameters, lags: range) -> list[float]:
    """Weight change after one pre and one post spike, post lagging pre by `lag` steps."""
    changes = []
    for lag in lags:
        w = torch.full((1, 1), 0.5)
        state = sp.STDPState(torch.zeros(1, 1), torch.zeros(1, 1))
        start = max(0, -lag)
        for t in range(start + abs(lag) + 60):
            z_pre = torch.full((1, 1), float(t == start))
            z_post = torch.full((1, 1), float(t == start + lag))
            w, state = sp.stdp_step_linear(z_pre, z_post, w, state, p)
        changes.append(float(w) - 0.5)
    return changes


def main() -> None:
    lags = range(-60, 61, 2)
    fig, ax = plt.subplots(figsize=(6, 2.4))
    for algorithm in ("additive", "multiplicative_relu"):
        p = sp.STDPParameters(eta_plus=0.02, eta_minus=0.02, stdp_algorithm=algorithm)
        ax.plot(list(lags), stdp_window(p, lags), marker=".", linewidth=1, label=algorithm)
    ax.axhline(0, color="gray", linewidth=0.5)
    ax.set_xlabel("t_post - t_pre (steps of 1 ms)")
    ax.set_ylabel("Δw")
    ax.set_title("STDP window of stdp_step_linear (w = 0.5)", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, "stdp_window")

    z = torch.zeros(600)
    z[50:300:25] = 1.0
    z[450] = 1.0
    fig, axes = plt.subplots(1, 2, figsize=(6, 2.4), sharey=True)
    for ax, (name, p) in zip(
        axes,
        [
            ("depressing (U=0.45)", sp.TsodyksMakramParameters()),
            ("facilitating (U=0.1)", sp.TsodyksMakramParameters(U=0.1, tau_f_inv=1.0, tau_d_inv=10.0)),
        ],
    ):
        state = sp.TsodyksMakramState(torch.zeros(1), torch.ones(1))
        us, xs, outs = [], [], []
        for z_t in z:
            out, state = sp.stp_step(z_t.reshape(1), state, p)
            us.append(float(state.u))
            xs.append(float(state.x))
            outs.append(float(out))
        ax.plot(us, label="u", linewidth=1)
        ax.plot(xs, label="x", linewidth=1)
        spikes = [t for t, o in enumerate(outs) if o > 0]
        ax.vlines(spikes, 0, [outs[t] for t in spikes], color="black", linewidth=1.5, label="u⁺x (efficacy)")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("time step (1 ms)")
    axes[0].legend(fontsize=7)
    save(fig, "tsodyks_markram")


if __name__ == "__main__":
    main()
