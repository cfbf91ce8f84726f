"""The lab's bound for a Gaussian KDE under mixed training with FRESH real data (``lab.Fresh``; issue 4, item 3; one fixed
real set, F1's setting: ``lab.theory.kde_fixed``), and where the
distance to the truth turns in the synthetic amount m. The lab's own derivation, written out below.

Setting. Truth p* = N(0, 1) in 1-D (a truth N(μ, σ²) maps onto it by x ↦ (x − μ)/σ, h ↦ h/σ; TV is unchanged).
Generation 0 is the KDE p_0 = (1/n) Σ_j φ_{h_0}(x − X⁰_j) on n real points; generation i ≥ 1 is the KDE
    p_i(x) = (1/N) [Σ_{j≤n} φ_{h_i}(x − X_j) + Σ_{j≤m} φ_{h_i}(x − Y_j)],   N = n + m,
on n FRESH real points X_j ~ p* and m points Y_j drawn i.i.d. from p_{i−1} (``lab.Fresh(real=n, synthetic=m)`` with
``lab.KDE``), φ_s the N(0, s²) density. The bandwidths h_0, h_1, … must be FIXED numbers (not functions of the data):
``lab.KDE(h)`` (h_i = h for every i, generation 0 included) and the ORACLE rule ``lab.KDE("scott", scale=1)``
(h_0 = n^{−1/5}, h_i = N^{−1/5} for i ≥ 1: the weight sum W is n at generation 0 and N after) are covered.
Scott's data-driven rule h_i = σ̂_i N^{−1/5} is NOT covered: σ̂_i is random and correlated with the points, so
the conditional-independence steps below fail; ``studies/phase_transition.py`` shows it by simulation only.

Notation: g_s = φ_s (centred Gaussian density), F_{i−1} = everything up to generation i − 1. Facts used:
φ_a ⋆ φ_b = φ_{√(a²+b²)};  φ_h² = φ_{h/√2} / (2√π h);  φ_a·φ_b = φ_c / √(2π(a² + b²)), c² = a²b²/(a² + b²).

(1) Mean, EXACT. E[φ_h(x − X)] = (p* ⋆ φ_h)(x) for X ~ p*, and E[φ_h(x − Y) | F_{i−1}] = (p_{i−1} ⋆ φ_h)(x), so
    q_0 = p* ⋆ φ_{h_0},   q_i := E p_i = (n/N) p* ⋆ φ_{h_i} + (m/N) q_{i−1} ⋆ φ_{h_i},
a finite mixture of centred Gaussians: q_i = Σ_k w_k φ_{s_k}, s_k² = 1 + (sum of the last k bandwidths²)
(``mean_mixture``).

(2) Variance, EXACT. Let V_i(x; t²) = Var[(p_i ⋆ φ_t)(x)] (t = 0: the pointwise variance of p_i). p_i ⋆ φ_t is the KDE
of the same points with bandwidth H = √(h_i² + t²). Given F_{i−1} the N terms are independent, so (law of total
variance; Var E(·|F) uses E[(p_{i−1} ⋆ φ_H)(x)²] = (q_{i−1} ⋆ φ_H)² + V_{i−1}(x; H²)):
    V_0(x; t²) = (1/n) [p* ⋆ φ_{H_0}² − (p* ⋆ φ_{H_0})²](x),                           H_0² = h_0² + t²,
    V_i(x; t²) = (1/N²) { n [p* ⋆ φ_H² − (p* ⋆ φ_H)²] + m [q_{i−1} ⋆ φ_H² − (q_{i−1} ⋆ φ_H)²] }(x)
                 + (m(m − 1)/N²) · V_{i−1}(x; H²),                                      H² = h_i² + t².
(the m(m−1) = m² − m: the conditional variance contributes −(m/N²) E[(p_{i−1} ⋆ φ_H)²], the variance of the
conditional mean +(m/N)² Var[(p_{i−1} ⋆ φ_H)(x)].) Every term is a signed sum of centred Gaussians in x, so V_i(x; 0) is
in closed form; nothing is bounded here. (The brief's Jensen step Var(p ⋆ φ) ≤ Var(p) ⋆ φ is not needed: the extra
smoothing is carried by t² exactly.)

(3) The bound, RIGOROUS. With b_i = q_i − p* (the bias) and E(p_i(x) − p*(x))² = b_i(x)² + V_i(x; 0),
Cauchy–Schwarz pointwise (E|Z| ≤ √(E Z²)) and Fubini give
    E[TV(p_i, p*)] = ½ ∫ E|p_i(x) − p*(x)| dx  ≤  B_i := ½ ∫ √(b_i(x)² + V_i(x; 0)) dx
                                                ≤  ½ ‖b_i‖₁ + ½ ∫ √V_i(x; 0) dx        (the brief's split form),
and, since TV is convex, Jensen gives the LOWER bound E[TV(p_i, p*)] ≥ TV(q_i, p*) = ½ ‖b_i‖₁. So
    ½‖b_i‖₁  ≤  E[TV(p_i, p*)]  ≤  B_i.
Only the pointwise E|Z| ≤ √(E Z²) step loses anything: for a nearly Gaussian Z with small mean E|Z| ≈ √(2/π)·√(E Z²),
so B_i / E[TV] ≈ √(π/2) ≈ 1.25 when the variance dominates (in simulation, over ``studies/phase_transition.py``'s
grid with the oracle rule, the ratio stays near that value, a little above it at generation 0; the worst excess of the
simulation over either bound, in standard errors, is ``bound_excess_se`` in ``figures/phase_transition.json``).

Quadrature. ‖b_i‖₁ is computed exactly: b_i is a signed sum of centred Gaussians, its sign changes are bracketed on the
nodes and refined (brentq), and ∫ b_i between them is a sum of normal CDFs. b_i² + V_i is a signed sum of centred
Gaussians whose widest has variance s_max² = 1 + Σ_j h_j²; its square root decays like φ_{√2 s_max}. The integrals use
the trapezoid rule on [−L, L], L = 14 s_max, with ``points`` nodes (default 4001): the tails beyond L are below e^{−49}
of the integrand's scale, and the trapezoid error (smooth, positive, fast decaying integrand: the rule converges
geometrically) is below 1e−7 at the default grid — ``tests/test_kde_mixed_theory.py`` checks it by doubling the nodes
and widening L.

Shape in m, and the threshold (numerical argmax of B_i over m; measured in simulation, ``studies/phase_transition.py``).
  * Fixed h (the same for every m): as m grows the synthetic share feeds generation i back the i-fold smoothed law, so
    the bias rises to ‖p* ⋆ φ_{√(i+1) h} − p*‖₁ while the variance falls; B_i dips slightly at small m and then
    rises — no rise-then-fall (no return to the m = 0 level, because the bandwidth does not shrink with N). In
    simulation (n = 20, h = 0.5, i = 5, m from 0 to 640) E[TV] has the same shape, below B_5 throughout.
  * Oracle rule h_i = N^{−1/5}, h_0 = n^{−1/5}: as m → ∞, h_i → 0 and p_i → p_{i−1} → … → p_0, so E[TV] returns to its
    m = 0 value; in between each generation adds a smoothing h_i² with weight (m/N)^k, so the bias rises first and
    falls later: a RISE-THEN-FALL like F1's. The threshold m† (argmax of B_i over m, ``threshold_m``) is found
    numerically. A formula for where it sits (APPROXIMATION, first order in the bandwidths): q_i − p* ≈ ½ s̄_i p*'' with
    s̄_i = Σ_k w_k (v_k − 1) the mean extra smoothing of ``mean_mixture``; with r = m/N, 1 − r = n/N,
        s̄_i = h² (1 − r^i)/(1 − r) + r^i h_0²,   so for the oracle rule, with y = N/n = 1 + m/n:
        n^{2/5} s̄_i = F_i(y) := y^{3/5} (1 − (1 − 1/y)^i) + (1 − 1/y)^i,
    which does not depend on n. Its argmax gives m†(i) ≈ n·(y*_i − 1) (``threshold_m_smoothing``):
    y*_i − 1 = 3.60, 5.03, 6.39, 7.71, 9.01, 15.2 for i = 1, 2, 3, 4, 5, 10. It locates the argmax of the bias part
    (the lower bound) within ≈ 20 % (n = 20: 81, 120, 150, 187, 221 against 72, 101, 128, 154, 180 for i = 1…5;
    n = 100: 396, 552, 721, 880, 1005 against 360, 503, 639, 771, 901). The variance part of B_i falls with m and
    flattens B_i: its argmax is 1 (no rise) at i = 1, poorly determined at i = 2 (the rise is < 0.001 at n = 20),
    and for i = 3…5 at n = 20: 120, 134, 150 (n = 100: 880, 880, 940).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import ndtr

from lab import _checks

_SQ2PI = np.sqrt(2.0 * np.pi)


def _g(x, var):
    """Centred Gaussian density φ_{√var}(x); x: (P,), var: scalar or (K, 1) → broadcast."""
    return np.exp(-0.5 * x**2 / var) / np.sqrt(2.0 * np.pi * var)


def bandwidths(*, n: int, m: int, i: int, h: float | None = None, rule: str = "fixed",
               scale: float = 1.0) -> np.ndarray:
    """(i + 1,) bandwidths h_0 … h_i of the loop: ``rule="fixed"``: h every generation (``lab.KDE(h)``);
    ``rule="scott"``: oracle h_0 = scale·n^{−1/5}, h_j = scale·(n + m)^{−1/5} (``lab.KDE("scott", scale=scale)``)."""
    _setting(n, m, i)
    if rule == "fixed":
        h = _checks.real_in("h", h, 0.0, np.inf, lo_open=True, hi_open=True) if h is not None else None
        if h is None:
            raise ValueError("h is required for rule='fixed'")
        return np.full(i + 1, h)
    if rule != "scott":
        raise ValueError(f"rule must be 'fixed' or 'scott', got {rule!r}")
    scale = _checks.real_in("scale", scale, 0.0, np.inf, lo_open=True, hi_open=True)
    return np.concatenate([[scale * n**-0.2], np.full(i, scale * (n + m) ** -0.2)])


def _setting(n, m, i):
    _checks.integer("n", n, minimum=1)
    _checks.integer("m", m, minimum=0)
    _checks.integer("i", i, minimum=0)


def _bandwidths(n, m, hs) -> np.ndarray:
    """Validated (n, m) and bandwidths hs = (h_0, …, h_i): a non-empty 1-D array of finite positive numbers."""
    _setting(n, m, 0)
    hs = np.asarray(hs, float)
    if hs.ndim != 1 or hs.size == 0 or not np.all(np.isfinite(hs)) or np.any(hs <= 0):
        raise ValueError(f"hs must be a non-empty 1-D sequence of finite bandwidths > 0, got {hs!r}")
    return hs


def mean_mixture(*, n: int, m: int, hs) -> tuple[np.ndarray, np.ndarray]:
    """EXACT q_i = E p_i as a centred Gaussian mixture: (weights (i+1,), variances (i+1,)) for bandwidths
    hs = (h_0, …, h_i). Component k carries the last k + 1 bandwidths: q_i = Σ_k w_k φ_{√(1 + h_i² + … + h_{i−k}²)}."""
    hs = _bandwidths(n, m, hs)
    w, v = np.array([1.0]), np.array([1.0 + hs[0] ** 2])
    for h in hs[1:]:
        N = n + m
        w = np.concatenate([[n / N], (m / N) * w])
        v = np.concatenate([[1.0 + h**2], v + h**2])
    return w, v


def _q(x, w, v, t2=0.0):
    """(q ⋆ φ_t)(x) for a centred mixture (w, v)."""
    return np.sum(w[:, None] * _g(x[None], v[:, None] + t2), axis=0)


def _q_sq_kernel(x, w, v, H2):
    """(q ⋆ φ_H²)(x) with φ_H² = φ_{H/√2}/(2√π H)."""
    return _q(x, w, v, H2 / 2.0) / (2.0 * np.sqrt(np.pi * H2))


def pointwise_variance(x, *, n: int, m: int, hs, t2: float = 0.0) -> np.ndarray:
    """EXACT V_i(x; t²) = Var[(p_i ⋆ φ_t)(x)] at points x (P,), hs = (h_0, …, h_i); t2 = 0 gives Var p_i(x).
    The recursion (2) of the module docstring."""
    x = np.asarray(x, float)
    hs = _bandwidths(n, m, hs)
    one, var1 = np.array([1.0]), np.array([1.0])
    H2 = hs[-1] ** 2 + t2
    real = _q_sq_kernel(x, one, var1, H2) - _q(x, one, var1, H2) ** 2
    if len(hs) == 1:
        return real / n
    N = n + m
    w, v = mean_mixture(n=n, m=m, hs=hs[:-1])
    synth = _q_sq_kernel(x, w, v, H2) - _q(x, w, v, H2) ** 2
    out = (n * real + m * synth) / N**2
    if m > 1:
        out = out + m * (m - 1) / N**2 * pointwise_variance(x, n=n, m=m, hs=hs[:-1], t2=H2)
    return out


def grid(hs, points: int = 4001) -> np.ndarray:
    """Quadrature nodes on [−L, L], L = 14·s_max, s_max² = 1 + Σ h_j² (module docstring, Quadrature)."""
    L = 14.0 * np.sqrt(1.0 + np.sum(np.asarray(hs, float) ** 2))
    return np.linspace(-L, L, points)


def _bias_l1(w, v, x) -> float:
    """‖q − p*‖₁ for a centred mixture q = (w, v), EXACT up to root finding: the sign changes of b = q − p* are
    bracketed on the nodes x and refined by brentq; between roots ∫ b = Σ_k c_k [Φ(r/s_k) − Φ(l/s_k)] in closed form."""
    c, s = np.concatenate([w, [-1.0]]), np.sqrt(np.concatenate([v, [1.0]]))

    def b(t):
        return float(np.sum(c * np.exp(-0.5 * t**2 / s**2) / (np.sqrt(2 * np.pi) * s)))

    bx = np.sum(c[:, None] * _g(x[None], s[:, None] ** 2), axis=0)
    roots = [brentq(b, x[j], x[j + 1], xtol=1e-14) for j in np.flatnonzero(np.sign(bx[:-1]) * np.sign(bx[1:]) < 0)]
    edges = np.concatenate([[-np.inf], roots, [np.inf]])
    mass = np.sum(c[None] * ndtr(edges[1:, None] / s[None]) - c[None] * ndtr(edges[:-1, None] / s[None]), axis=1)
    return float(np.sum(np.abs(mass)))


def tv_bounds(*, n: int, m: int, hs, points: int = 4001) -> dict:
    """The sandwich of the module docstring for generation i = len(hs) − 1, by the trapezoid rule:
    {"lower": ½‖b_i‖₁ = TV(E p_i, p*), "bound": B_i = ½∫√(b_i² + V_i), "split": ½‖b_i‖₁ + ½∫√V_i,
     "bias_l1": ‖b_i‖₁, "sd_l1": ∫√V_i}. lower ≤ E[TV(p_i, p*)] ≤ bound ≤ split (rigorous, up to quadrature)."""
    hs = _bandwidths(n, m, hs)
    _checks.integer("points", points, minimum=3)
    x = grid(hs, points)
    w, v = mean_mixture(n=n, m=m, hs=hs)
    b = _q(x, w, v) - _g(x, 1.0)
    V = np.clip(pointwise_variance(x, n=n, m=m, hs=hs), 0.0, None)  # exact V ≥ 0; clip rounding at the far tails
    bias_l1 = _bias_l1(w, v, x)
    sd_l1 = np.trapezoid(np.sqrt(V), x)
    return {"lower": 0.5 * bias_l1, "bound": 0.5 * np.trapezoid(np.sqrt(b**2 + V), x),
            "split": 0.5 * (bias_l1 + sd_l1), "bias_l1": bias_l1, "sd_l1": sd_l1}


def tv_bound(*, n: int, m: int, i: int, h: float | None = None, rule: str = "fixed", scale: float = 1.0,
             points: int = 4001) -> float:
    """RIGOROUS B_i ≥ E[TV(p_i, p*)] for ``lab.KDE(h)`` (rule "fixed") or ``lab.KDE("scott", scale=scale)`` (oracle
    rule "scott") under ``lab.Fresh(real=n, synthetic=m)``, generation i (i = 0: the real-only KDE on n points)."""
    return float(tv_bounds(n=n, m=m, hs=bandwidths(n=n, m=m, i=i, h=h, rule=rule, scale=scale), points=points)["bound"])


def tv_lower(*, n: int, m: int, i: int, h: float | None = None, rule: str = "fixed", scale: float = 1.0,
             points: int = 4001) -> float:
    """RIGOROUS lower bound TV(E p_i, p*) ≤ E[TV(p_i, p*)] (Jensen; TV is convex)."""
    return float(tv_bounds(n=n, m=m, hs=bandwidths(n=n, m=m, i=i, h=h, rule=rule, scale=scale), points=points)["lower"])


def threshold_m(*, n: int, i: int, h: float | None = None, rule: str = "scott", scale: float = 1.0,
                m_max: int | None = None, points: int = 1001) -> int:
    """The synthetic amount m ∈ {0, …, m_max} maximising the bound B_i (the rise-then-fall threshold of the oracle
    rule), by a scan: every integer m up to 4n, then a geometric grid (≈ 2 % steps) up to m_max (default 200 n)."""
    m_max = 200 * n if m_max is None else _checks.integer("m_max", m_max, minimum=0)
    ms = np.unique(np.concatenate([np.arange(min(4 * n, m_max) + 1),
                                   np.geomspace(max(1, 4 * n), max(1, m_max), 300).round()])).astype(int)
    ms = ms[ms <= m_max]
    b = [tv_bound(n=n, m=int(m), i=i, h=h, rule=rule, scale=scale, points=points) for m in ms]
    return int(ms[int(np.argmax(b))])


def threshold_m_smoothing(*, n: int, i: int) -> float:
    """APPROXIMATE threshold of the oracle rule from the first-order bias: n·(y* − 1), y* = argmax_{y ≥ 1} F_i(y),
    F_i(y) = y^{3/5}(1 − (1 − 1/y)^i) + (1 − 1/y)^i (module docstring). Bounded scalar search in log y."""
    _setting(n, 0, i)
    if i == 0:
        return 0.0

    def neg_F(log_y):
        y = np.exp(log_y)
        r = (1.0 - 1.0 / y) ** i
        return -(y**0.6 * (1.0 - r) + r)

    res = minimize_scalar(neg_F, bounds=(0.0, np.log(1e4 * i)), method="bounded", options={"xatol": 1e-10})
    return float(n * (np.exp(res.x) - 1.0))


__all__ = ["threshold_m_smoothing", "bandwidths", "mean_mixture", "pointwise_variance", "grid", "tv_bounds", "tv_bound",
           "tv_lower",
           "threshold_m"]
