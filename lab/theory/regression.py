"""THEORY G5, regression: excess test error of an OLS loop that relabels fresh inputs with the fitted model plus noise.

Setting (Gerstgrasser et al., "Is Model Collapse Inevitable?", 2024, linear-regression section,
building on Dohmatob et al. 2024; Dey & Donoho 2024 — secondary, THEORY G5): x ~ N(0, I_d), y = x·w* + ε,
ε ~ N(0, σ²), T samples per iteration, OLS refit, E_test = E‖ŵ − w*‖². The papers state, counting the first model
(fitted on real data) as iteration 1:
    Replace:     E_test(t) = σ²d/(T − d − 1) · t,
    Accumulate:  E_test(t) = σ²d/(T − d − 1) · Σ_{i=1..t} 1/i²  ≤  (π²/6) σ²d/(T − d − 1).

The lab counts that first model as generation 0, so the functions below take the lab's generation g and use t = g + 1.
Derivation (the lab's): write e_g = ŵ_g − w*. Generation 0: e_0 = A_0 ε_0 with A = (XᵀX)^{−1}Xᵀ, and
E‖A ε‖² = σ² E tr (XᵀX)^{−1} = σ² d/(T − d − 1) (inverse-Wishart mean). Replace: labels X_g ŵ_{g−1} + ε_g are fitted
exactly by ŵ_{g−1}, so e_g = e_{g−1} + A_g ε_g, independent increments: E‖e_g‖² = (g + 1)σ²d/(T − d − 1), exactly —
also when the generator uses its fitted σ̂ (unbiased), since E[σ̂²_{g−1}] = σ².

Accumulate (real T rows kept, T synthetic rows added per generation, the generator's noise σ fixed: ``noise=σ``).
Let X_j be the inputs of block j (j = 0 real), S_g = Σ_{j≤g} X_jᵀX_j the accumulated Gram matrix. Block j's labels are
X_j w* + X_j e_{j−1} + ε_j, so the normal equations give S_g e_g = S_{g−1} e_{g−1} + X_gᵀX_g e_{g−1} + X_gᵀε_g, i.e.
    e_g = e_{g−1} + S_g^{−1} X_gᵀ ε_g,
a sum of uncorrelated increments (ε_g is independent of every input and every earlier noise, with mean zero). Hence
    E‖e_g‖² = σ² Σ_{j≤g} E tr(S_j^{−2} X_jᵀX_j).
  * Fixed design (one X shared by every block; the papers' setting): S_j = (j + 1) XᵀX, the increment is
    σ² E tr (XᵀX)^{−1}/(j + 1)², so E‖e_g‖² = σ²d/(T − d − 1) · Σ_{i=1..g+1} 1/i² (``accumulate_excess_risk_fixed_design``),
    with limit and upper bound (π²/6) σ²d/(T − d − 1) (``accumulate_ceiling``).
  * Fresh inputs every generation (the lab's ``LinearRegressionFit``, which draws new x ~ N(0, I_d)): the (j + 1)T rows
    of S_j are i.i.d., hence exchangeable, and X_jᵀX_j holds T of them, so E tr(S_j^{−2} X_jᵀX_j) = (T/((j + 1)T))
    E tr(S_j^{−2} S_j) = E tr S_j^{−1}/(j + 1); S_j ~ Wishart_d((j + 1)T, I) has E S_j^{−1} = I/((j + 1)T − d − 1). So,
    EXACTLY,
        E‖e_g‖² = σ² d Σ_{i=1..g+1} 1 / (i (iT − d − 1))          (``accumulate_excess_risk``),
    term by term at most the fixed design's σ²d/(i²(T − d − 1)) (since iT − d − 1 ≥ i(T − d − 1)), with equality only at
    i = 1; the π²/6 ceiling is then an upper bound, not the limit. The two differ most when T is close to d + 1.
With the generator's FITTED σ̂ (``noise=None``) the increment's variance σ̂²_{g−1} depends on the earlier inputs, which
S_g also holds, so neither Accumulate form is exact there.
"""
from __future__ import annotations

import numpy as np
from scipy.special import digamma

from lab import _checks


def _unit(sigma, d, T):
    _checks.real_in("sigma", sigma, 0.0, np.inf, lo_open=True, hi_open=True)
    _checks.integer("d", d, minimum=1)
    _checks.integer("T", T, minimum=1)
    if not T > d + 1:
        raise ValueError(f"T must be > d + 1 for a finite OLS error, got T={T}, d={d}")
    return sigma**2 * d / (T - d - 1)


def replace_excess_risk(generation, *, sigma: float, d: int, T: int):
    """E‖ŵ_g − w*‖² under Replace at the lab's generation g (array-like): σ²d/(T − d − 1)·(g + 1)."""
    return _unit(sigma, d, T) * (np.asarray(generation) + 1)


def accumulate_excess_risk(generation, *, sigma: float, d: int, T: int):
    """EXACT E‖ŵ_g − w*‖² under Accumulate with FRESH inputs each generation (the lab's convention) at the lab's
    generation g (array-like): σ²d Σ_{i=1..g+1} 1/(i(iT − d − 1)) (the lab's derivation, module docstring)."""
    _unit(sigma, d, T)
    g = np.asarray(generation)
    i = np.arange(1, int(np.max(g)) + 2)
    partial = np.cumsum(1.0 / (i * (i * T - d - 1)))
    return sigma**2 * d * partial[g]


def accumulate_excess_risk_fixed_design(generation, *, sigma: float, d: int, T: int):
    """E‖ŵ_g − w*‖² under Accumulate when every block shares ONE design X (Gerstgrasser et al. 2024, THEORY G5):
    σ²d/(T − d − 1)·Σ_{i=1..g+1} 1/i². Exact for that design; for fresh inputs it is an upper bound
    (``accumulate_excess_risk`` is the exact value)."""
    g = np.asarray(generation)
    partial = np.cumsum(1.0 / np.arange(1, int(np.max(g)) + 2) ** 2)
    return _unit(sigma, d, T) * partial[g]


def accumulate_ceiling(*, sigma: float, d: int, T: int) -> float:
    """(π²/6)·σ²d/(T − d − 1): the fixed design's limit, and an upper bound (not the limit) for fresh inputs."""
    return float(np.pi**2 / 6 * _unit(sigma, d, T))


def accumulate_limit(*, sigma: float, d: int, T: int) -> float:
    """Limit of the fresh-input curve as g → ∞: σ²d Σ_{i≥1} 1/(i(iT − d − 1)) = σ²d/(d + 1)·(−ψ(1 − a) − γ),
    a = (d + 1)/T, ψ the digamma function, γ Euler's constant (partial fractions 1/(i(iT − c)) = (1/c)(1/(i − c/T) − 1/i)
    and Σ_{i≥1} (1/i − 1/(i − a)) = ψ(1 − a) + γ, Abramowitz & Stegun 6.3.16; the lab's derivation)."""
    _unit(sigma, d, T)
    a = (d + 1) / T
    return float(sigma**2 * d / (d + 1) * (-digamma(1.0 - a) - np.euler_gamma))


__all__ = ["replace_excess_risk", "accumulate_excess_risk", "accumulate_excess_risk_fixed_design",
           "accumulate_ceiling", "accumulate_limit"]
