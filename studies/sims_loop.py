"""SIMS in the loop: does iterated training on SIMS-generated data avoid going MAD? (THEORY N1, G4; issue 6 item 5)

Claim tested (Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data", THEORY N1): "iterated
training on SIMS-generated data does not go MAD". The lab's analytic worlds (G2–G4, G5) predict that a fully synthetic
loop (Replace) drifts away from the truth while keeping the real set in every generation (Augment) holds it near.

Four loops from one generation-0 base (EDM diffusion model, ``lab.sims``), t = 0 … G:
    θ_0        trained from scratch on the n real rows (common to the four loops: same key, same bits);
    Replace    θ_{t+1} trained from scratch on n samples of θ_t;
    Augment    θ_{t+1} trained from scratch on the n real rows plus n samples of θ_t (2n rows);
    SIMS loop  θ_{t+1} trained from scratch on n SIMS samples of generation t: the auxiliary model a_t is θ_t
               fine-tuned for B steps (``aux_steps``) on n_s = n of θ_t's own samples (``lab.sims.fit_auxiliary``),
               and the n rows are drawn with the guided denoiser D = D_θt + ω (D_θt − D_at) (``guided_sample``);
    Augment + SIMS  θ_{t+1} trained from scratch on the n real rows plus n SIMS samples of generation t.
The paper's own MAD experiments are synthetic augmentation loops (real data plus the previous generation's synthetic
data; Alemohammad et al. 2024, Sec. 4.2), so "Augment + SIMS" is the claim in its own setting; the fully synthetic
SIMS loop (the issue's reading) is the stronger test.
Every generation trains from scratch with the generation-0 budget (``steps``), as MAD's fully synthetic and synthetic
augmentation loops do (Alemohammad et al., ICLR 2024; THEORY G4): the only memory of the past is then the data,
so the loops differ only in what they feed forward. (Fine-tuning θ_{t+1} from θ_t would add a second memory
channel, the weights, and with it the confound of continual learning.) The auxiliary model is a fine-tune, as in
SIMS itself (a copy of the base trained on the base's own samples with budget B; THEORY N1).

What is measured at generation t: the distribution the loop emits — θ_t's samples for Replace and Augment, θ_t's
SIMS samples (ω, a_t) for the two SIMS loops — and, for the SIMS loops, also θ_t's own unguided samples (the fully
synthetic loop's are drawn dashed).
2-D world: ``lab.sims.data.ring`` (k equal Gaussians on a circle), metrics of ``evaluate_toy`` against the analytic
truth: NLL under the truth (nats), exact W₂ between sample sets (its floor: two truth
sets), k-NN precision/recall (k = 5). Digits world (full presets): sklearn's 8×8 digits, Fréchet distance in the
lab's classifier's feature space against the held-out digits, precision/recall (``evaluate_digits``).

Keys (common random numbers): generation t of seed s uses fold_in(fold_in(key(s), t), j), j = 0 trains θ_t,
1 draws the auxiliary model's rows, 2 fine-tunes it, 3 draws the next generation's rows; the evaluation samples'
noises (fold_in(key(s), 20000)) and the metrics' truth draws (fold_in(key(s), 20001)) are the same at every
generation and in every loop. The loops therefore share θ_0 and all sampler noises, so differences between
loops and between generations are the loops', not sampling noise.

Why W₂ and not the NLL decides: NLL under the truth, −E_q log p, is not a divergence — KL(q ‖ p) = −H(q) − E_q log p,
so a sampler that piles its mass on the modes' centres scores *below* the truth's entropy (measured: generation-0
bases at 1.03–1.27 nats against the truth's 1.14). Exact W₂ is a metric; the NLL is drawn as a second view.

Verdict (the SIMS studies' shared rule, ``studies._sims_common``; "no MAD" is an equivalence claim and needs evidence
for a small drift, not absence of evidence of a large one): per loop, d = metric_G − metric_0 (exact W₂ on the 2-D
world, FD on digits) paired over seeds, one-sided Student t at α = 0.05. A loop *holds* when the upper confidence
bound d̄ + q·SE lies below δ = a third of Replace's mean drift (Replace must itself go MAD, or there is no margin);
it *goes MAD* when the lower bound d̄ − q·SE > 0; otherwise it is *inconclusive*. The claim is SUPPORTED if the
Augment + SIMS loop (the paper's setting) holds, NOT SUPPORTED if it goes MAD, INCONCLUSIVE otherwise; the figure
gives the fully synthetic SIMS loop's status beside it, and says when the run cannot credit SIMS (Replace does not
go MAD, or Augment alone holds). δ = Replace/3: a loop shown to drift less has removed at least two thirds of the
no-remedy collapse.

What the quick run measured (3 seeds, ring of 8 modes, n = 512, 5 generations; W₂ floor 0.30, truth entropy 1.14):
mean W₂ at generations 0 → 5: Replace 0.371 → 0.581, Augment 0.371 → 0.401, SIMS loop 0.391 → 0.606, Augment + SIMS
0.391 → 0.403; changes +0.210 ± 0.008 (MAD), +0.030 ± 0.031, +0.215 ± 0.024 (MAD), +0.012 ± 0.073. With δ = 0.070 and q = 2.92
(2 df) the upper bounds are 0.233, 0.119, 0.286, 0.226: Replace and the fully synthetic SIMS loop go MAD (its
unguided models too, +0.229 ± 0.004), while Augment and Augment + SIMS are INCONCLUSIVE — their means are small, but
3 seeds leave intervals far wider than the margin, so the run cannot say they hold (more seeds needed). Augment + SIMS ends with the lowest NLL (1.25 vs 1.39 for
Augment) and the highest precision/recall (0.967/0.989 vs 0.959/0.985), within the seed bands. At generation 0,
SIMS at ω = 0.5 is W₂-neutral to slightly worse (0.391 vs 0.371) — the same finding as ``sims_toy``.
Quick preset: 163 s wall at load average 4.5–6 on the shared 2-core machine, 137 s of CPU (user) time.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from studies import _sims_common as common

NAME = "sims_loop"
CLAIM = "Iterated training on SIMS-generated data does not go MAD (Replace degrades, Augment holds)"

LOOPS = ("Replace", "Augment", "SIMS", "AugmentSIMS")
GUIDED = ("SIMS", "AugmentSIMS")  # loops whose next rows are SIMS samples
LABELS = {"Replace": "Replace", "Augment": "Augment", "SIMS": "SIMS loop (fully synthetic)",
          "AugmentSIMS": "Augment + SIMS (paper's setting)"}


@dataclass(frozen=True)
class Config:
    world: str = "ring"  # "ring" (2-D mixture, exact metrics) or "digits" (sklearn 8×8, FD in classifier features)
    k: int = 8  # ring: number of modes
    radius: float = 2.0  # ring: radius of the mode centres
    std: float = 0.15  # ring: per-coordinate std of each mode
    n: int = 512  # real rows of generation 0 (digits: ≤ the train split) = synthetic rows per generation
    generations: int = 5  # G, generations after generation 0
    seeds: tuple = (0, 1, 2)  # one cell per (loop, seed); bands over seeds
    width: int = 64  # MLP width (2-D) or conv channels (digits)
    depth: int = 3  # MLP hidden layers (2-D) or residual blocks (digits)
    steps: int = 1000  # training steps of every generation, from scratch
    batch: int = 256  # rows per training step
    lr: float = 2e-3  # peak Adam learning rate (training from scratch)
    sigma_data: float = 1.4  # σ_d of the preconditioning (ring: √(radius²/2 + std²) ≈ 1.42; digits ≈ 0.5)
    aux_steps: int = 200  # B, fine-tuning steps of the auxiliary model
    aux_lr: float = 1e-3  # peak Adam learning rate of the fine-tuning
    omega: float = 0.5  # ω of the SIMS loop's guided sampler (generation 0, quick: ω ≤ 0.5 is near-neutral)
    sampler_steps: int = 18  # N of the Heun sampler (Karras et al. 2022, Alg. 1)
    n_eval: int = 1000  # samples per evaluation (measured: 512 doubled the seed-to-seed spread of the W₂ change)
    ot_samples: int = 1000  # 2-D: sample-set size of the exact W₂
    pr_samples: int = 1000  # 2-D: subsample size of precision/recall
    scatter: int = 600  # rows of the last generation kept for the figure

    def __post_init__(self):
        if self.world not in ("ring", "digits"):
            raise ValueError(f"world must be 'ring' or 'digits', got {self.world!r}")
        if self.generations < 1 or len(self.seeds) < 1:
            raise ValueError("generations and seeds must be at least 1")


QUICK = Config()
PRESETS = {"cpu-quick": QUICK,
           "cpu-full": replace(QUICK, generations=8, seeds=(0, 1, 2, 3, 4), steps=3000, n_eval=2000,
                               ot_samples=2000, pr_samples=2000),
           "gpu-full": replace(QUICK, world="digits", n=1437, generations=8, seeds=(0, 1, 2, 3), width=64, depth=3,
                               steps=20000, batch=256, sigma_data=0.5, aux_steps=2000, n_eval=2000, scatter=64)}
PRESETS["quick"], PRESETS["full"] = PRESETS["cpu-quick"], PRESETS["cpu-full"]


# ---------------------------------------------------------------------------------------------------------- worlds

def truth(settings: dict):
    """The 2-D ring mixture of the settings (``lab.sims.data.ring``)."""
    from lab.sims import data as sd

    return sd.ring(settings["k"], settings["radius"], settings["std"])


def real_data(settings: dict, seed: int):
    """(real rows (n, d) float32, reference for the metrics). Ring: n truth draws from key (seed, 'real'); the
    reference is the truth itself. Digits: the first n rows of the 80 % stratified train split of the lab's
    classifier (``studies.sims_digits.digits_split``, common to all seeds), so neither the diffusion models nor the
    classifier saw the 20 % held out; the reference is that held-out part."""
    import jax

    if settings["world"] == "ring":
        tr = truth(settings)
        key = jax.random.fold_in(jax.random.key(seed), 10_000)
        return np.asarray(tr.sample(key, settings["n"]), np.float32), tr
    from studies.sims_digits import digits_split

    d, train_idx, held = digits_split(0.2)
    if settings["n"] > train_idx.size:
        raise ValueError(f"n must be at most {train_idx.size} (the digits train split), got {settings['n']}")
    return d.x[train_idx[: settings["n"]]], d.x[held]


def spec(settings: dict):
    from lab import sims

    if settings["world"] == "ring":
        return sims.MLPSpec(2, settings["width"], settings["depth"])
    return sims.ConvSpec(8, settings["width"], settings["depth"])


def train_configs(settings: dict):
    """(training from scratch, auxiliary fine-tuning, sampler)."""
    from lab import sims

    base = sims.TrainConfig(steps=settings["steps"], batch=settings["batch"], lr=settings["lr"],
                            sigma_data=settings["sigma_data"], warmup=min(100, settings["steps"] // 10))
    aux = sims.TrainConfig(steps=settings["aux_steps"], batch=settings["batch"], lr=settings["aux_lr"],
                           sigma_data=settings["sigma_data"], warmup=min(20, settings["aux_steps"] // 10))
    return base, aux, sims.SamplerConfig(steps=settings["sampler_steps"])


def evaluate(settings: dict, reference, samples, key) -> dict:
    """Metrics of (n_eval, d) samples: ``evaluate_toy`` (+ the NLL's Monte Carlo s.e.) or ``evaluate_digits``."""
    from lab.sims import evaluate as ev

    x = np.asarray(samples, np.float64)
    if settings["world"] == "ring":
        out = ev.evaluate_toy(reference, x, key, ot_samples=settings["ot_samples"], pr_samples=settings["pr_samples"])
        lp = np.asarray(reference.log_prob(x))
        out["nll_se"] = float(lp.std(ddof=1) / np.sqrt(lp.size))
        return out
    out = ev.evaluate_digits(x, reference, classifier=ev.digits_classifier(key=0))
    return {k: out[k] for k in ("fd", "precision", "recall", "clipped")}


def primary(settings: dict) -> str:
    """The metric the verdict reads: exact W₂ (2-D) or FD (digits); lower is better for both."""
    return "w2" if settings["world"] == "ring" else "fd"


# ------------------------------------------------------------------------------------------------------------ cell

def settings_of(cfg: Config) -> dict:
    """The cell settings: every field but the seeds (``studies._sims_common.settings_of``)."""
    return common.settings_of(cfg, ("seeds",))


def run_loop(loop: str, seed: int, settings: dict) -> dict:
    """One loop (``LOOPS``) for one seed: metrics per generation t = 0 … G, the last generation's samples, and the
    full record of the settings (``SIMSConfig.record()`` of the guidance, the training configs, the protocol)."""
    import jax

    from lab import sims

    if loop not in LOOPS:
        raise ValueError(f"loop must be one of {LOOPS}, got {loop!r}")
    real, reference = real_data(settings, seed)
    net = spec(settings)
    base_cfg, aux_cfg, sampler = train_configs(settings)
    n, omega, G = settings["n"], settings["omega"], settings["generations"]
    root = jax.random.key(seed)
    rows = real
    k_eval, k_metric = jax.random.fold_in(root, 20_000), jax.random.fold_in(root, 20_001)
    emitted, unguided, last = [], [], None
    for t in range(G + 1):
        kt = jax.random.fold_in(root, t)
        k = [jax.random.fold_in(kt, j) for j in range(4)]
        model = sims.train(k[0], rows, net, base_cfg)
        own = evaluate(settings, reference, sims.sample(model, k_eval, settings["n_eval"], sampler), k_metric)
        if loop in GUIDED:
            synthetic = sims.synthesize(model, k[1], n, sampler)
            aux = sims.fit_auxiliary(k[2], model, synthetic, aux_cfg)
            out = np.asarray(sims.guided_sample(model, aux, k_eval, settings["n_eval"], omega, sampler))
            emitted.append(evaluate(settings, reference, out, k_metric))
            unguided.append(own)
            draw = lambda key, m: np.asarray(sims.guided_sample(model, aux, key, m, omega, sampler))  # noqa: E731
        else:
            out = None
            emitted.append(own)
            draw = lambda key, m: np.asarray(sims.sample(model, key, m, sampler))  # noqa: E731
        if t == G:
            last = out if out is not None else np.asarray(sims.sample(model, k_eval, settings["n_eval"], sampler))
            break
        synthetic_next = draw(k[3], n)
        if not np.all(np.isfinite(synthetic_next)):
            raise FloatingPointError(f"{loop} generation {t} produced non-finite samples")
        rows = np.concatenate([real, synthetic_next]) if loop in ("Augment", "AugmentSIMS") else synthetic_next
    guidance = sims.SIMSConfig(net, base_cfg, aux_cfg, n_synthetic=n, omegas=(omega,), n_samples=n,
                               sampler=sampler).record()
    record = {"loop": loop, "seed": seed, "settings": settings, "sims": guidance,
              "protocol": "every generation trains from scratch for `steps`; SIMS loops: aux = fine-tune of theta_t "
                          "on n own samples for aux_steps, next rows = n guided samples at omega (AugmentSIMS: plus "
                          "the n real rows)"}
    return {"record": record, "emitted": emitted, "unguided": unguided,
            "last": np.asarray(last[: settings["scatter"]], np.float32)}


def cells(cfg: Config):
    from lab.study import Cell

    s = settings_of(cfg)
    return [Cell(f"{loop}-s{seed}", run_loop, dict(loop=loop, seed=int(seed), settings=s))
            for loop in LOOPS for seed in cfg.seeds]


# -------------------------------------------------------------------------------------------------------- verdict

def curves(results: dict, cfg: Config, loop: str, metric: str, which: str = "emitted") -> np.ndarray:
    """(seeds, G + 1) values of ``metric`` along ``loop``."""
    return np.array([[g[metric] for g in results[f"{loop}-s{s}"][which]] for s in cfg.seeds])


MARGIN_SHARE = 1 / 3  # a loop holds when its drift is shown below this share of Replace's measured drift


def drift_test(results: dict, cfg: Config, loop: str, which: str = "emitted") -> common.Paired:
    """The paired comparison over seeds of metric_G − metric_0 along ``loop`` (shared rule, one-sided α = 0.05)."""
    c = curves(results, cfg, loop, primary(settings_of(cfg)), which)
    return common.paired(c[:, -1], c[:, 0])


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
    """{loop: "holds" | "MAD" | "inconclusive"} (``studies._sims_common.equivalence`` against ``margin``; Replace,
    the reference, is "MAD" or "inconclusive"), plus "SIMS-unguided" for the fully synthetic loop's own models."""
    delta = margin(results, cfg)
    out = {"Replace": "MAD" if drift_test(results, cfg, "Replace").greater() else "inconclusive"}
    for loop in LOOPS[1:]:
        out[loop] = common.equivalence(drift_test(results, cfg, loop), delta)
    out["SIMS-unguided"] = common.equivalence(drift_test(results, cfg, "SIMS", "unguided"), delta)
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
    name = "W₂" if m == "w2" else m.upper()
    p = tests["Replace"]
    word = {"holds": "SUPPORTED", "MAD": "NOT SUPPORTED"}.get(st["AugmentSIMS"], "INCONCLUSIVE")
    msg = (f"{word} (Augment + SIMS {st['AugmentSIMS']}). Change of {name} from generation 0 ({c0:.3f}) to {G}, "
           f"paired over {len(cfg.seeds)} seeds ({p.level()}); a loop holds if the upper bound < δ = "
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
    metrics = (("w2", "exact W₂ to truth draws"), ("nll", "NLL under the truth (nats; not a divergence)"),
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
            floor = curves(results, cfg, "Replace", "nll_truth" if m == "nll" else "w2_floor").mean()
            ax.axhline(floor, color="k", lw=0.8, ls=":", label="truth's own value")
        ax.set(xlabel="generation t", ylabel=label, title=f"({'abcd'[i]}) {label}")
        ax.legend(fontsize=7)
    for j, loop in enumerate(LOOPS):
        ax = fig.add_subplot(gs[1, j])
        x = results[f"{loop}-s{cfg.seeds[0]}"]["last"]
        if ring:
            real, _ = real_data(s, cfg.seeds[0])
            ax.scatter(real[:, 0], real[:, 1], s=3, color="0.75", label="real rows (generation 0)")
            ax.scatter(x[:, 0], x[:, 1], s=3, color=COLORS[loop], label=f"generation {cfg.generations}")
            lim = 1.4 * s["radius"] + 4 * s["std"]
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
            ax.legend(fontsize=7, loc="upper right", markerscale=3)
        else:
            side, k = 8, int(np.sqrt(min(len(x), 64)))
            grid = np.clip(x[: k * k], -1, 1).reshape(k, k, side, side).transpose(0, 2, 1, 3).reshape(k * side, -1)
            ax.imshow(grid, cmap="gray_r", vmin=-1, vmax=1)
            ax.set(xticks=[], yticks=[])
        ax.set_title(f"({'efgh'[j]}) {LABELS[loop]}\nsamples at generation {cfg.generations} (seed {cfg.seeds[0]})",
                     fontsize=10)
    ok, why = verdict(results, cfg)
    st = status(results, cfg)
    word = {"holds": "SUPPORTED", "MAD": "NOT supported"}
    proto = (f"Protocol: EDM diffusion ({'MLP' if ring else 'CNN'} width {s['width']}, depth {s['depth']}); every "
             f"generation trained from scratch for {s['steps']} steps on: Replace n = {s['n']} samples of θ_t; "
             f"Augment the {s['n']} real rows + {s['n']} samples; SIMS loop n SIMS samples (aux = θ_t fine-tuned "
             f"{s['aux_steps']} steps on {s['n']} own samples, ω = {s['omega']:g}); Augment + SIMS the real rows + "
             f"n SIMS samples. Lines: mean; bands: min–max over {len(cfg.seeds)} seeds.")
    fig.suptitle(f"SIMS in the loop. Claim (N1): iterated training on SIMS-generated data does not go MAD.\n"
                 f"Paper's setting (real + SIMS rows): {word.get(st['AugmentSIMS'], 'INCONCLUSIVE')}; fully "
                 f"synthetic SIMS loop: {word.get(st['SIMS'], 'INCONCLUSIVE')} by the lab's run (no-MAD = drift's "
                 f"95 % upper bound below a third of Replace's)", fontsize=12)
    fig.text(0.5, -0.005, _wrap(proto, 220) + "\n" + _wrap(why, 220), ha="center", va="top", fontsize=9)
    fig.tight_layout()
    return fig
