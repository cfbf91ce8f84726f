# Longer than ~150 lines: four loops, two worlds (2-D ring, digits) and an equivalence-style verdict with a margin.
"""SIMS in the loop: does iterated training on SIMS-generated data avoid going MAD?

Claim (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", THEORY N1): "iterated training
on SIMS-generated data does not go MAD". The lab's analytic worlds (THEORY G2–G5) predict that a fully synthetic loop
(Replace) drifts from the truth while keeping the real set every generation (Augment) holds it near.
Setting: four loops, each one ``lab.simulate`` call (replicates vmapped), every generation trained from scratch with the
same budget, as MAD's loops are: Replace (n samples of θ_t), Augment (the n real rows + n samples), SIMS loop
(``lab.SIMS`` family under Replace: next rows are guided samples D_θt + ω (D_θt − D_at), a_t fine-tuned from θ_t on
its own samples for B steps), Augment + SIMS (the paper's own MAD setting, Sec. 4.2). The four calls share ``key``, so
replicate r draws the same real rows and metric noises in every loop (common random numbers); the Diffusion and SIMS
families' θ_0 are two trainings on the same rows.
Method: metrics in the engine's jitted program. 2-D ring (``lab.sims.worlds.ring``): sliced W₂ (64 directions; exact
W₂ cannot run in the jit) to truth draws — the verdict's —, the NLL under the truth (not a divergence: mass piled on the
modes scores below the entropy), k-NN precision/recall, all four on one draw of the model per (replicate, generation)
(``worlds.RingPanel``: one sampler in the program, not four); dotted: the same estimators between two truth sets. Digits
(gpu preset): the classifier's train split as the truth (``worlds.Rows``), FD and precision/recall in its features
against the held-out digits (``worlds.DigitsFeatures``). Dashed: the SIMS loop's own unguided θ_t (``worlds.OfBase``).
Verdict rule (``lab.analysis``, paired t and equivalence): per loop, d = metric_G − metric_0 paired over replicates,
one-sided t at α = 0.05. A loop *holds* when the upper bound d̄ + q·SE < δ = a third of Replace's mean drift (Replace
must itself go MAD, or there is no margin); it *goes MAD* when the lower bound > 0; else *inconclusive*. SUPPORTED if
Augment + SIMS holds, NOT SUPPORTED if it goes MAD, INCONCLUSIVE otherwise; the summary also reports the fully
synthetic SIMS loop and says when the run cannot credit SIMS (Replace not MAD, or Augment alone holds).
Results: ``figures/sims_loop.json`` and the README's gpu table. Replace and the SIMS loop drift while the real-data
loops stay near generation 0. With three replicates (cpu-quick) the verdict sits at the edge of the rule: when the
four metrics got one model draw each (before ``worlds.RingPanel``), Replace's drift was not shown to be MAD, so there
was no margin and the run was INCONCLUSIVE; with the shared draw (new metric noises, same law) Replace is shown MAD and
Augment + SIMS's upper bound falls just below a third of it (SUPPORTED), while the fully synthetic SIMS loop stays
inconclusive. Either reading rests on three replicates; the gpu preset's 16 decide it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lab import analysis
from lab.sims import estimate, suite, worlds

NAME = "sims_loop"
CLAIM = "Iterated training on SIMS-generated data does not go MAD (Replace degrades, Augment holds)"
LOOPS = ("Replace", "Augment", "SIMS", "AugmentSIMS")
GUIDED = ("SIMS", "AugmentSIMS")  # loops whose family is lab.SIMS (next rows are SIMS samples)
LABELS = {"Replace": "Replace", "Augment": "Augment", "SIMS": "SIMS loop (fully synthetic)",
          "AugmentSIMS": "Augment + SIMS (paper's setting)"}
COLORS = {"Replace": "C3", "Augment": "C0", "SIMS": "C2", "AugmentSIMS": "C4"}
METRIC_KEYS = {"sliced_w2": "w2", "nll_under_truth": "nll", "precision": "precision", "recall": "recall", "fd": "fd"}
MARGIN_SHARE = 1 / 3  # a loop holds when its drift is shown below this share of Replace's measured drift


@dataclass(frozen=True)
class Config:
    world: str = "ring"  # "ring" (2-D mixture, metrics against the analytic truth) or "digits" (sklearn 8×8)
    k: int = 8  # ring: number of modes
    radius: float = 2.0  # ring: radius of the mode centres
    std: float = 0.15  # ring: per-coordinate std of each mode
    n: int = 512  # real rows of generation 0 (digits: ≤ the train split) = synthetic rows per generation
    generations: int = 5  # G, generations after generation 0
    replicates: int = 3  # seeds = the engine's vmapped replicate axis (one compile per loop); bands over them
    key: int = 0  # lab.simulate's key, the same for the four loops (replicate r: fold_in(key, r) in each)
    net: str = "mlp"  # "mlp" (lab.diffusion.MLP(width, depth)) or "conv" (lab.diffusion.Conv(8, width, depth))
    width: int = 64  # MLP width or conv channels
    depth: int = 3  # MLP hidden layers or residual blocks
    steps: int = 1000  # training steps of every generation, from scratch
    batch: int = 256  # rows per training step
    lr: float = 2e-3  # peak Adam learning rate (training from scratch)
    sigma_data: float = 1.4  # σ_d of EDM's preconditioning (ring: √(radius²/2 + std²) ≈ 1.42; digits ≈ 0.5)
    aux_steps: int = 200  # B, fine-tuning steps of the auxiliary model (lab.SIMS budget)
    aux_lr: float = 1e-3  # peak Adam learning rate of the fine-tuning
    omega: float = 0.5  # ω of the SIMS loops' guided sampler (generation 0, quick: ω ≤ 0.5 is near-neutral)
    sampler_steps: int = 18  # N of the Heun sampler (Karras et al. 2022, Alg. 1)
    n_eval: int = 1000  # model (and truth) draws of the sliced W₂ and the NLL, per (replicate, generation)
    projections: int = 64  # directions of the sliced W₂
    pr_samples: int = 1000  # draws of k-NN precision/recall (k = 5)
    scatter: int = 600  # rows of replicate 0's last generation kept for the figure

    def __post_init__(self):
        if self.world not in ("ring", "digits"):
            raise ValueError(f"world must be 'ring' or 'digits', got {self.world!r}")
        if self.net not in ("mlp", "conv"):
            raise ValueError(f"net must be 'mlp' or 'conv', got {self.net!r}")
        if self.generations < 1 or self.replicates < 1:
            raise ValueError("generations and replicates must be at least 1")


QUICK = Config()
# gpu: one H100, digits world, sized from FLOPs (a fit ≈ 6·P·batch·steps ≈ 3.7 TFLOP for MLP(512, 3); 16 replicates ×
# 7 generations per loop at 5–10 TFLOP/s sustained): 4 cells ≈ 4–7 minutes.
PRESETS = {"cpu-quick": QUICK,
           "cpu-full": replace(QUICK, generations=8, replicates=8, steps=3000, n_eval=2000, pr_samples=2000),
           "gpu": replace(QUICK, world="digits", n=1437, generations=6, replicates=16, width=512, depth=3,
                          steps=4000, batch=256, lr=5e-4, sigma_data=0.5, aux_steps=800, aux_lr=2.5e-4, omega=0.5,
                          n_eval=1000, pr_samples=1000, scatter=64)}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]
estimate_seconds = estimate.loop  # run-time estimate printed by ``python -m lab sims``


def family(settings: dict, loop: str):
    """``lab.Diffusion`` for Replace/Augment; ``lab.SIMS`` of it for the SIMS loops (B = aux_steps, n_s = n, ω)."""
    import lab

    base = worlds.settings_diffusion(settings, settings["steps"])
    return base if loop not in GUIDED else lab.SIMS(base, omega=settings["omega"], budget=settings["aux_steps"],
                                                    synthetic=settings["n"], aux_lr=settings["aux_lr"])


def metrics(settings: dict) -> tuple:
    """The in-jit metrics of the emitted distribution: ring: sliced W₂, NLL under the truth, precision, recall;
    digits: FD, precision, recall in the classifier's features."""
    s = settings
    if s["world"] == "ring":  # one model draw shared by the four (worlds.RingPanel: one sampler in the program)
        return (worlds.RingPanel(s["n_eval"], s["projections"], s["pr_samples"]),)
    return tuple(worlds.DigitsFeatures(kind, s["n_eval"] if kind == "fd" else s["pr_samples"])
                 for kind in ("fd", "precision", "recall"))


def world_truth(settings: dict):
    if settings["world"] == "ring":
        return worlds.ring(settings)
    rows = worlds.digits_world()[0]
    if settings["n"] > rows.points.shape[0]:
        raise ValueError(f"n must be at most {rows.points.shape[0]} (the digits train split), got {settings['n']}")
    return rows


def run_loop(loop: str, settings: dict) -> dict:
    """One loop through ``lab.simulate``, replicates vmapped: {emitted, unguided (SIMS loops): {metric: (R, G + 1)}},
    losses, the truth's reference values, replicate 0's last-generation samples "last" and the record."""
    import jax

    import lab
    from lab.loop import metric_names

    if loop not in LOOPS:
        raise ValueError(f"loop must be one of {LOOPS}, got {loop!r}")
    fam, ms, G = family(settings, loop), metrics(settings), settings["generations"]
    reg = lab.Augment(synthetic=settings["n"]) if loop in ("Augment", "AugmentSIMS") else lab.Replace()
    extra = tuple(worlds.OfBase(m) for m in ms) if loop in GUIDED else ()
    ds, params = lab.simulate(world_truth(settings), fam, reg, n=settings["n"], generations=G,
                              replicates=settings["replicates"], key=settings["key"], metrics=list(ms + extra),
                              return_params=True)
    last = jax.tree.map(lambda a: a[0, G], params)
    x = np.asarray(fam.sample(last, key=jax.random.key(settings["key"] + 999), n=settings["scatter"]), np.float32)
    record = {"loop": loop, "settings": settings, **{k: ds.attrs[k] for k in ("model", "regime", "metrics", "key")},
              "protocol": "lab.simulate: every generation trains from scratch for `steps`; SIMS loops: lab.SIMS fit "
                          "(base, n own samples, aux = fine-tune for aux_steps), next rows = n guided samples at "
                          "omega; Augment regimes keep the n real rows of generation 0"}
    names = metric_names(ms)
    return {"record": record, "emitted": {METRIC_KEYS[m]: ds[m].values.tolist() for m in names},
            "unguided": {METRIC_KEYS[m]: ds[f"base_{m}"].values.tolist() for m in names} if extra else {},
            "losses": {v: ds[v].values.tolist() for v in ("train_loss", "aux_loss") if v in ds},
            "reference": worlds.ring_references(settings), "last": x}


def cells(cfg: Config):
    from lab.study import Cell

    return [Cell(loop, run_loop, dict(loop=loop, settings=suite.settings_of(cfg, ()))) for loop in LOOPS]


def gpu_check_configs(cfg: Config) -> list:
    """(``lab.Diffusion`` family, data shape) of Replace's fit (n rows), Augment's (2n) and the SIMS fine-tuning."""
    d, sims = 2 if cfg.world == "ring" else 64, family(suite.settings_of(cfg, ()), "SIMS")
    return (suite.gpu_check(sims.base, (cfg.n, d)) + suite.gpu_check(sims.base, (2 * cfg.n, d))
            + suite.gpu_check(replace(sims.base, train=sims.aux_train), (cfg.n, d)))


def curves(results: dict, cfg: Config, loop: str, metric: str, which: str = "emitted") -> np.ndarray:
    """(replicates, G + 1) values of ``metric`` along ``loop``."""
    return np.asarray(results[loop][which][metric], float)


def drift_test(results: dict, cfg: Config, loop: str, which: str = "emitted") -> analysis.Paired:
    """The paired comparison over replicates of metric_G − metric_0 (sliced W₂ on the ring, FD on digits)."""
    c = curves(results, cfg, loop, "w2" if cfg.world == "ring" else "fd", which)
    return analysis.paired(c[:, -1], c[:, 0])


def drift(results: dict, cfg: Config, loop: str, which: str = "emitted") -> tuple[float, float]:
    """(mean over replicates of metric_G − metric_0, its standard error)."""
    p = drift_test(results, cfg, loop, which)
    return p.mean, p.se


def margin(results: dict, cfg: Config) -> float:
    """δ = ``MARGIN_SHARE`` × Replace's mean drift when Replace goes MAD, else 0 (no reference: nothing can hold)."""
    p = drift_test(results, cfg, "Replace")
    return MARGIN_SHARE * p.mean if p.greater() else 0.0


def status(results: dict, cfg: Config) -> dict:
    """{loop: "holds" | "MAD" | "inconclusive"} (``analysis.equivalence`` against ``margin``), plus "SIMS-unguided"."""
    delta = margin(results, cfg)
    out = {"Replace": "MAD" if drift_test(results, cfg, "Replace").greater() else "inconclusive"}
    out.update({loop: analysis.equivalence(drift_test(results, cfg, loop), delta) for loop in LOOPS[1:]})
    out["SIMS-unguided"] = analysis.equivalence(drift_test(results, cfg, "SIMS", "unguided"), delta)
    return out


def summary(results: dict, cfg: Config) -> dict:
    """The equivalence rule on Augment + SIMS (module docstring), every loop's drift and status."""
    st, delta = status(results, cfg), margin(results, cfg)
    tests = {loop: drift_test(results, cfg, loop) for loop in LOOPS} | \
        {"SIMS-unguided": drift_test(results, cfg, "SIMS", "unguided")}
    name = "sliced W₂" if cfg.world == "ring" else "FD"
    ok = {"holds": True, "MAD": False}.get(st["AugmentSIMS"])
    v = analysis.Verdict.of(ok, f"equivalence of the drift {name}_G − {name}_0 paired over replicates "
                            f"({tests['Replace'].level()}): holds if the upper bound < δ = {MARGIN_SHARE:.2g} × "
                            f"Replace's drift, MAD if the lower bound > 0", margin=delta,
                            **{f"{k}_upper": p.upper for k, p in tests.items()})
    caveat = (" Replace itself is not shown to go MAD, so there is no margin." if st["Replace"] != "MAD" else "") + \
        (" Augment alone also holds, so the paper's setting cannot credit SIMS." if st["Augment"] == "holds" else "")
    rows = "; ".join(f"{LABELS.get(k, 'SIMS loop, unguided θ_t')} {p.fmt()} ({st[k]})" for k, p in tests.items())
    return {"verdict": v, "status": st, "margin": delta, "drift": {k: p.to_dict() for k, p in tests.items()},
            "headline": f"Augment + SIMS {st['AugmentSIMS']}; drift of {name} from generation 0 to {cfg.generations} "
                        f"over {cfg.replicates} replicates, δ = {delta:.3f}: {rows}.{caveat}"}


def verdict(results: dict, cfg: Config) -> tuple:
    """(ok, text) of ``summary`` (``lab.readme``'s gpu table); ok is None when inconclusive."""
    return suite.verdict_of(summary(results, cfg))


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    s, ring = summary(results, cfg), cfg.world == "ring"
    panels = ({"w2": "sliced W₂ to truth draws", "nll": "NLL under the truth (nats)"} if ring else
              {"fd": "FD (classifier features)"}) | {"precision": "precision (k = 5)", "recall": "recall (k = 5)"}
    t = np.arange(cfg.generations + 1)
    fig, axes = plt.subplots(2, 4, figsize=(13, 7.6), gridspec_kw=dict(hspace=0.35, wspace=0.3))
    for i, (ax, (m, label)) in enumerate(zip(axes[0], panels.items())):
        for loop in LOOPS:
            c = curves(results, cfg, loop, m)
            ax.plot(t, c.mean(0), color=COLORS[loop], lw=1.8, marker="o", ms=3, label=LABELS[loop])
            ax.fill_between(t, c.min(0), c.max(0), color=COLORS[loop], alpha=0.12, lw=0)
        ax.plot(t, curves(results, cfg, "SIMS", m, "unguided").mean(0), color=COLORS["SIMS"], lw=1.3, ls="--",
                label="SIMS loop's θ_t, unguided")
        if ring and m in ("nll", "w2"):
            ref = results["Replace"]["reference"]["nll_truth" if m == "nll" else "w2_floor"]
            ax.axhline(ref, color="k", lw=1.2, ls=":", zorder=4, label="truth's own value")
        ax.set(xlabel="generation t", title=f"({'abcd'[i]}) {label}")
    for j, (ax, loop) in enumerate(zip(axes[1], LOOPS)):
        x = np.asarray(results[loop]["last"])
        if ring:
            import jax

            real = np.asarray(worlds.ring(suite.settings_of(cfg, ())).sample(key=jax.random.key(0), n=len(x)))
            ax.scatter(*real.T, s=3, color="0.75")
            ax.scatter(*x.T, s=3, color=COLORS[loop])
            lim = 1.4 * cfg.radius + 4 * cfg.std
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
        else:
            k = int(np.sqrt(min(len(x), 64)))
            grid = np.clip(x[: k * k], -1, 1).reshape(k, k, 8, 8).transpose(0, 2, 1, 3).reshape(k * 8, -1)
            ax.imshow(grid, cmap="gray_r", vmin=-1, vmax=1)
            ax.set(xticks=[], yticks=[])
        ax.set_title(f"({'efgh'[j]}) {LABELS[loop]}", fontsize=10)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    note = f"lines: mean, bands: min–max over {cfg.replicates} replicates; (e–h): replicate 0 at generation " \
        f"{cfg.generations}" + (" (colour) over truth draws (grey)" if ring else "")
    if len(panels) == 3:
        axes[0, 3].axis("off")
        axes[0, 3].legend(handles, labels, loc="center", fontsize=9, title=note.replace("; ", "\n"), title_fontsize=9)
    else:
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.06), ncol=3, fontsize=9,
                   frameon=False, title=note, title_fontsize=9)
    fig.suptitle(f"SIMS in the loop: iterated training on SIMS-generated data does not go MAD\n{s['verdict'].status}: "
                 f"Augment + SIMS {s['status']['AugmentSIMS']} (drift's upper bound vs a third of Replace's; paired "
                 f"one-sided t, α = 0.05)", fontsize=12)
    return fig
