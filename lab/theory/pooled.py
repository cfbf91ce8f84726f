"""Exact expected moments of the Gaussian refit under Replace, Accumulate, Augment and Fresh (the lab's derivation,
extending G1–G5 to every regime with unit weights; THEORY G4, G5).

Setting: truth N(μ, Σ); every generation refits (μ_t, Σ_t) by pooled maximum likelihood (ddof = 0) or the unbiased
estimator (ddof = 1) on its whole training buffer of N_t points; the model samples from N(μ_t, λ_s Σ_t).

Derivation. Write δ_t = μ_t − μ and Q_t = Σ_i (x_i − μ)(x_i − μ)ᵀ over the buffer. The identity
    Σ_i (x_i − μ_t)(x_i − μ_t)ᵀ = Q_t − N_t δ_t δ_tᵀ     gives     Σ_t = (Q_t − N_t δ_t δ_tᵀ)/(N_t − ddof).
A block of r real points adds r·Σ to E[Q] and has mean μ + e, e ~ N(0, Σ/r). A block of m synthetic points of model
t − 1 adds m(λ_s Σ_{t−1} + δ_{t−1}δ_{t−1}ᵀ) to E[Q | past] and has mean μ_{t−1} + e, e ~ N(0, λ_s Σ_{t−1}/m), e independent
of the past. Every quantity is therefore linear in the past's second moments, and by isotropy of these recursions
E[Σ_t] = a_t Σ and E[δ_t δ_tᵀ] = b_t Σ with scalar sequences (q_t = E[Q_t] ⊘ Σ):
  generation 0 (n real points):  a_0 = (n − 1)/(n − ddof),  b_0 = 1/n.
  Replace (m):        q_t = m(λ a_{t−1} + b_{t−1}),  b_t = b_{t−1} + λ a_{t−1}/m,  N_t = m.
  Accumulate (m):     N_t = n + t m,  δ_t = δ_{t−1} + (m/N_t) e_t  ⇒  b_t = b_{t−1} + m λ a_{t−1}/N_t²,
                      q_t = q_{t−1} + m(λ a_{t−1} + b_{t−1}),  q_0 = n.
                      With λ = 1, ddof = 1 and a ≡ 1 this gives
                      b_t = 1/n + Σ_{s=1}^t m/(n + s m)² — bounded, the Gaussian analogue of the Σ 1/i² of G5.
  Augment (m, fixed real set): N = n + m,  δ_t = (n δ_0 + m δ_{t−1} + m e_t)/N; with c_t = E[δ_t δ_0ᵀ] ⊘ Σ:
                      b_t = (n² b_0 + m² b_{t−1} + 2 n m c_{t−1} + m λ a_{t−1})/N²,  c_t = (n b_0 + m c_{t−1})/N,
                      q_t = n + m(λ a_{t−1} + b_{t−1}).
  Fresh (n_r, n_s):   N = n_r + n_s,  b_t = (n_r + n_s² b_{t−1} + n_s λ a_{t−1})/N²,  q_t = n_r + n_s(λ a_{t−1} + b_{t−1}).
  and in every case a_t = (q_t − N_t b_t)/(N_t − ddof).
These are exact (no approximation): only first and second moments enter, and each is linear. E‖μ_t − μ‖² = b_t tr Σ.
AccumulateSubsample is not covered (the subsample's overlap with earlier training sets correlates the blocks).
"""
from __future__ import annotations

import numpy as np

from lab.regimes import Accumulate, Augment, Fresh, Replace


def moments(regime, *, n: int, generations: int, ddof: int = 0, sampling_bias: float = 1.0) -> dict:
    """Exact expected moments per generation t = 0..generations.

    Returns a dict of (generations + 1,) arrays: ``cov`` = a_t (E[Σ_t] = a_t Σ), ``mean_sq`` = b_t
    (E[(μ_t − μ)(μ_t − μ)ᵀ] = b_t Σ), ``size`` = N_t (training-set size)."""
    lam = float(sampling_bias)
    a = np.empty(generations + 1)
    b = np.empty(generations + 1)
    size = np.empty(generations + 1)
    a[0], b[0], size[0] = (n - 1) / (n - ddof), 1.0 / n, n
    q, c = float(n), 1.0 / n
    for t in range(1, generations + 1):
        if isinstance(regime, Replace):
            m = regime.synthetic or n
            N = m
            q = m * (lam * a[t - 1] + b[t - 1])
            b[t] = b[t - 1] + lam * a[t - 1] / m
        elif isinstance(regime, Accumulate):
            m = regime.synthetic or n
            N = n + t * m
            q = q + m * (lam * a[t - 1] + b[t - 1])
            b[t] = b[t - 1] + m * lam * a[t - 1] / N**2
        elif isinstance(regime, Augment):
            m = regime.synthetic
            N = n + m
            q = n + m * (lam * a[t - 1] + b[t - 1])
            b[t] = (n**2 * b[0] + m**2 * b[t - 1] + 2 * n * m * c + m * lam * a[t - 1]) / N**2
            c = (n * b[0] + m * c) / N
        elif isinstance(regime, Fresh):
            nr, ns = regime.real, regime.synthetic
            N = nr + ns
            q = nr + ns * (lam * a[t - 1] + b[t - 1])
            b[t] = (nr + ns**2 * b[t - 1] + ns * lam * a[t - 1]) / N**2
        else:
            raise ValueError(f"regime must be Replace, Accumulate, Augment or Fresh, got {type(regime).__name__}")
        a[t] = (q - N * b[t]) / (N - ddof)
        size[t] = N
    return {"cov": a, "mean_sq": b, "size": size}


def fresh_limit(*, real: int, synthetic: int, ddof: int = 0, sampling_bias: float = 1.0) -> dict:
    """Fixed point (a_∞, b_∞) of the Fresh recursion, which does not depend on the initial sample size n (THEORY G4:
    "the limit exists and does not depend on the initial sample size"). Solves the 2×2 linear system
      b = (n_r + n_s² b + n_s λ a)/N²,  a = (n_r + n_s(λ a + b) − N b)/(N − ddof).
    Also returns the mean-part effective sample size n_e = 1/b_∞ (a model fitted on n_e real points has E[δδᵀ] = Σ/n_e)."""
    nr, ns, lam = real, synthetic, float(sampling_bias)
    N = nr + ns
    # Unknowns (a, b): rows are the two equations rearranged to A @ [a, b] = rhs.
    A = np.array([[-ns * lam / N**2, 1 - ns**2 / N**2], [1 - ns * lam / (N - ddof), (N - ns) / (N - ddof)]])
    rhs = np.array([nr / N**2, nr / (N - ddof)])
    a_inf, b_inf = np.linalg.solve(A, rhs)
    return {"cov": a_inf, "mean_sq": b_inf, "n_eff_mean": 1.0 / b_inf}
