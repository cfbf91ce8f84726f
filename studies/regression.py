"""The regression world of THEORY G5: OLS refitted on labels made by the previous model plus fresh noise.

Claim: under Replace the excess test error E‖ŵ_t − w*‖² grows linearly, σ²d/(T − d − 1)·(t + 1); under Accumulate
(real rows kept, T synthetic rows added per generation) it stays bounded (Gerstgrasser et al. 2024, Thm 1; THEORY G5).
The papers' curve σ²d/(T − d − 1)·Σ_{i≤t+1} 1/i² is exact for ONE design shared by every generation; the lab draws fresh
inputs each generation, where the exact curve is σ²d Σ_{i≤t+1} 1/(i(iT − d − 1)) (the lab's derivation,
``lab.theory.regression.accumulate_excess_risk``), lower than Σ 1/i², so the π²/6 ceiling is an upper bound there, not
the limit. AccumulateSubsample (pool subsampled back to T rows) is shown by simulation only.
Setting: w* = linspace(1, −1, d), Gaussian inputs, label noise σ; R replicates per regime.
Verdict rule: SUPPORTED when the simulated mean excess risk of Replace and of Accumulate lies within 5 standard errors
of its exact curve at every generation (``lab.analysis.agreement``). The summary also reports how far the fixed-design
form lies from the simulation, in the same standard errors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "regression"
CLAIM = ("OLS loop: Replace error grows linearly in t; Accumulate stays bounded, on the exact fresh-input curve "
         "σ²dΣ1/(i(iT−d−1)), below the fixed-design Σ1/i² and its π²/6 ceiling (G5)")
K = 5.0  # agreement tolerance in standard errors (the lab.analysis standard)


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
COLORS = {"Replace": "C3", "Accumulate": "C0", "AccumulateSubsample": "C2"}


def simulate_regime(regime: str, T: int, d: int, sigma: float, generations: int, replicates: int, seed: int) -> dict:
    """Excess risk ‖ŵ_t − w*‖² per replicate and generation, summarised (``lab.analysis.summarize``)."""
    import lab
    from lab.analysis import summarize

    reg = {"Replace": lab.Replace(), "Accumulate": lab.Accumulate(), "AccumulateSubsample": lab.AccumulateSubsample()}
    truth = lab.LinearModel(np.linspace(1.0, -1.0, d), sigma)
    ds = lab.simulate(truth, lab.LinearRegressionFit(noise=sigma), reg[regime], n=T, generations=generations,
                      replicates=replicates, key=seed, metrics=[lab.metrics.regression.ExcessRisk()])
    return summarize(ds["excess_risk"].values)


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell(r, simulate_regime, dict(regime=r, T=cfg.T, d=cfg.d, sigma=cfg.sigma, generations=cfg.generations,
                                          replicates=cfg.replicates, seed=cfg.seed + i)) for i, r in enumerate(REGIMES)]


def curves(cfg: Config) -> dict:
    """The closed forms at generations 0 … G: (generation,) arrays."""
    from lab.theory import regression as tr

    t, kw = np.arange(cfg.generations + 1), dict(sigma=cfg.sigma, d=cfg.d, T=cfg.T)
    return {"Replace": tr.replace_excess_risk(t, **kw), "Accumulate": tr.accumulate_excess_risk(t, **kw),
            "fixed": tr.accumulate_excess_risk_fixed_design(t, **kw), "ceiling": tr.accumulate_ceiling(**kw)}


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement

    c = curves(cfg)
    z = {r: agreement(results[r]["mean"], results[r]["se"], c[r], k=K) for r in ("Replace", "Accumulate")}
    fixed = agreement(results["Accumulate"]["mean"], results["Accumulate"]["se"], c["fixed"], k=K).worst
    v = Verdict.of(all(a.ok for a in z.values()), f"Replace and Accumulate within {K:g} SE of their exact curves",
                   worst_z_replace=z["Replace"].worst, worst_z_accumulate=z["Accumulate"].worst)
    final = {r: float(results[r]["mean"][-1]) for r in REGIMES}
    return {"verdict": v, "final": final, "worst_z_fixed_design": fixed, "headline": (
        f"At t = {cfg.generations} the excess risk is {final['Replace']:.2f} under Replace (exact "
        f"{c['Replace'][-1]:.2f}) and {final['Accumulate']:.3f} under Accumulate (exact fresh-input "
        f"{c['Accumulate'][-1]:.3f}, π²/6 ceiling {c['ceiling']:.3f}); worst |z| {z['Replace'].worst:.1f} and "
        f"{z['Accumulate'].worst:.1f}; the fixed-design form lies within {fixed:.1f} SE at this preset.")}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab.analysis.plots import band, legend_below, overlay

    t, c = np.arange(cfg.generations + 1), curves(cfg)
    unit = cfg.sigma**2 * cfg.d / (cfg.T - cfg.d - 1)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, zoom in zip(axes, (False, True)):
        for r in (("Accumulate",) if zoom else REGIMES):
            res = results[r]
            if zoom:  # no 10–90 % band here: it spans the whole zoom
                ax.plot(t, res["mean"], color=COLORS[r], lw=1.4, label=f"{r} (simulation mean)")
            else:
                band(ax, t, res, label=f"{r} (simulation)", color=COLORS[r])
            ax.errorbar(t, res["mean"], yerr=2 * res["se"], fmt="none", color=COLORS[r], lw=0.8, capsize=1.5)
        if not zoom:
            overlay(ax, t, c["Replace"], color="k", label="Replace exact: unit·(t + 1)")
        overlay(ax, t, c["Accumulate"], color="navy", label="Accumulate exact (fresh inputs): σ²dΣ 1/(i(iT−d−1))")
        ax.plot(t, c["fixed"], ":", color="navy", lw=1.2, label="fixed-design form unit·Σ 1/i² (not this setting)")
        ax.axhline(c["ceiling"], color="gray", ls="-.", lw=1.0, label="(π²/6)·unit: upper bound, not the limit")
        ax.set(xlabel="generation t", ylabel="excess test error ‖ŵ_t − w*‖²")
    axes[0].set_title("Replace grows linearly; Accumulate stays bounded")
    axes[1].set(title="zoom: Accumulate (± 2 SE) against the curves", ylim=(0.9 * unit, 1.1 * c["ceiling"]))
    h, lab_ = axes[0].get_legend_handles_labels()
    legend_below(fig, h, lab_, ncol=2, fontsize=9)
    fig.suptitle(f"Linear regression loop (G5): T = {cfg.T}, d = {cfg.d}, σ = {cfg.sigma}, unit = σ²d/(T − d − 1) = "
                 f"{unit:.3f}, {cfg.replicates} replicates\nrule: Replace and Accumulate within {K:g} SE of exact "
                 f"curves → {summary(results, cfg)['verdict'].status}", fontsize=10)
    fig.tight_layout()
    return fig
