"""The regression world of THEORY G5: OLS refitted on labels made by the previous model plus fresh noise.

Claim: under Replace the excess test error E‖ŵ_t − w*‖² grows linearly, σ²d/(T − d − 1)·(t + 1); under Accumulate
(real rows kept, T synthetic rows added per generation) it stays bounded (Gerstgrasser et al. 2024, THEORY G5). The
papers' curve σ²d/(T − d − 1)·Σ_{i≤t+1} 1/i² is exact for ONE design shared by every generation; the lab draws fresh
inputs each generation, where the exact curve is σ²d Σ_{i≤t+1} 1/(i(iT − d − 1)) (the lab's derivation,
``lab.theory.regression.accumulate_excess_risk``), lower than Σ 1/i², so the π²/6 ceiling is an upper bound there, not
the limit. The dashed Accumulate line is the exact fresh-input curve; the dotted one is the fixed-design form, drawn for
comparison. AccumulateSubsample (pool subsampled back to T rows) is shown by simulation only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "regression"
CLAIM = ("OLS loop: Replace error grows linearly in t; Accumulate stays bounded, on the exact fresh-input curve "
         "σ²dΣ1/(i(iT−d−1)), below the fixed-design Σ1/i² and its π²/6 ceiling (G5)")


@dataclass(frozen=True)
class Config:
    T: int = 40  # rows per generation (real at generation 0, synthetic after)
    d: int = 4  # input dimension
    sigma: float = 1.0  # label noise σ (the generator relabels with this σ, the papers' setting)
    generations: int = 30  # generations after generation 0
    replicates: int = 2000  # independent runs per regime
    seed: int = 0  # base seed; each regime folds in its own index


PRESETS = {"quick": Config(), "full": Config(generations=100, replicates=20000)}
REGIMES = ("Replace", "Accumulate", "AccumulateSubsample")


def simulate_regime(regime: str, T: int, d: int, sigma: float, generations: int, replicates: int, seed: int) -> dict:
    """Excess risk ‖ŵ_t − w*‖² per replicate and generation, summarised."""
    import lab
    from lab.plotting import summarize

    reg = {"Replace": lab.Replace(), "Accumulate": lab.Accumulate(), "AccumulateSubsample": lab.AccumulateSubsample()}
    truth = lab.LinearModel(np.linspace(1.0, -1.0, d), sigma)
    ds = lab.simulate(truth, lab.LinearRegressionFit(noise=sigma), reg[regime], n=T, generations=generations,
                      replicates=replicates, key=seed, metrics=[lab.metrics.regression.ExcessRisk()])
    return summarize(ds["excess_risk"].values)


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell(r, simulate_regime, dict(regime=r, T=cfg.T, d=cfg.d, sigma=cfg.sigma, generations=cfg.generations,
                                          replicates=cfg.replicates, seed=cfg.seed + i)) for i, r in enumerate(REGIMES)]


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting
    from lab.theory import regression as tr

    t = np.arange(cfg.generations + 1)
    kw = dict(sigma=cfg.sigma, d=cfg.d, T=cfg.T)
    unit = cfg.sigma**2 * cfg.d / (cfg.T - cfg.d - 1)
    ceiling = tr.accumulate_ceiling(**kw)
    colors = {"Replace": "C3", "Accumulate": "C0", "AccumulateSubsample": "C2"}
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    for ax, zoom in zip(axes, (False, True)):
        for r in REGIMES:
            if zoom and r != "Accumulate":
                continue
            res = results[r]
            if zoom:  # no 10–90 % band here: it spans the whole zoom
                ax.plot(t, res["mean"], color=colors[r], lw=1.4, label=f"{r} (simulation mean)")
            else:
                plotting.band(ax, t, res, label=f"{r} (simulation)", color=colors[r])
            ax.errorbar(t, res["mean"], yerr=2 * res["se"], fmt="none", color=colors[r], lw=0.8, capsize=1.5)
        if not zoom:
            plotting.theory(ax, t, tr.replace_excess_risk(t, **kw), color="k", label="Replace exact: unit·(t + 1)")
        plotting.theory(ax, t, tr.accumulate_excess_risk(t, **kw), color="navy",
                        label="Accumulate exact (fresh inputs): σ²dΣ_{i≤t+1} 1/(i(iT−d−1))")
        ax.plot(t, tr.accumulate_excess_risk_fixed_design(t, **kw), ":", color="navy", lw=1.2,
                label="fixed-design form: unit·Σ_{i≤t+1} 1/i² (not this setting)")
        ax.axhline(ceiling, color="gray", ls="-.", lw=1.0, label="(π²/6)·unit: upper bound, not the limit")
        ax.set(xlabel="generation t", ylabel="excess test error ‖ŵ_t − w*‖²")
        ax.legend(fontsize=8, loc="upper left")
    axes[0].set_title("Replace grows linearly; Accumulate stays bounded")
    axes[1].set(title="zoom: Accumulate (± 2 SE) against the exact and the fixed-design curves",
                ylim=(0.9 * unit, 1.1 * ceiling))
    fig.suptitle(f"Linear regression loop (G5): T = {cfg.T} rows/generation, d = {cfg.d}, σ = {cfg.sigma}, "
                 f"unit = σ²d/(T − d − 1) = {unit:.3f}, {cfg.replicates} replicates; lines = mean, bands = 10–90 %, "
                 "dashed = theory", fontsize=10)
    fig.tight_layout()
    return fig
