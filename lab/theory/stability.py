"""Stability of retraining with real data (Bertrand et al., ICLR 2024; THEORY S1) and idealized self-correction
(Gillman et al., ICML 2024; THEORY S2) for the 1-D Gaussian family, θ = (μ, v), v = σ²: the lab's derivation.

Setting (infinite-sample limit). p_data has mean μ* and variance v* (any law: the Gaussian's expected log-likelihood
depends on p_data only through these two moments, so θ* = (μ*, v*) is the optimum even when p_data is not Gaussian).
Generation t+1 solves, with synthetic weight λ_r and idealized correction π_γ p = (p + γ p_data)/(1 + γ),
    θ_{t+1} = argmax_θ E_{p_data}[log p_θ] + λ_r E_{π_γ p_θt}[log p_θ].

Hessian. log p_θ(x) = −½ log(2πv) − (x − μ)²/(2v), so
    ∂²_μμ = −1/v,   ∂²_μv = −(x − μ)/v²,   ∂²_vv = 1/(2v²) − (x − μ)²/v³,
and, with δ = μ* − μ,   H(θ) = E_{p_data}[∇² log p_θ] = [[−1/v, −δ/v²], [−δ/v², 1/(2v²) − (v* + δ²)/v³]].
  α:  H(θ*) = diag(−1/v*, −1/(2v*²)), so E[∇² log p_θ*] ≼ −α I with α = min(1/v*, 1/(2v*²)).
  L:  on the box N_r = {|μ − μ*| ≤ r, |v − v*| ≤ r} (r < v*), H is Lipschitz in θ (operator norm ≤ Frobenius norm,
      Cauchy–Schwarz on each entry's gradient) with constant
          L(r) = sup_{N_r} √(‖∇H₁₁‖² + 2‖∇H₁₂‖² + ‖∇H₂₂‖²),
      ∇H₁₁ = (0, 1/v²), ∇H₁₂ = (1/v², 2δ/v³), ∇H₂₂ = (2δ/v³, (3(v* + δ²) − v)/v⁴) (gradients in (μ, v));
      every entry's magnitude grows with |δ| and falls with v on N_r, so the sup sits at |δ| = r, v = v* − r.
  ε:  ‖θ₀ − θ*‖ (the first model's distance to the optimum); the neighbourhood used for L is N_ε.
  (Reading of THEORY S1, "Hessian L-Lipschitz in θ". If instead L bounds x ↦ ∇²_θ log p_θ(x) and ε = W₁(p_θ*, p_data),
  the well-specified Gaussian has ε = 0; the ∂²_vv entry is quadratic in x, so that L is infinite for non-Gaussian
  p_data. Either way ε → 0 gives ρ(λ_r) = λ_r/(1 − λ_r).)
  Predicted (S1):  ρ(λ_r) = λ_r(α + εL)/(α − λ_r(α + εL)),  stable when λ_r(1 + Lε/α) < 1/2 (⇔ ρ < 1); S2: ρ/(1 + γ).

Exact update. The maximiser is the moment match of the mixture with weights A = 1 + λ_r γ/(1+γ) on p_data and
B = λ_r/(1+γ) on p_θt (A + B = 1 + λ_r). With κ = B/(1 + λ_r) = λ_r/((1 + λ_r)(1 + γ)), δ_t = μ_t − μ*, e_t = v_t − v*:
    δ_{t+1} = κ δ_t,        e_{t+1} = κ e_t + κ(1 − κ) δ_t²
(from v_{t+1} = [A(v* + (μ* − μ_{t+1})²) + B(v_t + (μ_t − μ_{t+1})²)]/(1 + λ_r), μ* − μ_{t+1} = −κδ_t,
μ_t − μ_{t+1} = (1 − κ)δ_t, A/(1 + λ_r) = 1 − κ). The Jacobian at θ* is κI, so the measured contraction (slope of
log ‖θ_t − θ*‖) tends to log κ: the exact factor is λ_r/(1 + λ_r) — below 1 for every λ_r — divided by (1 + γ).

Verdict on the threshold. The exact factor λ_r/((1+λ_r)(1+γ)) never exceeds the predicted ρ(λ_r)/(1+γ) while
ρ < 1, i.e. on λ_r(1 + Lε/α) < 1/2, so the 1/2 version of S1 holds for this family (1/4 holds a fortiori, as a weaker
claim); neither is tight: the Gaussian loop contracts for every λ_r in the infinite-sample limit, so the measured
boundary is λ_r = ∞ and the theorem's condition is sufficient, not necessary.

Finite samples (the ``Weighted`` regime: fixed real set of n points with mean μ̂ and MLE variance v̂, m synthetic points
of total weight λ_r n, MLE refit). With γ = 0, δ_t = μ_t − μ̂ and e_t the synthetic noise:
    δ_{t+1} = κ(δ_t + ē_t),  ē_t ~ N(0, v_t/m)  ⇒  E[δ_{t+1} | past] = κ δ_t,
    E[v_{t+1} | past] = [v̂ + λ_r v_t (m − 1)/m + λ_r(δ_t² + v_t/m)/(1 + λ_r)]/(1 + λ_r).
With the idealized corrector each synthetic point is a truth draw with probability τ = γ/(1+γ), so
E[μ_{t+1} | past] = (μ̂ + λ_r(μ_t + γ μ*)/(1 + γ))/(1 + λ_r): again slope κ in μ_t, around the fixed point
f = (μ̂ + λ_r τ μ*)/(1 + λ_r τ). The contraction is therefore measured as the least-squares slope of μ_{t+1} − f on
μ_t − f (``mean_contraction``), unbiased for κ up to O(1/(replicates·generations)).
"""
from __future__ import annotations

import numpy as np


def expected_hessian(mu, v, *, mean=0.0, var=1.0) -> np.ndarray:
    """(2, 2) H(θ) = E_{p_data}[∇²_θ log p_θ] at θ = (μ, v) for p_data with the given mean and variance."""
    d = mean - mu
    return np.array([[-1 / v, -d / v**2], [-d / v**2, 1 / (2 * v**2) - (var + d**2) / v**3]])


def alpha(var=1.0) -> float:
    """α = λ_min(−H(θ*)) = min(1/v*, 1/(2v*²))."""
    return float(min(1 / var, 1 / (2 * var**2)))


def lipschitz(radius, var=1.0) -> float:
    """L(r): a Lipschitz constant of θ ↦ H(θ) (operator norm) on the box |μ − μ*| ≤ r, |v − v*| ≤ r (r < v*)."""
    if not 0 <= radius < var:
        raise ValueError(f"radius must lie in [0, var) = [0, {var}), got {radius}")
    d, v = radius, var - radius
    g11 = 1 / v**4
    g12 = 1 / v**4 + 4 * d**2 / v**6
    g22 = 4 * d**2 / v**6 + ((3 * (var + d**2) - v) / v**4) ** 2
    return float(np.sqrt(g11 + 2 * g12 + g22))


def rho(ratio, *, alpha, L=0.0, eps=0.0, gamma=0.0):
    """Predicted contraction ρ(λ_r)/(1 + γ), ρ = λ_r(α + εL)/(α − λ_r(α + εL)) (THEORY S1, S2); inf where the
    denominator is ≤ 0."""
    lam = np.asarray(ratio, float)
    a = alpha + eps * L
    den = alpha - lam * a
    return np.where(den > 0, lam * a / np.where(den > 0, den, 1.0), np.inf) / (1 + gamma)


def stable(ratio, *, alpha, L=0.0, eps=0.0, threshold=0.5):
    """The sufficient condition λ_r(1 + Lε/α) < threshold (1/2 in S1; 1/4 in the earlier version)."""
    return np.asarray(ratio) * (1 + L * eps / alpha) < threshold


def kappa(ratio, gamma=0.0):
    """The exact contraction factor λ_r/((1 + λ_r)(1 + γ)) of the Gaussian family (the map's Jacobian at θ*)."""
    lam = np.asarray(ratio, float)
    return lam / ((1 + lam) * (1 + gamma))


def step(delta, e, ratio, gamma=0.0):
    """The exact infinite-sample update in error coordinates: (δ_t, e_t) = (μ_t − μ*, v_t − v*) →
    (κδ_t, κe_t + κ(1 − κ)δ_t²). (Error coordinates: θ_t − θ* itself would lose digits to cancellation.)"""
    k = kappa(ratio, gamma)
    return k * delta, k * e + k * (1 - k) * delta**2


def trajectory(delta0, e0, ratio, gamma=0.0, *, generations) -> np.ndarray:
    """(generations + 1, 2) exact infinite-sample errors θ_t − θ* = (δ_t, e_t) from θ₀ − θ* = (δ₀, e₀)."""
    out = np.empty((generations + 1, 2))
    out[0] = delta0, e0
    for t in range(generations):
        out[t + 1] = step(*out[t], ratio, gamma)
    return out


def log_slope(errors, *, last=None) -> float:
    """Measured contraction: exp of the least-squares slope of log ‖θ_t − θ*‖ against t, from errors (T, 2) (over
    the last ``last`` generations; all by default)."""
    dist = np.linalg.norm(np.asarray(errors), axis=-1)
    t = np.arange(dist.shape[0])
    if last is not None:
        t, dist = t[-last:], dist[-last:]
    return float(np.exp(np.polyfit(t, np.log(dist), 1)[0]))


def mean_contraction(mu, *, real_mean, ratio, gamma=0.0, truth_mean=0.0):
    """Measured contraction with finite samples: least-squares slope through the origin of z_{t+1} on z_t,
    z_t = μ_t − f with f the fixed point (μ̂ + λ_r τ μ*)/(1 + λ_r τ), τ = γ/(1 + γ), pooled over replicates.

    Args:
      mu: (replicates, generations + 1) fitted means.
      real_mean: (replicates,) μ̂, the real set's mean (= μ₀ under ``Weighted``).
    Returns (slope, standard error) — the error heteroscedasticity-robust (HC0)."""
    tau = 1.0 if np.isinf(gamma) else gamma / (1 + gamma)
    f = (np.asarray(real_mean) + ratio * tau * truth_mean) / (1 + ratio * tau)
    z = np.asarray(mu) - f[:, None]
    x, y = z[:, :-1].ravel(), z[:, 1:].ravel()
    sxx = np.sum(x * x)
    slope = np.sum(x * y) / sxx
    resid = y - slope * x
    return float(slope), float(np.sqrt(np.sum(x**2 * resid**2)) / sxx)


def finite_variance_fixed_point(ratio, m, real_var=1.0):
    """E[v_∞] for γ = 0 under ``Weighted`` with m synthetic points: v̂/(1 + λ_r²/(m(1 + 2λ_r))) (fixed point of the
    (E v_t, E δ_t²) recursion in the module docstring: b = κ²(b + a/m), a(1 + λ_r/m) − κ(b + a/m) = v̂)."""
    return real_var / (1 + ratio**2 / (m * (1 + 2 * ratio)))


def finite_moments(ratio, m, *, generations, real_var=1.0):
    """(a_t, b_t) = (E[v_t], E[δ_t²]) relative to the real set (μ̂, v̂), γ = 0, exact (linear recursion; a_0 = v̂, b_0 = 0)."""
    k = kappa(ratio)
    a, b = np.empty(generations + 1), np.empty(generations + 1)
    a[0], b[0] = real_var, 0.0
    for t in range(generations):
        b[t + 1] = k**2 * (b[t] + a[t] / m)
        a[t + 1] = (real_var + ratio * a[t] * (m - 1) / m + ratio * (b[t] + a[t] / m) / (1 + ratio)) / (1 + ratio)
    return a, b


# ---- slope of log ‖θ_t − θ*‖ (issue 5 item 2): the map in θ coordinates, its closed-form orbit, finite samples ----

def population_map(mu, v, ratio, gamma=0.0, *, mean=0.0, var=1.0):
    """One infinite-sample generation in θ coordinates: the weighted refit's maximiser is the moment match of the
    mixture A·p_data + B·p_θt, A = 1 + λ_r γ/(1 + γ), B = λ_r/(1 + γ) (the lab's derivation, module docstring):
        μ' = (A μ* + B μ)/(A + B),   v' = [A(v* + (μ* − μ')²) + B(v + (μ − μ')²)]/(A + B).
    Written from the mixture, not from ``step``, so that the two can check each other. Returns (μ', v')."""
    A, B = 1 + ratio * gamma / (1 + gamma), ratio / (1 + gamma)
    mu1 = (A * mean + B * mu) / (A + B)
    v1 = (A * (var + (mean - mu1) ** 2) + B * (v + (mu - mu1) ** 2)) / (A + B)
    return mu1, v1


def distance(delta0, e0, ratio, gamma=0.0, *, t):
    """Closed-form ‖θ_t − θ*‖ of the exact map from θ₀ − θ* = (δ₀, e₀) (the lab's derivation): by induction on ``step``,
        δ_t = κ^t δ₀,   e_t = κ^t [e₀ + δ₀²(1 − κ^t)]
    (e_{t+1} = κ·κ^t[e₀ + δ₀²(1 − κ^t)] + κ(1 − κ)κ^{2t}δ₀² = κ^{t+1}[e₀ + δ₀²(1 − κ^{t+1})]), so
        log ‖θ_t − θ*‖ = t log κ + ½ log(δ₀² + (e₀ + δ₀²(1 − κ^t))²):
    slope log κ up to a transient that dies as κ^t, for every λ_r (no threshold)."""
    k = kappa(ratio, gamma)
    t = np.asarray(t, float)
    return k**t * np.sqrt(delta0**2 + (e0 + delta0**2 * (1 - k**t)) ** 2)


def perturbed_moments(ratio, m, delta0, e0, *, generations):
    """Finite samples from a perturbed start, γ = 0, ``Weighted`` with m synthetic points, real set standardised to
    μ̂ = 0, v̂ = 1 (the weighted MLE sees the real set only through (μ̂, v̂), so (μ_t − μ̂)/√v̂ and v_t/v̂ follow
    this law whatever the real set): exact (d_t, a_t, b_t) = (E[δ_t], E[v_t], E[δ_t²]) from δ₀, v₀ = 1 + e₀, by the
    recursion of the module docstring (the lab's derivation):
        d_{t+1} = κ d_t,   b_{t+1} = κ²(b_t + a_t/m),
        a_{t+1} = [1 + λ_r a_t (m − 1)/m + λ_r(b_t + a_t/m)/(1 + λ_r)]/(1 + λ_r).
    (a, b) is affine with matrix M = [[κ(1 − κ/m), κ(1 − κ)], [κ²/m, κ²]], whose eigenvalues are exactly κ and
    κ²(1 − 1/m) (det(M − κI) = −κ²/m·(κ² − κ) − κ³(1 − κ)/m = 0): the expected deviation from the fixed point
    (0, ``finite_variance_fixed_point``) contracts at exactly κ for every m, as in the infinite-sample limit.
    Returns three (generations + 1,) arrays d, a, b."""
    from lab import _checks

    _checks.real_in("m", m, 1.0, np.inf)  # a real m ≥ 1 (a huge m approaches the infinite-sample limit)
    _checks.integer("generations", generations, minimum=0)
    k = kappa(ratio)
    d, a, b = (np.empty(generations + 1) for _ in range(3))
    d[0], a[0], b[0] = delta0, 1.0 + e0, delta0**2
    for t in range(generations):
        d[t + 1] = k * d[t]
        b[t + 1] = k**2 * (b[t] + a[t] / m)
        a[t + 1] = (1.0 + ratio * a[t] * (m - 1) / m + ratio * (b[t] + a[t] / m) / (1 + ratio)) / (1 + ratio)
    return d, a, b


def mle_eps_rms(n):
    """ε(n) = √(E[μ̂²] + E[(v̂ − 1)²]) = √(1/n + (2n − 1)/n²): the root-mean-square distance ‖θ̂₀ − θ*‖ of the MLE fit
    (μ̂, v̂) to n draws of N(0, 1), elementwise in n."""
    n = np.asarray(n, float)
    return np.sqrt(1 / n + (2 * n - 1) / n**2)


def boundary_ratio(n, threshold=0.5):
    """λ_r on S1's boundary λ_r(1 + L(ε)ε/α) = threshold with ε = ``mle_eps_rms(n)`` (truth N(0, 1)): (len(n),)."""
    e = np.atleast_1d(mle_eps_rms(n))
    return threshold / (1 + np.array([lipschitz(x) for x in e]) * e / alpha(1.0))
