"""SIMS on a 2-D toy (issue 6, item 5; THEORY N1): does negative guidance away from the model's own samples improve
on the base diffusion model?

Truth: 8 equal Gaussian modes on a circle of radius 4, each with standard deviation 0.15 (low-variance modes, which a
briefly trained MLP denoiser blurs: its samples spread between and around the modes). For each seed: a base EDM model
(``lab.SIMS(lab.Diffusion(MLP, EDM, …))``) trained on n real points; n_s synthetic points from it; the auxiliary
model fine-tuned from the base on them with budget B; SIMS samples D = D_r + ω (D_r − D_s) for every ω of the sweep
(ω = 0 is the base, bit for bit), all ω from the same noises. The seeds are one vmapped axis
(``lab.sims.run_sims_seeds``: one compiled program for all seeds and ω).

Metrics against the analytic truth p*: negative log-likelihood of the samples under p* (mean of −log p*(x); its floor,
the truth's own entropy, is drawn dashed), exact W₂ (POT's network simplex) between a subsample and a fresh truth
sample of the same size (floor: W₂ between two truth samples), and k-NN precision/recall (k = 5) against that truth
sample. Bands are the 10–90 % range over seeds, the line the mean.

Verdict rule (the SIMS studies' shared rule, ``lab.analysis``): ω* = the ω > 0 of lowest mean NLL. SUPPORTED
when the seed-paired gain NLL(0) − NLL(ω*) is significantly > 0 — one-sided Student t over seeds, α = 0.05
Bonferroni-corrected over the 7 ω > 0 searched, since ω* is picked on the same seeds — AND the paired rise
W₂(ω*) − W₂(0) is not significantly > 0 (one-sided t, uncorrected α = 0.05: the stricter guard; an NLL gain bought
by losing diversity is not an improvement). Precision and recall at ω* are printed alongside.

Port to issue 10's stack (``lab.SIMS``, seeds vmapped; new random streams): cpu-quick re-run, verdict unchanged (NOT
SUPPORTED). The new base is already closer to the truth than the old one (lower NLL at ω = 0, sharper modes: its W₂
to a finite truth sample now lies below the truth-vs-truth value, because samples concentrated at the mode centres
are nearer a noisy sample than a second noisy sample is), ω* moved down to 0.75 and the NLL gain is smaller and again
not significant with 3 seeds; W₂, precision and recall barely move up to ω ≈ 1 and degrade beyond ω ≈ 2 as before.
The numbers are in the figure. cpu-full was not re-run; the lines below are the former ``lab.sims`` stack's
(commit 5f2d5da), kept for comparison.
Former stack (2 shared CPU cores under heavy load; quick 81 s wall / 31 s CPU, full 583 s wall):
- quick (3 seeds, W₂ on 1000 points): NLL 2.08 → 1.86 at ω* = 1.5 (paired −0.22 ± 0.16 SE; lower bound of the gain
  −1.09 with q = t_{1−0.05/7}(2) = 8.28), precision 0.935 → 0.947, W₂ 0.75 → 0.91 (+0.16 ± 0.08, lower bound −0.06
  with q = 2.92: not significantly worse) and recall 0.976 → 0.964: NOT SUPPORTED (NLL gain not significant).
- full (8 seeds, W₂ on 2000 points): NLL 2.03 → 1.76 at ω* = 1.5 (−0.28 ± 0.08; lower bound +0.017 with q = 3.24),
  W₂ 0.683 → 0.730 (+0.05 ± 0.06, its minimum 0.669 at ω = 0.5; lower bound −0.07), precision 0.944 → 0.955, recall
  0.974 → 0.959: SUPPORTED, narrowly.
Guidance pulls stray samples (the base's bridges along the ring) back into the modes — NLL and precision improve up to
ω ≈ 1.5 — while thinning the modes' spread, so recall falls steadily and W₂ rises beyond ω ≈ 1: the gain is real but
modest, and past ω ≈ 2 every metric is worse than the base. On this toy, fine-tuning much longer than B (e.g. 6000
steps on a 25-mode grid) made the auxiliary model *better* than the base and guidance then only hurt; an auxiliary
model trained from scratch on the synthetic set made guided sampling diverge (exploratory runs, not in the figure).
"""
from __future__ import annotations

from dataclasses import dataclass

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
    base_steps: int = 600  # base training steps (brief: the base stays imperfect, as SIMS assumes)
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


# The SIMS suite's presets (``python -m lab sims --preset …``); quick/full alias cpu-quick/cpu-full.
# gpu: sized for one H100 (issue 11). 16 seeds vmapped in one cell (one compiled training); the network is tiny, so
# the GPU is launch-bound (~4000 + 2000 scan steps ≈ 5 s) and the cell's time is compile + metrics. Metrics stay on
# the CPU but are sized not to dominate: NLL under p* on all 20,000 samples per ω (vectorised, seconds), exact W₂ on a
# 1,000-point subsample (POT, ~0.1 s each, 16 seeds × 8 ω + floors ≈ 150 solves) and k-NN on the same 1,000
# points; issue 11's exact OT on 4,000 points (~40× the cost per solve) made the old cell run > 10 minutes.
# ``estimate_seconds`` gives the method; expected ≈ 1.5 min on one H100.
PRESETS = {"cpu-quick": Config(), "cpu-full": Config(seeds=8, samples=4000, ot_samples=2000),
           "gpu": Config(n=20_000, width=128, base_steps=4000, budget=2000, batch=512, samples=20_000,
                         ot_samples=1000, seeds=16)}
PRESETS["quick"] = PRESETS["cpu-quick"]
PRESETS["full"] = PRESETS["cpu-full"]
PANEL_BINS = 70  # the density panels are 2-D histograms of seed 0's samples (stored, so plot needs no samples)


def truth(modes: int, radius: float, mode_std: float):
    """The ring mixture, ``lab.truths.ring``."""
    from lab import truths as data

    return data.ring(modes, radius, mode_std)


def _metrics(gm, x, ref, ot_samples: int) -> dict:
    import jax.numpy as jnp

    from lab.metrics.samples import exact_ot, knn_precision_recall

    nll = -float(jnp.mean(gm.log_prob(jnp.asarray(x, jnp.float64))))
    p, r = knn_precision_recall(ref, x[:ot_samples], 5)
    return {"nll": nll, "w2": exact_ot(x[:ot_samples], ref), "precision": float(p), "recall": float(r)}


def family(width: int, depth: int, base_steps: int, budget: int, batch: int, lr: float, n: int, sampler_steps: int,
           sigma_data: float):
    """The study's ``lab.SIMS`` family (auxiliary fine-tuned with the base's learning rate)."""
    import lab

    base = suite.diffusion(width, depth, base_steps, batch, lr, sampler_steps=sampler_steps, sigma_data=sigma_data)
    return lab.SIMS(base, budget=budget, synthetic=n)


def sigma_data(modes: int, radius: float, mode_std: float) -> float:
    gm = truth(modes, radius, mode_std)
    return float(np.sqrt(np.mean(np.var(gm.means, axis=0)) + mode_std**2))  # σ_d: the truth's per-coordinate std


def _hist(x, lim):
    h, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=PANEL_BINS, range=[[-lim, lim], [-lim, lim]])
    return h.astype(int).tolist()


def sweep(n: int, modes: int, radius: float, mode_std: float, width: int, depth: int, base_steps: int, budget: int,
          batch: int, lr: float, omegas: list, samples: int, ot_samples: int, sampler_steps: int, seeds: int,
          seed: int) -> dict:
    """Every seed's SIMS run (``lab.sims.run_sims_seeds``: seeds vmapped, one compiled program), metrics (seed, ω)
    and, for seed 0, 2-D histograms of the samples for the panels.
    Keys of seed s: k_s = fold_in(key(seed), s); fold_in(k_s, 10) draws its real data, 11 the metrics' reference
    truth sample, 12 the truth-vs-truth floor; ``run_sims_seeds`` uses fold_in(k_s, 0) (fit) and 3 (samples)."""
    import time

    import jax
    import jax.numpy as jnp

    from lab.sims import SIMSConfig, run_sims_seeds

    gm = truth(modes, radius, mode_std)
    sd = sigma_data(modes, radius, mode_std)
    model = family(width, depth, base_steps, budget, batch, lr, n, sampler_steps, sd)
    keys = jnp.stack([jax.random.fold_in(jax.random.key(seed), s) for s in range(seeds)])
    real = np.stack([np.asarray(gm.sample(key=jax.random.fold_in(k, 10), n=n)) for k in keys])  # (S, n, 2)
    t0 = time.perf_counter()
    res = run_sims_seeds(real, SIMSConfig(model, omegas=tuple(omegas), n_samples=samples), keys=keys)
    t_sims = time.perf_counter() - t0
    t0 = time.perf_counter()
    names = ("nll", "w2", "precision", "recall")
    out = {m: np.zeros((seeds, len(omegas))) for m in names}
    floor = {m: np.zeros(seeds) for m in names}
    lim = radius + 1.2
    panels = {}
    for i, k in enumerate(keys):
        ref = np.asarray(gm.sample(key=jax.random.fold_in(k, 11), n=ot_samples))
        for j, w in enumerate(omegas):
            x = np.asarray(res.samples[w][i], np.float64)
            for m, v in _metrics(gm, x, ref, ot_samples).items():
                out[m][i, j] = v
            if i == 0:
                panels[str(float(w))] = _hist(x, lim)
        t_truth = np.asarray(gm.sample(key=jax.random.fold_in(k, 12), n=samples))
        for m, v in _metrics(gm, t_truth, ref, ot_samples).items():
            floor[m][i] = v
        if i == 0:
            aux = suite.tree_index(res.params.aux, 0)
            panels["truth"] = _hist(t_truth, lim)
            panels["aux"] = _hist(np.asarray(model.base.sample(aux, key=jax.random.fold_in(k, 3), n=samples)), lim)
    return {"metrics": {m: v.tolist() for m, v in out.items()}, "floor": {m: v.tolist() for m, v in floor.items()},
            "panels": panels, "panel_lim": lim, "omegas": [float(w) for w in omegas],
            "base_loss": np.asarray(res.params.base.loss).tolist(), "aux_loss": np.asarray(res.params.aux.loss).tolist(),
            "seconds": {"sims": t_sims, "metrics": time.perf_counter() - t0}, "sigma_data": sd}


def gpu_check_configs(cfg: Config) -> list:
    """(``lab.Diffusion`` family, data shape) of every training this preset runs (the guard test trains a few steps)."""
    m = family(cfg.width, cfg.depth, cfg.base_steps, cfg.budget, cfg.batch, cfg.lr, cfg.n, cfg.sampler_steps,
               sigma_data(cfg.modes, cfg.radius, cfg.mode_std))
    from dataclasses import replace

    return suite.gpu_check(m.base, (cfg.n, 2)) + suite.gpu_check(replace(m.base, train=m.aux_train), (cfg.n, 2))


def estimate_seconds(cfg: Config, backend: str) -> float:
    """Run-time estimate (method: ``lab.sims.estimate``): training and sampling flops or the GPU's per-step floor,
    one compile, and the CPU metrics (≈ 0.1 s per exact-OT solve at 1,000 points, ∝ m² log m beyond; NLL on all
    samples ≈ 1 µs a row and mode)."""
    p = estimate.mlp_params(2, cfg.width, cfg.depth)
    k = estimate.kind(backend)
    t = estimate.train_seconds(p, cfg.batch, cfg.base_steps + cfg.budget, cfg.seeds, backend)
    t += estimate.sample_seconds(p, cfg.n, cfg.sampler_steps, cfg.seeds, backend)
    t += estimate.sample_seconds(p, cfg.samples, cfg.sampler_steps, cfg.seeds, backend, nets=2) * len(cfg.omegas)
    ot = 0.1 * (cfg.ot_samples / 1000) ** 2 * max(1.0, np.log(cfg.ot_samples) / np.log(1000))
    metrics = cfg.seeds * (len(cfg.omegas) + 1) * (ot + 1e-6 * cfg.samples * cfg.modes)
    return t + estimate.COMPILE[k] + metrics


def cells(cfg: Config):
    from dataclasses import asdict

    from lab.study import Cell

    kw = asdict(cfg)
    kw["omegas"] = list(cfg.omegas)
    return [Cell("sweep", sweep, kw)]


def best_omega(results: dict) -> int:
    """Index of the ω > 0 with the lowest mean NLL (ω = 0, the base, is omegas[0]: ``Config`` checks it)."""
    r = results["sweep"]
    return analysis.best_index(np.asarray(r["metrics"]["nll"]), r["omegas"])


def verdict(results: dict, cfg: Config) -> tuple[bool, str]:
    """The shared rule (``lab.analysis``): SUPPORTED when NLL(0) − NLL(ω*) is significantly > 0 (one-sided
    paired t over seeds, α = 0.05 Bonferroni-corrected over the ω > 0 searched for ω*) AND W₂(ω*) − W₂(0) is not
    significantly > 0 (uncorrected α = 0.05: the stricter guard)."""
    r = results["sweep"]
    j = best_omega(results)
    w = r["omegas"][j]
    mt = {k: np.asarray(v) for k, v in r["metrics"].items()}
    m_search = analysis.searched(r["omegas"])
    gain = analysis.paired(mt["nll"][:, 0], mt["nll"][:, j], comparisons=m_search)
    harm = analysis.paired(mt["w2"][:, j], mt["w2"][:, 0])
    nll_better, w2_worse = gain.greater(), harm.greater()
    ok = bool(nll_better and not w2_worse)
    m = {k: mt[k].mean(0) for k in mt}
    why = (f"{analysis.verdict_word(ok)}: NLL gain {'significant' if nll_better else 'not significant'} "
           f"(lower bound {gain.lower:+.3f}; {gain.level()}); W₂ {'significantly worse' if w2_worse else 'not significantly worse'} "
           f"(lower bound of the rise {harm.lower:+.3f}; {harm.level()})")
    text = (f"ω* = {w:g} picked on the same {cfg.seeds} seeds among {m_search} ω > 0 (paired Δ = ω* − base): NLL "
            f"{m['nll'][0]:.3f} → {m['nll'][j]:.3f} ({-gain.mean:+.3f} ± {gain.se:.3f} SE), W₂ {m['w2'][0]:.3f} → "
            f"{m['w2'][j]:.3f} ({harm.fmt()}), precision {m['precision'][0]:.3f} → {m['precision'][j]:.3f}, recall "
            f"{m['recall'][0]:.3f} → {m['recall'][j]:.3f}.\n" + why + ".")
    return ok, text


def _density(ax, counts, title, lim):
    """A stored 2-D histogram (``_hist``: counts[i, j] for x-bin i, y-bin j) in log colour, like ``hist2d``."""
    from matplotlib.colors import LogNorm

    c = np.asarray(counts, float)
    ax.imshow(np.ma.masked_less(c.T, 1), origin="lower", extent=(-lim, lim, -lim, lim), cmap="magma",
              norm=LogNorm(1, max(300, c.max() / 7)), interpolation="nearest")
    ax.set(title=title, aspect="equal", xlim=(-lim, lim), ylim=(-lim, lim), xticks=[], yticks=[])
    ax.set_facecolor("black")
    return ax


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting

    r = results["sweep"]
    om = np.asarray(r["omegas"])
    j = best_omega(results)
    ok, text = verdict(results, cfg)
    fig = plt.figure(figsize=(16, 8.6))
    grid = fig.add_gridspec(2, 4, height_ratios=[1, 0.9])
    p = r["panels"]
    lim = r["panel_lim"]
    _density(fig.add_subplot(grid[0, 0]), p["truth"], f"truth: {cfg.modes} modes, std {cfg.mode_std} (log counts)",
             lim)
    _density(fig.add_subplot(grid[0, 1]), p["0.0"], f"base (ω = 0), {cfg.base_steps} steps", lim)
    _density(fig.add_subplot(grid[0, 2]), p["aux"], f"auxiliary: base fine-tuned on its samples, B = {cfg.budget}",
             lim)
    _density(fig.add_subplot(grid[0, 3]), p[str(float(om[j]))], f"SIMS, ω* = {om[j]:g}", lim)
    labels = {"nll": "NLL under the truth, −mean log p*(x)  ↓", "w2": f"exact W₂ ({cfg.ot_samples} pts)  ↓",
              "precision": "precision (k = 5)  ↑", "recall": "recall (k = 5)  ↑"}
    for c, (m, lab_) in enumerate(labels.items()):
        ax = fig.add_subplot(grid[1, c])
        plotting.band(ax, om, plotting.summarize(np.asarray(r["metrics"][m])), label="SIMS (mean, 10–90 % over seeds)",
                      color="C0")
        for row in r["metrics"][m]:
            ax.plot(om, row, color="C0", lw=0.6, alpha=0.35)
        ax.axhline(np.mean(r["floor"][m]), color="k", ls="--", lw=1.1, label="truth vs truth")
        ax.axvline(om[j], color="C3", ls=":", lw=1)
        ax.set(xlabel="guidance ω (0 = base)", title=lab_)
        if c == 0:
            ax.legend(fontsize=8)
    fig.suptitle(f"SIMS on a 2-D toy — claim: negative guidance away from the model's own samples improves on the base"
                 f"\n{text}", fontsize=10)
    fig.tight_layout()
    return fig
