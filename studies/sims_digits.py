# Longer than ~150 lines: the cell evaluates four digit metrics per seed and ω, and the figure has seven panels.
"""SIMS on scikit-learn's 8×8 digits: does negative guidance improve the base?

Claim (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", THEORY N1): a base diffusion
model trained on real digits, an auxiliary model fine-tuned from it on n_s of its own samples for B steps, and the
guided denoiser D = (1 + ω) D_r − ω D_s (N1's Eq. for the SIMS score) give, for some ω > 0, samples closer to
held-out real digits than the base (ω = 0), by more than the spread over training seeds.

Setting: ``lab.truths.digits()`` split as the evaluation classifier's (``lab.sims.worlds.digits_split``: the held-out
digits were seen neither by the diffusion models nor by the classifier); an MLP denoiser (``lab.diffusion.MLP``,
chosen for CPU speed over a CNN).
Method: ``lab.sims.run_sims_seeds`` (the ``lab.SIMS`` family, a cell's seeds vmapped in one compiled program; seed s's
key is jax.random.key(s)): base, n_s synthetic rows, the auxiliary with budget B, guided samples for every ω from
common noises (ω = 0 is the base's own samples bit for bit). Metrics (``evaluate_digits``) against the held-out
digits: Fréchet distance (FD) in the classifier's features, k-NN precision/recall (k = 5), class-histogram TV. The
floor is the FD of n_samples real training digits: what a sampler of the true law scores at this sample size.
Verdict rule (``lab.analysis``, paired t): ω* = argmin over ω > 0 of the seed-mean FD; SUPPORTED when the paired gain
FD(0) − FD(ω*) over seeds is significantly > 0 (one-sided t, α = 0.05 Bonferroni-corrected over the ω > 0 searched,
since ω* is picked on the same seeds). One seed gives no error estimate and supports nothing.
Results: ``figures/sims_digits.json`` (cpu-quick) and the gpu table of the README. The small presets show the
direction (a gain at small ω, ruin at large ω); seed counts large enough to decide it are the gpu preset's.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lab import analysis
from lab.analysis.plots import image_grid, seed_curve
from lab.sims import estimate, suite, worlds

NAME = "sims_digits"
CLAIM = "SIMS on 8×8 digits: guidance away from a model fine-tuned on the base's own samples lowers the FD to held-out digits"


@dataclass(frozen=True)
class Config:
    width: int = 256  # hidden width of the MLP denoiser (lab.diffusion.MLP)
    depth: int = 3  # hidden layers of the MLP denoiser
    base_steps: int = 3000  # optimiser steps of the base model on the training digits
    batch: int = 128  # rows per optimiser step (base and auxiliary)
    lr: float = 2e-3  # peak Adam learning rate of the base
    ema_decay: float = 0.999  # EMA cap of the sampled weights (the fine-tuning's warm-up (1+t)/(10+t) stays below it)
    aux_steps: int = 300  # B, fine-tuning steps of the auxiliary model on the base's samples
    aux_lr: float = 5e-4  # peak Adam learning rate of the fine-tuning
    n_synthetic: int = 1000  # n_s, base samples the auxiliary model is fine-tuned on
    omegas: tuple = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)  # guidance strengths ω (0 = the base)
    n_samples: int = 1000  # samples per ω for the metrics
    sampler_steps: int = 18  # N of the deterministic Heun sampler (Karras et al. 2022, Alg. 1)
    held_out: float = 0.2  # share of each class held out (the classifier's split)
    seeds: tuple = (0, 1, 2)  # training seeds
    seeds_per_cell: int = 8  # seeds vmapped together in one cell (one compiled training; cells are cached)
    keep: int = 40  # samples per ω stored for the image grids (first seed of each cell only)

    def __post_init__(self):
        from lab.sims.evaluate import ClassifierConfig

        if self.held_out != ClassifierConfig().held_out:
            raise ValueError(f"held_out must equal the evaluation classifier's split, ClassifierConfig().held_out = "
                             f"{ClassifierConfig().held_out}, got {self.held_out}")
        if 0.0 not in self.omegas or min(self.omegas) < 0 or not any(w > 0 for w in self.omegas):
            raise ValueError(f"omegas must hold 0 (the base) and a positive value, got {self.omegas}")


# gpu: one H100 (issue 11): MLP 1024×4 at lr 5e-4 (2e-3 diverged), 16 seeds in 2 cells of 8 vmapped seeds (5 seeds
# left the gain undecided under the Bonferroni rule); ``estimate_seconds`` gives ≈ 6 min.
PRESETS = {
    "cpu-quick": Config(base_steps=5000, aux_steps=200, n_synthetic=800, omegas=(0.0, 0.25, 0.5, 1.0, 2.0, 4.0),
                        n_samples=800, seeds=(0, 1)),
    "cpu-full": Config(base_steps=8000, aux_steps=600, n_synthetic=2000, omegas=(0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0),
                       n_samples=1400, seeds=(0, 1, 2)),
    "gpu": Config(width=1024, depth=4, base_steps=20_000, batch=512, lr=5e-4, aux_steps=2000, n_synthetic=10_000,
                  omegas=(0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0), n_samples=1400, sampler_steps=32,
                  seeds=tuple(range(16)), seeds_per_cell=8),
}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]
estimate_seconds = estimate.digits  # run-time estimate printed by ``python -m lab sims``


def _images(x, keep):
    return np.round(np.clip(np.asarray(x[:keep], float), -1, 1), 3).reshape(-1, 8, 8).tolist()


def _metrics(ev: dict) -> dict:
    return {k: ev[k] for k in ("fd", "precision", "recall", "tv_hist", "clipped")} | \
        {"hist": np.asarray(ev["hist"]).tolist()}


def run_seeds(seeds: list, held_out: float, keep: int, **family_kw) -> dict:
    """SIMS on the training digits for a group of seeds, vmapped (``family_kw``: width … sampler_steps, see
    ``Config``), and the metrics against the held-out digits. Returns {f"seed_{s}": {record, metrics {str(ω): fd,
    precision, recall, tv_hist, hist, clipped}, floor (n_samples real training digits), hist_reference, base_loss,
    aux_loss, wall_s; the group's first seed also images {str(ω): (keep, 8, 8)} and real (keep, 8, 8)}}."""
    import jax

    from lab.keys import key_data
    from lab.sims import evaluate, run_sims_seeds

    t0 = time.perf_counter()
    d, train, held = worlds.digits_split(held_out)
    if family_kw["n_samples"] > train.size:
        raise ValueError(f"n_samples must be at most the {train.size} training digits (the FD floor uses them)")
    clf = evaluate.digits_classifier(key=worlds.CLASSIFIER_KEY)
    res = run_sims_seeds(d.x[train], suite.digits_sims_config(family_kw), keys=suite.seed_keys(seeds))
    out = {}
    for i, seed in enumerate(seeds):
        evs = {str(w): evaluate.evaluate_digits(res.samples[w][i], d.x[held], classifier=clf) for w in res.samples}
        pick = np.asarray(jax.random.permutation(jax.random.fold_in(jax.random.key(seed), 9), train.size))
        floor = _metrics(evaluate.evaluate_digits(d.x[train][pick[:family_kw["n_samples"]]], d.x[held], classifier=clf))
        rec = {k: v for k, v in res.record.items() if k != "keys"}
        out[f"seed_{seed}"] = {
            "record": {**rec, "key": key_data(jax.random.key(seed)), "held_out": held_out,
                       "classifier_key": worlds.CLASSIFIER_KEY, "classifier_accuracy": clf.accuracy,
                       "n_held_out": int(held.size)},
            "metrics": {w: _metrics(ev) for w, ev in evs.items()}, "floor": floor,
            "hist_reference": np.asarray(list(evs.values())[-1]["hist_reference"]).tolist(),
            "base_loss": float(res.params.base.loss[i]), "aux_loss": float(res.params.aux.loss[i])}
        if i == 0:
            out[f"seed_{seed}"].update(images={str(w): _images(res.samples[w][i], keep) for w in res.samples},
                                       real=_images(d.x[held], keep))
    wall = time.perf_counter() - t0
    for v in out.values():
        v["wall_s"] = wall
    return out


def run_seed(seed: int, **kw) -> dict:
    """One seed's result (``run_seeds`` for [seed])."""
    return run_seeds([seed], **kw)[f"seed_{seed}"]


def cells(cfg: Config):
    from lab.study import Cell

    kw = dict(suite.settings_of(cfg, ("seeds", "seeds_per_cell")), omegas=[float(w) for w in cfg.omegas])
    return [Cell("seeds_" + "-".join(map(str, g)), run_seeds, dict(kw, seeds=g))
            for g in suite.chunks(cfg.seeds, cfg.seeds_per_cell)]


def gpu_check_configs(cfg: Config) -> list:
    """(``lab.Diffusion`` family, data shape) of the base training (1,437 training digits) and of the fine-tuning."""
    from dataclasses import replace

    m = suite.digits_family(cells(cfg)[0].kwargs)
    return suite.gpu_check(m.base, (1437, 64)) + suite.gpu_check(replace(m.base, train=m.aux_train),
                                                                  (cfg.n_synthetic, 64))


def table(results: dict, cfg: Config, metric: str) -> np.ndarray:
    """(seed, ω) array of one metric."""
    return suite.table(suite.per_seed(results), [f"seed_{s}" for s in cfg.seeds], cfg.omegas, metric)


def summary(results: dict, cfg: Config) -> dict:
    """The paired rule at ω* (module docstring) and the key numbers."""
    fd = table(results, cfg, "fd")
    i0, i = list(cfg.omegas).index(0.0), analysis.best_index(fd, cfg.omegas)
    gain = analysis.paired(fd[:, i0], fd[:, i], comparisons=analysis.searched(cfg.omegas))
    v = analysis.Verdict.of(gain.greater(), f"paired t of FD(0) − FD(ω*) over seeds, {gain.level()}",
                            omega_star=float(cfg.omegas[i]), gain=gain.mean, se=gain.se, lower=gain.lower)
    return {"verdict": v, "omega_star": float(cfg.omegas[i]), "fd_base": float(fd[:, i0].mean()),
            "fd_star": float(fd[:, i].mean()), "gain": gain.to_dict(),
            "headline": f"ω* = {cfg.omegas[i]:g} (best of {gain.comparisons} ω > 0 on the same {gain.n} seeds): FD "
                        f"{fd[:, i0].mean():.2f} → {fd[:, i].mean():.2f}, paired gain {gain.fmt(2)}, lower bound "
                        f"{gain.lower:+.2f} {'>' if gain.greater() else '≤'} 0."}


def verdict(results: dict, cfg: Config) -> tuple:
    """(ok, text) of ``summary`` (``lab.readme``'s gpu table)."""
    return suite.verdict_of(summary(results, cfg))


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    om, s = np.array(cfg.omegas, float), summary(results, cfg)
    res = suite.per_seed(results)
    first, fl = res[f"seed_{cfg.seeds[0]}"], [res[f"seed_{q}"]["floor"] for q in cfg.seeds]
    fig = plt.figure(figsize=(13, 7.8))
    gs = fig.add_gridspec(2, 4, height_ratios=[0.55, 1], hspace=0.15, wspace=0.32)
    for c, (key, title) in enumerate([(None, "(a) held-out real digits"), ("0.0", "(b) base, ω = 0"),
                                      (str(s["omega_star"]), f"(c) SIMS at ω* = {s['omega_star']:g}"),
                                      (str(float(om.max())), f"(d) SIMS at ω = {om.max():g}")]):
        imgs = first["real"] if key is None else first["images"][key]
        fd = "" if key is None else f", FD {first['metrics'][key]['fd']:.1f}"
        image_grid(fig.add_subplot(gs[0, c]), imgs, title=title + fd, fontsize=10)
    ax = fig.add_subplot(gs[1, 0:2])
    seed_curve(ax, om, table(res, cfg, "fd"), label=f"SIMS (mean, min–max, {len(cfg.seeds)} seeds)", color="C0")
    ax.axhline(s["fd_base"], color="k", ls="--", lw=1.2, zorder=3, label="base (ω = 0)")
    ax.axhline(np.mean([f["fd"] for f in fl]), color="0.4", ls=":", lw=1.4, zorder=3, label="real training digits")
    ax.plot([s["omega_star"]], [s["fd_star"]], "*", color="C3", ms=14, zorder=4, label="ω*")
    ax.set(xlabel="guidance ω", ylabel="FD to held-out digits", title="(e) Fréchet distance (classifier features)")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    for c, (metrics, title) in enumerate([(("precision", "recall"), "(f) precision, recall (k = 5)"),
                                          (("tv_hist",), "(g) TV of the class histogram")], start=2):
        ax = fig.add_subplot(gs[1, c])
        for m, color in zip(metrics, ("C2", "C1") if len(metrics) == 2 else ("C4",)):
            seed_curve(ax, om, table(res, cfg, m), label=m.replace("tv_hist", "TV"), color=color, show_seeds=False)
            ax.axhline(np.mean([f[m] for f in fl]), color=color, ls=":", lw=1.2, zorder=3)
        ax.set(xlabel="guidance ω", title=title, ylim=(0, 1.02) if len(metrics) == 2 else (0, None))
        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False,
                  title="(dotted: real digits)", title_fontsize=9)
    v = s["verdict"]
    fig.suptitle(f"SIMS on 8×8 digits: guidance away from a self-fine-tuned model lowers the FD to held-out digits\n"
                 f"{v.status} (paired one-sided t over seeds, α = 0.05 / {s['gain']['comparisons']} Bonferroni)",
                 fontsize=12)
    return fig
