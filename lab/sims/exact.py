"""The exact (ideal) denoiser of a Gaussian mixture, the oracle of the sampler's tests and a reference in the studies.

The lab's derivation. Let y ~ Σ_j π_j N(μ_j, Σ_j) and x = y + σ n, n ~ N(0, I) (EDM's forward process, σ(t) = t).
Given the component j, (y, x) is jointly Gaussian with Cov(y, x) = Σ_j and Var(x) = Σ_j + σ² I, so
    x | j ~ N(μ_j, Σ_j + σ² I),      E[y | x, j] = μ_j + Σ_j (Σ_j + σ² I)⁻¹ (x − μ_j)     (Gaussian conditioning).
By Bayes, p(j | x) = π_j N(x; μ_j, Σ_j + σ² I) / Σ_k π_k N(x; μ_k, Σ_k + σ² I), and the tower rule gives the
minimiser of the denoising loss (Karras et al. 2022, eq. 3 and Appendix B.3)
    D*(x; σ) = E[y | x] = Σ_j p(j | x) [μ_j + Σ_j (Σ_j + σ² I)⁻¹ (x − μ_j)],
whose score (D* − x)/σ² is ∇ log p(x; σ) of the noised mixture Σ_j π_j N(μ_j, Σ_j + σ² I). With Σ_j = U_j Λ_j U_jᵀ
(eigendecomposition, once, in numpy), (Σ_j + σ² I)⁻¹ = U_j diag(1/(λ + σ²)) U_jᵀ and Σ_j(Σ_j + σ² I)⁻¹ =
U_j diag(λ/(λ + σ²)) U_jᵀ, so nothing reaches LAPACK inside jitted code. At σ = 0, D*(x; 0) = x exactly.
"""
from __future__ import annotations

from typing import Callable

import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp


def mixture_denoiser(mixture, dtype=jnp.float32) -> Callable:
    """D*(x, σ): (n, d), () -> (n, d) for a ``lab.GaussianMixture`` (see the module docstring). Arithmetic in dtype."""
    lam, U = np.linalg.eigh(np.asarray(mixture.covs))  # (k, d), (k, d, d)
    lam, U = jnp.asarray(lam, dtype), jnp.asarray(U, dtype)
    mu = jnp.asarray(mixture.means, dtype)
    log_pi = jnp.log(jnp.asarray(mixture.weights, dtype))
    d = mu.shape[1]

    def D(x, sigma):
        x = x.astype(dtype)
        v = lam + jnp.asarray(sigma, dtype) ** 2  # (k, d) eigenvalues of Σ_j + σ² I
        r = jnp.einsum("kde,nkd->nke", U, x[:, None, :] - mu[None])  # (n, k, d) coordinates in each eigenbasis
        quad = jnp.sum(r**2 / v, axis=-1)  # (n, k) Mahalanobis²
        logits = log_pi - 0.5 * (quad + jnp.sum(jnp.log(v), axis=-1) + d * jnp.log(2 * jnp.pi))
        post = jnp.exp(logits - logsumexp(logits, axis=-1, keepdims=True))  # (n, k) p(j | x)
        shrunk = jnp.einsum("kde,nke->nkd", U, r * (lam / v))  # Σ_j (Σ_j + σ² I)⁻¹ (x − μ_j)
        out = jnp.einsum("nk,nkd->nd", post, mu[None] + shrunk)
        # σ = 0: D*(x; 0) = x by definition; also when a component's covariance is singular (λ = 0 makes the
        # formula 0/0 there), so the identity is returned outright rather than computed
        return jnp.where(jnp.asarray(sigma, dtype) > 0, out, x)

    return D


__all__ = ["mixture_denoiser"]
