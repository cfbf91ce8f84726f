"""The two parameterisations side by side, as in Table 1 of Karras, Aittala, Aila & Laine, "Elucidating the Design
Space of Diffusion-Based Generative Models" (NeurIPS 2022): VP (Song et al., ICLR 2021) and EDM ("ours").

Everything is written in EDM's σ-space: x = y + σ n, y ~ p_data, n ~ N(0, I) (σ(t) = t, s(t) = 1), and one denoiser
    D_θ(x; σ) = c_skip(σ) x + c_out(σ) F_θ(c_in(σ) x; c_noise(σ))                                 (eq. 7)
trained with the loss of eq. 2 in the form of eq. 8,
    λ(σ) c_out(σ)² ‖F_θ(c_in (y + n); c_noise) − (y − c_skip (y + n)) / c_out‖²,   λ = 1/c_out²  (both columns),
so the effective weight λ c_out² is 1 and only the law of σ during training differs (``sample_sigma``).

| | VP (Song et al. 2021) | EDM (Karras et al. 2022) |
|---|---|---|
| c_skip | 1 | σ_d²/(σ² + σ_d²) |
| c_out | −σ | σ σ_d/√(σ² + σ_d²) |
| c_in | 1/√(σ² + 1) | 1/√(σ² + σ_d²) |
| c_noise (network's conditioning) | (α_t, σ_t) = (c_in, σ c_in) | ¼ ln σ |
| training σ | σ = √(e^{βt} − 1), t ~ ``time_law`` on [t_min, T] | ln σ ~ N(P_mean, P_std²) |
| sampling grid | t geometric on [T, t_min], σ(t); stops at σ(t_min) | eq. 5 (ρ = 7) on [σ_max, σ_min], then 0 |
| prior at σ_0 | N(0, (1 + σ_0²) I) | N(0, σ_0² I) |

VP in σ-space. The VP (Ornstein–Uhlenbeck) process with constant β, x_t = α_t y + σ_t ε, α_t = e^{−βt/2},
σ_t² = 1 − α_t², is the scaled process x_t = s(t)(y + σ(t) ε) with s = α_t and σ(t) = σ_t/α_t = √(e^{βt} − 1)
(Karras et al. 2022, eq. 4 and Table 1). So with x = y + σ ε: c_in x = x/√(1 + σ²) = α_t y + σ_t ε is the VP state,
and F = ε̂ with target (y − x)/(−σ) = ε: the noise-prediction loss E‖ε̂_θ(x_t, t) − ε‖² of DDPM (Ho et al. 2020),
equal to λ‖D − y‖² with λ = 1/σ². The network sees the VP state and the pair (α_t, σ_t), which is the
one-hidden-layer score network of Fu et al. (ICML 2024; THEORY F1): h = silu(W₁ᵀ[x_t; α_t; σ_t] + b₁).
Its score is s(x; σ) = (D − x)/σ² = −ε̂/σ in σ-space (eq. 3); in the VP state's coordinates x_t = α_t x this is
∇_{x_t} log p_t = s/α_t = −ε̂/σ_t, the usual VP score.

VP training times ("time_law"): "likelihood" (default) draws t with density q(t) = β/(Z σ_t²) on [t_min, T],
Z = log(e^{βT} − 1) − log(e^{β t_min} − 1), by inverse CDF t = log(1 + exp(a + u(b − a)))/β with
a = log(e^{β t_min} − 1), b = log(e^{βT} − 1): this is the likelihood weighting g(t)² = β of Song, Durkan, Murray &
Ermon (NeurIPS 2021, "Maximum likelihood training of score-based diffusion models", Thm 1 and §5) realised by
importance sampling, since the ε-loss at t is σ_t² times the score error. "log_uniform" draws t log-uniform on
[t_min, T] (weighting ∝ σ_t²/t over uniform t).
VP sampling stops at σ(t_min) > 0: the model's law is the truth blurred by N(0, σ(t_min)² I) (σ(t_min)² ≈ β t_min).
EDM sampling ends with an Euler step to σ = 0 (Algorithm 1), i.e. returns D(x; σ_min).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks

DTYPE = jnp.float32  # networks, data and samplers of the diffusion stack run in float32


@dataclass(frozen=True)
class VP:
    """Variance-preserving parameterisation (Table 1, "VP" column), constant rate β, times on [t_min, T].

    Args:
      beta: rate β > 0 of the OU process dx = −½βx dt + √β dW (α_t = e^{−βt/2}).
      t_min: early-stopping time > 0; sampling stops at σ(t_min) = √(e^{β t_min} − 1).
      t_max: horizon T > t_min; the prior N(0, I) on the VP state is off by α_T = e^{−βT/2} times the data's scale.
      time_law: law of the training times, "likelihood" (q(t) ∝ β/σ_t²) or "log_uniform" (module docstring).
    """

    beta: float = 1.0
    t_min: float = 1e-3
    t_max: float = 10.0
    time_law: str = "likelihood"

    n_cond = 2  # conditioning features (α_t, σ_t)

    def __post_init__(self):
        _checks.real_in("beta", self.beta, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("t_min", self.t_min, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("t_max", self.t_max, self.t_min, np.inf, lo_open=True, hi_open=True)
        if self.time_law not in ("likelihood", "log_uniform"):
            raise ValueError(f"time_law must be 'likelihood' or 'log_uniform', got {self.time_law!r}")

    def sigma_of_t(self, t):
        """σ(t) = √(e^{βt} − 1) (expm1 keeps small t accurate)."""
        return jnp.sqrt(jnp.expm1(self.beta * t))

    def c_skip(self, sigma):
        return jnp.ones_like(sigma)

    def c_out(self, sigma):
        return -sigma

    def c_in(self, sigma):
        return 1.0 / jnp.sqrt(sigma**2 + 1.0)

    def c_noise(self, sigma):
        """(…, 2) the VP coefficients (α_t, σ_t) = (1/√(1 + σ²), σ/√(1 + σ²)) for σ: (…)."""
        a = self.c_in(sigma)
        return jnp.stack([a, sigma * a], axis=-1)

    def training_times(self, u):
        """Training times t from uniforms u ∈ [0, 1) by the inverse CDF of ``time_law`` (module docstring)."""
        if self.time_law == "log_uniform":
            return self.t_min * (self.t_max / self.t_min) ** u

        # log(e^{βt} − 1) and its inverse log(1 + e^z)/β, written so that neither overflows for large βT: for βt > 30
        # they equal βt + log1p(−e^{−βt}) and z to float32 precision (e^{−30} ≈ 1e−13).
        def log_expm1(bt):
            return float(np.log(np.expm1(bt))) if bt < 30.0 else bt + float(np.log1p(-np.exp(-bt)))

        a, b = log_expm1(self.beta * self.t_min), log_expm1(self.beta * self.t_max)
        z = a + u * (b - a)
        return jnp.where(z < 30.0, jnp.log1p(jnp.exp(jnp.minimum(z, 30.0))), z) / self.beta

    def sample_sigma(self, *, key, n: int):
        """(n,) training noise levels σ(t), t ~ ``time_law``."""
        return self.sigma_of_t(self.training_times(jax.random.uniform(key, (n,), DTYPE)))

    def sigmas(self, steps: int):
        """(steps + 1,) σ(t_k) on the geometric grid t_k = T (t_min/T)^{k/K}, all > 0 (sampling stops at t_min)."""
        t = self.t_max * (self.t_min / self.t_max) ** (np.arange(steps + 1) / steps)
        return np.sqrt(np.expm1(self.beta * t)).astype(np.float32)  # numpy: a static grid, never traced

    def prior_std(self, sigma_max):
        """Std of the sampler's start: the VP prior N(0, I) on x_t = x/√(1 + σ²) is N(0, (1 + σ²) I) on x."""
        return float(np.sqrt(1.0 + float(sigma_max) ** 2))

    def describe(self) -> dict:
        return {"kind": "VP", "beta": self.beta, "t_min": self.t_min, "t_max": self.t_max, "time_law": self.time_law}


@dataclass(frozen=True)
class EDM:
    """EDM parameterisation (Table 1, "ours"), with the paper's CIFAR-10 defaults.

    Args:
      sigma_data: σ_d, the data's per-coordinate standard deviation assumed by the preconditioning.
      p_mean: mean of ln σ during training.
      p_std: standard deviation of ln σ during training.
      sigma_min: smallest noise level of the sampling grid (eq. 5).
      sigma_max: largest noise level of the sampling grid.
      rho: curvature ρ of the grid (eq. 5).
    """

    sigma_data: float = 0.5
    p_mean: float = -1.2
    p_std: float = 1.2
    sigma_min: float = 0.002
    sigma_max: float = 80.0
    rho: float = 7.0

    n_cond = 1  # conditioning feature ¼ ln σ

    def __post_init__(self):
        _checks.real_in("sigma_data", self.sigma_data, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("p_mean", self.p_mean, -np.inf, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("p_std", self.p_std, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("sigma_min", self.sigma_min, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("sigma_max", self.sigma_max, self.sigma_min, np.inf, hi_open=True)
        _checks.real_in("rho", self.rho, 0.0, np.inf, lo_open=True, hi_open=True)

    def c_skip(self, sigma):
        return self.sigma_data**2 / (sigma**2 + self.sigma_data**2)

    def c_out(self, sigma):
        return sigma * self.sigma_data / jnp.sqrt(sigma**2 + self.sigma_data**2)

    def c_in(self, sigma):
        return 1.0 / jnp.sqrt(sigma**2 + self.sigma_data**2)

    def c_noise(self, sigma):
        """(…, 1) ¼ ln σ for σ: (…)."""
        return (0.25 * jnp.log(sigma))[..., None]

    def sample_sigma(self, *, key, n: int):
        """(n,) training noise levels, ln σ ~ N(P_mean, P_std²)."""
        return jnp.exp(self.p_mean + self.p_std * jax.random.normal(key, (n,), DTYPE))

    def sigmas(self, steps: int):
        """(steps + 1,) σ_0 = σ_max > … > σ_{N−1} = σ_min > σ_N = 0 (eq. 5), N = ``steps``."""
        frac = np.arange(steps) / max(steps - 1, 1)
        r = self.rho
        s = (self.sigma_max ** (1 / r) + frac * (self.sigma_min ** (1 / r) - self.sigma_max ** (1 / r))) ** r
        return np.concatenate([s, [0.0]]).astype(np.float32)  # numpy: a static grid, never traced

    def prior_std(self, sigma_max):
        """Std of the sampler's start, σ_0 (Algorithm 1, line 1: x_0 ~ N(0, σ_0² I))."""
        return float(sigma_max)

    def describe(self) -> dict:
        return {"kind": "EDM", "sigma_data": self.sigma_data, "p_mean": self.p_mean, "p_std": self.p_std,
                "sigma_min": self.sigma_min, "sigma_max": self.sigma_max, "rho": self.rho}


Precond = VP | EDM


def denoise(precond, F, x, sigma):
    """(n, d) D(x; σ) = c_skip x + c_out F(c_in x; c_noise) (eq. 7) for x: (n, d), σ: () or (n,).
    ``F(x_in, cond)``: (n, d), (n, k) -> (n, d), the raw network."""
    s = jnp.broadcast_to(jnp.asarray(sigma, x.dtype), x.shape[:1])
    return (precond.c_skip(s)[:, None] * x
            + precond.c_out(s)[:, None] * F(precond.c_in(s)[:, None] * x, precond.c_noise(s)))


def score_from_denoiser(D_x, x, sigma):
    """∇_x log p(x; σ) = (D(x; σ) − x)/σ² (Karras et al. 2022, eq. 3)."""
    return (D_x - x) / sigma**2


__all__ = ["DTYPE", "VP", "EDM", "Precond", "denoise", "score_from_denoiser"]
