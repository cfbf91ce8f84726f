"""Closed forms for the Gaussian replace loop (THEORY G1–G3), for the tests' oracles and the figures' dashed lines.

Setting and conventions (the lab's, used everywhere below). Truth N(μ, σ²) in 1-D (N(μ, Σ) in d dims). Generation 0 is
fitted on n real samples; generation t ≥ 1 on m samples of generation t − 1's model, which samples from
N(μ_{t−1}, λ_s σ²_{t−1}) (λ_s = ``sampling_bias``, MAD's sampling bias; 1 = unbiased). The variance estimator divides
by (sample size − ddof): ddof = 0 is the MLE (G1), ddof = 1 the unbiased estimator (G2). Results are given relative to
the truth (σ² = 1 units); multiply by σ² (or Σ) for other scales.

Derivation. For Gaussian samples, (size − 1)·s²/σ² ~ χ²_{size−1} independently of the sample mean (Cochran). Hence
    σ²_0 = σ² · χ²_{n−1}/(n − ddof),        σ²_t = σ²_{t−1} · λ_s · χ²_{m−1}/(m − ddof)   (t ≥ 1),
a product of independent factors, so every moment of σ²_t (and of log σ²_t) is a product (a sum) of the factors'
moments: E[χ²_k] = k, E[(χ²_k)²] = k(k + 2), E[√χ²_k] = √2 Γ((k+1)/2)/Γ(k/2), E[log χ²_k] = ψ(k/2) + log 2,
Var[log χ²_k] = ψ'(k/2). The mean is a random walk: μ_t = μ_{t−1} + √(λ_s σ²_{t−1}/m)·z_t, z_t ~ N(0, 1) independent
of σ_{t−1}, so Var(μ_t) = σ²/n + Σ_{s<t} λ_s E[σ²_s]/m (G2, Shumailov et al., Nature 2024, Thm 3.1 for the
unbiased case). In d dims, (size − 1)·Σ̂ ~ Wishart_d(Σ, size − 1) and E[log det W] = Σ_{i=1}^d ψ((k − i + 1)/2)
+ d log 2 + log det Σ for W ~ Wishart_d(Σ, k), Var = Σ_i ψ'((k − i + 1)/2) (Muirhead 1982, Thm 3.2.15).
"""
from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from lab import _checks


def _args(n, m, ddof, sampling_bias):
    n = _checks.integer("n", n, minimum=2)
    m = n if m is None else _checks.integer("m", m, minimum=2)
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    lam = _checks.real_in("sampling_bias", sampling_bias, 0.0, 1.0, lo_open=True)
    return n, m, ddof, lam


def _t(t):
    t = np.asarray(t)
    if np.any(t < 0):
        raise ValueError("t must be >= 0")
    return t


def variance_mean(t, *, n, m=None, ddof=0, sampling_bias=1.0):
    """E[σ²_t]/σ² = ((n − 1)/(n − ddof)) · (λ_s (m − 1)/(m − ddof))^t.

    G1 (MLE, λ_s = 1, m = n): ((n − 1)/n)^{t+1}, the lab's generation 0 being the first fit; G2 (unbiased): 1 for every t
    (a martingale); G3 (sampling bias, unbiased refit): λ_s^t, i.e. E[Σ_t] = λ_s^t Σ (Alemohammad et al., ICLR 2024).
    Also E[Σ_t] = variance_mean(t)·Σ in d dims."""
    n, m, ddof, lam = _args(n, m, ddof, sampling_bias)
    return (n - 1) / (n - ddof) * (lam * (m - 1) / (m - ddof)) ** _t(t)


def variance_var(t, *, n, m=None, ddof=0, sampling_bias=1.0):
    """Var[σ²_t]/σ⁴ = E[σ⁴_t]/σ⁴ − (E[σ²_t]/σ²)², with E[σ⁴_t]/σ⁴ = ((n−1)(n+1)/(n−ddof)²)·(λ_s²(m−1)(m+1)/(m−ddof)²)^t."""
    n, m, ddof, lam = _args(n, m, ddof, sampling_bias)
    second = (n - 1) * (n + 1) / (n - ddof) ** 2 * (lam**2 * (m - 1) * (m + 1) / (m - ddof) ** 2) ** _t(t)
    return second - variance_mean(t, n=n, m=m, ddof=ddof, sampling_bias=lam) ** 2


def _log_chi2_step(k, scale):
    """E[log(χ²_k · scale)]."""
    return digamma(k / 2) + np.log(2 * scale)


def log_variance_mean(t, *, n, m=None, ddof=0, sampling_bias=1.0):
    """E[log σ²_t] − log σ² = ψ((n−1)/2) + log(2/(n−ddof)) + t·(log λ_s + ψ((m−1)/2) + log(2/(m−ddof))).

    G1: with m = n, λ_s = 1, ddof = 0 the per-generation drift is ψ((M−1)/2) + log(2/M) < 0, so σ²_t → 0 a.s.
    (strong law for the sum of i.i.d. log-factors). The drift is negative for ddof = 1 too (Jensen), which is G2's
    "a martingale, yet σ²_t → 0 almost surely"."""
    n, m, ddof, lam = _args(n, m, ddof, sampling_bias)
    return _log_chi2_step(n - 1, 1 / (n - ddof)) + _t(t) * (np.log(lam) + _log_chi2_step(m - 1, 1 / (m - ddof)))


def log_variance_var(t, *, n, m=None, ddof=0, sampling_bias=1.0):
    """Var[log σ²_t] = ψ'((n − 1)/2) + t·ψ'((m − 1)/2) (independent log-χ² factors)."""
    n, m, ddof, lam = _args(n, m, ddof, sampling_bias)
    return polygamma(1, (n - 1) / 2) + _t(t) * polygamma(1, (m - 1) / 2)


def log_variance_drift(*, m, ddof=0, sampling_bias=1.0):
    """Per-generation drift of log σ²: log λ_s + ψ((m − 1)/2) + log(2/(m − ddof)); negative ⇒ collapse a.s."""
    _, m, ddof, lam = _args(m, m, ddof, sampling_bias)
    return np.log(lam) + _log_chi2_step(m - 1, 1 / (m - ddof))


def _sqrt_chi2_mean(k):
    """E[√χ²_k] = √2 Γ((k+1)/2)/Γ(k/2)."""
    return np.sqrt(2.0) * np.exp(gammaln((k + 1) / 2) - gammaln(k / 2))


def std_factor(m, ddof=1):
    """c(M) = E[√(χ²_{M−1}/(M − ddof))]; with ddof = 1 it is THEORY G2's √(2/(M−1))·Γ(M/2)/Γ((M−1)/2) ≈ 1 − 1/(4M)."""
    return _sqrt_chi2_mean(m - 1) / np.sqrt(m - ddof)


def std_mean(t, *, n, m=None, ddof=0, sampling_bias=1.0):
    """E[σ_t]/σ = c_n · (√λ_s · c_m)^t with c_k = std_factor(k, ddof) (G2: E[σ_t] = σ₀ c(M)^t, → 0 for ddof = 1)."""
    n, m, ddof, lam = _args(n, m, ddof, sampling_bias)
    return std_factor(n, ddof) * (np.sqrt(lam) * std_factor(m, ddof)) ** _t(t)


def mean_var(t, *, n, m=None, ddof=0, sampling_bias=1.0):
    """Var(μ_t)/σ² = 1/n + Σ_{s=0}^{t−1} λ_s E[σ²_s]/(σ² m) (random walk of the mean; G2).

    Unbiased, λ_s = 1, m = n: (t + 1)/n, growing without bound (Shumailov et al. 2024, Thm 3.1). MLE: bounded, since
    E[σ²_s] decays geometrically (with m = n the limit is exactly 1/n + (n − 1)/n = 1)."""
    n, m, ddof, lam = _args(n, m, ddof, sampling_bias)
    t = _t(t)
    s = np.arange(int(np.max(t)) + 1)
    steps = lam * variance_mean(s, n=n, m=m, ddof=ddof, sampling_bias=lam) / m
    cum = np.concatenate([[0.0], np.cumsum(steps)])
    return 1.0 / n + cum[t]


def w2_sq_mean(t, *, n, m=None, ddof=0, sampling_bias=1.0):
    """E[W₂²(N(μ_t, σ²_t), N(μ, σ²))]/σ² in 1-D = Var(μ_t) + E[σ²_t] − 2σE[σ_t] + σ² (THEORY M1 with G1–G3).

    μ_t is unbiased for μ, so E[(μ_t − μ)²] = Var(μ_t). Unbiased refit: grows like t/m without bound (Shumailov);
    MLE: tends to 2 (with m = n)."""
    kw = dict(n=n, m=m, ddof=ddof, sampling_bias=sampling_bias)
    return mean_var(t, **kw) + variance_mean(t, **kw) - 2.0 * std_mean(t, **kw) + 1.0


def logdet_mean(t, *, d, n, m=None, ddof=0, sampling_bias=1.0):
    """E[log det Σ_t − log det Σ] in d dims: Σ_{i=1}^d [ψ((n−i)/2) + log(2/(n−ddof))] + t·Σ_i [log λ_s + ψ((m−i)/2)
    + log(2/(m−ddof))] (Wishart log-determinant, Muirhead Thm 3.2.15). Needs n, m > d."""
    n, m, ddof, lam = _args(n, m, ddof, sampling_bias)
    d = _checks.integer("d", d, minimum=1)
    if min(n, m) <= d:
        raise ValueError(f"n and m must exceed d = {d} for a non-singular Wishart, got n={n}, m={m}")
    i = np.arange(1, d + 1)
    first = np.sum(digamma((n - i) / 2) + np.log(2 / (n - ddof)))
    step = np.sum(np.log(lam) + digamma((m - i) / 2) + np.log(2 / (m - ddof)))
    return first + _t(t) * step


def logdet_var(t, *, d, n, m=None, ddof=0, sampling_bias=1.0):
    """Var[log det Σ_t] = Σ_{i=1}^d ψ'((n−i)/2) + t·Σ_i ψ'((m−i)/2) (Muirhead Thm 3.2.15; independent factors)."""
    n, m, ddof, lam = _args(n, m, ddof, sampling_bias)
    i = np.arange(1, d + 1)
    return np.sum(polygamma(1, (n - i) / 2)) + _t(t) * np.sum(polygamma(1, (m - i) / 2))
