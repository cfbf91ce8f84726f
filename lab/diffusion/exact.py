"""The exact (ideal) denoiser and noised log-density of a Gaussian mixture: the oracle of the samplers' tests and a
reference in the studies. One copy for both parameterisations (everything is in σ-space, x = y + σ n).

The lab's derivation. Let y ~ Σ_j π_j N(μ_j, Σ_j) and x = y + σ n, n ~ N(0, I). Given the component j, (y, x) is
jointly Gaussian with Cov(y, x) = Σ_j and Var(x) = Σ_j + σ² I, so
    x | j ~ N(μ_j, Σ_j + σ² I),      E[y | x, j] = μ_j + Σ_j (Σ_j + σ² I)⁻¹ (x − μ_j)     (Gaussian conditioning).
By Bayes, p(j | x) = π_j N(x; μ_j, Σ_j + σ² I) / Σ_k π_k N(x; μ_k, Σ_k + σ² I), and the tower rule gives the
minimiser of the denoising loss (Karras et al. 2022, eq. 3 and Appendix B.3)
    D*(x; σ) = E[y | x] = Σ_j p(j | x) [μ_j + Σ_j (Σ_j + σ² I)⁻¹ (x − μ_j)],
whose score (D* − x)/σ² is ∇ log p(x; σ) of the noised mixture p(x; σ) = Σ_j π_j N(x; μ_j, Σ_j + σ² I). With
Σ_j = U_j Λ_j U_jᵀ (eigendecomposed once, in numpy), (Σ_j + σ² I)⁻¹ = U_j diag(1/(λ + σ²)) U_jᵀ, so nothing reaches
LAPACK inside jitted code. At σ = 0, D*(x; 0) = x exactly.
"""
from __future__ import annotations

from typing import Callable

import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp


def _components(truth):
    """(π (k,), μ (k, d), Σ (k, d, d)) of a ``lab.Gaussian`` (k = 1) or ``lab.GaussianMixture``."""
    if hasattr(truth, "weights"):
        return np.asarray(truth.weights), np.asarray(truth.means), np.asarray(truth.covs)
    return np.ones(1), np.asarray(truth.mean)[None], np.asarray(truth.cov)[None]


def _terms(truth, dtype):
    pi, mu, cov = _components(truth)
    lam, U = np.linalg.eigh(cov)  # (k, d), (k, d, d)
    return (jnp.asarray(np.log(pi), dtype), jnp.asarray(mu, dtype), jnp.asarray(lam, dtype), jnp.asarray(U, dtype))


def mixture_log_prob_and_denoiser(truth, dtype=jnp.float32) -> Callable:
    """(x: (n, d), σ) -> (log p(x; σ) (n,), D*(x; σ) (n, d)) for a ``lab.Gaussian`` or ``lab.GaussianMixture``."""
    log_pi, mu, lam, U = _terms(truth, dtype)
    d = mu.shape[1]

    def fn(x, sigma):
        x = x.astype(dtype)
        v = lam + jnp.asarray(sigma, dtype) ** 2  # (k, d) eigenvalues of Σ_j + σ² I
        r = jnp.einsum("kde,nkd->nke", U, x[:, None, :] - mu[None])  # (n, k, d) coordinates in each eigenbasis
        logits = log_pi - 0.5 * (jnp.sum(r**2 / v + jnp.log(v), axis=-1) + d * jnp.log(2 * jnp.pi))
        logp = logsumexp(logits, axis=-1)
        post = jnp.exp(logits - logp[:, None])  # (n, k) p(j | x)
        shrunk = jnp.einsum("kde,nke->nkd", U, r * (lam / v))  # Σ_j (Σ_j + σ² I)⁻¹ (x − μ_j)
        out = jnp.einsum("nk,nkd->nd", post, mu[None] + shrunk)
        # σ = 0: D*(x; 0) = x by definition (also where a singular Σ_j would make the formula 0/0)
        return logp, jnp.where(jnp.asarray(sigma, dtype) > 0, out, x)

    return fn


def mixture_denoiser(truth, dtype=jnp.float32) -> Callable:
    """D*(x, σ): (n, d), () -> (n, d) (module docstring)."""
    fn = mixture_log_prob_and_denoiser(truth, dtype)
    return lambda x, sigma: fn(x, sigma)[1]


def mixture_score(truth, dtype=jnp.float32) -> Callable:
    """∇ log p(x; σ) = (D*(x; σ) − x)/σ² for σ > 0 (Karras et al. 2022, eq. 3)."""
    D = mixture_denoiser(truth, dtype)
    return lambda x, sigma: (D(x, sigma) - x.astype(dtype)) / jnp.asarray(sigma, dtype) ** 2


__all__ = ["mixture_log_prob_and_denoiser", "mixture_denoiser", "mixture_score"]
