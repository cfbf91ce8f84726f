"""Contraction of the self-correcting loop with practical correctors (Gillman et al., ICML 2024; THEORY S2) for the
Gaussian family under ``lab.Weighted``: the lab's derivation.

Setting: truth p* with mean μ* (per coordinate); model N(μ_t, v_t); each synthetic sample is replaced, with probability
τ = γ/(1+γ), by a corrector's output C(x) (``lab.Correct``); the refit is the weighted MLE on n real points (mean μ̂)
plus m synthetic points of total weight λ_r n (``lab.Weighted``). The refit mean is linear in the data, so
    E[μ_{t+1} | past] = (μ̂ + λ_r m_t)/(1 + λ_r),   m_t = E[synthetic sample] = (1 − τ) μ_t + τ E[C(X)], X ~ N(μ_t, v_t).
Write the corrector's mean map's Jacobian J = ∂E[C(X)]/∂μ_t. Linearised at the fixed point, the mean contracts by
    κ = λ_r/(1 + λ_r) · (1 − τ(1 − J)),                                                        (1)
an idealized corrector of effective strength τ_eff = τ(1 − J), i.e. γ_eff = τ_eff/(1 − τ_eff).

Ideal (C♯p = p*, Gillman): E[C(X)] = μ* does not depend on μ_t, J = 0, κ = λ_r/((1 + λ_r)(1 + γ)) (``stability.kappa``).

Langevin (``lab.Langevin(η, k)``), p* = N(μ*, s²) per coordinate: one step x ← x + η∇log p*(x) + √(2η)ξ is
x − μ* ← a(x − μ*) + √(2η)ξ with a = 1 − η/s², so k steps are the exact affine map
    C(x) − μ* = a^k (x − μ*) + N(0, σ_k²),   σ_k² = 2η Σ_{i<k} a^{2i} = 2η(1 − a^{2k})/(1 − a²)   (= 2ηk when a² = 1).
Hence J = a^k exactly and E[C(X)] is affine in μ_t: (1) holds without linearisation, also with finite samples, around the
fixed point f = (μ̂ + λ_r τ_eff μ*)/(1 + λ_r τ_eff) (``stability.mean_contraction`` with γ_eff). The variance of a
corrected sample is a^{2k} v_t + σ_k²; the synthetic law is the mixture (1 − τ)N(μ_t, v_t) + τN(μ* + a^k(μ_t − μ*),
a^{2k}v_t + σ_k²), and in the infinite-sample limit the variance's own rate is λ_r/(1 + λ_r)·(1 − τ(1 − a^{2k})).
The Jacobian of (μ, v) is triangular with these two diagonal entries; the variance's rate is ≤ κ when a^k ≥ 0
(a^{2k} ≤ a^k for 0 ≤ a^k ≤ 1), so then (1) is the loop's contraction factor. With a^k < 0 (η > s² and k odd: the
chain overshoots) the mean's factor (1) can be the smaller one, and the loop contracts at the larger of the two
(``langevin_variance_rate`` gives the second).

Projection (``lab.Project``), C(x) = the nearest of fixed centres c_1..c_k: E[C(X)] is the Gaussian smoothing of a
piecewise-constant map, and by Stein's lemma (Stein 1981, Lemma 1: ∇_μ E[g(X)] = E[g(X)(X − μ)ᵀ]Σ⁻¹ for X ~ N(μ, Σ))
    J = Cov(C(X), X) Σ⁻¹,
a matrix; (1) uses its mean diagonal tr J/d, exact for the pooled per-coordinate slope when J is isotropic, and a
linearisation: J depends on (μ_t, Σ_t), evaluated at the loop's stationary moments. In 1-D, with boundaries
b_j = (c_j + c_{j+1})/2 between sorted centres, E[C(X)] = Σ_j c_j [Φ((b_j − μ)/s) − Φ((b_{j−1} − μ)/s)], whose
derivative is J = Σ_j (c_{j+1} − c_j) φ((b_j − μ)/s)/s (``projection_jacobian_1d``; the tests' oracle for the Stein
estimate). For a good quantiser E[X | C(X)] ≈ C(X), so Cov(C(X), X) ≈ Cov C(X) = Σ − distortion: J ≈ 1 − D/v < 1, a
weak corrector whose κ never falls below λ_r/(1 + λ_r)·J even at γ = ∞.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import norm

from lab import _checks


def _gamma(gamma) -> np.ndarray:
    g = np.asarray(gamma, float)
    if np.any(np.isnan(g)) or np.any(g < 0):
        raise ValueError(f"gamma must be >= 0 (∞ allowed), got {gamma!r}")
    return g


def tau(gamma):
    """τ = γ/(1 + γ) (1 at γ = ∞), elementwise."""
    g = _gamma(gamma)
    return np.where(np.isinf(g), 1.0, g / (1 + np.where(np.isinf(g), 0.0, g)))


def contraction(ratio, gamma, jacobian=0.0):
    """κ = λ_r/(1 + λ_r)·(1 − τ(1 − J)), eq. (1): the mean's contraction with a corrector of mean Jacobian J (0: ideal)."""
    lam = np.asarray(ratio, float)
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(f"ratio must be finite and >= 0, got {ratio!r}")
    return lam / (1 + lam) * (1 - tau(gamma) * (1 - np.asarray(jacobian, float)))


def effective_gamma(gamma, jacobian=0.0):
    """γ_eff with τ_eff = τ(1 − J): the idealized corrector's strength with the same mean contraction and fixed point."""
    t = tau(gamma) * (1 - np.asarray(jacobian, float))
    return np.divide(t, 1 - t, out=np.full(np.shape(t), np.inf), where=t < 1)


def _langevin_args(step_size, steps, truth_var):
    _checks.real_in("step_size", step_size, 0.0, np.inf, lo_open=True, hi_open=True)
    _checks.integer("steps", steps, minimum=1)
    _checks.real_in("truth_var", truth_var, 0.0, np.inf, lo_open=True, hi_open=True)
    return 1.0 - step_size / truth_var


def langevin_affine(step_size, steps, truth_var=1.0) -> tuple[float, float]:
    """(a^k, σ_k²): k Langevin steps of size η on N(μ*, s²) map x − μ* to a^k(x − μ*) + N(0, σ_k²), a = 1 − η/s²."""
    a = _langevin_args(step_size, steps, truth_var)
    a2 = a * a
    noise = 2 * step_size * steps if np.isclose(a2, 1.0, rtol=0, atol=1e-15) else 2 * step_size * (1 - a2**steps) / (1 - a2)
    return float(a**steps), float(noise)


def langevin_stationary_var(step_size, truth_var=1.0) -> float:
    """s²/(1 − η/(2s²)): the unadjusted chain's stationary variance (needs η < 2s²)."""
    _checks.real_in("step_size", step_size, 0.0, 2 * truth_var, lo_open=True, hi_open=True)
    return float(truth_var / (1 - step_size / (2 * truth_var)))


def langevin_synthetic_moments(mean, var, *, gamma, step_size, steps, truth_mean=0.0, truth_var=1.0):
    """(mean, variance) of one corrected synthetic sample, model N(mean, var): the mixture
    (1 − τ)N(μ, v) + τN(μ* + a^k(μ − μ*), a^{2k}v + σ_k²)."""
    ak, noise = langevin_affine(step_size, steps, truth_var)
    t = tau(gamma)
    m1, v1 = np.asarray(mean, float), np.asarray(var, float)
    m2, v2 = truth_mean + ak * (m1 - truth_mean), ak**2 * v1 + noise
    m = (1 - t) * m1 + t * m2
    return m, (1 - t) * v1 + t * v2 + t * (1 - t) * (m1 - m2) ** 2


def langevin_contraction(ratio, gamma, *, step_size, steps, truth_var=1.0):
    """Exact mean contraction with the Langevin corrector: eq. (1) with J = a^k."""
    return contraction(ratio, gamma, langevin_affine(step_size, steps, truth_var)[0])


def langevin_variance_rate(ratio, gamma, *, step_size, steps, truth_var=1.0):
    """λ_r/(1 + λ_r)·(1 − τ(1 − a^{2k})): the infinite-sample variance's rate (the Jacobian's other eigenvalue)."""
    ak = langevin_affine(step_size, steps, truth_var)[0]
    return contraction(ratio, gamma, ak**2)


def projection_jacobian(centres, mean, cov, *, key, samples=200_000):
    """(d, d) Stein estimate J = Cov(C(X), X) Σ⁻¹ of the projection's mean Jacobian, X ~ N(mean, cov), C = nearest
    centre; Monte Carlo with ``samples`` draws from ``key`` (error ~ 1/√samples)."""
    import jax

    c = _checks.finite_array("centres", centres, ndim=2)
    mu = _checks.finite_array("mean", mean, ndim=1)
    S = _checks.finite_array("cov", cov, ndim=2)
    _checks.integer("samples", samples, minimum=2)
    z = np.asarray(jax.random.normal(key, (samples, mu.size)), np.float64)
    x = mu + z @ np.linalg.cholesky(S).T
    near = np.argmin(np.sum(x**2, 1)[:, None] - 2 * x @ c.T + np.sum(c**2, 1)[None], axis=1)
    P = c[near]
    return ((P - P.mean(0)).T @ (x - x.mean(0)) / (samples - 1)) @ np.linalg.inv(S)


def projection_jacobian_1d(centres, mean, var) -> float:
    """Exact 1-D projection Jacobian Σ_j (c_{j+1} − c_j) φ((b_j − μ)/s)/s, b_j the midpoints of sorted centres."""
    c = np.sort(_checks.finite_array("centres", centres).ravel())
    s = np.sqrt(_checks.real_in("var", var, 0.0, np.inf, lo_open=True, hi_open=True))
    b = 0.5 * (c[1:] + c[:-1])
    return float(np.sum(np.diff(c) * norm.pdf((b - mean) / s) / s))


def nickell_bias(rho, T):
    """Nickell's (1981, eq. 18) large-R bias of the within (fixed-effects) AR(1) slope over T transitions per
    replicate, stationary start: plim ρ̂ − ρ = −(1 + ρ)/(T − 1)·(1 − q) / (1 − 2ρ(1 − q)/((1 − ρ)(T − 1))),
    q = (1 − ρ^T)/(T(1 − ρ)); ≈ −(1 + ρ)/T for large T. Elementwise in ρ ∈ (−1, 1)."""
    rho = np.asarray(rho, float)
    q = (1 - rho**T) / (T * (1 - rho))
    return -(1 + rho) / (T - 1) * (1 - q) / (1 - 2 * rho * (1 - q) / ((1 - rho) * (T - 1)))


def within_slope(z, *, burn=0):
    """(slope, s.e.) of the AR(1) coefficient ρ of z_{t+1} − f_r = ρ(z_t − f_r) + ε, with a fitted mean f_r per
    replicate (z: (replicates, T + 1)), after ``burn`` generations. For maps whose fixed point is not known in closed
    form (the projection corrector's).

    The pooled within estimate ρ̂ = Σ x̃ỹ / Σ x̃² (x = z_t, y = z_{t+1}, each centred per replicate over its T values)
    is biased because the fitted mean f̂_r uses the same ε: with R → ∞ replicates its bias is Nickell's b(ρ, T)
    (``nickell_bias``), ≈ −(1 + ρ)/T — not Kendall's (1954) −(1 + 3ρ)/T, whose extra −2ρ/T is the small-sample bias of
    a ratio of one series' sums, which pooling over replicates averages away. The estimate is the root ρ of
    ρ + b(ρ, T) = ρ̂ (monotone in ρ on (−1, 1)); its s.e. is the HC0 (heteroscedasticity-robust) s.e. of ρ̂ divided by
    the map's derivative 1 + ∂b/∂ρ there (delta method)."""
    from scipy.optimize import brentq

    z = np.asarray(z, float)[:, burn:]
    T = z.shape[1] - 1
    if T < 5:
        raise ValueError(f"within_slope needs at least 6 generations after burn, got {T + 1}")
    x, y = z[:, :-1], z[:, 1:]
    x, y = x - x.mean(1, keepdims=True), y - y.mean(1, keepdims=True)
    sxx = np.sum(x * x)
    raw = np.sum(x * y) / sxx
    se = np.sqrt(np.sum(x**2 * (y - raw * x) ** 2)) / sxx
    g = lambda r: r + nickell_bias(r, T)  # noqa: E731  (ρ ↦ plim ρ̂)
    lo, hi = -1 + 1e-9, 1 - 1e-6
    rho = brentq(lambda r: g(r) - raw, lo, hi) if g(lo) < raw < g(hi) else (T * raw + 1) / (T - 1)
    h = 1e-6
    return float(rho), float(se * 2 * h / (g(min(rho + h, hi)) - g(max(rho - h, lo))))


def batch_jacobian(corrector, mean, cov, *, truth, key, m=25, batches=4000):
    """(J, se), both (d, d): the Stein estimate of the mean Jacobian of a corrector that rewrites a whole batch
    (``lab.HistogramCorrect``): rows X_1..X_m iid N(μ, Σ), C̄ the mean of the corrected batch (rows of weight 0 left out), and by Stein's lemma on
    the m rows ∇_μ E[C̄] = E[C̄ Σ_i (X_i − μ)ᵀ] Σ⁻¹ = m·Cov(C̄, X̄) Σ⁻¹, over ``batches`` batches from ``key``.
    Under ``lab.Weighted``/``Augment`` with the whole batch corrected, the mean's contraction is then
    κ = λ_r/(1 + λ_r)·tr J/d (eq. (1) with τ = 1: the corrector's own mixing is inside J). ``se`` is the standard
    error of each entry: the s.d. over batches of m(C̄ − mean C̄)(X̄ − mean X̄)ᵀΣ⁻¹, over √batches."""
    import jax
    import jax.numpy as jnp

    mu = _checks.finite_array("mean", mean, ndim=1)
    S = _checks.finite_array("cov", cov, ndim=2)
    _checks.integer("m", m, minimum=2)
    _checks.integer("batches", batches, minimum=3)
    root = np.linalg.cholesky(S)

    def one(k):
        kx, kc = jax.random.split(k)
        x = mu + jax.random.normal(kx, (m, mu.size)) @ root.T
        y, w = corrector(x, jnp.ones(m), key=kc, model=None, params=None, truth=truth)
        return jnp.sum(w[:, None] * y, 0) / jnp.maximum(jnp.sum(w), 1.0), jnp.mean(x, 0)

    c, xb = (np.asarray(a, np.float64) for a in jax.vmap(one)(jax.random.split(key, batches)))
    terms = m * np.einsum("bi,bj->bij", c - c.mean(0), xb - xb.mean(0)) @ np.linalg.inv(S)
    return terms.sum(0) / (batches - 1), terms.std(0, ddof=1) / np.sqrt(batches)
