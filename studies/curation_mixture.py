# ~320 lines: two rewards, a Monte Carlo statistics step, an exact update and six panels (one per claim of C1)
"""The pure curated loop on a 2-D Gaussian mixture (Ferbach et al., NeurIPS 2024; THEORY C1): reward rises, diversity
collapses onto the reward's maximisers, in proportion to p₀.

Claim (C1): curating each synthetic sample by K-wise Bradley–Terry choice with reward r and retraining on the kept
samples raises E[e^r] every generation — by at least ((K−1)/K)·Var_{p_t}[e^r]/e^{r*} in the exact update — and the law
converges to p₀ restricted to argmax r, renormalised.

Truth: four isotropic Gaussian modes (sd 0.5) with weights p₀ = (0.35, 0.15, 0.30, 0.20); c = mode 0's centre.
Rewards (r* = 0 for both):
- distance: r(x) = −‖x − c‖ (``lab.NegDistance``): argmax r = {c}, a single point, so the limit is δ_c and
  "in proportion to p₀" cannot be seen;
- plateau: r(x) = −max(‖x − c‖ − ρ, 0) (``lab.Plateau``): argmax r = the ball B(c, ρ); ρ = 1.8 is the distance to mode 1,
  so the ball holds all of mode 0 and about half of mode 1, and the limit p₀|_B has truth-posterior mass per mode
      m_j = π_j P_j(B) / Σ_l π_l P_l(B),   P_j(B) = Pr(‖X − c‖ ≤ ρ), X ~ N(μ_j, s² I),
  P_j(B) = the CDF at ρ²/s² of a non-central χ² with 2 degrees of freedom and non-centrality ‖μ_j − c‖²/s² (exact).

Simulation: ``lab.simulate`` under ``lab.Replace(transforms=[lab.Curate(reward, K)])``, n samples kept per
generation (K·n candidates), refit by ``lab.MixtureFit(4)`` (EM). The family: a 4-component mixture represents p₀ at
generation 0, can represent the collapse onto a point (a component with vanishing covariance) and approximates the
truncated limit p₀|_B with its components inside the ball; a single Gaussian could not hold the limit's two modes, and a
KDE adds its bandwidth to the variance every generation (``kde_worlds``), fighting the collapse. Per replicate and
generation, E[r], E[e^r], E[e^{2r}], the entropy −E log p_θ and the mass per truth mode (``mode_shares``) are Monte
Carlo averages over ``stat_samples`` draws of the fitted mixture (keys folded from ``seed``); the generalized variance
det Cov_θ is exact from the fitted parameters.

Exact update (the fully expressive, infinite-sample loop that C1 describes; ``lab.theory.curation_grid``), the lab's
derivation. For a radial reward
r(x) = g(‖x − c‖), the finite-K curated law is C_K(p)(x) = K p(x) a(x) ∫₀^∞ e^{−s a(x)} φ(s)^{K−1} ds with
a = e^{r − r*} and φ(s) = E_p[e^{−s a}] (``lab.theory.curation``): the factor multiplying p(x) depends on x only
through ‖x − c‖. On a polar grid around c (rings × angles), the update is therefore C_K applied to the law of the ring
index (a categorical, ``lab.theory.curation.curated``), each ring's angular profile kept: the exact p_t is
p₀(x)·h_t(‖x − c‖) — within every ring the modes keep p₀'s proportions, which is why the limit is p₀|_B. Quadrature
error < 1e-10; grid error: rings are refined near c (edges R·u², u uniform), enough to resolve the distance reward's
concentration (scale ≈ 1/t) over the run; on the ball's edge the midpoint rule leaves ≈ 7e-4 on the limit's mass per
mode (400 rings; ``lab.theory.curation_grid.limit_shares`` is exact).

Reference: Ferbach, Bertrand, Bose & Gidel 2024, "Self-Consuming Generative Models with Curated Data Provably
Optimize Human Preferences" (NeurIPS 2024); the claim as the lab's THEORY C1 states it.

Reading: the EM refit follows the exact update but lags it (its Gaussian components cannot take the cusp of
p₀e^{−t‖x−c‖}); with the plateau reward the run carries p₀'s proportions inside the ball (mode 1 first overshoots, as
the exact update does, then decays as its outer half is curated away). C1's one-step bound is a statement about
C_K(p_t), so the fitted p_{t+1} of a finite run need not obey it at every generation; it is shown, not tested.

Verdict (``summary``): supported when, for both rewards, the simulated E[r] and E[e^r] rise (final minus first mean
> 5 s.e., and no generation falls by > 5 s.e.), det Cov and entropy fall (paired one-sided t over replicates, last vs
first generation, α = 0.05), the exact update obeys C1's bound at every generation, and the plateau run's final mass
per mode agrees with the exact update's within 5 s.e. (floored at 1/(n√R)).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "curation_mixture"
CLAIM = ("Pure curation of a 2-D mixture: E[r] and E[e^r] rise, diversity collapses onto argmax r, and with a plateau "
         "reward the mass per mode tends to p₀ restricted to the ball")


@dataclass(frozen=True)
class Config:
    weights: tuple = (0.35, 0.15, 0.30, 0.20)  # p₀'s mode weights π_j
    means: tuple = ((0.0, 0.0), (1.8, 0.0), (-2.5, 2.5), (0.0, -3.0))  # mode centres μ_j; c = μ_0
    sd: float = 0.5  # every mode's covariance is sd² I
    radius: float = 1.8  # ρ, the plateau reward's ball radius (= ‖μ_1 − c‖: half of mode 1 inside)
    K: int = 4  # candidates per kept sample
    n: int = 1000  # samples per generation (real at t = 0, kept synthetic after)
    generations: int = 20  # generations after generation 0
    replicates: int = 48  # independent runs per reward
    em_iterations: int = 40  # EM steps per refit (from the farthest-first initialisation)
    stat_samples: int = 2048  # model draws per (replicate, generation) for the Monte Carlo statistics
    rings: int = 400  # exact update: radial rings (edges R·u², u uniform on [0, 1])
    angles: int = 180  # exact update: angular cells
    grid_radius: float = 7.0  # exact update: R, the grid's outer radius (p₀ mass outside < 1e-9)
    seed: int = 0  # base seed of the loop and of the statistics' keys


PRESETS = {"quick": Config(), "full": Config(generations=40, replicates=400, em_iterations=100, stat_samples=8192)}
REWARDS = ("distance", "plateau")


def _truth(weights, means, sd):
    from lab.theory.curation_grid import isotropic_mixture

    return isotropic_mixture(weights, means, sd)


def _reward(kind: str, centre, radius: float):
    import lab

    if kind == "distance":
        return lab.NegDistance(np.array(centre))
    if kind == "plateau":
        return lab.Plateau(tuple(centre), radius)
    raise ValueError(f"reward must be one of {REWARDS}, got {kind!r}")


def _model_stats(truth, model, reward, params, key, samples):
    """Monte Carlo statistics of one fitted mixture: E[r], E[e^r], E[e^{2r}], −E log p_θ, mass per truth mode."""
    import jax.numpy as jnp

    from lab.metrics.mixture import mode_shares

    x = model.sample(params, key=key, n=samples)
    r = reward(x)
    return {"reward": jnp.mean(r), "exp_reward": jnp.mean(jnp.exp(r)), "exp2_reward": jnp.mean(jnp.exp(2 * r)),
            "entropy": -jnp.mean(model.log_prob(params, x)), "shares": mode_shares(truth, x)}


def _generalized_variance(weights, means, covs):
    """det Cov of each fitted mixture: Cov = Σ_j π_j(Σ_j + μ_j μ_jᵀ) − μ̄ μ̄ᵀ (exact). Shapes (…, k), (…, k, 2), (…, k, 2, 2)."""
    mbar = np.einsum("...k,...kd->...d", weights, means)
    second = np.einsum("...k,...kde->...de", weights, covs + means[..., :, None] * means[..., None, :])
    cov = second - mbar[..., :, None] * mbar[..., None, :]
    return cov[..., 0, 0] * cov[..., 1, 1] - cov[..., 0, 1] * cov[..., 1, 0]


def simulate_curated(reward: str, weights: list, means: list, sd: float, radius: float, K: int, n: int,
                     generations: int, replicates: int, em_iterations: int, stat_samples: int, seed: int) -> dict:
    """(replicate, generation) statistics of the pure curated loop, and a few final-generation draws for the figure."""
    import jax
    import jax.numpy as jnp

    import lab

    truth = _truth(weights, means, sd)
    rew = _reward(reward, means[0], radius)
    model = lab.MixtureFit(len(weights), iterations=em_iterations)
    ds = lab.simulate(truth, model, lab.Replace(transforms=[lab.Curate(rew, K)]), n=n, generations=generations,
                      replicates=replicates, key=seed, metrics=[])
    w, mu, cov = (ds[v].values for v in ("weights", "means", "covs"))
    R, T1 = w.shape[:2]
    flat = lab.models.mixture.MixtureParams(*(jnp.asarray(a.reshape((R * T1,) + a.shape[2:])) for a in (w, mu, cov)))
    base = jax.random.fold_in(jax.random.key(seed), 0x5EED)
    keys = jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.arange(R * T1))
    stats = jax.jit(jax.vmap(lambda p, k: _model_stats(truth, model, rew, p, k, stat_samples)))(flat, keys)
    out = {k: np.asarray(v, np.float64).reshape((R, T1) + v.shape[1:]) for k, v in stats.items()}
    out["gen_var"] = _generalized_variance(w, mu, cov)
    last = lab.models.mixture.MixtureParams(*(jnp.asarray(a[:4, -1]) for a in (w, mu, cov)))
    draws = jax.vmap(lambda p, k: model.sample(p, key=k, n=150))(last, jax.random.split(jax.random.fold_in(base, 1), 4))
    out["final_draws"] = np.asarray(draws, np.float64).reshape(-1, 2)
    return out


def _common(cfg: Config) -> dict:
    return dict(weights=list(cfg.weights), means=[list(m) for m in cfg.means], sd=cfg.sd, radius=cfg.radius)


def cells(cfg: Config):
    from lab.study import Cell
    from lab.theory.curation_grid import exact_update

    out = []
    for i, rw in enumerate(REWARDS):
        out.append(Cell(f"sim_{rw}", simulate_curated, dict(_common(cfg), reward=rw, K=cfg.K, n=cfg.n,
                                                            generations=cfg.generations, replicates=cfg.replicates,
                                                            em_iterations=cfg.em_iterations,
                                                            stat_samples=cfg.stat_samples, seed=cfg.seed + i)))
        for K in (cfg.K, float("inf")):
            out.append(Cell(f"exact_{rw}_K{K:g}", exact_update, dict(_common(cfg), reward=rw, K=K,
                                                                     generations=cfg.generations, rings=cfg.rings,
                                                                     angles=cfg.angles, grid_radius=cfg.grid_radius)))
    return out


def _se(a):
    return a.std(0, ddof=1) / np.sqrt(a.shape[0])


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement, paired
    from lab.theory.curation_grid import limit_shares

    c, flags = {}, {}
    for rw in REWARDS:
        s, ex = results[f"sim_{rw}"], results[f"exact_{rw}_K{cfg.K:g}"]
        for q in ("reward", "exp_reward"):
            m, se = s[q].mean(0), _se(s[q])
            c[f"{rw}_{q}"] = (float(m[0]), float(m[-1]))
            flags[f"{rw}_{q}_rises"] = bool(m[-1] - m[0] > 5 * np.hypot(se[0], se[-1])
                                            and np.all(np.diff(m) > -5 * np.hypot(se[1:], se[:-1])))
        for q in ("gen_var", "entropy"):
            c[f"{rw}_{q}"] = (float(s[q][:, 0].mean()), float(s[q][:, -1].mean()))
            flags[f"{rw}_{q}_falls"] = paired(s[q][:, -1], s[q][:, 0]).less()
        flags[f"{rw}_bound_exact"] = bool(np.all(np.diff(ex["exp_reward"]) >= ex["bound"] - 1e-10))
        mean_bound = ((cfg.K - 1) / cfg.K * (s["exp2_reward"] - s["exp_reward"] ** 2)[:, :-1]).mean(0)
        c[f"{rw}_bound_sim_frac"] = float(np.mean(np.diff(s["exp_reward"], axis=1).mean(0) >= mean_bound))
    sh = results["sim_plateau"]["shares"][:, -1]
    ex_sh = results[f"exact_plateau_K{cfg.K:g}"]["shares"][-1]
    shares = agreement(sh.mean(0), np.maximum(_se(sh), 1.0 / (cfg.n * np.sqrt(cfg.replicates))), ex_sh)
    flags["shares_match"] = shares.ok
    lim = limit_shares(cfg.weights, cfg.means, cfg.sd, cfg.radius)
    c.update(shares_sim=sh.mean(0), shares_exact_T=ex_sh, shares_limit=lim, shares_z=shares.worst)
    failed = [k for k, v in flags.items() if not v]
    rule = "rises: 5 s.e.; falls: paired one-sided t, α = 0.05; mass per mode: agreement within 5 s.e."
    return {"verdict": Verdict.of(not failed, rule, failed=", ".join(failed) or "none", shares_z=shares.worst),
            "headline": f"E[e^r] {c['distance_exp_reward'][0]:.3f} → {c['distance_exp_reward'][1]:.3f} (distance "
                        f"reward) and {c['plateau_exp_reward'][0]:.3f} → {c['plateau_exp_reward'][1]:.3f} (plateau); "
                        f"det Cov {c['distance_gen_var'][0]:.2f} → {c['distance_gen_var'][1]:.2g} and "
                        f"{c['plateau_gen_var'][0]:.2f} → {c['plateau_gen_var'][1]:.2f}; plateau mass on modes 0/1 "
                        f"{c['shares_sim'][0]:.3f}/{c['shares_sim'][1]:.3f} against the exact update's "
                        f"{ex_sh[0]:.3f}/{ex_sh[1]:.3f} ({shares.worst:.1f} s.e.) and the limit p₀|_B "
                        f"{lim[0]:.3f}/{lim[1]:.3f}.", **c}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting
    from lab.plotting import summarize

    T, K = cfg.generations, cfg.K
    t = np.arange(T + 1)
    col = {"distance": "C3", "plateau": "C0"}
    name = {"distance": "r = −‖x − c‖", "plateau": f"r = −max(‖x − c‖ − {cfg.radius:g}, 0)"}
    c = summary(results, cfg)
    fig, axes = plt.subplots(2, 3, figsize=(18, 12.5))

    ax = axes[0, 0]  # (a) reward
    for rw in REWARDS:
        s = results[f"sim_{rw}"]
        plotting.band(ax, t, summarize(s["exp_reward"]), label=f"{name[rw]}: E[e^r], simulation", color=col[rw])
        plotting.band(ax, t, summarize(s["reward"]), label=f"{name[rw]}: E[r], simulation", color=col[rw],
                      line="mean", alpha=0.10)
        ax.lines[-1].set_ls("-.")
        for Kx, ls in ((K, "--"), (float("inf"), ":")):
            ex = results[f"exact_{rw}_K{Kx:g}"]
            plotting.theory(ax, t, ex["exp_reward"], color=col[rw], ls=ls)
            plotting.theory(ax, t, ex["reward"], color=col[rw], ls=ls)
    ax.plot([], [], "k--", label=f"exact update, K = {K}")
    ax.plot([], [], "k:", label="exact update, K = ∞")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(title="(a) reward rises: E[e^r] (solid) and E[r] (dash-dot)\nmean and 10–90 % band over replicates",
           xlabel="generation t", ylabel="E_{p_t}[e^r], E_{p_t}[r]")
    ax.legend(fontsize=8, loc="lower right")

    ax = axes[0, 1]  # (b) per-generation rise vs C1's bound
    for rw in REWARDS:
        s, ex = results[f"sim_{rw}"], results[f"exact_{rw}_K{K:g}"]
        rise = np.diff(s["exp_reward"], axis=1)
        b = (K - 1) / K * (s["exp2_reward"] - s["exp_reward"] ** 2)[:, :-1]
        ax.errorbar(t[1:], rise.mean(0), yerr=2 * _se(rise), fmt="o", ms=3, color=col[rw], capsize=2,
                    label=f"{rw}: simulated rise (±2 s.e.)")
        ax.plot(t[1:], b.mean(0), "v", ms=4, color=col[rw], mfc="none",
                label=f"{rw}: C1 bound at the fitted p_t (mean)")
        plotting.theory(ax, t[1:], np.diff(ex["exp_reward"]), color=col[rw])
        ax.plot(t[1:], ex["bound"], "-", lw=0.8, color=col[rw], alpha=0.6)
    ax.plot([], [], "k--", label=f"exact update's rise, K = {K}")
    ax.plot([], [], "k-", lw=0.8, label="C1 bound on the exact p_t")
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.set(title=f"(b) rise of E[e^r] per generation vs C1's lower bound (K = {K})\n"
                 f"simulated mean rise ≥ mean bound in {c['distance_bound_sim_frac']:.0%} (distance), "
                 f"{c['plateau_bound_sim_frac']:.0%} (plateau) of generations",
           xlabel="generation t (rise from t − 1 to t)", ylabel="E_t[e^r] − E_{t−1}[e^r] (symlog)")
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.12))

    ax = axes[0, 2]  # (c) diversity: generalized variance
    for rw in REWARDS:
        s, ex = results[f"sim_{rw}"], results[f"exact_{rw}_K{K:g}"]
        plotting.band(ax, t, summarize(s["gen_var"]), label=f"{rw}: simulation (MixtureFit)", color=col[rw])
        plotting.theory(ax, t, ex["gen_var"], color=col[rw], label=f"exact update, K = {K}")
    ax.axhline(results[f"exact_plateau_K{K:g}"]["limit"]["gen_var"], color=col["plateau"], lw=0.9, ls=":",
               label="det Cov of the limit p₀|_B (plateau)")
    ax.set_yscale("log")
    ax.set(title="(c) diversity: generalized variance det Cov_{p_t}\n(distance: → 0, the limit is the point c)",
           xlabel="generation t", ylabel="det Cov")
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.12))

    ax = axes[1, 0]  # (d) diversity: entropy
    for rw in REWARDS:
        s, ex = results[f"sim_{rw}"], results[f"exact_{rw}_K{K:g}"]
        plotting.band(ax, t, summarize(s["entropy"]), label=f"{name[rw]}: simulation", color=col[rw])
        plotting.theory(ax, t, ex["entropy"], color=col[rw], label=f"exact update, K = {K}")
    ax.axhline(results[f"exact_plateau_K{K:g}"]["limit"]["entropy"], color=col["plateau"], lw=0.9, ls=":",
               label="entropy of p₀|_B (plateau limit)")
    ax.set(title="(d) diversity: differential entropy −E log p_t (nats)", xlabel="generation t", ylabel="entropy")
    ax.legend(fontsize=8, loc="lower left")

    ax = axes[1, 1]  # (e) mass per mode, plateau
    s, ex = results["sim_plateau"], results[f"exact_plateau_K{K:g}"]
    lim = c["shares_limit"]
    for j, cc in zip(range(len(cfg.weights)), ("C0", "C1", "C2", "C4")):
        plotting.band(ax, t, summarize(s["shares"][..., j]), label=f"mode {j} (π = {cfg.weights[j]:g}): simulation",
                      color=cc, alpha=0.15)
        plotting.theory(ax, t, ex["shares"][:, j], color=cc)
        ax.axhline(lim[j], color=cc, lw=0.9, ls=":")
    ax.plot([], [], "k--", label=f"exact update, K = {K}")
    ax.plot([], [], "k:", label="limit p₀|_B: π_j P_j(B)/Σ π_l P_l(B)")
    ax.set(title=f"(e) plateau: mass per truth mode → p₀ restricted to B(c, {cfg.radius:g})\nlimit "
                 f"{', '.join(f'{v:.3f}' for v in lim)}; run's final means "
                 f"{', '.join(f'{v:.3f}' for v in c['shares_sim'])}",
           xlabel="generation t", ylabel="truth-posterior mass of mode j")
    ax.legend(fontsize=8, loc="center right")

    ax = axes[1, 2]  # (f) the limit's shape
    import jax.numpy as jnp

    truth = _truth(cfg.weights, cfg.means, cfg.sd)
    g = np.linspace(-4.5, 4.5, 220)
    X, Y = np.meshgrid(g, g)
    xy = np.stack([X.ravel(), Y.ravel()], -1)
    dens = np.exp(np.asarray(truth.component_log_probs(jnp.asarray(xy)))).sum(1).reshape(X.shape)
    inside = np.hypot(X - cfg.means[0][0], Y - cfg.means[0][1]) <= cfg.radius
    ax.contour(X, Y, dens, levels=6, colors="0.75", linewidths=0.7)
    ax.contourf(X, Y, np.where(inside, dens, np.nan), levels=8, cmap="Blues", alpha=0.5)
    for rw, mk in (("plateau", "."), ("distance", "x")):
        d = results[f"sim_{rw}"]["final_draws"]
        ax.plot(d[:, 0], d[:, 1], mk, ms=3, color=col[rw], alpha=0.6, label=f"{name[rw]}: draws of p_{T} (4 runs)")
    ax.add_patch(plt.Circle(cfg.means[0], cfg.radius, fill=False, color="k", lw=1, ls="--"))
    for j, m in enumerate(cfg.means):
        ax.annotate(f"mode {j}", m, xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set(title="(f) the limit's shape: p₀ (grey contours), p₀|_B (blue fill),\nB(c, ρ) dashed; final-generation draws",
           xlabel="x₁", ylabel="x₂", aspect="equal", xlim=(-4.5, 4.5), ylim=(-4.5, 4.5))
    ax.legend(fontsize=8, loc="lower left")

    v = c["verdict"]
    fig.suptitle(f"Curated loop on a 2-D mixture (THEORY C1): Replace + Curate(K = {K}), MixtureFit(4), n = {cfg.n}, "
                 f"{cfg.replicates} replicates; dashed = exact update — {v.status}\nrule: {v.rule}", fontsize=11)
    fig.tight_layout()
    return fig
