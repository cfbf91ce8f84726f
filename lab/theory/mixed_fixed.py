"""The Gaussian refit trained on ONE fixed real set plus synthetic data (``lab.Augment(synthetic=m)``; THEORY F1 in the
setting of Bertrand et al. and MAD's augmentation loop, G4): the exact mean recursion, exact second moments, a rigorous
bound on the whole E[TV], and the threshold m†(i) where E[TV] turns from rising to falling in m.

Setting. Truth N(0, I_d) (any N(μ, Σ) reduces to it: the refit is affine-equivariant, TV affine-invariant). Generation
0 fits (μ_0, Σ_0) on the n real points; generation i ≥ 1 fits the SAME n real points plus m points drawn from
N(μ_{i−1}, λ Σ_{i−1}) (``lab.GaussianFit(ddof, sampling_bias=λ)``), N = n + m, K = N − ddof.

(1) Mean, EXACT (the lab's derivation). The pooled mean is μ_i = (n μ_0 + m(μ_{i−1} + e_i))/N with
e_i ~ N(0, λΣ_{i−1}/m) given the past. So the excess over the real-only fit, ε_i = μ_i − μ_0, obeys
    ε_i = (m/N)(ε_{i−1} + e_i),   ε_0 = 0,
and e_i has mean zero given everything before it, so E[δ_0 ε_iᵀ] = 0 and E[(μ_i − μ)(μ_i − μ)ᵀ] = (1/n + B_i) Σ with
    B_i = (m/N)² (B_{i−1} + A_{i−1}/m),   B_0 = 0,   A_{i−1} = λ a_{i−1}
(``excess_mean_sq``; a_t from ``lab.theory.pooled``, Augment branch; E[Σ_t] = a_t Σ). B_i → 0 both as m → 0
(B_i ≤ (m/N)² Σ_t A_t/m = O(m)) and as m → ∞ (with A ≡ 1, B_i = (1/m)·r(1 − r^i)/(1 − r), r = (m/N)², → i/m).
Mirror of the fresh-data loop: under ``lab.Fresh(real=n, synthetic=m)``, b_i = 1/n − D_i with
D_i = (m/N)²(D_{i−1} + (2 − A_{i−1})/m) (substitute into lab.theory.mixed's recursion). With A ≡ 1 the two
excesses are the SAME function of m with opposite signs: where the fresh loop's mean error is lowest, the fixed real
set's is highest. Closed form with A frozen at κ, x = m/n, ρ = (x/(1 + x))²:
    n B_i ≈ κ x (1 − ρ^i)/(1 + 2x),
whose maximum solves ρ^i (1 + 2i(1 + 2x)/(1 + x)) = 1 — exactly the equation of the fresh optimum
(``lab.theory.mixed_cov.argmin_m_formula``): m†(i) ≈ n x*(i) ≈ n·2i/ln(4i) for large i (``threshold_m_formula``).

(2) Second moments, EXACT (the lab's derivation). Standardise by the real-only fit: μ̃_i = Σ_0^{−½}(μ_i − μ_0),
Σ̃_i = Σ_0^{−½} Σ_i Σ_0^{−½} (symmetric root). In these coordinates the real block has mean 0 and scatter (n − ddof) I
for EVERY real set, and the synthetic block is drawn from N(μ̃_{i−1}, λΣ̃_{i−1}); so the chain (μ̃_i, Σ̃_i) starts at
(0, I), its law does not depend on the real set, and it is independent of (μ_0, Σ_0). With δ = μ̃_{i−1}, S = Σ̃_{i−1},
u = δ + e (e ~ N(0, λS/m)), W_y ~ Wishart_d(m − 1, λS) independent of e (Cochran), c = nm/N, α = m/N, r = n − ddof:
    μ̃_i = α u,      K Σ̃_i = r I + W_y + c u uᵀ.
The conditional moments of the seven statistics of ``lab.theory.mixed_cov`` (tr S, ‖δ‖², tr S², (tr S)², δᵀSδ,
‖δ‖² tr S, ‖δ‖⁴) are linear in the past's (same Wishart and Gaussian facts as there: E tr W² = k(k+1) tr A² + k(tr A)²,
E (tr W)² = 2k tr A² + k²(tr A)², E uᵀWu = k(δᵀAδ + tr AV), E‖u‖⁴ = (‖δ‖² + tr V)² + 2 tr V² + 4δᵀVδ, V = λS/m):
    K  E tr Σ̃'   = r d + kλ tr S + c E‖u‖²,                     E‖μ̃'‖² = α² E‖u‖²,
    K² E tr Σ̃'²  = r² d + k(k+1)λ² tr S² + kλ²(tr S)² + c² E‖u‖⁴ + 2rkλ tr S + 2rc E‖u‖² + 2ckλ(δᵀSδ + λ tr S²/m),
    K² E(tr Σ̃')² = r²d² + 2kλ² tr S² + k²λ²(tr S)² + c² E‖u‖⁴ + 2rdkλ tr S + 2rdc E‖u‖² + 2ckλ tr S E‖u‖²,
    K  E μ̃'ᵀΣ̃'μ̃' = α² (r E‖u‖² + kλ(δᵀSδ + λ tr S²/m) + c E‖u‖⁴),
    K  E ‖μ̃'‖² tr Σ̃' = α² ((rd + kλ tr S) E‖u‖² + c E‖u‖⁴),      E‖μ̃'‖⁴ = α⁴ E‖u‖⁴,
with k = max(m − 1, 0). Back in the truth's coordinates, μ_i = μ_0 + Σ_0^{½}μ̃_i and Σ_i = Σ_0^{½}Σ̃_iΣ_0^{½} with
(μ_0, Σ_0) independent of the chain, μ_0 ~ N(0, I/n), Σ_0 = W/(n − ddof), W ~ Wishart_d(n − 1, I), a_0 = (n − 1)/(n − ddof):
    E‖μ_i‖² = d/n + a_0 E‖μ̃_i‖²,   E tr Σ_i = a_0 E tr Σ̃_i,
    E tr Σ_i² = [(n − 1)n E tr Σ̃_i² + (n − 1) E(tr Σ̃_i)²]/(n − ddof)²
(E[W A W] = k(k+1)A + k tr(A) I for W ~ Wishart_d(k, I) and symmetric A independent of W). The first moments reproduce
``lab.theory.pooled`` (Augment branch) — tested.

(3) The bound, RIGOROUS: the same route as ``lab.theory.mixed_cov`` (triangle inequality through N(μ_i, I); mean part
2Φ(√(E‖μ_i‖²)/2) − 1 by Jensen; covariance part min(1, 1.5√Y, α√Y + (1 − α)Y) at Y = E‖Σ_i − I‖_F², Devroye,
Mehrabian & Reddad 2018 Thm 1.1 and the lab's Hellinger lemma), with this module's exact moments.

Shape in m. At m = 0 every generation is the real-only fit; as m → ∞ the fit copies generation i − 1 and returns to it
(B_i → 0). In between the synthetic blocks add their sampling noise: E[TV] RISES then FALLS in m — F1's phase
transition, in F1's own setting. The threshold m†(i) is the argmax (``threshold_m``: of the exact B_i, or of the bound).
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from lab import _checks
from lab.regimes import Augment
from lab.theory import pooled
from lab.theory.mixed_cov import _ATOMS_TO_STAT, ALPHA, STATS, _Poly, _validate, argmin_m_formula

_ORDER = ("one",) + STATS


def _pooled(n, m, i, ddof, sampling_bias):
    """lab.theory.pooled under Augment(m) (m = 0: the real-only fit at every generation)."""
    if m == 0:
        a0 = (n - 1) / (n - ddof)
        return {"cov": np.full(i + 1, a0), "mean_sq": np.full(i + 1, 1.0 / n)}
    return pooled.moments(Augment(synthetic=m), n=n, generations=i, ddof=ddof, sampling_bias=sampling_bias)


def excess_mean_sq(*, n: int, m: int, i: int, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """EXACT B_i, E[(μ_i − μ_0)(μ_i − μ_0)ᵀ] = B_i Σ: B_i = (m/N)²(B_{i−1} + λ a_{i−1}/m), B_0 = 0 (module docstring (1))."""
    _validate(n, m, i, 1, ddof, sampling_bias)
    a = _pooled(n, m, i, ddof, sampling_bias)["cov"]
    B, N = 0.0, n + m
    for t in range(1, i + 1):
        B = (m / N) ** 2 * (B + sampling_bias * a[t - 1] / m) if m > 0 else 0.0
    return float(B)


def mean_sq(*, n: int, m: int, i: int, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """EXACT b_i = 1/n + B_i with E[(μ_i − μ)(μ_i − μ)ᵀ] = b_i Σ."""
    return 1.0 / n + excess_mean_sq(n=n, m=m, i=i, ddof=ddof, sampling_bias=sampling_bias)


def _step_polys(*, n: int, m: int, d: int, ddof: int, sampling_bias: float) -> dict:
    """The standardised chain's next statistics as polynomials in the past's atoms (module docstring (2))."""
    lam = float(sampling_bias)
    N, K, r = n + m, n + m - ddof, n - ddof
    alpha, c, k = m / N, n * m / N, max(m - 1, 0)
    v = lam / m if m > 0 else 0.0  # V = v S, the synthetic mean's covariance
    trS, dd, trS2, dSd = (_Poly.atom(a) for a in ("trS", "dd", "trS2", "dSd"))
    Eu2 = dd + v * trS
    Eu4 = Eu2 * Eu2 + 2 * v**2 * trS2 + 4 * v * dSd
    uWu = k * lam * (dSd + v * trS2)  # E uᵀ W_y u
    return {
        "trS": (r * d + k * lam * trS + c * Eu2) / K,
        "dd": alpha**2 * Eu2,
        "trS2": (r**2 * d + k * (k + 1) * lam**2 * trS2 + k * lam**2 * trS * trS + c**2 * Eu4
                 + 2 * r * k * lam * trS + 2 * r * c * Eu2 + 2 * c * uWu) / K**2,
        "trS_sq": (r**2 * d**2 + 2 * k * lam**2 * trS2 + k**2 * lam**2 * trS * trS + c**2 * Eu4
                   + 2 * r * d * k * lam * trS + 2 * r * d * c * Eu2 + 2 * c * k * lam * trS * Eu2) / K**2,
        "dSd": alpha**2 * (r * Eu2 + uWu + c * Eu4) / K,
        "dd_trS": alpha**2 * ((r * d + k * lam * trS) * Eu2 + c * Eu4) / K,
        "dd_sq": alpha**4 * Eu4,
    }


def _transition(**kw) -> np.ndarray:
    """(8, 8) matrix over (1, *STATS) of one step of the standardised chain."""
    T = np.zeros((len(_ORDER), len(_ORDER)))
    T[0, 0] = 1.0
    for row, name in enumerate(STATS, start=1):
        for atoms, coef in _step_polys(**kw)[name].terms.items():
            T[row, _ORDER.index(_ATOMS_TO_STAT[atoms])] += coef
    return T


def chain_moments(*, n: int, m: int, generations: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> dict:
    """EXACT expected statistics (names of mixed_cov.STATS) of the standardised chain (μ̃_i, Σ̃_i), i = 0..generations;
    {name: (generations + 1,) array}. Starts at μ̃ = 0, Σ̃ = I."""
    _validate(n, m, generations, d, ddof, sampling_bias)
    T = _transition(n=n, m=m, d=d, ddof=ddof, sampling_bias=sampling_bias)
    y = np.empty((generations + 1, len(_ORDER)))
    y[0] = [1.0, d, 0.0, d, d**2, 0.0, 0.0, 0.0]
    for t in range(1, generations + 1):
        y[t] = T @ y[t - 1]
    return {k: y[:, j] for j, k in enumerate(_ORDER) if k != "one"}


def moments(*, n: int, m: int, generations: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> dict:
    """EXACT E‖μ_i‖² ("dd"), E tr Σ_i ("trS"), E tr Σ_i² ("trS2") of the fit itself, truth N(0, I_d), under
    ``Augment(synthetic=m)`` (m = 0: the real-only fit); (generations + 1,) arrays (module docstring (2))."""
    ch = chain_moments(n=n, m=m, generations=generations, d=d, ddof=ddof, sampling_bias=sampling_bias)
    a0 = (n - 1) / (n - ddof)
    return {"dd": d / n + a0 * ch["dd"], "trS": a0 * ch["trS"],
            "trS2": ((n - 1) * n * ch["trS2"] + (n - 1) * ch["trS_sq"]) / (n - ddof) ** 2}


def _parts(mo: dict, i: int, d: int) -> tuple[float, float]:
    mean_part = 2.0 * ndtr(np.sqrt(mo["dd"][i]) / 2.0) - 1.0
    Y = max(mo["trS2"][i] - 2.0 * mo["trS"][i] + d, 0.0)  # E‖Σ_i − I‖_F², exact
    return float(mean_part), float(min(1.0, 1.5 * np.sqrt(Y), ALPHA * np.sqrt(Y) + (1.0 - ALPHA) * Y))


def tv_mean_bound(*, n: int, m: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """RIGOROUS bound on the mean part E TV(N(μ_i, I), N(0, I)) ≤ 2Φ(√(d(1/n + B_i))/2) − 1 (Jensen)."""
    return _parts(moments(n=n, m=m, generations=i, d=d, ddof=ddof, sampling_bias=sampling_bias), i, d)[0]


def tv_bound(*, n: int, m: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0) -> float:
    """RIGOROUS bound on the FULL E[TV(N(μ_i, Σ_i), N(0, I))] under ``Augment(synthetic=m)``: min(1, mean part +
    covariance part) with this module's exact moments (module docstring (3))."""
    mo = moments(n=n, m=m, generations=i, d=d, ddof=ddof, sampling_bias=sampling_bias)
    return float(min(1.0, sum(_parts(mo, i, d))))


def threshold_m(*, n: int, i: int, d: int = 1, ddof: int = 0, sampling_bias: float = 1.0, m_max: int | None = None,
                of: str = "bound") -> int:
    """m†(i): the synthetic amount m ∈ {0, …, m_max} (default 4·n·max(i, 1)) at which the rise-then-fall turns, i.e.
    the argmax of the exact excess B_i (``of="mean"``) or of the full bound (``of="bound"``), by an exact scan."""
    m_max = 4 * n * max(i, 1) if m_max is None else _checks.integer("m_max", m_max, minimum=0)
    if of == "mean":
        f = [excess_mean_sq(n=n, m=m, i=i, ddof=ddof, sampling_bias=sampling_bias) for m in range(m_max + 1)]
    elif of == "bound":
        f = [tv_bound(n=n, m=m, i=i, d=d, ddof=ddof, sampling_bias=sampling_bias) for m in range(m_max + 1)]
    else:
        raise ValueError(f"of must be 'mean' or 'bound', got {of!r}")
    return int(np.argmax(f))


def threshold_m_formula(*, n: int, i: int) -> float:
    """APPROXIMATE m†(i) = n·x*(i), x* the root of (x/(1+x))^{2i}(1 + 2i(1+2x)/(1+x)) = 1: the argmax of the closed
    form n B_i ≈ x(1 − ρ^i)/(1 + 2x) (A ≡ 1; module docstring (1)). The same root locates the FRESH loop's optimum
    (``lab.theory.mixed_cov.argmin_m_formula``), since there n b_i ≈ 1 − x(1 − ρ^i)/(1 + 2x)."""
    return argmin_m_formula(n=n, i=i)


__all__ = ["excess_mean_sq", "mean_sq", "chain_moments", "moments", "tv_mean_bound", "tv_bound", "threshold_m",
           "threshold_m_formula"]
