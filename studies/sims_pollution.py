"""SIMS under pollution: the real training set holds a growing share of synthetic rows (THEORY N1; issue 6 item 5).

Claim tested (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", Sec. 4.2.2, quoted in
THEORY N1): in a synthetic augmentation loop, the second-generation SIMS still improves FID when the real set D_r is
polluted by synthetic data D_p with |D_p| below 60 % of |D_r| (CIFAR-10: |D_p| < 30k; FFHQ-64: 20 %). Question for
the lab's run: at which pollution share does SIMS stop improving on its base?

Setting (2-D world, exact metrics; ``lab.sims.data.ring``), the paper's reading of "share", ρ = |D_p| / |D_r|:
    real       D_r, n truth draws;
    polluter   the previous generation: an EDM model trained on D_r for ``polluter_steps`` steps (its own key),
               a fifth of the base's budget, so that its rows are visibly off the truth (blurred modes, bridges
               between them). With the base's own budget (measured, quick preset, 3 seeds) the pollution did not
               hurt the base at any ρ ≤ 1 (W₂ 0.34–0.37 flat; the polluter's own samples 0.45), and SIMS's gains
               were all within 2 s.e. of 0 — a run with no power to answer the question;
    polluted   D_r plus the first round(ρ n) rows of a set S of n polluter samples (n + round(ρ n) rows; nested:
               raising ρ only adds synthetic rows);
    base, SIMS ``lab.sims.run_sims`` on the polluted set: the base trained from scratch, n_s = n of its own samples,
               the auxiliary model fine-tuned from it for B = ``aux_steps`` steps, guided samples for every ω in
               ``omegas`` (ω = 0 is the base, bit for bit).
Keys: seed s draws D_r from fold_in(key(s), 10000), trains the polluter with fold_in(key(s), 10002), draws S with
fold_in(key(s), 10003) and runs SIMS with fold_in(key(s), 1);
the metrics' truth draws come from fold_in(key(s), 20001). All are common to every share and every ω, so the
curves over ρ and ω are paired (common random numbers).

Metrics: ``evaluate_toy`` against the analytic truth: exact W₂ between sample sets, NLL under the truth (not a
divergence: mass piled on the modes scores below the truth's entropy; but mass smeared into the gaps between modes
raises it sharply), precision/recall. Measured (quick): the blurred polluter smears mass along the ring; the base's
NLL climbs from 1.24 (ρ = 0) to 3.04 nats (ρ = 1) and its precision falls from 0.97 to 0.85, while W₂ hardly moves
(0.31–0.37: the misplaced mass travels a short way). So both metrics are read.
Verdict (the SIMS studies' shared rule, ``studies._sims_common``): at share ρ, SIMS improves on its base when the
paired gain W₂(base) − W₂(SIMS at ω*_W₂) is significantly > 0, or when the NLL gain at ω*_NLL is significantly > 0
AND W₂ there is not significantly worse (the NLL is not a divergence, as in ``sims_toy``). Gains: one-sided paired t
over seeds at α = 0.05, Bonferroni-corrected over (ω > 0 searched) × (2 metrics); the W₂ guard at uncorrected
α = 0.05. ω* is the ω > 0 with the best mean at that share for that metric, picked on the same seeds. The claim is
SUPPORTED when SIMS improves at every share below 0.6 that the run holds (an intersection–union test); the figure
names the largest share where it still improves.

What the quick run measured (3 seeds, ρ ∈ {0, 0.2, …, 1}, ω ∈ {0.25, 0.5, 1}): SIMS improves on its base at no share,
on either metric. W₂ gains +0.002 ± 0.010 (ρ = 0) … +0.004 ± 0.001 (ρ = 1), none significant (q = t_{1−0.05/6}(2) = 7.65); NLL gains negative
everywhere (−0.05 ± 0.03 at ρ = 0, −0.02 ± 0.04 at ρ = 1: the guidance adds spread on this toy rather than removing
it). Quick preset: 135 s wall at load average 4.6–7.7 on the shared 2-core machine, 83 s of CPU (user) time.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace

import numpy as np

from studies import _sims_common as common
from studies import sims_loop as loop_study

NAME = "sims_pollution"
CLAIM = "SIMS still improves on its base while synthetic pollution stays below 60 % of the real set's size"


@dataclass(frozen=True)
class Config:
    world: str = "ring"  # only the 2-D ring here (exact metrics); digits are left to a later study
    k: int = 8  # ring: number of modes
    radius: float = 2.0  # ring: radius of the mode centres
    std: float = 0.15  # ring: per-coordinate std of each mode
    n: int = 512  # real rows |D_r| (the polluter's training set too)
    shares: tuple = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # pollution ρ = |D_p| / |D_r|
    seeds: tuple = (0, 1, 2)  # one cell per (share, seed)
    width: int = 64  # MLP width
    depth: int = 3  # MLP hidden layers
    steps: int = 1000  # training steps of the base (from scratch)
    polluter_steps: int = 200  # training steps of the polluter (an under-trained previous generation, on D_r)
    batch: int = 256  # rows per training step
    lr: float = 2e-3  # peak Adam learning rate (training from scratch)
    sigma_data: float = 1.4  # σ_d of the preconditioning (ring: √(radius²/2 + std²) ≈ 1.42)
    aux_steps: int = 200  # B, fine-tuning steps of the auxiliary model
    aux_lr: float = 1e-3  # peak Adam learning rate of the fine-tuning
    omegas: tuple = (0.0, 0.25, 0.5, 1.0)  # guidance strengths (0 = the base)
    fixed_omega: float = 0.5  # the ω drawn as a fixed-ω curve (must be in omegas)
    sampler_steps: int = 18  # N of the Heun sampler (Karras et al. 2022, Alg. 1)
    n_eval: int = 1000  # samples per ω for evaluation
    ot_samples: int = 1000  # sample-set size of the exact W₂
    pr_samples: int = 1000  # subsample size of precision/recall
    scatter: int = 600  # rows kept for the figure

    def __post_init__(self):
        if self.world != "ring":
            raise ValueError(f"world must be 'ring', got {self.world!r}")
        if any(not 0.0 <= r <= 1.0 for r in self.shares) or len(self.shares) < 2:
            raise ValueError(f"shares must hold at least two values in [0, 1], got {self.shares}")
        if 0.0 not in self.omegas or self.fixed_omega not in self.omegas or len(self.omegas) < 2:
            raise ValueError(f"omegas must contain 0, fixed_omega = {self.fixed_omega} and a positive value")


QUICK = Config()
PRESETS = {"cpu-quick": QUICK,
           "cpu-full": replace(QUICK, shares=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                               seeds=(0, 1, 2, 3, 4), steps=3000, polluter_steps=600, aux_steps=500, n_eval=2000,
                               ot_samples=2000, pr_samples=2000),
           "gpu-full": replace(QUICK, n=4096, shares=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                               seeds=tuple(range(8)), width=256, depth=4, steps=20000, polluter_steps=4000,
                               batch=1024, aux_steps=2000, omegas=(0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
                               n_eval=4000, ot_samples=2000, pr_samples=4000)}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]


def settings_of(cfg: Config) -> dict:
    """The cell settings: every field but the seeds and shares (``studies._sims_common.settings_of``)."""
    return common.settings_of(cfg, ("seeds", "shares"))


def polluted_set(share: float, seed: int, settings: dict) -> tuple[np.ndarray, dict]:
    """((n + round(ρ n), 2) float32 training rows at pollution ρ, info incl. the polluter's own metrics)."""
    real, synthetic, quality, p_cfg = _sources(seed, json.dumps(settings, sort_keys=True))
    n = settings["n"]
    m = int(round(share * n))
    rows = np.concatenate([real, synthetic[:m]])
    return rows, {"polluter": dict(quality), "polluter_config": dict(p_cfg), "n_real": n, "n_synthetic": m}


@functools.lru_cache(maxsize=8)
def _sources(seed: int, settings_json: str):
    """(D_r, S, the polluter's metrics, its TrainConfig dict) of one seed: computed once per process, since every
    share of a seed shares them (same keys, same bits)."""
    import jax

    from lab import sims

    settings = json.loads(settings_json)
    tr = loop_study.truth(settings)
    n = settings["n"]
    root = jax.random.key(seed)
    real = np.asarray(tr.sample(jax.random.fold_in(root, 10_000), n), np.float32)
    base_cfg, _, sampler = loop_study.train_configs(settings)
    p_cfg = replace(base_cfg, steps=settings["polluter_steps"], warmup=min(100, settings["polluter_steps"] // 10))
    polluter = sims.train(jax.random.fold_in(root, 10_002), real, loop_study.spec(settings), p_cfg)
    synthetic = np.asarray(sims.sample(polluter, jax.random.fold_in(root, 10_003), n, sampler), np.float32)
    quality = loop_study.evaluate(settings, tr, synthetic, jax.random.fold_in(root, 20_001))
    return real, synthetic, quality, p_cfg.to_dict()


def run_share(share: float, seed: int, settings: dict) -> dict:
    """Base and SIMS on the set polluted at ``share``: metrics per ω, the polluter's metrics, the full record."""
    import jax

    from lab import sims

    rows, info = polluted_set(share, seed, settings)
    base_cfg, aux_cfg, sampler = loop_study.train_configs(settings)
    cfg = sims.SIMSConfig(loop_study.spec(settings), base_cfg, aux_cfg, n_synthetic=settings["n"],
                          omegas=tuple(settings["omegas"]), n_samples=settings["n_eval"], sampler=sampler)
    res = sims.run_sims(jax.random.fold_in(jax.random.key(seed), 1), rows, cfg)
    tr = loop_study.truth(settings)
    k_metric = jax.random.fold_in(jax.random.key(seed), 20_001)
    metrics = {str(w): loop_study.evaluate(settings, tr, x, k_metric) for w, x in res.samples.items()}
    keep = settings["scatter"]
    record = {"share": share, "seed": seed, "settings": settings, "sims": res.record,
              "polluter_config": info.pop("polluter_config")}
    return {"record": record, "metrics": metrics, **info,
            "scatter": {str(w): np.asarray(res.samples[w][:keep], np.float32)
                        for w in (0.0, settings["fixed_omega"])}}


def cells(cfg: Config):
    from lab.study import Cell

    s = settings_of(cfg)
    return [Cell(f"rho{share:g}-s{seed}", run_share, dict(share=float(share), seed=int(seed), settings=s))
            for share in cfg.shares for seed in cfg.seeds]


# -------------------------------------------------------------------------------------------------------- verdict

def table(results: dict, cfg: Config, metric: str = "w2") -> np.ndarray:
    """(shares, seeds, omegas) values of ``metric``."""
    return np.array([common.table(results, [f"rho{r:g}-s{s}" for s in cfg.seeds], cfg.omegas, metric)
                     for r in cfg.shares])


VERDICT_METRICS = (("w2", "W₂"), ("nll", "NLL"))


def comparisons(cfg: Config) -> int:
    """Bonferroni divisor of the gain tests: (ω > 0 searched for ω*) × (two metrics, either of which may credit)."""
    return common.searched(cfg.omegas) * len(VERDICT_METRICS)


def improvement(results: dict, cfg: Config, metric: str = "w2") -> dict:
    """Per share: base mean, ω*, the paired comparison over seeds of metric(base) − metric(SIMS at ω*) (shared rule,
    ``studies._sims_common``; Bonferroni over ``comparisons(cfg)``) as "test" and (mean, s.e.) as "gain_best", the
    same at the fixed ω (uncorrected), and "w2_harm": the paired W₂(SIMS at ω*) − W₂(base) at this metric's ω*
    (uncorrected α: the guard). ω* = the positive ω with the lowest mean of ``metric`` over seeds at that share."""
    v = table(results, cfg, metric)
    w2 = v if metric == "w2" else table(results, cfg, "w2")
    omegas = np.asarray(cfg.omegas, float)
    i0, i_fix = int(np.flatnonzero(omegas == 0)[0]), int(np.flatnonzero(omegas == cfg.fixed_omega)[0])
    m = comparisons(cfg)
    out = {}
    for j, r in enumerate(cfg.shares):
        best = common.best_index(v[j], cfg.omegas)
        test = common.paired(v[j, :, i0], v[j, :, best], comparisons=m)
        fixed = common.paired(v[j, :, i0], v[j, :, i_fix])
        out[r] = {"base": float(v[j, :, i0].mean()), "omega_star": float(omegas[best]),
                  "sims_best": float(v[j, :, best].mean()), "sims_fixed": float(v[j, :, i_fix].mean()),
                  "test": test, "gain_best": (test.mean, test.se), "gain_fixed": (fixed.mean, fixed.se),
                  "w2_harm": common.paired(w2[j, :, best], w2[j, :, i0])}
    return out


def improves(results: dict, cfg: Config) -> dict:
    """{metric: {share: bool}}: W₂ improves when its gain is significant; the NLL (not a divergence) improves only
    when its gain is significant AND W₂ at the NLL's ω* is not significantly worse (as in ``sims_toy``)."""
    out = {}
    for metric, _ in VERDICT_METRICS:
        imp = improvement(results, cfg, metric)
        out[metric] = {r: g["test"].greater() and (metric == "w2" or not g["w2_harm"].greater())
                       for r, g in imp.items()}
    return out


def verdict(results: dict, cfg: Config) -> tuple[bool, str]:
    """SUPPORTED when, at every share below 0.6, SIMS (at ω*) improves on its base: its W₂ gain is significant, or its
    NLL gain is significant with W₂ not significantly worse there (``improves``). Gains: one-sided paired t over
    seeds at α = 0.05, Bonferroni over (ω > 0 searched) × (2 metrics); the W₂ guard at uncorrected α = 0.05; every
    share must pass (an intersection–union test, no further correction)."""
    below = [r for r in cfg.shares if r < 0.6]
    ok_metric = improves(results, cfg)
    parts = []
    for metric, name in VERDICT_METRICS:
        imp = improvement(results, cfg, metric)
        yes = [r for r in cfg.shares if ok_metric[metric][r]]
        rows = ", ".join(f"ρ={r:g}: {g['base']:.3f}→{g['sims_best']:.3f} (ω*={g['omega_star']:g}, gain "
                         f"{g['test'].fmt()})" for r, g in imp.items())
        parts.append(f"{name} base→SIMS: {rows}; largest share where SIMS improves {name}: "
                     + (f"ρ = {max(yes):g}" if yes else "none"))
    ok = bool(below) and all(ok_metric["w2"][r] or ok_metric["nll"][r] for r in below)
    p = next(iter(improvement(results, cfg).values()))["test"]
    msg = (f"{common.verdict_word(ok)}. Means over {len(cfg.seeds)} seeds; gain = metric(base) − metric(SIMS at ω*) "
           f"± SE, ω* picked on the same seeds; improves = gain − q·SE > 0 ({p.level()}: {p.comparisons} "
           f"= {common.searched(cfg.omegas)} ω × 2 metrics); an NLL gain counts only with W₂ not significantly worse "
           f"(α = 0.05). " + ". ".join(parts) + ". N1 (CIFAR-10): improves below ρ = 0.6.")
    return ok, msg


# ----------------------------------------------------------------------------------------------------------- plot

def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    s = settings_of(cfg)
    shares = np.asarray(cfg.shares, float)
    imp = improvement(results, cfg)
    q = common.t_quantile(len(cfg.seeds), common.ALPHA, comparisons(cfg))
    fig, axes = plt.subplots(1, 4, figsize=(22, 5.6), gridspec_kw=dict(width_ratios=[1, 1, 1, 1.05]))
    for ax, (metric, label) in zip(axes[:2], (("w2", "exact W₂ to truth draws"),
                                              ("nll", "NLL under the truth (nats; not a divergence)"))):
        v = table(results, cfg, metric)
        i0 = list(cfg.omegas).index(0.0)
        i_fix = list(cfg.omegas).index(cfg.fixed_omega)
        im = improvement(results, cfg, metric)
        stars = [list(cfg.omegas).index(im[r]["omega_star"]) for r in cfg.shares]
        best = np.array([v[j, :, i] for j, i in enumerate(stars)])  # (shares, seeds), ω* chosen on this metric
        for y, lab, c, ls in ((v[:, :, i0], "base (ω = 0)", "C3", "-"),
                              (best, "SIMS at ω* (best per share)", "C2", "-"),
                              (v[:, :, i_fix], f"SIMS at fixed ω = {cfg.fixed_omega:g}", "C9", "--")):
            ax.plot(shares, y.mean(1), color=c, ls=ls, marker="o", ms=4, label=lab)
            if y.shape[1] > 1:
                ax.fill_between(shares, y.min(1), y.max(1), color=c, alpha=0.12, lw=0)
        pol = np.mean([results[f"rho{cfg.shares[0]:g}-s{sd}"]["polluter"][metric] for sd in cfg.seeds])
        ax.axhline(pol, color="0.4", ls="-.", lw=1, label=f"polluter's samples ({s['polluter_steps']} steps)")
        ref = np.mean([results[f"rho{r:g}-s{sd}"]["metrics"]["0.0"]["w2_floor" if metric == "w2" else "nll_truth"]
                       for r in cfg.shares for sd in cfg.seeds])
        ax.axhline(ref, color="k", ls=":", lw=0.8, label="truth's own value")
        ax.axvline(0.6, color="0.6", lw=0.8)
        ax.set(xlabel="pollution ρ = |D_p| / |D_r|", ylabel=label,
               title=f"({'ab'[axes.tolist().index(ax)]}) {label}")
        ax.legend(fontsize=7.5)
    ax = axes[2]
    for (metric, name), c, off in zip(VERDICT_METRICS, ("C2", "C1"), (-0.008, 0.008)):
        im = improvement(results, cfg, metric)
        g = np.array([im[r]["gain_best"] for r in cfg.shares])
        ax.errorbar(shares + off, g[:, 0], yerr=q * g[:, 1], marker="o", capsize=3, color=c,
                    label=f"{name} (nats)" if metric == "nll" else name)
        for r, y in zip(cfg.shares, g[:, 0]):
            ax.annotate(f"ω*={im[r]['omega_star']:g}", (r + off, y), textcoords="offset points",
                        xytext=(4, 5 if metric == "w2" else -11), fontsize=7, color=c)
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(0.6, color="0.6", lw=0.8)
    ax.text(0.6, ax.get_ylim()[1], " N1: improves below 0.6", fontsize=8, va="top", color="0.4")
    ax.set(xlabel="pollution ρ = |D_p| / |D_r|", ylabel="metric(base) − metric(SIMS at ω*)   (> 0: SIMS better)",
           title=f"(c) SIMS's gain over its base, mean ± {q:.2f} SE over seeds\n(the verdict's bar: one-sided t, α = "
                 f"{common.ALPHA:g} / {comparisons(cfg)} Bonferroni)")
    ax.legend(fontsize=8, loc="lower left")
    ax = axes[3]
    r_hi = cfg.shares[-1]
    sc = results[f"rho{r_hi:g}-s{cfg.seeds[0]}"]["scatter"]
    ax.scatter(*sc["0.0"].T, s=3, color="C3", alpha=0.6, label="base")
    ax.scatter(*sc[str(float(cfg.fixed_omega))].T, s=3, color="C2", alpha=0.6, label=f"SIMS ω = {cfg.fixed_omega:g}")
    mu = np.asarray(loop_study.truth(s).means)
    ax.scatter(*mu.T, marker="x", color="k", s=30, label="truth's mode centres")
    lim = 1.4 * s["radius"] + 4 * s["std"]
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
           title=f"(d) samples at ρ = {r_hi:g} (seed {cfg.seeds[0]})")
    ax.legend(fontsize=7.5, loc="upper right", markerscale=3)
    ok, why = verdict(results, cfg)
    fig.suptitle(f"SIMS under pollution (2-D ring, |D_r| = {s['n']} real rows, base {s['steps']} steps, aux "
                 f"B = {s['aux_steps']}). Claim (N1): SIMS still improves on its base below 60 % pollution — "
                 f"{common.verdict_word(ok)} by the lab's run", fontsize=12)
    fig.text(0.5, -0.01, loop_study._wrap(why, 210), ha="center", va="top", fontsize=9)
    fig.tight_layout()
    return fig
