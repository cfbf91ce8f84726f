"""F1's phase transition in the synthetic amount m, as the lab measures it (issue 4, item 4; THEORY F1;
``lab.theory.mixed`` for the Gaussian family, ``lab.theory.kde_mixed`` for the KDE).

Setting: 1-D truth N(0, 1); generation 0 fits n real points; every later generation trains on n fresh real points plus
m synthetic points from the previous model (``lab.Fresh(real=n, synthetic=m)``). Distance: TV(model_i, truth) at
generations i = 2…5, against m on a log grid that includes m = 0.

Claim tested: Fu et al. (F1) find that as synthetic data grows the distance first RISES, then FALLS (a threshold beyond
which more synthetic data helps). The lab's findings: (a) the Gaussian family has the opposite shape — E[TV] FALLS then
RISES in m, and the RIGOROUS bound on the whole E[TV] (``lab.theory.mixed_cov.tv_bound``: the mean part
``mixed.tv_mean_bound`` plus a covariance part from exact second moments) has the same shape, optimum m*(i) marked;
(c) the one-hidden-layer score network (``lab.ScoreNetDiffusion``; measured only, no bound) behaves like the Gaussian
family; (b) a KDE whose bandwidth SHRINKS with the sample size N = n + m (the oracle rule
h = σ·N^{−1/5} with the truth's σ = 1, ``lab.KDE("scott", scale=1.0)``) RISES then FALLS, as F1 says: as m → ∞ the
bandwidth vanishes, the fit copies generation i − 1, and E[TV] returns to its m = 0 value; in between every generation
adds a smoothing h². The lab's rigorous sandwich TV(E p_i, p*) ≤ E[TV] ≤ B_i (``kde_mixed.tv_bounds``; exact mean and
pointwise variance of p_i) is drawn, and the threshold m†(i) = argmax_m B_i is marked (▼) beside the simulated peak (★).
Verdict: supported when the oracle KDE's simulated peak is interior and 3 paired SE above both ends, the Gaussian
minimum is interior and 3 SE below both ends, and the KDE sandwich holds within 5 SE at every (m, i).

Why the oracle rule and not Scott's: the bound needs a bandwidth that does not depend on the data (Scott's h = σ̂
N^{−1/5} is random and correlated with the points); the oracle rule has Scott's N^{−1/5} schedule, so it shows the same
shape (measured separately, Scott's rule, n = 20, 300 replicates, i = 5: 0.133 at m = 0, 0.155 at m = 80). Scott's rule
is panel (d) in the full preset only (``scott_replicates``); the quick preset leaves it out to stay near the time
budget. A FIXED h (``lab.KDE(0.5)``, the same for every m; measured separately, 300 replicates, SE ≤ 0.003) is not F1's
shape either: at i = 5, E[TV] = 0.126, 0.124, 0.141, 0.181, 0.212 at m = 0, 10, 40, 160, 640 (bound B_5 = 0.163, 0.157,
0.173, 0.206, 0.226): a shallow dip near m ≈ n/2, then a rise towards the i-fold smoothed law p* ⋆ φ_{√(i+1) h} — no
return.

Measured (quick preset, n = 20; SE ≈ 0.003 for the KDE, 0.001 for the Gaussian): Gaussian E[TV] falls from 0.104 (m = 0)
to ≈ 0.078–0.083 near m*(i) = 31, 41, 51, 60 (i = 2…5) and climbs back towards the m = 0 level by m = 640. Oracle KDE at
i = 5: 0.123 (m = 0), 0.124 (10), 0.131 (40), 0.137 (160), 0.137 (320), 0.139 (640), 0.129 (2560): a rise to a broad
plateau over m ≈ 160–640 (within 0.7 paired SE of each other) and a fall — 4.2 and 5.2 paired SE between the peak and
the two ends. Bound B_5 = 0.158 … 0.172 … 0.160; B_i / E[TV] = 1.20–1.33 over every (m, i) shown; the lower bound is
0.064 (m = 0) to 0.118. Thresholds m†(i) = argmax B_i: 148, 121, 133, 153 (i = 2…5; at i = 2 the bound's rise is <
0.001, so its argmax is ill-determined), first-order formula (``threshold_m_smoothing``) 101, 128, 154, 180; simulated
peak on the grid: 160 (i = 2), 640 (i = 3, 4, 5, with 160–640 a plateau) — the theory's threshold sits at the left edge
of the simulated plateau. Wall time of the quick preset on the shared 2 cores: 108 s under load ≈ 9 and 205 s under
load ≈ 15 (42–47 s of CPU); on an idle machine it should fit the 90 s budget (an estimate from the CPU time, not
measured). Panel (a)'s bound is ``mixed_cov.tv_bound`` (mean + covariance parts; 2–2.7× the simulation), its optimum
m*(i) = 32, 41, 51, 60. Panel (c), the score network (8 replicates, the cell function of ``studies.score_net_loop``):
TV ≈ 0.16–0.20 for m ≤ 160 (dips by ≈ 2 SE near m = 20–40), then RISES at m = 640 (i = 5: 0.40, +7.3 SE over m = 0):
fall(slightly)-then-rise like the Gaussian family, not F1's rise-then-fall; no bound is drawn for it. The score-net
cells add ≈ 40 s of CPU to the quick preset (2 min 24 s wall at load 6 with the Gaussian and KDE cells cached).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "phase_transition"
CLAIM = ("TV vs synthetic amount m (n fresh real + m synthetic): F1 says rise-then-fall; the lab finds fall-then-rise "
         "for the Gaussian family and the score network, rise-then-fall for a KDE with h ∝ N^(-1/5) (threshold from the "
         "lab's bound)")


@dataclass(frozen=True)
class Config:
    n: int = 20  # fresh real points per generation (and generation 0's sample size)
    ms: tuple = (0, 5, 10, 20, 40, 80, 160, 320, 640)  # synthetic amounts m, Gaussian (log grid; m = 0 at left edge)
    kde_ms: tuple = (0, 10, 40, 80, 160, 320, 640, 2560)  # synthetic amounts m, KDE (reaching past its threshold)
    generations: tuple = (2, 3, 4, 5)  # generations i shown; each run goes up to max(generations)
    gauss_replicates: int = 4000  # replicates per m, Gaussian family (exact TV is cheap)
    kde_replicates: int = 300  # replicates per m, oracle-rule KDE (the one with the bound)
    scott_replicates: int = 0  # replicates per m, Scott-rule KDE (simulation only, panel (d)); 0 = not run
    kde_bandwidth: str = "scott"  # rule of both KDE panels: h = σ·N^{−1/5}
    kde_scale: float = 1.0  # σ of the oracle rule: the truth's σ (h_0 = n^{−1/5}, h_i = (n + m)^{−1/5})
    tv_nodes: int = 256  # quadrature nodes on [−tv_range, tv_range] for the KDE's TV (GridTV)
    tv_range: float = 7.0  # half-width of the TV grid; the truth's mass outside is 2.6e−12 (GridTV's error bound)
    ddof: int = 1  # Gaussian refit: unbiased variance (the theory curves use the same ddof)
    net_ms: tuple = (0, 10, 20, 40, 80, 160, 640)  # synthetic amounts m, score network (panel (c))
    net_replicates: int = 8  # replicates per m, score network (one-hidden-layer, lab.ScoreNetDiffusion)
    net_width: int = 64  # hidden units of the score network
    net_steps: int = 2000  # Adam steps per fit (the default budget of ScoreNetDiffusion)
    seed: int = 44  # base seed; each cell adds its index


PRESETS = {"quick": Config(),
           "full": Config(ms=(0, 2, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560), gauss_replicates=20000,
                          kde_replicates=2000, scott_replicates=1000, tv_nodes=1024,
                          net_ms=(0, 5, 10, 20, 40, 80, 160, 320, 640), net_replicates=32)}


@dataclass(frozen=True)
class GridTV:
    """TV(truth, model) = 1 − ∫ min(p*, p) in 1-D, the integral by the trapezoid rule on ``nodes`` points of
    [−half_width, half_width]. Outside, min(p*, p) ≤ p*, so the error is at most the truth's mass outside plus the
    trapezoid error (O(Δx²) at the kinks of min; Δx = 0.055 against KDE bandwidths ≥ 0.27 in the quick preset)."""

    nodes: int = 256
    half_width: float = 7.0
    name = "tv_grid"

    def __call__(self, truth, model, params, key):
        import jax.numpy as jnp

        x = jnp.linspace(-self.half_width, self.half_width, self.nodes)[:, None]
        lo = jnp.exp(jnp.minimum(truth.log_prob(x), model.log_prob(params, x)))
        return jnp.clip(1.0 - jnp.trapezoid(lo, x[:, 0]), 0.0, 1.0)

    def describe(self) -> dict:
        return {"name": self.name, "nodes": self.nodes, "half_width": self.half_width}


def gaussian_run(n: int, m: int, generations: int, replicates: int, ddof: int, seed: int) -> dict:
    """Gaussian refit under Fresh(n, m): exact 1-D TV to N(0, 1) per (replicate, generation), summarised."""
    import lab
    from lab.plotting import summarize

    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof), lab.Fresh(real=n, synthetic=m), n=n,
                      generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.TV()])
    return {"tv": summarize(ds["tv"].values)}


def kde_run(n: int, m: int, generations: int, replicates: int, bandwidth, nodes: int, half_width: float, seed: int,
            scale: float | None = None) -> dict:
    """KDE refit under Fresh(n, m) (``lab.KDE(bandwidth, scale=scale)``; scale = σ makes the rule an oracle):
    TV to N(0, 1) by quadrature (GridTV), summarised."""
    import lab
    from lab.plotting import summarize

    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.KDE(bandwidth, scale=scale), lab.Fresh(real=n, synthetic=m),
                      n=n, generations=generations, replicates=replicates, key=seed, batch_size=50,
                      metrics=[GridTV(nodes=nodes, half_width=half_width)])
    tv = ds["tv_grid"].values
    return {"tv": summarize(tv), "tv_values": tv.astype(np.float32)}  # values: paired differences across m


def cells(cfg: Config):
    from lab.study import Cell

    g = max(cfg.generations)
    out = [Cell(f"gauss-m{m}", gaussian_run, dict(n=cfg.n, m=m, generations=g, replicates=cfg.gauss_replicates,
                                                   ddof=cfg.ddof, seed=cfg.seed + j)) for j, m in enumerate(cfg.ms)]
    tv = dict(nodes=cfg.tv_nodes, half_width=cfg.tv_range)
    # KDE cells share one seed across m (common random numbers: the same generation-0 points and fresh real draws for
    # every m), so differences along m are paired and the verdict's tests use their per-replicate differences
    out += [Cell(f"kde-m{m}", kde_run, dict(n=cfg.n, m=m, generations=g, replicates=cfg.scott_replicates,
                                             bandwidth=cfg.kde_bandwidth, seed=cfg.seed + 100, **tv))
            for m in cfg.kde_ms if cfg.scott_replicates > 0]
    out += [Cell(f"kde-oracle-m{m}", kde_run, dict(n=cfg.n, m=m, generations=g, replicates=cfg.kde_replicates,
                                                    bandwidth=cfg.kde_bandwidth, scale=cfg.kde_scale,
                                                    seed=cfg.seed + 200, **tv)) for m in cfg.kde_ms]
    # score network: the cell function of studies.score_net_loop (TV by quadrature from the exact ODE density)
    from studies.score_net_loop import scorenet_tv_vs_m

    out += [Cell(f"net-m{m}", scorenet_tv_vs_m, dict(n=cfg.n, m=m, generations=g, replicates=cfg.net_replicates,
                                                      seed=cfg.seed + 300 + j, width=cfg.net_width,
                                                      steps=cfg.net_steps)) for j, m in enumerate(cfg.net_ms)]
    return out


def _curve(results, prefix, cfg, i):
    ms = {"gauss": cfg.ms, "net": cfg.net_ms}.get(prefix, cfg.kde_ms)
    mean = np.array([results[f"{prefix}-m{m}"]["tv"]["mean"][i] for m in ms])
    se = np.array([results[f"{prefix}-m{m}"]["tv"]["se"][i] for m in ms])
    return mean, se


def _paired_z(results, prefix, cfg, i, a, b):
    """z of E[TV at m = a] − E[TV at m = b] at generation i from per-replicate paired differences (common seeds)."""
    d = results[f"{prefix}-m{a}"]["tv_values"][:, i].astype(float) - results[f"{prefix}-m{b}"]["tv_values"][:, i]
    sd = d.std(ddof=1)
    return float(d.mean() / (sd / np.sqrt(d.size))) if sd > 0 else 0.0  # a = b: identical cells, z = 0


def _kde_theory(cfg, i, m):
    """The lab's sandwich for the oracle-rule KDE (lab.theory.kde_mixed): {"lower", "bound", …} at generation i."""
    from lab.theory import kde_mixed

    hs = kde_mixed.bandwidths(n=cfg.n, m=int(m), i=i, rule=cfg.kde_bandwidth, scale=cfg.kde_scale)
    return kde_mixed.tv_bounds(n=cfg.n, m=int(m), hs=hs, points=1601)


def verdict(results: dict, cfg: Config) -> tuple[bool, str]:
    """Supported when, at the last generation shown, (1) the oracle-rule KDE rises then falls in m: its simulated
    maximum is interior and exceeds both ends by 3 SE of the paired (common-seed) difference — F1's shape; (2) the
    Gaussian family falls then rises: interior minimum 3 SE (independent cells) below both ends — the opposite shape;
    (3) the lab's KDE sandwich lower ≤ E[TV] ≤ B_i holds at every (m, i) within 5 SE."""
    i = cfg.generations[-1]
    k, _ = _curve(results, "kde-oracle", cfg, i)
    g, gs = _curve(results, "gauss", cfg, i)
    j, jg = int(np.argmax(k)), int(np.argmin(g))
    km_ = cfg.kde_ms
    z_k = tuple(_paired_z(results, "kde-oracle", cfg, i, km_[j], km_[e]) for e in (0, -1))
    rise_fall = bool(0 < j < len(k) - 1 and min(z_k) > 3)
    z_g = [(g[e] - g[jg]) / np.hypot(gs[e], gs[jg]) for e in (0, -1)]
    fall_rise = bool(0 < jg < len(g) - 1 and min(z_g) > 3)
    worst = -np.inf
    for ii in cfg.generations:
        mean, se = _curve(results, "kde-oracle", cfg, ii)
        th = [_kde_theory(cfg, ii, m) for m in km_]
        worst = max(worst, ((mean - np.array([t["bound"] for t in th])) / se).max(),
                    ((np.array([t["lower"] for t in th]) - mean) / se).max())
    ok = bool(rise_fall and fall_rise and worst < 5)
    nm, ns = _curve(results, "net", cfg, i)
    jn = int(np.argmin(nm))
    net = (f"; score net (measured, no bound): min {nm[jn]:.3f} at m = {cfg.net_ms[jn]}, m = 0 {nm[0]:.3f}, "
           f"m = {cfg.net_ms[-1]} {nm[-1]:.3f} ({(nm[-1] - nm[0]) / np.hypot(ns[-1], ns[0]):+.1f} SE vs m = 0)")
    return ok, (f"i = {i}: oracle KDE {'rises then falls' if rise_fall else 'does NOT rise then fall'} "
                f"(peak {k[j]:.3f} at m = {km_[j]}, {z_k[0]:.1f} and {z_k[1]:.1f} paired SE above m = 0 "
                f"({k[0]:.3f}) and m = {km_[-1]} ({k[-1]:.3f})); "
                f"Gaussian {'falls then rises' if fall_rise else 'is NOT U-shaped'}"
                f" (min {g[jg]:.3f} at m = {cfg.ms[jg]}, {min(z_g):.1f} SE below both ends); KDE sandwich "
                f"{'holds' if worst < 5 else 'FAILS'} at every (m, i) ("
                + (f"closest {-worst:.1f} SE inside" if worst < 0 else f"largest excess {worst:.1f} SE") + ")" + net)


def _gauss_panel(ax, results, cfg, xs, x0, mfine):
    from lab.theory import mixed, mixed_cov

    for k, i in enumerate(cfg.generations):
        c = f"C{k}"
        mean, se = _curve(results, "gauss", cfg, i)
        ax.errorbar(xs, mean, yerr=2 * se, fmt="o-", color=c, ms=4, capsize=2, label=f"i = {i}: simulated E[TV]")
        b = [mixed_cov.tv_bound(n=cfg.n, m=int(m), i=i, ddof=cfg.ddof) for m in mfine]
        ax.plot(mfine, b, "--", color=c, lw=1.1)
        ax.plot(mfine, [mixed.tv_mean_bound(n=cfg.n, m=int(m), i=i, ddof=cfg.ddof) for m in mfine], ":", color=c,
                lw=0.9)
        ax.plot([x0], [mixed_cov.tv_bound(n=cfg.n, m=0, i=i, ddof=cfg.ddof)], "x", color=c, ms=6)  # bound at m = 0
        ms_opt = mixed_cov.argmin_m_bound(n=cfg.n, i=i, ddof=cfg.ddof, m_max=int(max(cfg.ms)))
        ax.plot([ms_opt], [mixed_cov.tv_bound(n=cfg.n, m=ms_opt, i=i, ddof=cfg.ddof)], "v", color=c, ms=8,
                label=f"   m*({i}) = {ms_opt} (argmin of the bound)")
    ax.plot([], [], "k--", lw=1.1, label="bound on E[TV] (mixed_cov.tv_bound)")
    ax.plot([], [], "k:", lw=0.9, label="its mean part (mixed.tv_mean_bound)")
    ax.set(title=f"(a) Gaussian refit (ddof = {cfg.ddof}): exact 1-D TV, {cfg.gauss_replicates} replicates\n"
                 "dashed: the lab's rigorous bound on E[TV] (mean + covariance parts)\n"
                 "▼: optimum m*(i) of the bound; ×: bound at m = 0", yscale="log")
    ax.legend(fontsize=7.5, ncol=2, loc="center")


def _kde_oracle_panel(ax, results, cfg, xs, x0, mfine):
    from lab.theory import kde_mixed

    for k, i in enumerate(cfg.generations):
        c = f"C{k}"
        mean, se = _curve(results, "kde-oracle", cfg, i)
        th = [_kde_theory(cfg, i, m) for m in mfine]
        ax.plot(mfine, [t["bound"] for t in th], "--", color=c, lw=1.1)
        ax.plot(mfine, [t["lower"] for t in th], ":", color=c, lw=1.0)
        t0 = _kde_theory(cfg, i, 0)
        ax.plot([x0, x0], [t0["bound"], t0["lower"]], "x", color=c, ms=6)  # theory at m = 0
        mt = kde_mixed.threshold_m(n=cfg.n, i=i, rule=cfg.kde_bandwidth, scale=cfg.kde_scale,
                                   m_max=int(max(cfg.kde_ms)), points=801)
        ax.plot([mt], [_kde_theory(cfg, i, mt)["bound"]], "v", color=c, ms=8)
        js = int(np.argmax(mean))
        ax.errorbar(xs, mean, yerr=2 * se, fmt="o-", color=c, ms=4, capsize=2,
                    label=f"i = {i}: sim. peak m = {cfg.kde_ms[js]}; bound's m† = {mt}; "
                          f"first-order m† ≈ {kde_mixed.threshold_m_smoothing(n=cfg.n, i=i):.0f}")
        ax.plot([xs[js]], [mean[js]], "*", color=c, ms=12, mec="k", mew=0.6)
    ax.plot([], [], "k--", lw=1.1, label="upper bound B_i ≥ E[TV] (kde_mixed.tv_bound)")
    ax.plot([], [], "k:", lw=1.0, label="lower bound TV(E p_i, p*) ≤ E[TV] (kde_mixed.tv_lower)")
    ax.set(title=f"(b) KDE, oracle rule h = N^(-1/5) (truth's σ; h_0 = n^(-1/5)): TV by quadrature, "
                 f"{cfg.kde_replicates} replicates\nlab.theory.kde_mixed: rigorous sandwich lower ≤ E[TV] ≤ B_i "
                 "(×: at m = 0)\n▼ threshold m† = argmax_m B_i; ★ simulated peak on the m grid")
    ax.set_ylim(0.0, None)
    ax.legend(fontsize=7, loc="lower center")


def _sim_curves(ax, results, cfg, xs, prefix):
    """Simulated E[TV] ± 2 SE against m, one curve per generation i (panels without theory)."""
    for k, i in enumerate(cfg.generations):
        mean, se = _curve(results, prefix, cfg, i)
        ax.errorbar(xs, mean, yerr=2 * se, fmt="o-", color=f"C{k}", ms=4, capsize=2, label=f"i = {i}")


def _net_panel(ax, results, cfg, xs):
    _sim_curves(ax, results, cfg, xs, "net")
    g0 = np.array([results[f"net-m{m}"]["tv"]["mean"][0] for m in cfg.net_ms]).mean()
    ax.axhline(g0, color="grey", ls="--", lw=1, label=f"generation 0 (mean over cells) {g0:.3f}")
    ax.set(title=f"(c) score network (lab.ScoreNetDiffusion, width {cfg.net_width}, {cfg.net_steps} Adam steps), "
                 f"{cfg.net_replicates} replicates\nTV by quadrature of the exact ODE density; no bound "
                 "(F1's is not available; see studies/score_net_loop)")
    ax.set_ylim(0.0, None)
    ax.legend(fontsize=7.5, loc="upper left")


def _kde_scott_panel(ax, results, cfg, xs):
    _sim_curves(ax, results, cfg, xs, "kde")
    ax.set(title=f"(d) KDE, Scott's rule h = σ̂·N^(-1/5) (data-driven), {cfg.scott_replicates} replicates\n"
                 "TV by quadrature; no theory curve (the bound needs a data-independent h)")
    ax.legend(fontsize=7.5, loc="upper left")


def _log_x(ms):
    ms = np.asarray(ms, float)
    x0 = ms[ms > 0].min() / 2  # where m = 0 is drawn on the log axis
    return np.where(ms > 0, ms, x0), x0


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    scott = cfg.scott_replicates > 0
    fig, axes = plt.subplots(1, 4 if scott else 3, figsize=(28 if scott else 22, 6.8))
    xs, x0 = _log_x(cfg.ms)
    _gauss_panel(axes[0], results, cfg, xs, x0,
                 np.unique(np.geomspace(np.ceil(x0), max(cfg.ms), 60).round()).astype(int))
    xs, x0 = _log_x(cfg.kde_ms)
    _kde_oracle_panel(axes[1], results, cfg, xs, x0,
                      np.unique(np.geomspace(np.ceil(x0), max(cfg.kde_ms), 60).round()).astype(int))
    if scott:
        _kde_scott_panel(axes[3], results, cfg, xs)
    xs, _ = _log_x(cfg.net_ms)
    _net_panel(axes[2], results, cfg, xs)
    for ax in axes:
        ax.set(xscale="log", xlabel=f"synthetic points per generation m (n = {cfg.n} fresh real; leftmost: m = 0)",
               ylabel="E[TV(model_i, truth)]")
        ax.grid(alpha=0.3, which="both", lw=0.4)
    import textwrap

    ok, why = verdict(results, cfg)
    why = textwrap.fill(f"{'SUPPORTED' if ok else 'NOT SUPPORTED'} by this run: {why}.", 190)
    fig.suptitle("Phase transition in m? F1: TV rises, then falls past a threshold. The lab: the Gaussian family FALLS "
                 "then RISES (optimum m*(i)); the KDE whose bandwidth shrinks with N RISES then FALLS\n"
                 "(threshold m†(i),"
                 f" located by the lab's bound).\n{why}\n"
                 f"Lines = mean ± 2 SE; i = {cfg.generations[0]}…{cfg.generations[-1]}",
                 fontsize=9.5)
    fig.tight_layout()
    return fig
