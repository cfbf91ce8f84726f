"""SIMS under pollution: the real training set holds a growing share of synthetic rows (THEORY N1; issue 6 item 5).

Claim tested (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", Sec. 4.2.2, quoted in
THEORY N1): in a synthetic augmentation loop, the second-generation SIMS still improves FID when the real set D_r is
polluted by synthetic data D_p with |D_p| below 60 % of |D_r| (CIFAR-10: |D_p| < 30k; FFHQ-64: 20 %). Question for
the lab's run: at which pollution share does SIMS stop improving on its base?

Setting (2-D world, exact metrics; ``lab.truths.ring``), the paper's reading of "share", ρ = |D_p| / |D_r|:
    real       D_r, n truth draws;
    polluter   the previous generation: ``lab.Diffusion`` (EDM, MLP) fitted on D_r for ``polluter_steps`` steps
               (``Diffusion.fit``, its own key, seeds vmapped), a fifth of the base's budget, so that its rows are
               visibly off the truth (blurred modes, bridges between them). With the base's own budget (measured
               before issue 10, quick preset, 3 seeds) the pollution did not hurt the base at any ρ ≤ 1 and SIMS's
               gains were all within 2 s.e. of 0 — a run with no power to answer the question;
    polluted   D_r plus the first round(ρ n) rows of a set S of n polluter samples (n + round(ρ n) rows; nested:
               raising ρ only adds synthetic rows), padded to 2n rows with zero weights (the families' frequency
               weights), so one compiled program serves every share;
    base, SIMS ``lab.SIMS(lab.Diffusion(...), budget=aux_steps, synthetic=n, aux_lr=...)`` on the polluted set, seeds
               vmapped (one cell per share, all seeds in it): its fit trains the base from scratch, draws n_s = n of
               its own samples and fine-tunes the auxiliary model from it for B steps; guided samples for every ω in
               ``omegas`` with the same noises (ω = 0 is the base, bit for bit), as ``lab.sims.pipeline`` does.
Keys: seed r's root is fold_in(key(key), r); it draws D_r from fold_in(root, 10000), trains the polluter with
fold_in(root, 10002), draws S with fold_in(root, 10003) and runs SIMS with fold_in(root, 1) (fit: fold_in(·, 0),
ω sweep noises: fold_in(·, 3)); the metrics' truth draws come from fold_in(root, 20001). All are common to every share
and every ω, so the curves over ρ and ω are paired (common random numbers).

Metrics (jitted, seeds vmapped; ``lab.metrics.samples``): sliced W₂ (64 directions) between the samples and fresh
truth draws — the verdict's distance; before issue 10 it was exact W₂ by POT, which on the gpu preset (16 seeds × 7 ω
× 6 shares of 4,000 points) would have dominated the run, and sliced W₂ is a metric that runs on the device (its
values are smaller than exact W₂'s, so only verdicts compare with the old numbers) —, the NLL under the truth (not a
divergence: mass piled on the modes scores below the truth's entropy; but mass smeared into the gaps between modes
raises it sharply), precision/recall (k = 5). Before issue 10 (quick): the blurred polluter smeared mass along the
ring; the base's NLL climbed steeply with ρ and its precision fell, while W₂ hardly moved (the misplaced mass travels
a short way). So both metrics are read.
Verdict (the SIMS studies' shared rule, ``lab.analysis``): at share ρ, SIMS improves on its base when the
paired gain W₂(base) − W₂(SIMS at ω*_W₂) is significantly > 0, or when the NLL gain at ω*_NLL is significantly > 0
AND W₂ there is not significantly worse (the NLL is not a divergence, as in ``sims_toy``). Gains: one-sided paired t
over seeds at α = 0.05, Bonferroni-corrected over (ω > 0 searched) × (2 metrics); the W₂ guard at uncorrected
α = 0.05. ω* is the ω > 0 with the best mean at that share for that metric, picked on the same seeds. The claim is
SUPPORTED when SIMS improves at every share below 0.6 that the run holds (an intersection–union test); the figure
names the largest share where it still improves.

What the quick run measured before issue 10 (3 seeds, exact W₂, 135 s wall): SIMS improved on its base at no share,
on either metric (W₂ gains within noise, NLL gains negative: the guidance added spread on this toy). On the engine (issue 10: seed-vmapped lab.SIMS, sliced W₂, new random
streams) the conclusion is unchanged — NOT SUPPORTED: SIMS improves on its base at no share, on either metric; the
sliced W₂ gains are within noise at every ρ and the NLL gains are again negative (the figure and the cached JSON hold
the numbers). Sliced W₂ does not rise with ρ as the NLL does: the polluter's smeared mass stays near the ring, which
random 1-D projections barely see, so here the NLL carries the damage and SIMS does not undo it. Quick preset on the
shared 2-core machine: see the report of the commit that regenerated the figure (wall time is load-bound: one
compile per program dominates at these sizes).
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace

import numpy as np

from lab import analysis
from lab.sims import estimate, suite
from studies import sims_loop as loop_study

NAME = "sims_pollution"
CLAIM = "SIMS still improves on its base while synthetic pollution stays below 60 % of the real set's size"


@dataclass(frozen=True)
class Config:
    world: str = "ring"  # only the 2-D ring here (metrics against the analytic truth); digits are left to a later study
    k: int = 8  # ring: number of modes
    radius: float = 2.0  # ring: radius of the mode centres
    std: float = 0.15  # ring: per-coordinate std of each mode
    n: int = 512  # real rows |D_r| (the polluter's training set too)
    shares: tuple = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # pollution ρ = |D_p| / |D_r|; one cell per share
    replicates: int = 3  # seeds, vmapped inside each cell (lab.sims.run_sims_seeds: one compile per cell shape)
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
PRESETS = {"cpu-quick": QUICK,
           "cpu-full": replace(QUICK, shares=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                               replicates=8, steps=3000, polluter_steps=600, aux_steps=500, n_eval=2000,
                               pr_samples=2000),
           # GPU (one H100), sized from FLOPs: MLP(256, 4) on 2-D has P ≈ 0.2 M weights; a fit costs ≈ 6·P·batch·steps
           # = 6 · 0.2e6 · 1024 · 6000 ≈ 7.4 TFLOP, the aux fine-tune (1500 steps) + sampling 7 ω × 4000 rows × 36
           # evaluations add ≈ 30 %: ≈ 10 TFLOP per seed and share; 16 seeds vmapped ≈ 0.16 PFLOP per cell, 20–40 s at
           # a sustained 5–10 TFLOP/s plus ≈ 20 s of compilation (one compile per cell: the polluted set's size
           # changes with ρ); 6 shares ≈ 3–6 minutes.
           "gpu": replace(QUICK, n=4096, shares=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), replicates=16, width=256, depth=4,
                          steps=6000, polluter_steps=1200, batch=1024, aux_steps=1500, lr=1e-3, aux_lr=5e-4,
                          omegas=(0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0), n_eval=4000, pr_samples=2000)}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]


def settings_of(cfg: Config) -> dict:
    """The cell settings: every field but the shares (``studies._sims_suite.settings_of``)."""
    return suite.settings_of(cfg, ("shares",))


def _root(settings: dict):
    """(R,) seed keys fold_in(key(key), r)."""
    import jax
    import jax.numpy as jnp

    return jax.vmap(lambda r: jax.random.fold_in(jax.random.key(settings["key"]), r))(
        jnp.arange(settings["replicates"]))


def toy_metrics(settings: dict, samples, keys) -> dict:
    """{name: (R,) list} of samples (R, m, 2) against the ring truth, each seed with its own metric key (common to
    every share and ω): sliced W₂ to n_eval truth draws ("w2"), NLL under the truth, k-NN precision/recall (k = 5)."""
    import jax
    import jax.numpy as jnp

    from lab.metrics.samples import knn_precision_recall, sliced_w2

    tr = loop_study.truth(settings)
    m, pr = settings["n_eval"], settings["pr_samples"]

    def one(x, key):
        x = x.astype(jnp.float64)
        ref = tr.sample(key=jax.random.fold_in(key, 0), n=m)
        p, r = knn_precision_recall(tr.sample(key=jax.random.fold_in(key, 1), n=pr), x[:pr], 5)
        return {"w2": sliced_w2(ref, x[:m], key=jax.random.fold_in(key, 2), projections=settings["projections"]),
                "nll": -jnp.mean(tr.log_prob(x)), "precision": p, "recall": r}

    out = jax.jit(jax.vmap(one))(jnp.asarray(samples), keys)
    return {k: np.asarray(v).tolist() for k, v in out.items()}


def diffusion(settings: dict, steps: int):
    import lab
    from lab.diffusion import EDM, MLP, Sampler, TrainConfig

    return lab.Diffusion(MLP(settings["width"], settings["depth"]), EDM(sigma_data=settings["sigma_data"]),
                         TrainConfig(steps=steps, batch=settings["batch"], lr=settings["lr"],
                                     warmup=min(100, steps // 10)), Sampler(settings["sampler_steps"]))


def polluted_set(share: float, settings: dict) -> tuple[np.ndarray, dict]:
    """((R, n + round(ρ n), 2) float32 training rows at pollution ρ, one set per seed; info incl. the polluter's own
    metrics)."""
    real, synthetic, quality = _sources(json.dumps(settings, sort_keys=True))
    n = settings["n"]
    m = int(round(share * n))
    rows = np.concatenate([real, synthetic[:, :m]], axis=1)
    return rows, {"polluter": dict(quality), "n_real": n, "n_synthetic": m}


@functools.lru_cache(maxsize=4)
def _sources(settings_json: str):
    """(D_r (R, n, 2), S (R, n, 2), the polluter's metrics) of all seeds: computed once per process, since every share
    shares them (same keys, same bits). The polluter is ``lab.Diffusion.fit`` with ``polluter_steps``, vmapped over
    seeds."""
    import jax
    import jax.numpy as jnp

    settings = json.loads(settings_json)
    tr = loop_study.truth(settings)
    n = settings["n"]
    roots = _root(settings)
    real = jax.vmap(lambda k: tr.sample(key=jax.random.fold_in(k, 10_000), n=n))(roots).astype(jnp.float32)
    pol = diffusion(settings, settings["polluter_steps"])

    def make(x, k):
        p = pol.fit(x, jnp.ones(n, jnp.float32), key=jax.random.fold_in(k, 10_002))
        return pol.sample(p, key=jax.random.fold_in(k, 10_003), n=n).astype(jnp.float32), p.loss

    synthetic, loss = jax.jit(jax.vmap(make))(real, roots)
    if not np.all(np.isfinite(np.asarray(loss))):
        raise FloatingPointError("the polluter's training loss is not finite (lower lr)")
    quality = toy_metrics(settings, synthetic, jax.vmap(lambda k: jax.random.fold_in(k, 20_001))(roots))
    return np.asarray(real), np.asarray(synthetic), quality


def sims_family(settings: dict):
    """``lab.SIMS`` of the base diffusion family (B = aux_steps, n_s = n); its ω is swept at sampling."""
    import lab

    return lab.SIMS(diffusion(settings, settings["steps"]), omega=0.0, budget=settings["aux_steps"],
                    synthetic=settings["n"], aux_lr=settings["aux_lr"])


@functools.lru_cache(maxsize=4)
def _sims_fn(settings_json: str):
    """The jitted, seed-vmapped SIMS run of ``lab.sims.pipeline`` (fit with fold_in(key, 0), the ω sweep's common
    noises fold_in(key, 3)) on a training set padded to 2n rows with zero weights, so one compiled program serves
    every share (``lab.sims.run_sims_seeds`` would recompile for each set size)."""
    from dataclasses import replace as dc_replace

    import jax
    import jax.numpy as jnp

    settings = json.loads(settings_json)
    model = sims_family(settings)

    def one(x, w, key):
        params = model.fit(x, w, key=jax.random.fold_in(key, 0))
        k3 = jax.random.fold_in(key, 3)
        samples = tuple(dc_replace(model, omega=float(om)).sample(params, key=k3, n=settings["n_eval"]).astype(jnp.float32)
                        for om in settings["omegas"])
        return samples, params.base.loss, params.aux.loss

    return jax.jit(jax.vmap(one))


def run_share(share: float, settings: dict) -> dict:
    """Base and SIMS (``lab.SIMS``) on the sets polluted at ``share``, all seeds vmapped: metrics {ω: {name: (R,)
    list}}, the polluter's metrics, the full record."""
    import jax

    rows, info = polluted_set(share, settings)
    R, N, _ = rows.shape
    size = 2 * settings["n"]
    x = np.concatenate([rows, np.zeros((R, size - N, 2), np.float32)], axis=1)
    w = np.concatenate([np.ones((R, N), np.float32), np.zeros((R, size - N), np.float32)], axis=1)
    roots = _root(settings)
    samples, base_loss, aux_loss = _sims_fn(json.dumps(settings, sort_keys=True))(
        x, w, jax.vmap(lambda k: jax.random.fold_in(k, 1))(roots))
    for name, loss in (("base", base_loss), ("auxiliary", aux_loss)):
        if not np.all(np.isfinite(np.asarray(loss))):
            raise FloatingPointError(f"the {name} model's training loss is not finite at share {share} (lower lr)")
    samples = dict(zip(settings["omegas"], samples))
    k_metric = jax.vmap(lambda k: jax.random.fold_in(k, 20_001))(roots)
    metrics = {str(float(w)): toy_metrics(settings, s, k_metric) for w, s in samples.items()}
    keep = settings["scatter"]
    record = {"share": share, "settings": settings, "model": sims_family(settings).describe(),
              "data_shape": [R, N, 2], "base_loss": np.asarray(base_loss).tolist(),
              "aux_loss": np.asarray(aux_loss).tolist()}
    return {"record": record, "metrics": metrics, "reference": loop_study.references(settings), **info,
            "scatter": {str(float(w)): np.asarray(samples[w][0, :keep], np.float32)
                        for w in (0.0, settings["fixed_omega"])}}


def cells(cfg: Config):
    from lab.study import Cell

    s = settings_of(cfg)
    return [Cell(f"rho{share:g}", run_share, dict(share=float(share), settings=s)) for share in cfg.shares]


# -------------------------------------------------------------------------------------------------------- verdict

def table(results: dict, cfg: Config, metric: str = "w2") -> np.ndarray:
    """(shares, replicates, omegas) values of ``metric``."""
    return np.array([[results[f"rho{r:g}"]["metrics"][str(float(w))][metric] for w in cfg.omegas]
                     for r in cfg.shares]).transpose(0, 2, 1)


VERDICT_METRICS = (("w2", "sliced W₂"), ("nll", "NLL"))


def comparisons(cfg: Config) -> int:
    """Bonferroni divisor of the gain tests: (ω > 0 searched for ω*) × (two metrics, either of which may credit)."""
    return analysis.searched(cfg.omegas) * len(VERDICT_METRICS)


def improvement(results: dict, cfg: Config, metric: str = "w2") -> dict:
    """Per share: base mean, ω*, the paired comparison over seeds of metric(base) − metric(SIMS at ω*) (shared rule,
    ``lab.analysis``; Bonferroni over ``comparisons(cfg)``) as "test" and (mean, s.e.) as "gain_best", the
    same at the fixed ω (uncorrected), and "w2_harm": the paired W₂(SIMS at ω*) − W₂(base) at this metric's ω*
    (uncorrected α: the guard). ω* = the positive ω with the lowest mean of ``metric`` over seeds at that share."""
    v = table(results, cfg, metric)
    w2 = v if metric == "w2" else table(results, cfg, "w2")
    omegas = np.asarray(cfg.omegas, float)
    i0, i_fix = int(np.flatnonzero(omegas == 0)[0]), int(np.flatnonzero(omegas == cfg.fixed_omega)[0])
    m = comparisons(cfg)
    out = {}
    for j, r in enumerate(cfg.shares):
        best = analysis.best_index(v[j], cfg.omegas)
        test = analysis.paired(v[j, :, i0], v[j, :, best], comparisons=m)
        fixed = analysis.paired(v[j, :, i0], v[j, :, i_fix])
        out[r] = {"base": float(v[j, :, i0].mean()), "omega_star": float(omegas[best]),
                  "sims_best": float(v[j, :, best].mean()), "sims_fixed": float(v[j, :, i_fix].mean()),
                  "test": test, "gain_best": (test.mean, test.se), "gain_fixed": (fixed.mean, fixed.se),
                  "w2_harm": analysis.paired(w2[j, :, best], w2[j, :, i0])}
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
    msg = (f"{analysis.verdict_word(ok)}. Means over {cfg.replicates} seeds; gain = metric(base) − metric(SIMS at ω*) "
           f"± SE, ω* picked on the same seeds; improves = gain − q·SE > 0 ({p.level()}: {p.comparisons} "
           f"= {analysis.searched(cfg.omegas)} ω × 2 metrics); an NLL gain counts only with W₂ not significantly worse "
           f"(α = 0.05). " + ". ".join(parts) + ". N1 (CIFAR-10): improves below ρ = 0.6.")
    return ok, msg


# ----------------------------------------------------------------------------------------------------------- plot

def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    s = settings_of(cfg)
    shares = np.asarray(cfg.shares, float)
    imp = improvement(results, cfg)
    q = analysis.t_quantile(cfg.replicates, analysis.ALPHA, comparisons(cfg))
    fig, axes = plt.subplots(1, 4, figsize=(22, 5.6), gridspec_kw=dict(width_ratios=[1, 1, 1, 1.05]))
    for ax, (metric, label) in zip(axes[:2], (("w2", "sliced W₂ to truth draws"),
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
        pol = np.mean(results[f"rho{cfg.shares[0]:g}"]["polluter"][metric])
        ax.axhline(pol, color="0.4", ls="-.", lw=1, label=f"polluter's samples ({s['polluter_steps']} steps)")
        ref = results[f"rho{cfg.shares[0]:g}"]["reference"]["w2_floor" if metric == "w2" else "nll_truth"]
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
                 f"{analysis.ALPHA:g} / {comparisons(cfg)} Bonferroni)")
    ax.legend(fontsize=8, loc="lower left")
    ax = axes[3]
    r_hi = cfg.shares[-1]
    sc = results[f"rho{r_hi:g}"]["scatter"]
    ax.scatter(*sc["0.0"].T, s=3, color="C3", alpha=0.6, label="base")
    ax.scatter(*sc[str(float(cfg.fixed_omega))].T, s=3, color="C2", alpha=0.6, label=f"SIMS ω = {cfg.fixed_omega:g}")
    mu = np.asarray(loop_study.truth(s).means)
    ax.scatter(*mu.T, marker="x", color="k", s=30, label="truth's mode centres")
    lim = 1.4 * s["radius"] + 4 * s["std"]
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
           title=f"(d) samples at ρ = {r_hi:g} (replicate 0)")
    ax.legend(fontsize=7.5, loc="upper right", markerscale=3)
    ok, why = verdict(results, cfg)
    fig.suptitle(f"SIMS under pollution (2-D ring, |D_r| = {s['n']} real rows, base {s['steps']} steps, aux "
                 f"B = {s['aux_steps']}). Claim (N1): SIMS still improves on its base below 60 % pollution — "
                 f"{analysis.verdict_word(ok)} by the lab's run", fontsize=12)
    fig.text(0.5, -0.01, loop_study._wrap(why, 210), ha="center", va="top", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------- guards and estimates

def gpu_check_configs(cfg: Config) -> list:
    """(``lab.Diffusion`` family, data shape) of every training this preset runs: the polluter on n rows, the base on
    the padded 2n rows, the auxiliary fine-tuning on n rows."""
    from dataclasses import replace as _replace

    s = settings_of(cfg)
    sims = sims_family(s)
    return (suite.gpu_check(diffusion(s, cfg.polluter_steps), (cfg.n, 2)) + suite.gpu_check(sims.base, (2 * cfg.n, 2))
            + suite.gpu_check(_replace(sims.base, train=sims.aux_train), (cfg.n, 2)))


def estimate_seconds(cfg: Config, backend: str) -> float:
    """Run-time estimate (method: ``lab.sims.estimate``): per share one base fit and one fine-tuning for all seeds
    vmapped, ω sampling passes with two networks; the polluter once; one compile per share."""
    p = estimate.mlp_params(2, cfg.width, cfg.depth)
    k = estimate.kind(backend)
    shares = len(cfg.shares)
    t = estimate.train_seconds(p, cfg.batch, cfg.polluter_steps, cfg.replicates, backend)
    t += shares * estimate.train_seconds(p, cfg.batch, cfg.steps + cfg.aux_steps, cfg.replicates, backend)
    t += shares * len(cfg.omegas) * estimate.sample_seconds(p, cfg.n_eval, cfg.sampler_steps, cfg.replicates, backend,
                                                          nets=2)
    return t + (shares + 1) * estimate.COMPILE[k]
