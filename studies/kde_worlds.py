# ~175 lines: two worlds × three regimes of scatter snapshots need their own truth, trace and point-recording KDE.
"""KDE worlds: a Gaussian KDE (Scott's rule) refitted on its own samples, on a 2-D Gaussian mixture and on two moons.

Claim: a KDE loop does not collapse, it *spreads*. Under Replace the law's total variance V_t = tr Cov grows
geometrically, E[V_{t+1}] = ((M − 1)/M)(1 + M^{−1/3}) E[V_t] in 2-D (the lab's derivation, ``lab.theory.kde``, proved and
tested; dashed line), so the structure (modes, moons) dissolves into a blob; Accumulate (all data kept, weight on the
real rows never shrinks) keeps the shape nearly intact; AccumulateSubsample drifts slowly.
Setting: n samples per generation; the scatter panels show samples from one replicate's model at a few generations.
Verdict rule: SUPPORTED when Replace's simulated mean tr Cov_t lies within 5 standard errors of the exact E[V_t] at
every generation in both worlds (``lab.analysis.agreement``); the summary reports Accumulate's final tr Cov against the
truth's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "kde_worlds"
CLAIM = "KDE loops spread: Replace's variance grows geometrically (theory dashed) and the shape dissolves; Accumulate keeps it"
K = 5.0  # agreement tolerance in standard errors (the lab.analysis standard)

WORLDS = ("mixture", "moons")
REGIMES = ("Replace", "Accumulate", "AccumulateSubsample")
POINTS_CARRIED = 2e7  # most points (replicates × generations × rows) a cell keeps for its scatter in one run


@dataclass(frozen=True)
class Config:
    n: int = 200  # real samples at generation 0 (and synthetic per generation)
    generations: int = 20  # generations after generation 0
    replicates: int = 100  # independent runs per (world, regime) for the variance curves
    snapshots: tuple = (0, 5, 20)  # generations shown as scatter panels
    shown: int = 600  # samples drawn for each scatter panel
    seed: int = 0  # base seed; each cell folds in its own offset


PRESETS = {"quick": Config(), "full": Config(generations=40, replicates=1000, snapshots=(0, 5, 20, 40))}


def make_truth(world: str):
    import lab

    if world == "mixture":
        ang = np.arange(4) * np.pi / 2
        means = np.stack([3 * np.cos(ang), 3 * np.sin(ang)], 1)
        return lab.GaussianMixture([0.25] * 4, means.tolist(), [(0.3 * np.eye(2)).tolist()] * 4)
    return lab.two_moons(n=1000, noise=0.06, key=0)


def truth_trace(world: str) -> float:
    t = make_truth(world)
    if world == "mixture":
        mu = t.weights @ t.means
        r = t.means - mu
        return float(np.trace(np.einsum("k,kde->de", t.weights, t.covs) + np.einsum("k,kd,ke->de", t.weights, r, r)))
    return float(np.trace(np.cov(t.points.T, bias=True)))


def _regime(name):
    import lab

    return {"Replace": lab.Replace(), "Accumulate": lab.Accumulate(), "AccumulateSubsample": lab.AccumulateSubsample()}[name]


def _kde_with_points():
    """lab.KDE whose Dataset variables also carry the points and weights (``lab.simulate`` records only a family's
    variables, and lab.KDE's are the law's mean, cov and bandwidth), so a scatter can be drawn from the fitted law."""
    import lab

    class KDEPoints(lab.KDE):
        def variables(self, params):
            out = super().variables(params)
            out["points"] = (np.asarray(params.points), ("row", "dim"))
            out["weights"] = (np.asarray(params.weights), ("row",))
            return out

    return KDEPoints


def simulate_world(world: str, regime: str, n: int, generations: int, replicates: int, snapshots: list, shown: int,
                   seed: int) -> dict:
    """Variance trace over replicates, and samples from replicate 0's KDE at the snapshot generations."""
    import lab
    from lab.analysis import summarize

    truth, reg = make_truth(world), _regime(regime)
    # the scatter's points come from replicate 0; keeping every replicate's points (rows grow to n·(generations + 1)
    # under Accumulate) is cheap in quick and saves a second run, which in full would hold gigabytes
    carry = replicates * (generations + 1) ** 2 * n <= POINTS_CARRIED
    ds = lab.simulate(truth, (_kde_with_points() if carry else lab.KDE)("scott"), reg, n=n, generations=generations,
                      replicates=replicates, key=seed, metrics=[])
    V = np.trace(ds["cov"].values, axis1=-2, axis2=-1)
    one = ds if carry else lab.simulate(truth, _kde_with_points()("scott"), reg, n=n, generations=generations,
                                        replicates=1, key=seed, metrics=[])  # same key: replicate 0 of the run above
    rng = np.random.default_rng(seed)
    samples = {}
    for g in snapshots:
        pts, w, h = (one[v].values[0, g] for v in ("points", "weights", "bandwidth"))
        i = rng.choice(len(w), size=shown, p=w / w.sum())
        samples[g] = pts[i] + h * rng.standard_normal((shown, pts.shape[1]))
    return {"var": summarize(V), "samples": samples}


def cells(cfg: Config):
    from lab.study import Cell

    out = []
    for i, w in enumerate(WORLDS):
        for j, r in enumerate(REGIMES):
            out.append(Cell(f"{w}_{r}", simulate_world, dict(world=w, regime=r, n=cfg.n, generations=cfg.generations,
                                                             replicates=cfg.replicates, snapshots=list(cfg.snapshots),
                                                             shown=cfg.shown, seed=cfg.seed + 10 * i + j)))
    return out


def replace_theory(world: str, cfg: Config):
    """Exact E[V_t] of the Replace loop at generations 0 … G (``lab.theory.kde``): (generation,)."""
    from lab.theory import kde as tk

    var0 = tk.kde_initial_variance(trace_sigma=truth_trace(world), n=cfg.n, d=2, rule="scott")
    return tk.kde_variance_mean_scott(np.arange(cfg.generations + 1), M=cfg.n, var0=var0, d=2)


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement

    z = {w: agreement(results[f"{w}_Replace"]["var"]["mean"], results[f"{w}_Replace"]["var"]["se"],
                      replace_theory(w, cfg), k=K) for w in WORLDS}
    ratio = {f"{w}_{r}": float(results[f"{w}_{r}"]["var"]["mean"][-1] / truth_trace(w)) for w in WORLDS
             for r in REGIMES}
    v = Verdict.of(all(a.ok for a in z.values()), f"Replace's tr Cov within {K:g} SE of the exact E[V_t]",
                   **{f"worst_z_{w}": z[w].worst for w in WORLDS})
    return {"verdict": v, "final_var_over_truth": ratio, "headline": (
        f"At t = {cfg.generations} tr Cov / truth is {ratio['mixture_Replace']:.1f} (mixture) and "
        f"{ratio['moons_Replace']:.1f} (moons) under Replace, {ratio['mixture_Accumulate']:.2f} and "
        f"{ratio['moons_Accumulate']:.2f} under Accumulate; Replace's worst |z| against theory "
        f"{max(a.worst for a in z.values()):.1f} ({cfg.replicates} replicates).")}


def plot(results: dict, cfg: Config):
    import jax
    import matplotlib.pyplot as plt

    from lab.analysis.plots import band, overlay
    from lab.theory import kde as tk

    ns = len(cfg.snapshots)
    fig, axes = plt.subplots(2 * len(REGIMES), ns + 1, figsize=(2.6 * (ns + 1) + 1.0, 2.4 * 2 * len(REGIMES)))
    colors = {"Replace": "C3", "Accumulate": "C0", "AccumulateSubsample": "C2"}
    t = np.arange(cfg.generations + 1)
    for wi, world in enumerate(WORLDS):
        real = np.asarray(make_truth(world).sample(key=jax.random.key(1), n=cfg.shown))
        lim = np.array([real.min(0), real.max(0)]) + np.array([[-1.5], [1.5]])
        for ri, r in enumerate(REGIMES):
            row = wi * len(REGIMES) + ri
            res = results[f"{world}_{r}"]
            for si, g in enumerate(cfg.snapshots):
                ax = axes[row, si]
                ax.scatter(real[:, 0], real[:, 1], s=2, color="lightgray", label="truth")
                x = res["samples"][g]
                ax.scatter(x[:, 0], x[:, 1], s=2, color=colors[r], alpha=0.6, label="model samples")
                ax.set(xlim=lim[:, 0], ylim=lim[:, 1], xticks=[], yticks=[])
                ax.set_title(f"{world} · {r} · gen {g}", fontsize=8)
            ax = axes[row, ns]
            for rr in REGIMES:
                band(ax, t, results[f"{world}_{rr}"]["var"], label=rr, color=colors[rr],
                              alpha=0.25 if rr == r else 0.06)
            overlay(ax, t, replace_theory(world, cfg), color="k", label="Replace theory")
            ax.axhline(truth_trace(world), color="gray", ls=":", lw=1, label="truth tr Cov")
            ax.set(yscale="log", xlabel="generation t")
            ax.set_title(f"{world}: tr Cov_t (KDE law)", fontsize=9)
            if ri == 0:
                ax.legend(fontsize=8, loc="upper left", handlelength=1.5)
    a = tk.kde_variance_factor_scott(cfg.n, d=2)
    fig.suptitle(f"KDE loops spread (Scott's rule, n = {cfg.n}); grey = truth, colour = replicate 0's samples; right: "
                 f"mean, 10–90 % band over {cfg.replicates} replicates\nrule: Replace within {K:g} SE of exact "
                 f"E[V_t] = a^t E[V_0], a = {a:.3f} → {summary(results, cfg)['verdict'].status}", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig
