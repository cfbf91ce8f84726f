"""EDM: the preconditioned denoiser, its training noise and loss, and the sampling noise schedule.

Karras, Aittala, Aila & Laine, "Elucidating the Design Space of Diffusion-Based Generative Models" (NeurIPS 2022),
with σ(t) = t and s(t) = 1 (their "ours" column of Table 1): x = y + n, n ~ N(0, σ² I), y ~ p_data.

Denoiser (eq. 7 and Table 1, "Network and preconditioning"):
    D_θ(x; σ) = c_skip(σ) x + c_out(σ) F_θ(c_in(σ) x; c_noise(σ)),
    c_skip = σ_d² / (σ² + σ_d²),   c_out = σ σ_d / √(σ² + σ_d²),   c_in = 1 / √(σ² + σ_d²),   c_noise = ¼ ln σ.
Training (eq. 2 / eq. 8, Table 1 "Training"): ln σ ~ N(P_mean, P_std²), λ(σ) = (σ² + σ_d²) / (σ σ_d)² = 1/c_out²,
    L = E_{σ, y, n} λ(σ) ‖D_θ(y + n; σ) − y‖² = E ‖F_θ(c_in (y + n); c_noise) − (y − c_skip (y + n)) / c_out‖²
(eq. 2 with Table 1's λ, rewritten as eq. 8),
the second form being the one computed (the "effective training target" of §5, which has unit variance when y has
per-coordinate variance σ_d² and mean 0; tested). Its minimiser is D*(x; σ) = E[y | x] (eq. 3 and Appendix B.3).
Score (eq. 3): ∇_x log p(x; σ) = (D(x; σ) − x) / σ².
Sampling schedule (eq. 5, ρ = 7): σ_i = (σ_max^{1/ρ} + i/(N−1) (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ for i < N, σ_N = 0.

Precision: everything here is float32 (``DTYPE``); ``import lab`` turns on float64, so inputs are cast explicitly.
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

DTYPE = jnp.float32  # networks, data and samplers of lab.sims run in float32

# Defaults of Table 1 ("ours", VP/VE-independent column) and of the paper's CIFAR-10 runs.
SIGMA_DATA = 0.5  # σ_d, the data's standard deviation assumed by the preconditioning (images in [-1, 1])
P_MEAN = -1.2  # mean of ln σ during training
P_STD = 1.2  # standard deviation of ln σ during training
SIGMA_MIN = 0.002  # smallest noise level of the sampling schedule
SIGMA_MAX = 80.0  # largest noise level of the sampling schedule
RHO = 7.0  # schedule curvature ρ of eq. 5


def c_skip(sigma, sigma_data):
    """σ_d² / (σ² + σ_d²) (Table 1)."""
    return sigma_data**2 / (sigma**2 + sigma_data**2)


def c_out(sigma, sigma_data):
    """σ σ_d / √(σ² + σ_d²) (Table 1)."""
    return sigma * sigma_data / jnp.sqrt(sigma**2 + sigma_data**2)


def c_in(sigma, sigma_data):
    """1 / √(σ² + σ_d²) (Table 1)."""
    return 1.0 / jnp.sqrt(sigma**2 + sigma_data**2)


def c_noise(sigma):
    """¼ ln σ (Table 1)."""
    return 0.25 * jnp.log(sigma)


def loss_weight(sigma, sigma_data):
    """λ(σ) = (σ² + σ_d²) / (σ σ_d)² = 1 / c_out(σ)² (Table 1)."""
    return (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2


def denoise(F: Callable, x, sigma, sigma_data):
    """(n, d) D(x; σ) = c_skip x + c_out F(c_in x; c_noise) (eq. 7) for x: (n, d), σ: () or (n,).

    ``F(x_in, c_noise)``: (n, d), (n,) -> (n, d), the raw network."""
    s = jnp.broadcast_to(jnp.asarray(sigma, x.dtype), x.shape[:1])[:, None]
    return c_skip(s, sigma_data) * x + c_out(s, sigma_data) * F(c_in(s, sigma_data) * x, c_noise(s[:, 0]))


def sample_sigma(key, n: int, p_mean: float = P_MEAN, p_std: float = P_STD):
    """(n,) training noise levels, ln σ ~ N(P_mean, P_std²) (Table 1, "Noise distribution")."""
    return jnp.exp(p_mean + p_std * jax.random.normal(key, (n,), DTYPE))


def training_target(y, n, sigma, sigma_data):
    """(input, target) of eq. 8 for clean y: (B, d), noise n: (B, d) (already scaled by σ), σ: (B,):
    input c_in (y + n), target (y − c_skip (y + n)) / c_out."""
    s = sigma[:, None]
    x = y + n
    return c_in(s, sigma_data) * x, (y - c_skip(s, sigma_data) * x) / c_out(s, sigma_data)


def dsm_loss(F: Callable, y, key, sigma_data, p_mean: float = P_MEAN, p_std: float = P_STD):
    """Batch mean over y: (B, d) of λ(σ) ‖D(y + n; σ) − y‖² in the form of eq. 8 (summed over coordinates, so the
    loss of the trivial predictor F = 0 is E ‖target‖² = d when the targets have unit variance)."""
    ks, kn = jax.random.split(key)
    sigma = sample_sigma(ks, y.shape[0], p_mean, p_std)
    n = sigma[:, None] * jax.random.normal(kn, y.shape, DTYPE)
    x_in, target = training_target(y, n, sigma, sigma_data)
    return jnp.mean(jnp.sum((F(x_in, c_noise(sigma)) - target) ** 2, axis=-1))


def sigma_steps(steps: int, sigma_min: float = SIGMA_MIN, sigma_max: float = SIGMA_MAX, rho: float = RHO):
    """(steps + 1,) σ_0 = σ_max > … > σ_{N−1} = σ_min > σ_N = 0 (eq. 5), N = ``steps`` ≥ 1 (N = 1 gives σ_max, 0)."""
    i = jnp.arange(steps, dtype=DTYPE)
    frac = i / max(steps - 1, 1)
    s = (sigma_max ** (1 / rho) + frac * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return jnp.concatenate([s.astype(DTYPE), jnp.zeros(1, DTYPE)])


def score_from_denoiser(D_x, x, sigma):
    """∇_x log p(x; σ) = (D(x; σ) − x) / σ² (eq. 3)."""
    return (D_x - x) / sigma**2


__all__ = ["DTYPE", "SIGMA_DATA", "P_MEAN", "P_STD", "SIGMA_MIN", "SIGMA_MAX", "RHO", "c_skip", "c_out", "c_in",
           "c_noise", "loss_weight", "denoise", "sample_sigma", "training_target", "dsm_loss", "sigma_steps",
           "score_from_denoiser"]
