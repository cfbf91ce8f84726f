"""MLE vs unbiased refit in the replace loop: decay vs martingale, both collapsing almost surely.

Claim: with the MLE, E[σ²_t] = ((M−1)/M)^{t+1} decays (THEORY G1); with the unbiased estimator E[σ²_t] = 1 for all t (a
martingale, G2); yet for both E[log σ²_t] falls linearly, so σ²_t → 0 almost surely and the median collapses. The mean
is a random walk: with the unbiased refit E[W₂²] grows without bound, ∝ t/M (Shumailov et al., Nature 2024, Thm 3.1);
with the MLE it tends to 2σ².
Setting: truth N(0, 1), Replace, M samples per generation, refit with ddof = 0 (MLE) or 1 (unbiased).
Theory: ``lab.theory.gaussian`` (variance_mean, log_variance_mean, w2_sq_mean), exact for every t.
Verdict rule: SUPPORTED when the simulated E[log σ²_t] and E[W₂²_t] of both estimators lie within 5 standard errors of
their exact values at every generation (``lab.analysis.agreement``). E[σ²_t] itself is drawn but not tested: σ²_t is
heavy-tailed at large t, its expectation is carried by rare replicates, so a finite-sample mean falls below it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "estimator_choice"
CLAIM = "MLE decays, unbiased is a martingale; both collapse a.s. (E log σ² falls linearly); unbiased E[W₂²] → ∞"
K = 5.0  # agreement tolerance in standard errors (the lab.analysis standard)
ESTIMATORS = ((0, "MLE (ddof=0)", "C0"), (1, "unbiased (ddof=1)", "C3"))  # (ddof, label, colour)


@dataclass(frozen=True)
class Config:
    m: int = 20  # samples per generation (M = n)
    generations: int = 200  # generations after generation 0
    replicates: int = 2000  # independent runs per estimator
    seed: int = 10  # base seed; ddof is added to it


PRESETS = {"quick": Config(), "full": Config(generations=1000, replicates=20000)}


def simulate_estimator(ddof: int, m: int, generations: int, replicates: int, seed: int) -> dict:
    """Per-generation summaries of σ²_t, log σ²_t and W₂², and the share of replicates with σ²_t < 1e-3."""
    import lab
    from lab.analysis import summarize

    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof), lab.Replace(), n=m,
                      generations=generations, replicates=replicates, key=seed + ddof, metrics=[lab.metrics.W2()])
    var = ds["cov"].values[..., 0, 0]
    return {"var": summarize(var), "log_var": summarize(np.log(var)), "w2_sq": summarize(ds["w2"].values ** 2),
            "below_1e-3": (var < 1e-3).mean(0)}


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell(f"ddof{d}", simulate_estimator, dict(ddof=d, m=cfg.m, generations=cfg.generations,
                                                      replicates=cfg.replicates, seed=cfg.seed)) for d in (0, 1)]


def exact(t, cfg: Config, ddof: int) -> dict:
    """The closed forms of ``lab.theory.gaussian`` at generations t: (generation,) arrays by quantity."""
    from lab.theory import gaussian as G

    kw = dict(n=cfg.m, ddof=ddof)
    return {"var": G.variance_mean(t, **kw), "log_var": G.log_variance_mean(t, **kw), "w2_sq": G.w2_sq_mean(t, **kw)}


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement, slope_fit

    t = np.arange(cfg.generations + 1)
    z, out = {}, {}
    for d, label, _ in ESTIMATORS:
        res, th = results[f"ddof{d}"], exact(t, cfg, d)
        for q in ("log_var", "w2_sq"):
            z[f"ddof{d} {q}"] = agreement(res[q]["mean"], res[q]["se"], th[q], k=K)
        out[f"ddof{d}"] = {"log_var_slope": slope_fit(t, res["log_var"]["mean"]).slope,
                           "median_var_final": float(res["var"]["median"][-1]),
                           "below_1e-3_final": float(res["below_1e-3"][-1])}
    worst = max(z, key=lambda c: z[c].worst)
    v = Verdict.of(all(a.ok for a in z.values()), f"E[log σ²] and E[W₂²] within {K:g} SE of theory at every generation",
                   worst_z=z[worst].worst, worst_curve=worst)
    m, u = out["ddof0"], out["ddof1"]
    return {"verdict": v, **out, "headline": (
        f"E[log σ²_t] falls by {-m['log_var_slope']:.3f} (MLE) and {-u['log_var_slope']:.3f} (unbiased) per generation; "
        f"at t = {cfg.generations} σ²_t < 1e-3 in {m['below_1e-3_final']:.0%} (MLE) and {u['below_1e-3_final']:.0%} "
        f"(unbiased) of {cfg.replicates} replicates; worst |z| against theory {z[worst].worst:.1f}.")}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab.analysis.plots import band, legend_below, overlay

    t = np.arange(cfg.generations + 1)
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.0))
    for ddof, label, c in ESTIMATORS:
        res, th = results[f"ddof{ddof}"], exact(t, cfg, ddof)
        for ax, q in zip(axes, ("var", "log_var", "w2_sq")):
            band(ax, t, res[q], label=label, color=c)
            overlay(ax, t, th[q], color=c)
        axes[0].plot(t, res["var"]["median"], color=c, lw=1, ls=":")
    axes[0].set(yscale="log", ylim=(1e-4, 10), xlabel="generation t",
                title="σ²_t: E decays (MLE) or stays 1;\nthe medians (dotted) collapse")
    axes[1].set(xlabel="generation t", title="E[log σ²_t] falls linearly\n⇒ σ²_t → 0 almost surely")
    axes[2].set(yscale="log", xlabel="generation t", title="E[W₂²]: unbiased grows ∝ t/M,\nMLE tends to 2")
    h, lab_ = axes[0].get_legend_handles_labels()
    h += [plt.Line2D([], [], ls="--", color="k"), plt.Line2D([], [], ls=":", color="k")]
    legend_below(fig, h, lab_ + ["exact theory (THEORY G1, G2)", "median"], ncol=4, fontsize=9)
    fig.suptitle(f"Estimator choice in the replace loop (M = {cfg.m}, {cfg.replicates} replicates): mean, 10–90 % band\n"
                 f"rule: E[log σ²], E[W₂²] within {K:g} SE of theory → {summary(results, cfg)['verdict'].status}",
                 fontsize=10)
    fig.tight_layout()
    return fig
