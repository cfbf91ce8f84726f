# ~200 lines: nine methods, their costs in words, and the truth-density reward Curate needs
"""Every remedy and regime of the lab against one truth: a 2-D, 4-mode Gaussian mixture refitted by EM.

Claim: under Replace (no remedy) the EM-refitted mixture drifts away from the truth and loses its small modes; every
remedy that keeps real data in the loop (Accumulate, AccumulateSubsample, Augment, Weighted, Fresh) or mixes in truth
draws (Correct(Ideal)) holds the distance down and keeps all 4 modes. Sample-wise truth-aware filters do NOT: Verify
with a mode-blind judge (near any truth mode) only thins the data, and Curate with reward log p* tilts the model toward
the largest, densest mode (THEORY C1: curation concentrates mass on the reward's maximiser), so both end worse than
Replace. Costs differ: fresh real samples (Fresh; the ideal corrector's truth draws), a growing training set
(Accumulate), a truth-aware oracle (Verify, Curate), K× model samples (Curate).

Reference: the remedies of Gerstgrasser et al. 2024 ("Is Model Collapse Inevitable?", Accumulate), Bertrand et al.
2024 (ICLR, Weighted: THEORY S1), Gillman et al. 2024 (ICML, Correct: THEORY S2), Feng et al. 2024 (Verify: THEORY C2)
and Ferbach et al. 2024 (NeurIPS, Curate: THEORY C1), on one truth; no closed form covers an EM-refitted mixture, so
the comparison is empirical. Each cell's cost is mostly compiling its loop, then the sliced W₂'s sorts (EM itself is
cheap), hence few replicates and sliced-W₂ directions in ``quick``.

Setting: truth π = (0.4, 0.3, 0.2, 0.1), unit-covariance modes at (±4, 0), (0, ±4); ``lab.MixtureFit(4)`` (EM);
n real samples at generation 0; every method trains on n rows per generation except Accumulate (n·(t+1) rows),
Augment/Weighted (n real + n synthetic) and Verify (fewer: rejected rows get weight 0). Distance: sliced W₂ between
512 model and 512 truth draws along ``projections`` random directions (``lab.metrics.samples.SlicedW2``; fewer
directions in ``quick``: a noisier estimate of the same distance); modes kept: ``lab.metrics.mixture.ModesKept``
(truth mode j counts when it holds ≥ 10 % of π_j of the model's samples). Every cell shares the seed, so generation 0
is common.

Verdict (``summary``; paired over seeds: every method shares each seed's generation-0 data): supported when every
real-data or correction method ends with significantly more modes kept AND significantly lower sliced W₂ than Replace
(paired one-sided t, α = 0.05, Bonferroni over those methods), and Replace, Verify and Curate each end with
significantly fewer than 4 modes (one-sided t against 4, Bonferroni over the three).

Costs (per generation, after generation 0): Fresh draws n/2 new real samples; Correct(Ideal, γ) replaces each synthetic
sample by a truth draw with probability γ/(1+γ) (≈ n/2 truth draws at γ = 1: the ideal corrector is fresh data in
disguise); Verify needs a truth-aware judge (``Near``: within ``radius`` of a truth mode) with rates (tpr, fpr);
Curate needs the truth's log-density as reward (r = log p*(x)) and draws K·n model samples.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "remedies_compared"
CLAIM = "One mixture truth: real-data regimes and ideal correction keep all modes; Replace, Verify and Curate lose them"

WEIGHTS = (0.4, 0.3, 0.2, 0.1)  # truth mixing weights
MEANS = ((-4.0, 0.0), (4.0, 0.0), (0.0, 4.0), (0.0, -4.0))  # unit-covariance 2-D modes


@dataclass(frozen=True)
class Config:
    n: int = 50  # real samples at generation 0 (the real budget); synthetic samples per generation
    generations: int = 20  # generations after generation 0
    replicates: int = 20  # independent runs per method (paired over seeds: the verdict's t needs them)
    iterations: int = 10  # EM steps per fit
    weight_ratio: float = 0.5  # λ_r of Weighted (synthetic-to-real weight)
    gamma: float = 1.0  # correction strength of Correct(Ideal)
    tpr: float = 0.9  # verifier's keep rate for good samples (within `radius` of a truth mode)
    fpr: float = 0.2  # verifier's keep rate for bad samples
    radius: float = 2.0  # Near(truth modes, radius): the verifier's notion of "good"
    K: int = 4  # candidates per kept sample of Curate (reward log p*(x))
    projections: int = 16  # random directions of the sliced W₂ (its sorts are most of a cell's run time)
    seed: int = 0  # base seed, shared by every method (generation 0's real set is common)


PRESETS = {"quick": Config(), "full": Config(generations=50, replicates=500, iterations=50, projections=64)}

KEEPERS = ("Accumulate", "AccumulateSubsample", "Augment", "Weighted", "Fresh", "Correct")  # claimed to keep modes
LOSERS = ("Replace", "Verify", "Curate")  # claimed to lose them
METHODS = ("Replace", "Accumulate", "AccumulateSubsample", "Augment", "Weighted", "Fresh", "Correct", "Verify",
           "Curate")


def truth():
    import lab

    return lab.GaussianMixture(list(WEIGHTS), [list(m) for m in MEANS], [np.eye(2).tolist()] * len(WEIGHTS))


@dataclass(frozen=True, eq=False)
class TruthLogDensity:
    """Reward r(x) = log p*(x), the truth's log-density (a jnp-traceable reward for ``lab.Curate``)."""

    def __call__(self, x):
        return truth().log_prob(x)

    def describe(self) -> dict:
        return {"kind": "TruthLogDensity"}


def costs(cfg: Config) -> dict:
    """Method → one-line cost: extra real/truth samples over the run, oracle access, compute."""
    g, n = cfg.generations, cfg.n
    corr = round(g * n * cfg.gamma / (1 + cfg.gamma))
    return {"Replace": "no remedy: 0 extra real",
            "Accumulate": f"0 extra real; trains on n(t+1) rows ({n * (g + 1)} at the end)",
            "AccumulateSubsample": "0 extra real; n-row subsample of the pool",
            "Augment": "0 extra real; keeps the n real rows + n synthetic",
            "Weighted": f"0 extra real; real rows + synthetic of weight λ_r = {cfg.weight_ratio:g}",
            "Fresh": f"{g * (n // 2)} extra real (n/2 per generation)",
            "Correct": f"≈{corr} truth draws (ideal corrector, γ = {cfg.gamma:g})",
            "Verify": f"truth-aware judge: Near(modes, r = {cfg.radius:g}), tpr {cfg.tpr:g}, fpr {cfg.fpr:g}",
            "Curate": f"reward log p* (truth density); K = {cfg.K}× model samples"}


def simulate_method(method: str, n: int, generations: int, replicates: int, iterations: int, weight_ratio: float,
                    gamma: float, tpr: float, fpr: float, radius: float, K: int, seed: int,
                    projections: int = 64) -> dict:
    """Sliced W₂ and modes kept over generations of one method's loop."""
    import lab
    from lab.metrics import mixture as mm
    from lab.metrics import samples
    from lab.plotting import summarize

    reg = {"Replace": lambda: lab.Replace(),
           "Accumulate": lambda: lab.Accumulate(),
           "AccumulateSubsample": lambda: lab.AccumulateSubsample(),
           "Augment": lambda: lab.Augment(synthetic=n),
           "Weighted": lambda: lab.Weighted(weight_ratio, synthetic=n),
           "Fresh": lambda: lab.Fresh(real=n // 2, synthetic=n - n // 2),
           "Correct": lambda: lab.Replace(transforms=[lab.Correct(gamma, lab.Ideal())]),
           "Verify": lambda: lab.Replace(transforms=[lab.Verify(tpr, fpr, lab.Near([list(m) for m in MEANS], radius))]),
           "Curate": lambda: lab.Replace(transforms=[lab.Curate(TruthLogDensity(), K=K)])}[method]()
    ds = lab.simulate(truth(), lab.MixtureFit(len(WEIGHTS), iterations=iterations), reg, n=n,
                      generations=generations, replicates=replicates, key=seed,
                      metrics=[samples.SlicedW2(projections=projections), mm.ModesKept()])
    sw = ds["sliced_w2"].values
    kept = ds["modes_kept"].values
    return {"sw2": summarize(sw), "final_sw2": summarize(sw[:, -1:]), "modes": summarize(kept),
            "final_modes": summarize(kept[:, -1:]), "all_kept": float((kept[:, -1] == len(WEIGHTS)).mean()),
            "final_sw2_r": sw[:, -1], "final_modes_r": kept[:, -1]}  # per replicate (seed), for the paired tests


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell(m, simulate_method, dict(method=m, n=cfg.n, generations=cfg.generations, replicates=cfg.replicates,
                                          iterations=cfg.iterations, weight_ratio=cfg.weight_ratio, gamma=cfg.gamma,
                                          tpr=cfg.tpr, fpr=cfg.fpr, radius=cfg.radius, K=cfg.K, seed=cfg.seed,
                                          projections=cfg.projections))
            for m in METHODS]


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, paired

    k, base = len(WEIGHTS), results["Replace"]
    keep = {m: (paired(results[m]["final_modes_r"], base["final_modes_r"], comparisons=len(KEEPERS)),
                paired(results[m]["final_sw2_r"], base["final_sw2_r"], comparisons=len(KEEPERS))) for m in KEEPERS}
    lose = {m: paired(results[m]["final_modes_r"], np.full(cfg.replicates, float(k)), comparisons=len(LOSERS))
            for m in LOSERS}
    ok = all(pm.greater() and pw.less() for pm, pw in keep.values()) and all(p.less() for p in lose.values())
    modes = {m: float(results[m]["final_modes"]["mean"][0]) for m in METHODS}
    sw2 = {m: float(results[m]["final_sw2"]["mean"][0]) for m in METHODS}
    weakest = min(KEEPERS, key=lambda m: keep[m][0].lower)
    rule = f"paired one-sided t vs Replace, α = 0.05 / {len(KEEPERS)}; losers vs {k} modes, α = 0.05 / {len(LOSERS)}"
    span = lambda d: f"{min(d[m] for m in KEEPERS):.2f}–{max(d[m] for m in KEEPERS):.2f}"  # noqa: E731
    return {"verdict": Verdict.of(ok, rule, weakest_keeper=weakest, weakest_mode_gain=keep[weakest][0].mean),
            "headline": f"At generation {cfg.generations} ({cfg.replicates} seeds) the six real-data and correction "
                        f"methods keep {span(modes)} of {k} modes at sliced W₂ {span(sw2)}; Replace keeps "
                        f"{modes['Replace']:.2f} (W₂ {sw2['Replace']:.2f}), Verify {modes['Verify']:.2f} "
                        f"({sw2['Verify']:.2f}), Curate {modes['Curate']:.2f} ({sw2['Curate']:.2f}).",
            "modes_kept": modes, "sliced_w2": sw2}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab.analysis import band

    t = np.arange(cfg.generations + 1)
    k = len(WEIGHTS)
    colors = dict(zip(METHODS, ("C3", "C0", "C9", "C1", "C8", "C2", "C4", "C5", "C6")))
    fig = plt.figure(figsize=(14, 10.5))
    gs = fig.add_gridspec(2, 2)
    a1, a2, a3 = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1]), fig.add_subplot(gs[1, :])
    for m in METHODS:
        band(a1, t, results[m]["sw2"], label=m, color=colors[m], alpha=0.12 if m in ("Replace", "Fresh") else 0.0)
        a2.plot(t, results[m]["modes"]["mean"], color=colors[m], lw=1.6, label=m)
    a1.set(title="(a) sliced W₂(model_t, P*): mean over replicates\n(10–90 % band for Replace and Fresh)",
           xlabel="generation t", ylabel="sliced W₂")
    a2.set(title=f"(b) truth modes kept (of {k}; ≥ 10 % of π_j\nin model samples), mean", xlabel="generation t",
           ylabel="modes kept", ylim=(None, k + 0.1))
    a2.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="method", title_fontsize=8)

    ax = a3
    order = sorted(METHODS, key=lambda m: results[m]["final_sw2"]["mean"][0])
    y = np.arange(len(order))
    fin = np.array([results[m]["final_sw2"]["mean"][0] for m in order])
    lo = np.array([results[m]["final_sw2"]["lo"][0] for m in order])
    hi = np.array([results[m]["final_sw2"]["hi"][0] for m in order])
    ax.barh(y, fin, xerr=[fin - lo, hi - fin], color=[colors[m] for m in order], alpha=0.8, capsize=3)
    cost = costs(cfg)
    xmax = hi.max()
    for i, m in enumerate(order):
        r = results[m]
        ax.text(xmax * 1.04, i, f"modes {r['final_modes']['mean'][0]:.2f}/{k}, all kept {r['all_kept']:.0%}\n"
                f"cost: {cost[m]}", va="center", fontsize=8)
    ax.set_yticks(y, order)
    ax.invert_yaxis()
    ax.set_xlim(0, xmax * 2.5)
    ax.set(title=f"(c) at generation {cfg.generations}: sliced W₂ (mean, 10–90 %), modes kept, and the cost",
           xlabel="final sliced W₂ (best at the top)")
    ax.spines[["top", "right"]].set_visible(False)

    v = summary(results, cfg)["verdict"]
    fig.suptitle(f"Remedies compared: 4-mode 2-D mixture, EM refit, n = {cfg.n} real at generation 0, {cfg.replicates} "
                 f"replicates, shared generation-0 data — {v.status}\nrule: {v.rule}", fontsize=11)
    fig.tight_layout()
    return fig
