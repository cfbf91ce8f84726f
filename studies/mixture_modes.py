"""Mode loss in the mixture world: a Gaussian mixture refitted by EM (``lab.MixtureFit``) generation after generation.

Claim: under Replace the small modes of the truth disappear over the generations (the number of truth components still
holding mass in the model's samples falls: Shumailov et al., Nature 2024, §3 "early and late collapse"); under
Accumulate (all data kept) and Fresh (half fresh real data every generation) the modes are kept.
Setting: five unit-covariance 2-D modes, weights 0.35 … 0.08; EM with k = 5 components on n samples per generation.
"Holding mass" is ``lab.metrics.mixture.ModesKept``: truth component j counts when the share of model samples its
posterior assigns to it is at least 10 % of its truth weight π_j.
Verdict rule (``lab.analysis.agreement``, the regimes being independent runs, z = Δ/√(SE₁² + SE₂²)): SUPPORTED when at
the last generation Replace keeps fewer modes than Accumulate and than Fresh by more than 5 SE, and Accumulate and
Fresh each stay within 5 SE of their generation-0 value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "mixture_modes"
CLAIM = "Mixture refit by EM: Replace loses the small modes over generations; Accumulate and Fresh keep them"
K = 5.0  # tolerance in standard errors (the lab.analysis standard)
WEIGHTS = (0.35, 0.25, 0.2, 0.12, 0.08)  # truth mixing weights, the last modes the smallest
MEANS = ((-6.0, 0.0), (6.0, 0.0), (0.0, 6.0), (0.0, -6.0), (0.0, 0.0))  # well-separated 2-D modes


@dataclass(frozen=True)
class Config:
    n: int = 50  # real samples at generation 0 (and synthetic per generation)
    generations: int = 30  # generations after generation 0
    replicates: int = 50  # independent runs per regime (quick: 50 decides the rule by > 20 SE at ~half the CPU of 100)
    iterations: int = 30  # EM steps per fit
    seed: int = 0  # base seed; each regime folds in its own index


PRESETS = {"quick": Config(), "full": Config(n=100, generations=150, replicates=1000, iterations=100)}
REGIMES = ("Replace", "Accumulate", "Fresh")
COLORS = {"Replace": "C3", "Accumulate": "C0", "Fresh": "C2"}


def truth():
    import lab

    return lab.GaussianMixture(list(WEIGHTS), [list(m) for m in MEANS], [np.eye(2).tolist()] * len(WEIGHTS))


def simulate_regime(regime: str, n: int, generations: int, replicates: int, iterations: int, seed: int) -> dict:
    """Modes kept and components alive (``lab.analysis.summarize``), share keeping all modes, of one regime's loop."""
    import lab
    from lab.analysis import summarize
    from lab.metrics import mixture as mm

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


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement

    m = {r: results[r]["modes_kept"] for r in REGIMES}

    def z(a, b):  # a − b in combined standard errors
        return float(agreement(a[0], np.hypot(a[1], b[1]), b[0], k=K).z)

    end = {r: (m[r]["mean"][-1], m[r]["se"][-1]) for r in REGIMES}
    lost = {r: z(end["Replace"], end[r]) for r in ("Accumulate", "Fresh")}
    kept = {r: z(end[r], (m[r]["mean"][0], m[r]["se"][0])) for r in ("Accumulate", "Fresh")}
    ok = all(v < -K for v in lost.values()) and all(abs(v) <= K for v in kept.values())
    v = Verdict.of(ok, f"Replace below Accumulate and Fresh by > {K:g} SE at the end; they stay within {K:g} SE of "
                       "generation 0", z_replace_vs=lost, z_kept_vs_start=kept)
    final = {r: float(end[r][0]) for r in REGIMES}
    return {"verdict": v, "final_modes_kept": final,
            "final_all_kept": {r: float(results[r]["all_kept"][-1]) for r in REGIMES}, "headline": (
                f"At t = {cfg.generations} the model keeps {final['Replace']:.2f} of 5 modes on average under "
                f"Replace, {final['Accumulate']:.2f} under Accumulate and {final['Fresh']:.2f} under Fresh "
                f"({cfg.replicates} replicates; Replace below by {-max(lost.values()):.0f} SE or more).")}


def plot(results: dict, cfg: Config):
    import jax
    import matplotlib.pyplot as plt

    from lab.analysis.plots import band, legend_below

    t, k = np.arange(cfg.generations + 1), len(WEIGHTS)
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.0), gridspec_kw=dict(width_ratios=[0.8, 1, 1]))
    x = np.asarray(truth().sample(key=jax.random.key(0), n=2000))
    axes[0].scatter(x[:, 0], x[:, 1], s=2, alpha=0.4)
    for w, mu in zip(WEIGHTS, MEANS):
        axes[0].annotate(f"π = {w}", mu, xytext=(0, 14), textcoords="offset points", ha="center", fontsize=9,
                         bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    axes[0].set(title="truth: 5 unit-covariance modes", aspect="equal")
    for r in REGIMES:
        band(axes[1], t, results[r]["modes_kept"], label=r, color=COLORS[r])
        axes[2].plot(t, results[r]["all_kept"], color=COLORS[r], label=r)
    axes[1].set(title="truth modes holding mass\n(≥ 10 % of π_j in model samples)", xlabel="generation t",
                ylabel="modes kept", ylim=(0, k + 0.3))
    axes[2].set(title="share of replicates keeping all 5\n(gen. 0: EM on n real rows)", xlabel="generation t",
                ylabel="share", ylim=(-0.02, 1.02))
    legend_below(fig, *axes[1].get_legend_handles_labels(), ncol=3, fontsize=9)
    fig.suptitle(f"Mixture modes: EM refit (k = {k}, {cfg.iterations} steps), n = {cfg.n}/generation, "
                 f"{cfg.replicates} replicates; mean, 10–90 % band\nrule: Replace below Accumulate and Fresh by > "
                 f"{K:g} SE at the end → {summary(results, cfg)['verdict'].status}", fontsize=10)
    fig.tight_layout()
    return fig
