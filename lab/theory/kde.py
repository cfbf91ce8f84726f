"""The lab's own derivation: how a Gaussian-KDE Replace loop moves the law's variance and mean per generation.

Setting (``lab.KDE`` under ``lab.Replace()``, n = m = M samples per generation, unit weights). The params of
generation t are the M training points x_1..x_M ∈ R^d (the previous generation's samples; generation 0: the n real
ones) and the bandwidth h_t. The fitted law is q_t = (1/M) Σ_i N(x_i, h_t² I). Write
    x̄_t = (1/M) Σ_i x_i,   S_t = (1/M) Σ_i (x_i − x̄_t)(x_i − x̄_t)ᵀ   (the points' 1/M covariance),
then q_t has mean x̄_t and covariance C_t = S_t + h_t² I — exactly the ``mean`` and ``cov`` variables that
``lab.KDE.variables`` records. Let V_t = tr C_t (= the variance when d = 1).

Step (proved). Sampling q_t = pick a point uniformly, add h_t z. So, given generation t, the M points of generation
t + 1 are i.i.d. with mean x̄_t and covariance C_t. For i.i.d. draws, E[x̄_{t+1} | t] = x̄_t and
E[S_{t+1} | t] = ((M − 1)/M) C_t (the 1/M sample covariance is biased by (M − 1)/M; no Gaussianity needed). Hence
    mean:      x̄_t is a martingale, E‖x̄_{t+1} − x̄_t‖² = V_t / M, so E‖x̄_t − μ‖² = tr Σ/n + Σ_{s<t} E[V_s]/M;
    variance:  E[tr S_{t+1} | t] = ((M − 1)/M) V_t and V_{t+1} = tr S_{t+1} + d h²_{t+1}; the bandwidth rule decides
               the rest:

Fixed bandwidth h (proved, exact): C_{t+1} = S_{t+1} + h² I, so
    E[V_{t+1} | t] = ((M − 1)/M) V_t + d h²,   E[V_t] = M d h² + (E[V_0] − M d h²)((M − 1)/M)^t,
with E[V_0] = ((n − 1)/n) tr Σ + d h² for real points drawn from a law of covariance Σ. The loop does not collapse:
the variance relaxes geometrically, at rate (M − 1)/M, to M d h² (it *spreads* whenever M h² exceeds the truth's
per-coordinate variance). Each generation the sampling noise adds h² per coordinate and the resampling of points
removes a 1/M share. The mean still wanders (a martingale with steps of variance V_t/M), so E‖x̄_t − μ‖² grows without
bound, linearly at rate d h² once V_t has settled near M d h².

Scott's / Silverman's rule (proved, exact in expectation): the lab's rule is h_t = c·σ̂_t with σ̂_t² = tr S_t / d and
c = M^{−1/(d+4)} (Scott; Silverman multiplies c by (4/(d+2))^{1/(d+4)}). Then V_t = (1 + c²) tr S_t is a fixed
multiple of tr S_t, and E[tr S_{t+1} | t] = ((M − 1)/M) V_t = ((M − 1)/M)(1 + c²) tr S_t, so
    E[V_{t+1} | t] = a·V_t,   a = ((M − 1)/M)(1 + c²),   E[V_t] = a^t E[V_0],   E[V_0] = (1 + c²)((n − 1)/n) tr Σ.
With Scott in 1-D, a = ((M − 1)/M)(1 + M^{−2/5}) > 1 for every M ≥ 3 (it needs M − 1 > M^{2/5}); log a ≈ M^{−2/5} − 1/M,
so the expected variance *grows geometrically*, faster for small M (M = 100: a ≈ 1.147; M = 1000: a ≈ 1.062).
The mean's drift follows from the same martingale identity, E‖x̄_t − μ‖² = tr Σ/n + E[V_0](a^t − 1)/((a − 1)M).

Measured, not proved: that the growth is almost sure too (E[log V_{t+1} − log V_t] > 0, which depends on the points'
kurtosis, not just on V_t); in ``tests/test_kde_theory.py``'s runs the median variance grows along with the mean. The
exact statements above are checked against ``lab.simulate`` in that test (5 standard errors over replicates).
Other regimes (Accumulate, AccumulateSubsample) are not covered: the points are then a weighted pool of all
generations and the recursion couples them; ``studies/kde_worlds.py`` shows them by simulation only.
"""
from __future__ import annotations

import numpy as np


def _check(M, d):
    if M < 2:
        raise ValueError(f"M must be >= 2, got {M}")
    if d < 1:
        raise ValueError(f"d must be >= 1, got {d}")


def kde_initial_variance(*, trace_sigma: float, n: int, h: float | None = None, d: int = 1, rule: str = "fixed") -> float:
    """E[V_0] = E tr C_0 of a KDE fitted on n real points from a law of covariance trace ``trace_sigma``:
    ((n − 1)/n)·tr Σ + d h² for a fixed h; (1 + c²)((n − 1)/n)·tr Σ for rule "scott" / "silverman" (c from n)."""
    base = (n - 1) / n * trace_sigma
    if rule == "fixed":
        if h is None:
            raise ValueError("h is required for rule='fixed'")
        return base + d * h**2
    return (1.0 + bandwidth_factor(n, d=d, rule=rule) ** 2) * base


def kde_variance_mean(t, *, M: int, h: float, var0: float, d: int = 1):
    """E[V_t] (V = tr of the KDE law's covariance) under Replace with a fixed bandwidth h, M samples per generation:
    M d h² + (var0 − M d h²)((M − 1)/M)^t. ``var0`` = E[V_0] (``kde_initial_variance``). Proved (module docstring)."""
    _check(M, d)
    t = np.asarray(t, dtype=np.float64)
    fixed = M * d * h**2
    return fixed + (var0 - fixed) * ((M - 1) / M) ** t


def kde_mean_sq_error(t, *, M: int, h: float, var0: float, mean_sq0: float, d: int = 1):
    """E‖x̄_t − μ‖² under Replace with a fixed h: mean_sq0 + Σ_{s<t} E[V_s]/M (mean_sq0 = tr Σ / n). Proved."""
    t = np.atleast_1d(np.asarray(t, dtype=np.int64))
    ev = kde_variance_mean(np.arange(int(t.max()) + 1), M=M, h=h, var0=var0, d=d)
    cum = np.concatenate([[0.0], np.cumsum(ev)])[t] / M
    return mean_sq0 + cum


def bandwidth_factor(M: int, *, d: int = 1, rule: str = "scott") -> float:
    """c with h = c·σ̂ in ``lab.KDE``: M^{−1/(d+4)} (Scott), times (4/(d+2))^{1/(d+4)} (Silverman)."""
    _check(M, d)
    c = M ** (-1.0 / (d + 4))
    if rule == "silverman":
        c *= (4.0 / (d + 2)) ** (1.0 / (d + 4))
    elif rule != "scott":
        raise ValueError(f"rule must be 'scott' or 'silverman', got {rule!r}")
    return float(c)


def kde_variance_factor_scott(M: int, *, d: int = 1, rule: str = "scott") -> float:
    """a = ((M − 1)/M)(1 + c²): E[V_{t+1} | t] = a·V_t under Replace with a rule-of-thumb bandwidth. Proved (exact).
    1-D Scott: ((M − 1)/M)(1 + M^{−2/5}) > 1 for M ≥ 3."""
    c = bandwidth_factor(M, d=d, rule=rule)
    return (M - 1) / M * (1.0 + c**2)


def kde_variance_mean_scott(t, *, M: int, var0: float, d: int = 1, rule: str = "scott"):
    """E[V_t] = a^t·var0 under Replace with Scott's (or Silverman's) rule; var0 = E[V_0]. Proved (exact)."""
    a = kde_variance_factor_scott(M, d=d, rule=rule)
    return var0 * a ** np.asarray(t, dtype=np.float64)


def kde_mean_sq_error_scott(t, *, M: int, var0: float, mean_sq0: float, d: int = 1, rule: str = "scott"):
    """E‖x̄_t − μ‖² = mean_sq0 + var0 (a^t − 1)/((a − 1) M) under Replace with a rule-of-thumb bandwidth. Proved."""
    a = kde_variance_factor_scott(M, d=d, rule=rule)
    t = np.asarray(t, dtype=np.float64)
    return mean_sq0 + var0 * (a**t - 1.0) / ((a - 1.0) * M)


__all__ = ["kde_initial_variance", "kde_variance_mean", "kde_mean_sq_error", "bandwidth_factor",
           "kde_variance_factor_scott", "kde_variance_mean_scott", "kde_mean_sq_error_scott"]
