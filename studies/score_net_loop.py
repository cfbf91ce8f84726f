# ~245 lines, above the gallery's ~150: two truths × three regimes with density and scatter panels, full's F1 panels.
"""The score network in the loop: Replace drifts from the truth, Augment and Fresh stay near generation 0.

Claim tested: with a one-hidden-layer score network retrained every generation, training only on the previous model's
samples (Replace) drifts away from the truth, while keeping real data in the training set (Augment: the generation-0
real set kept; Fresh: half fresh real points) holds the model near generation 0 (Shumailov et al. 2024, "AI models
collapse when trained on recursively generated data"; Bertrand et al. 2024, "On the stability of iterative retraining
of generative models on their own data", Thm. 1: a large enough real fraction keeps the loop stable).

Setting: truths 1-D 0.4 N(−2, 0.5²) + 0.6 N(1.5, 0.71²) and 2-D three modes (0.5/0.3/0.2 at (−1.5, −1), (1.5, −1),
(0, 1.5), covariance 0.3 I). Model ``lab.ScoreNetDiffusion`` (width 64, 2000 Adam steps, batch 256), probability-flow
sampler. n rows per generation: Replace n synthetic; Augment the n real plus n synthetic; Fresh n/2 real + n/2
synthetic. Distance TV(model_t, truth) from the model's exact density: 1-D by quadrature (``lab.metrics.GridTV``), 2-D
by Monte Carlo over truth draws (``TVMonteCarlo``). The full preset adds F1's scaling panels (Fu et al. 2024) on
N(0, 1): TV vs the synthetic amount m under Fresh(n, m), and fully synthetic TV vs N (``lab.scorenet_runs``).

Verdict rule (margin in SEs; rise = mean TV at the last generation − generation 0, SE = √(se_T² + se_0²)): per truth,
Replace must rise by more than 3 SE, and each of Augment's and Fresh's rises must lie below a third of Replace's by
more than 1 SE of their difference: SUPPORTED when all hold, NOT SUPPORTED when Replace does not rise or a rise lies
above the third by more than 1 SE, INCONCLUSIVE otherwise. The 1 SE margin keeps the verdict from resting on float32
rounding, which moves these means by less than a quarter of an SE across machines (tests/test_reproducibility.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.scorenet_runs import LO, HI, scorenet, scorenet_tv_replace, scorenet_tv_vs_m  # noqa: F401 (cells)

NAME = "score_net_loop"
CLAIM = "Score-network diffusion in the loop: Replace drifts from the truth, Augment and Fresh stay near generation 0"
REGIMES = ("Replace", "Augment", "Fresh")
COLORS = {"Replace": "C3", "Augment": "C1", "Fresh": "C2"}
MIX1 = dict(weights=[0.4, 0.6], means=[[-2.0], [1.5]], covs=[[[0.25]], [[0.5]]])
MIX2 = dict(weights=[0.5, 0.3, 0.2], means=[[-1.5, -1.0], [1.5, -1.0], [0.0, 1.5]],
            covs=[(0.3 * np.eye(2)).tolist()] * 3)
RISE_SE, MARGIN_SE = 3.0, 1.0  # Replace's rise in SEs; the margin below a third of it


@dataclass(frozen=True)
class Config:
    n: int = 400  # real samples at generation 0 (both truths); rows per generation in every regime
    generations: int = 5  # generations after generation 0 in the regime comparison
    replicates: int = 8  # independent loops per (truth, regime)
    width: int = 64  # hidden units of the score network
    steps: int = 2000  # Adam steps per fit
    batch: int = 256  # minibatch rows per step
    lr: float = 1e-2  # peak Adam learning rate (cosine decay)
    grid: int = 241  # 1-D quadrature points on [−6, 6] for GridTV and the density panels
    tv_samples: int = 512  # truth draws per 2-D Monte Carlo TV
    scatter: int = 400  # model samples per 2-D scatter panel (replicate 0)
    m_n: int = 20  # fresh real points per generation in the TV-vs-m panel (N(0, 1) truth)
    ms: tuple = ()  # synthetic amounts m in the TV-vs-m panel (full preset only: 7 network loops)
    m_generations: int = 5  # generations of the TV-vs-m and fully-synthetic runs (panels show 2…5)
    m_replicates: int = 8  # replicates per m and per N
    synth_ns: tuple = ()  # per-generation sizes N of the fully synthetic runs (full preset only)
    seed: int = 7  # base seed; the loop cells share it (common generation 0 per truth), other cells add an offset


# quick: the regime comparison only (the claim: 6 network loops, the bulk of the cost; fewer generations or
# replicates leave the rule undecided); F1's panels cost 7 more network loops and go to full
PRESETS = {"quick": Config(),
           "full": Config(generations=12, replicates=32, tv_samples=1024, ms=(0, 10, 20, 40, 80, 160, 640),
                          m_replicates=16, synth_ns=(20, 40, 80, 160, 320, 640))}


def _lane(name: str, n: int, seed: int):
    """The regime as a ``lab.lanes`` lane (real rows r, synthetic rows m, fresh?) in a buffer of n real + n synthetic
    rows: Replace (0, n), Augment(synthetic=n) (n, n, the generation-0 set kept), Fresh(n/2, n/2) (n/2, n/2, fresh)."""
    from lab.lanes import Lane

    if name not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}, got {name!r}")
    return {"Replace": Lane.replace(n, seed=seed), "Augment": Lane.augment(n, n, seed=seed),
            "Fresh": Lane.fresh_data(n // 2, n - n // 2, seed=seed)}[name]


_JITTED: dict = {}  # (what, configuration) -> jitted density / sampler, shared by the cells of a process


def _jitted(what: str, model, arg):
    """One jitted function per (what, model, arg) and process: "density" on the grid x = arg (every (replicate,
    generation) at once), "sample" of arg rows."""
    import jax
    import jax.numpy as jnp

    key = (what, repr(model.describe()), repr(np.asarray(arg).tolist()))
    if key not in _JITTED:
        if what == "density":
            x = jnp.asarray(arg)[:, None]
            one = lambda p: jnp.exp(model.log_prob(p, x))  # noqa: E731
            _JITTED[key] = jax.jit(jax.vmap(jax.vmap(one)))
        else:
            _JITTED[key] = jax.jit(lambda p, k: model.sample(p, key=k, n=int(arg)))
    return _JITTED[key]


def loop_run(dim: int, regime: str, n: int, generations: int, replicates: int, width: int, steps: int, batch: int,
             lr: float, grid: int, tv_samples: int, scatter: int, seed: int) -> dict:
    """One (truth, regime) loop: TV over generations (summarised over replicates) and the model at generations
    0, ⌊G/2⌋, G — 1-D: density on the grid, mean over replicates and replicate 0; 2-D: ``scatter`` samples of
    replicate 0. Run as a ``lab.lanes`` lane: the three regimes of a truth share one compiled loop (the numbers of
    ``lab.simulate`` under the regime, up to float32 rounding)."""
    import jax

    import lab
    from lab import lanes
    from lab.analysis import summarize
    from lab.metrics.grid import GridTV
    from lab.metrics.samples import TVMonteCarlo

    model = scorenet(width, steps, batch, lr)
    metric = GridTV(LO, HI, points=grid) if dim == 1 else TVMonteCarlo(samples=tv_samples)
    truth = lab.GaussianMixture(**(MIX1 if dim == 1 else MIX2))
    tv, params = lanes.run(truth, model, metric, [_lane(regime, n, seed)], n=n, capacity=n, generations=generations,
                           replicates=replicates, batch=replicates, return_params=True)[0]
    shown = sorted({0, generations // 2, generations})
    out = {"tv": summarize(tv), "shown": shown}
    if dim == 1:
        x, _ = metric.nodes()
        q = np.asarray(_jitted("density", model, x)(jax.tree.map(lambda a: a[:, shown], params)))
        out.update(x=np.asarray(x), density_mean=q.mean(0), density_r0=q[0])
    else:
        draw = _jitted("sample", model, scatter)
        out["samples"] = np.array([np.asarray(draw(jax.tree.map(lambda a: a[0, g], params), jax.random.key(seed + g)))
                                   for g in shown])
    return out


def cells(cfg: Config):
    from lab.study import Cell

    net = dict(width=cfg.width, steps=cfg.steps, batch=cfg.batch, lr=cfg.lr)
    out = [Cell(f"loop{d}d-{r}", loop_run, dict(dim=d, regime=r, n=cfg.n, generations=cfg.generations,
                                                 replicates=cfg.replicates, grid=cfg.grid, tv_samples=cfg.tv_samples,
                                                 scatter=cfg.scatter, seed=cfg.seed + d, **net))
           for d in (1, 2) for r in REGIMES]
    f1 = dict(generations=cfg.m_generations, replicates=cfg.m_replicates, grid=cfg.grid, **net)
    out += [Cell(f"m{m}", scorenet_tv_vs_m, dict(n=cfg.m_n, m=m, seed=cfg.seed + 100 + j, **f1))
            for j, m in enumerate(cfg.ms)]
    out += [Cell(f"synth{N}", scorenet_tv_replace, dict(n=N, seed=cfg.seed + 200 + j, **f1))
            for j, N in enumerate(cfg.synth_ns)]
    return out


def _rise(s):
    """(rise of the mean TV from generation 0 to the last, its SE with the two treated as independent)."""
    return float(s["mean"][-1] - s["mean"][0]), float(np.hypot(s["se"][-1], s["se"][0]))


def summary(results: dict, cfg: Config) -> dict:
    from lab.analysis import Verdict

    oks, rises, parts = [], {}, []
    for d in (1, 2):
        (rep, se_rep), z = _rise(results[f"loop{d}d-Replace"]["tv"]), {}
        for r in ("Augment", "Fresh"):
            rise, se = _rise(results[f"loop{d}d-{r}"]["tv"])
            z[r] = (rise - rep / 3) / np.hypot(se, se_rep / 3)  # SEs above a third of Replace's rise
            rises[f"{d}d-{r}"] = rise
        rises[f"{d}d-Replace"], drift = rep, rep / se_rep
        oks.append(False if drift <= RISE_SE or max(z.values()) > MARGIN_SE else
                   (True if max(z.values()) < -MARGIN_SE else None))
        parts.append(f"{d}-D Replace TV +{rep:.3f} ({drift:.1f} SE), Augment {rises[f'{d}d-Augment']:+.3f}, Fresh "
                     f"{rises[f'{d}d-Fresh']:+.3f} ({-max(z.values()):.1f} SE below a third of Replace's)")
    ok = False if False in oks else (None if None in oks else True)
    v = Verdict.of(ok, f"Replace rises > {RISE_SE:g} SE; Augment, Fresh rise < ⅓ of it by > {MARGIN_SE:g} SE",
                   **{f"rise_{k}": x for k, x in rises.items()})
    return {"verdict": v, "headline": f"Over {cfg.generations} generations: " + "; ".join(parts) + ".",
            "tv_gen0": {f"{d}d-{r}": float(results[f"loop{d}d-{r}"]["tv"]["mean"][0]) for d in (1, 2)
                        for r in REGIMES}}


def verdict(results: dict, cfg: Config) -> tuple:
    """(summary's Verdict.ok, its text): the old calling convention."""
    v = summary(results, cfg)["verdict"]
    return v.ok, str(v)


def _f1_panels(ax_m, ax_n, results, cfg):
    """(i) TV at generations 2…G vs m under Fresh(m_n, m); (j) fully synthetic TV vs N, log–log, fitted exponents."""
    from lab.analysis import slope_fit

    gens = list(range(2, cfg.m_generations + 1))
    for ax, key, xs, fmt in ((ax_m, "m", cfg.ms, "log"), (ax_n, "synth", cfg.synth_ns, "loglog")):
        if not xs:
            ax.axis("off")
            continue
        x = np.asarray(xs, float)
        x = np.where(x > 0, x, x[x > 0].min() / 2)  # m = 0 drawn at the left edge
        for k, i in enumerate(gens if key == "m" else [0] + gens):
            mean = np.array([results[f"{key}{v}"]["tv"]["mean"][i] for v in xs])
            se = np.array([results[f"{key}{v}"]["tv"]["se"][i] for v in xs])
            lab_ = f"i = {i}" + (f": slope {slope_fit(np.log(x), np.log(mean)).slope:+.2f}" if key == "synth" else "")
            ax.errorbar(x, mean, yerr=2 * se, fmt="o-", ms=4, capsize=2, color=f"C{k}", label=lab_)
        ax.set(xscale="log", yscale="log" if fmt == "loglog" else "linear", ylabel="E[TV(model_i, N(0, 1))]")
        ax.legend(fontsize=8, ncol=2, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax_m.set(title=f"(i) Fresh(n = {cfg.m_n}, m): TV vs m (F1: rises then falls)",
             xlabel="synthetic points per generation m (leftmost: m = 0)")
    ax_n.set(title="(j) fully synthetic: TV vs N (parametric slope −½)", xlabel="sample size N per generation")


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    import lab
    from lab.analysis import band, densities, scatter_over_contours

    f1 = bool(cfg.ms or cfg.synth_ns)
    fig, axes = plt.subplots(3 if f1 else 2, 4, figsize=(17, 13.5 if f1 else 9))
    t = np.arange(cfg.generations + 1)
    truth1, truth2 = lab.GaussianMixture(**MIX1), lab.GaussianMixture(**MIX2)
    for row, d in enumerate((1, 2)):
        ax = axes[row, 0]
        for r in REGIMES:
            band(ax, t, results[f"loop{d}d-{r}"]["tv"], label=r, color=COLORS[r])
        ax.set(title=f"({'ae'[row]}) {d}-D: TV(model_t, truth)", xlabel="generation t", ylabel="TV")
        ax.legend(fontsize=9, loc="upper left", title="mean, 10–90 %", title_fontsize=8)
        for k, r in enumerate(REGIMES):
            res, ax = results[f"loop{d}d-{r}"], axes[row, k + 1]
            labels = [f"t = {g}" for g in res["shown"]]
            if d == 1:
                x = np.asarray(res["x"])
                densities(ax, x, np.exp(np.asarray(truth1.log_prob(x[:, None]))), res["density_mean"],
                          labels=labels, dotted=res["density_r0"])
                ax.set(xlim=(-4.5, 4.5), ylim=(0, 0.75), xlabel="x", ylabel="density (dotted: replicate 0)")
                ax.legend(fontsize=8, loc="upper left", ncol=2)
            else:
                scatter_over_contours(ax, res["samples"], truth2.log_prob, labels=labels)
                ax.set(xlabel="x₁", ylabel="x₂ (replicate 0; black: truth)")
            tv = res["tv"]["mean"]
            ax.set_title(f"({'abcdefgh'[4 * row + k + 1]}) {r}, {d}-D: mean TV {tv[0]:.2f} → {tv[-1]:.2f}",
                         fontsize=11)
    if f1:
        _f1_panels(axes[2, 0], axes[2, 2], results, cfg)
        axes[2, 1].axis("off")
        axes[2, 3].axis("off")
    fig.legend(*axes[1, 1].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=10, markerscale=3,
               title="2-D samples (f–h), replicate 0", title_fontsize=9, bbox_to_anchor=(0.5, -0.05))
    v = summary(results, cfg)["verdict"]
    fig.suptitle(f"Score network (width {cfg.width}, {cfg.steps} steps) in the loop, n = {cfg.n}, {cfg.replicates} "
                 f"replicates: {v.status}\nrule: {v.rule}", fontsize=12)
    fig.tight_layout()
    return fig
