# ~190 lines: four panels, one per statement of C1, and their four checks in summary
"""Curated self-consuming loops on a categorical truth (Ferbach et al., THEORY C1): exact update and simulation.

Claims (C1): (a) K-wise Bradley–Terry curation raises E[e^r] every generation, by at least
((K−1)/K)·Var[e^r]/e^{r*}; (b) pure curation collapses onto the reward's maximisers, in proportion to p₀
(p_t → p₀ restricted to argmax r, renormalised); (c) mixing real data with weight λ_c < 1/(K−1) keeps
KL(p_t ‖ p_ref) ≤ −log(1 − λ_c(K − 1)) for all t, and (d) E[e^r] ≥ E_ref[e^r] + λ_c/(1+λ_c)³·(K−1)·Var_ref[e^r]/(K e^{r*}).

Reference: Ferbach, Bertrand, Bose & Gidel 2024, "Self-Consuming Generative Models with Curated Data Provably
Optimize Human Preferences" (NeurIPS 2024); claims (a)–(d) as the lab's THEORY C1 states them.

Setting: a 6-category truth with two reward maximisers; pure curation under ``Replace`` (n candidates kept per
generation), real-data mixing under ``Weighted(λ_c)`` (fixed real set of n; its frequencies are p_ref).

Method: the exact update (``lab.theory.curation.trajectory``: finite K by quadrature of the lab's one-dimensional
integral, K = ∞ the tilted law p e^r / E_p[e^r]) beside ``lab.simulate`` with ``CategoricalFit`` and
``lab.Curate(TableReward(r), K)``. The simulation's mean is not exactly the exact iterate (the update is nonlinear in
the noisy p̂_t); with large n the two are close.

Verdict (``summary``): C1's statements are inequalities of the exact update, checked at every generation (no
statistic: the exact update has no noise) — E[e^r] rises by at least Ferbach's bound, the K = ∞ iterate reaches
p₀|argmax r, the mixed runs' KL (exact, and the simulation's 90 % quantile) stays below −log(1 − λ_c(K − 1)), and their
E[e^r] stays above C1's lower bound.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "curation"
CLAIM = "Curation raises E[e^r] and collapses onto argmax r in proportion to p₀; real data at λ_c keeps KL(p_t‖p_ref) ≤ −log(1−λ_c(K−1))"


@dataclass(frozen=True)
class Config:
    probs: tuple = (0.30, 0.25, 0.18, 0.12, 0.09, 0.06)  # p₀ (= p_ref), the categorical truth
    reward: tuple = (0.0, 1.0, 0.4, 1.0, -0.5, 0.7)  # r per category; two maximisers (1 and 3), p₀ ratio 25 : 12
    Ks: tuple = (2, 5)  # finite K simulated (K = ∞ is exact only)
    mix_K: int = 5  # K of the real-data mixing runs
    mix_ratios: tuple = (0.05, 0.12, 0.2)  # λ_c (< 1/(K − 1) = 0.25)
    n: int = 2000  # samples per generation (real set size under mixing; m = n synthetic)
    generations: int = 30  # generations after generation 0
    replicates: int = 25  # independent runs per simulated setting (the checks are on the exact update; the bands show
    # the simulation around it)
    seed: int = 0  # base seed; each cell folds in its own offset


PRESETS = {"quick": Config(), "full": Config(generations=60, replicates=1000)}
RULE = "C1's inequalities on the exact update at every t (no statistic); simulated KL's 90 % quantile ≤ bound"


def simulate_curation(probs: list, reward: list, K: int, ratio: float, n: int, generations: int, replicates: int,
                      seed: int) -> dict:
    """Per-replicate laws p̂_t of the curated loop (ratio = 0: Replace; ratio > 0: Weighted(ratio))."""
    import lab

    k = len(probs)
    transforms = [lab.Curate(lab.TableReward(np.array(reward)), K=K)]
    regime = lab.Weighted(ratio, transforms=transforms) if ratio else lab.Replace(transforms=transforms)
    ds = lab.simulate(lab.Categorical(np.array(probs)), lab.CategoricalFit(k), regime, n=n, generations=generations,
                      replicates=replicates, key=seed, metrics=[])
    return {"probs": ds["probs"].values.astype(np.float64)}


def cells(cfg: Config):
    from lab.study import Cell

    kw = dict(probs=list(cfg.probs), reward=list(cfg.reward), n=cfg.n, generations=cfg.generations,
              replicates=cfg.replicates)
    out = [Cell(f"pure_K{K}", simulate_curation, dict(kw, K=K, ratio=0.0, seed=cfg.seed + i))
           for i, K in enumerate(cfg.Ks)]
    out += [Cell(f"mix_{lam:g}", simulate_curation, dict(kw, K=cfg.mix_K, ratio=float(lam), seed=cfg.seed + 10 + i))
            for i, lam in enumerate(cfg.mix_ratios)]
    return out


def _exact(cfg: Config, K, ratio=0.0):
    from lab.theory import curation as C

    return C.trajectory(np.array(cfg.probs), np.array(cfg.reward), K, generations=cfg.generations, ratio=ratio)


def _kl_rows(p, q):
    """KL(p_i ‖ q_i) row by row (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log(p / q), 0.0).sum(-1)


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict
    from lab.theory import curation as C

    p0, r, K = np.array(cfg.probs), np.array(cfg.reward), cfg.mix_K
    checks = {}
    for k in list(cfg.Ks) + [np.inf]:
        ex = _exact(cfg, k)
        e = C.expected_exp_reward(ex, r)
        bound = e[:-1] + np.array([C.reward_gain_bound(q, r, k) for q in ex[:-1]])
        checks[f"rise_K{k:g}"] = bool(np.all(np.diff(e) >= -1e-12) and np.all(e[1:] >= bound - 1e-10))
    checks["collapse"] = bool(np.allclose(_exact(cfg, np.inf)[-1], C.limit_law(p0, r), atol=1e-2))
    e_ref = C.expected_exp_reward(p0, r)
    var_ref = np.sum(p0 * np.exp(2 * r)) - e_ref**2
    worst, reward_ok = 0.0, True
    for lam in cfg.mix_ratios:
        ex, probs = _exact(cfg, K, lam), results[f"mix_{lam:g}"]["probs"]
        kl_sim = _kl_rows(probs, probs[:, :1])  # p_ref = the real set's frequencies p̂_0
        b = C.kl_bound(K, lam)
        worst = max(worst, max(C.kl(q, p0) for q in ex) / b, float(np.quantile(kl_sim, 0.9, axis=0).max()) / b)
        lb = e_ref + lam / (1 + lam) ** 3 * (K - 1) * var_ref / (K * np.exp(r.max()))
        reward_ok &= bool(np.all(C.expected_exp_reward(ex, r)[1:] >= lb - 1e-12))
    checks["kl"], checks["reward_mix"] = worst <= 1, reward_ok
    failed = [k for k, v in checks.items() if not v]
    lim = C.limit_law(p0, r)
    return {"verdict": Verdict.of(not failed, RULE, failed=", ".join(failed) or "none", kl_over_bound=worst),
            "headline": f"E[e^r] rises at every generation by at least Ferbach's bound for K = "
                        f"{', '.join(f'{k:g}' for k in cfg.Ks)}, ∞; pure curation ends on argmax r with p₀'s ratio "
                        f"{lim[lim > 0][0]:.3f} : {lim[lim > 0][1]:.3f}; with real data the largest KL(p_t ‖ p_ref) "
                        f"is {worst:.1%} of its bound −log(1 − λ_c(K−1)) (the bound holds, loosely).",
            "checks": checks, "kl_over_bound": worst}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab.analysis import band, summarize, theory
    from lab.theory import curation as C

    p0, r = np.array(cfg.probs), np.array(cfg.reward)
    t = np.arange(cfg.generations + 1)
    Ks = list(cfg.Ks) + [np.inf]
    colors = dict(zip(Ks, ("C0", "C1", "C2")))
    name = {k: ("K = ∞" if np.isinf(k) else f"K = {k}") for k in Ks}
    styles = dict(zip(Ks, (":", "--", "-")))
    fig, axes = plt.subplots(2, 2, figsize=(13, 10))
    (a1, a2), (a3, a4) = axes

    for k in Ks:  # (a) E[e^r], pure curation
        ex = _exact(cfg, k)
        e = C.expected_exp_reward(ex, r)
        if not np.isinf(k):
            band(a1, t, summarize(C.expected_exp_reward(results[f"pure_K{k}"]["probs"], r)),
                 label=f"{name[k]}: simulation", color=colors[k])
        a1.plot(t[1:], e[:-1] + np.array([C.reward_gain_bound(q, r, k) for q in ex[:-1]]), "v", ms=4,
                color=colors[k], alpha=0.7, zorder=4)
        theory(a1, t, e, ls=styles[k], label=f"{name[k]}: exact update")
    a1.axhline(np.exp(r.max()), color="0.5", ls=":", lw=1, label="e^{r*}")
    a1.plot([], [], "v", color="0.3", ms=5, label="previous + Ferbach's gain bound")
    a1.set(title="(a) pure curation: E_{p_t}[e^r] rises", xlabel="generation t", ylabel="E[e^r]")
    a1.legend(fontsize=8, loc="lower right")

    limit = C.limit_law(p0, r)  # (b) collapse onto argmax r in proportion to p₀
    top = np.flatnonzero(limit > 0)
    sim = results[f"pure_K{cfg.Ks[-1]}"]["probs"]
    for j, c in zip(top, ("C3", "C9")):
        band(a2, t, summarize(sim[..., j]), label=f"p̂_t({j}), K = {cfg.Ks[-1]}: simulation", color=c, alpha=0.15)
        a2.axhline(limit[j], color=c, lw=0.9, ls="-.")
        for k in Ks:
            a2.plot(t, _exact(cfg, k)[:, j], ls=styles[k], color="k", lw=1.1, zorder=3)
    for k in Ks:
        a2.plot([], [], ls=styles[k], color="k", label=f"exact update, {name[k]}")
    a2.set(title=f"(b) collapse onto argmax r = {{{', '.join(map(str, top))}}}: limit p₀ ratio "
                 f"{limit[top[0]]:.3f} : {limit[top[1]]:.3f} (dash-dot)", xlabel="generation t", ylabel="probability")
    a2.legend(fontsize=8, loc="center right")

    K, cm = cfg.mix_K, plt.get_cmap("cool")  # (c) KL and (d) E[e^r] with real data
    e_ref = C.expected_exp_reward(p0, r)
    var_ref = np.sum(p0 * np.exp(2 * r)) - e_ref**2
    for i, lam in enumerate(cfg.mix_ratios):
        c = cm(i / max(1, len(cfg.mix_ratios) - 1))
        probs, ex = results[f"mix_{lam:g}"]["probs"], _exact(cfg, K, lam)
        band(a3, t[1:], summarize(_kl_rows(probs, probs[:, :1])[:, 1:]), label=f"λ_c = {lam:g}", color=c)
        theory(a3, t[1:], np.array([C.kl(q, p0) for q in ex])[1:], color="k")
        a3.axhline(C.kl_bound(K, lam), color=c, lw=1.8, ls="-.")
        band(a4, t, summarize(C.expected_exp_reward(probs, r)), label=f"λ_c = {lam:g}", color=c)
        theory(a4, t, C.expected_exp_reward(ex, r), color="k")
        a4.axhline(e_ref + lam / (1 + lam) ** 3 * (K - 1) * var_ref / (K * np.exp(r.max())), color=c, lw=1.8, ls="-.")
    a3.set(yscale="log", title=f"(c) KL(p_t ‖ p_ref) with real data, K = {K} (needs λ_c < {1 / (K - 1):g})",
           xlabel="generation t", ylabel="KL(p_t ‖ p_ref)")
    a4.axhline(e_ref, color="0.5", ls=":", lw=1, label="E_ref[e^r]")
    a4.set(title=f"(d) E[e^r] with real data, K = {K}", xlabel="generation t", ylabel="E[e^r]")
    for ax, what in ((a3, "bound −log(1 − λ_c(K−1))"), (a4, "C1 lower bound")):
        ax.plot([], [], "k--", label="exact update")
        ax.plot([], [], color="0.4", ls="-.", label=what)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)

    v = summary(results, cfg)["verdict"]
    fig.suptitle(f"Curation (THEORY C1): categorical p₀, n = {cfg.n}, {cfg.replicates} replicates; bands 10–90 %, "
                 f"dashed = exact update — {v.status}\nrule: {v.rule}", fontsize=11)
    fig.tight_layout()
    return fig
