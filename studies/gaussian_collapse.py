"""Collapse and its prevention in the Gaussian world: five regimes, simulation bands with exact theory overlaid.

Claim: under Replace the fitted variance decays geometrically and the mean wanders (THEORY G1, G2: Shumailov et al.,
Nature 2024, Thm 3.1); Accumulate keeps the error bounded (G5: Gerstgrasser et al. 2024, Thm 1), AccumulateSubsample
degrades slowly, Augment and Fresh stay near the truth.
Setting: truth N(0, 1); each generation refits a Gaussian by maximum likelihood (ddof = 0) to n samples of the regime's
pool. Method: R independent replicates per regime; per generation the replicates' mean and its standard error.
Theory: the lab's exact moment recursions ``lab.theory.pooled.moments`` (E[σ²_t], E[(μ_t − μ)²]) and, for Replace,
E[W₂²] = ``lab.theory.gaussian.w2_sq_mean``; AccumulateSubsample has no closed form and is shown by simulation only.
Verdict rule: SUPPORTED when every simulated mean (variance and mean drift of the four regimes with a closed form, and
Replace's W₂²) lies within 5 standard errors of the exact value at every generation (``lab.analysis.agreement``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "gaussian_collapse"
CLAIM = "Replace collapses (variance → 0, mean drifts); Accumulate bounds the error; theory dashed over simulation"
K = 5.0  # agreement tolerance in standard errors (the lab.analysis standard)


@dataclass(frozen=True)
class Config:
    n: int = 100  # real samples at generation 0 (and synthetic per generation)
    generations: int = 100  # generations after generation 0
    replicates: int = 500  # independent runs per regime
    ddof: int = 0  # MLE refit (THEORY G1)
    seed: int = 0  # base seed; each regime folds in its own index


PRESETS = {"quick": Config(), "full": Config(generations=300, replicates=5000)}
REGIMES = ("Replace", "Accumulate", "AccumulateSubsample", "Augment", "Fresh")
EXACT = ("Replace", "Accumulate", "Augment", "Fresh")  # regimes with a closed form in lab.theory.pooled


def make_regime(name: str, n: int):
    import lab

    return {"Replace": lab.Replace(), "Accumulate": lab.Accumulate(), "AccumulateSubsample": lab.AccumulateSubsample(),
            "Augment": lab.Augment(synthetic=n), "Fresh": lab.Fresh(real=n // 2, synthetic=n // 2)}[name]


def simulate_regime(regime: str, n: int, generations: int, replicates: int, ddof: int, seed: int) -> dict:
    """Per-generation summaries (``lab.analysis.summarize``) of variance, squared mean error and W₂² of one regime."""
    import lab
    from lab.analysis import summarize

    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof), make_regime(regime, n), n=n,
                      generations=generations, replicates=replicates, key=seed,
                      metrics=[lab.metrics.W2(), lab.metrics.MeanError()])
    return {"var": summarize(ds["cov"].values[..., 0, 0]), "mean_sq": summarize(ds["mean_error"].values),
            "w2_sq": summarize(ds["w2"].values ** 2)}


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell(r, simulate_regime, dict(regime=r, n=cfg.n, generations=cfg.generations, replicates=cfg.replicates,
                                          ddof=cfg.ddof, seed=cfg.seed + i)) for i, r in enumerate(REGIMES)]


def exact(cfg: Config) -> dict:
    """{(regime, quantity): (generation,) closed form} for the curves the rule checks."""
    from lab.theory import gaussian, pooled

    out = {}
    for r in EXACT:
        mo = pooled.moments(make_regime(r, cfg.n), n=cfg.n, generations=cfg.generations, ddof=cfg.ddof)
        out[r, "var"], out[r, "mean_sq"] = np.ravel(mo["cov"]), np.ravel(mo["mean_sq"])
    out["Replace", "w2_sq"] = gaussian.w2_sq_mean(np.arange(cfg.generations + 1), n=cfg.n, ddof=cfg.ddof)
    return out


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement

    z = {f"{r} {q}": agreement(results[r][q]["mean"], results[r][q]["se"], th, k=K)
         for (r, q), th in exact(cfg).items()}
    worst = max(z, key=lambda c: z[c].worst)
    T = cfg.generations
    final = {r: float(results[r]["var"]["mean"][-1]) for r in REGIMES}
    v = Verdict.of(all(a.ok for a in z.values()), f"simulation within {K:g} SE of the exact moments at every generation",
                   worst_z=z[worst].worst, worst_curve=worst, curves=len(z))
    return {"verdict": v, "final_variance": final, "worst_z": z[worst].worst,
            "headline": f"At generation {T} Replace's mean fitted variance is {final['Replace']:.3f} (truth 1), "
                        f"Accumulate's {final['Accumulate']:.3f}; all {len(z)} exact curves agree with the simulation "
                        f"(worst |z| = {z[worst].worst:.1f}, {worst}, {cfg.replicates} replicates)."}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab.analysis.plots import band, legend_below, overlay
    from lab.study import rounded

    t = np.arange(cfg.generations + 1)
    th = rounded(exact(cfg))  # as the results are (lab.study.run): last-bit differences between machines move no pixel
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.0))
    colors = dict(zip(REGIMES, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for ax, q in zip(axes, ("var", "mean_sq", "w2_sq")):
        for r in REGIMES:
            band(ax, t, results[r][q], label=r, color=colors[r])
            if (r, q) in th:
                overlay(ax, t, th[r, q], color=colors[r])
    axes[0].set(yscale="log", title="fitted variance σ²_t (truth 1)", xlabel="generation t")
    axes[1].set(yscale="log", title="mean drift (μ_t − μ)²", xlabel="generation t")
    axes[2].set(yscale="log", title="W₂²(model_t, truth); dashed: Replace", xlabel="generation t")
    h, lab_ = axes[0].get_legend_handles_labels()
    h.append(plt.Line2D([], [], ls="--", color="k"))
    lab_.append("exact theory")
    legend_below(fig, h, lab_, ncol=6, fontsize=9)
    fig.suptitle(f"Gaussian collapse (n = {cfg.n}, MLE refit, {cfg.replicates} replicates): mean, 10–90 % band, dashed "
                 f"= exact theory\nrule: simulation within {K:g} SE of theory at every generation → "
                 f"{summary(results, cfg)['verdict'].status}", fontsize=10)
    fig.tight_layout()
    return fig
