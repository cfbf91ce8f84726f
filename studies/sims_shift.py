# Longer than ~150 lines: one cell runs five stages (base, pool, CPU selection, two fine-tunings, guided samples).
"""SIMS as a distribution shifter: from skewed class proportions toward a target.

Claim (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", THEORY N1: "SIMS can shift the
synthetic distribution toward a chosen in-domain target, e.g. class proportions"): a base trained on digits whose
classes 0–4 are over-represented, guided away from an auxiliary fine-tuned on a class-selected subset of the base's
own samples, produces class proportions closer (in TV) to a uniform target as ω grows, at some cost in FD.

Selection (``lab.sims.selection``, the lab's derivation): the auxiliary's rows have class proportions q ∝ b̂²/t, b̂ the
classifier's histogram of a pool of base samples, t the target; in the idealised product-density limit the guided
class weights follow w(ω) ∝ b̂^{1−ω} t^ω (the target at ω = 1), drawn dashed as a prediction, not an oracle.
Method (seeds vmapped, each stage one compiled program; classifier labels and selection on the CPU between them):
split as ``sims_digits``; a skewed training set (``lab.truths.skewed``); base (``Diffusion.fit``), pool
(``Diffusion.sample``), selection (counts ``selection_counts``), auxiliary (``Diffusion.finetune`` on the selected rows,
zero-weight padded to n_s), guided samples for every ω from common noises; ``evaluate_digits`` against the held-out
digits with the target. Control: plain SIMS, an auxiliary fine-tuned on as many pool rows drawn without regard to
class, guided with the same noises: it separates the selection's effect from guidance's generic one.
Keys: fold_in(key(seed), i), i = 0 skewed subset, 1 base, 2 pool, 3 selection (the control's rows: fold_in(·, 2)),
4 auxiliary (the control's: fold_in(·, 1)), 5 guided samples.
Verdict rule (``lab.analysis``, paired t): ω* = the ω > 0 of lowest seed-mean TV to the target. SUPPORTED when at ω*
the selected auxiliary's TV is significantly below both the base's (ω = 0) and plain SIMS's: two one-sided paired
t-tests over seeds, α = 0.05 each, Bonferroni-corrected over the ω > 0 searched; both must pass (intersection–union).
Results: ``figures/sims_shift.json`` and the README's gpu table. The shift is slower than the idealised path; with
two seeds (cpu-quick) a large Bonferroni quantile can leave a clear shift undecided; the gpu preset decides it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lab import analysis
from lab.analysis.plots import image_grid, seed_curve
from lab.sims import estimate, suite, worlds
from lab.sims.selection import pad, predicted_weights, proportions, selection_counts, selection_weights  # noqa: F401

NAME = "sims_shift"
CLAIM = "SIMS shifts class proportions: guidance away from a class-selected auxiliary moves a skewed base toward a target"
CLASSES = 10


@dataclass(frozen=True)
class Config:
    skew: float = 3.0  # training proportions ∝ skew for classes 0–4 and 1 for classes 5–9
    n_train: int = 800  # rows of the skewed training set (must fit in the training split per class)
    width: int = 256  # hidden width of the MLP denoiser
    depth: int = 3  # hidden layers of the MLP denoiser
    base_steps: int = 3000  # optimiser steps of the base on the skewed set
    batch: int = 128  # rows per optimiser step
    lr: float = 2e-3  # peak Adam learning rate of the base
    ema_decay: float = 0.999  # EMA decay cap of the base
    n_pool: int = 2000  # base samples drawn and labelled by the classifier (the selection's pool)
    n_synthetic: int = 800  # n_s, selected rows the auxiliary model is fine-tuned on
    aux_steps: int = 300  # B, fine-tuning steps of the auxiliary model
    aux_lr: float = 5e-4  # peak Adam learning rate of the fine-tuning
    omegas: tuple = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0)  # guidance strengths ω (0 = the base)
    n_samples: int = 1000  # samples per ω for the metrics
    sampler_steps: int = 18  # N of the deterministic Heun sampler
    held_out: float = 0.2  # share of each class held out (the classifier's split)
    seeds: tuple = (0, 1, 2)  # training seeds
    seeds_per_cell: int = 8  # seeds vmapped together in one cell (one compiled training; cells are cached)

    def __post_init__(self):
        if self.skew <= 0:
            raise ValueError(f"skew must be > 0, got {self.skew}")
        if 0.0 not in self.omegas or len(self.omegas) < 2 or min(self.omegas) < 0:
            raise ValueError(f"omegas must hold 0 and at least one positive value, got {self.omegas}")


# gpu: one H100 (issue 11): the sims_digits gpu network and lr, two fine-tunings of B = 2000, pool 20,000, 16 seeds
# in 2 cells of 8 vmapped seeds; ``estimate_seconds`` gives ≈ 6 min.
PRESETS = {
    "cpu-quick": Config(base_steps=3000, n_pool=1200, n_synthetic=500, aux_steps=200, omegas=(0.0, 0.5, 1.0, 2.0, 4.0),
                        n_samples=600, seeds=(0, 1)),
    "cpu-full": Config(base_steps=8000, n_pool=4000, n_synthetic=1500, aux_steps=600,
                       omegas=(0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0), n_samples=1400, seeds=(0, 1, 2)),
    "gpu": Config(width=1024, depth=4, base_steps=16_000, batch=512, lr=5e-4, n_pool=20_000, n_synthetic=8000,
                  aux_steps=2000, omegas=(0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0), n_samples=1400,
                  sampler_steps=32, seeds=tuple(range(16)), seeds_per_cell=8),
}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]
estimate_seconds = estimate.shift  # run-time estimate printed by ``python -m lab sims``


def run_seeds(seeds: list, skew: float, n_train: int, n_pool: int, held_out: float, **family_kw) -> dict:
    """The shift runs of a group of seeds (module docstring). Returns {f"seed_{s}": {record, train_hist,
    train_labels_hist, pool_hist (b̂), q, counts, metrics and control {str(ω): fd, precision, recall, tv_hist,
    tv_target, hist, clipped}, losses, wall_s; the group's first seed also images {str(ω): (30, 8, 8)}}}."""
    from dataclasses import replace

    import jax
    import jax.numpy as jnp

    from lab import truths as data
    from lab.diffusion import SIMSParams
    from lab.keys import key_data
    from lab.sims import evaluate

    t0 = time.perf_counter()
    model = suite.digits_family(family_kw)
    diff, aux_cfg, omegas, n_s = model.base, model.aux_train, family_kw["omegas"], family_kw["n_synthetic"]
    target = np.full(CLASSES, 1.0 / CLASSES)
    keys = [jax.random.key(s) for s in seeds]
    k = [[jax.random.fold_in(key, i) for i in range(6)] for key in keys]
    ks = lambda i: jnp.stack([kk[i] for kk in k])  # noqa: E731  (S,) keys of stage i
    d, train, held = worlds.digits_split(held_out)
    clf = evaluate.digits_classifier(key=worlds.CLASSIFIER_KEY)
    sets = [data.skewed(d.x[train], d.labels[train], proportions(skew), n=n_train, key=kk[0]) for kk in k]
    xs = jnp.asarray(np.stack([x for x, _ in sets]), jnp.float32)
    base = jax.jit(jax.vmap(lambda x, key: diff.fit(x, jnp.ones(x.shape[0]), key=key)))(xs, ks(1))
    pools = np.clip(np.asarray(jax.jit(jax.vmap(lambda p, key: diff.sample(p, key=key, n=n_pool)))(base, ks(2))), -1, 1)
    chosen, plain, info = [], [], []
    for i, kk in enumerate(k):
        pool = pools[i].astype(np.float32)
        labels = clf.predict(pool)
        b_hat = evaluate.class_histogram(labels)
        q = selection_weights(b_hat, target)
        counts = selection_counts(q, np.bincount(labels, minlength=CLASSES), n_s)
        m = int(counts.sum())
        sel, _ = data.skewed(pool, labels, counts / m, n=m, key=kk[3])
        chosen.append(pad(np.asarray(sel, np.float32), n_s))
        plain.append(pad(pool[np.asarray(jax.random.permutation(jax.random.fold_in(kk[3], 2), n_pool))[:m]], n_s))
        info.append((b_hat, q, counts))
    tune = jax.jit(jax.vmap(lambda p, x, w, key: diff.finetune(p, x, w, aux_cfg, key=key)))
    stack = lambda rows, j: jnp.asarray(np.stack([r[j] for r in rows]))  # noqa: E731
    aux = tune(base, stack(chosen, 0), stack(chosen, 1), ks(4))
    aux_plain = tune(base, stack(plain, 0), stack(plain, 1), jax.vmap(lambda key: jax.random.fold_in(key, 1))(ks(4)))

    def guided(b, a, ap, key):
        return tuple(tuple(replace(model, omega=w).sample(SIMSParams(b, x), key=key, n=family_kw["n_samples"])
                           .astype(jnp.float32) for x in (a, ap)) for w in omegas)

    samples = jax.jit(jax.vmap(guided))(base, aux, aux_plain, ks(5))
    out = {}
    for i, (seed, key) in enumerate(zip(seeds, keys)):
        arms = [{}, {}]
        for j, w in enumerate(omegas):
            for arm in (0, 1):
                ev = evaluate.evaluate_digits(np.asarray(samples[j][arm][i]), d.x[held], classifier=clf, target=target)
                keep = ("fd", "precision", "recall", "tv_hist", "tv_target")
                arms[arm][str(float(w))] = {k_: ev[k_] for k_ in keep} | {"hist": np.asarray(ev["hist"]).tolist(),
                                                                          "clipped": ev["clipped"]}
        b_hat, q, counts = info[i]
        record = {**suite.digits_sims_config(family_kw).record(), "key": key_data(key), "skew": skew,
                  "n_train": n_train, "train_proportions": proportions(skew).tolist(), "target": target.tolist(),
                  "n_pool": n_pool, "held_out": held_out, "classifier_key": worlds.CLASSIFIER_KEY,
                  "classifier_accuracy": clf.accuracy, "n_held_out": int(held.size),
                  "selection": "q ∝ b̂²/t (lab.sims.selection)"}
        out[f"seed_{seed}"] = {
            "record": record, "train_hist": evaluate.class_histogram(clf.predict(sets[i][0])).tolist(),
            "train_labels_hist": evaluate.class_histogram(sets[i][1]).tolist(), "pool_hist": b_hat.tolist(),
            "q": q.tolist(), "counts": counts.tolist(), "metrics": arms[0], "control": arms[1],
            "base_loss": float(base.loss[i]), "aux_loss": float(aux.loss[i]), "aux_plain_loss": float(aux_plain.loss[i])}
        if i == 0:
            out[f"seed_{seed}"]["images"] = {str(float(w)): np.round(np.clip(np.asarray(samples[j][0][i][:30]), -1, 1),
                                                                     3).reshape(-1, 8, 8).tolist()
                                             for j, w in enumerate(omegas)}
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
    """(``lab.Diffusion`` family, data shape) of the base training and of the fine-tunings of this preset."""
    from dataclasses import replace

    m = suite.digits_family(cells(cfg)[0].kwargs)
    return suite.gpu_check(m.base, (cfg.n_train, 64)) + suite.gpu_check(replace(m.base, train=m.aux_train),
                                                                         (cfg.n_synthetic, 64))


def table(results: dict, cfg: Config, metric: str, part: str = "metrics") -> np.ndarray:
    """(seed, ω) array of one metric of the selected-auxiliary runs (part = "metrics") or the control ("control")."""
    return suite.table(suite.per_seed(results), [f"seed_{s}" for s in cfg.seeds], cfg.omegas, metric, part)


def tests(results: dict, cfg: Config) -> dict:
    """ω* (index "ib") and the two paired tests at ω*: vs_base = TV(0) − TV(ω*), vs_control = TV_plain(ω*) −
    TV_selected(ω*) (Bonferroni over the ω > 0 searched)."""
    tv, tvc = table(results, cfg, "tv_target"), table(results, cfg, "tv_target", "control")
    i0, ib, m = list(cfg.omegas).index(0.0), analysis.best_index(tv, cfg.omegas), analysis.searched(cfg.omegas)
    return {"i0": i0, "ib": ib, "vs_base": analysis.paired(tv[:, i0], tv[:, ib], comparisons=m),
            "vs_control": analysis.paired(tvc[:, ib], tv[:, ib], comparisons=m)}


def summary(results: dict, cfg: Config) -> dict:
    """The paired rule at ω* (module docstring) and the key numbers."""
    tv, fd = table(results, cfg, "tv_target"), table(results, cfg, "fd")
    tvc = table(results, cfg, "tv_target", "control")
    r = tests(results, cfg)
    i0, ib, vb, vc = r["i0"], r["ib"], r["vs_base"], r["vs_control"]
    w = float(cfg.omegas[ib])
    v = analysis.Verdict.of(vb.greater() and vc.greater(), f"two paired t-tests of TV at ω* over seeds (vs base, vs "
                            f"plain SIMS), both must pass; {vb.level()}", omega_star=w, lower_vs_base=vb.lower,
                            lower_vs_control=vc.lower)
    return {"verdict": v, "omega_star": w, "tv_base": float(tv[:, i0].mean()), "tv_star": float(tv[:, ib].mean()),
            "tv_control_star": float(tvc[:, ib].mean()), "fd_base": float(fd[:, i0].mean()),
            "fd_star": float(fd[:, ib].mean()), "vs_base": vb.to_dict(), "vs_control": vc.to_dict(),
            "headline": f"TV to the uniform target {tv[:, i0].mean():.3f} at ω = 0 → {tv[:, ib].mean():.3f} at ω* = "
                        f"{w:g} (plain SIMS there {tvc[:, ib].mean():.3f}; FD {fd[:, i0].mean():.2f} → "
                        f"{fd[:, ib].mean():.2f}); paired gains over {vb.n} seeds vs base {vb.fmt()} (lower bound "
                        f"{vb.lower:+.3f}), vs plain SIMS {vc.fmt()} (lower bound {vc.lower:+.3f}); both must be > 0."}


def verdict(results: dict, cfg: Config) -> tuple:
    """(ok, text) of ``summary`` (``lab.readme``'s gpu table)."""
    return suite.verdict_of(summary(results, cfg))


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    om, t, s = np.array(cfg.omegas, float), np.full(CLASSES, 1.0 / CLASSES), summary(results, cfg)
    res = suite.per_seed(results)
    first = res[f"seed_{cfg.seeds[0]}"]
    fig = plt.figure(figsize=(13, 9.5))
    gs = fig.add_gridspec(2, 3, hspace=0.75, wspace=0.3)
    ax = fig.add_subplot(gs[0, 0:2])
    bars = [("training set", first["train_hist"]), ("pool b̂ of the base", first["pool_hist"])]
    bars += [(f"ω = {w:g}", np.mean([res[f"seed_{q}"]["metrics"][str(w)]["hist"] for q in cfg.seeds], 0))
             for w in cfg.omegas]
    cols = ["0.6", "C0"] + [plt.get_cmap("plasma")(0.1 + 0.75 * i / max(1, len(om) - 1)) for i in range(len(om))]
    width = 0.85 / len(bars)
    for j, (lab, h) in enumerate(bars):
        ax.bar(np.arange(CLASSES) + (j - len(bars) / 2 + 0.5) * width, h, width, label=lab, color=cols[j])
    ax.axhline(0.1, color="k", ls="--", lw=1.2, label="target 0.1")
    ax.set(xticks=range(CLASSES), xlabel="digit class (classifier's label)", ylabel="share of samples",
           title=f"(a) class histograms (mean over seeds); classes 0–4 ×{cfg.skew:g} in training")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=6, frameon=False)
    show = [0.0] + [float(w) for w in om[om > 0]][-2:]
    image_grid(fig.add_subplot(gs[0, 2]), np.concatenate([first["images"][str(w)][:24] for w in show]),
               title="(b) samples, 3 rows each: ω = " + ", ".join(f"{w:g}" for w in show), fontsize=10)
    fine = np.linspace(0, om.max(), 60)
    pred = np.array([[0.5 * np.abs(predicted_weights(res[f"seed_{q}"]["pool_hist"], t, w) - t).sum() for w in fine]
                     for q in cfg.seeds]).mean(0)
    for c, (m, title) in enumerate([("tv_target", "(c) TV to the target"), ("fd", "(d) FD to held-out digits")]):
        ax = fig.add_subplot(gs[1, c])
        seed_curve(ax, om, table(res, cfg, m), label="class-selected auxiliary", color="C3" if c == 0 else "C0")
        seed_curve(ax, om, table(res, cfg, m, "control"), label="control: plain SIMS", color="0.45", show_seeds=False)
        if c == 0:
            ax.plot(fine, pred, "k--", lw=1.4, zorder=4, label="idealised w(ω) ∝ b̂^(1−ω) t^ω")
        ax.set(xlabel="guidance ω", title=title, ylim=(0, None))
        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    ax = fig.add_subplot(gs[1, 2])
    for m, color in (("precision", "C2"), ("recall", "C1")):
        seed_curve(ax, om, table(res, cfg, m), label=m, color=color, show_seeds=False)
    ax.set(xlabel="guidance ω", ylim=(0, 1.02), title="(e) precision, recall (k = 5)")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    fig.suptitle(f"SIMS as a shifter: guidance away from a class-selected auxiliary moves skewed classes to a target\n"
                 f"{s['verdict'].status} (two paired one-sided t-tests over seeds at ω*, α = 0.05 / "
                 f"{s['vs_base']['comparisons']} Bonferroni)", fontsize=12)
    return fig
