"""The lab's bound for the Gaussian family under mixed training with FRESH real data each generation (``lab.Fresh``;
issue 4, item 3), and where the distance to the truth turns in the synthetic amount m. F1's own setting, one fixed real
set, is ``lab.theory.mixed_fixed``.

Setting. Truth N(μ, Σ) in d dimensions. Generation 0 fits (μ_0, Σ_0) on n real points; every later generation i
trains on n **fresh** real points plus m synthetic points drawn from the previous model N(μ_{i−1}, λ_s Σ_{i−1}), i.e.
``lab.Fresh(real=n, synthetic=m)`` with ``lab.GaussianFit(ddof, sampling_bias=λ_s)``. (Fresh real data each
generation is the regime that matches "n real plus m synthetic" and keeps the real share n/(n+m) fixed.)

Exact moments (lab.theory.pooled, Fresh branch): with δ_i = μ_i − μ,
    E[δ_i δ_iᵀ] = b_i Σ,   E[Σ_i] = a_i Σ,
    b_0 = 1/n,  a_0 = (n−1)/(n−ddof),
    b_i = (n + m² b_{i−1} + m λ_s a_{i−1}) / (n+m)²,
    a_i = (n + m(λ_s a_{i−1} + b_{i−1}) − (n+m) b_i) / (n+m−ddof).
Hence the squared Mahalanobis distance of the fitted mean, Δ_i² = δ_iᵀ Σ⁻¹ δ_i, has the EXACT expectation
    E[Δ_i²] = d · b_i,
and the mean term of the KL divergence, E[½ δ_iᵀ Σ⁻¹ δ_i] = d b_i / 2, is exact too (it is the whole of
E[KL(N(μ_i, Σ) ‖ N(μ, Σ))]).

The bound (RIGOROUS, mean part of the TV). Let TV_mean,i = TV(N(μ, Σ), N(μ_i, Σ)) — the fit with its covariance set to
the truth's, which isolates the error that the mean carries. For equal covariances TV = g(Δ) with g(x) = 2Φ(x/2) − 1
(exact; THEORY M2). g is increasing and concave on [0, ∞), so by Jensen twice (E g(Δ) ≤ g(E Δ) ≤ g(√(E Δ²))):
    E[TV_mean,i] ≤ B_i(n, m, d, ddof, λ_s) := 2Φ(√(d b_i) / 2) − 1  ≤  √(d b_i / (2π)).
Nothing is approximated: b_i is exact, the inequalities are Jensen's and 2Φ(x/2) − 1 ≤ x/√(2π).
How tight: in 1-D, δ_i is exactly Gaussian (every block's mean is Gaussian given the past and the past enters linearly),
so E[TV_mean,i] ≈ √(b_i)/π for small b_i against the bound √(b_i/(2π)): the bound is loose by the factor √(π/2) ≈ 1.25.

What is NOT bounded here. The covariance part, TV(N(μ_i, Σ), N(μ_i, Σ_i)), needs the second moments of Σ_i (fourth
moments of the data); lab.theory.pooled carries only first moments, so the full TV is not bounded by B_i and in
simulation it can exceed B_i (it does at n = m = 20, i = 5 in 1-D). By the triangle
inequality TV(truth, fit) ≤ TV_mean,i + TV(N(μ_i, Σ), N(μ_i, Σ_i)); the second term is ≤ (3/2)·min(1, ‖eig(Σ^{−½}Σ_iΣ^{−½}) − 1‖₂)
(Devroye–Mehrabian–Reddad), whose expectation needs E‖Σ_i − Σ‖² — done in lab.theory.mixed_cov (exact second
moments of the recursion, and the full bound ``mixed_cov.tv_bound``, whose ratio to the simulated E[TV] over a grid
of sizes and shares is ``bound_ratio`` in ``figures/real_share.json``). The bias of the covariance is exact but small:
E[Σ_i] = a_i Σ with |a_i − 1| ≤ 0.03 at n ≥ 20 in the ranges used.

Shape in m (checked in simulation first; the recursion agrees). This is the FRESH-data setting. At fixed n and
generation i the distance is NOT rise-then-fall in m here: it FALLS then RISES (a U-shape with an interior minimum),
the opposite of F1's phase transition. F1's own setting keeps ONE fixed real set (``lab.Augment``); there the same
excess enters with the other sign and the distance RISES then FALLS, with its peak at the same m as this optimum when
λ_s a ≡ 1 (``lab.theory.mixed_fixed``). Reason: the synthetic block's mean is an estimate of μ whose error (b_{i−1}) is no worse than a
real-only fit's, so a few synthetic points average noise down; very many synthetic points just copy the previous
generation, and as m → ∞ at fixed i the fit converges to generation 0 (b_i → 1/n, the value at m = 0). Simulated
E[TV] (1-D, ddof = 1, λ_s = 1, n = 20, i = 1…5) has the same shape: flat in i at m = 0, lowest for m of one to a few
times n, and back near the m = 0 level at m = 50 n; ``tests/test_mixed_theory.py`` checks the U-shape of the exact b_i.
So there is no threshold beyond which more synthetic data starts to help; there is an optimum m*(i) beyond which more
synthetic data starts to hurt (slowly, back towards the m = 0 level).

Location of the minimum (of b_i, hence of the bound B_i):
  * i = 1, EXACT: with κ = λ_s a_0, d b_1/dm ∝ (2 − κ)(m − n), so b_1 is minimised at m* = n for any ddof and λ_s
    with λ_s a_0 < 2 (for λ_s a_0 > 2 the sign flips and m = n is the maximum of b_1).
  * any i, APPROXIMATION (freeze λ_s a_{i} at a constant κ — exact when a_i is constant, within |a_i − 1| ≤ 0.03 here):
    with x = m/n and ρ = (m/(n+m))²,
        n b_i ≈ [1 + κ x + (2 − κ) x ρ^i] / (1 + 2x),
    a closed form (geometric recursion b_i = c + ρ b_{i−1} with fixed point (n + κm)/(n(n+2m))). For κ = 1 and large i,
    n b_i ≈ ½ + 1/(4x) + ½ e^{−2i/x}, minimised at
        m*(i) ≈ n · 2i / ln(4i).
    Exact argmin of the recursion (``argmin_m``; ddof = 1, λ_s = 1), as m*/n for i = 1, 2, 3, 5, 10, 20:
    1, 1.54, 2.03, 2.95, 5.03, 8.72 (n = 100 closed form; n = 20, 50 agree to rounding), against the asymptotic
    1.44, 2.0, 2.4, 3.3, 5.4, 9.1: good from i ≈ 10; for small i, m* ≈ n(i + 1)/2 fits within 10 %.
  * i → ∞ (Fresh fixed point, THEORY G4): b_∞ = (n + κm)/(n(n+2m)) is decreasing in m for κ < 2, tending to κ/(2n):
    in the long run more synthetic data always helps the mean of this family, and m*(i) → ∞ as i grows.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import norm

from lab.regimes import Fresh
from lab.theory import pooled


def mean_sq(*, n: int, m: int, i: int, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """EXACT b_i with E[(μ_i − μ)(μ_i − μ)ᵀ] = b_i Σ under ``Fresh(real=n, synthetic=m)`` (lab.theory.pooled)."""
    return float(pooled.moments(Fresh(real=n, synthetic=m), n=n, generations=i, ddof=ddof,
                                sampling_bias=sampling_bias)["mean_sq"][i])


def mahalanobis_sq_mean(*, n: int, m: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """EXACT E[(μ_i − μ)ᵀ Σ⁻¹ (μ_i − μ)] = d b_i; half of it is the exact expected mean term of KL."""
    return d * mean_sq(n=n, m=m, i=i, ddof=ddof, sampling_bias=sampling_bias)


def tv_mean_bound(*, n: int, m: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """RIGOROUS upper bound on E[TV(N(μ, Σ), N(μ_i, Σ))], the mean part of the TV: 2Φ(√(d b_i)/2) − 1.
    Not a bound on the full TV (the covariance part is not covered; see the module docstring)."""
    return float(2.0 * norm.cdf(np.sqrt(mahalanobis_sq_mean(n=n, m=m, i=i, d=d, ddof=ddof,
                                                           sampling_bias=sampling_bias)) / 2.0) - 1.0)


def mean_sq_closed_form(*, n: int, m, i: int, kappa: float = 1.0):
    """APPROXIMATE closed form of b_i with λ_s a_t frozen at κ: [n + κm + (2 − κ) m ρ^i] / (n(n + 2m)), ρ = (m/(n+m))².
    Exact for i = 1 with κ = λ_s a_0. Vectorised over m."""
    m = np.asarray(m, dtype=float)
    rho = (m / (n + m)) ** 2
    return (n + kappa * m + (2.0 - kappa) * m * rho**i) / (n * (n + 2.0 * m))


def argmin_m(*, n: int, i: int, ddof: int = 0, sampling_bias: float = 1.0, m_max: int | None = None) -> int:
    """The synthetic amount m ∈ {0, …, m_max} minimising the exact b_i (hence the bound), by scanning the recursion.
    i = 1 gives exactly n when λ_s a_0 < 2."""
    m_max = 20 * n * max(i, 1) if m_max is None else m_max
    b = [mean_sq(n=n, m=m, i=i, ddof=ddof, sampling_bias=sampling_bias) for m in range(m_max + 1)]
    return int(np.argmin(b))


def argmin_m_asymptotic(*, n: int, i: int) -> float:
    """APPROXIMATE location of the minimum for κ = 1 and large i: m* ≈ n · 2i / ln(4i)."""
    return n * 2.0 * i / np.log(4.0 * i)
