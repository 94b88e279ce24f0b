"""Regenerate the tutorial's figures: ``python docs/tutorial/make_figures.py`` (needs snn-core[demo],
snn-neurons, snn-encoding). The code below is the tutorial's code, step by step."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).parent
DPI = 80

# --- 1. data
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

digits = load_digits()
x = torch.tensor(digits.data, dtype=torch.float32) / 16.0  # [1797, 64] in [0, 1]
y = torch.tensor(digits.target)
g = torch.Generator().manual_seed(0)
order = torch.randperm(len(y), generator=g)
train, test = order[:1400], order[1400:]

# --- 2. spikes
import snn_core  # noqa: E402
from snn_core import plot  # noqa: E402

poisson = snn_core.registry().encoders["poisson"].fn  # the same as snn_encoding.poisson_encode
spikes = poisson(x[:1], 24, f_max=400, dt=1e-3, generator=g)  # [24, 1, 64]
fig, ax = plot.spike_raster(
    spikes[:, 0], dt=1e-3, title=f"Poisson spikes of one digit ({int(y[0])})", ylabel="Pixel"
)
fig.set_size_inches(7, 3.2)
fig.savefig(HERE / "input-raster.png", dpi=DPI, bbox_inches="tight")
plt.close(fig)

# --- 3. network
from torch import nn  # noqa: E402


class DigitsSNN(nn.Module):
    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.fc_in = nn.Linear(64, hidden)
        self.lif = snn_core.Neuron("lif")  # registered by snn-neurons
        self.fc_out = nn.Linear(hidden, 10, bias=False)
        self.readout = snn_core.Neuron("li")  # leaky integrator: no spikes, a voltage per class

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:  # [T, B, 64] -> [B, 10]
        z, _ = self.lif(self.fc_in(spikes))
        v, _ = self.readout(self.fc_out(z))
        return v.mean(dim=0)


torch.manual_seed(0)
torch.set_num_threads(1)
net = DigitsSNN()
initial_weights = net.fc_in.weight.detach().clone()

# --- 4. training
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
losses = plot.MeasurementManager("training loss", decay=[0.0, 0.9])
for _epoch in range(6):
    for batch in train[torch.randperm(len(train), generator=g)].split(32):
        scores = net(poisson(x[batch], 24, f_max=400, dt=1e-3, generator=g))
        loss = nn.functional.cross_entropy(scores, y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss)

with torch.no_grad():
    predicted = net(poisson(x[test], 24, f_max=400, dt=1e-3, generator=g)).argmax(dim=1)
accuracy = (predicted == y[test]).float().mean().item()
print(f"test accuracy {accuracy:.1%}")

fig, ax = losses.plot()
ax.set_xlabel("batch")
fig.set_size_inches(7, 3.2)
fig.savefig(HERE / "loss.png", dpi=DPI, bbox_inches="tight")
plt.close(fig)

# --- 5. inside the network
lif = snn_core.registry().neurons["lif"]
with torch.no_grad():
    current = net.fc_in(poisson(x[test[:1]], 24, f_max=400, dt=1e-3, generator=g))[:, 0]  # [24, 128]
    state = lif.initial_state(current[0], net.lif.p)
    zs, vs = [], []
    for i_t in current.unbind(0):
        z, state = lif.step(i_t, state, net.lif.p, 1e-3)
        zs.append(z)
        vs.append(state.v)
zs, vs = torch.stack(zs), torch.stack(vs)

fig, (ax_raster, ax_v) = plt.subplots(1, 2, figsize=(10, 3.4))
plot.spike_raster(zs, ax_raster, dt=1e-3, title="Hidden spikes", marker_size=6)
plot.trace_lines(vs[:, :3], ax_v, dt=1e-3, threshold=1.0, title="Membrane of 3 neurons")
fig.tight_layout()
fig.savefig(HERE / "hidden.png", dpi=DPI, bbox_inches="tight")
plt.close(fig)

fig, ax = plot.firing_rate_histogram(zs, dt=1e-3, bins=15, title="Hidden firing rates")
fig.set_size_inches(5, 3.2)
fig.savefig(HERE / "rates.png", dpi=DPI, bbox_inches="tight")
plt.close(fig)

result = plot.distributions(
    [initial_weights, net.fc_in.weight], "Input weights before / after training", compute_metrics=True
)
fig, ax = result["fig_ax"]
ax.legend(["before: " + ax.lines[0].get_label(), "after: " + ax.lines[1].get_label()], fontsize="small")
fig.set_size_inches(7, 3.6)
fig.savefig(HERE / "weights.png", dpi=DPI, bbox_inches="tight")
plt.close(fig)
print("L1 distance between the KDEs:", round(float(result["metrics"]["l1_kde"][0, 1]), 3))

# --- 6. snn demo and snn gallery
from snn_core.demo import DemoConfig, run_demo  # noqa: E402
from snn_core.gallery import izhikevich_gallery  # noqa: E402

demo = run_demo(DemoConfig(out=HERE / "_demo"), stream=io.StringIO())
print(f"demo accuracy {demo.accuracy:.2%}")
for name in ("learning_curve", "raster", "membrane"):
    shutil.copyfile(demo.files[name], HERE / f"demo-{name.replace('_', '-')}.png")
for path in sorted((HERE / "_demo").iterdir()):
    path.unlink()
(HERE / "_demo").rmdir()

fig, _ = izhikevich_gallery(HERE / "gallery.png", dpi=60)
plt.close(fig)
