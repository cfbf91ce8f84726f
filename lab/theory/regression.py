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
also when the generator uses its fitted σ̂ (unbiased), since E[σ̂²_{g−1}] = σ². Accumulate (real T rows plus T synthetic
rows per generation): with one shared design X the normal equations give e_g = e_{g−1} + A ε_g/(g + 1), hence
Σ_{i=1..g+1} 1/i² exactly; with fresh inputs each generation (``LinearRegressionFit``) this is an approximation.
Measured (T = 40, d = 2, σ = 1, 4000 replicates, generations 0..8): Replace within 2.1 standard errors of (g + 1) at
every g; Accumulate within 1.1 standard errors of Σ 1/i² (it runs slightly below, 1.513 vs 1.540 units at g = 8).
"""
from __future__ import annotations

import numpy as np


def _unit(sigma, d, T):
    if not T > d + 1:
        raise ValueError(f"T must be > d + 1 for a finite OLS error, got T={T}, d={d}")
    return sigma**2 * d / (T - d - 1)


def replace_excess_risk(generation, *, sigma: float, d: int, T: int):
    """E‖ŵ_g − w*‖² under Replace at the lab's generation g (array-like): σ²d/(T − d − 1)·(g + 1)."""
    return _unit(sigma, d, T) * (np.asarray(generation) + 1)


def accumulate_excess_risk(generation, *, sigma: float, d: int, T: int):
    """E‖ŵ_g − w*‖² under Accumulate (T new synthetic rows per generation) at the lab's generation g:
    σ²d/(T − d − 1)·Σ_{i=1..g+1} 1/i² (exact for a shared design, approximate for fresh inputs; module docstring)."""
    g = np.asarray(generation)
    partial = np.cumsum(1.0 / np.arange(1, int(np.max(g)) + 2) ** 2)
    return _unit(sigma, d, T) * partial[g]


def accumulate_ceiling(*, sigma: float, d: int, T: int) -> float:
    """(π²/6)·σ²d/(T − d − 1), the Accumulate error's limit and upper bound."""
    return float(np.pi**2 / 6 * _unit(sigma, d, T))


__all__ = ["replace_excess_risk", "accumulate_excess_risk", "accumulate_ceiling"]
