"""Collapse and its prevention in the Gaussian world: five regimes, simulation bands with exact theory overlaid.

Claim: under Replace the fitted variance decays geometrically and the mean wanders (THEORY G1, G2); Accumulate keeps
the error bounded (G5: Gerstgrasser et al. 2024), AccumulateSubsample degrades slowly, Augment and Fresh stay near the
truth. Dashed lines are the lab's exact moment recursions (``lab.theory.pooled``), which the simulation must match.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "gaussian_collapse"
CLAIM = "Replace collapses (variance → 0, mean drifts); Accumulate bounds the error; theory dashed over simulation"


@dataclass(frozen=True)
class Config:
    n: int = 100  # real samples at generation 0 (and synthetic per generation)
    generations: int = 100  # generations after generation 0
    replicates: int = 500  # independent runs per regime
    ddof: int = 0  # MLE refit (THEORY G1)
    seed: int = 0  # base seed; each regime folds in its own index


PRESETS = {"quick": Config(), "full": Config(generations=300, replicates=5000)}
REGIMES = ("Replace", "Accumulate", "AccumulateSubsample", "Augment", "Fresh")


def make_regime(name: str, n: int):
    import lab

    return {"Replace": lab.Replace(), "Accumulate": lab.Accumulate(), "AccumulateSubsample": lab.AccumulateSubsample(),
            "Augment": lab.Augment(synthetic=n), "Fresh": lab.Fresh(real=n // 2, synthetic=n // 2)}[name]


def simulate_regime(regime: str, n: int, generations: int, replicates: int, ddof: int, seed: int) -> dict:
    """Per-replicate variance, squared mean error and W₂² of one regime's loop (1-D truth N(0, 1))."""
    import lab
    from lab.plotting import summarize

    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof), make_regime(regime, n), n=n,
                      generations=generations, replicates=replicates, key=seed,
                      metrics=[lab.metrics.W2(), lab.metrics.MeanError()])
    return {"var": summarize(ds["cov"].values[..., 0, 0]), "mean_sq": summarize(ds["mean_error"].values),
            "w2_sq": summarize(ds["w2"].values ** 2)}


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell(r, simulate_regime, dict(regime=r, n=cfg.n, generations=cfg.generations, replicates=cfg.replicates,
                                          ddof=cfg.ddof, seed=cfg.seed + i)) for i, r in enumerate(REGIMES)]


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting, theory
    from lab.theory import pooled

    t = np.arange(cfg.generations + 1)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    colors = dict(zip(REGIMES, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for r in REGIMES:
        res, c = results[r], colors[r]
        plotting.band(axes[0], t, res["var"], label=r, color=c)
        plotting.band(axes[1], t, res["mean_sq"], label=r, color=c)
        plotting.band(axes[2], t, res["w2_sq"], label=r, color=c)
        if r != "AccumulateSubsample":
            mo = pooled.moments(make_regime(r, cfg.n), n=cfg.n, generations=cfg.generations, ddof=cfg.ddof)
            plotting.theory(axes[0], t, mo["cov"], color=c)
            plotting.theory(axes[1], t, mo["mean_sq"], color=c)
    plotting.theory(axes[2], t, theory.gaussian.w2_sq_mean(t, n=cfg.n, ddof=cfg.ddof), color=colors["Replace"],
                    label="Replace, exact E[W₂²]")
    axes[0].set(yscale="log", title="fitted variance σ²_t (truth 1)", xlabel="generation t")
    axes[1].set(yscale="log", title="mean drift (μ_t − μ)²", xlabel="generation t")
    axes[2].set(yscale="log", title="W₂²(model_t, truth)", xlabel="generation t")
    axes[0].legend(fontsize=8, loc="lower left")
    axes[2].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Gaussian collapse (n = {cfg.n}, MLE refit, {cfg.replicates} replicates): lines = mean, bands = 10–90 %,"
                 " dashed = exact theory (lab.theory.pooled; G1, G2, G5)", fontsize=10)
    fig.tight_layout()
    return fig
