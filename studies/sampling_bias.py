# ~200 lines: four claims (G3, G4, n_e vs n_s for λ_s and n_r) with their own runs, calibration curve and tests.
"""MAD's sampling bias and fresh-data loop (Alemohammad et al., "Self-Consuming Generative Models Go MAD", ICLR 2024;
THEORY G3, G4).

Claims: (a) with sampling bias λ_s and the unbiased refit, E[Σ_t] = λ_s^t Σ₀ (G3). (b) In the fresh-data loop (n_r fresh
real + n_s synthetic per generation) the distance to the truth tends to a limit that does not depend on the initial
sample size n_ini (G4; the lab's exact recursion ``lab.theory.pooled.fresh_limit`` proves it for the moments).
(c, d) The effective sample size n_e — the real-sample size whose fit is as close to the truth as the loop's limit —
falls below n_r beyond a threshold n_s (synthetic data then hurts) once λ_s < 1, and not for λ_s = 1 (in this Gaussian
world n_e/n_r then rises towards 2, as the exact mean part n_r(n_r + 2n_s)/(n_r + n_s) predicts).
Setting: truth N(0, I_d); distance W₂² between the fitted Gaussian and the truth; a limit is the mean of the last
``tail`` generations; n_e comes from a calibration curve E[W₂²](k) of fits on k real samples.
Verdict rule (``lab.analysis.agreement``, SE of a limit = mean of its per-generation SEs, an upper bound): SUPPORTED when
(a) tr Σ_t / tr Σ lies within 5 SE of λ_s^t-theory at every t and λ_s; (b) the limits from n_ini = 100 and 1000 differ
by at most 5 combined SE; (c, d) at the largest n_s the limit exceeds the calibration E[W₂²](n_r) by more than 5 SE
(n_e < n_r) for every λ_s < 1 and every n_r, and never does so for λ_s = 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "sampling_bias"
CLAIM = "E[Σ_t] = λ_s^t Σ₀; fresh-data limit independent of n_ini; n_e/n_r < 1 beyond a threshold n_s once λ_s < 1 (MAD)"
K = 5.0  # tolerance in standard errors (the lab.analysis standard)


@dataclass(frozen=True)
class Config:  # quick is compile-bound (one XLA compile per (λ_s, n_r, n_s, n_ini)): few shapes, small runs. Quick
    # shares panel (d)'s λ_s with the last of panel (c) (3 fewer runs) and keeps every fresh-data run below the fast-compile
    # size (``lab.loop.FAST_COMPILE_WORK``) with 20 replicates; full keeps λ_s = 0.85 for (d) and three λ_s in (c)
    d: int = 10  # dimension of the truth N(0, I_d) in the fresh-data panels (MAD: 100)
    biases: tuple = (1.0, 0.9, 0.8, 0.7)  # λ_s values of panel (a)
    bias_generations: int = 30  # generations of panel (a)
    bias_replicates: int = 500  # replicates of panel (a)
    n_real: int = 100  # n_r of panels (b, c)
    n_synth: int = 900  # n_s of panel (b)
    n_inits: tuple = (100, 1000)  # n_ini of panel (b)
    fresh_biases: tuple = (1.0, 0.7)  # λ_s of panel (c); panel (b) uses the first and last
    n_reals: tuple = (100, 1000)  # n_r of panel (d)
    n_synths: tuple = (100, 300, 1000)  # n_s grid of panels (c, d)
    d_bias: float = 0.7  # λ_s of panel (d)
    generations: int = 20  # generations of each fresh-data run (started near stationarity); the limit averages `tail`
    tail: int = 8  # generations averaged for the limit
    replicates: int = 20  # replicates per fresh-data run
    reference_sizes: int = 3  # sample sizes on the calibration curve E[W₂²](k) that defines n_e (n_reals added)
    seed: int = 20  # base seed


PRESETS = {"quick": Config(),
           "full": Config(d=100, fresh_biases=(1.0, 0.85, 0.7), d_bias=0.85, n_reals=(100, 250, 1000),
                          n_synths=(0, 50, 100, 200, 500, 1000, 2000, 5000), generations=80, tail=30, replicates=200,
                          bias_replicates=10000, reference_sizes=40)}


def bias_run(bias: float, generations: int, replicates: int, seed: int) -> dict:
    """Replace loop with unbiased refit and sampling bias λ_s, 2-D truth: tr Σ_t / tr Σ."""
    import lab
    from lab.analysis import summarize

    truth = lab.Gaussian([0.0, 0.0], [[1.0, 0.5], [0.5, 2.0]])
    ds = lab.simulate(truth, lab.GaussianFit(ddof=1, sampling_bias=bias), lab.Replace(), n=100,
                      generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.TraceRatio()])
    return {"trace_ratio": summarize(ds["trace_ratio"].values)}


def fresh_run(d: int, real: int, synthetic: int, bias: float, n_init: int, generations: int, replicates: int,
              seed: int) -> dict:
    """Fresh-data loop in d dims: W₂² to N(0, I_d), summarised per generation."""
    import lab
    from lab.analysis import summarize

    truth = lab.Gaussian(np.zeros(d), np.eye(d))
    ds = lab.simulate(truth, lab.GaussianFit(ddof=1, sampling_bias=bias), lab.Fresh(real=real, synthetic=synthetic),
                      n=n_init, generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.W2()])
    return {"w2_sq": summarize(ds["w2"].values ** 2)}


def reference_run(d: int, sizes: list, replicates: int, seed: int) -> dict:
    """E[W₂²] of a fit on k real samples and its SE, for each k in ``sizes`` (the calibration curve defining n_e)."""
    import lab
    from lab.analysis import summarize

    truth = lab.Gaussian(np.zeros(d), np.eye(d))
    s = [summarize(lab.simulate(truth, lab.GaussianFit(ddof=1), lab.Replace(), n=int(k), generations=0,
                                replicates=replicates, key=seed + i, metrics=[lab.metrics.W2()])["w2"].values ** 2)
         for i, k in enumerate(sizes)]
    return {"sizes": np.asarray(sizes, float), "w2_sq": np.array([x["mean"][0] for x in s]),
            "se": np.array([x["se"][0] for x in s])}


def _start(real, synthetic, bias):
    """n_ini of the limit runs: the exact stationary mean-part n_e (the limit does not depend on it; starting near
    stationarity only shortens the burn-in)."""
    from lab.theory import pooled

    return int(max(real, round(pooled.fresh_limit(real=real, synthetic=synthetic, ddof=1, sampling_bias=bias)[
        "n_eff_mean"])))


def cells(cfg: Config):
    from lab.study import Cell

    run = dict(d=cfg.d, generations=cfg.generations, replicates=cfg.replicates)
    out = [Cell(f"bias{b}", bias_run, dict(bias=b, generations=cfg.bias_generations, replicates=cfg.bias_replicates,
                                             seed=cfg.seed + i)) for i, b in enumerate(cfg.biases)]
    for b in (cfg.fresh_biases[0], cfg.fresh_biases[-1]):
        out += [Cell(f"fresh-b{b}-n{n0}", fresh_run, dict(real=cfg.n_real, synthetic=cfg.n_synth, bias=b, n_init=n0,
                                                          seed=cfg.seed + 100 + k, **run))
                for k, n0 in enumerate(cfg.n_inits)]
    grid = [(cfg.n_real, b) for b in cfg.fresh_biases] + [(nr, cfg.d_bias) for nr in cfg.n_reals]
    for nr, b in dict.fromkeys(grid):  # panels (c) and (d) share the (n_r, λ_s) = (n_real, d_bias) runs
        out += [Cell(f"limit-nr{nr}-ns{ns}-b{b}", fresh_run, dict(real=nr, synthetic=ns, bias=b, n_init=max(
            _start(nr, ns, b), cfg.d + 2), seed=cfg.seed + 1000 + j, **run)) for j, ns in enumerate(cfg.n_synths)]
    sizes = np.geomspace(cfg.d + 2, 20 * max(cfg.n_reals), cfg.reference_sizes).astype(int)
    sizes = np.unique(np.concatenate([sizes, cfg.n_reals])).tolist()
    return out + [Cell("reference", reference_run, dict(d=cfg.d, sizes=sizes, replicates=cfg.replicates,
                                                        seed=cfg.seed + 5000))]


def limit(res: dict, tail: int) -> tuple:
    """(mean of the last ``tail`` generations' mean W₂², mean of their SEs: an upper bound on the average's SE)."""
    return float(res["w2_sq"]["mean"][-tail:].mean()), float(res["w2_sq"]["se"][-tail:].mean())


def effective_size(value: float, reference: dict) -> float:
    """n_e with E[W₂²(fit on n_e real samples)] = value, by log–log interpolation of the calibration curve."""
    x, y = np.log(reference["sizes"]), np.log(reference["w2_sq"])
    order = np.argsort(y)
    return float(np.exp(np.interp(np.log(value), y[order], x[order])))


def harm(results: dict, cfg: Config, real: int, bias: float) -> tuple:
    """(n_e/n_r per n_s, z of limit − E[W₂²](n_r) per n_s in combined SEs): z > K means n_e < n_r significantly."""
    ref = results["reference"]
    i = list(ref["sizes"]).index(real)
    lims = [limit(results[f"limit-nr{real}-ns{ns}-b{bias}"], cfg.tail) for ns in cfg.n_synths]
    ne = np.array([effective_size(m, ref) for m, _ in lims]) / real
    return ne, np.array([(m - ref["w2_sq"][i]) / np.hypot(s, ref["se"][i]) for m, s in lims])


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict, agreement
    from lab.theory import gaussian as G

    t = np.arange(cfg.bias_generations + 1)
    a = max(agreement(results[f"bias{b}"]["trace_ratio"]["mean"], results[f"bias{b}"]["trace_ratio"]["se"],
                      G.variance_mean(t, n=100, ddof=1, sampling_bias=b), k=K).worst for b in cfg.biases)
    b_z = {}
    for b in (cfg.fresh_biases[0], cfg.fresh_biases[-1]):
        (m1, s1), (m2, s2) = (limit(results[f"fresh-b{b}-n{n0}"], cfg.tail) for n0 in cfg.n_inits)
        b_z[str(b)] = abs(m1 - m2) / np.hypot(s1, s2)
    curves = {f"nr{cfg.n_real}-b{b}": harm(results, cfg, cfg.n_real, b) for b in cfg.fresh_biases}
    curves.update({f"nr{nr}-b{cfg.d_bias}": harm(results, cfg, nr, cfg.d_bias) for nr in cfg.n_reals})
    hurt = all(z[-1] > K for key, (_, z) in curves.items() if not key.endswith("-b1.0"))
    safe = all(np.all(z <= K) for key, (_, z) in curves.items() if key.endswith("-b1.0"))
    ok = a <= K and max(b_z.values()) <= K and hurt and safe
    v = Verdict.of(ok, f"(a), (b) within {K:g} SE of theory / each other; n_e < n_r by > {K:g} SE at the largest n_s "
                       "iff λ_s < 1", worst_z_bias=a, worst_z_n_ini=max(b_z.values()),
                   min_z_harm=min(float(z[-1]) for key, (_, z) in curves.items() if not key.endswith("-b1.0")))
    ne = {key: ne.tolist() for key, (ne, _) in curves.items()}
    lo, hi = ne[f"nr{cfg.n_real}-b{cfg.fresh_biases[-1]}"], ne[f"nr{cfg.n_real}-b{cfg.fresh_biases[0]}"]
    return {"verdict": v, "n_e_over_n_r": ne, "n_synths": list(cfg.n_synths), "headline": (
        f"E[Σ_t] follows λ_s^t Σ₀ (worst |z| {a:.1f}); the limit does not depend on n_ini (|z| ≤ "
        f"{max(b_z.values()):.1f}); at n_r = {cfg.n_real}, n_s = {cfg.n_synths[-1]}: n_e/n_r = {hi[-1]:.2f} for "
        f"λ_s = {cfg.fresh_biases[0]} and {lo[-1]:.2f} for λ_s = {cfg.fresh_biases[-1]} (d = {cfg.d}).")}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab.analysis.plots import band, overlay
    from lab.theory import gaussian as G

    fig, axes = plt.subplots(2, 2, figsize=(11, 8.4))
    axes = axes.ravel()
    t = np.arange(cfg.bias_generations + 1)
    for i, b in enumerate(cfg.biases):
        band(axes[0], t, results[f"bias{b}"]["trace_ratio"], label=f"λ_s = {b}", color=f"C{i}")
        overlay(axes[0], t, G.variance_mean(t, n=100, ddof=1, sampling_bias=b), color=f"C{i}")
    axes[0].set(yscale="log", xlabel="generation t", ylabel="tr Σ_t / tr Σ", ylim=(None, 3),
                title="(a) sampling bias: E[Σ_t] = λ_s^t Σ₀ (dashed)")
    tg = np.arange(cfg.generations + 1)
    for i, b in enumerate((cfg.fresh_biases[0], cfg.fresh_biases[-1])):
        for k, n0 in enumerate(cfg.n_inits):
            band(axes[1], tg, results[f"fresh-b{b}-n{n0}"]["w2_sq"], label=f"λ_s = {b}, n_ini = {n0}",
                 color=f"C{2 * i + k}")
    axes[1].set(yscale="log", xlabel="generation t", ylabel="W₂²(model_t, truth)", ylim=(None, 30),
                title=f"(b) fresh data (n_r = {cfg.n_real}, n_s = {cfg.n_synth}): limit independent of n_ini")
    for ax, key, title in ((axes[2], [(cfg.n_real, b, f"λ_s = {b}") for b in cfg.fresh_biases],
                            f"(c) n_e/n_r vs n_s (n_r = {cfg.n_real})"),
                           (axes[3], [(nr, cfg.d_bias, f"n_r = {nr}") for nr in cfg.n_reals],
                            f"(d) n_e/n_r vs n_s (λ_s = {cfg.d_bias})")):
        for i, (nr, b, label) in enumerate(key):
            ax.plot(cfg.n_synths, harm(results, cfg, nr, b)[0], "o-", color=f"C{i}", label=label)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set(xscale="log", yscale="log", xlabel="synthetic samples per generation n_s", ylabel="n_e / n_r",
               title=title + "; below 1: synthetic data hurts")
    for ax, loc in zip(axes, ("lower left", "upper right", "lower left", "lower left")):
        ax.legend(fontsize=8, loc=loc, ncol=2 if ax is axes[1] else 1)
        ax.title.set_fontsize(10)
    fig.suptitle(f"MAD's sampling bias and fresh-data loop (unbiased refit, d = {cfg.d}, {cfg.replicates} replicates per "
                 f"fresh-data run)\nrule: (a, b) within {K:g} SE; n_e < n_r by > {K:g} SE at the largest n_s iff "
                 f"λ_s < 1 → {summary(results, cfg)['verdict'].status}", fontsize=10)
    fig.tight_layout()
    return fig
