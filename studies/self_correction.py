# ~250 lines: three claims (W₂ level, ideal contraction, two practical correctors), each with its own panels
"""Self-correcting self-consuming loops: Gillman et al.'s 2-D toy beside the lab's contraction theory.

Reference: Gillman, Freeman, Aggarwal, Hsu & Luo 2024, "Self-Correcting Self-Consuming Loops for Generative Model
Training" (ICML 2024), as the lab's THEORY S2 states it (the contraction ρ(λ_r)/(1 + γ)); the Gaussian family's
exact factor κ = λ_r/((1 + λ_r)(1 + γ)) and the practical correctors' κ = λ_r/(1 + λ_r)·(1 − τ(1 − J)) are the lab's derivations
(``lab.theory.stability``, ``lab.theory.correction`` eq. (1)).

Claim: idealized correction of strength γ (each synthetic sample replaced by a truth draw with probability γ/(1+γ))
gives lower and steadier W₂ to the truth as γ grows, and divides the loop's contraction factor by (1 + γ); a practical
corrector with mean Jacobian J contracts at λ_r/(1 + λ_r)·(1 − τ(1 − J)).

Setting (Gillman's toy): P* = N(0, I₂), n = 50 real samples kept at every generation, 25 synthetic samples from the
latest model per generation, one-Gaussian MLE refit, ``lab.Weighted(0.5, synthetic=25)`` (each synthetic row of weight
λ_r·n/m = 1, the same training set as ``Augment(25)``, with λ_r = 0.5 explicit for the theory). S1's ρ(λ_r) is drawn
with ε = 0; at λ_r = 1/2 it equals 1, so S1 itself promises nothing here.

Method: the measured contraction is the least-squares slope of μ_{t+1} − f on μ_t − f, f the loop's fixed point,
pooled over both coordinates and all replicates (``stability.mean_contraction``). Practical correctors: ``Langevin``
(J = a^k exactly: k Langevin steps on a Gaussian log-density are an affine map) and ``Project`` (nearest of k-means
centres; J by Stein's lemma at each run's late moments, a linearisation; its fixed point has no closed form, so its
slope is the within-replicate AR(1) slope after ``burn`` generations, Nickell-bias-corrected,
``correction.within_slope``). A projection onto a good quantiser is nearly mean-preserving (J close to 1), so its
contraction stays near λ_r/(1 + λ_r)·J whatever γ.

Verdict (``summary``): supported when (i) the late W₂ level and the within-run s.d. of W₂ fall with γ — no step up
the γ grid significantly raises them (paired one-sided t over replicates, α = 0.05, each step a guard) and the largest
γ lowers both significantly below γ = 0 (same test) — and (ii) every measured contraction agrees with its prediction
within 5 standard errors (ideal: κ; Langevin and projection: eq. (1) with their J).
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
    langevin_steps: int = 15  # Langevin steps per correction (their run time dominates the cost; few steps leave
    # J = (1 − η)^k well above 0, so the Langevin prediction stands apart from the ideal κ)
    kmeans_k: int = 10  # k-means centres of the projection corrector
    kmeans_points: int = 1000  # real points the k-means centres are fitted on
    seed: int = 0  # base seed; every cell uses the same seed, so generation 0 (the real set) is shared


PRESETS = {"quick": Config(),
           "full": Config(generations=500, replicates=2000, corrector_gammas=(0.1, 0.3, 1.0, 2.0, 5.0),
                          langevin_steps=60)}


def run_loop(corrector: str, gamma: float, n: int, synthetic: int, generations: int, replicates: int,
             langevin_step: float, langevin_steps: int, kmeans_k: int, kmeans_points: int, seed: int,
             burn: int = 20) -> dict:
    """W₂ to the truth over generations, the measured mean contraction and its prediction, for one corrector and γ."""
    import jax

    import lab
    from lab.analysis import summarize
    from lab.theory import correction, stability

    ratio = synthetic / n
    corr = {"ideal": lab.Ideal(), "langevin": lab.Langevin(langevin_step, langevin_steps),
            "project": lab.Project(k=kmeans_k, points=kmeans_points, key=0)}[corrector]
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
            "late_hi": float(np.quantile(half, 0.9)), "slope": slope, "slope_se": se, "ratio": ratio,
            "late_r": half.mean(1), "late_sd_r": half.std(1)}  # per replicate (paired over γ: shared seeds)


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


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement, paired
    from lab.theory import stability

    res = [results[f"ideal_{g:g}"] for g in cfg.gammas]
    falls = {}
    for q in ("late_r", "late_sd_r"):
        steps = [paired(b[q], a[q]) for a, b in zip(res[:-1], res[1:])]
        falls[q] = not any(p.greater() for p in steps) and paired(res[-1][q], res[0][q]).less()
    ideal = agreement([r["slope"] for r in res], [r["slope_se"] for r in res],
                      [stability.kappa(r["ratio"], g) for r, g in zip(res, cfg.gammas)])
    runs = _corrector_runs(results, cfg)
    prac = {c: agreement(*np.array([(r["slope"], r["slope_se"], r["predicted"]) for g, r in runs[c] if g]).T)
            for c in ("langevin", "project")}
    ok = falls["late_r"] and falls["late_sd_r"] and ideal.ok and all(a.ok for a in prac.values())
    lvl, sd = [r["late_mean"] for r in res], [r["late_within_sd"] for r in res]
    nums = dict(late_w2_first=lvl[0], late_w2_last=lvl[-1], within_sd_first=sd[0], within_sd_last=sd[-1],
                z_ideal=ideal.worst, z_langevin=prac["langevin"].worst, z_project=prac["project"].worst)
    jp = float(np.mean([r["jacobian"] for g, r in runs["project"] if g]))
    return {"verdict": Verdict.of(ok, "W₂ falls: paired one-sided t over replicates, α = 0.05; contraction: agreement "
                                      "within 5 s.e.", **nums),
            "headline": f"Late W₂ {lvl[0]:.3f} → {lvl[-1]:.3f} and within-run s.d. {sd[0]:.3f} → {sd[-1]:.3f} from "
                        f"γ = 0 to {cfg.gammas[-1]:g}; measured contraction within {ideal.worst:.1f} s.e. of "
                        f"λ_r/((1+λ_r)(1+γ)); Langevin within {prac['langevin'].worst:.1f} s.e. and k-means projection "
                        f"(J ≈ {jp:.2f}) within {prac['project'].worst:.1f} s.e. of λ_r/(1+λ_r)·(1 − τ(1 − J)).",
            **nums, "projection_J": jp}


def _gamma_axis(ax, g):
    ax.set_xscale("log")
    ax.set_xticks(np.where(g == 0, 0.003, g), ["0"] + [f"{x:g}" for x in g[1:]], fontsize=8)
    ax.set_xlabel("γ (γ = 0 at the left edge)")


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab.analysis import band, theory
    from lab.theory import correction, stability

    t, g = np.arange(cfg.generations + 1), np.array(cfg.gammas)
    res = [results[f"ideal_{x:g}"] for x in cfg.gammas]
    ratio, xs = res[0]["ratio"], np.where(g == 0, 0.003, g)  # γ = 0 drawn at the left edge of the log axis
    gg = np.geomspace(0.003, g.max() * 1.3, 200)
    gfine = np.where(gg <= 0.004, 0.0, gg)
    colors = [plt.get_cmap("viridis")(i / (len(g) - 1)) for i in range(len(g))]
    fig, axes = plt.subplots(2, 3, figsize=(17, 10))
    (a1, a2, a3), (a4, a5, a6) = axes

    for x, r, c in zip(g, res, colors):
        band(a1, t, r["w2"], label=f"γ = {x:g}", color=c, alpha=0.10 if x in (g[0], g[-1]) else 0.0)
    a1.set(title="(a) W₂(model_t, P*), ideal corrector: mean\n(10–90 % band for the smallest and largest γ)",
           xlabel="generation t", ylabel="W₂")
    a1.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.13))

    lvl, lo, hi = (np.array([r[k] for r in res]) for k in ("late_mean", "late_lo", "late_hi"))
    a2.errorbar(xs, lvl, yerr=[lvl - lo, hi - lvl], fmt="o-", color="C0", capsize=3, label="late W₂: mean, 10–90 %")
    a2.plot(xs, [r["late_within_sd"] for r in res], "s--", color="C3", label="within-run s.d. of W₂")
    _gamma_axis(a2, g)
    a2.set(title="(b) lower and steadier as γ grows\n(last half of the run)", ylabel="W₂")
    a2.legend(fontsize=8, loc="upper right")

    a3.errorbar(xs, [r["slope"] for r in res], yerr=[2 * r["slope_se"] for r in res], fmt="o", color="0.3",
                capsize=3, label="measured (±2 s.e.)", zorder=2)
    theory(a3, gg, stability.kappa(ratio, gfine), color="C2", ls="-", label="exact λ_r/((1+λ_r)(1+γ))")
    theory(a3, gg, stability.rho(ratio, alpha=stability.alpha(1.0), gamma=gfine), color="C1",
           label="S1/S2 ρ(λ_r)/(1+γ), ε = 0")
    a3.axhline(1.0, color="0.6", lw=0.8, ls=":")
    _gamma_axis(a3, g)
    a3.set(yscale="log", title=f"(c) contraction factor, ideal corrector, λ_r = {ratio:g}", ylabel="per generation")
    a3.legend(fontsize=8, loc="lower left")

    gc, names = cfg.compare_gamma, {"ideal": "ideal π_γ", "langevin": f"Langevin ({cfg.langevin_steps} steps)",
                                    "project": f"k-means projection (k = {cfg.kmeans_k})"}
    cc = {"ideal": "C2", "langevin": "C0", "project": "C3"}
    band(a4, t, results["ideal_0"]["w2"], label="no correction (γ = 0)", color="0.4", alpha=0.10)
    for k in names:
        band(a4, t, results[f"{k}_{gc:g}"]["w2"], label=names[k], color=cc[k], alpha=0.10)
    a4.set(title=f"(d) practical correctors vs ideal, γ = {gc:g}", xlabel="generation t", ylabel="W₂")
    a4.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.13))

    runs = _corrector_runs(results, cfg)
    jac = {"ideal": 0.0, "langevin": correction.langevin_affine(cfg.langevin_step, cfg.langevin_steps)[0],
           "project": float(np.mean([r["jacobian"] for x, r in runs["project"] if x]))}
    for i, k in enumerate(names):
        gx = np.array([x for x, _ in runs[k]])
        a5.errorbar(np.where(gx == 0, 0.003, gx) * (1.0, 1.08, 0.93)[i], [r["slope"] for _, r in runs[k]],
                    yerr=[2 * r["slope_se"] for _, r in runs[k]], fmt="o", ms=4, color=cc[k], capsize=2)
        theory(a5, gg, correction.contraction(ratio, gfine, jac[k]), color=cc[k], ls=("-", "--", ":")[i],
               label=f"{k}: J = {jac[k]:.3f}")
        rows = [(x, r) for x, r in runs[k] if x]
        if k == "ideal":
            continue
        a6.errorbar([x * (1.0, 1.05, 0.95)[i] for x, _ in rows], [r["slope"] - r["predicted"] for _, r in rows],
                    yerr=[2 * r["slope_se"] for _, r in rows], fmt="o", color=cc[k], capsize=3, label=names[k])
        a6.plot([x for x, _ in rows], [r["slope"] - correction.contraction(ratio, x, 0.0) for x, r in rows], "x",
                color=cc[k], ms=8)
    _gamma_axis(a5, g)
    a5.set(title="(e) contraction per corrector: λ_r/(1+λ_r)·(1 − τ(1 − J))\ndots: measured ± 2 s.e.",
           ylabel="per generation", ylim=(0, 0.4))
    a5.legend(fontsize=8, loc="lower left")
    a6.axhline(0, color="k", lw=0.8)
    a6.set(xscale="log", title="(f) measured − predicted contraction (±2 s.e.)\n"
           "×: measured − the ideal's κ (what an ideal prediction would miss)", xlabel="γ",
           ylabel="difference (symlog)")
    a6.set_yscale("symlog", linthresh=0.01)
    gs = sorted(set(cfg.corrector_gammas) | {gc})
    a6.set_xticks(gs, [f"{x:g}" for x in gs])
    a6.xaxis.set_minor_formatter(plt.NullFormatter())
    a6.set_ylim(-0.03, 0.6)
    a6.legend(fontsize=8, loc="center")

    v = summary(results, cfg)["verdict"]
    fig.suptitle(f"Self-correction, Gillman's toy: P* = N(0, I₂), n = {cfg.n} real + {cfg.synthetic} synthetic per "
                 f"generation, {cfg.replicates} replicates — {v.status}\nrule: {v.rule}", fontsize=11)
    fig.tight_layout()
    return fig
