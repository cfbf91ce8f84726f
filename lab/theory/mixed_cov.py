"""A bound on the FULL expected TV of the Gaussian refit under mixed training with FRESH real data (``lab.Fresh``; issue 4,
item 3; F1's fixed-real-set setting is ``lab.theory.mixed_fixed``):
exact second moments of the pooled covariance recursion, and the mean + covariance bound built on them.

Setting. Truth N(0, I_d) (any truth N(μ, Σ) reduces to it: the MLE refit is affine-equivariant and TV is
affine-invariant, so replace Σ_i by Σ^{−½} Σ_i Σ^{−½} and μ_i by Σ^{−½}(μ_i − μ)). Generation 0 fits n real points;
generation i ≥ 1 fits n fresh real points plus m synthetic points from N(μ_{i−1}, λ Σ_{i−1}) (``lab.Fresh(real=n,
synthetic=m)``, ``lab.GaussianFit(ddof, sampling_bias=λ)``). Write δ = μ_{i−1}, S = Σ_{i−1}, δ' = μ_i, Σ' = Σ_i.

Derivation (the lab's). N = n + m, K = N − ddof, α = m/N, c = nm/N, A = λS. Given the past, split the training set into
its real block (mean x̄ ~ N(0, I/n), scatter W_x ~ Wishart_d(n − 1, I)) and its synthetic block (mean δ + e,
e ~ N(0, A/m); scatter W_y ~ Wishart_d(m − 1, A)); the four are independent (Cochran). The pooled scatter is the sum of
the within-block scatters and the between-block term c·u uᵀ with u = δ + e − x̄, so
    δ' = α δ + g,            g = (n x̄ + m e)/N,
    K Σ' = W_x + W_y + v vᵀ,  v = √c u = √c δ + k,  k = √c (e − x̄).
(g, k) is jointly Gaussian with zero mean and
    G = Cov g = (n I + m A)/N²,   V = Cov k = (n A + m I)/N,   C = E g kᵀ = √c (A − I)/N   (V = C = 0 when m = 0).
Conditional moments then follow from three facts: for W ~ Wishart_d(k, A), E W = kA, E tr W² = k(k+1) tr A² + k (tr A)²,
E (tr W)² = 2k tr A² + k² (tr A)² (Muirhead 1982, Thm 3.2.8 / Gupta & Nagar 2000, Thm 3.3.15); for u ~ N(b, V),
E‖u‖⁴ = (‖b‖² + tr V)² + 2 tr V² + 4 bᵀVb; and Isserlis' theorem for the cross terms:
    E (δ'ᵀ v)² = (α√c‖δ‖² + tr C)² + tr(G V) + tr C² + α² δᵀVδ + c δᵀGδ + 2α√c δᵀCδ,
    E ‖δ'‖² ‖v‖² = (α²‖δ‖² + tr G)(c‖δ‖² + tr V) + 2 tr C² + 4α√c δᵀCδ.
Every conditional moment of order ≤ 4 in the data is a polynomial in the past's seven statistics
    tr S,  ‖δ‖²,  tr S²,  (tr S)²,  δᵀSδ,  ‖δ‖² tr S,  ‖δ‖⁴,
linear in them, so their expectations obey an EXACT closed linear recursion (``step``; in 1-D tr S² = (tr S)² and
δᵀSδ = ‖δ‖² tr S, leaving E σ², E δ², E σ⁴, E σ²δ², E δ⁴). With k_y = max(m − 1, 0):
    K  E[tr Σ']       = (n−1)d + k_y λ tr S + c‖δ‖² + tr V
       E[‖δ'‖²]       = α²‖δ‖² + tr G
    K² E[tr Σ'²]      = (n−1)n d + (n−1)d² + k_y m λ² tr S² + k_y λ² (tr S)² + E‖v‖⁴
                        + 2(n−1) k_y λ tr S + 2(n−1) E‖v‖² + 2 k_y λ (c δᵀSδ + tr SV)
    K² E[(tr Σ')²]    = 2(n−1)d + (n−1)²d² + 2 k_y λ² tr S² + k_y² λ² (tr S)² + E‖v‖⁴
                        + 2(n−1)d k_y λ tr S + 2(n−1)d E‖v‖² + 2 k_y λ tr S · E‖v‖²
    K  E[δ'ᵀΣ'δ']     = (n−1) E‖δ'‖² + k_y λ (α² δᵀSδ + tr SG) + E (δ'ᵀ v)²
    K  E[‖δ'‖² tr Σ'] = ((n−1)d + k_y λ tr S) E‖δ'‖² + E ‖δ'‖² ‖v‖²
       E[‖δ'‖⁴]       = (α²‖δ‖² + tr G)² + 2 tr G² + 4α² δᵀGδ
with E‖v‖² = c‖δ‖² + tr V and E‖v‖⁴ = (c‖δ‖² + tr V)² + 2 tr V² + 4c δᵀVδ (all conditional on the past; the code expands
each product into the seven statistics with a small polynomial class, so the text above IS the code). Generation 0 is
the same step with m = 0 from any past. The first moments reproduce lab.theory.pooled (E tr Σ_i = d a_i,
E‖δ_i‖² = d b_i).

The bound (RIGOROUS). Triangle inequality through N(μ_i, I):
    TV(N(μ_i, Σ_i), N(0, I)) ≤ TV(N(0, Σ_i), N(0, I)) + TV(N(μ_i, I), N(0, I))
(TV is shift-invariant, so the first term is the same-mean one). Mean part (lab.theory.mixed): E TV_mean,i ≤
2Φ(√(d b_i)/2) − 1. Covariance part: let Y = ‖Σ_i − I‖_F² = Σ_j X_j², X_j = v_j − 1, v_j the eigenvalues of Σ_i.
Two per-realisation bounds, each of the form TV ≤ g(Y) with g concave and increasing, so that Jensen gives
E TV_cov,i ≤ g(E Y) with E Y = E tr Σ_i² − 2 E tr Σ_i + d EXACT (above):
  (a) Devroye, Mehrabian & Reddad (2018, "The total variation distance between high-dimensional Gaussians with the
      same mean", Thm 1.1): TV ≤ (3/2)·min(1, √Y) (as ``lab.metrics.gaussian_formulas.tv_devroye_same_mean``), and
      TV ≤ 1: g_a(Y) = min(1, (3/2)√Y).
  (b) The lab's derivation, sharper unless Y is large. TV ≤ √(1 − BC²) (THEORY M2; ``tv_bounds``), and for equal means
      BC² = Π_j c_j with c_j = 2√v_j/(1 + v_j) ∈ (0, 1], so 1 − BC² ≤ Σ_j (1 − c_j) = Σ_j f(v_j)²,
      f(v) = |1 − √v|/√(1 + v) = |v − 1|/D(v),  D(v) = (1 + √v)√(1 + v).
      For v ≥ 1, D ≥ 2√2, so f(v) ≤ α|X| with α = 1/(2√2). For v = 1 − t < 1, f = t·k(t) with k = 1/D(1 − t); D(1 − t)
      = a·b with a = 1 + √(1−t), b = √(2−t) positive and decreasing, and with u = √(1−t), w = √(2−t):
      (ab)'' = a''b + 2a'b' + ab'' = −w/(4u³) + 1/(2uw) − (1+u)/(4w³) = −t/(4u³w) − (1+u)/(4w³) < 0,
      so D is concave and positive and k = 1/D is convex on [0, 1]; k(0) = α, k(1) = 1, so k(t) ≤ α + (1 − α)t.
      Hence f(v) ≤ α|X| + β X² with β = 1 − α for every v > 0, and by Minkowski and ‖(X_j²)‖₂ ≤ Σ_j X_j² = Y:
      TV ≤ √(Σ_j f(v_j)²) ≤ α√Y + βY:  g_b(Y) = min(1, α√Y + βY)  (√Y concave, βY linear).
  The minimum of concave functions is concave, so E TV_cov,i ≤ min(g_a, g_b)(E Y). Altogether
    E[TV(p_i, p*)] ≤ U_i := min(1, 2Φ(√(d b_i)/2) − 1 + min(1, (3/2)√(E Y), α√(E Y) + (1 − α) E Y)).
How tight: near Σ = I, g_b ≈ 0.354√Y against DMR's 1.5√Y; the exact 1-D TV(N(0, v), N(0, 1)) ≈ φ(1)|v − 1| ≈ 0.242|v − 1|,
and E|X| ≤ √(E X²) loses ≈ √(π/2) for Gaussian-like X. Over the 1-D grid of studies/real_share the simulated
ratio U_i / E[TV] is a small factor, largest where the real part n is a handful of points (its range is ``bound_ratio``
in ``figures/real_share.json``); g_a alone would be looser. No bound of the form c·min(1, √Y) can have c < 1
(as v → 0, TV → 1 and |v − 1| → 1), which is why g_b carries the quadratic term.

Where the bound turns in m. To leading order (drop the O(1/n²) couplings with the mean and the bias of Σ_i), with r =
(m/N)², E‖Σ_i − I‖_F² ≈ d(d+1)·β_i with β_i = (N + m²β_{i−1})/N² — the same geometric recursion as the mean's b_i at
κ = λ a = 1 (lab.theory.mixed): both parts are minimised near the same m*(i). ``argmin_m_bound`` finds it exactly by
scanning; ``argmin_m_formula`` solves (x/(1+x))^{2i}(1 + 2i(1+2x)/(1+x)) = 1 for x = m*/n (x* = 1, 1.54, 2.03, 2.95,
5.03, 8.72 at i = 1, 2, 3, 5, 10, 20); lab.theory.mixed.argmin_m_asymptotic is its large-i form n·2i/ln(4i). At n = 20
the exact argmin of U_i is 21, 32, 41, 60, 101, 174; in simulation the argmin of E[TV] sits somewhat above it at
i = 2, 3, 5, in a flat bottom several steps of m wide.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from lab import _checks

STATS = ("trS", "dd", "trS2", "trS_sq", "dSd", "dd_trS", "dd_sq")  # the seven statistics (tr S, ‖δ‖², tr S², ...)
_ATOMS_TO_STAT = {(): "one", ("trS",): "trS", ("dd",): "dd", ("trS2",): "trS2", ("trS", "trS"): "trS_sq",
                  ("dSd",): "dSd", ("dd", "trS"): "dd_trS", ("dd", "dd"): "dd_sq"}


class _Poly:
    """A polynomial in the atoms tr S, ‖δ‖², tr S², δᵀSδ: {sorted tuple of atoms: coefficient}. Products of atoms
    are the statistics of STATS; evaluating at the EXPECTED statistics gives the expectation (the map is linear)."""

    def __init__(self, terms):
        self.terms = dict(terms)

    @classmethod
    def atom(cls, name):
        return cls({(name,): 1.0})

    def __add__(self, other):
        other = other if isinstance(other, _Poly) else _Poly({(): float(other)})
        out = dict(self.terms)
        for k, v in other.terms.items():
            out[k] = out.get(k, 0.0) + v
        return _Poly(out)

    __radd__ = __add__

    def __sub__(self, other):
        return self + (-1.0) * other

    def __mul__(self, other):
        if not isinstance(other, _Poly):
            return _Poly({k: v * float(other) for k, v in self.terms.items()})
        out = {}
        for k1, v1 in self.terms.items():
            for k2, v2 in other.terms.items():
                k = tuple(sorted(k1 + k2))
                out[k] = out.get(k, 0.0) + v1 * v2
        return _Poly(out)

    __rmul__ = __mul__

    def __truediv__(self, x):
        return self * (1.0 / x)

    def expect(self, mom: dict) -> float:
        """Σ coef · E[monomial], ``mom`` holding the expected statistics (and 'one' = 1)."""
        return float(sum(v * mom[_ATOMS_TO_STAT[k]] for k, v in self.terms.items()))


def _step_polys(*, n: int, m: int, d: int, ddof: int, sampling_bias: float) -> dict:
    """The next generation's statistics as conditional expectations: {name in STATS: _Poly in the past's atoms}."""
    lam = float(sampling_bias)
    N, K = n + m, n + m - ddof
    alpha, c, ky = m / N, n * m / N, max(m - 1, 0)
    trS, dd, trS2, dSd = (_Poly.atom(a) for a in ("trS", "dd", "trS2", "dSd"))
    # g: Cov G = (nI + mλS)/N²
    trG = (n * d + m * lam * trS) / N**2
    trG2 = (n**2 * d + 2 * n * m * lam * trS + m**2 * lam**2 * trS2) / N**4
    dGd = (n * dd + m * lam * dSd) / N**2
    trSG = (n * trS + m * lam * trS2) / N**2
    # k: Cov V = (nλS + mI)/N; cross C = √c (λS − I)/N = √c C̃  (both 0 when m = 0)
    syn = 1.0 if m > 0 else 0.0
    trV = syn * (n * lam * trS + m * d) / N
    trV2 = syn * (n**2 * lam**2 * trS2 + 2 * n * m * lam * trS + m**2 * d) / N**2
    dVd = syn * (n * lam * dSd + m * dd) / N
    trSV = syn * (n * lam * trS2 + m * trS) / N
    trGV = syn * ((n**2 + m**2) * lam * trS + n * m * d + n * m * lam**2 * trS2) / N**3
    trCt = (lam * trS - d) / N
    trCt2 = (lam**2 * trS2 - 2 * lam * trS + d) / N**2
    dCtd = (lam * dSd - dd) / N
    # conditional moments of v and δ'
    Ev2 = c * dd + trV
    Ev4 = Ev2 * Ev2 + 2 * trV2 + 4 * c * dVd
    Emu2 = alpha**2 * dd + trG
    Emu4 = Emu2 * Emu2 + 2 * trG2 + 4 * alpha**2 * dGd
    Emuv_sq = c * (alpha * dd + trCt) * (alpha * dd + trCt) + trGV + c * trCt2 + alpha**2 * dVd + c * dGd \
        + 2 * alpha * c * dCtd
    Emu2v2 = Emu2 * Ev2 + 2 * c * trCt2 + 4 * alpha * c * dCtd
    new = {
        "trS": ((n - 1) * d + ky * lam * trS + Ev2) / K,
        "dd": Emu2,
        "trS2": ((n - 1) * n * d + (n - 1) * d**2 + ky * m * lam**2 * trS2 + ky * lam**2 * trS * trS + Ev4
                 + 2 * (n - 1) * ky * lam * trS + 2 * (n - 1) * Ev2 + 2 * ky * lam * (c * dSd + trSV)) / K**2,
        "trS_sq": (2 * (n - 1) * d + (n - 1)**2 * d**2 + 2 * ky * lam**2 * trS2 + ky**2 * lam**2 * trS * trS + Ev4
                   + 2 * (n - 1) * d * ky * lam * trS + 2 * (n - 1) * d * Ev2 + 2 * ky * lam * trS * Ev2) / K**2,
        "dSd": ((n - 1) * Emu2 + ky * lam * (alpha**2 * dSd + trSG) + Emuv_sq) / K,
        "dd_trS": (((n - 1) * d + ky * lam * trS) * Emu2 + Emu2v2) / K,
        "dd_sq": Emu4,
    }
    return new


_ORDER = ("one",) + STATS


def transition(*, n: int, m: int, d: int, ddof: int = 0, sampling_bias: float = 1.0) -> np.ndarray:
    """The exact recursion as a (8, 8) matrix T over (1, *STATS): E[stats_i] = T @ E[stats_{i−1}] (row 0 keeps 1)."""
    T = np.zeros((len(_ORDER), len(_ORDER)))
    T[0, 0] = 1.0
    for r, name in enumerate(STATS, start=1):
        for atoms, coef in _step_polys(n=n, m=m, d=d, ddof=ddof, sampling_bias=sampling_bias)[name].terms.items():
            T[r, _ORDER.index(_ATOMS_TO_STAT[atoms])] += coef
    return T


def step(mom: dict, *, n: int, m: int, d: int, ddof: int = 0, sampling_bias: float = 1.0) -> dict:
    """One generation of the exact moment recursion (module docstring): expected statistics of generation i from those
    of generation i − 1. ``mom`` maps each name in STATS to a float; returns the same keys."""
    past = dict(mom, one=1.0)
    polys = _step_polys(n=n, m=m, d=d, ddof=ddof, sampling_bias=sampling_bias)
    return {k: p.expect(past) for k, p in polys.items()}


def _validate(n, m, generations, d, ddof, sampling_bias):
    _checks.integer("n", n, minimum=2)
    _checks.integer("m", m, minimum=0)
    _checks.integer("generations", generations, minimum=0)
    _checks.integer("d", d, minimum=1)
    _checks.integer("ddof", ddof, minimum=0)
    if ddof > 1:
        raise ValueError(f"ddof must be 0 or 1, got {ddof}")
    _checks.real_in("sampling_bias", sampling_bias, 0.0, 1.0, lo_open=True)


def moments(*, n: int, m: int, generations: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> dict:
    """EXACT expected statistics of generations 0..generations under ``Fresh(real=n, synthetic=m)`` with truth N(0, I_d).

    Returns {name: (generations + 1,) array} for the names in STATS: E tr Σ_i, E‖μ_i‖², E tr Σ_i², E (tr Σ_i)²,
    E μ_iᵀΣ_iμ_i, E ‖μ_i‖² tr Σ_i, E ‖μ_i‖⁴."""
    _validate(n, m, generations, d, ddof, sampling_bias)
    kw = dict(n=n, d=d, ddof=ddof, sampling_bias=sampling_bias)
    T0, T = transition(m=0, **kw), transition(m=m, **kw)
    y = np.empty((generations + 1, len(_ORDER)))
    y[0] = T0 @ np.eye(len(_ORDER))[0]  # generation 0: the m = 0 step from any past
    for t in range(1, generations + 1):
        y[t] = T @ y[t - 1]
    return {k: y[:, r] for r, k in enumerate(_ORDER) if k != "one"}


ALPHA = 1.0 / (2.0 * np.sqrt(2.0))  # slope of the Hellinger-type covariance bound g_b near Σ = I (module docstring)


def _parts(mo: dict, i: int, d: int) -> tuple[float, float]:
    """(mean part, covariance part) of the bound from the exact moments ``mo`` at generation i."""
    mean_part = 2.0 * norm.cdf(np.sqrt(mo["dd"][i]) / 2.0) - 1.0
    Y = max(mo["trS2"][i] - 2.0 * mo["trS"][i] + d, 0.0)  # E‖Σ_i − I‖_F², exact
    cov_part = min(1.0, 1.5 * np.sqrt(Y), ALPHA * np.sqrt(Y) + (1.0 - ALPHA) * Y)
    return float(mean_part), float(cov_part)


def cov_frob_sq(*, n: int, m: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """EXACT E‖Σ_i − I‖_F² = E tr Σ_i² − 2 E tr Σ_i + d."""
    mo = moments(n=n, m=m, generations=i, d=d, ddof=ddof, sampling_bias=sampling_bias)
    return float(mo["trS2"][i] - 2.0 * mo["trS"][i] + d)


def tv_cov_bound(*, n: int, m: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """RIGOROUS bound on E TV(N(0, Σ_i), N(0, I)) with Y = E‖Σ_i − I‖_F²: min(1, 1.5√Y (Devroye–Mehrabian–Reddad),
    α√Y + (1 − α)Y (the lab's Hellinger route, α = 1/(2√2))), by Jensen (module docstring)."""
    return _parts(moments(n=n, m=m, generations=i, d=d, ddof=ddof, sampling_bias=sampling_bias), i, d)[1]


def tv_mean_bound(*, n: int, m: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """RIGOROUS bound on the mean part E TV(N(μ_i, I), N(0, I)) ≤ 2Φ(√(E‖μ_i‖²)/2) − 1 (as lab.theory.mixed)."""
    return _parts(moments(n=n, m=m, generations=i, d=d, ddof=ddof, sampling_bias=sampling_bias), i, d)[0]


def tv_bound(*, n: int, m: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """RIGOROUS bound U_i on the FULL E[TV(N(μ_i, Σ_i), N(0, I))]: min(1, mean part + covariance part)."""
    return float(min(1.0, sum(_parts(moments(n=n, m=m, generations=i, d=d, ddof=ddof, sampling_bias=sampling_bias),
                                     i, d))))


def argmin_m_bound(*, n: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0,
                   m_max: int | None = None) -> int:
    """The synthetic amount m ∈ {0, …, m_max} (default 4·n·max(i, 1)) minimising the full bound U_i: an exact scan of
    the recursion. Compare lab.theory.mixed.argmin_m (mean part alone) and ``argmin_m_formula``."""
    m_max = 4 * n * max(i, 1) if m_max is None else _checks.integer("m_max", m_max, minimum=0)
    u = [sum(_parts(moments(n=n, m=m, generations=i, d=d, ddof=ddof, sampling_bias=sampling_bias), i, d))
         for m in range(m_max + 1)]
    return int(np.argmin(u))


def argmin_m_formula(*, n: int, i: int) -> float:
    """APPROXIMATE optimum m*(i) = n·x*(i), x* the root of (x/(1+x))^{2i} · (1 + 2i(1+2x)/(1+x)) = 1.

    The lab's derivation: with λ a_t frozen at κ = 1, lab.theory.mixed's closed form n b_i ≈ f(x) = (1 + x + xρ^i)/(1+2x),
    x = m/n, ρ = (x/(1+x))²; dρ/dx = 2ρ/(x(1+x)), and f'(x) = 0 reduces to ρ^i (1 + 2i(1+2x)/(1+x)) = 1. The covariance
    part follows the same geometric recursion to leading order (module docstring), so this locates the minimum of the
    full bound too. i = 1 gives x* = 1 exactly (4x³ − 3x − 1 = 0); as i → ∞, e^{−2i/x}·4i ≈ 1 gives x* ≈ 2i/ln(4i)
    (lab.theory.mixed.argmin_m_asymptotic). The left side rises from 0 (x → 0) to 1 + 4i (x → ∞), so the root exists."""
    _checks.integer("n", n, minimum=1)
    _checks.integer("i", i, minimum=1)

    def h(x):
        return 2 * i * np.log(x / (1 + x)) + np.log1p(2 * i * (1 + 2 * x) / (1 + x))

    return float(n * brentq(h, 1e-9, 1e9, xtol=1e-12))
