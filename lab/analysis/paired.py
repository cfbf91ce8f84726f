"""Paired comparisons over seeds: Student's t on per-seed differences, Bonferroni correction, the equivalence reading.

Both arms of a comparison share a seed's data, training keys and sampler noises (common random numbers), so the unit
of evidence is the per-seed difference d_s = a_s − b_s, s = 1 … S: mean d̄, standard error SE = sd(d, ddof = 1)/√S,
Student's t with S − 1 degrees of freedom, one-sided bounds d̄ ∓ q·SE with q = t_{1 − α/m}(S − 1) (``lab.analysis``'s
module docstring states the whole rule).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

ALPHA = 0.05  # one-sided level of every paired test unless a study states otherwise


def t_quantile(n: int, alpha: float = ALPHA, comparisons: int = 1) -> float:
    """q = t_{1 − α/m}(n − 1): the one-sided critical value of Student's t with n − 1 degrees of freedom at level α,
    Bonferroni-corrected over m = ``comparisons``; ∞ for n < 2 (no error estimate).

    >>> round(t_quantile(3, 0.05, 1), 3)
    2.92
    """
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
        """The fields and both bounds, as plain numbers."""
        return {**asdict(self), "lower": self.lower, "upper": self.upper}


def paired(a, b, *, alpha: float = ALPHA, comparisons: int = 1) -> Paired:
    """The paired comparison of d = a − b over seeds.

    Args:
      a, b: (S,) per-seed values of the two arms (seed s of both shares its random numbers).
      alpha: one-sided level in (0, 1) before correction.
      comparisons: m ≥ 1, the Bonferroni divisor.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 1:
        raise ValueError(f"a and b must be (S,) arrays of the same length, got shapes {a.shape} and {b.shape}")
    d = a - b
    n = d.size
    se = float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return Paired(float(d.mean()), se, n, float(alpha), int(comparisons), t_quantile(n, alpha, comparisons))


def equivalence(p: Paired, margin: float) -> str:
    """Three-way reading of a drift d (e.g. W₂ at generation G − generation 0) against a margin δ > 0:
    "holds" when the upper bound < δ, else "MAD" when the lower bound > 0, else "inconclusive" (also for δ ≤ 0: no
    reference, nothing can hold)."""
    if not isinstance(p, Paired):
        raise ValueError(f"p must be a Paired comparison, got {type(p).__name__}")
    if not margin > 0:
        return "inconclusive"
    if p.below(margin):
        return "holds"
    if p.greater():
        return "MAD"
    return "inconclusive"


def best_index(values, omegas, *, lower_is_better: bool = True) -> int:
    """Index of ω* = the ω > 0 with the best seed-mean of ``values`` ((S, len(omegas)) array)."""
    v = np.asarray(values, float)
    if v.ndim != 2 or v.shape[1] != len(omegas):
        raise ValueError(f"values must be an (S, len(omegas)) = (S, {len(omegas)}) array, got shape {v.shape}")
    v = v.mean(0)
    pos = [i for i, w in enumerate(omegas) if float(w) > 0]
    if not pos:
        raise ValueError(f"omegas must hold a positive value, got {list(omegas)}")
    return min(pos, key=lambda i: v[i] if lower_is_better else -v[i])


def searched(omegas) -> int:
    """m: the number of ω > 0 an ω* is picked among (the Bonferroni divisor)."""
    return sum(1 for w in omegas if float(w) > 0)
