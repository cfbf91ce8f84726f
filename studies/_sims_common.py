"""Shared statistics and helpers of the five SIMS studies (sims_toy, sims_digits, sims_shift, sims_loop,
sims_pollution): one paired-comparison rule, so that every verdict reads the same way.

The rule (fixed for all five studies):
- Comparisons are *paired over seeds*: both arms of a comparison share a seed's data, training keys and sampler
  noises (common random numbers), so the unit of evidence is the per-seed difference d_s = a_s − b_s, s = 1 … S.
- mean d̄, standard error SE = sd(d, ddof = 1) / √S, and Student's t with S − 1 degrees of freedom.
- "a is significantly greater than b" at level α: the one-sided lower confidence bound d̄ − q·SE > 0 with
  q = t_{1 − α/m}(S − 1). m is the Bonferroni correction: the number of ω values searched when the compared ω* was
  picked on the same seeds it is judged on (m = 1 when nothing was picked). With one seed there is no error estimate:
  q = ∞, and nothing is significant (nor equivalent).
- Level: α = 0.05 one-sided (``ALPHA``) in every study.
- Guard tests ("W₂ not significantly worse") use the *uncorrected* level α: a stricter check against the claim.
- Claims that need several tests to pass together (gain AND no harm; every pollution share; gain over the base AND
  over the control) are intersection–union tests: each at level α keeps the whole at level α, no further correction.
- "No MAD" (sims_loop) is an equivalence-style claim and needs evidence *for* a small drift, not absence of evidence
  of a large one: a loop *holds* only if the one-sided upper confidence bound d̄ + q·SE of its drift lies below a
  stated margin; it *goes MAD* if the lower bound d̄ − q·SE lies above 0; otherwise it is *inconclusive*.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

ALPHA = 0.05  # one-sided level of every test of the SIMS studies


def t_quantile(n: int, alpha: float = ALPHA, comparisons: int = 1) -> float:
    """q = t_{1 − α/m}(n − 1): the one-sided critical value of Student's t with n − 1 degrees of freedom at level α,
    Bonferroni-corrected over m = ``comparisons``; ∞ for n < 2 (no error estimate)."""
    from scipy.stats import t

    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if int(comparisons) < 1:
        raise ValueError(f"comparisons must be at least 1, got {comparisons}")
    if n < 2:
        return float("inf")
    return float(t.ppf(1.0 - alpha / int(comparisons), n - 1))


@dataclass(frozen=True)
class Paired:
    """A paired comparison over seeds of d = a − b (module docstring)."""

    mean: float  # d̄
    se: float  # standard error of d̄ (nan with one seed)
    n: int  # seeds
    alpha: float  # one-sided level before correction
    comparisons: int  # m, Bonferroni divisor (ω values searched); 1 when nothing was picked
    q: float  # t_{1 − α/m}(n − 1); ∞ with one seed

    @property
    def lower(self) -> float:
        """One-sided (1 − α/m) lower confidence bound of the mean difference (−∞ with one seed)."""
        return self.mean - self.q * self.se if np.isfinite(self.q) else -np.inf

    @property
    def upper(self) -> float:
        """One-sided (1 − α/m) upper confidence bound of the mean difference (+∞ with one seed)."""
        return self.mean + self.q * self.se if np.isfinite(self.q) else np.inf

    @property
    def t(self) -> float:
        """The t statistic d̄ / SE (nan with one seed, ±∞ for a zero SE)."""
        if not self.n > 1:
            return float("nan")
        return float(np.divide(self.mean, self.se)) if self.se > 0 else float(np.sign(self.mean) * np.inf)

    def greater(self) -> bool:
        """a is significantly greater than b: d̄ − q·SE > 0."""
        return bool(self.lower > 0)

    def less(self) -> bool:
        """a is significantly less than b: d̄ + q·SE < 0."""
        return bool(self.upper < 0)

    def below(self, margin: float) -> bool:
        """Equivalence side: the upper bound d̄ + q·SE lies below ``margin`` (evidence that d < margin)."""
        return bool(self.upper < margin)

    def level(self) -> str:
        """The test's level in words, e.g. 'one-sided t, α = 0.05 / 4 (Bonferroni), 2 df, q = 25.45'."""
        a = f"α = {self.alpha:g}" + (f" / {self.comparisons} (Bonferroni)" if self.comparisons > 1 else "")
        return f"one-sided t, {a}, {self.n - 1} df, q = {self.q:.2f}" if self.n > 1 else f"{a}, one seed: no test"

    def fmt(self, digits: int = 3) -> str:
        """'+0.150 ± 0.005 SE' (the SE omitted with one seed)."""
        return f"{self.mean:+.{digits}f}" + (f" ± {self.se:.{digits}f} SE" if self.n > 1 else " (one seed)")

    def to_dict(self) -> dict:
        return {**asdict(self), "lower": self.lower, "upper": self.upper}


def paired(a, b, *, alpha: float = ALPHA, comparisons: int = 1) -> Paired:
    """The paired comparison of d = a − b over seeds (a, b: (S,) per-seed values of the two arms)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 1:
        raise ValueError(f"a and b must be (S,) arrays of the same length, got shapes {a.shape} and {b.shape}")
    d = a - b
    n = d.size
    se = float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return Paired(float(d.mean()), se, n, float(alpha), int(comparisons), t_quantile(n, alpha, comparisons))


def equivalence(p: Paired, margin: float) -> str:
    """Three-way reading of a drift d (e.g. W₂ at generation G − generation 0) against a margin δ > 0:
    "holds" when the upper bound < δ, else "MAD" when the lower bound > 0, else "inconclusive"."""
    if not margin > 0:
        return "inconclusive"
    if p.below(margin):
        return "holds"
    if p.greater():
        return "MAD"
    return "inconclusive"


def best_index(values, omegas, *, lower_is_better: bool = True) -> int:
    """Index of ω* = the ω > 0 with the best seed-mean of ``values`` ((S, len(omegas)) array)."""
    v = np.asarray(values, float).mean(0)
    pos = [i for i, w in enumerate(omegas) if float(w) > 0]
    if not pos:
        raise ValueError(f"omegas must hold a positive value, got {list(omegas)}")
    return min(pos, key=lambda i: v[i] if lower_is_better else -v[i])


def searched(omegas) -> int:
    """m: the number of ω > 0 an ω* is picked among (the Bonferroni divisor)."""
    return sum(1 for w in omegas if float(w) > 0)


def table(results: dict, names, omegas, metric: str, part: str = "metrics") -> np.ndarray:
    """(len(names), len(omegas)) array of results[name][part][str(float(ω))][metric] (one row per seed's cell)."""
    return np.array([[results[name][part][str(float(w))][metric] for w in omegas] for name in names])


def settings_of(cfg, drop=("seeds",)) -> dict:
    """The cell settings of a frozen dataclass config: ``asdict(cfg)`` without the fields in ``drop`` (those that
    index the cells, e.g. seeds or shares). Unchanged from the studies' own copies, so cached cells stay valid."""
    s = asdict(cfg)
    for k in drop:
        s.pop(k)
    return s


def verdict_word(ok: bool | None) -> str:
    return "SUPPORTED" if ok else ("INCONCLUSIVE" if ok is None else "NOT SUPPORTED")


# ------------------------------------------------------------------------------------------------------------------ #
# Shared machinery of the ported studies (issue 10's ``lab.Diffusion`` / ``lab.SIMS``; issue 11's gpu presets)      #
# ------------------------------------------------------------------------------------------------------------------ #
def diffusion(width: int, depth: int, steps: int, batch: int, lr: float, *, ema_decay: float = 0.999,
              sampler_steps: int = 18, sigma_data: float = 0.5):
    """The studies' base family: ``lab.Diffusion(MLP(width, depth), EDM(sigma_data), TrainConfig(...), Heun)``."""
    import lab
    from lab.diffusion import EDM, MLP, Sampler, TrainConfig

    return lab.Diffusion(MLP(width, depth), EDM(sigma_data=sigma_data),
                         TrainConfig(steps=steps, batch=batch, lr=lr, ema_decay=ema_decay), Sampler(sampler_steps))


def seed_keys(seeds):
    """(S,) typed keys jax.random.key(s), one per seed (the vmapped axis of ``run_sims_seeds``)."""
    import jax
    import jax.numpy as jnp

    return jax.vmap(jax.random.key)(jnp.asarray([int(s) for s in seeds], jnp.uint32))


def chunks(seeds, size: int) -> list:
    """Seeds in groups of at most ``size``: one cell each (a cell vmaps its group; cells are cached one by one)."""
    seeds = [int(s) for s in seeds]
    return [seeds[i:i + size] for i in range(0, len(seeds), max(1, int(size)))]


def per_seed(results: dict) -> dict:
    """{f"seed_{s}": value} from cells named "seeds_…" that each return {f"seed_{s}": value} for their group of
    seeds (entries already named "seed_…" are kept as they are)."""
    out = {}
    for k, v in results.items():
        if k.startswith("seeds_"):
            out.update(v)
        else:
            out[k] = v
    return out


def tree_index(tree, i: int):
    import jax

    return jax.tree_util.tree_map(lambda a: a[i], tree)


def probe_training(family, shape, *, steps: int = 4, key: int = 0) -> float:
    """Guard (issue 11 item 2): ``steps`` optimiser steps of ``family`` (a ``lab.Diffusion``) at its real network,
    batch and *peak* learning rate (no warm-up, no decay: the harshest steps of the real run) on standard-normal rows
    of ``shape`` = (N, d); returns the last loss (the caller asserts it is finite)."""
    from dataclasses import replace

    import jax
    import jax.numpy as jnp

    from lab.diffusion import train

    t = replace(family.train, steps=steps, warmup=0, lr_end=1.0)
    x = jax.random.normal(jax.random.key(key), tuple(shape), jnp.float32)
    out = jax.jit(lambda x: train(family.precond, family.net, t, x, jnp.ones(x.shape[0]), key=jax.random.key(1)))(x)
    return float(out.losses[-1])


# Run-time estimate (``estimate_seconds`` of each study, printed by ``python -m lab sims``). Method: count the
# network's multiply-adds from its parameter count P (an MLP does ~P multiply-adds per row and NFE), then
#   training  6 · P · batch · steps · seeds flops (forward 2P, backward 4P per row),
#   sampling  2 · P · rows · NFE · nets · seeds (Heun with N steps: 2N − 1 NFE; guided sampling evaluates 2 nets),
# divided by an effective rate; plus a per-step latency floor (tiny networks are launch-bound on a GPU, not
# flop-bound), a compile allowance per cell and the study's own metric estimate. RATE["gpu"] is calibrated on issue
# 11's H100 measurement (digits MLP 1024×4, P = 8.6 M with its noise-embedding layers, 50k steps at batch 512: ~30 s
# a seed ≈ 40 TFLOP/s effective: XLA's default float32 matmuls use TF32 tensor cores); RATE["cpu"] is a guess for
# 2 unloaded cores. Treat the result as ±2×.
RATE = {"gpu": 40e12, "cpu": 2e10}  # effective flop/s
STEP_FLOOR = {"gpu": 4e-4, "cpu": 0.0}  # seconds per optimiser step or sampler NFE at least (launch-bound)
COMPILE = {"gpu": 40.0, "cpu": 15.0}  # seconds per cell (trace + XLA compile)


def mlp_params(dim: int, width: int, depth: int) -> int:
    """Parameters of ``lab.diffusion.MLP(width, depth)`` on dim-D data (counted by building one)."""
    import jax

    from lab.diffusion import MLP, count_params

    return count_params(MLP(width, depth).init(key=jax.random.key(0), dim=dim, n_cond=1))


def kind(backend: str) -> str:
    return "cpu" if backend == "cpu" else "gpu"


def train_seconds(params: int, batch: int, steps: int, seeds: int, backend: str) -> float:
    k = kind(backend)
    return max(6.0 * params * batch * steps * seeds / RATE[k], steps * STEP_FLOOR[k])


def sample_seconds(params: int, rows: int, sampler_steps: int, seeds: int, backend: str, nets: int = 1) -> float:
    k = kind(backend)
    nfe = 2 * sampler_steps - 1
    return max(2.0 * params * rows * nfe * nets * seeds / RATE[k], nfe * STEP_FLOOR[k])


def gpu_check(family, shape) -> list:
    """The ``gpu_check_configs`` entry of one family: [(family, data shape)]."""
    return [(family, tuple(int(s) for s in shape))]
