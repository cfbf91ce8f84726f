"""Verified retraining of a categorical law (Feng et al. 2024; THEORY C2): the exact infinite-sample recursion of the
bad mass and the boundary tpr = fpr, for the lab's fully expressive categorical family (the refit is the data's
frequencies) under ``Replace``.

Setting. A law p on {0..k−1}; a set G of "good" states (the truth's support, or any chosen subset) and its complement
B, the "bad" states. Each generation draws m samples from p_t; the verifier ``lab.Verify(tpr, fpr, good)`` keeps a
sample in G with probability tpr and one in B with probability fpr, independently; the refit is the frequencies of the
kept samples.

Derivation (the lab's). A sample x is kept with probability a(x) = tpr·1_G(x) + fpr·1_B(x), so the kept sample's law is
    q(j) = p(j) a(j) / Σ_l p(l) a(l),
defined whenever the kept mass Σ_l p(l) a(l) > 0. With m → ∞ the frequencies of the kept samples converge to q, so the
loop is the deterministic map p_{t+1} = q_t. Iterating, p_t(j) ∝ p_0(j) a(j)^t (``law_trajectory``). Summing over B,
the bad mass b_t = Σ_{j∈B} p_t(j) obeys
    b_{t+1} = fpr·b_t / (tpr·(1 − b_t) + fpr·b_t),
i.e. the odds b/(1 − b) are multiplied by r = fpr/tpr each generation:
    b_t = b_0 fpr^t / (b_0 fpr^t + (1 − b_0) tpr^t)        (``bad_mass_trajectory``).
For 0 < b_0 < 1: b_t → 0 iff fpr < tpr (geometrically, odds ratio r per generation), b_t = b_0 for all t if
fpr = tpr (verification only thins the data), b_t → 1 if fpr > tpr. The boundary in the (tpr, fpr) plane is the
diagonal fpr = tpr (``boundary``); it does not depend on p_0, G or k. Within G (and within B) the relative masses are
never changed by the verifier. tpr = fpr = 0 keeps nothing and the loop is undefined.

Finite samples. With m < ∞ the map is noisy: the kept count is Binomial, and the refit is a ratio, so
E[b_{t+1} | b_t] = f(b_t) + O(1/m) (f the map above; exactly b_t when tpr = fpr, by exchangeability), and the
nonlinearity of f adds another O(Var b̂_t) = O(t/m) to E[b_t] − f^t(b_0). On top of that a categorical Replace loop with
finite m is a Wright–Fisher chain that eventually fixes on a single state (THEORY D1) whatever the verifier does, on a
time scale ~ m generations. The recursion is therefore the oracle of the simulated mean for m large and t ≪ m
(e.g. m = 10⁴, t ≤ 10: the discrepancy is far below the replicate noise), not of the loop's t → ∞ behaviour.
"""
from __future__ import annotations

import numpy as np


def _rates(tpr, fpr):
    tpr = np.asarray(tpr, float)
    fpr = np.asarray(fpr, float)
    if np.any((tpr < 0) | (tpr > 1) | (fpr < 0) | (fpr > 1)) or not (np.all(np.isfinite(tpr)) and np.all(np.isfinite(fpr))):
        raise ValueError("tpr and fpr must lie in [0, 1]")
    return tpr, fpr


def step(b, tpr, fpr):
    """One generation of the infinite-sample loop: b ↦ fpr·b / (tpr·(1 − b) + fpr·b) (broadcasts).

    Raises ValueError where the verifier keeps nothing (kept mass tpr·(1 − b) + fpr·b = 0)."""
    tpr, fpr = _rates(tpr, fpr)
    b = np.asarray(b, float)
    kept = tpr * (1 - b) + fpr * b
    if np.any(kept <= 0):
        raise ValueError("the verifier keeps nothing (tpr·(1 − b) + fpr·b = 0): the loop is undefined")
    return fpr * b / kept


def bad_mass_trajectory(b0, tpr, fpr, generations: int) -> np.ndarray:
    """Exact infinite-sample bad mass b_0..b_T, shape (generations + 1, *broadcast(b0, tpr, fpr).shape).

    b_t = b_0 fpr^t / (b_0 fpr^t + (1 − b_0) tpr^t), computed by iterating ``step`` (no over/underflow of the powers).

    Example:
      >>> from lab.theory import verification as V
      >>> V.bad_mass_trajectory(0.5, 0.9, 0.3, 2).round(4).tolist()
      [0.5, 0.25, 0.1]
    """
    if int(generations) != generations or generations < 0:
        raise ValueError(f"generations must be a non-negative integer, got {generations!r}")
    tpr, fpr = _rates(tpr, fpr)
    b = np.asarray(b0, float)
    if np.any((b < 0) | (b > 1)):
        raise ValueError("b0 must lie in [0, 1]")
    b = np.broadcast_to(b, np.broadcast_shapes(b.shape, tpr.shape, fpr.shape)).astype(float)
    out = [b]
    for _ in range(int(generations)):
        out.append(step(out[-1], tpr, fpr))
    return np.stack(out)


def law_trajectory(p0, good, tpr, fpr, generations: int) -> np.ndarray:
    """Exact infinite-sample laws p_0..p_T, (generations + 1, k): p_t(j) ∝ p_0(j)·(tpr·good_j + fpr·(1 − good_j))^t.

    Args:
      p0: (k,) the initial law (the truth).
      good: (k,) booleans, the good set G.
    """
    p = np.asarray(p0, float)
    g = np.asarray(good, bool)
    if p.ndim != 1 or g.shape != p.shape or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError("p0 must be a probability vector and good a boolean vector of the same shape")
    tpr, fpr = _rates(tpr, fpr)
    a = np.where(g, float(tpr), float(fpr))
    out = [p]
    for _ in range(int(generations)):
        q = out[-1] * a
        if q.sum() <= 0:
            raise ValueError("the verifier keeps nothing: the loop is undefined")
        out.append(q / q.sum())
    return np.stack(out)


def limit(b0, tpr, fpr):
    """lim_{t→∞} b_t: 0 if fpr < tpr, b_0 if fpr = tpr, 1 if fpr > tpr (for 0 < b_0 < 1; b_0 ∈ {0, 1} stays)."""
    tpr, fpr = _rates(tpr, fpr)
    b = np.asarray(b0, float)
    lim = np.where(fpr < tpr, 0.0, np.where(fpr > tpr, 1.0, b))
    return np.where((b == 0) | (b == 1), b, lim)


def boundary(tpr):
    """The collapse boundary in the (tpr, fpr) plane: fpr = tpr. Below it (fpr < tpr) the bad mass vanishes."""
    tpr, _ = _rates(tpr, 0.0)
    return tpr.copy()


__all__ = ["step", "bad_mass_trajectory", "law_trajectory", "limit", "boundary"]
