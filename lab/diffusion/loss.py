"""The denoising score-matching loss, one function for both parameterisations (``lab.diffusion.precond``).

Karras et al. 2022, eq. 2 with Table 1's weighting λ(σ) = 1/c_out(σ)², written as eq. 8 (the "effective training
target" of their §5):
    L(θ) = E_{σ, y, n} ‖F_θ(c_in (y + n); c_noise(σ)) − (y − c_skip (y + n)) / c_out‖²,   n ~ N(0, σ² I),
σ drawn from the parameterisation's training law. Its minimiser is D*(x; σ) = E[y | x] (eq. 3, Appendix B.3).
Under VP the target is the noise ε = n/σ and L is DDPM's E‖ε̂_θ − ε‖² (Ho et al. 2020): the excess loss is the
σ_t²-weighted score error (Vincent 2011). Under EDM with data of per-coordinate variance σ_d² and mean 0 the target
has unit variance, so the trivial predictor F = 0 scores the dimension d (tested).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lab.diffusion.precond import DTYPE


def training_pair(precond, y, n, sigma):
    """(input, target, cond) of eq. 8 for clean y: (B, d), noise n: (B, d) (already times σ), σ: (B,)."""
    x = y + n
    s = sigma[:, None]
    return precond.c_in(s) * x, (y - precond.c_skip(s) * x) / precond.c_out(s), precond.c_noise(sigma)


def dsm_loss(precond, F, y, *, key):
    """Batch mean over y: (B, d) of ‖F(input, cond) − target‖² (summed over coordinates; eq. 8), with
    σ ~ the parameterisation's training law and n = σ ε from ``key``. ``F(x_in, cond)`` is the raw network."""
    ks, kn = jax.random.split(key)
    sigma = precond.sample_sigma(key=ks, n=y.shape[0])
    n = sigma[:, None] * jax.random.normal(kn, y.shape, DTYPE)
    x_in, target, cond = training_pair(precond, y, n, sigma)
    return jnp.mean(jnp.sum((F(x_in, cond) - target) ** 2, axis=-1))


__all__ = ["training_pair", "dsm_loss"]
