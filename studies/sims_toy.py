# Longer than ~150 lines: one cell runs the seeds' SIMS, CPU metrics (exact W₂, k-NN) and the density panels' histograms.
"""SIMS on a 2-D toy: does negative guidance away from the model's own samples improve on the base diffusion model?

Claim (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", THEORY N1): guiding a base
model away from an auxiliary model fine-tuned on the base's own samples, D = D_r + ω (D_r − D_s), improves on the base.
Setting: 8 equal Gaussian modes on a circle (``lab.truths.ring``), sharp enough that a briefly trained MLP denoiser
blurs them (bridges between modes).
Method: per seed, ``lab.SIMS(lab.Diffusion(MLP, EDM, …))`` trained on n real points, n_s synthetic points, the
auxiliary fine-tuned from the base with budget B, and guided samples for every ω from the same noises (ω = 0 is the
base, bit for bit); seeds are one vmapped axis (``lab.sims.run_sims_seeds``). Metrics against the analytic truth p*:
NLL of the samples under p* (floor: the truth's entropy), exact W₂ (POT) between a subsample and a fresh truth sample
(floor: two truth samples), k-NN precision/recall (k = 5).
Verdict rule (``lab.analysis``, paired t): ω* = the ω > 0 of lowest mean NLL. SUPPORTED when the paired gain
NLL(0) − NLL(ω*) is significantly > 0 (one-sided t over seeds, α = 0.05 Bonferroni-corrected over the ω > 0 searched)
AND the paired rise W₂(ω*) − W₂(0) is not significantly > 0 (uncorrected α = 0.05: an NLL gain bought by losing
diversity is not an improvement).
Results: ``figures/sims_toy.json`` and the README's gpu table. Guidance pulls stray samples back into the modes (NLL
and precision improve at moderate ω) while thinning the modes' spread (recall falls, W₂ rises at large ω); three seeds
(cpu-quick) rarely decide the gain, the gpu preset's 16 do.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from lab import analysis
from lab.sims import estimate, suite

NAME = "sims_toy"
CLAIM = "SIMS on a 2-D ring of 8 sharp modes: negative guidance away from the model's own samples improves on the base"


@dataclass(frozen=True)
class Config:
    n: int = 2000  # real training points (and synthetic points n_s)
    modes: int = 8  # modes on the circle
    radius: float = 4.0  # circle radius
    mode_std: float = 0.15  # standard deviation of each mode
    width: int = 64  # MLP hidden width
    depth: int = 3  # MLP hidden layers
    base_steps: int = 600  # base training steps (the base stays imperfect, as SIMS assumes)
    budget: int = 600  # B, fine-tuning steps of the auxiliary model
    batch: int = 256  # training batch
    lr: float = 2e-3  # peak Adam learning rate (base and fine-tuning)
    omegas: tuple = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # guidance strengths swept
    samples: int = 2000  # SIMS samples per ω (NLL uses all of them)
    ot_samples: int = 1000  # subsample size for exact W₂ (POT, CPU) and k-NN precision/recall
    sampler_steps: int = 18  # Heun steps (Alg. 1)
    seeds: int = 3  # independent seeds (data, training, sampling), vmapped in one compiled program
    seed: int = 0  # base seed

    def __post_init__(self):
        if len(self.omegas) < 2 or float(self.omegas[0]) != 0.0 or min(self.omegas) < 0:
            raise ValueError(f"omegas must start with 0 (the base) and hold a positive value, got {self.omegas}")


# gpu: one H100 (issue 11), 16 seeds vmapped in one cell; the tiny network is launch-bound, so the cell's time is
# compile + CPU metrics (exact W₂ on 1,000-point subsamples keeps them to seconds). ``estimate_seconds``: ≈ 1.5 min.
PRESETS = {"cpu-quick": Config(), "cpu-full": Config(seeds=8, samples=4000, ot_samples=2000),
           "gpu": Config(n=20_000, width=128, base_steps=4000, budget=2000, batch=512, samples=20_000,
                         ot_samples=1000, seeds=16)}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]
estimate_seconds = estimate.toy  # run-time estimate printed by ``python -m lab sims``
PANEL_BINS = 70  # the density panels are 2-D histograms of seed 0's samples (stored, so plot needs no samples)
METRICS = {"nll": "NLL under the truth ↓", "w2": "exact W₂ ↓", "precision": "precision (k = 5) ↑",
           "recall": "recall (k = 5) ↑"}


def truth(modes: int, radius: float, mode_std: float):
    """The ring mixture, ``lab.truths.ring``."""
    from lab import truths

    return truths.ring(modes, radius, mode_std)


def family(cfg: dict):
    """The study's ``lab.SIMS`` family (auxiliary fine-tuned with the base's learning rate; σ_d the truth's std)."""
    import lab

    gm = truth(cfg["modes"], cfg["radius"], cfg["mode_std"])
    sd = float(np.sqrt(np.mean(np.var(gm.means, axis=0)) + cfg["mode_std"] ** 2))
    base = suite.diffusion(cfg["width"], cfg["depth"], cfg["base_steps"], cfg["batch"], cfg["lr"],
                           sampler_steps=cfg["sampler_steps"], sigma_data=sd)
    return lab.SIMS(base, budget=cfg["budget"], synthetic=cfg["n"]), sd


def _metrics(gm, x, ref, ot_samples: int) -> dict:
    import jax.numpy as jnp

    from lab.metrics.samples import exact_ot, knn_precision_recall

    p, r = knn_precision_recall(ref, x[:ot_samples], 5)
    return {"nll": -float(jnp.mean(gm.log_prob(jnp.asarray(x, jnp.float64)))), "w2": exact_ot(x[:ot_samples], ref),
            "precision": float(p), "recall": float(r)}


def _hist(x, lim):
    return np.histogram2d(x[:, 0], x[:, 1], bins=PANEL_BINS, range=[[-lim, lim], [-lim, lim]])[0].astype(int).tolist()


def sweep(**cfg) -> dict:
    """Every seed's SIMS run (seeds vmapped), metrics {name: (seed, ω)}, floors {name: (seed,)} and seed 0's 2-D
    histograms. Seed s: k_s = fold_in(key(seed), s); fold_in(k_s, 10) its real data, 11 the metrics' reference truth
    sample, 12 the truth-vs-truth floor; ``run_sims_seeds`` uses fold_in(k_s, 0) (fit) and 3 (samples)."""
    import time

    import jax
    import jax.numpy as jnp

    from lab.sims import SIMSConfig, run_sims_seeds

    gm, (model, sd) = truth(cfg["modes"], cfg["radius"], cfg["mode_std"]), family(cfg)
    S, om = cfg["seeds"], cfg["omegas"]
    keys = jnp.stack([jax.random.fold_in(jax.random.key(cfg["seed"]), s) for s in range(S)])
    real = np.stack([np.asarray(gm.sample(key=jax.random.fold_in(k, 10), n=cfg["n"])) for k in keys])  # (S, n, 2)
    t0 = time.perf_counter()
    res = run_sims_seeds(real, SIMSConfig(model, omegas=tuple(om), n_samples=cfg["samples"]), keys=keys)
    t_sims, t0 = time.perf_counter() - t0, time.perf_counter()
    out, floor = {m: np.zeros((S, len(om))) for m in METRICS}, {m: np.zeros(S) for m in METRICS}
    lim, panels = cfg["radius"] + 1.2, {}
    for i, k in enumerate(keys):
        ref = np.asarray(gm.sample(key=jax.random.fold_in(k, 11), n=cfg["ot_samples"]))
        for j, w in enumerate(om):
            x = np.asarray(res.samples[w][i], np.float64)
            for m, v in _metrics(gm, x, ref, cfg["ot_samples"]).items():
                out[m][i, j] = v
            if i == 0:
                panels[str(float(w))] = _hist(x, lim)
        t_truth = np.asarray(gm.sample(key=jax.random.fold_in(k, 12), n=cfg["samples"]))
        for m, v in _metrics(gm, t_truth, ref, cfg["ot_samples"]).items():
            floor[m][i] = v
        if i == 0:
            aux = suite.tree_index(res.params.aux, 0)
            panels["truth"] = _hist(t_truth, lim)
            panels["aux"] = _hist(np.asarray(model.base.sample(aux, key=jax.random.fold_in(k, 3), n=cfg["samples"])), lim)
    return {"metrics": {m: v.tolist() for m, v in out.items()}, "floor": {m: v.tolist() for m, v in floor.items()},
            "panels": panels, "panel_lim": lim, "omegas": [float(w) for w in om],
            "base_loss": np.asarray(res.params.base.loss).tolist(), "aux_loss": np.asarray(res.params.aux.loss).tolist(),
            "seconds": {"sims": t_sims, "metrics": time.perf_counter() - t0}, "sigma_data": sd}


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell("sweep", sweep, dict(asdict(cfg), omegas=list(cfg.omegas)))]


def gpu_check_configs(cfg: Config) -> list:
    """(``lab.Diffusion`` family, data shape) of every training this preset runs (the guard test trains a few steps)."""
    m, _ = family(asdict(cfg))
    return suite.gpu_check(m.base, (cfg.n, 2)) + suite.gpu_check(replace(m.base, train=m.aux_train), (cfg.n, 2))


def summary(results: dict, cfg: Config) -> dict:
    """The paired rule at ω* (module docstring) and the key numbers."""
    r = results["sweep"]
    mt = {k: np.asarray(v) for k, v in r["metrics"].items()}
    j = analysis.best_index(mt["nll"], r["omegas"])
    gain = analysis.paired(mt["nll"][:, 0], mt["nll"][:, j], comparisons=analysis.searched(r["omegas"]))
    harm = analysis.paired(mt["w2"][:, j], mt["w2"][:, 0])
    m, w = {k: v.mean(0) for k, v in mt.items()}, r["omegas"][j]
    v = analysis.Verdict.of(gain.greater() and not harm.greater(), f"paired t over seeds: NLL(0) − NLL(ω*) > 0 at "
                            f"{gain.level()}, AND W₂(ω*) − W₂(0) not > 0 at {harm.level()}",
                            omega_star=w, nll_gain_lower=gain.lower, w2_rise_lower=harm.lower)
    return {"verdict": v, "omega_star": w, "nll_gain": gain.to_dict(), "w2_rise": harm.to_dict(),
            **{f"{k}_base": float(m[k][0]) for k in METRICS}, **{f"{k}_star": float(m[k][j]) for k in METRICS},
            "headline": f"ω* = {w:g} (best of {gain.comparisons} ω > 0 on the same {gain.n} seeds): NLL "
                        f"{m['nll'][0]:.3f} → {m['nll'][j]:.3f} (gain {gain.fmt()}, lower bound {gain.lower:+.3f}), "
                        f"W₂ {m['w2'][0]:.3f} → {m['w2'][j]:.3f} (rise {harm.fmt()}, lower bound {harm.lower:+.3f}), "
                        f"precision {m['precision'][0]:.3f} → {m['precision'][j]:.3f}, recall {m['recall'][0]:.3f} → "
                        f"{m['recall'][j]:.3f}."}


def verdict(results: dict, cfg: Config) -> tuple:
    """(ok, text) of ``summary`` (``lab.readme``'s gpu table)."""
    return suite.verdict_of(summary(results, cfg))


def _density(ax, counts, title, lim):
    """A stored 2-D histogram (``_hist``: counts[i, j] for x-bin i, y-bin j) in log colour."""
    from matplotlib.colors import LogNorm

    c = np.asarray(counts, float)
    ax.imshow(np.ma.masked_less(c.T, 1), origin="lower", extent=(-lim, lim, -lim, lim), cmap="magma",
              norm=LogNorm(1, max(300, c.max() / 7)), interpolation="nearest")
    ax.set(aspect="equal", xlim=(-lim, lim), ylim=(-lim, lim), xticks=[], yticks=[], facecolor="black")
    ax.set_title(title, fontsize=10)
    return ax


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab.analysis import band, summarize

    r, s = results["sweep"], summary(results, cfg)
    om, p, w = np.asarray(r["omegas"]), r["panels"], s["omega_star"]
    fig, axes = plt.subplots(2, 4, figsize=(13, 7), gridspec_kw=dict(height_ratios=[1, 0.95], hspace=0.22))
    for ax, (key, title) in zip(axes[0], [("truth", f"truth: {cfg.modes} modes (log counts)"),
                                          ("0.0", f"base (ω = 0), {cfg.base_steps} steps"),
                                          ("aux", f"auxiliary, B = {cfg.budget}"),
                                          (str(float(w)), f"SIMS, ω* = {w:g}")]):
        _density(ax, p[key], title, r["panel_lim"])
    for ax, (m, title) in zip(axes[1], METRICS.items()):
        band(ax, om, summarize(np.asarray(r["metrics"][m])), label="SIMS: mean, 10–90 % over seeds", color="C0")
        for row in r["metrics"][m]:
            ax.plot(om, row, color="C0", lw=0.6, alpha=0.35)
        ax.axhline(np.mean(r["floor"][m]), color="k", ls="--", lw=1.3, zorder=4, label="truth vs truth")
        ax.axvline(w, color="C3", ls=":", lw=1.2, label="ω*")
        ax.set(xlabel="guidance ω (0 = base)", title=title)
    axes[1, 0].legend(fontsize=9, loc="upper center", bbox_to_anchor=(2.3, -0.2), ncol=3, frameon=False)
    fig.suptitle(f"SIMS on a 2-D ring: guidance away from the model's own samples vs the base\n{s['verdict'].status} "
                 f"(paired one-sided t over seeds: NLL gain at α = 0.05 / {s['nll_gain']['comparisons']}, W₂ guard "
                 f"at α = 0.05)", fontsize=12)
    return fig
