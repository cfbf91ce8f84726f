"""THEORY D1–D2: categorical refits (a neutral Wright–Fisher chain) and the σ tail bound.

D1 (Shumailov et al., "AI models collapse when trained on recursively generated data", Nature 2024, § "Discrete
distributions with exact approximation"; quoted): refitting empirical frequencies from M samples makes the counts a
Markov chain whose only absorbing states are the point masses; the frequencies are a martingale, so the chain fixes on
state i with probability p₀(i) (optional stopping). In the lab, generation 0 is itself an empirical fit from the truth,
so p₀ is the truth's law and the fixation probabilities are the truth's probabilities.
D2 (Suresh et al., "Rate of Model Collapse in Recursive Training", 2024; secondary): time to forget a symbol grows about
linearly with its count; Gaussian refits give Pr(σ_k > ε) ≤ (σ₀/ε)·exp(−k/(4M)).
"""
from __future__ import annotations

import numpy as np
from scipy.special import gammaln
from scipy.stats import binom


def fixation_probabilities(p0):
    """(k,) probability that the Replace loop of empirical refits ends as a point mass on each state: p₀ itself
    (Shumailov et al. 2024, D1; smoothing 0, temperature 1)."""
    p0 = np.asarray(p0, dtype=np.float64)
    return p0 / p0.sum()


def one_step_loss_probability(q, M: int):
    """Probability that a state of probability q gets no draw among M samples, (1 − q)^M: ≈ e^{−1} at q = 1/M,
    so states with q ≤ 1/M are likely lost at once (D1)."""
    return (1.0 - np.asarray(q, dtype=np.float64)) ** M


def _transient_matrix(M: int):
    i = np.arange(1, M)
    return binom.pmf(np.arange(M + 1)[None, :], M, i[:, None] / M)  # (M−1, M+1): from count i to count j


def time_to_loss(count: int, M: int) -> float:
    """Exact E[τ | the symbol is lost], τ the number of refits until a symbol with ``count`` of M samples has count 0,
    for the two-state Wright–Fisher chain (M samples per generation). Computed from the Doob h-transform with
    h(i) = 1 − i/M (the loss probability): P̃_ij = P_ij h(j)/h(i), E[τ] = (I − P̃_transient)^{−1} 1.
    In the lab, a symbol of truth probability count/M has count ~ Binomial(M, count/M) at generation 0, so its loss
    generation is τ − 1."""
    if not 0 < count < M:
        raise ValueError(f"count must lie in (0, M) = (0, {M}), got {count}")
    P = _transient_matrix(M)
    h = 1.0 - np.arange(M + 1) / M
    Pt = P[:, 1:M] * h[None, 1:M] / h[1:M, None]
    t = np.linalg.solve(np.eye(M - 1) - Pt, np.ones(M - 1))
    return float(t[count - 1])


def time_to_loss_diffusion(count, M: int):
    """Diffusion approximation of ``time_to_loss`` (Kimura & Ohta 1969, mean time to loss conditional on loss, with M gene copies):
    −2M·p·ln p/(1 − p), p = count/M. For count ≪ M it is ≈ 2·count·ln(M/count): about linear in the count (D2)."""
    p = np.asarray(count, dtype=np.float64) / M
    return -2.0 * M * p * np.log(p) / (1.0 - p)


def c_unbiased(M: int) -> float:
    """E[σ̂]/σ for the unbiased variance from M Gaussian samples: √(2/(M−1))·Γ(M/2)/Γ((M−1)/2) (THEORY G2)."""
    return float(np.sqrt(2.0 / (M - 1)) * np.exp(gammaln(M / 2) - gammaln((M - 1) / 2)))


def sigma_tail_bound(k, *, M: int, sigma0: float, eps: float):
    """Suresh et al.'s bound min(1, (σ₀/ε)·exp(−k/(4M))) on Pr(σ_k > ε) after k Gaussian refits of M samples (D2).

    The lab's proof for its ``GaussianFit`` (ddof 0 or 1): σ_k = σ₀ Π_j √(χ²_{M−1,j}/(M − ddof)), so by Markov
    Pr(σ_k > ε) ≤ E[σ_k]/ε = (σ₀/ε) c^k with c = c_unbiased(M)·√((M−1)/(M − ddof)) ≤ c_unbiased(M), and
    c_unbiased(M) ≤ exp(−1/(4M)) for every M ≥ 2 (checked numerically in the tests for 2 ≤ M ≤ 10⁴, beyond which
    float64 log-gamma differences are too coarse; asymptotically
    c = 1 − 1/(4M) − 7/(32M²) + … versus e^{−1/(4M)} = 1 − 1/(4M) + 1/(32M²) + …). The lab's generation g is k = g + 1
    refits (generation 0 is the first fit).
    """
    return np.minimum(1.0, sigma0 / eps * np.exp(-np.asarray(k, dtype=np.float64) / (4 * M)))


__all__ = ["fixation_probabilities", "one_step_loss_probability", "time_to_loss", "time_to_loss_diffusion",
           "c_unbiased", "sigma_tail_bound"]
