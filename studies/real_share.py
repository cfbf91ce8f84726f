"""How much real data must each generation hold? E[TV(p_i, p*)] over the plane (total size N, real share ρ = n/N).

Claim tested (Fu et al., ICML 2024, "Towards Theoretical Understandings of Self-Consuming Generative Models", F1):
fully synthetic training is controlled only if the real share is Ω((i−1)/i) at generation i. The lab's answer for the
Gaussian refit: E[TV_i] falls with N at every share, with nothing special at ρ = (i−1)/i.

Reference: ``lab.theory.mixed_cov`` — the mean's error follows b_i = (N + m² b_{i−1})/N², which converges geometrically
(ratio (1 − ρ)²) to 1/(Nρ(2 − ρ)) at every ρ > 0; E[TV] ≈ ∝ √b_i falls like N^{−½} at every share, and its RIGOROUS
bound U_i (``mixed_cov.tv_bound``: exact mean part plus a Devroye–Mehrabian–Reddad covariance part from exact second
moments) gives the contours. With one fixed real set (``lab.Augment``; ``lab.theory.mixed_fixed``) both terms of
b_i = 1/n + B_i also fall like 1/N at a fixed share, so no second plane is drawn.

Setting: truth N(0, 1); generation 0 fits n real points; every later generation n fresh real points plus m = N − n
samples of the previous fit (``lab.Fresh(real=n, synthetic=m)``), Gaussian refit (``lab.GaussianFit(ddof)``); exact 1-D
TV per replicate, averaged, at generations i = 2 and 5.

Method: the quick preset uses ``lab.gaussian_shortcut.fresh_shortcut`` (exact in distribution, from sufficient
statistics; one compilation for the whole grid); the full preset uses ``lab.simulate`` itself (one compiled loop per
cell). ``tests/test_mixed_cov_theory.py`` checks the shortcut against the exact moments and against ``lab.simulate``.

Verdict rule (5 SE, the family's standard): SUPPORTED when at every share ρ < (i−1)/i (i the last generation shown)
E[TV_i] falls from the smallest to the largest N by more than 5 standard errors (independent cells: SE = √(se₁² +
se₂²)): size alone controls the error and F1's threshold is not needed in this family. The slope of log E[TV_i] on
log N at the smallest share (−½: controlled at the parametric rate) and the bound's ratio to the simulation are
reported beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.gaussian_shortcut import fresh_shortcut, split

NAME = "real_share"
CLAIM = ("F1: a real share Ω((i−1)/i) is needed at generation i; the lab's Gaussian loop with fresh real data (and, by "
         "lab.theory.mixed_fixed, with one fixed real set): E[TV_i] falls with N at every share, with no change at "
         "ρ = (i−1)/i; the bound's contours follow the simulated iso-TV curves")
K = 5.0  # the rule's margin in standard errors


@dataclass(frozen=True)
class Config:
    totals: tuple = (20, 35, 60, 100, 180, 320, 560, 1000)  # total training-set sizes N = n + m (log axis)
    shares: tuple = (0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1.0)  # real shares ρ = n/N (n = max(2, round(ρN)))
    generations: tuple = (2, 5)  # generations i shown (one heat-map panel each); runs go to max(generations)
    replicates: int = 4000  # replicates per (N, ρ) cell
    engine: str = "shortcut"  # "shortcut" (exact sufficient statistics) or "simulate" (lab.simulate)
    ddof: int = 1  # Gaussian refit: unbiased variance (the bound uses the same ddof)
    seed: int = 61  # base seed; cell k adds k


PRESETS = {"quick": Config(),
           "full": Config(totals=(20, 28, 40, 56, 80, 113, 160, 226, 320, 452, 640, 905, 1280),
                          shares=(0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
                          replicates=8000, engine="simulate")}  # 169 compiled loops


def cell_run(N: int, rho: float, generations: int, replicates: int, engine: str, ddof: int, seed: int) -> dict:
    """E[TV(p_t, p*)] and its s.e. per generation t for one (N, ρ); exact 1-D TV per replicate."""
    import jax
    import jax.numpy as jnp

    import lab
    from lab.metrics.gaussian_formulas import tv_1d

    n, m = split(N, rho)
    if engine == "shortcut":
        mu, s2 = fresh_shortcut(key=lab.keys.as_key(seed), n=n, m=m, generations=generations, replicates=replicates,
                                ddof=ddof)
        tv = np.asarray(jax.vmap(jax.vmap(lambda a, b: tv_1d(a, jnp.sqrt(b), 0.0, 1.0)))(mu, s2))
    elif engine == "simulate":
        ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof), lab.Fresh(real=n, synthetic=m),
                          n=n, generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.TV()])
        tv = ds["tv"].values
    else:
        raise ValueError(f"engine must be 'shortcut' or 'simulate', got {engine!r}")
    return {"n": n, "m": m, "mean": tv.mean(0), "se": tv.std(0, ddof=1) / np.sqrt(tv.shape[0])}


def cells(cfg: Config):
    from lab.study import Cell

    g = max(cfg.generations)
    return [Cell(f"N{N}-rho{rho:g}", cell_run, dict(N=N, rho=rho, generations=g, replicates=cfg.replicates,
                                                    engine=cfg.engine, ddof=cfg.ddof, seed=cfg.seed + k))
            for k, (N, rho) in enumerate((N, rho) for N in cfg.totals for rho in cfg.shares)]


def _grid(results, cfg, i, what="mean"):
    """(shares, totals) array of the simulated E[TV_i] (or its s.e.)."""
    return np.array([[results[f"N{N}-rho{rho:g}"][what][i] for N in cfg.totals] for rho in cfg.shares])


def _bound(totals, shares, i, ddof):
    """(shares, totals) array of the rigorous bound U_i."""
    from lab.theory import mixed_cov

    return np.array([[mixed_cov.tv_bound(n=split(N, r)[0], m=split(N, r)[1], i=i, ddof=ddof) for N in totals]
                     for r in shares])


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, slope_fit

    i = max(cfg.generations)
    mean, se = _grid(results, cfg, i), _grid(results, cfg, i, "se")
    below = [k for k, rho in enumerate(cfg.shares) if rho < (i - 1) / i]
    drop = {cfg.shares[k]: float((mean[k, 0] - mean[k, -1]) / np.hypot(se[k, 0], se[k, -1])) for k in below}
    slope = slope_fit(np.log(cfg.totals), np.log(mean[0]))
    ratio = _bound(cfg.totals, cfg.shares, i, cfg.ddof) / mean
    v = Verdict.of(min(drop.values()) > K, f"every share ρ < (i−1)/i: E[TV_{i}] falls from N = {cfg.totals[0]} to "
                   f"{cfg.totals[-1]} by > {K:g} SE", min_drop_se=min(drop.values()), slope=slope.slope)
    head = (f"At i = {i}, E[TV] falls from N = {cfg.totals[0]} to {cfg.totals[-1]} by ≥ {int(min(drop.values()))} SE "
            f"at every share below (i−1)/i = {(i - 1) / i:.2f}; log E[TV] on log N at ρ = {cfg.shares[0]:g} has slope "
            f"{slope.slope:.2f} (−½: the parametric rate); the bound is {ratio.min():.1f}–{ratio.max():.1f}× the "
            "simulation.")
    return {"verdict": v, "headline": head, "drop_se_by_share": drop, "slope": slope.to_dict(),
            "bound_ratio": [float(ratio.min()), float(ratio.max())]}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    from matplotlib.lines import Line2D

    totals, shares = np.asarray(cfg.totals, float), np.asarray(cfg.shares, float)
    def edges(w):  # cell edges around the grid's points
        return np.concatenate([[1.5 * w[0] - 0.5 * w[1]], (w[1:] + w[:-1]) / 2, [1.5 * w[-1] - 0.5 * w[-2]]])

    xe, ye = np.exp(edges(np.log(totals))), edges(shares)
    sims = {i: _grid(results, cfg, i) for i in cfg.generations}
    norm = LogNorm(vmin=min(s.min() for s in sims.values()), vmax=max(s.max() for s in sims.values()))
    Nf = np.unique(np.geomspace(totals[0], totals[-1], 40).round()).astype(int)  # finer grid: smooth bound contours
    rf = np.linspace(max(shares[0], 2 / Nf[0]), 1.0, 36)
    fig, grid = plt.subplots(2, 2, figsize=(12.5, 10))  # 2 × 2: readable at the README's width; legend in the 4th
    axes = grid.flat
    for j, (ax, i) in enumerate(zip(axes, cfg.generations)):
        pm = ax.pcolormesh(xe, ye, sims[i], norm=norm, cmap="viridis", shading="flat")
        cs = ax.contour(Nf, rf, _bound(Nf, rf, i, cfg.ddof), levels=[0.05, 0.1, 0.2, 0.3, 0.5], colors="white",
                        linewidths=1.1)
        ax.clabel(cs, fmt=lambda v: f"U={v:g}", fontsize=8)
        cs = ax.contour(totals, shares, sims[i], levels=[0.03, 0.05, 0.1], colors="orange", linewidths=1.0,
                        linestyles="dotted")
        ax.clabel(cs, fmt=lambda v: f"{v:g}", fontsize=8)
        ax.axhline((i - 1) / i, color="red", lw=2, ls="--")
        ax.set(xscale="log", title=f"({'ab'[j]}) simulated E[TV(p_{i}, p*)], generation {i}",
               xlabel="total size per generation N = n + m", ylabel="real share ρ = n / N")
        fig.colorbar(pm, ax=ax, label=f"simulated E[TV] ({cfg.replicates} replicates)")
    ax, i = grid[1, 0], max(cfg.generations)
    ratio = _bound(cfg.totals, cfg.shares, i, cfg.ddof) / sims[i]
    pm = ax.pcolormesh(xe, ye, ratio, cmap="magma", shading="flat")
    for a, N in enumerate(cfg.totals):
        for b, rho in enumerate(cfg.shares):
            ax.text(N, rho, f"{ratio[b, a]:.1f}", ha="center", va="center", fontsize=8,
                    color="white" if pm.norm(ratio[b, a]) < 0.6 else "black")
    fig.colorbar(pm, ax=ax, label="bound U_i / simulated E[TV]")
    ax.set(xscale="log", title=f"(c) tightness at i = {i}: U_{i} / E[TV] (1: vacuous)",
           xlabel="total size per generation N = n + m", ylabel="real share ρ = n / N")
    handles = [Line2D([], [], color="red", lw=2, ls="--", label="F1's threshold ρ = (i−1)/i"),
               Line2D([], [], color="white", lw=1.1, label="lab's rigorous bound U_i (mixed_cov.tv_bound)"),
               Line2D([], [], color="orange", ls=":", label="simulated iso-E[TV]")]
    grid[1, 1].axis("off")
    grid[1, 1].legend(handles=handles, loc="center", fontsize=10, facecolor="0.55", title="lines in (a), (b)")
    v = summary(results, cfg)["verdict"]
    fig.suptitle(f"Real share needed under Fresh(n, m), 1-D Gaussian refit (engine: {cfg.engine}): {v.status}\n"
                 f"rule: {v.rule}", fontsize=11)
    fig.tight_layout()
    return fig
