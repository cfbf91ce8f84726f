"""Closed-form scores of noised Gaussians and Gaussian mixtures under the VP process (the tests' oracle).

If x_0 ~ Σ_j π_j N(μ_j, Σ_j), then x_t ~ Σ_j π_j N(α_t μ_j, C_j(t)), C_j(t) = α_t² Σ_j + σ_t² I, and
    ∇ log p_t(x) = Σ_j r_j(x, t) · [−C_j(t)⁻¹ (x − α_t μ_j)],   r_j ∝ π_j N(x; α_t μ_j, C_j(t))  (responsibilities).
With Σ_j = U_j diag(λ_j) U_jᵀ (eigendecomposed once in numpy), C_j(t) = U_j diag(α_t² λ_j + σ_t²) U_jᵀ, so nothing
is factorised inside jitted code.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def _components(truth):
    """(π (k,), μ (k, d), Σ (k, d, d)) of a ``lab.Gaussian`` (k = 1) or ``lab.GaussianMixture``."""
    if hasattr(truth, "weights"):
        return np.asarray(truth.weights), np.asarray(truth.means), np.asarray(truth.covs)
    return np.ones(1), np.asarray(truth.mean)[None], np.asarray(truth.cov)[None]


def noised_log_prob_and_score(truth, process):
    """A function (x: (n, d), t scalar) -> (log p_t(x) (n,), ∇ log p_t(x) (n, d)) for a Gaussian or mixture truth."""
    pi, mu, cov = _components(truth)
    lam, U = np.linalg.eigh(cov)  # (k, d), (k, d, d)
    log_pi, mu, lam, U = (jnp.asarray(a) for a in (np.log(pi), mu, lam, U))
    d = mu.shape[-1]

    def fn(x, t):
        a, s2 = process.alpha(t), process.sigma2(t)
        var = a**2 * lam + s2  # (k, d) eigenvalues of C_j(t)
        r = jnp.einsum("kde,nkd->nke", U, x[:, None, :] - a * mu[None])  # U_jᵀ (x − α μ_j)
        logits = log_pi - 0.5 * jnp.sum(r**2 / var + jnp.log(var), axis=-1) - 0.5 * d * jnp.log(2 * jnp.pi)
        logp = jax.scipy.special.logsumexp(logits, axis=-1)
        resp = jnp.exp(logits - logp[:, None])  # (n, k)
        g = -jnp.einsum("kde,nke->nkd", U, r / var)  # −C_j⁻¹ (x − α μ_j)
        return logp, jnp.sum(resp[..., None] * g, axis=1)

    return fn


def noised_score(truth, process):
    """∇ log p_t as a function (x: (n, d), t) -> (n, d) (see ``noised_log_prob_and_score``)."""
    fn = noised_log_prob_and_score(truth, process)
    return lambda x, t: fn(x, t)[1]


__all__ = ["noised_log_prob_and_score", "noised_score"]
