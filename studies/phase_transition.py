# Above the gallery's ~150: two settings × three families, each with its own bound and turning point.
"""F1's phase transition in the synthetic amount m, in both settings the literature uses: ONE fixed real set
(``lab.Augment(synthetic=m)``: the same n real points every generation plus m samples of the previous model; Fu et al.'s
mixing, in the reading of Bertrand et al. and MAD's augmentation loop) and FRESH real data (``lab.Fresh(real=n,
synthetic=m)``: n new real points every generation).

Claim tested (Fu et al., ICML 2024, "Towards Theoretical Understandings of Self-Consuming Generative Models", F1):
as the synthetic amount grows, the distance to the truth first RISES, then FALLS past a threshold m†(i).

Reference (the lab's theory): Gaussian refit, fixed real set (``lab.theory.mixed_fixed``): the excess mean error
B_i = (m/N)²(B_{i−1} + A_{i−1}/m) vanishes as m → 0 and as m → ∞, so E[TV] rises then falls, turning at the argmax of
the rigorous bound; fresh real data (``lab.theory.mixed_cov``): the same excess enters with the other sign (fresh
b_i = 1/n − D_i), so E[TV] falls then rises (optimum m*(i), the bound's argmin). KDE with the oracle rule h = N^{−1/5}
(truth's σ; ``lab.theory.kde_fixed``, ``kde_mixed``): the rigorous sandwich TV(E p_i, p*) ≤ E[TV] ≤ B_i rises then falls
in both settings (the bandwidth shrinks with N, so the fit returns to the m = 0 model as m → ∞). Scott's data-dependent
rule has no such bound (full preset, simulation only); a fixed h drifts to the i-fold smoothed law and does not come
back (``kde_mixed``, ``kde_fixed`` docstrings).

Setting: truth N(0, 1); generation 0 fits n real points; TV(model_i, truth) at generations i = 2…5 against m on a log
grid that includes m = 0 (with a fixed real set, m = 0 is the real-only fit at every generation). Rows: fixed real set,
fresh data. Columns: Gaussian refit (exact 1-D TV), oracle KDE (TV by quadrature), and the one-hidden-layer score
network (``lab.scorenet_runs``; measured, no bound, not judged: a coarse m grid and few replicates in the quick preset,
the fine grid in the full one). Cells of one (setting, family) share one seed across m (common random numbers), so
differences along m are paired over replicates. Every cell is a lane of ``lab.lanes``: the m of a family share one
compiled loop (one buffer of n + capacity rows, the unused rows at weight 0), and both settings share it too; the
numbers are those of ``lab.simulate`` under ``Augment`` / ``Fresh``, up to rounding (tests/test_lanes.py).

Verdict rule (the family's paired t, α = 0.05 one-sided, Bonferroni over the interior m searched; the earlier ad hoc
"3 paired SE" replaced by it): at the last generation shown, with a fixed real set the Gaussian and the oracle KDE each
have an interior maximum significantly above both ends; with fresh data the Gaussian has an interior minimum
significantly below both ends and the oracle KDE an interior maximum above both ends; and every rigorous bound holds
within 5 SE at every (m, i) shown (Gaussian: E[TV] ≤ bound; KDE: lower ≤ E[TV] ≤ B_i).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.scorenet_runs import n01_lane  # noqa: F401 (cells)

NAME = "phase_transition"
CLAIM = ("TV vs synthetic amount m: with ONE fixed real set (F1's setting, Augment) the Gaussian refit and the oracle "
         "KDE rise then fall, as F1 says (threshold m†(i) from the lab's bounds); with fresh real data (Fresh) the "
         "Gaussian refit falls then rises instead, the oracle KDE still rises then falls; the score network is "
         "measured in both settings, without a bound")
SETTINGS = ("fixed", "fresh")  # fixed: lab.Augment(synthetic=m); fresh: lab.Fresh(real=n, synthetic=m)
FAMILIES = ("gauss", "kde", "net")


@dataclass(frozen=True)
class Config:
    n: int = 20  # real points (fixed set, or fresh per generation) and generation 0's sample size
    ms: tuple = (0, 5, 20, 80, 320, 640)  # synthetic amounts m, Gaussian (log grid; m = 0 at left edge)
    kde_ms: tuple = (0, 10, 80, 640, 2560)  # synthetic amounts m, KDE (reaching past its threshold)
    generations: tuple = (2, 3, 4, 5)  # generations i shown; each run goes up to max(generations)
    gauss_replicates: int = 2000  # replicates per m, Gaussian family (exact TV is cheap; its paired t's are far above
    # the Bonferroni bar even at this size)
    kde_replicates: int = 300  # replicates per m, oracle-rule KDE (the one with the bound)
    scott_replicates: int = 0  # replicates per m, Scott-rule KDE, fresh data (simulation only); 0 = not run
    kde_bandwidth: str = "scott"  # rule of the KDE panels: h = σ·N^{−1/5}
    kde_scale: float = 1.0  # σ of the oracle rule: the truth's σ (h_0 = n^{−1/5}, h_i = (n + m)^{−1/5})
    tv_nodes: int = 64  # quadrature nodes on [−tv_range, tv_range] for the KDE's TV (GridTV; the TV costs O(nodes ·
    # (n + m)) per fit; against 1024 nodes, 64 move the mean TV by a few hundredths of its SE)
    tv_range: float = 7.0  # half-width of the TV grid; the truth's mass outside is 2.6e−12 (GridTV's error bound)
    ddof: int = 1  # Gaussian refit: unbiased variance (the theory curves use the same ddof)
    capacities: tuple = (80, 640)  # buffer capacities (n + capacity rows; each family's largest m is one too):
    # cells of one capacity share a compiled loop (both settings); a fit and the KDE's TV cost O(n + capacity), so each
    # m runs in the smallest capacity that holds it: a few compilations instead of one per (setting, m)
    net_ms: tuple = (0, 80, 320)  # synthetic amounts m, score network (measured, not judged; coarse grid)
    net_replicates: int = 4  # replicates per m, score network (one-hidden-layer, lab.ScoreNetDiffusion)
    net_width: int = 64  # hidden units of the score network
    net_steps: int = 2000  # Adam steps per fit (the default budget of ScoreNetDiffusion)
    seed: int = 44  # base seed; each family and setting adds its own offset


# quick: the judged families on a coarse m grid (the extrema at m = 80 and 640 and both ends are kept) and the network
# on a coarser one with few replicates (measured, not judged: its cost is the training, 5 lanes × replicates × 6 fits,
# plus one compilation); full: the fine grids
PRESETS = {"quick": Config(),
           "full": Config(ms=(0, 2, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560), gauss_replicates=20000,
                          kde_ms=(0, 10, 40, 80, 160, 320, 640, 2560), kde_replicates=2000, scott_replicates=1000,
                          tv_nodes=1024,
                          net_ms=(0, 5, 10, 20, 40, 80, 160, 320, 640), net_replicates=32)}


TRUTH = dict(mean=[0.0], cov=[[1.0]])  # N(0, 1)


def _lane(setting: str, n: int, m: int, seed: int):
    """The training-set rule of a setting as a ``lab.lanes.Lane``: "fixed" = ``lab.Augment(synthetic=m)`` (with m = 0
    the real set refitted, i.e. generation 0 at every i for the deterministic fits), "fresh" = ``lab.Fresh(real=n,
    synthetic=m)``."""
    from lab.lanes import Lane

    if setting not in SETTINGS:
        raise ValueError(f"setting must be 'fixed' or 'fresh', got {setting!r}")
    return Lane.augment(n, m, seed=seed) if setting == "fixed" else Lane.fresh_data(n, m, seed=seed)


def _run(model, metric, setting, n, m, capacity, generations, replicates, seed, batch) -> dict:
    """TV per (replicate, generation 0…generations) from one lane of ``lab.lanes`` (every m up to ``capacity`` shares
    one compiled loop; the same numbers as ``lab.simulate`` under the setting's regime, up to rounding), summarised,
    with the values (float32) for paired differences across m."""
    import lab
    from lab import lanes
    from lab.analysis import summarize

    if not 0 <= m <= capacity:
        raise ValueError(f"m must be in [0, capacity = {capacity}], got {m}")
    tv = lanes.run(lab.Gaussian(**TRUTH), model, metric, [_lane(setting, n, m, seed)], n=n, capacity=capacity,
                   generations=generations, replicates=replicates, batch=min(replicates, batch))[0]
    return {"tv": summarize(tv), "tv_values": tv.astype(np.float32)}


def gaussian_run(n: int, m: int, generations: int, replicates: int, ddof: int, seed: int, setting: str = "fresh",
                 capacity: int = 640) -> dict:
    """Gaussian refit in ``setting`` ("fixed": Augment; "fresh": Fresh): exact 1-D TV to N(0, 1)."""
    import lab

    return _run(lab.GaussianFit(ddof=ddof), lab.metrics.TV(), setting, n, m, capacity, generations, replicates, seed,
                2000)


def kde_run(n: int, m: int, generations: int, replicates: int, bandwidth, nodes: int, half_width: float, seed: int,
            scale: float | None = None, setting: str = "fresh", capacity: int = 2560) -> dict:
    """KDE refit in ``setting`` (``lab.KDE(bandwidth, scale=scale)``; scale = σ makes the rule an oracle): TV to
    N(0, 1) by quadrature (``lab.metrics.GridTV``, trapezoid rule)."""
    import lab
    from lab.metrics.grid import GridTV

    return _run(lab.KDE(bandwidth, scale=scale), GridTV(-half_width, half_width, points=nodes, rule="trapezoid"),
                setting, n, m, capacity, generations, replicates, seed, 50)


def _capacity(m: int, capacities) -> int:
    """The smallest buffer capacity ≥ m (``lab.lanes``: cells of one capacity share one compiled loop)."""
    return min(c for c in capacities if c >= m)


def cells(cfg: Config):
    from lab.study import Cell

    g, tv = max(cfg.generations), dict(nodes=cfg.tv_nodes, half_width=cfg.tv_range)
    kde = dict(n=cfg.n, generations=g, bandwidth=cfg.kde_bandwidth, scale=cfg.kde_scale, **tv)
    caps = {f: tuple(sorted(set(cfg.capacities) | {max(ms)})) for f, ms in (("gauss", cfg.ms), ("kde", cfg.kde_ms))}
    # every (setting, family) shares one seed across m: common random numbers, paired differences along m; the cells
    # of one family and capacity share one compiled loop, in both settings (the network: one capacity for all m)
    out = [Cell(f"{st}-gauss-m{m}", gaussian_run, dict(n=cfg.n, m=m, generations=g, replicates=cfg.gauss_replicates,
                                                       ddof=cfg.ddof, seed=cfg.seed + 400 + s, setting=st,
                                                       capacity=_capacity(m, caps["gauss"])))
           for s, st in enumerate(SETTINGS) for m in cfg.ms]
    out += [Cell(f"fixed-kde-oracle-m{m}", kde_run, dict(m=m, replicates=cfg.kde_replicates, seed=cfg.seed + 500,
                                                          setting="fixed", capacity=_capacity(m, caps["kde"]), **kde))
            for m in cfg.kde_ms]
    out += [Cell(f"kde-oracle-m{m}", kde_run, dict(m=m, replicates=cfg.kde_replicates, seed=cfg.seed + 200,
                                                    setting="fresh", capacity=_capacity(m, caps["kde"]), **kde))
            for m in cfg.kde_ms]
    out += [Cell(f"kde-m{m}", kde_run, dict(kde, m=m, replicates=cfg.scott_replicates, seed=cfg.seed + 100, scale=None,
                                            setting="fresh", capacity=_capacity(m, caps["kde"])))
            for m in cfg.kde_ms if cfg.scott_replicates > 0]
    net = dict(n=cfg.n, generations=g, replicates=cfg.net_replicates, width=cfg.net_width, steps=cfg.net_steps,
               capacity=max(cfg.net_ms, default=1))
    # the fixed set's m = 0 is generation 0 at every i: read from the fixed cells (they share generation 0), not run
    out += [Cell(f"fixed-net-m{m}", n01_lane, dict(setting="fixed", m=m, seed=cfg.seed + 600, **net))
            for m in cfg.net_ms if m > 0]
    out += [Cell(f"net-m{m}", n01_lane, dict(setting="fresh", m=m, seed=cfg.seed + 300, **net)) for m in cfg.net_ms]
    return out


PREFIX = {("fixed", "gauss"): "fixed-gauss", ("fresh", "gauss"): "fresh-gauss", ("fixed", "kde"): "fixed-kde-oracle",
          ("fresh", "kde"): "kde-oracle", ("fixed", "net"): "fixed-net", ("fresh", "net"): "net",
          ("scott", "kde"): "kde"}  # scott: Scott's data-dependent rule, fresh data (full preset)


def _ms(cfg, family):
    return {"gauss": cfg.ms, "kde": cfg.kde_ms, "net": cfg.net_ms}[family]


def _tv(results, setting, family, cfg, m) -> dict:
    """The summarised TV of one cell; the network's fixed set at m = 0 is generation 0 at every generation, read from
    the fixed cell of the smallest m > 0 (the fixed cells share their seed, hence generation 0)."""
    if (setting, family, m) == ("fixed", "net", 0):
        tv = results[f"fixed-net-m{min(x for x in cfg.net_ms if x > 0)}"]["tv"]
        return {k: np.full(len(tv["mean"]), tv[k][0]) for k in ("mean", "se")}
    return results[f"{PREFIX[setting, family]}-m{m}"]["tv"]


def _curve(results, setting, family, cfg, i, what="mean"):
    """(m,) simulated E[TV_i] (or its SE) along the family's m grid."""
    return np.array([_tv(results, setting, family, cfg, m)[what][i] for m in _ms(cfg, family)])


def _theory(cfg, setting, family, i, m) -> dict:
    """The rigorous bound at (i, m): {"bound"} (Gaussian) or {"bound", "lower"} (KDE sandwich)."""
    from lab.theory import kde_fixed, kde_mixed, mixed_cov, mixed_fixed

    if family == "gauss":
        mod = mixed_fixed if setting == "fixed" else mixed_cov
        return {"bound": mod.tv_bound(n=cfg.n, m=int(m), i=i, ddof=cfg.ddof)}
    hs = kde_mixed.bandwidths(n=cfg.n, m=int(m), i=i, rule=cfg.kde_bandwidth, scale=cfg.kde_scale)
    return (kde_fixed if setting == "fixed" else kde_mixed).tv_bounds(n=cfg.n, m=int(m), hs=hs, points=1601)


def _turn(cfg, setting, family, i, m_max):
    """The bound's turning point: m†(i) = argmax (fixed set, and the KDE) or m*(i) = argmin (fresh Gaussian)."""
    from lab.theory import kde_fixed, kde_mixed, mixed_cov, mixed_fixed

    if family == "gauss":
        if setting == "fixed":
            return mixed_fixed.threshold_m(n=cfg.n, i=i, ddof=cfg.ddof, m_max=m_max)
        return mixed_cov.argmin_m_bound(n=cfg.n, i=i, ddof=cfg.ddof, m_max=m_max)
    mod = kde_fixed if setting == "fixed" else kde_mixed
    return mod.threshold_m(n=cfg.n, i=i, rule=cfg.kde_bandwidth, scale=cfg.kde_scale, m_max=m_max, points=801)


def _shape(results, cfg, setting, family, i, kind):
    """Interior extremum (kind "peak": max, "dip": min) against both ends: (ok, {m, tv, t to each end, q})."""
    from lab.analysis import paired

    ms, mean, sign = _ms(cfg, family), _curve(results, setting, family, cfg, i), 1 if kind == "peak" else -1
    j = int(np.argmax(sign * mean))
    vals = lambda k: sign * results[f"{PREFIX[setting, family]}-m{ms[k]}"]["tv_values"][:, i]  # noqa: E731
    tests = [paired(vals(j), vals(e), comparisons=len(ms) - 2) for e in (0, -1)]
    ok = bool(0 < j < len(ms) - 1 and all(p.greater() for p in tests))
    return ok, {"m": ms[j], "tv": float(mean[j]), "t_vs_m0": tests[0].t, "t_vs_mmax": tests[1].t, "q": tests[0].q}


def _worst_excess(results, cfg):
    """Largest excess, in SE, of a simulated mean over its rigorous bound (or under the KDE's lower bound)."""
    worst = -np.inf
    for setting in SETTINGS:
        for family in ("gauss", "kde"):
            for i in cfg.generations:
                mean, se = _curve(results, setting, family, cfg, i), _curve(results, setting, family, cfg, i, "se")
                th = [_theory(cfg, setting, family, i, m) for m in _ms(cfg, family)]
                worst = max(worst, ((mean - np.array([t["bound"] for t in th])) / se).max())
                if family == "kde":
                    worst = max(worst, ((np.array([t["lower"] for t in th]) - mean) / se).max())
    return float(worst)


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict

    i = cfg.generations[-1]
    rules = [("fixed", "gauss", "peak"), ("fixed", "kde", "peak"), ("fresh", "gauss", "dip"), ("fresh", "kde", "peak")]
    checks = {f"{st} {fam}": (kind, *_shape(results, cfg, st, fam, i, kind)) for st, fam, kind in rules}
    worst = _worst_excess(results, cfg)
    ok = all(c[1] for c in checks.values()) and worst < 5
    v = Verdict.of(ok, "interior extremum vs both ends: paired t, α = 0.05, Bonferroni; bounds within 5 SE",
                   bound_excess_se=worst, **{k.replace(" ", "_") + "_m": c[2]["m"] for k, c in checks.items()})
    words = "; ".join(f"{k} {'rises then falls' if kind == 'peak' else 'falls then rises'} (extremum {c['tv']:.3f} at "
                      f"m = {c['m']}, t = {c['t_vs_m0']:.1f} / {c['t_vs_mmax']:.1f} vs m = 0 / largest m, "
                      f"q = {c['q']:.2f})" for k, (kind, _, c) in checks.items())
    out = {"verdict": v, "headline": f"At i = {i}: {words}; every bound holds (closest {-worst:.1f} SE inside).",
           "shapes": {k: c[2] for k, c in checks.items()}}
    for st in SETTINGS if cfg.net_ms else ():
        mean = _curve(results, st, "net", cfg, i)
        out[f"net_{st}"] = {"m": list(cfg.net_ms), "tv": mean, "se": _curve(results, st, "net", cfg, i, "se")}
    if cfg.net_ms:
        out["headline"] += (f" Score network (measured, not judged; {cfg.net_replicates} replicates), E[TV_{i}] at m = "
                            f"{', '.join(map(str, cfg.net_ms))}: " + "; ".join(
                                f"{ROW[st]} " + ", ".join(f"{v:.3f}" for v in out[f"net_{st}"]["tv"])
                                for st in SETTINGS) + ".")
    return out


def _panel(ax, results, cfg, setting, family):
    """Simulated E[TV_i] ± 2 SE per generation i; for the bounded families the bound (dashed), the KDE's lower bound
    (dotted), × the bound at m = 0, ▼ its turning point. Returns the turning points."""
    ms = np.asarray(_ms(cfg, family), float)
    x0 = ms[ms > 0].min() / 2  # where m = 0 is drawn on the log axis
    mfine = np.unique(np.geomspace(np.ceil(x0), ms.max(), 50).round()).astype(int)
    turns = []
    for k, i in enumerate(cfg.generations):
        c = f"C{k}"
        ax.errorbar(np.where(ms > 0, ms, x0), _curve(results, setting, family, cfg, i),
                    yerr=2 * _curve(results, setting, family, cfg, i, "se"), fmt="o-", color=c, ms=4, capsize=2)
        if family == "net":
            continue
        th = [_theory(cfg, setting, family, i, m) for m in mfine]
        ax.plot(mfine, [t["bound"] for t in th], "--", color=c, lw=1.4, zorder=5)
        if family == "kde":
            ax.plot(mfine, [t["lower"] for t in th], ":", color=c, lw=1.4, zorder=5)
        ax.plot([x0], [_theory(cfg, setting, family, i, 0)["bound"]], "x", color=c, ms=6, zorder=6)
        mt = _turn(cfg, setting, family, i, int(ms.max()))
        ax.plot([max(mt, x0)], [_theory(cfg, setting, family, i, mt)["bound"]], "v", color=c, ms=8, zorder=6)
        turns.append(mt)
    return turns


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fams = ["gauss", "kde"] + (["net"] if cfg.net_ms else [])
    fig, axes = plt.subplots(2, len(fams), figsize=(6.2 * len(fams), 10), squeeze=False)
    name = {"gauss": "Gaussian refit", "kde": "KDE, oracle h = N^(−1/5)", "net": "score network"}
    for r, setting in enumerate(SETTINGS):
        for c, fam in enumerate(fams):
            ax = axes[r, c]
            t = _panel(ax, results, cfg, setting, fam)
            if (setting, fam) == ("fresh", "kde") and cfg.scott_replicates > 0:  # Scott's rule: simulation only
                ms = np.asarray(cfg.kde_ms, float)
                ax.plot(np.where(ms > 0, ms, ms[ms > 0].min() / 2), _curve(results, "scott", "kde", cfg,
                        cfg.generations[-1]), "s:", color="0.4", mfc="none")
            sym = "m*" if (setting, fam) == ("fresh", "gauss") else "m†"
            ax.set_title(f"({'abcdef'[len(fams) * r + c]}) {name[fam]}, {ROW[setting]}" +
                         (f"\n▼ {sym}(i) = {', '.join(map(str, t))}" if t else "\nsimulation only"), fontsize=10)
            ax.set(xscale="log", xlabel=f"synthetic points per generation m (n = {cfg.n}; leftmost: m = 0)",
                   ylabel="E[TV(model_i, truth)]", yscale="log" if fam == "gauss" else "linear")
            ax.grid(alpha=0.3, which="both", lw=0.4)
    handles = [Line2D([], [], color=f"C{k}", marker="o", label=f"i = {i}") for k, i in enumerate(cfg.generations)]
    handles += [Line2D([], [], color="k", marker="o", label="simulated mean ± 2 SE"),
                Line2D([], [], color="k", ls="--", label="rigorous upper bound (× at m = 0)"),
                Line2D([], [], color="k", ls=":", label="KDE lower bound"),
                Line2D([], [], color="k", marker="v", ls="none", label="turning point of the bound")]
    if cfg.scott_replicates > 0:
        handles.append(Line2D([], [], color="0.4", marker="s", mfc="none", ls=":",
                              label=f"(e) Scott's rule h = σ̂·N^(−1/5), i = {cfg.generations[-1]}, no bound"))
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=10, frameon=False, bbox_to_anchor=(0.5, 0.0))
    v = summary(results, cfg)["verdict"]
    fig.suptitle(f"F1's phase transition in m, fixed real set (top) vs fresh real data (bottom): {v.status}\n"
                 f"rule: {v.rule}", fontsize=12)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


ROW = {"fixed": "fixed real set", "fresh": "fresh real data"}
