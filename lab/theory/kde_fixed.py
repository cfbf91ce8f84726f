"""The lab's KDE sandwich on ONE fixed real set plus synthetic data (``lab.Augment(synthetic=m)`` with ``lab.KDE``;
THEORY F1 in its own setting), and where E[TV] turns in m. Companion of ``lab.theory.kde_mixed`` (fresh real data),
whose notation, facts and quadrature it reuses.

Setting. Truth p* = N(0, 1). Generation 0 is the KDE of the n real points X_1..X_n with bandwidth h_0; generation i ≥ 1
is the KDE of the SAME X_j plus m points Y_j drawn i.i.d. from p_{i−1}, bandwidth h_i, N = n + m. Bandwidths as in
kde_mixed: a fixed h (``lab.KDE(h)``) or the oracle rule h_0 = n^{−1/5}, h_i = N^{−1/5} (``lab.KDE("scott", scale=1)``).

(1) Mean, EXACT and the SAME as with fresh data: E[φ_h(x − X_j)] does not care whether X_j is new, so
q_i = E p_i = (n/N) p* ⋆ φ_{h_i} + (m/N) q_{i−1} ⋆ φ_{h_i} (``kde_mixed.mean_mixture``). Given the real set, write
P_X = (1/n) Σ_j δ_{X_j}; then E[p_i | X] = P_X ⋆ κ_i with κ_i = Σ_k w_k φ_{s_k}, s_k² = v_k − 1 (the mean mixture's
components without the truth's unit variance).

(2) Variance, EXACT (the lab's derivation). With Z_i = (p_i ⋆ φ_t)(x), H² = h_i² + t², F_{i−1} everything up to
generation i − 1 (the real set included): E[Z_i | F_{i−1}] = (n/N) A + (m/N) B with A = (P_X ⋆ φ_H)(x),
B = (p_{i−1} ⋆ φ_H)(x); Var(Z_i | F_{i−1}) = (m/N²)[(p_{i−1} ⋆ φ_H²)(x) − B²]. The law of total variance gives
    V_i(x; t²) = (n/N²)[p* ⋆ φ_H² − (p* ⋆ φ_H)²](x) + (m/N²)[q_{i−1} ⋆ φ_H² − (q_{i−1} ⋆ φ_H)²](x)
                 + (m(m − 1)/N²) V_{i−1}(x; H²) + (2m/N²) C_{i−1}(x; H²),
which is kde_mixed's recursion plus the last term: the covariance between the real block and the previous model, which
both see the same X. A is a function of X, so Cov(A, B) = Cov(A, E[B | X]) with E[B | X] = (P_X ⋆ k)(x), k = κ_{i−1} ⋆ φ_H,
and for an average of n i.i.d. terms
    n·Cov(A, B) = C_{i−1}(x; H²) := [p* ⋆ (φ_H · k)](x) − (p* ⋆ φ_H)(x)(q_{i−1} ⋆ φ_H)(x),
with φ_a · φ_b = φ_c/√(2π(a² + b²)), c² = a²b²/(a² + b²), so every term is again a signed sum of centred Gaussians.
V_0 is kde_mixed's (generation 0 does not depend on the regime).

(3) The sandwich, RIGOROUS as in kde_mixed: ½‖q_i − p*‖₁ ≤ E[TV(p_i, p*)] ≤ B_i = ½∫√((q_i − p*)² + V_i) (Jensen
below, pointwise Cauchy–Schwarz and Fubini above); same quadrature.

Shape in m. The bias is the fresh loop's; the variance no longer falls towards the N-point level, because the n real
points are the same every generation: as m → ∞ the fit copies generation i − 1 smoothed by h_i. So
  * oracle rule: h_i → 0 as m → ∞, p_i → p_0, and E[TV] returns to its m = 0 value; in between the bias rises: a
    RISE-THEN-FALL, like the fresh loop's (threshold ``threshold_m``, the argmax of B_i);
  * fixed h: as m → ∞, p_i → p_0 ⋆ φ_{√i h}, so E[TV] rises towards the i-fold smoothed real-only fit and stays
    there — no fall.
"""
from __future__ import annotations

import numpy as np

from lab import _checks
from lab.theory.kde_mixed import _bandwidths, _bias_l1, _g, _q, _q_sq_kernel, bandwidths, grid, mean_mixture


def _cross(x, w, v, H2):
    """C(x; H²) = [p* ⋆ (φ_H·k)](x) − (p* ⋆ φ_H)(x)(q ⋆ φ_H)(x), k = κ ⋆ φ_H, κ = Σ w_k φ_{√(v_k − 1)}, q = (w, v)."""
    s2 = v - 1.0 + H2  # k's component variances
    c2 = H2 * s2 / (H2 + s2)  # φ_H · φ_s = φ_c / √(2π(H² + s²))
    prod = np.sum((w / np.sqrt(2.0 * np.pi * (H2 + s2)))[:, None] * _g(x[None], 1.0 + c2[:, None]), axis=0)
    return prod - _g(x, 1.0 + H2) * _q(x, w, v, H2)


def pointwise_variance(x, *, n: int, m: int, hs, t2: float = 0.0) -> np.ndarray:
    """EXACT V_i(x; t²) = Var[(p_i ⋆ φ_t)(x)] under ``Augment(synthetic=m)`` at points x (P,), hs = (h_0, …, h_i)
    (module docstring (2))."""
    x = np.asarray(x, float)
    hs = _bandwidths(n, m, hs)
    one, var1 = np.array([1.0]), np.array([1.0])
    H2 = hs[-1] ** 2 + t2
    real = _q_sq_kernel(x, one, var1, H2) - _q(x, one, var1, H2) ** 2
    if len(hs) == 1 or m == 0:  # m = 0: the KDE of the real set alone, bandwidth h_i
        return real / n
    N = n + m
    w, v = mean_mixture(n=n, m=m, hs=hs[:-1])
    synth = _q_sq_kernel(x, w, v, H2) - _q(x, w, v, H2) ** 2
    out = (n * real + m * synth + 2 * m * _cross(x, w, v, H2)) / N**2
    if m > 1:
        out = out + m * (m - 1) / N**2 * pointwise_variance(x, n=n, m=m, hs=hs[:-1], t2=H2)
    return out


def tv_bounds(*, n: int, m: int, hs, points: int = 4001) -> dict:
    """The sandwich for generation i = len(hs) − 1 under ``Augment(synthetic=m)``: {"lower", "bound", "split",
    "bias_l1", "sd_l1"} as ``kde_mixed.tv_bounds``; lower ≤ E[TV(p_i, p*)] ≤ bound ≤ split."""
    hs = _bandwidths(n, m, hs)
    _checks.integer("points", points, minimum=3)
    x = grid(hs, points)
    w, v = mean_mixture(n=n, m=m, hs=hs)
    b = _q(x, w, v) - _g(x, 1.0)
    V = np.clip(pointwise_variance(x, n=n, m=m, hs=hs), 0.0, None)  # exact V ≥ 0; clip rounding at the far tails
    bias_l1, sd_l1 = _bias_l1(w, v, x), np.trapezoid(np.sqrt(V), x)
    return {"lower": 0.5 * bias_l1, "bound": 0.5 * np.trapezoid(np.sqrt(b**2 + V), x),
            "split": 0.5 * (bias_l1 + sd_l1), "bias_l1": bias_l1, "sd_l1": sd_l1}


def tv_bound(*, n: int, m: int, i: int, h: float | None = None, rule: str = "fixed", scale: float = 1.0,
             points: int = 4001) -> float:
    """RIGOROUS B_i ≥ E[TV(p_i, p*)] under ``lab.Augment(synthetic=m)`` (m = 0: the real-only KDE at every
    generation when the bandwidth is the same), bandwidths as ``kde_mixed.bandwidths``."""
    hs = bandwidths(n=n, m=m, i=i, h=h, rule=rule, scale=scale)
    return float(tv_bounds(n=n, m=m, hs=hs, points=points)["bound"])


def threshold_m(*, n: int, i: int, h: float | None = None, rule: str = "scott", scale: float = 1.0,
                m_max: int | None = None, points: int = 1001) -> int:
    """m†(i) = argmax over m ∈ {0, …, m_max} of this module's B_i: every integer m up to 4n, then a geometric grid
    (≈ 2 % steps) up to m_max (default 200 n), as ``kde_mixed.threshold_m``."""
    m_max = 200 * n if m_max is None else _checks.integer("m_max", m_max, minimum=0)
    ms = np.unique(np.concatenate([np.arange(min(4 * n, m_max) + 1),
                                   np.geomspace(max(1, 4 * n), max(1, m_max), 300).round()])).astype(int)
    ms = ms[ms <= m_max]
    b = [tv_bound(n=n, m=int(m), i=i, h=h, rule=rule, scale=scale, points=points) for m in ms]
    return int(ms[int(np.argmax(b))])


__all__ = ["pointwise_variance", "tv_bounds", "tv_bound", "threshold_m"]
