"""The one-hidden-layer noise-prediction network and its denoising score-matching loss, in float32.

    h = silu(W₁ᵀ [x; α_t; σ_t] + b₁)  (width H),   ε̂_θ(x, t) = W₂ᵀ h + b₂,   s_θ(x, t) = −ε̂_θ(x, t) / σ_t.
Time enters through the features (α_t, σ_t) ∈ (0, 1)², which are the coefficients of x_t = α_t x_0 + σ_t ε.
SiLU (x·sigmoid(x); Elfwing et al. 2018) is smooth, so the probability-flow ODE and its Jacobian trace are too.

Denoising score matching (Vincent 2011) with weighting λ(t) = σ_t² (t drawn by the caller; ``ScoreNetDiffusion``
draws it from its ``time_law``: "likelihood", density ∝ β/σ_t² (default), or "log_uniform" on [t_min, T]):
    L(θ) = E_{t, x_0, ε} σ_t² ‖s_θ(α_t x_0 + σ_t ε, t) + ε/σ_t‖² = E ‖ε̂_θ(x_t, t) − ε‖²,
the noise-prediction loss of DDPM (Ho et al. 2020). Its minimiser is ε̂* = −σ_t ∇ log p_t, and
L(θ) − L(θ*) = E_{t, x_t ~ p_t} ‖ε̂_θ − ε̂*‖² (the excess loss is the σ_t²-weighted score error).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

DTYPE = jnp.float32


class MLPParams(NamedTuple):
    """W1 (d + 2, H), b1 (H,), W2 (H, d), b2 (d,)."""

    W1: jax.Array
    b1: jax.Array
    W2: jax.Array
    b2: jax.Array


def init(key, d: int, width: int) -> MLPParams:
    """LeCun-normal weights (variance 1/fan_in), zero biases."""
    k1, k2 = jax.random.split(key)
    W1 = jax.random.normal(k1, (d + 2, width), DTYPE) / jnp.sqrt(jnp.asarray(d + 2, DTYPE))
    W2 = jax.random.normal(k2, (width, d), DTYPE) / jnp.sqrt(jnp.asarray(width, DTYPE))
    return MLPParams(W1, jnp.zeros(width, DTYPE), W2, jnp.zeros(d, DTYPE))


def eps_hat(process, params: MLPParams, x, t):
    """(n, d) predicted noise ε̂_θ(x, t) for x: (n, d) and t: () or (n,)."""
    t = jnp.broadcast_to(jnp.asarray(t, x.dtype), x.shape[:1])
    feats = jnp.concatenate([x, process.alpha(t)[:, None], process.sigma(t)[:, None]], axis=-1)
    h = jax.nn.silu(feats @ params.W1 + params.b1)
    return h @ params.W2 + params.b2


def score(process, params: MLPParams, x, t):
    """(n, d) s_θ(x, t) = −ε̂_θ(x, t)/σ_t."""
    t = jnp.asarray(t, x.dtype)
    return -eps_hat(process, params, x, t) / process.sigma(t)[..., None]


def dsm_loss(process, params: MLPParams, x0, t, eps):
    """Mean over the batch of ‖ε̂_θ(α_t x_0 + σ_t ε, t) − ε‖²; x0, eps: (B, d), t: (B,)."""
    xt = process.alpha(t)[:, None] * x0 + process.sigma(t)[:, None] * eps
    return jnp.mean(jnp.sum((eps_hat(process, params, xt, t) - eps) ** 2, axis=-1))


__all__ = ["MLPParams", "init", "eps_hat", "score", "dsm_loss"]
