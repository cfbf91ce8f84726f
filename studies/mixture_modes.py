"""Mode loss in the mixture world: a Gaussian mixture refitted by EM (``lab.MixtureFit``) generation after generation.

Claim: under Replace the small modes of the truth disappear over the generations (the number of truth components still
holding mass in the model's samples falls); under Accumulate (all data kept) and Fresh (half fresh real data every
generation) the modes are kept. "Holding mass" is ``lab.metrics.mixture.ModesKept``: truth component j counts when the
share of model samples its posterior assigns to it is at least 10 % of its truth weight π_j.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "mixture_modes"
CLAIM = "Mixture refit by EM: Replace loses the small modes over generations; Accumulate and Fresh keep them"

WEIGHTS = (0.35, 0.25, 0.2, 0.12, 0.08)  # truth mixing weights, the last modes the smallest
MEANS = ((-6.0, 0.0), (6.0, 0.0), (0.0, 6.0), (0.0, -6.0), (0.0, 0.0))  # well-separated 2-D modes


@dataclass(frozen=True)
class Config:
    n: int = 50  # real samples at generation 0 (and synthetic per generation)
    generations: int = 30  # generations after generation 0
    replicates: int = 100  # independent runs per regime
    iterations: int = 30  # EM steps per fit
    seed: int = 0  # base seed; each regime folds in its own index


PRESETS = {"quick": Config(), "full": Config(n=100, generations=150, replicates=1000, iterations=100)}
REGIMES = ("Replace", "Accumulate", "Fresh")


def truth():
    import lab

    return lab.GaussianMixture(list(WEIGHTS), [list(m) for m in MEANS], [np.eye(2).tolist()] * len(WEIGHTS))


def simulate_regime(regime: str, n: int, generations: int, replicates: int, iterations: int, seed: int) -> dict:
    """Modes kept, components alive and per-component mode shares of one regime's loop."""
    import lab
    from lab.metrics import mixture as mm
    from lab.plotting import summarize

    reg = {"Replace": lab.Replace(), "Accumulate": lab.Accumulate(), "Fresh": lab.Fresh(real=n // 2, synthetic=n // 2)}
    ds = lab.simulate(truth(), lab.MixtureFit(len(WEIGHTS), iterations=iterations), reg[regime], n=n,
                      generations=generations, replicates=replicates, key=seed,
                      metrics=[mm.ModesKept(), mm.ComponentsAlive()])
    kept = ds["modes_kept"].values
    return {"modes_kept": summarize(kept), "alive": summarize(ds["components_alive"].values),
            "all_kept": (kept == len(WEIGHTS)).mean(0)}


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell(r, simulate_regime, dict(regime=r, n=cfg.n, generations=cfg.generations, replicates=cfg.replicates,
                                          iterations=cfg.iterations, seed=cfg.seed + i)) for i, r in enumerate(REGIMES)]


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting

    t = np.arange(cfg.generations + 1)
    k = len(WEIGHTS)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), gridspec_kw=dict(width_ratios=[0.8, 1, 1]))
    ax = axes[0]
    import jax

    x = np.asarray(truth().sample(key=jax.random.key(0), n=2000))
    ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.4)
    for w, m in zip(WEIGHTS, MEANS):
        ax.annotate(f"π = {w}", m, xytext=(0, 14), textcoords="offset points", ha="center", fontsize=8,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    ax.set(title="truth: 5 unit-covariance modes", aspect="equal")
    colors = {"Replace": "C3", "Accumulate": "C0", "Fresh": "C2"}
    for r in REGIMES:
        plotting.band(axes[1], t, results[r]["modes_kept"], label=r, color=colors[r])
        axes[2].plot(t, results[r]["all_kept"], color=colors[r], label=r)
    axes[1].set(title="truth modes still holding mass (mean, 10–90 % band)", xlabel="generation t",
                ylabel="modes kept (≥ 10 % of π_j in model samples)", ylim=(0, k + 0.3))
    axes[2].set(title="share of replicates keeping all 5 modes (gen. 0: EM on n real rows)", xlabel="generation t", ylabel="share",
                ylim=(-0.02, 1.02))
    axes[1].legend(fontsize=8, loc="lower left")
    axes[2].legend(fontsize=8, loc="lower left")
    fig.suptitle(f"Mixture modes: EM refit (k = {k}, {cfg.iterations} steps) on n = {cfg.n} samples/generation, "
                 f"{cfg.replicates} replicates — Replace loses the small modes, Accumulate and Fresh (n/2 real + n/2 "
                 "synthetic) keep them", fontsize=10)
    fig.tight_layout()
    return fig
