"""How much real data must each generation hold? E[TV(p_i, p*)] over the plane (total size N, real share ρ = n/N)
(issue 4, item 4; THEORY F1; ``lab.theory.mixed_cov``).

Setting tested: FRESH real data. 1-D truth N(0, 1); generation 0 fits n real points; every later generation trains on
n fresh real points plus m = N − n synthetic points from the previous model (``lab.Fresh(real=n, synthetic=m)``), Gaussian refit
(``lab.GaussianFit(ddof)``). Distance: the exact 1-D TV (``lab.metrics.gaussian_formulas.tv_1d``) per replicate,
averaged over replicates, at generations i = 2 and 5.

Claim tested (F1, Fu et al. 2024): fully synthetic training is controlled only if the real share is Ω((i−1)/i) at
generation i. The lab's check: below the curve ρ = (i−1)/i, does E[TV_i] still fall as the total size N grows (i.e. is
the error controlled)? Contours: the lab's RIGOROUS bound U_i on the full E[TV] (``mixed_cov.tv_bound``: exact mean part
plus Devroye–Mehrabian–Reddad covariance part with exact second moments), and panel (c) its ratio to the simulation.

Why no threshold (lab.theory.mixed, mixed_cov): the mean's error b_i and, to leading order, the covariance's follow
b_i = (N + m² b_{i−1})/N², which converges geometrically (ratio (1 − ρ)²) to 1/(Nρ(2 − ρ)) at every ρ > 0; E[TV] is
≈ ∝ √b_i, so it falls like N^{−½} at every share and iso-TV curves bend smoothly (Nρ(2 − ρ) ≈ const at large i).

With ONE fixed real set instead (``lab.Augment(synthetic=m)``, F1's own setting; ``lab.theory.mixed_fixed``) the answer
is the same, so no second plane is drawn: the mean error is b_i = 1/n + B_i with 0 < B_i ≤ A_max·min(i/m,
m/(n(n + 2m))) (A_max = λ max_t a_t ≈ 1), and at a fixed share ρ both terms fall like 1/N as N grows; the covariance part
follows the same pattern. Only the level differs: a fixed real set never beats the real-only fit on its n points.
(Checked by simulation at shares 0.1, 0.35 and 0.65 when this note was written; the run is not part of this study.)

What a run shows (its numbers are in the figure's verdict line): at every share below (i − 1)/i, E[TV_i] falls with
N by many standard errors, at the smallest share log E[TV_i] falls with slope near −½ in log N (the rate of a
controlled estimate), and nothing changes at ρ = (i − 1)/i: F1's threshold is NOT supported for the Gaussian family.
The bound's contours run parallel to the simulated iso-TV curves (panel (c) gives the ratio).

Engine. Each (N, ρ) needs its own compiled ``lab.simulate`` loop (≈ 4 s each on the shared 2 cores), so the quick preset
uses the EXACT sufficient-statistic shortcut ``fresh_shortcut`` (Cochran: given the past, the real block's mean and
scatter, N(0, 1/n) and χ²_{n−1}, and the synthetic block's, N(μ, σ²/m) and σ²χ²_{m−1}, are independent, and the pooled
fit is a function of them; the derivation in lab.theory.mixed_cov). It is equal in distribution to ``lab.simulate``
(not bit-equal); tests/test_mixed_cov_theory.py checks its moments against the exact recursion and its E[TV] against
``lab.simulate``. The full preset uses ``lab.simulate`` itself (169 compiled loops; not run in the session that wrote
this study). Quick preset: 40–70 s wall on the shared 2 cores (≈ 17 s of CPU).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

NAME = "real_share"
CLAIM = ("F1: a real share Ω((i−1)/i) is needed at generation i; the lab's Gaussian loop with fresh real data (and, by "
         "lab.theory.mixed_fixed, with one fixed real set): E[TV_i] falls with N at every share, with no change at "
         "ρ = (i−1)/i; the bound's contours follow the simulated iso-TV curves")


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
                          replicates=8000, engine="simulate")}  # ≈ 15–20 min on 2 cores (≈ 5–10 s per cell)


def split(N: int, rho: float) -> tuple[int, int]:
    """(n real, m synthetic) for total N and share ρ: n = max(2, round(ρN)), m = N − n."""
    n = max(2, int(round(rho * N)))
    return n, N - n


def fresh_shortcut(key, *, n: int, m: int, generations: int, replicates: int, ddof: int):
    """EXACT-in-distribution simulation of the Gaussian refit under Fresh(n, m), truth N(0, 1), from sufficient
    statistics. Replicate r, generation t uses fold_in(fold_in(key, r), t), streams REAL and SYNTHETIC (lab.keys).

    Returns (μ, σ²), each (replicates, generations + 1)."""
    import jax.numpy as jnp

    return _shortcut_fn(generations, replicates, ddof)(key, jnp.float64(n), jnp.float64(m))


@functools.lru_cache(maxsize=None)
def _shortcut_fn(generations: int, replicates: int, ddof: int):
    """Compiled once per (generations, replicates, ddof); n and m are traced, so the grid shares one compilation."""
    import jax
    import jax.numpy as jnp

    from lab import keys

    def one_generation(cell, mu, s2, t, n, m):
        kr, ks = keys.stream(cell, keys.REAL), keys.stream(cell, keys.SYNTHETIC)
        kr1, kr2 = jax.random.split(kr)
        ks1, ks2 = jax.random.split(ks)
        xbar = jax.random.normal(kr1) / jnp.sqrt(n)  # real block mean ~ N(0, 1/n)
        Wx = 2.0 * jax.random.gamma(kr2, (n - 1) / 2.0)  # real block scatter ~ χ²_{n−1}
        mm = jnp.where(t > 0, m, 0.0)  # generation 0: real points only
        ybar = mu + jnp.sqrt(s2 / jnp.maximum(mm, 1.0)) * jax.random.normal(ks1)  # synthetic mean ~ N(μ, σ²/m)
        Wy = jnp.where(mm > 1, s2 * 2.0 * jax.random.gamma(ks2, jnp.maximum(mm - 1, 1.0) / 2.0), 0.0)  # σ²χ²_{m−1}
        N = n + mm
        mu_new = (n * xbar + mm * ybar) / N
        s2_new = (Wx + Wy + n * mm / N * (ybar - xbar) ** 2) / (N - ddof)  # pooled scatter / (N − ddof)
        return mu_new, s2_new

    def replicate(key, r, n, m):
        rk = jax.random.fold_in(key, r)

        def body(carry, t):
            out = one_generation(keys.cell_key(rk, t), *carry, t, n, m)
            return out, out

        _, (mus, s2s) = jax.lax.scan(body, (jnp.float64(0.0), jnp.float64(1.0)), jnp.arange(generations + 1))
        return mus, s2s

    return jax.jit(lambda key, n, m: jax.vmap(replicate, in_axes=(None, 0, None, None))(
        key, jnp.arange(replicates), n, m))


def cell_run(N: int, rho: float, generations: int, replicates: int, engine: str, ddof: int, seed: int) -> dict:
    """E[TV(p_t, p*)] and its s.e. per generation t for one (N, ρ); exact 1-D TV per replicate."""
    import jax
    import jax.numpy as jnp

    import lab
    from lab.metrics.gaussian_formulas import tv_1d

    n, m = split(N, rho)
    if engine == "shortcut":
        mu, s2 = fresh_shortcut(lab.keys.as_key(seed), n=n, m=m, generations=generations, replicates=replicates,
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


def _bound_grid(cfg, i):
    from lab.theory import mixed_cov

    return np.array([[mixed_cov.tv_bound(n=split(N, rho)[0], m=split(N, rho)[1], i=i, ddof=cfg.ddof)
                      for N in cfg.totals] for rho in cfg.shares])


def verdict(results: dict, cfg: Config) -> tuple[bool, str]:
    """(ok, message) for the study's CLAIM, the lab's finding: ok when, at EVERY share ρ below (i−1)/i (the last
    generation shown), E[TV_i] falls from the smallest to the largest N by more than 5 s.e. — size alone controls the
    error, so F1's real-share threshold is not needed in this family. Not ok (F1's threshold visible) when some share
    below (i−1)/i does not fall by 5 s.e. Also reports the slope of log E[TV_i] on log N at the smallest share."""
    i = max(cfg.generations)
    mean, se = _grid(results, cfg, i), _grid(results, cfg, i, "se")
    below = [k for k, rho in enumerate(cfg.shares) if rho < (i - 1) / i]
    drop = [(mean[k, 0] - mean[k, -1]) / np.hypot(se[k, 0], se[k, -1]) for k in below]
    uncontrolled = [cfg.shares[k] for k, z in zip(below, drop) if z < 5]
    slope = np.polyfit(np.log(cfg.totals), np.log(mean[0]), 1)[0]
    ratio = _bound_grid(cfg, i) / mean
    msg = (f"F1: real share Ω((i−1)/i) needed (i = {i}: ρ ≥ {(i - 1) / i:.2f}). Lab, Gaussian refit: at every share "
           f"below it ({', '.join(f'{cfg.shares[k]:g}' for k in below)}) E[TV_{i}] falls from N = {cfg.totals[0]} to "
           f"{cfg.totals[-1]} by ≥ {min(drop):.0f} s.e." if not uncontrolled else
           f"F1: real share Ω((i−1)/i) needed. Lab: E[TV_{i}] does not fall with N at shares {uncontrolled}")
    msg += (f"; slope of log E[TV] on log N at ρ = {cfg.shares[0]:g}: {slope:.2f} (−½ = controlled at rate N^−½). "
            f"Bound / simulation: {ratio.min():.1f}–{ratio.max():.1f}×.")
    return not uncontrolled, msg


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    from lab.theory import mixed_cov

    totals, shares = np.asarray(cfg.totals, float), np.asarray(cfg.shares, float)

    def edges(v, log):
        w = np.log(v) if log else v
        mid = (w[1:] + w[:-1]) / 2
        e = np.concatenate([[w[0] - (mid[0] - w[0])], mid, [w[-1] + (w[-1] - mid[-1])]])
        return np.exp(e) if log else e

    xe, ye = edges(totals, True), edges(shares, False)
    sims = {i: _grid(results, cfg, i) for i in cfg.generations}
    norm = LogNorm(vmin=min(s.min() for s in sims.values()), vmax=max(s.max() for s in sims.values()))
    # the bound on a finer (N, ρ) grid for smooth contours
    Nf = np.unique(np.geomspace(totals[0], totals[-1], 40).round()).astype(int)
    rf = np.linspace(max(shares[0], 2 / Nf[0]), 1.0, 36)
    fig, axes = plt.subplots(1, len(cfg.generations) + 1, figsize=(6.0 * (len(cfg.generations) + 1), 5.6))
    for ax, i in zip(axes, cfg.generations):
        pm = ax.pcolormesh(xe, ye, sims[i], norm=norm, cmap="viridis", shading="flat")
        U = np.array([[mixed_cov.tv_bound(n=split(N, r)[0], m=split(N, r)[1], i=i, ddof=cfg.ddof) for N in Nf]
                      for r in rf])
        cs = ax.contour(Nf, rf, U, levels=[0.05, 0.1, 0.2, 0.3, 0.5], colors="white", linewidths=1.1)
        ax.clabel(cs, fmt=lambda v: f"U={v:g}", fontsize=8)
        sim_cs = ax.contour(totals, shares, sims[i], levels=[0.03, 0.05, 0.1], colors="orange", linewidths=1.0,
                            linestyles="dotted")
        ax.clabel(sim_cs, fmt=lambda v: f"{v:g}", fontsize=8)
        ax.axhline((i - 1) / i, color="red", lw=2, ls="--", label=f"F1: real share ρ = (i−1)/i = {(i - 1) / i:.2f}")
        ax.plot([], [], color="white", lw=1.1, label="lab's bound U_i (mixed_cov.tv_bound)")
        ax.plot([], [], color="orange", lw=1.0, ls="dotted", label="simulated iso-E[TV]")
        ax.legend(loc="upper right", fontsize=7.5, facecolor="0.85", framealpha=0.9)
        ax.set(xscale="log", title=f"({'ab'[cfg.generations.index(i)]}) E[TV(p_{i}, p*)], generation i = {i}\n"
                                   "heat map: simulated; contours labelled",
               xlabel="total training size per generation N = n + m", ylabel="real share ρ = n / N")
        fig.colorbar(pm, ax=ax, label=f"simulated E[TV] ({cfg.replicates} replicates, exact 1-D TV)")
    ax = axes[-1]
    i = max(cfg.generations)
    ratio = _bound_grid(cfg, i) / sims[i]
    pm = ax.pcolormesh(xe, ye, ratio, cmap="magma", shading="flat")
    for a, N in enumerate(cfg.totals):
        for b, rho in enumerate(cfg.shares):
            ax.text(N, rho, f"{ratio[b, a]:.1f}", ha="center", va="center", fontsize=7,
                    color="white" if pm.norm(ratio[b, a]) < 0.6 else "black")
    fig.colorbar(pm, ax=ax, label="bound U_i / simulated E[TV]")
    ax.set(xscale="log", title=f"(c) tightness at i = {i}: U_{i} / E[TV]\n(U = 1 where the bound is vacuous)",
           xlabel="total training size per generation N = n + m", ylabel="real share ρ = n / N")
    ok, why = verdict(results, cfg)
    fig.suptitle(f"Real share needed under Fresh(n, m), 1-D Gaussian refit (ddof = {cfg.ddof}), engine: {cfg.engine}. "
                 f"Verdict: the lab's claim (E[TV] falls with N at every share; F1's threshold not needed) "
                 f"{'SUPPORTED' if ok else 'NOT supported'} by this run.", fontsize=11)
    fig.text(0.5, -0.02, _wrap(why, 190), ha="center", va="top", fontsize=9)
    fig.tight_layout()
    return fig


def _wrap(s, width):
    import textwrap

    return "\n".join(textwrap.wrap(s, width))
