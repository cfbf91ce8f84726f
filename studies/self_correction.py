"""Self-correcting self-consuming loops: Gillman et al.'s 2-D toy (THEORY S2) beside the lab's contraction theory.

Claim: idealized correction of strength γ (each synthetic sample replaced by a truth draw with probability γ/(1+γ),
i.e. training on π_γ p_θ = (p_θ + γ p*)/(1 + γ)) gives lower and steadier W₂ to the truth as γ grows, and the loop's
contraction factor is divided by (1 + γ): ρ(λ_r)/(1 + γ) in THEORY S2, λ_r/((1 + λ_r)(1 + γ)) exactly for the
Gaussian family (``lab.theory.stability``).

Setting (Gillman's toy): P* = N(0, I₂), n = 50 real samples kept at every generation, 25 synthetic samples from the
latest model per generation, one-Gaussian MLE refit. Regime: ``lab.Weighted(0.5, synthetic=25)`` — real data plus
synthetic data, each synthetic row of weight λ_r·n/m = 0.5·50/25 = 1, so the training set is exactly ``Augment(25)``'s
(the two give the same bits; checked when this study was written) while λ_r = 0.5 is explicit for the theory.

Measured contraction: least-squares slope of μ_{t+1} − f on μ_t − f, f the loop's fixed point, pooled over both
coordinates and all replicates (``stability.mean_contraction``; the infinite-sample slope of log ‖θ_t − θ*‖ is not
observable with 25 synthetic samples, whose noise sets a floor). S1's ρ(λ_r) is drawn with ε = 0 (its infinite-sample
value λ_r/(1 − λ_r) = 1 at λ_r = 1/2: the S1 condition λ_r < 1/2 is just not met, so S1 itself promises nothing here).

Practical correctors: ``Langevin`` (60 steps of size 0.05 on log p*, the "simulator") and ``Project`` (nearest of
10 k-means centres of 1000 real points, the MNIST analogue), against ``Ideal``, by W₂ at one γ and by their contraction
factor over a γ grid. Predictions (``lab.theory.correction``): κ = λ_r/(1 + λ_r)·(1 − τ(1 − J)), J the corrector's mean
Jacobian — 0 for the ideal corrector; a^k = (1 − η/s²)^k for Langevin, exact because k Langevin steps on a Gaussian
log-density are an affine map (fixed point from γ_eff, estimator ``stability.mean_contraction``); for the projection, the
Stein estimate tr(Cov(C(X), X)Σ⁻¹)/d at each run's late moments (a linearisation; its fixed point has no closed form, so
the slope is the within-replicate AR(1) slope after 20 generations, Kendall-bias-corrected,
``correction.within_slope``).

What the runs measured (200 replicates × 200 generations, λ_r = 0.5; measured ± s.e. / predicted / ideal κ; γ = 0.3
from the same preset with corrector_gammas = (0.3, 1, 5), which takes ~30 s more):
Langevin γ = 0.3: 0.2560 ± 0.0035 / 0.2600 / 0.2564; γ = 1: 0.1752 / 0.1743 / 0.1667; γ = 5: 0.0697 / 0.0684 / 0.0556 —
J = 0.95^60 = 0.046, a slightly weaker corrector than the ideal (at γ = 5 the ideal rate is 4 s.e. away, the exact one
0.4 s.e.). Projection γ = 0.3: 0.3182 ± 0.0037 / 0.3203; γ = 1: 0.3058 / 0.3060; γ = 5: 0.2889 / 0.2891 (ideal 0.2564,
0.1667, 0.0556): J ≈ 0.84, so snapping to 10 k-means centres barely moves the mean — it is nearly mean-preserving
(E[X | C(X)] ≈ C(X)) — and its contraction can never fall below λ_r/(1+λ_r)·J ≈ 0.28, whatever γ.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "self_correction"
CLAIM = ("Gillman's toy: larger correction γ gives lower, steadier W₂; the contraction factor is divided by (1 + γ), "
         "and the practical correctors' (Langevin, k-means projection) follow λ_r/(1+λ_r)·(1 − τ(1 − J))")


@dataclass(frozen=True)
class Config:
    n: int = 50  # real samples, kept at every generation (Gillman's toy)
    synthetic: int = 25  # synthetic samples per generation (Gillman's toy)
    generations: int = 200  # generations after generation 0 (Gillman: 500)
    replicates: int = 200  # independent runs per γ
    gammas: tuple = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 5.0)  # correction strengths (Gillman's toy)
    compare_gamma: float = 1.0  # γ at which the practical correctors are compared with the ideal one by W₂
    corrector_gammas: tuple = (1.0, 5.0)  # γ grid of the practical correctors' contraction factors (γ = 0 shared)
    burn: int = 20  # generations dropped before the projection corrector's within-replicate slope
    langevin_step: float = 0.05  # Langevin step size η (truth variance 1)
    langevin_steps: int = 60  # Langevin steps per correction
    kmeans_k: int = 10  # k-means centres of the projection corrector
    kmeans_points: int = 1000  # real points the k-means centres are fitted on
    seed: int = 0  # base seed; every cell uses the same seed, so generation 0 (the real set) is shared


PRESETS = {"quick": Config(), "full": Config(generations=500, replicates=2000, corrector_gammas=(0.1, 0.3, 1.0, 2.0, 5.0))}


def run_loop(corrector: str, gamma: float, n: int, synthetic: int, generations: int, replicates: int,
             langevin_step: float, langevin_steps: int, kmeans_k: int, kmeans_points: int, seed: int,
             burn: int = 20) -> dict:
    """W₂ to the truth over generations, the measured mean contraction and its prediction, for one corrector and γ."""
    import jax

    import lab
    from lab.plotting import summarize
    from lab.theory import correction, stability

    ratio = synthetic / n
    corr = {"ideal": lab.Ideal(), "langevin": lab.Langevin(langevin_step, langevin_steps),
            "project": lab.Project(k=kmeans_k, points=kmeans_points)}[corrector]
    transforms = [lab.Correct(gamma, corr)] if gamma else []
    truth = lab.Gaussian([0.0, 0.0], np.eye(2))
    ds = lab.simulate(truth, lab.GaussianFit(),
                      lab.Weighted(ratio, synthetic=synthetic, transforms=transforms), n=n, generations=generations,
                      replicates=replicates, key=seed, metrics=[lab.metrics.W2()])
    w2 = ds["w2"].values
    mu = ds["mean"].values  # (replicate, generation, 2)
    mu = np.concatenate([mu[..., 0], mu[..., 1]])  # coordinates are independent: pool them as replicates
    extra = {}
    if corrector == "project" and gamma:
        slope, se = correction.within_slope(mu, burn=burn)
        # Stein Jacobian at each of 10 runs' late moments (mean over the last half), averaged
        cov = ds["cov"].values[:, generations // 2:]
        m2 = ds["mean"].values[:, generations // 2:]
        Js = [correction.projection_jacobian(corr.centres(truth), m2[r].mean(0),
                                             cov[r].mean(0), key=jax.random.fold_in(jax.random.key(seed), r),
                                             samples=50_000) for r in range(0, replicates, max(1, replicates // 10))]
        J = np.mean(Js, 0)
        jac = float(np.trace(J) / 2)
        extra = {"J": J.tolist()}
    else:
        jac = correction.langevin_affine(langevin_step, langevin_steps)[0] if corrector == "langevin" and gamma else 0.0
        slope, se = stability.mean_contraction(mu, real_mean=mu[:, 0], ratio=ratio,
                                               gamma=float(correction.effective_gamma(gamma, jac)))
    half = w2[:, generations // 2:]
    return {**extra, "jacobian": jac, "predicted": float(correction.contraction(ratio, gamma, jac)),
            "w2": summarize(w2), "final": summarize(w2[:, -1:]), "late_mean": float(half.mean()),
            "late_within_sd": float(half.std(1).mean()), "late_lo": float(np.quantile(half, 0.1)),
            "late_hi": float(np.quantile(half, 0.9)), "slope": slope, "slope_se": se, "ratio": ratio}


def _kw(cfg: Config, corrector: str, gamma: float) -> dict:
    return dict(corrector=corrector, gamma=float(gamma), n=cfg.n, synthetic=cfg.synthetic,
                generations=cfg.generations, replicates=cfg.replicates, langevin_step=cfg.langevin_step,
                langevin_steps=cfg.langevin_steps, kmeans_k=cfg.kmeans_k, kmeans_points=cfg.kmeans_points,
                seed=cfg.seed, burn=cfg.burn)


def cells(cfg: Config):
    from lab.study import Cell

    out = [Cell(f"ideal_{g:g}", run_loop, _kw(cfg, "ideal", g)) for g in cfg.gammas]
    gs = sorted(set(cfg.corrector_gammas) | {cfg.compare_gamma})
    out += [Cell(f"{c}_{g:g}", run_loop, _kw(cfg, c, g)) for c in ("langevin", "project") for g in gs]
    return out


def _corrector_runs(results: dict, cfg: Config) -> dict:
    """{corrector: [(γ, result)]} over γ = 0 (no correction, shared) and every γ the corrector ran at."""
    gs = [0.0] + sorted(set(cfg.corrector_gammas) | {cfg.compare_gamma})
    out = {"ideal": [(g, results[f"ideal_{g:g}"]) for g in cfg.gammas]}
    for c in ("langevin", "project"):
        out[c] = [(g, results["ideal_0" if g == 0 else f"{c}_{g:g}"]) for g in gs]
    return out


def verdict(results: dict, cfg: Config) -> tuple[bool, str]:
    """Supported when the late W₂ level and its within-run fluctuation both fall with γ (up to 2 % noise), every
    measured contraction of the ideal corrector is within 5 standard errors of λ_r/((1 + λ_r)(1 + γ)), and every
    practical corrector's within 5 s.e. of its prediction λ_r/(1 + λ_r)·(1 − τ(1 − J)) (``lab.theory.correction``)."""
    from lab.theory import stability

    res = [results[f"ideal_{g:g}"] for g in cfg.gammas]
    level = np.array([r["late_mean"] for r in res])
    sd = np.array([r["late_within_sd"] for r in res])
    lower = bool(np.all(np.diff(level) <= 0.02 * level[:-1]) and level[-1] < level[0])
    steadier = bool(np.all(np.diff(sd) <= 0.02 * sd[:-1]) and sd[-1] < sd[0])
    z = [abs(r["slope"] - stability.kappa(r["ratio"], g)) / r["slope_se"] for r, g in zip(res, cfg.gammas)]
    zc = {c: max(abs(r["slope"] - r["predicted"]) / r["slope_se"] for g, r in runs if g)
          for c, runs in _corrector_runs(results, cfg).items() if c != "ideal"}
    ok = lower and steadier and max(z) < 5 and max(zc.values()) < 5
    return ok, (f"late W₂ {'falls' if lower else 'does NOT fall'} monotonically with γ ({level[0]:.3f} → {level[-1]:.3f}), "
                f"within-run s.d. {'falls' if steadier else 'does NOT fall'} ({sd[0]:.3f} → {sd[-1]:.3f}, a small effect); "
                f"contraction within {max(z):.1f} s.e. of λ_r/((1+λ_r)(1+γ)) at every γ; practical correctors within "
                f"{zc['langevin']:.1f} s.e. (Langevin, exact J = a^k) and {zc['project']:.1f} s.e. (projection, Stein J) "
                f"of λ_r/(1+λ_r)·(1 − τ(1 − J))")


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting
    from lab.theory import correction, stability

    t = np.arange(cfg.generations + 1)
    g = np.array(cfg.gammas)
    res = [results[f"ideal_{x:g}"] for x in cfg.gammas]
    ratio = res[0]["ratio"]
    cmap = plt.get_cmap("viridis")
    colors = [cmap(i / (len(g) - 1)) for i in range(len(g))]
    fig, axes = plt.subplots(2, 3, figsize=(19, 10.5))
    axes = axes.ravel()

    ax = axes[0]
    for x, r, c in zip(g, res, colors):
        plotting.band(ax, t, r["w2"], label=f"γ = {x:g}", color=c, alpha=0.10 if x in (g[0], g[-1]) else 0.0)
    ax.set(title="(a) W₂(model_t, P*) — ideal corrector\nmean; band 10–90 % shown for γ = 0 and γ = 5",
           xlabel="generation t", ylabel="W₂")
    ax.legend(fontsize=7, ncol=2, loc="upper right")

    ax = axes[1]
    xs = np.where(g == 0, 0.003, g)  # γ = 0 drawn at the left edge of the log axis
    lvl = np.array([r["late_mean"] for r in res])
    lo, hi = np.array([r["late_lo"] for r in res]), np.array([r["late_hi"] for r in res])
    ax.errorbar(xs, lvl, yerr=[lvl - lo, hi - lvl], fmt="o-", color="C0", capsize=3,
                label="W₂ over the last half of the run: mean, 10–90 %")
    ax.plot(xs, [r["late_within_sd"] for r in res], "s--", color="C3", label="within-run s.d. of W₂ (unsteadiness)")
    ax.set_xscale("log")
    ax.set_xticks(xs, ["0"] + [f"{x:g}" for x in g[1:]], fontsize=8)
    ax.set(title="(b) lower and steadier as γ grows", xlabel="γ (γ = 0 at the left edge)", ylabel="W₂")
    ax.legend(fontsize=7, loc="center left")

    ax = axes[2]
    sl = np.array([r["slope"] for r in res])
    se = np.array([r["slope_se"] for r in res])
    ax.errorbar(xs, sl, yerr=2 * se, fmt="o", color="k", capsize=3, label="measured (slope of mean, ±2 s.e.)")
    gg = np.geomspace(0.003, g.max() * 1.3, 200)
    gfine = np.where(gg <= 0.004, 0.0, gg)
    ax.plot(gg, stability.kappa(ratio, gfine), color="C2", label="exact λ_r/((1+λ_r)(1+γ)) (lab)")
    plotting.theory(ax, gg, stability.rho(ratio, alpha=stability.alpha(1.0), gamma=gfine), color="C1",
                    label="ρ(λ_r)/(1+γ), S1/S2 with ε = 0")
    ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(xs, ["0"] + [f"{x:g}" for x in g[1:]], fontsize=8)
    ax.set(title=f"(c) contraction factor, λ_r = {ratio:g}", xlabel="γ (γ = 0 at the left edge)",
           ylabel="contraction per generation")
    ax.legend(fontsize=7, loc="lower left")

    ax = axes[3]
    gc = cfg.compare_gamma
    base = results["ideal_0"]
    plotting.band(ax, t, base["w2"], label="no correction (γ = 0)", color="0.4", alpha=0.10)
    comp = {"ideal": results[f"ideal_{gc:g}"], "langevin": results[f"langevin_{gc:g}"],
            "project": results[f"project_{gc:g}"]}
    names = {"ideal": "ideal π_γ (truth draw)",
             "langevin": f"Langevin ({cfg.langevin_steps} steps, η = {cfg.langevin_step:g})",
             "project": f"k-means projection (k = {cfg.kmeans_k})"}
    for (k, r), c in zip(comp.items(), ("C2", "C0", "C3")):
        plotting.band(ax, t, r["w2"], label=f"{names[k]}: late W₂ {r['late_mean']:.3f}", color=c, alpha=0.10)
    ax.set(title=f"(d) practical correctors vs ideal, γ = {gc:g}", xlabel="generation t", ylabel="W₂")
    ax.legend(fontsize=7, loc="upper right")

    runs = _corrector_runs(results, cfg)
    cc = {"ideal": "C2", "langevin": "C0", "project": "C3"}
    ak = correction.langevin_affine(cfg.langevin_step, cfg.langevin_steps)[0]
    ax = axes[4]
    gg = np.geomspace(0.003, g.max() * 1.3, 200)
    gfine = np.where(gg <= 0.004, 0.0, gg)
    ax.plot(gg, correction.contraction(ratio, gfine, 0.0), color=cc["ideal"], lw=1.2,
            label="ideal: λ_r/((1+λ_r)(1+γ))")
    ax.plot(gg, correction.contraction(ratio, gfine, ak), color=cc["langevin"], lw=1.2, ls="--",
            label=f"Langevin, exact: J = (1 − η/s²)^k = {ak:.3f}")
    jp = [r["jacobian"] for x, r in runs["project"] if x]
    ax.plot(gg, correction.contraction(ratio, gfine, np.mean(jp)), color=cc["project"], lw=1.2, ls=":",
            label=f"projection, Stein linearisation: J ≈ {np.mean(jp):.3f}")
    for k, off in (("ideal", 1.0), ("langevin", 1.08), ("project", 0.93)):
        gx = np.array([x for x, _ in runs[k]])
        ax.errorbar(np.where(gx == 0, 0.003, gx) * off, [r["slope"] for _, r in runs[k]],
                    yerr=[2 * r["slope_se"] for _, r in runs[k]], fmt="o", ms=4, color=cc[k], capsize=2,
                    label=f"{k}: measured (±2 s.e.)")
    ax.set_xscale("log")
    ax.set_xticks(xs, ["0"] + [f"{x:g}" for x in g[1:]], fontsize=8)
    ax.set(title=f"(e) contraction per corrector: λ_r/(1+λ_r)·(1 − τ(1 − J)), λ_r = {ratio:g}\n"
                 "J = the corrector's mean Jacobian (lab.theory.correction)", xlabel="γ (γ = 0 at the left edge)",
           ylabel="contraction per generation", ylim=(0, 0.4))
    ax.legend(fontsize=7, loc="lower left")

    ax = axes[5]
    rows = []
    for k in ("langevin", "project"):
        for x, r in runs[k]:
            if x:
                rows.append((k, x, r["slope"], r["predicted"], r["slope_se"]))
    for i, (k, x, sl, pr, se_) in enumerate(rows):
        ax.errorbar(i, sl - pr, yerr=2 * se_, fmt="o", color=cc[k], capsize=3)
        ax.errorbar(i, sl - correction.contraction(ratio, x, 0.0), yerr=0, fmt="x", color="0.4")
    ax.axhline(0, color="k", lw=0.8)
    ax.plot([], [], "o", color="0.2", label="measured − predicted (±2 s.e.)")
    ax.plot([], [], "x", color="0.4", label="measured − ideal's κ (the ideal prediction would miss)")
    ax.set_xticks(range(len(rows)), [f"{k}\nγ = {x:g}" for k, x, *_ in rows], fontsize=8)
    ax.set(title="(f) practical correctors: measured − predicted contraction\n"
                 "(table: measured / predicted / ideal κ)", ylabel="difference in contraction factor (symlog)")
    txt = "\n".join(f"{k[:4]} γ={x:g}: {sl:.4f} ± {se_:.4f} / {pr:.4f} / {correction.contraction(ratio, x, 0.0):.4f}"
                    for k, x, sl, pr, se_ in rows)
    ax.text(0.02, 0.97, txt, transform=ax.transAxes, fontsize=7, va="top", family="monospace")
    ax.set_yscale("symlog", linthresh=0.01)
    ax.legend(fontsize=7, loc="center left")

    ok, why = verdict(results, cfg)
    fig.suptitle(f"Self-correction (Gillman's toy: P* = N(0, I₂), n = {cfg.n} real + {cfg.synthetic} synthetic per "
                 f"generation, {cfg.replicates} replicates). Claim: larger γ gives lower, steadier W₂ and divides the "
                 f"ideal contraction by (1 + γ); a practical corrector with mean Jacobian J contracts by "
                 f"λ_r/(1+λ_r)·(1 − τ(1 − J)) — {'SUPPORTED' if ok else 'NOT SUPPORTED'} by this run\n"
                 "(" + why.replace("; practical", ";\npractical") + ")",
                 fontsize=10)
    fig.tight_layout()
    return fig
