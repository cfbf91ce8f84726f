# ~195 lines: six panels, each a separate claim of THEORY D1–D3 (a 2×3 grid drawn panel by panel).
"""Tails vanish first: a Zipf categorical refitted by empirical frequencies under Replace (THEORY D1, D2, D3).

Claims: (a) the rare ranks are lost first, and the lost truth mass grows while the support shrinks (D1); (b) the chain
ends as a point mass on rank i with probability p₀(i) (D1: the frequencies are a martingale); (c) the generation at
which a symbol is lost grows about linearly with its generation-0 count (D2; dashed: the exact Wright–Fisher
expectation ``lab.theory.categorical.time_to_loss``); (d) sampling at a temperature τ ≠ 1 degenerates: τ < 1 fixes on
the mode within a few generations, τ > 1 first flattens the law toward uniform (D3: Marchi et al. 2024).
Setting: truth Zipf(k, s), Replace, refit by the empirical frequencies of M samples; R replicates.
Verdict rule (``lab.analysis.agreement``): SUPPORTED when the fixation frequencies of panel (c) lie within 5 binomial
standard errors √(p₀(1 − p₀)/R) of p₀(i) for every rank, and the mean loss generations of panel (d) within 5 standard
errors of the exact Wright–Fisher E[τ | lost] for every count; (a), (e), (f) are shown, not tested.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "tail_loss"
CLAIM = "Zipf categorical under Replace: tails vanish first, fixation on rank i with probability p₀(i), loss time ∝ count, τ ≠ 1 degenerates"
K = 5.0  # agreement tolerance in standard errors (the lab.analysis standard)


@dataclass(frozen=True)
class Config:
    k: int = 20  # categories of the Zipf truth
    s: float = 1.1  # Zipf exponent, p(i) ∝ 1/i^s
    n: int = 50  # samples per generation (M in THEORY D1, D2)
    generations: int = 800  # generations of the main Replace run (long enough for nearly every replicate to fix)
    replicates: int = 1000  # independent runs of the main Replace run (quick: 1000 halves its CPU; SEs ×√2)
    temperatures: tuple = (0.7, 1.0, 1.4)  # sampling temperatures τ of panel (d)
    temp_generations: int = 60  # generations of the temperature runs
    temp_replicates: int = 300  # replicates of each temperature run
    snapshots: tuple = (1, 5, 20, 100)  # generations at which panel (a) shows Pr(rank lost)
    seed: int = 0  # base seed; each cell folds in its own offset


PRESETS = {"quick": Config(), "full": Config(generations=2000, replicates=20000, temp_replicates=3000)}


def replace_run(k: int, s: float, n: int, generations: int, replicates: int, snapshots: list, seed: int) -> dict:
    """Main Replace run: per-rank loss probabilities, lost mass, support, fixation counts and loss times by count."""
    import lab
    from lab.analysis import summarize

    p = lab.zipf(k, s)
    ds = lab.simulate(lab.Categorical(p), lab.CategoricalFit(k), lab.Replace(), n=n, generations=generations,
                      replicates=replicates, key=seed, metrics=[])
    q = ds["probs"].values  # (R, G+1, k)
    lost = q <= 0.0
    fixed = q.max(-1) >= 1.0 - 1e-12  # (R, G+1)
    final_fixed = fixed[:, -1]
    fix_state = np.where(final_fixed, q[:, -1].argmax(-1), -1)
    fix_counts = np.array([(fix_state == j).sum() for j in range(k)])
    # loss generation of each (replicate, state) present at generation 0, by its generation-0 count
    count0 = np.rint(q[:, 0] * n).astype(int)  # (R, k)
    ever = lost.any(1)
    first = np.where(ever, lost.argmax(1), -1)
    by_count = {}
    for c in range(1, n):
        sel = (count0 == c) & ever
        if sel.sum() >= 20:
            tt = first[sel].astype(float)
            by_count[c] = (tt.mean(), tt.std(ddof=1) / np.sqrt(tt.size), int(tt.size), int(((count0 == c) & ~ever).sum()))
    return {"p": p, "lost_by_rank": {t: lost[:, t].mean(0) for t in snapshots},
            "lost_mass": summarize((lost * p).sum(-1)), "support": summarize((~lost).sum(-1)),
            "fixed_share": fixed.mean(0), "fix_counts": fix_counts, "unfixed": int((~final_fixed).sum()),
            "by_count": by_count}


def temperature_run(k: int, s: float, n: int, temperature: float, generations: int, replicates: int, seed: int) -> dict:
    """Entropy of the fitted law (and of the law the model samples from) under Replace at temperature τ."""
    import lab
    from lab.analysis import summarize

    model = lab.CategoricalFit(k, temperature=temperature)
    ds = lab.simulate(lab.Categorical(lab.zipf(k, s)), model, lab.Replace(), n=n, generations=generations,
                      replicates=replicates, key=seed, metrics=[lab.metrics.categorical.Entropy(),
                                                                lab.metrics.categorical.SupportSize()])
    H, S = ds["entropy"].values, ds["support_size"].values
    even = np.where(S > 1, H / np.log(np.maximum(S, 2)), 0.0)  # H / log|support|: 1 = uniform on what is left
    return {"entropy": summarize(H), "support": summarize(S), "evenness": summarize(even)}


def cells(cfg: Config):
    from lab.study import Cell

    out = [Cell("replace", replace_run, dict(k=cfg.k, s=cfg.s, n=cfg.n, generations=cfg.generations,
                                            replicates=cfg.replicates, snapshots=list(cfg.snapshots), seed=cfg.seed))]
    for i, tau in enumerate(cfg.temperatures):
        out.append(Cell(f"temperature_{tau}", temperature_run,
                        dict(k=cfg.k, s=cfg.s, n=cfg.n, temperature=float(tau), generations=cfg.temp_generations,
                             replicates=cfg.temp_replicates, seed=cfg.seed + 100 + i)))
    return out


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement
    from lab.theory import categorical as tc

    r = results["replace"]
    p, R = np.asarray(r["p"]), int(r["fix_counts"].sum())
    fix = agreement(r["fix_counts"] / R, np.sqrt(p * (1 - p) / R), p, k=K)
    cs = sorted(r["by_count"])
    loss = agreement([r["by_count"][c][0] for c in cs], [r["by_count"][c][1] for c in cs],
                     [tc.time_to_loss(int(c), cfg.n) for c in cs], k=K)
    v = Verdict.of(fix.ok and loss.ok and R > 0, f"fixation shares and loss times within {K:g} SE of theory (D1, D2)",
                   worst_z_fixation=fix.worst, worst_z_loss_time=loss.worst, fixed_runs=R, unfixed=int(r["unfixed"]))
    return {"verdict": v, "headline": (
        f"{R} of {cfg.replicates} runs fixed by t = {cfg.generations}, on rank i with frequencies within "
        f"{fix.worst:.1f} SE of p₀(i); mean loss generations for counts 1–{max(cs)} within {loss.worst:.1f} SE of the "
        f"exact Wright–Fisher E[τ | lost].")}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting
    from lab.theory import categorical as tc

    r = results["replace"]
    p, k, n = r["p"], cfg.k, cfg.n
    ranks = np.arange(1, k + 1)
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.2))
    axes = axes.ravel()

    ax = axes[0]
    for t, v in r["lost_by_rank"].items():
        ax.plot(ranks, v, marker="o", ms=3, label=f"generation {t}")
    ax.plot(ranks, tc.one_step_loss_probability(p, n), "k--", lw=1.2, label="(1 − p)^M: lost at gen. 0")
    ax.set(title="(a) Pr(rank lost by generation t): the tail goes first", xlabel="Zipf rank (1 = most frequent)",
           ylabel="share of replicates", ylim=(-0.02, 1.02))
    ax.legend(fontsize=8)

    ax = axes[1]
    t = np.arange(cfg.generations + 1)
    plotting.band(ax, t, r["lost_mass"], label="truth mass on lost ranks", color="C3")
    ax2 = ax.twinx()
    plotting.band(ax2, t, r["support"], label="support size (right axis)", color="C0")
    ax.set(title="(b) lost truth mass rises as the support shrinks", xlabel="generation t", ylabel="lost truth mass",
           xscale="symlog", ylim=(0, 1.3))  # headroom above the data for the legend
    ax2.set(ylabel="categories with p̂ > 0", ylim=(0, 1.3 * (k + 0.5)))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper center", ncol=2)

    ax = axes[2]
    R = int(r["fix_counts"].sum())
    freq = r["fix_counts"] / R
    err = np.sqrt(freq * (1 - freq) / R)
    ax.errorbar(p, freq, yerr=2 * err, fmt="o", ms=4, capsize=2, label="simulation ± 2 binomial SE")
    lim = [0, p.max() * 1.1]
    ax.plot(lim, lim, "k--", lw=1.2, label="p₀(i) (D1)")
    ax.set(title=f"(c) fixation frequency = p₀\n({R} fixed runs, {r['unfixed']} unfixed at t = {cfg.generations})",
           xlabel="truth probability p₀(i)", ylabel="share of runs fixed on rank i")
    ax.legend(fontsize=8)

    ax = axes[3]
    cs = np.array(sorted(r["by_count"]))
    m = np.array([r["by_count"][c][0] for c in cs])
    se = np.array([r["by_count"][c][1] for c in cs])
    ax.errorbar(cs, m, yerr=2 * se, fmt="o", ms=4, capsize=2, label="simulation: mean loss generation ± 2 SE")
    cc = np.arange(1, cs.max() + 1)
    ax.plot(cc, [tc.time_to_loss(int(c), n) for c in cc], "k--", lw=1.2, label="exact E[τ | lost] (Wright–Fisher)")
    ax.plot(cc, tc.time_to_loss_diffusion(cc, n), ":", color="gray", label="diffusion −2Mp ln p/(1 − p)")
    ax.set(title="(d) time to forget grows ~linearly with the count (D2)", xlabel=f"generation-0 count (of M = {n})",
           ylabel="generation at which the symbol is lost")
    ax.legend(fontsize=8)

    ax = axes[4]
    tt = np.arange(cfg.temp_generations + 1)
    for tau in cfg.temperatures:
        plotting.band(ax, tt, results[f"temperature_{tau}"]["entropy"], label=f"τ = {tau}")
    ax.axhline(np.log(k), color="k", ls=":", lw=1, label=f"uniform on {k}: log k")
    ax.axhline(-(p * np.log(p)).sum(), color="k", ls="--", lw=1, label="truth entropy")
    ax.set(title="(e) temperature τ ≠ 1: entropy of the fitted law (D3)", xlabel="generation t",
           ylabel="entropy of fitted p̂ (nats)", ylim=(-0.1, 4.0))
    ax.legend(fontsize=8, loc="upper center", ncol=3)

    ax = axes[5]
    for tau in cfg.temperatures:
        plotting.band(ax, tt, results[f"temperature_{tau}"]["evenness"], label=f"τ = {tau}")
    ax.set(title="(f) τ < 1 → point mass (0), τ > 1 → uniform (1)", xlabel="generation t",
           ylabel="evenness H / log(support size)", ylim=(-0.03, 1.25))
    ax.legend(fontsize=8, loc="upper center", ncol=3)

    fig.suptitle(f"Tails vanish first: Zipf(k = {k}, s = {cfg.s}) refitted by frequencies of M = {n} samples under "
                 f"Replace, {cfg.replicates} replicates ({cfg.temp_replicates} per τ); mean, 10–90 % band, dashed = "
                 f"theory\nrule: fixation shares and loss times within {K:g} SE of theory (D1, D2) → "
                 f"{summary(results, cfg)['verdict'].status}", fontsize=10)
    fig.tight_layout()
    return fig
