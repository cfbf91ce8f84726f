# Longer than ~150 lines: the polluter, the padded one-program SIMS fit over shares and a two-metric verdict.
"""SIMS under pollution: the real training set holds a growing share of synthetic rows.

Claim (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", Sec. 4.2.2, THEORY N1): SIMS
still improves on its base when the real set D_r is polluted by synthetic data D_p with |D_p| below 60 % of |D_r|
(CIFAR-10). Question for the lab's run: at which pollution share ρ = |D_p| / |D_r| does SIMS stop improving?
Setting (2-D ring, ``lab.sims.worlds.ring``): D_r = n truth draws; the polluter is a ``lab.Diffusion`` fitted on D_r for
a fifth of the base's budget, so its rows are visibly off the truth (blurred modes, bridges); the polluted set is D_r
plus the first round(ρ n) rows of n polluter samples (nested in ρ), padded to 2n rows with zero weights so one
compiled program serves every share; base and SIMS: ``lab.SIMS(lab.Diffusion(...), budget=B, synthetic=n)`` on it,
seeds vmapped, guided samples for every ω from the same noises (ω = 0 is the base, bit for bit).
Keys: seed r's root fold_in(key(key), r) draws D_r (10000), trains the polluter (10002), draws its samples (10003),
runs SIMS (1: fit fold_in(·, 0), ω noises fold_in(·, 3)); metric truth draws come from 20001. All are common to every
share and ω, so the curves over ρ and ω are paired (common random numbers).
Metrics (jitted, seeds vmapped): sliced W₂ (64 directions) to fresh truth draws, the NLL under the truth (not a
divergence, but mass smeared between modes raises it sharply), k-NN precision/recall (k = 5).
Verdict rule (``lab.analysis``, paired t): at share ρ, SIMS improves when the paired gain W₂(base) − W₂(SIMS at ω*) is
significantly > 0, or the NLL gain at the NLL's ω* is AND W₂ there is not significantly worse (as in ``sims_toy``).
Gains: one-sided t over seeds at α = 0.05 Bonferroni-corrected over (ω > 0 searched) × (2 metrics); the W₂ guard at
uncorrected α. SUPPORTED when SIMS improves at every share below 0.6 (intersection–union).
Results: ``figures/sims_pollution.json``. On this toy the polluter's smeared mass stays near the ring, which sliced W₂
barely sees, so the NLL carries the damage; whether SIMS undoes it is the figure's question.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace

import numpy as np

from lab import analysis
from lab.sims import estimate, suite, worlds

NAME = "sims_pollution"
CLAIM = "SIMS still improves on its base while synthetic pollution stays below 60 % of the real set's size"
VERDICT_METRICS = {"w2": "sliced W₂", "nll": "NLL (nats)"}


@dataclass(frozen=True)
class Config:
    world: str = "ring"  # only the 2-D ring here (metrics against the analytic truth)
    k: int = 8  # ring: number of modes
    radius: float = 2.0  # ring: radius of the mode centres
    std: float = 0.15  # ring: per-coordinate std of each mode
    n: int = 512  # real rows |D_r| (the polluter's training set too)
    shares: tuple = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # pollution ρ = |D_p| / |D_r|; one cell per share
    replicates: int = 3  # seeds, vmapped inside each cell
    key: int = 0  # root key: seed r uses fold_in(key(key), r)
    net: str = "mlp"  # lab.diffusion.MLP(width, depth)
    width: int = 64  # MLP width
    depth: int = 3  # MLP hidden layers
    steps: int = 1000  # training steps of the base (from scratch)
    polluter_steps: int = 200  # training steps of the polluter (an under-trained previous generation, on D_r)
    batch: int = 256  # rows per training step
    lr: float = 2e-3  # peak Adam learning rate (training from scratch)
    sigma_data: float = 1.4  # σ_d of EDM's preconditioning (ring: √(radius²/2 + std²) ≈ 1.42)
    aux_steps: int = 200  # B, fine-tuning steps of the auxiliary model
    aux_lr: float = 1e-3  # peak Adam learning rate of the fine-tuning
    omegas: tuple = (0.0, 0.25, 0.5, 1.0)  # guidance strengths (0 = the base)
    fixed_omega: float = 0.5  # the ω drawn as a fixed-ω curve (must be in omegas)
    sampler_steps: int = 18  # N of the Heun sampler (Karras et al. 2022, Alg. 1)
    n_eval: int = 1000  # samples per ω for evaluation (sliced W₂ and NLL)
    projections: int = 64  # directions of the sliced W₂
    pr_samples: int = 1000  # subsample size of precision/recall
    scatter: int = 600  # rows kept for the figure

    def __post_init__(self):
        if self.world != "ring":
            raise ValueError(f"world must be 'ring', got {self.world!r}")
        if any(not 0.0 <= r <= 1.0 for r in self.shares) or len(self.shares) < 2:
            raise ValueError(f"shares must hold at least two values in [0, 1], got {self.shares}")
        if 0.0 not in self.omegas or self.fixed_omega not in self.omegas or len(self.omegas) < 2:
            raise ValueError(f"omegas must contain 0, fixed_omega = {self.fixed_omega} and a positive value")
        if self.replicates < 1:
            raise ValueError(f"replicates must be at least 1, got {self.replicates}")


QUICK = Config()
# gpu (not yet run): one H100, sized from FLOPs (MLP(256, 4), 16 seeds vmapped per share ≈ 0.16 PFLOP a cell): 3–6 min.
PRESETS = {"cpu-quick": QUICK,
           "cpu-full": replace(QUICK, shares=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                               replicates=8, steps=3000, polluter_steps=600, aux_steps=500, n_eval=2000,
                               pr_samples=2000),
           "gpu": replace(QUICK, n=4096, shares=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), replicates=16, width=256, depth=4,
                          steps=6000, polluter_steps=1200, batch=1024, aux_steps=1500, lr=1e-3, aux_lr=5e-4,
                          omegas=(0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0), n_eval=4000, pr_samples=2000)}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]
estimate_seconds = estimate.pollution  # run-time estimate printed by ``python -m lab sims``


def settings_of(cfg: Config) -> dict:
    """The cell settings: every field but the shares."""
    return suite.settings_of(cfg, ("shares",))


def _root(s: dict):
    """(R,) seed keys fold_in(key(key), r)."""
    import jax
    import jax.numpy as jnp

    return jax.vmap(lambda r: jax.random.fold_in(jax.random.key(s["key"]), r))(jnp.arange(s["replicates"]))


@functools.lru_cache(maxsize=4)
def _sources(settings_json: str):
    """(D_r (R, n, 2), polluter samples (R, n, 2), the polluter's metrics), once per process (every share shares
    them): the polluter is ``lab.Diffusion.fit`` with ``polluter_steps``, seeds vmapped."""
    import jax
    import jax.numpy as jnp

    s = json.loads(settings_json)
    tr, n, roots = worlds.ring(s), s["n"], _root(s)
    real = jax.vmap(lambda k: tr.sample(key=jax.random.fold_in(k, 10_000), n=n))(roots).astype(jnp.float32)
    pol = worlds.settings_diffusion(s, s["polluter_steps"])

    def make(x, k):
        p = pol.fit(x, jnp.ones(n, jnp.float32), key=jax.random.fold_in(k, 10_002))
        return pol.sample(p, key=jax.random.fold_in(k, 10_003), n=n).astype(jnp.float32), p.loss

    synthetic, loss = jax.jit(jax.vmap(make))(real, roots)
    if not np.all(np.isfinite(np.asarray(loss))):
        raise FloatingPointError("the polluter's training loss is not finite (lower lr)")
    quality = worlds.ring_metrics(s, synthetic, jax.vmap(lambda k: jax.random.fold_in(k, 20_001))(roots))
    return np.asarray(real), np.asarray(synthetic), quality


def polluted_set(share: float, settings: dict) -> tuple[np.ndarray, dict]:
    """((R, n + round(ρ n), 2) float32 training rows at pollution ρ, one set per seed; info incl. the polluter's
    metrics)."""
    real, synthetic, quality = _sources(json.dumps(settings, sort_keys=True))
    m = int(round(share * settings["n"]))
    return np.concatenate([real, synthetic[:, :m]], axis=1), {"polluter": dict(quality), "n_real": settings["n"],
                                                               "n_synthetic": m}


def sims_family(s: dict):
    """``lab.SIMS`` of the base diffusion family (B = aux_steps, n_s = n); its ω is swept at sampling."""
    import lab

    return lab.SIMS(worlds.settings_diffusion(s, s["steps"]), omega=0.0, budget=s["aux_steps"], synthetic=s["n"],
                    aux_lr=s["aux_lr"])


@functools.lru_cache(maxsize=4)
def _sims_fn(settings_json: str):
    """The jitted, seed-vmapped SIMS fit (fold_in(key, 0)) and ω sweep (common noises fold_in(key, 3)) of
    ``lab.sims.pipeline`` on a set padded to 2n rows with zero weights (one compiled program for every share)."""
    import jax
    import jax.numpy as jnp

    s = json.loads(settings_json)
    model = sims_family(s)

    def one(x, w, key):
        params = model.fit(x, w, key=jax.random.fold_in(key, 0))
        k3 = jax.random.fold_in(key, 3)
        return (tuple(replace(model, omega=float(om)).sample(params, key=k3, n=s["n_eval"]).astype(jnp.float32)
                      for om in s["omegas"]), params.base.loss, params.aux.loss)

    return jax.jit(jax.vmap(one))


def run_share(share: float, settings: dict) -> dict:
    """Base and SIMS on the sets polluted at ``share``, seeds vmapped: metrics {str(ω): {name: (R,) list}}, the
    polluter's metrics, the truth's reference values, replicate 0's samples at ω = 0 and fixed_omega, the record."""
    import jax

    rows, info = polluted_set(share, settings)
    R, N, _ = rows.shape
    pad = 2 * settings["n"] - N
    x = np.concatenate([rows, np.zeros((R, pad, 2), np.float32)], axis=1)
    w = np.concatenate([np.ones((R, N), np.float32), np.zeros((R, pad), np.float32)], axis=1)
    roots = _root(settings)
    samples, base_loss, aux_loss = _sims_fn(json.dumps(settings, sort_keys=True))(
        x, w, jax.vmap(lambda k: jax.random.fold_in(k, 1))(roots))
    for name, loss in (("base", base_loss), ("auxiliary", aux_loss)):
        if not np.all(np.isfinite(np.asarray(loss))):
            raise FloatingPointError(f"the {name} model's training loss is not finite at share {share} (lower lr)")
    samples = dict(zip(settings["omegas"], samples))
    k_metric = jax.vmap(lambda k: jax.random.fold_in(k, 20_001))(roots)
    record = {"share": share, "settings": settings, "model": sims_family(settings).describe(),
              "data_shape": [R, N, 2], "base_loss": np.asarray(base_loss).tolist(),
              "aux_loss": np.asarray(aux_loss).tolist()}
    metrics = {str(float(w)): worlds.ring_metrics(settings, s, k_metric) for w, s in samples.items()}
    return {"record": record, "metrics": metrics,
            "reference": worlds.ring_references(settings), **info,
            "scatter": {str(float(w)): np.asarray(samples[w][0, :settings["scatter"]], np.float32)
                        for w in (0.0, settings["fixed_omega"])}}


def cells(cfg: Config):
    from lab.study import Cell

    s = settings_of(cfg)
    return [Cell(f"rho{share:g}", run_share, dict(share=float(share), settings=s)) for share in cfg.shares]


def gpu_check_configs(cfg: Config) -> list:
    """(``lab.Diffusion`` family, data shape) of the polluter (n rows), the base (padded 2n) and the fine-tuning."""
    s = settings_of(cfg)
    sims = sims_family(s)
    return (suite.gpu_check(worlds.settings_diffusion(s, cfg.polluter_steps), (cfg.n, 2))
            + suite.gpu_check(sims.base, (2 * cfg.n, 2)) + suite.gpu_check(replace(sims.base, train=sims.aux_train),
                                                                           (cfg.n, 2)))


def table(results: dict, cfg: Config, metric: str = "w2") -> np.ndarray:
    """(shares, replicates, omegas) values of ``metric``."""
    return np.array([[results[f"rho{r:g}"]["metrics"][str(float(w))][metric] for w in cfg.omegas]
                     for r in cfg.shares]).transpose(0, 2, 1)


def comparisons(cfg: Config) -> int:
    """Bonferroni divisor of the gain tests: (ω > 0 searched for ω*) × (two metrics, either of which may credit)."""
    return analysis.searched(cfg.omegas) * len(VERDICT_METRICS)


def improvement(results: dict, cfg: Config, metric: str = "w2") -> dict:
    """Per share: base mean, ω*, "test" (paired metric(base) − metric(SIMS at ω*), Bonferroni ``comparisons``),
    "gain_best" and "gain_fixed" as (mean, SE), and "w2_harm": paired W₂(ω*) − W₂(base) (uncorrected: the guard)."""
    v, w2, om = table(results, cfg, metric), table(results, cfg, "w2"), list(cfg.omegas)
    i0, i_fix, out = om.index(0.0), om.index(cfg.fixed_omega), {}
    for j, r in enumerate(cfg.shares):
        best = analysis.best_index(v[j], cfg.omegas)
        test = analysis.paired(v[j, :, i0], v[j, :, best], comparisons=comparisons(cfg))
        fixed = analysis.paired(v[j, :, i0], v[j, :, i_fix])
        out[r] = {"base": float(v[j, :, i0].mean()), "omega_star": float(om[best]),
                  "sims_best": float(v[j, :, best].mean()), "sims_fixed": float(v[j, :, i_fix].mean()), "test": test, "gain_best": (test.mean, test.se),
                  "gain_fixed": (fixed.mean, fixed.se), "w2_harm": analysis.paired(w2[j, :, best], w2[j, :, i0])}
    return out


def improves(results: dict, cfg: Config) -> dict:
    """{metric: {share: bool}}: a significant gain, and for the NLL also W₂ not significantly worse at its ω*."""
    return {m: {r: g["test"].greater() and (m == "w2" or not g["w2_harm"].greater())
                for r, g in improvement(results, cfg, m).items()} for m in VERDICT_METRICS}


def summary(results: dict, cfg: Config) -> dict:
    """The rule over the shares below 0.6 (module docstring) and, per metric, the largest share where SIMS improves."""
    ok_m, below = improves(results, cfg), [r for r in cfg.shares if r < 0.6]
    largest = {m: max([r for r in cfg.shares if ok_m[m][r]], default=None) for m in VERDICT_METRICS}
    imp = {m: improvement(results, cfg, m) for m in VERDICT_METRICS}
    level = next(iter(imp["w2"].values()))["test"].level()
    v = analysis.Verdict.of(bool(below) and all(ok_m["w2"][r] or ok_m["nll"][r] for r in below),
                            f"paired t of metric(base) − metric(SIMS at ω*) at every ρ < 0.6, {level} (ω × 2 metrics); "
                            f"an NLL gain needs W₂ not worse (α = 0.05)",
                            **{f"largest_share_{m}": largest[m] for m in VERDICT_METRICS})
    gains = {m: {f"{r:g}": {"omega_star": g["omega_star"], "base": g["base"], "sims": g["sims_best"],
                            **g["test"].to_dict()} for r, g in imp[m].items()} for m in VERDICT_METRICS}
    words = {m: "none" if largest[m] is None else f"ρ = {largest[m]:g}" for m in VERDICT_METRICS}
    g0 = {m: imp[m][cfg.shares[0]]["test"] for m in VERDICT_METRICS}
    return {"verdict": v, "largest_share": largest, "gains": gains,
            "headline": f"Largest share where SIMS improves on its base over {cfg.replicates} seeds: sliced W₂ "
                        f"{words['w2']}, NLL {words['nll']}; at ρ = {cfg.shares[0]:g} the gains are {g0['w2'].fmt()} "
                        f"(W₂) and {g0['nll'].fmt()} (NLL). N1 (CIFAR-10): improves below ρ = 0.6."}


def verdict(results: dict, cfg: Config) -> tuple:
    """(ok, text) of ``summary`` (``lab.readme``'s gpu table)."""
    return suite.verdict_of(summary(results, cfg))


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    s, shares, om = summary(results, cfg), np.asarray(cfg.shares, float), list(cfg.omegas)
    first = results[f"rho{cfg.shares[0]:g}"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 10), gridspec_kw=dict(hspace=0.55, wspace=0.25))
    for ax, (m, label) in zip(axes[0], VERDICT_METRICS.items()):
        v, im = table(results, cfg, m), improvement(results, cfg, m)
        best = np.array([v[j, :, om.index(im[r]["omega_star"])] for j, r in enumerate(cfg.shares)])
        for y, lab, c, ls in ((v[:, :, om.index(0.0)], "base (ω = 0)", "C3", "-"), (best, "SIMS at ω*", "C2", "-"),
                              (v[:, :, om.index(cfg.fixed_omega)], f"SIMS at ω = {cfg.fixed_omega:g}", "C9", "--")):
            ax.plot(shares, y.mean(1), color=c, ls=ls, marker="o", ms=4, label=lab)
            ax.fill_between(shares, y.min(1), y.max(1), color=c, alpha=0.12, lw=0)
        ax.axhline(np.mean(first["polluter"][m]), color="0.3", ls="-.", lw=1.2, zorder=4, label="polluter's samples")
        ax.axhline(first["reference"]["w2_floor" if m == "w2" else "nll_truth"], color="k", ls=":", lw=1.2, zorder=4,
                   label="truth's own value")
        ax.axvline(0.6, color="0.6", lw=0.8)
        ax.set(xlabel="pollution ρ = |D_p| / |D_r|", title=f"({'ab'[list(VERDICT_METRICS).index(m)]}) {label}")
        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    ax = axes[1, 0]
    q = analysis.t_quantile(cfg.replicates, analysis.ALPHA, comparisons(cfg))
    for (m, name), c, off in zip(VERDICT_METRICS.items(), ("C2", "C1"), (-0.008, 0.008)):
        g = s["gains"][m]
        stars = sorted({d["omega_star"] for d in g.values()})
        ax.errorbar(shares + off, [d["mean"] for d in g.values()], yerr=[q * d["se"] for d in g.values()], marker="o",
                    capsize=3, color=c, label=f"{name}; ω* ∈ {{{', '.join(f'{w:g}' for w in stars)}}}")
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(0.6, color="0.6", lw=0.8)
    ax.set(xlabel="pollution ρ = |D_p| / |D_r|", title=f"(c) gain metric(base) − metric(SIMS at ω*), ± {q:.2f} SE")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    ax = axes[1, 1]
    sc = results[f"rho{cfg.shares[-1]:g}"]["scatter"]
    ax.scatter(*np.asarray(sc["0.0"]).T, s=3, color="C3", alpha=0.6, label="base")
    ax.scatter(*np.asarray(sc[str(float(cfg.fixed_omega))]).T, s=3, color="C2", alpha=0.6,
               label=f"SIMS ω = {cfg.fixed_omega:g}")
    ax.scatter(*np.asarray(worlds.ring(settings_of(cfg)).means).T, marker="x", color="k", s=40, label="mode centres")
    lim = 1.4 * cfg.radius + 4 * cfg.std
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", title=f"(d) samples at ρ = {cfg.shares[-1]:g}, seed 0")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0), markerscale=3, frameon=False)
    fig.suptitle(f"SIMS under pollution (2-D ring): does SIMS still improve on its base below 60 % pollution?\n"
                 f"{s['verdict'].status} (paired one-sided t over seeds, α = 0.05 / {comparisons(cfg)} Bonferroni, "
                 f"at every ρ < 0.6)", fontsize=12)
    return fig
