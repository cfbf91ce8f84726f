"""Benchmark (issue 4, item 6): one generation of score-network diffusion, 32 replicates, lab vs a per-replicate
PyTorch (CPU) loop of the same network, steps, batch size and sampler.

Run: ``.venv/bin/pip install -e '.[bench]'`` (PyTorch 2.13, CPU), then ``.venv/bin/python benchmarks/scorenet.py``.

Both sides, per replicate: draw n = 512 real points from a 1-D bimodal mixture; train the one-hidden-layer noise
predictor ε̂(x, t) = W₂ silu(W₁[x, α_t, σ_t] + b₁) + b₂ (width 64) for 1000 Adam steps, batch 256, peak learning rate
1e-2 with cosine decay to 0, t log-uniform on [t_min, T], loss ‖ε̂ − ε‖²; sample 1024 points by the probability-flow
ODE (Heun, 50 steps on the geometric time grid, x_T ~ N(0, 1); the lab's Heun runs in EDM's σ-space, the PyTorch
one in VP time: the same step count and network evaluations); compute the exact 1-D W₂ to 1024 truth draws.
Lab: ``lab.simulate(truth, ScoreNetDiffusion(...), Replace(), generations=0, metrics=[W2Samples(1024)])``
(``ScoreNetDiffusion`` is the thin constructor of ``lab.Diffusion(OneHidden(64), VP(...), TrainConfig(...))``): the fit
and the metric's sampling vectorised over replicates (and spread over the CPU devices ``lab`` sets up). Timed warm: a
first call compiles (printed apart), the second is timed. PyTorch: the loop a user would write (``torch.nn``,
``torch.optim.Adam``, ``CosineAnnealingLR``), default threads, float32, one replicate after another.
The last line is ``speedup: <torch time / lab time>``.
"""
from __future__ import annotations

import math
import time

import jax
import numpy as np
import torch

import lab

N, WIDTH, STEPS, BATCH, LR, SAMPLES, SAMPLE_STEPS, REPLICATES = 512, 64, 1000, 256, 1e-2, 1024, 50, 32
TRUTH = lab.GaussianMixture([0.4, 0.6], [[-2.0], [1.5]], [[[0.25]], [[0.5]]])
# time_law="log_uniform": the PyTorch side below draws t log-uniform, so the lab side must too (like for like).
MODEL = lab.ScoreNetDiffusion(WIDTH, steps=STEPS, lr=LR, batch=BATCH, sampler="ode", sample_steps=SAMPLE_STEPS,
                              time_law="log_uniform")
BETA, T_MIN, T_MAX = MODEL.precond.beta, MODEL.precond.t_min, MODEL.precond.t_max  # a lab.Diffusion under VP


def lab_run() -> float:
    t = time.perf_counter()
    ds = lab.simulate(TRUTH, MODEL, lab.Replace(), n=N, generations=0, replicates=REPLICATES, key=0,
                      metrics=[lab.metrics.samples.W2Samples(samples=SAMPLES)])
    ds.load()
    return time.perf_counter() - t, float(ds["w2_samples"].mean())


def _alpha_sigma(t):
    return torch.exp(-0.5 * BETA * t), torch.sqrt(-torch.expm1(-BETA * t))


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, WIDTH), torch.nn.SiLU(), torch.nn.Linear(WIDTH, 1))

    def forward(self, x, t):  # x: (B, 1), t: (B, 1)
        a, s = _alpha_sigma(t)
        return self.body(torch.cat([x, a, s], dim=-1))


def torch_replicate(x0: torch.Tensor, gen: torch.Generator) -> np.ndarray:
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS, eta_min=0.0)
    for _ in range(STEPS):
        x = x0[torch.randint(0, x0.shape[0], (BATCH,), generator=gen)]
        t = T_MIN * (T_MAX / T_MIN) ** torch.rand(BATCH, 1, generator=gen)
        eps = torch.randn(BATCH, 1, generator=gen)
        a, s = _alpha_sigma(t)
        loss = ((net(a * x + s * eps, t) - eps) ** 2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return torch_sample(net, gen)


@torch.no_grad()
def torch_sample(net, gen) -> np.ndarray:
    ts = [T_MAX * (T_MIN / T_MAX) ** (k / SAMPLE_STEPS) for k in range(SAMPLE_STEPS + 1)]
    x = torch.randn(SAMPLES, 1, generator=gen)

    def drift(x, t):
        tt = torch.full_like(x, t)
        return -0.5 * BETA * (x - net(x, tt) / _alpha_sigma(tt)[1])  # f = −½β(x + s), s = −ε̂/σ

    for t0, t1 in zip(ts[:-1], ts[1:]):
        h = t0 - t1
        d0 = drift(x, t0)
        d1 = drift(x - h * d0, t1)
        x = x - 0.5 * h * (d0 + d1)
    return x.numpy()[:, 0]


def torch_run() -> tuple[float, float]:
    gen = torch.Generator().manual_seed(0)
    data = [np.asarray(TRUTH.sample(key=jax.random.key(r), n=N), np.float32) for r in range(REPLICATES)]
    refs = [np.sort(np.asarray(TRUTH.sample(key=jax.random.key(10_000 + r), n=SAMPLES))[:, 0]) for r in range(REPLICATES)]
    t = time.perf_counter()
    w2 = []
    for x0, ref in zip(data, refs):
        fake = np.sort(torch_replicate(torch.from_numpy(x0), gen))
        w2.append(math.sqrt(np.mean((fake - ref) ** 2)))
    return time.perf_counter() - t, float(np.mean(w2))


def main():
    first, _ = lab_run()
    warm, lab_w2 = lab_run()
    print(f"lab: first call {first:.2f} s (compile included), warm {warm:.2f} s; mean W2 to truth {lab_w2:.3f}")
    tt, torch_w2 = torch_run()
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): {tt:.2f} s; mean W2 to truth {torch_w2:.3f}")
    print(f"settings: n={N} width={WIDTH} steps={STEPS} batch={BATCH} lr={LR} samples={SAMPLES} "
          f"sample_steps={SAMPLE_STEPS} replicates={REPLICATES}")
    print(f"speedup: {tt / warm:.1f}")


if __name__ == "__main__":
    main()
