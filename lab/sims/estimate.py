"""Run-time estimate of a diffusion study (``estimate_seconds`` of each SIMS study, printed by ``python -m lab sims``;
one function per study below).

Method: count the network's multiply-adds from its parameter count P (an MLP does ~P multiply-adds per row and NFE),
then
  training  6 · P · batch · steps · seeds flops (forward 2P, backward 4P per row),
  sampling  2 · P · rows · NFE · nets · seeds (Heun with N steps: 2N − 1 NFE; guided sampling evaluates 2 nets),
divided by an effective rate; plus a per-step latency floor (tiny networks are launch-bound on a GPU, not flop-bound),
a compile allowance per cell and the study's own metric estimate. RATE["gpu"] is calibrated on issue 11's H100
measurement (digits MLP 1024×4, P = 8.6 M with its noise-embedding layers, 50k steps at batch 512, ≈ 40 TFLOP/s
effective: XLA's default float32 matmuls use TF32 tensor cores); RATE["cpu"] is a guess for 2 unloaded cores. Treat
the result as ±2×.
"""
from __future__ import annotations

import math

RATE = {"gpu": 40e12, "cpu": 2e10}  # effective flop/s
STEP_FLOOR = {"gpu": 4e-4, "cpu": 0.0}  # seconds per optimiser step or sampler NFE at least (launch-bound)
COMPILE = {"gpu": 40.0, "cpu": 15.0}  # seconds per cell (trace + XLA compile)


def mlp_params(dim: int, width: int, depth: int) -> int:
    """Parameters of ``lab.diffusion.MLP(width, depth)`` on dim-D data (counted by building one)."""
    import jax

    from lab.diffusion import MLP, count_params

    return count_params(MLP(width, depth).init(key=jax.random.key(0), dim=dim, n_cond=1))


def kind(backend: str) -> str:
    """"cpu" for JAX's cpu backend, "gpu" for any accelerator."""
    return "cpu" if backend == "cpu" else "gpu"


def train_seconds(params: int, batch: int, steps: int, seeds: int, backend: str) -> float:
    """Seconds to train ``seeds`` networks of ``params`` parameters for ``steps`` steps at ``batch`` rows."""
    k = kind(backend)
    return max(6.0 * params * batch * steps * seeds / RATE[k], steps * STEP_FLOOR[k])


def sample_seconds(params: int, rows: int, sampler_steps: int, seeds: int, backend: str, nets: int = 1) -> float:
    """Seconds to draw ``rows`` samples per seed with a Heun sampler of ``sampler_steps`` steps (``nets`` networks
    evaluated per NFE: 2 for guided sampling)."""
    k = kind(backend)
    nfe = 2 * sampler_steps - 1
    return max(2.0 * params * rows * nfe * nets * seeds / RATE[k], nfe * STEP_FLOOR[k])


def toy(cfg, backend: str) -> float:
    """sims_toy: training and sampling flops or the GPU's per-step floor, one compile, and the CPU metrics (≈ 0.1 s
    per exact-OT solve at 1,000 points, ∝ m² log m beyond; NLL on all samples ≈ 1 µs a row and mode)."""
    p = mlp_params(2, cfg.width, cfg.depth)
    t = train_seconds(p, cfg.batch, cfg.base_steps + cfg.budget, cfg.seeds, backend)
    t += sample_seconds(p, cfg.n, cfg.sampler_steps, cfg.seeds, backend)
    t += sample_seconds(p, cfg.samples, cfg.sampler_steps, cfg.seeds, backend, nets=2) * len(cfg.omegas)
    ot = 0.1 * (cfg.ot_samples / 1000) ** 2 * max(1.0, math.log(cfg.ot_samples) / math.log(1000))
    metrics = cfg.seeds * (len(cfg.omegas) + 1) * (ot + 1e-6 * cfg.samples * cfg.modes)
    return t + COMPILE[kind(backend)] + metrics


def _chunks(seeds, size):
    seeds = list(seeds)
    return [seeds[i:i + size] for i in range(0, len(seeds), max(1, int(size)))]


def digits(cfg, backend: str) -> float:
    """sims_digits: per cell, training (base + B) and sampling (n_s rows, then n_samples rows per ω with two
    networks) for its vmapped seeds, one compile; metrics ≈ 0.2 s per seed and ω (classifier features, FD, k-NN)."""
    p = mlp_params(64, cfg.width, cfg.depth)
    total = 0.0
    for g in _chunks(cfg.seeds, cfg.seeds_per_cell):
        s = len(g)
        total += train_seconds(p, cfg.batch, cfg.base_steps + cfg.aux_steps, s, backend)
        total += sample_seconds(p, cfg.n_synthetic, cfg.sampler_steps, s, backend)
        total += sample_seconds(p, cfg.n_samples, cfg.sampler_steps, s, backend, nets=2) * len(cfg.omegas)
        total += COMPILE[kind(backend)] + 0.2 * s * (len(cfg.omegas) + 1)
    return total


def shift(cfg, backend: str) -> float:
    """sims_shift: per cell, the base, two fine-tunings, the pool and the guided samples of both arms for its vmapped
    seeds, one compile; metrics ≈ 0.2 s per seed, ω and arm (CPU)."""
    p = mlp_params(64, cfg.width, cfg.depth)
    total = 0.0
    for g in _chunks(cfg.seeds, cfg.seeds_per_cell):
        s = len(g)
        total += train_seconds(p, cfg.batch, cfg.base_steps + 2 * cfg.aux_steps, s, backend)
        total += sample_seconds(p, cfg.n_pool, cfg.sampler_steps, s, backend)
        total += 2 * sample_seconds(p, cfg.n_samples, cfg.sampler_steps, s, backend, nets=2) * len(cfg.omegas)
        total += COMPILE[kind(backend)] + 0.2 * s * 2 * len(cfg.omegas)
    return total


def loop(cfg, backend: str) -> float:
    """sims_loop: per loop (G + 1) fits of ``steps`` (the SIMS loops also B fine-tuning steps and 2 sampling passes),
    all replicates vmapped; one compile per loop (4 cells)."""
    d = 2 if cfg.world == "ring" else 64
    p = mlp_params(d, cfg.width, cfg.depth) if cfg.net == "mlp" else 40 * cfg.width**2 * cfg.depth
    fits = cfg.generations + 1
    t = 4 * train_seconds(p, cfg.batch, cfg.steps * fits, cfg.replicates, backend)
    t += 2 * train_seconds(p, cfg.batch, cfg.aux_steps * fits, cfg.replicates, backend)
    t += 6 * fits * sample_seconds(p, max(cfg.n, cfg.n_eval), cfg.sampler_steps, cfg.replicates, backend)
    return t + 4 * COMPILE[kind(backend)]


def pollution(cfg, backend: str) -> float:
    """sims_pollution: per share one base fit and one fine-tuning for all seeds vmapped, ω sampling passes with two
    networks; the polluter once; one compile per share."""
    p = mlp_params(2, cfg.width, cfg.depth)
    shares = len(cfg.shares)
    t = train_seconds(p, cfg.batch, cfg.polluter_steps, cfg.replicates, backend)
    t += shares * train_seconds(p, cfg.batch, cfg.steps + cfg.aux_steps, cfg.replicates, backend)
    t += shares * len(cfg.omegas) * sample_seconds(p, cfg.n_eval, cfg.sampler_steps, cfg.replicates, backend, nets=2)
    return t + (shares + 1) * COMPILE[kind(backend)]
