"""SIMS as a distribution shifter: which class proportions the auxiliary model's fine-tuning data should have.

Idealise the base as a mixture of class components on disjoint supports, p_r(x) = Σ_c b_c p_c(x), and the auxiliary as
the same components with weights q_c, p_s(x) = Σ_c q_c p_c(x). The SIMS score (1 + ω) ∇log p_r − ω ∇log p_s
(Alemohammad et al. 2024, THEORY N1) is the score of p_ω ∝ p_r^{1+ω} p_s^{−ω}, which on class c's support equals
b_c^{1+ω} q_c^{−ω} p_c(x): class weights w_c(ω) ∝ b_c (b_c / q_c)^ω. Choosing q_c ∝ b_c² / t_c (t the target) makes
b_c / q_c ∝ t_c / b_c, so w_c(ω) ∝ b_c^{1−ω} t_c^ω: the geometric path from the base's proportions (ω = 0) to the
target (ω = 1), overshooting past it for ω > 1 (the lab's derivation; N1 states the claim, not a recipe). It is exact
only in the product-density limit: guided sampling integrates noised scores, for which p_r^{1+ω} p_s^{−ω} is not
preserved (as for classifier-free guidance), a finite budget B leaves the auxiliary between the base and q, and the
classifier that estimates b errs.
"""
from __future__ import annotations

import numpy as np


def proportions(skew: float, classes: int = 10) -> np.ndarray:
    """(classes,) proportions ∝ skew for the first half of the classes and 1 for the rest."""
    half = classes // 2
    p = np.array([skew] * half + [1.0] * (classes - half))
    return p / p.sum()


def selection_weights(b, t) -> np.ndarray:
    """q ∝ b² / t: the auxiliary's class proportions that make the idealised SIMS class weights w(ω) ∝ b^{1−ω} t^ω.
    b: (k,) base proportions, t: (k,) target proportions > 0. Classes with b_c = 0 get q_c = 0."""
    b = np.asarray(b, float)
    t = np.asarray(t, float)
    if t.shape != b.shape or np.any(t <= 0):
        raise ValueError(f"target must be {b.shape} positive proportions, got {t.tolist()}")
    if np.any(b < 0) or b.sum() <= 0:
        raise ValueError(f"b must be non-negative proportions with positive sum, got {b.tolist()}")
    q = b**2 / t
    return q / q.sum()


def predicted_weights(b, t, omega: float) -> np.ndarray:
    """(k,) idealised SIMS class weights w(ω) ∝ b (b/q)^ω with q = ``selection_weights(b, t)``, i.e. ∝ b^{1−ω} t^ω
    on the classes with b_c > 0."""
    b = np.asarray(b, float)
    t = np.asarray(t, float)
    w = np.where(b > 0, b ** (1 - omega) * t**omega, 0.0)
    return w / w.sum()


def selection_counts(q, available, n: int) -> np.ndarray:
    """(k,) per-class counts ``largest_remainder(q, m)`` for the largest m ≤ n that every class's pool can fill
    (count_c ≤ available_c); m ≥ 1 unless no class is available."""
    from lab.truths import largest_remainder

    available = np.asarray(available, int)
    for m in range(int(n), 0, -1):
        counts = largest_remainder(q, m)
        if np.all(counts <= available):
            return counts
    raise ValueError("the pool holds no sample of any class the selection asks for")


def pad(x, n: int):
    """((n, d) rows, (n,) weights): x's m ≤ n rows with weight 1, then zero rows with weight 0 (never drawn), so
    that sets of different sizes share one shape under ``jax.vmap``."""
    m = x.shape[0]
    return (np.concatenate([x, np.zeros((n - m, x.shape[1]), x.dtype)]),
            np.concatenate([np.ones(m, np.float32), np.zeros(n - m, np.float32)]))


__all__ = ["proportions", "selection_weights", "predicted_weights", "selection_counts", "pad"]
