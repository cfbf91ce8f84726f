"""MAD's sampling bias and fresh-data loop (Alemohammad et al., "Self-Consuming Generative Models Go MAD", ICLR 2024;
THEORY G3, G4).

Claims: (a) with sampling bias λ_s and the unbiased refit, E[Σ_t] = λ_s^t Σ₀ (G3). (b) In the fresh-data loop (n_r fresh
real + n_s synthetic per generation) the distance to the truth tends to a limit that does not depend on the initial
sample size n_ini (G4; the lab's exact recursion ``lab.theory.pooled.fresh_limit`` proves it for the moments).
(c, d) The effective sample size n_e — the real-sample size whose fit is as close to the truth as the loop's limit —
falls below n_r beyond a threshold n_s (synthetic data then hurts); the admissible n_s shrinks as λ_s decreases and
stops growing as n_r grows. Distance: W₂² between the fitted Gaussian and the truth N(0, I_d).

Measured (quick preset, d = 10): with λ_s = 1 there is no threshold — n_e/n_r rises towards 2, as the exact mean part
n_e = n_r(n_r + 2n_s)/(n_r + n_s) predicts; the transition appears for λ_s < 1 (between n_s = 100 and 300 at n_r = 100)
and its location grows only slowly with n_r.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "sampling_bias"
CLAIM = "E[Σ_t] = λ_s^t Σ₀; fresh-data limit independent of n_ini; n_e/n_r < 1 beyond a threshold n_s once λ_s < 1 (MAD)"


@dataclass(frozen=True)
class Config:
    d: int = 10  # dimension of the truth N(0, I_d) in the fresh-data panels (MAD: 100)
    biases: tuple = (1.0, 0.9, 0.8, 0.7)  # λ_s values of panel (a)
    bias_generations: int = 30  # generations of panel (a)
    bias_replicates: int = 1000  # replicates of panel (a)
    n_real: int = 100  # n_r of panels (b, c)
    n_synth: int = 900  # n_s of panel (b)
    n_inits: tuple = (100, 1000)  # n_ini of panel (b)
    fresh_biases: tuple = (1.0, 0.85, 0.7)  # λ_s of panel (c); panel (b) uses the first and last
    n_reals: tuple = (100, 250, 1000)  # n_r of panel (d)
    n_synths: tuple = (0, 100, 300, 1000, 3000)  # n_s grid of panels (c, d)
    d_bias: float = 0.85  # λ_s of panel (d)
    generations: int = 30  # generations of each fresh-data run; the limit averages the last `tail`
    tail: int = 10  # generations averaged for the limit
    replicates: int = 60  # replicates per fresh-data run
    reference_sizes: int = 16  # sample sizes on the calibration curve E[W₂²](k) that defines n_e
    seed: int = 20  # base seed


PRESETS = {"quick": Config(),
           "full": Config(d=100, n_synths=(0, 50, 100, 200, 500, 1000, 2000, 5000), generations=80, tail=30,
                          replicates=200, bias_replicates=10000, reference_sizes=40)}


def bias_run(bias: float, generations: int, replicates: int, seed: int) -> dict:
    """Replace loop with unbiased refit and sampling bias λ_s, 2-D truth: tr Σ_t / tr Σ."""
    import lab
    from lab.plotting import summarize

    truth = lab.Gaussian([0.0, 0.0], [[1.0, 0.5], [0.5, 2.0]])
    ds = lab.simulate(truth, lab.GaussianFit(ddof=1, sampling_bias=bias), lab.Replace(), n=100,
                      generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.TraceRatio()])
    return {"trace_ratio": summarize(ds["trace_ratio"].values)}


def fresh_run(d: int, real: int, synthetic: int, bias: float, n_init: int, generations: int, replicates: int,
              seed: int) -> dict:
    """Fresh-data loop in d dims: W₂² to N(0, I_d) per (replicate, generation)."""
    import lab
    from lab.plotting import summarize

    truth = lab.Gaussian(np.zeros(d), np.eye(d))
    ds = lab.simulate(truth, lab.GaussianFit(ddof=1, sampling_bias=bias), lab.Fresh(real=real, synthetic=synthetic),
                      n=n_init, generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.W2()])
    return {"w2_sq": summarize(ds["w2"].values ** 2)}


def reference_run(d: int, sizes: list, replicates: int, seed: int) -> dict:
    """E[W₂²] of a fit on k real samples, for each k in ``sizes`` (the calibration curve that defines n_e)."""
    import lab

    truth = lab.Gaussian(np.zeros(d), np.eye(d))
    out = []
    for i, k in enumerate(sizes):
        ds = lab.simulate(truth, lab.GaussianFit(ddof=1), lab.Replace(), n=int(k), generations=0,
                          replicates=replicates, key=seed + i, metrics=[lab.metrics.W2()])
        out.append(float((ds["w2"].values[:, 0] ** 2).mean()))
    return {"sizes": np.asarray(sizes, float), "w2_sq": np.asarray(out)}


def _start(real, synthetic, bias):
    """Initial sample size for the limit runs: the exact stationary mean-part n_e (the limit does not depend on it;
    starting near stationarity only shortens the burn-in)."""
    from lab.theory import pooled

    return int(max(real, round(pooled.fresh_limit(real=real, synthetic=synthetic, ddof=1, sampling_bias=bias)[
        "n_eff_mean"])))


def _limit_cells(cfg, real, bias):
    from lab.study import Cell

    return [Cell(f"limit-nr{real}-ns{ns}-b{bias}", fresh_run,
                 dict(d=cfg.d, real=real, synthetic=ns, bias=bias, n_init=max(_start(real, ns, bias), cfg.d + 2),
                      generations=cfg.generations, replicates=cfg.replicates, seed=cfg.seed + 1000 + j))
            for j, ns in enumerate(cfg.n_synths)]


def cells(cfg: Config):
    from lab.study import Cell

    out = [Cell(f"bias{b}", bias_run, dict(bias=b, generations=cfg.bias_generations, replicates=cfg.bias_replicates,
                                             seed=cfg.seed + i)) for i, b in enumerate(cfg.biases)]
    for b in (cfg.fresh_biases[0], cfg.fresh_biases[-1]):
        for k, n0 in enumerate(cfg.n_inits):
            out.append(Cell(f"fresh-b{b}-n{n0}", fresh_run,
                            dict(d=cfg.d, real=cfg.n_real, synthetic=cfg.n_synth, bias=b, n_init=n0,
                                 generations=cfg.generations, replicates=cfg.replicates, seed=cfg.seed + 100 + k)))
    for b in cfg.fresh_biases:
        out += _limit_cells(cfg, cfg.n_real, b)
    for nr in cfg.n_reals:
        out += _limit_cells(cfg, nr, cfg.d_bias)
    out = list({c.name: c for c in out}.values())  # panels (c) and (d) share the (n_r, λ_s) = (100, 0.85) runs
    sizes = np.unique(np.geomspace(cfg.d + 2, 20 * max(cfg.n_reals), cfg.reference_sizes).astype(int)).tolist()
    out.append(Cell("reference", reference_run, dict(d=cfg.d, sizes=sizes, replicates=cfg.replicates,
                                                     seed=cfg.seed + 5000)))
    return out


def effective_size(limit: float, reference: dict) -> float:
    """n_e with E[W₂²(fit on n_e real samples)] = limit, by log–log interpolation of the calibration curve."""
    x, y = np.log(reference["sizes"]), np.log(reference["w2_sq"])
    order = np.argsort(y)
    return float(np.exp(np.interp(np.log(limit), y[order], x[order])))


def _ne_curve(results, cfg, real, bias):
    lims = [results[f"limit-nr{real}-ns{ns}-b{bias}"]["w2_sq"]["mean"][-cfg.tail:].mean() for ns in cfg.n_synths]
    return np.array([effective_size(v, results["reference"]) for v in lims]) / real


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting
    from lab.theory import gaussian as G

    fig, axes = plt.subplots(1, 4, figsize=(20, 4.6))
    t = np.arange(cfg.bias_generations + 1)
    for i, b in enumerate(cfg.biases):
        c = f"C{i}"
        plotting.band(axes[0], t, results[f"bias{b}"]["trace_ratio"], label=f"λ_s = {b}", color=c)
        plotting.theory(axes[0], t, G.variance_mean(t, n=100, ddof=1, sampling_bias=b), color=c)
    axes[0].set(yscale="log", xlabel="generation t", ylabel="tr Σ_t / tr Σ",
                title="(a) sampling bias: E[Σ_t] = λ_s^t Σ₀ (dashed)")
    tg = np.arange(cfg.generations + 1)
    for i, b in enumerate((cfg.fresh_biases[0], cfg.fresh_biases[-1])):
        for k, n0 in enumerate(cfg.n_inits):
            res = results[f"fresh-b{b}-n{n0}"]["w2_sq"]
            plotting.band(axes[1], tg, res, label=f"λ_s = {b}, n_ini = {n0}", color=f"C{2 * i + k}")
    axes[1].set(yscale="log", xlabel="generation t", ylabel="W₂²(model_t, truth)",
                title=f"(b) fresh data (n_r={cfg.n_real}, n_s={cfg.n_synth}, d={cfg.d}):\nlimit independent of n_ini")
    ns = np.asarray(cfg.n_synths, float)
    xs = np.where(ns > 0, ns, ns[1] / 2)  # n_s = 0 drawn at the left edge of the log axis
    for i, b in enumerate(cfg.fresh_biases):
        axes[2].plot(xs, _ne_curve(results, cfg, cfg.n_real, b), "o-", color=f"C{i}", label=f"λ_s = {b}")
    for i, nr in enumerate(cfg.n_reals):
        axes[3].plot(xs, _ne_curve(results, cfg, nr, cfg.d_bias), "o-", color=f"C{i}", label=f"n_r = {nr}")
    for ax, ttl in ((axes[2], f"(c) n_e/n_r vs n_s (n_r = {cfg.n_real})"),
                    (axes[3], f"(d) n_e/n_r vs n_s (λ_s = {cfg.d_bias})")):
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set(xscale="log", yscale="log", xlabel="synthetic samples per generation n_s (leftmost: n_s = 0)",
               ylabel="n_e / n_r", title=ttl + "\nbelow 1: synthetic data hurts")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.suptitle(f"MAD's sampling bias and fresh-data loop (unbiased refit; {cfg.replicates} replicates per fresh-data "
                 f"run; limits = mean of the last {cfg.tail} generations)", fontsize=10)
    fig.tight_layout()
    return fig
