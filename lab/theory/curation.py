"""Curated retraining of a categorical law (Ferbach et al., NeurIPS 2024; THEORY C1): the exact finite-K update, its
K → ∞ limit and the bounds, for the lab's fully expressive categorical family (the refit is the data's frequencies).

Exact finite-K update (the lab's derivation). Draw K i.i.d. candidates from p on {0..k−1}, keep candidate k with
probability a(x_k)/Σ_j a(x_j), a = e^{r − r*} (the shift by r* = max r leaves the choice unchanged). By symmetry
    C_K(p)(j) = K p_j E[a_j/(a_j + S)],        S = Σ_{l=2}^{K} a(x_l)  (K − 1 other candidates),
and 1/(a_j + S) = ∫_0^∞ e^{−s(a_j + S)} ds with E[e^{−sS}] = φ(s)^{K−1}, φ(s) = Σ_l p_l e^{−s a_l}, so
    C_K(p)(j) = K p_j a_j ∫_0^∞ e^{−s a_j} φ(s)^{K−1} ds,
a one-dimensional integral, evaluated by adaptive quadrature (``scipy.integrate.quad_vec``; its error estimate is
returned). Check: Σ_j p_j a_j e^{−s a_j} = −φ'(s), so Σ_j C_K(p)(j) = K∫ −φ' φ^{K−1} = φ(0)^K = 1; K = 1 gives p.
As K → ∞, K φ(s)^{K−1} concentrates at s = 0 with mass 1/E_p[a], giving C_∞(p) = p e^r / E_p[e^r].

Bounds (quoted in THEORY C1, secondary; the first two are re-derived here):
- K → ∞: E_{C_∞(p)}[e^r] = E_p[e^{2r}]/E_p[e^r] ≥ E_p[e^r] (Cauchy–Schwarz), equality iff e^r is p-a.s. constant.
- Mixing real data: p_{t+1} = (p_ref + λ_c C_K(p_t))/(1 + λ_c), p_0 = p_ref. Since C_K(p) ≤ K p pointwise
  (a_j/(a_j + S) ≤ 1), p_t ≤ M_t p_ref with M_0 = 1, M_{t+1} = (1 + λ_c K M_t)/(1 + λ_c); if λ_c(K − 1) < 1 the M_t
  increase to M* = 1/(1 − λ_c(K − 1)), so KL(p_t ‖ p_ref) = E_{p_t}[log(p_t/p_ref)] ≤ −log(1 − λ_c(K − 1)) for all t.
- Finite K, pure curation: E_{p_{t+1}}[e^r] ≥ E_{p_t}[e^r] + ((K−1)/K)·Var_{p_t}[e^r]/e^{r*} (Ferbach; checked
  numerically by the tests, not proved here).
"""
from __future__ import annotations

import numpy as np
from scipy.integrate import quad_vec


def _args(p, r):
    p = np.asarray(p, float)
    r = np.asarray(r, float)
    if p.shape != r.shape or p.ndim != 1:
        raise ValueError(f"p and r must be vectors of one shape, got {p.shape} and {r.shape}")
    if not (np.all(np.isfinite(p)) and np.all(p >= 0) and p.sum() > 0) or not np.all(np.isfinite(r)):
        raise ValueError("p must be finite, non-negative and not all zero; r must be finite")
    # Normalise: C_K is homogeneous of degree K in p, so an unnormalised p (e.g. rounding drift over generations)
    # would be amplified K-fold per generation when the update is iterated.
    return p / p.sum(), r


def curated(p, r, K, *, with_error=False):
    """C_K(p): (k,) law of the kept sample after K-wise Bradley–Terry choice (K = np.inf: the limit p e^r/E_p[e^r]).

    With ``with_error`` also returns the quadrature's absolute error estimate (0 for K = 1 and K = ∞)."""
    p, r = _args(p, r)
    if np.isinf(K):
        q = p * np.exp(r - r.max())
        out, err = q / q.sum(), 0.0
    elif K == 1:
        out, err = p.copy(), 0.0
    else:
        a = np.exp(r - r.max())
        live = p > 0
        a_min = a[live].min()

        def f(u):  # s = u/(1 − u) maps [0, 1) onto [0, ∞); ds = du/(1 − u)²; scale by a_min for a unit decay rate
            s = u / (1 - u) / a_min
            phi = np.sum(p * np.exp(-s * a))
            return a * np.exp(-s * a) * phi ** (K - 1) / ((1 - u) ** 2 * a_min)

        integral, err = quad_vec(f, 0.0, 1.0, epsabs=1e-13, epsrel=1e-11)
        out = K * p * integral
        err = float(K * np.max(p) * err)
        out = out / out.sum()  # sums to 1 up to the quadrature error ``err``; renormalised so iterates stay on the simplex
    return (out, err) if with_error else out


def mixed_step(p, r, K, *, ratio, p_ref):
    """One generation with real data: (p_ref + λ_c C_K(p))/(1 + λ_c)."""
    return (np.asarray(p_ref, float) + ratio * curated(p, r, K)) / (1 + ratio)


def trajectory(p0, r, K, *, generations, ratio=0.0, p_ref=None) -> np.ndarray:
    """(generations + 1, k) exact expected-law iterates: pure curation (ratio = 0) or mixed with p_ref at λ_c."""
    out = [np.asarray(p0, float)]
    for _ in range(generations):
        out.append(mixed_step(out[-1], r, K, ratio=ratio, p_ref=p0 if p_ref is None else p_ref) if ratio
                   else curated(out[-1], r, K))
    return np.stack(out)


def expected_exp_reward(p, r):
    """E_p[e^r] (…,) for laws p: (…, k)."""
    return np.sum(np.asarray(p) * np.exp(np.asarray(r)), axis=-1)


def reward_gain_bound(p, r, K):
    """((K − 1)/K)·Var_p[e^r]/e^{r*}: Ferbach's lower bound on one generation's gain in E[e^r] (pure curation)."""
    p, r = _args(p, r)
    e = np.exp(r)
    var = np.sum(p * e**2) - np.sum(p * e) ** 2
    frac = 1.0 if np.isinf(K) else (K - 1) / K
    return frac * var / np.exp(r.max())


def kl_bound(K, ratio):
    """−log(1 − λ_c(K − 1)), the bound on KL(p_t ‖ p_ref) when λ_c(K − 1) < 1 (inf otherwise)."""
    x = ratio * (K - 1)
    return -np.log1p(-x) if x < 1 else np.inf


def kl(p, q):
    """KL(p ‖ q) for categorical laws (0 log 0 = 0)."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    pos = p > 0
    return float(np.sum(p[pos] * np.log(p[pos] / q[pos])))


def limit_law(p0, r):
    """p₀ restricted to argmax r and renormalised: where pure curation converges (THEORY C1)."""
    p0, r = _args(p0, r)
    top = np.isclose(r, r.max(), rtol=0, atol=1e-12) & (p0 > 0)
    q = np.where(top, p0, 0.0)
    return q / q.sum()
