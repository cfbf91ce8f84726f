"""Exact distances between Gaussian laws, as pure functions of (μ₁, Σ₁, μ₂, Σ₂) with shapes (d,), (d, d).

Degenerate but legal inputs (a covariance collapsed to zero or singular) give finite values, or +∞ where the
divergence is genuinely infinite (KL against a singular law), never NaN.
"""
from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import ndtr

from lab.linalg import eigh, psd_eigvals, psd_sqrt, sym


def w2_sq(m1, S1, m2, S2):
    """W₂²(N(m1,S1), N(m2,S2)) = ‖m1 − m2‖² + tr(S1 + S2 − 2 (S2^{1/2} S1 S2^{1/2})^{1/2}) (THEORY M1;
    Dowson & Landau 1982, Givens & Shortt 1984). In 1-D it is (m1 − m2)² + (σ1 − σ2)², computed directly."""
    mean_part = jnp.sum((m1 - m2) ** 2)
    if m1.shape[-1] == 1:
        s1 = jnp.sqrt(jnp.clip(S1[0, 0], 0.0, None))
        s2 = jnp.sqrt(jnp.clip(S2[0, 0], 0.0, None))
        return mean_part + (s1 - s2) ** 2
    r2 = psd_sqrt(S2)
    cross = jnp.sum(jnp.sqrt(psd_eigvals(r2 @ S1 @ r2)))
    return jnp.clip(mean_part + jnp.trace(S1) + jnp.trace(S2) - 2.0 * cross, 0.0, None)


def _logdet(S):
    """log det of a symmetric PSD matrix; −∞ when singular."""
    ev = psd_eigvals(S)
    return jnp.sum(jnp.where(ev > 0, jnp.log(jnp.where(ev > 0, ev, 1.0)), -jnp.inf))


def kl(m1, S1, m2, S2):
    """KL(N(m1,S1) ‖ N(m2,S2)) = ½[tr(S2⁻¹S1) + (m2−m1)ᵀS2⁻¹(m2−m1) − d + log det S2 − log det S1] (THEORY M3).

    +∞ when S1 or S2 is singular (the laws are then not mutually absolutely continuous, or log det S1 = −∞),
    unless both are the same law."""
    d = m1.shape[-1]
    ev2, V2 = eigh(S2)
    ok2 = jnp.all(ev2 > 0)
    inv2 = (V2 / jnp.where(ev2 > 0, ev2, 1.0)) @ V2.T
    dm = m2 - m1
    ld1, ld2 = _logdet(S1), _logdet(S2)
    val = 0.5 * (jnp.trace(inv2 @ S1) + dm @ inv2 @ dm - d + ld2 - ld1)
    same = jnp.all(m1 == m2) & jnp.all(S1 == S2)
    finite = ok2 & jnp.isfinite(ld1)
    return jnp.where(same, 0.0, jnp.where(finite, jnp.clip(val, 0.0, None), jnp.inf))


def bhattacharyya(m1, S1, m2, S2):
    """Bhattacharyya coefficient BC = ∫√(p q) = det(S1)^{¼} det(S2)^{¼} det(S̄)^{−½} exp(−⅛ Δᵀ S̄⁻¹ Δ), S̄ = (S1+S2)/2
    (Bhattacharyya 1943; Kailath 1967). 0 when exactly one law is singular."""
    Sbar = 0.5 * (S1 + S2)
    ev, V = eigh(Sbar)
    inv = (V / jnp.where(ev > 0, ev, 1.0)) @ V.T
    dm = m1 - m2
    log_bc = 0.25 * _logdet(S1) + 0.25 * _logdet(S2) - 0.5 * _logdet(Sbar) - 0.125 * dm @ inv @ dm
    same = jnp.all(m1 == m2) & jnp.all(S1 == S2)
    return jnp.where(same, 1.0, jnp.clip(jnp.exp(jnp.where(jnp.isnan(log_bc), -jnp.inf, log_bc)), 0.0, 1.0))


def tv_1d(m1, s1, m2, s2):
    """Exact TV between N(m1, s1²) and N(m2, s2²), s ≥ 0 (THEORY M2, exact 1-D).

    The densities cross where A x² + B x + C = 0 with A = s1² − s2², B = 2(s2² m1 − s1² m2),
    C = s1² m2² − s2² m1² − 2 s1² s2² log(s1/s2); TV = |P1(a, b) − P2(a, b)| over the roots a < b (one root goes to ±∞
    as s1 → s2, which Φ absorbs). Equal scales: 2Φ(|m1 − m2| / 2s) − 1. One scale 0 (a point mass): TV = 1.
    """
    eq = s1 == s2
    tv_eq = 2.0 * ndtr(jnp.abs(m1 - m2) / (2.0 * jnp.where(s1 > 0, s1, 1.0))) - 1.0
    tv_eq = jnp.where(s1 > 0, tv_eq, jnp.where(m1 == m2, 0.0, 1.0))
    a1, a2 = jnp.where(s1 > 0, s1, 1.0), jnp.where(s2 > 0, s2, 1.0)
    A = a1**2 - a2**2
    B = 2.0 * (a2**2 * m1 - a1**2 * m2)
    C = a1**2 * m2**2 - a2**2 * m1**2 - 2.0 * a1**2 * a2**2 * jnp.log(a1 / a2)
    disc = jnp.clip(B**2 - 4.0 * A * C, 0.0, None)
    q = -0.5 * (B + jnp.where(B >= 0, 1.0, -1.0) * jnp.sqrt(disc))
    r1 = jnp.where(A != 0, q / jnp.where(A != 0, A, 1.0), jnp.where(q >= 0, jnp.inf, -jnp.inf))
    r2 = C / jnp.where(q != 0, q, 1.0)
    lo, hi = jnp.minimum(r1, r2), jnp.maximum(r1, r2)
    p1 = ndtr((hi - m1) / a1) - ndtr((lo - m1) / a1)
    p2 = ndtr((hi - m2) / a2) - ndtr((lo - m2) / a2)
    tv_ne = jnp.where((s1 > 0) & (s2 > 0), jnp.abs(p1 - p2), 1.0)
    return jnp.clip(jnp.where(eq, tv_eq, tv_ne), 0.0, 1.0)


def tv_equal_cov(m1, m2, S):
    """Exact TV between N(m1, S) and N(m2, S): 2Φ(Δ/2) − 1, Δ the Mahalanobis distance (THEORY M2)."""
    ev, V = eigh(S)
    r = (m1 - m2) @ V
    delta = jnp.sqrt(jnp.sum(jnp.where(ev > 0, r**2 / jnp.where(ev > 0, ev, 1.0), jnp.where(r != 0, jnp.inf, 0.0))))
    return 2.0 * ndtr(delta / 2.0) - 1.0


def tv_bounds(m1, S1, m2, S2):
    """(lower, upper) bounds on TV from closed forms (THEORY M2).

    lower = H² = 1 − BC (Le Cam); for equal means see also ``tv_devroye_same_mean``; upper = min(1, √(1 − BC²), Pinsker √(KL/2), Bretagnolle–Huber √(1 − e^{−KL})), KL the
    smaller of the two directions. Since BC ≥ e^{−KL/2} (Jensen), √(1 − BC²) is never looser than Bretagnolle–Huber.
    """
    bc = bhattacharyya(m1, S1, m2, S2)
    k = jnp.minimum(kl(m1, S1, m2, S2), kl(m2, S2, m1, S1))
    upper = jnp.minimum(jnp.minimum(1.0, jnp.sqrt(1.0 - bc**2)), jnp.minimum(jnp.sqrt(k / 2.0), jnp.sqrt(-jnp.expm1(-k))))
    return 1.0 - bc, upper


def tv_devroye_same_mean(S1, S2):
    """(lower, upper) on TV(N(μ, S1), N(μ, S2)) for equal means (Devroye, Mehrabian & Reddad 2018, "The total variation
    distance between high-dimensional Gaussians with the same mean", Thm 1.1):
        (1/100)·min(1, ‖λ‖₂) ≤ TV ≤ (3/2)·min(1, ‖λ‖₂),  λ the eigenvalues of S1⁻¹S2 − I (S1 positive definite).
    Constant-factor bounds: useful for the covariance part of collapse, where a singular S2 makes them 1/100 and 1.
    The eigenvalues of S1⁻¹S2 are those of the symmetric S1^{−½} S2 S1^{−½}."""
    ev, V = eigh(S1)
    inv_root = (V / jnp.sqrt(ev)) @ V.T
    lam = psd_eigvals(inv_root @ S2 @ inv_root) - 1.0
    r = jnp.minimum(1.0, jnp.sqrt(jnp.sum(lam**2)))
    return r / 100.0, jnp.minimum(1.0, 1.5 * r)
