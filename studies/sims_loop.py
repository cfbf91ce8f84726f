"""SIMS in the loop: does iterated training on SIMS-generated data avoid going MAD? (THEORY N1, G4; issues 6, 10, 11)

Claim tested (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", THEORY N1): "iterated
training on SIMS-generated data does not go MAD". The lab's analytic worlds (G2–G4, G5) predict that a fully synthetic
loop (Replace) drifts away from the truth while keeping the real set in every generation (Augment) holds it near.

Four loops, each one ``lab.simulate`` call (one cell, cached by ``lab.study``; the replicates are the engine's vmapped
axis, so one compile per loop), t = 0 … G:
    Replace    ``lab.simulate(truth, lab.Diffusion(MLP(width, depth), EDM(σ_d), TrainConfig(steps, …), Sampler(N)),
               lab.Replace(), …)``: θ_{t+1} trained from scratch on n samples of θ_t;
    Augment    the same family with ``lab.Augment(synthetic=n)``: the n real rows of generation 0 plus n samples of
               θ_t (2n rows);
    SIMS loop  ``lab.SIMS(that family, omega=ω, budget=aux_steps, synthetic=n, aux_lr=…)`` with ``lab.Replace()``:
               each fit trains θ_t from scratch, draws n of its own samples and fine-tunes a copy of θ_t on them for
               B steps (the auxiliary a_t); the next n rows are drawn with the guided denoiser
               D = D_θt + ω (D_θt − D_at);
    Augment + SIMS  the SIMS family with ``lab.Augment(synthetic=n)``: the n real rows plus n SIMS samples.
The paper's own MAD experiments are synthetic augmentation loops (real data plus the previous generation's synthetic
data; Alemohammad et al. 2024, Sec. 4.2), so "Augment + SIMS" is the claim in its own setting; the fully synthetic
SIMS loop (the issue's reading) is the stronger test. Every generation trains from scratch with the same budget
(``steps``), as MAD's loops do (THEORY G4): the only memory of the past is the data, so the loops differ only in what
they feed forward. The auxiliary model is a fine-tune, as in SIMS itself (THEORY N1).

What the loops share (common random numbers, paired by replicate): the four calls use the same ``key``, so replicate
r draws the same n real rows in every loop (the engine's REAL stream) and every metric's truth draws and model noises
at generation t are the same across loops (the METRIC stream, keyed by the metric's name). Loops with the same family
share generation 0 bit for bit (Replace = Augment; SIMS = Augment + SIMS, base and auxiliary). Across the two
families θ_0 differs: ``lab.SIMS.fit`` trains its base with fold_in(FIT key, 0), ``lab.Diffusion.fit`` with the FIT
key itself, so the Diffusion loops' θ_0 and the SIMS loops' θ_0 are two trainings on the same rows with different
minibatch and noise draws (before issue 10 the four loops shared one θ_0). The verdict reads each loop's own drift
(metric_G − metric_0), paired by replicate, so this does not enter it; comparisons *between* the two families at a
given generation carry the training noise of one fit.

What is measured at generation t (in the engine, inside the jitted program): the distribution the loop emits — θ_t's
samples for Replace and Augment, θ_t's guided samples (ω, a_t) for the two SIMS loops — and, for the SIMS loops,
θ_t's own unguided samples (``OfBase``; drawn dashed). 2-D world: ``lab.truths.ring``; metrics against the
analytic truth (``lab.metrics.samples``): sliced W₂ (64 directions) between n_eval model draws and n_eval truth
draws, the NLL under the truth (``NLLUnderTruth``), k-NN precision/recall (k = 5). The dotted lines are the same
estimators between two truth sets (the sliced W₂ floor; the Monte Carlo truth entropy). Digits world (gpu preset):
sklearn's 8×8 digits, the 80 % train split of the lab's classifier as the truth (``Rows``: n distinct rows at
generation 0), Fréchet distance and precision/recall in that classifier's features against the 20 % held out
(``DigitsFeatures``, computed in the jitted program).

Why sliced W₂ now decides, and not exact W₂ (before issue 10) or the NLL: the engine evaluates metrics inside the
jitted, vmapped program, where exact W₂ (POT's network simplex) cannot run; getting the samples out for it would need
the weights of every (replicate, generation) out of the engine and a host-side sampling pass per generation, and the
exact W₂ of 1,000-point sets costs about a second each on the CPU — more than the metric is worth here, and on a GPU
run it would dominate. Sliced W₂ (the mean over random directions of the exact 1-D W₂²) is itself a metric on
distributions, runs in the jit, and in 2-D with 64 directions sees the same mode-level drift (collapse towards the
ring, bridges, lost modes); its values are smaller than exact W₂'s (a projection shortens distances), so the numbers
are not comparable with the old ones, only the verdicts are. The NLL is not a divergence: KL(q ‖ p) = −H(q) −
E_q log p, so a sampler that piles its mass on the modes' centres scores *below* the truth's entropy; it is drawn as
a second view.

Verdict (the SIMS studies' shared rule, ``lab.analysis``; "no MAD" is an equivalence claim and needs evidence
for a small drift, not absence of evidence of a large one): per loop, d = metric_G − metric_0 (sliced W₂ on the 2-D
world, FD on digits) paired over replicates, one-sided Student t at α = 0.05. A loop *holds* when the upper
confidence bound d̄ + q·SE lies below δ = a third of Replace's mean drift (Replace must itself go MAD, or there is no
margin); it *goes MAD* when the lower bound d̄ − q·SE > 0; otherwise it is *inconclusive*. The claim is SUPPORTED if
the Augment + SIMS loop (the paper's setting) holds, NOT SUPPORTED if it goes MAD, INCONCLUSIVE otherwise; the figure
gives the fully synthetic SIMS loop's status beside it, and says when the run cannot credit SIMS (Replace does not
go MAD, or Augment alone holds).

What the quick run measured before issue 10 (3 seeds, exact W₂, 163 s wall): Replace and the fully synthetic SIMS
loop went MAD; Augment and Augment + SIMS were INCONCLUSIVE (small mean drifts, intervals from 3 seeds far wider than
the margin). On the engine (issue 10; 3 replicates, sliced W₂, new random streams) the paper's-setting verdict is
the same word, INCONCLUSIVE, but one conclusion changed: Replace and the fully synthetic SIMS loop are no longer
shown to go MAD. Their mean sliced W₂ still roughly doubles from generation 0 to 5 while Augment and Augment + SIMS
stay near generation 0 (the figure), and their NLL under the truth rises the same way; what changed is the spread
of the drift over replicates, several times wider than exact W₂'s was. Two reasons: the sliced W₂ at generation 0
and at generation G uses different random directions (each (replicate, generation) has its own metric key), which
adds projection noise to the difference that exact W₂ did not have; and the three replicates now differ in their
generation-0 fits and real rows *and* their collapse paths (losing or merging a mode is a per-replicate event that a
1-D projection weighs unevenly). With 2 degrees of freedom (q = 2.92) that spread puts the lower bound below 0, so
Replace gives no margin and every loop is inconclusive. The cpu-full preset (8 replicates) and the gpu preset (16)
are sized to decide it. Quick preset: wall time and CPU time are in the report of the commit that regenerated the
figure (load-bound on the shared machine; four compiles of the whole loop program dominate at these sizes).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np

from lab import analysis
from lab.sims import estimate, suite

NAME = "sims_loop"
CLAIM = "Iterated training on SIMS-generated data does not go MAD (Replace degrades, Augment holds)"

LOOPS = ("Replace", "Augment", "SIMS", "AugmentSIMS")
GUIDED = ("SIMS", "AugmentSIMS")  # loops whose family is lab.SIMS (next rows are SIMS samples)
LABELS = {"Replace": "Replace", "Augment": "Augment", "SIMS": "SIMS loop (fully synthetic)",
          "AugmentSIMS": "Augment + SIMS (paper's setting)"}


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
PRESETS = {"cpu-quick": QUICK,
           "cpu-full": replace(QUICK, generations=8, replicates=8, steps=3000, n_eval=2000, pr_samples=2000),
           # GPU (one H100), sized from FLOPs: a fit of an MLP with P weights costs ≈ 6·P·batch·steps FLOP (forward
           # + backward); MLP(512, 3) on 64 pixels has P ≈ 0.6 M, so one fit ≈ 6 · 0.6e6 · 256 · 4000 ≈ 3.7 TFLOP,
           # the auxiliary fine-tune + sampling add ≈ 20 %. A loop = 16 replicates × 7 generations ≈ 112 fits
           # ≈ 0.4–0.5 PFLOP; at a sustained 5–10 TFLOP/s for these small vmapped matmuls (far below the H100's
           # peak: 256-row batches) that is 45–100 s per cell plus ≈ 30 s of compilation: 4 cells ≈ 4–7 minutes.
           "gpu": replace(QUICK, world="digits", n=1437, generations=6, replicates=16, width=512, depth=3,
                          steps=4000, batch=256, lr=5e-4, sigma_data=0.5, aux_steps=800, aux_lr=2.5e-4, omega=0.5,
                          n_eval=1000, pr_samples=1000, scatter=64)}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]


# ---------------------------------------------------------------------------------------------------------- worlds

def truth(settings: dict):
    """The 2-D ring mixture of the settings (``lab.truths.ring``)."""
    from lab import truths as sd

    return sd.ring(settings["k"], settings["radius"], settings["std"])


@dataclass(frozen=True, eq=False)
class Rows:
    """A finite set of rows as the engine's truth, drawn *without* replacement (n ≤ N): generation 0 sees n distinct
    real rows, as a real training set would (``lab.truths.Dataset`` draws with replacement). No density."""

    points: np.ndarray
    name: str = "rows"

    @property
    def dim(self) -> int:
        return self.points.shape[1]

    def sample(self, *, key, n: int):
        import jax
        import jax.numpy as jnp

        if n > self.points.shape[0]:
            raise ValueError(f"n must be at most {self.points.shape[0]} (the rows held), got {n}")
        rows = jnp.asarray(self.points)[jax.random.permutation(key, self.points.shape[0])[:n]]
        return rows.astype(jnp.result_type(float))  # the engine's float (the families' samples are cast to it too)

    def describe(self) -> dict:
        from lab.truths import Dataset

        return {**Dataset(self.points, self.name).describe(), "kind": "Rows"}


@functools.lru_cache(maxsize=2)
def digits_world():
    """(Rows truth of the 80 % train split of the lab's classifier, classifier params, held-out features): the
    split of ``studies.sims_digits.digits_split``, so neither the diffusion models nor the classifier saw the 20 %
    held out, which is the metrics' reference."""
    from lab.sims import evaluate as ev
    from studies.sims_digits import digits_split

    d, train_idx, held = digits_split(0.2)
    clf = ev.digits_classifier(key=0)
    return Rows(np.asarray(d.x[train_idx], np.float32), "digits-train"), clf.params, clf.features(d.x[held])


def world_truth(settings: dict):
    if settings["world"] == "ring":
        return truth(settings)
    rows = digits_world()[0]
    if settings["n"] > rows.points.shape[0]:
        raise ValueError(f"n must be at most {rows.points.shape[0]} (the digits train split), got {settings['n']}")
    return rows


@dataclass(frozen=True, eq=False)
class DigitsFeatures:
    """An in-jit digits metric in the lab classifier's feature space against the held-out digits: ``kind`` = "fd"
    (Fréchet distance, FID's formula), "precision" or "recall" (k-NN, k = 5). Samples are clipped to [−1, 1]."""

    kind: str = "fd"
    samples: int = 1000
    k: int = 5

    @property
    def name(self) -> str:
        return self.kind

    def describe(self) -> dict:
        return {"name": self.name, "kind": "DigitsFeatures", "samples": self.samples, "k": self.k,
                "reference": "held-out 20 % of sklearn digits, features of digits_classifier(key=0)"}

    def __call__(self, truth, model, params, key):
        import jax.numpy as jnp

        from lab.metrics.samples import knn_precision_recall
        from lab.sims.evaluate import _hidden

        _, clf, ref = digits_world()
        x = jnp.clip(model.sample(params, key=key, n=self.samples), -1.0, 1.0)
        f = _hidden(tuple((jnp.asarray(w, x.dtype), jnp.asarray(b, x.dtype)) for w, b in clf), x, jnp)
        r = jnp.asarray(ref, f.dtype)
        if self.kind == "fd":
            return _frechet(f, r)
        p, rc = knn_precision_recall(r, f, self.k)
        return p if self.kind == "precision" else rc


def _frechet(a, b):
    """FID's formula between the Gaussians fitted to rows a and b (jittable; the matrix root by eigh)."""
    import jax.numpy as jnp

    ma, mb = a.mean(0), b.mean(0)
    ca, cb = jnp.cov(a, rowvar=False), jnp.cov(b, rowvar=False)
    lam, v = jnp.linalg.eigh(ca)
    root = (v * jnp.sqrt(jnp.clip(lam, 0.0, None))) @ v.T
    cross = jnp.sum(jnp.sqrt(jnp.clip(jnp.linalg.eigvalsh(root @ cb @ root), 0.0, None)))
    return jnp.clip(jnp.sum((ma - mb) ** 2) + jnp.trace(ca) + jnp.trace(cb) - 2.0 * cross, 0.0, None)


@dataclass(frozen=True)
class OfBase:
    """A metric of a SIMS family's *unguided* base model θ_t (``metric`` applied to (family.base, params.base)); the
    Dataset variable is ``base_<metric name>``."""

    metric: object = None

    @property
    def name(self) -> str:
        return f"base_{self.metric.name}"

    def describe(self) -> dict:
        return {"name": self.name, "kind": "OfBase", "metric": self.metric.describe()}

    def __call__(self, truth, model, params, key):
        return self.metric(truth, model.base, params.base, key)


def metrics(settings: dict) -> tuple:
    """The in-jit metrics of the emitted distribution: ring: sliced W₂ (the verdict's), NLL under the truth,
    precision, recall; digits: FD (the verdict's), precision, recall in the classifier's features."""
    from lab.metrics import samples as ms

    if settings["world"] == "ring":
        return (ms.SlicedW2(settings["n_eval"], settings["projections"]), ms.NLLUnderTruth(settings["n_eval"]),
                ms.Precision(settings["pr_samples"]), ms.Recall(settings["pr_samples"]))
    return tuple(DigitsFeatures(kind, settings["n_eval"] if kind == "fd" else settings["pr_samples"])
                 for kind in ("fd", "precision", "recall"))


METRIC_KEYS = {"sliced_w2": "w2", "nll_under_truth": "nll", "precision": "precision", "recall": "recall", "fd": "fd"}


def family(settings: dict, loop: str):
    """``lab.Diffusion(net, EDM(σ_d), TrainConfig, Sampler)`` for Replace/Augment; ``lab.SIMS`` of it for the SIMS
    loops (budget B = aux_steps, n_s = n, ω, aux_lr)."""
    import lab
    from lab.diffusion import EDM, MLP, Conv, Sampler, TrainConfig

    net = MLP(settings["width"], settings["depth"]) if settings["net"] == "mlp" else \
        Conv(8, settings["width"], settings["depth"])
    base = lab.Diffusion(net, EDM(sigma_data=settings["sigma_data"]),
                         TrainConfig(steps=settings["steps"], batch=settings["batch"], lr=settings["lr"],
                                     warmup=min(100, settings["steps"] // 10)),
                         Sampler(settings["sampler_steps"]))
    if loop not in GUIDED:
        return base
    return lab.SIMS(base, omega=settings["omega"], budget=settings["aux_steps"], synthetic=settings["n"],
                    aux_lr=settings["aux_lr"])


def regime(settings: dict, loop: str):
    import lab

    return lab.Augment(synthetic=settings["n"]) if loop in ("Augment", "AugmentSIMS") else lab.Replace()


def primary(settings: dict) -> str:
    """The metric the verdict reads: sliced W₂ (2-D) or FD (digits); lower is better for both."""
    return "w2" if settings["world"] == "ring" else "fd"


def references(settings: dict) -> dict:
    """The truth's own values on the 2-D world (the same estimators between two truth sets): sliced W₂ floor and the
    NLL of truth draws (Monte Carlo entropy); empty on digits."""
    import jax

    from lab.metrics.samples import sliced_w2

    if settings["world"] != "ring":
        return {}
    tr = truth(settings)
    k = jax.random.key(settings["key"] + 777)
    a, b = (tr.sample(key=jax.random.fold_in(k, i), n=settings["n_eval"]) for i in (0, 1))
    return {"w2_floor": float(sliced_w2(a, b, key=jax.random.fold_in(k, 2), projections=settings["projections"])),
            "nll_truth": float(-tr.log_prob(a).mean())}


# ------------------------------------------------------------------------------------------------------------ cell

def settings_of(cfg: Config) -> dict:
    """The cell settings: every field of the config (``studies._sims_suite.settings_of``)."""
    return suite.settings_of(cfg, ())


def run_loop(loop: str, settings: dict) -> dict:
    """One loop (``LOOPS``) through ``lab.simulate``, all replicates vmapped: metrics per (replicate, generation)
    ({name: (R, G + 1) list}) of the emitted distribution and, for the SIMS loops, of the unguided θ_t; replicate 0's
    last-generation samples; the truth's reference values; the record (family, regime, Dataset attrs)."""
    import jax

    import lab

    if loop not in LOOPS:
        raise ValueError(f"loop must be one of {LOOPS}, got {loop!r}")
    fam, reg, ms = family(settings, loop), regime(settings, loop), metrics(settings)
    if loop in GUIDED:
        ms = ms + tuple(OfBase(m) for m in ms)
    G, R = settings["generations"], settings["replicates"]
    ds, params = lab.simulate(world_truth(settings), fam, reg, n=settings["n"], generations=G, replicates=R,
                              key=settings["key"], metrics=list(ms), return_params=True)
    last = jax.tree.map(lambda a: a[0, G], params)
    x = np.asarray(fam.sample(last, key=jax.random.key(settings["key"] + 999), n=settings["scatter"]), np.float32)
    values = {METRIC_KEYS[m.name]: ds[m.name].values.tolist() for m in metrics(settings)}
    unguided = {METRIC_KEYS[m.name]: ds[f"base_{m.name}"].values.tolist() for m in metrics(settings)} \
        if loop in GUIDED else {}
    losses = {v: ds[v].values.tolist() for v in ("train_loss", "aux_loss") if v in ds}
    record = {"loop": loop, "settings": settings, **{k: ds.attrs[k] for k in ("model", "regime", "metrics", "key")},
              "protocol": "lab.simulate: every generation trains from scratch for `steps`; SIMS loops: lab.SIMS fit "
                          "(base, n own samples, aux = fine-tune for aux_steps), next rows = n guided samples at "
                          "omega; Augment regimes keep the n real rows of generation 0"}
    return {"record": record, "emitted": values, "unguided": unguided, "losses": losses,
            "reference": references(settings), "last": x}


def cells(cfg: Config):
    from lab.study import Cell

    s = settings_of(cfg)
    return [Cell(loop, run_loop, dict(loop=loop, settings=s)) for loop in LOOPS]


# -------------------------------------------------------------------------------------------------------- verdict

def curves(results: dict, cfg: Config, loop: str, metric: str, which: str = "emitted") -> np.ndarray:
    """(replicates, G + 1) values of ``metric`` along ``loop``."""
    return np.asarray(results[loop][which][metric], float)


MARGIN_SHARE = 1 / 3  # a loop holds when its drift is shown below this share of Replace's measured drift


def drift_test(results: dict, cfg: Config, loop: str, which: str = "emitted") -> analysis.Paired:
    """The paired comparison over seeds of metric_G − metric_0 along ``loop`` (shared rule, one-sided α = 0.05)."""
    c = curves(results, cfg, loop, primary(settings_of(cfg)), which)
    return analysis.paired(c[:, -1], c[:, 0])


def drift(results: dict, cfg: Config, loop: str, which: str = "emitted") -> tuple[float, float]:
    """(mean over seeds of metric_G − metric_0, its standard error over seeds; nan with one seed)."""
    p = drift_test(results, cfg, loop, which)
    return p.mean, p.se


def margin(results: dict, cfg: Config) -> float:
    """δ = ``MARGIN_SHARE`` × Replace's mean drift when Replace goes MAD (its drift significantly > 0), else 0 (no
    reference: every other loop is then inconclusive). A third of the no-remedy drift is the lab's stated bar for
    "does not go MAD": a loop shown to drift less than that has removed at least two thirds of the collapse."""
    p = drift_test(results, cfg, "Replace")
    return MARGIN_SHARE * p.mean if p.greater() else 0.0


def status(results: dict, cfg: Config) -> dict:
    """{loop: "holds" | "MAD" | "inconclusive"} (``studies._sims_analysis.equivalence`` against ``margin``; Replace,
    the reference, is "MAD" or "inconclusive"), plus "SIMS-unguided" for the fully synthetic loop's own models."""
    delta = margin(results, cfg)
    out = {"Replace": "MAD" if drift_test(results, cfg, "Replace").greater() else "inconclusive"}
    for loop in LOOPS[1:]:
        out[loop] = analysis.equivalence(drift_test(results, cfg, loop), delta)
    out["SIMS-unguided"] = analysis.equivalence(drift_test(results, cfg, "SIMS", "unguided"), delta)
    return out


def verdict(results: dict, cfg: Config) -> tuple[bool, str]:
    """SUPPORTED only when the Augment + SIMS loop (the paper's setting) *holds*: the one-sided 95 % upper confidence
    bound of its drift (metric_G − metric_0, paired over seeds, Student t) lies below δ = a third of Replace's drift;
    NOT SUPPORTED when it goes MAD (the lower bound is above 0); otherwise INCONCLUSIVE (ok is False then too; the
    text and ``status`` say which). The message also gives the fully synthetic SIMS loop's status and says when the
    run cannot credit SIMS (Augment alone holds, or Replace does not go MAD)."""
    m = primary(settings_of(cfg))
    G = cfg.generations
    st = status(results, cfg)
    delta = margin(results, cfg)
    tests = {loop: drift_test(results, cfg, loop) for loop in LOOPS}
    fmt = "; ".join(f"{LABELS[loop]} {p.fmt()} (upper bound {p.upper:+.3f}: {st[loop]})"
                    for loop, p in tests.items())
    c0 = curves(results, cfg, "Replace", m)[:, 0].mean()
    name = "sliced W₂" if m == "w2" else m.upper()
    p = tests["Replace"]
    word = {"holds": "SUPPORTED", "MAD": "NOT SUPPORTED"}.get(st["AugmentSIMS"], "INCONCLUSIVE")
    msg = (f"{word} (Augment + SIMS {st['AugmentSIMS']}). Change of {name} from generation 0 ({c0:.3f}) to {G}, "
           f"paired over {cfg.replicates} replicates ({p.level()}); a loop holds if the upper bound < δ = "
           f"{MARGIN_SHARE:.2g} × Replace's drift = {delta:.3f}, goes MAD if the lower bound > 0, else inconclusive: "
           f"{fmt}.")
    pu = drift_test(results, cfg, "SIMS", "unguided")
    msg += f" Fully synthetic SIMS loop, its own unguided models: {pu.fmt()} ({st['SIMS-unguided']})."
    if st["Replace"] != "MAD":
        msg += " Replace itself did not go MAD here, so there is no margin and this run cannot separate SIMS from no remedy."
    if st["Augment"] == "holds":
        msg += " Augment alone also holds, so the paper's setting cannot credit SIMS with the stability."
    elif st["AugmentSIMS"] != "holds" and st["Augment"] != "holds":
        msg += " Neither real-data loop is shown to hold: more seeds (a narrower interval) are needed."
    return st["AugmentSIMS"] == "holds", msg


# ----------------------------------------------------------------------------------------------------------- plot

def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


COLORS = {"Replace": "C3", "Augment": "C0", "SIMS": "C2", "AugmentSIMS": "C4"}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    s = settings_of(cfg)
    ring = s["world"] == "ring"
    metrics = (("w2", "sliced W₂ to truth draws"), ("nll", "NLL under the truth (nats; not a divergence)"),
               ("precision", "precision (k = 5)"), ("recall", "recall (k = 5)")) if ring else \
        (("fd", "Fréchet distance (classifier features)"), ("precision", "precision (k = 5)"),
         ("recall", "recall (k = 5)"))
    t = np.arange(cfg.generations + 1)
    fig = plt.figure(figsize=(22, 10.5))
    gs = fig.add_gridspec(2, 4, height_ratios=[1, 1.05])
    for i, (m, label) in enumerate(metrics):
        ax = fig.add_subplot(gs[0, i])
        for loop in LOOPS:
            c = curves(results, cfg, loop, m)
            ax.plot(t, c.mean(0), color=COLORS[loop], lw=1.8, marker="o", ms=3, label=LABELS[loop])
            if c.shape[0] > 1:
                ax.fill_between(t, c.min(0), c.max(0), color=COLORS[loop], alpha=0.12, lw=0)
        u = curves(results, cfg, "SIMS", m, "unguided")
        ax.plot(t, u.mean(0), color=COLORS["SIMS"], lw=1.2, ls="--", label="SIMS loop's θ_t, unguided")
        if ring and m in ("nll", "w2"):
            floor = results["Replace"]["reference"]["nll_truth" if m == "nll" else "w2_floor"]
            ax.axhline(floor, color="k", lw=0.8, ls=":", label="truth's own value")
        ax.set(xlabel="generation t", ylabel=label, title=f"({'abcd'[i]}) {label}")
        ax.legend(fontsize=7)
    for j, loop in enumerate(LOOPS):
        ax = fig.add_subplot(gs[1, j])
        x = results[loop]["last"]
        if ring:
            import jax

            real = np.asarray(truth(s).sample(key=jax.random.key(0), n=len(x)))
            ax.scatter(real[:, 0], real[:, 1], s=3, color="0.75", label="truth draws")
            ax.scatter(x[:, 0], x[:, 1], s=3, color=COLORS[loop], label=f"generation {cfg.generations}")
            lim = 1.4 * s["radius"] + 4 * s["std"]
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
            ax.legend(fontsize=7, loc="upper right", markerscale=3)
        else:
            side, k = 8, int(np.sqrt(min(len(x), 64)))
            grid = np.clip(x[: k * k], -1, 1).reshape(k, k, side, side).transpose(0, 2, 1, 3).reshape(k * side, -1)
            ax.imshow(grid, cmap="gray_r", vmin=-1, vmax=1)
            ax.set(xticks=[], yticks=[])
        ax.set_title(f"({'efgh'[j]}) {LABELS[loop]}\nsamples at generation {cfg.generations} (replicate 0)",
                     fontsize=10)
    ok, why = verdict(results, cfg)
    st = status(results, cfg)
    word = {"holds": "SUPPORTED", "MAD": "NOT supported"}
    proto = (f"Protocol: EDM diffusion ({'MLP' if s['net'] == 'mlp' else 'CNN'} width {s['width']}, depth {s['depth']}); every "
             f"generation trained from scratch for {s['steps']} steps on: Replace n = {s['n']} samples of θ_t; "
             f"Augment the {s['n']} real rows + {s['n']} samples; SIMS loop n SIMS samples (aux = θ_t fine-tuned "
             f"{s['aux_steps']} steps on {s['n']} own samples, ω = {s['omega']:g}); Augment + SIMS the real rows + "
             f"n SIMS samples. Lines: mean; bands: min–max over {cfg.replicates} replicates (lab.simulate, vmapped).")
    fig.suptitle(f"SIMS in the loop. Claim (N1): iterated training on SIMS-generated data does not go MAD.\n"
                 f"Paper's setting (real + SIMS rows): {word.get(st['AugmentSIMS'], 'INCONCLUSIVE')}; fully "
                 f"synthetic SIMS loop: {word.get(st['SIMS'], 'INCONCLUSIVE')} by the lab's run (no-MAD = drift's "
                 f"95 % upper bound below a third of Replace's)", fontsize=12)
    fig.text(0.5, -0.005, _wrap(proto, 220) + "\n" + _wrap(why, 220), ha="center", va="top", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------- guards and estimates

def gpu_check_configs(cfg: Config) -> list:
    """(``lab.Diffusion`` family, data shape) of every training this preset runs: Replace's fit on n rows, Augment's
    on 2n, and the SIMS loops' fine-tuning (the guard test trains a few steps of each at full width and lr)."""
    from dataclasses import replace as _replace

    s = settings_of(cfg)
    d = 2 if cfg.world == "ring" else 64
    sims = family(s, "SIMS")
    return (suite.gpu_check(sims.base, (cfg.n, d)) + suite.gpu_check(sims.base, (2 * cfg.n, d))
            + suite.gpu_check(_replace(sims.base, train=sims.aux_train), (cfg.n, d)))


def estimate_seconds(cfg: Config, backend: str) -> float:
    """Run-time estimate (method: ``lab.sims.estimate``): per loop (G + 1) fits of ``steps`` (the SIMS loops also
    B fine-tuning steps and 2 sampling passes), all replicates vmapped; one compile per loop (4 cells)."""
    d = 2 if cfg.world == "ring" else 64
    p = estimate.mlp_params(d, cfg.width, cfg.depth) if cfg.net == "mlp" else 40 * cfg.width**2 * cfg.depth
    k = estimate.kind(backend)
    fits = cfg.generations + 1
    t = 4 * estimate.train_seconds(p, cfg.batch, cfg.steps * fits, cfg.replicates, backend)
    t += 2 * estimate.train_seconds(p, cfg.batch, cfg.aux_steps * fits, cfg.replicates, backend)
    t += 6 * fits * estimate.sample_seconds(p, max(cfg.n, cfg.n_eval), cfg.sampler_steps, cfg.replicates, backend)
    return t + 4 * estimate.COMPILE[k]
