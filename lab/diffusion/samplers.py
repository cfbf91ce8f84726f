"""Samplers in σ-space for any denoiser D(x, σ): (n, d), () -> (n, d), and the probability-flow log-density.

The probability-flow ODE with σ(t) = t, s(t) = 1 (Karras et al. 2022, eqs. 1 and 4) is
    dx/dσ = −σ ∇_x log p(x; σ) = (x − D(x; σ))/σ,
integrated from σ_0 (x_0 ~ N(0, prior_std² I)) down the parameterisation's grid σ_0 > … > σ_N (``precond.sigmas``).
Written with a *drift* d(x, σ) = dx/dσ: in denoiser space d = (x − D)/σ (Alg. 1 line 4), in score space d = −σ s.

"heun" — Algorithm 2 (stochastic; Algorithm 1 when S_churn = 0), for i = 0 … N−1:
    γ_i = min(S_churn/N, √2 − 1) if σ_i ∈ [S_tmin, S_tmax] else 0,   σ̂ = σ_i (1 + γ_i),
    x̂ = x_i + √(σ̂² − σ_i²) S_noise ε_i,   d = d(x̂, σ̂),   x_{i+1} = x̂ + (σ_{i+1} − σ̂) d,
    if σ_{i+1} ≠ 0:  x_{i+1} = x̂ + (σ_{i+1} − σ̂) (d + d(x_{i+1}, σ_{i+1}))/2   (Heun's correction).
"euler_maruyama" — the reverse-time SDE of x = y + σ n on the variance clock v = σ² (forward dx = dW_v, so the
    reverse is dx = −∇log p dv + dW̄_v; Anderson 1982, Song et al. 2021 eq. 6 with f = 0, g² = dσ²/dσ):
    x_{i+1} = x_i + (σ_i² − σ_{i+1}²) s(x_i, σ_i) + √(σ_i² − σ_{i+1}²) ε_i,   s = (D − x)/σ² (eq. 3),
    Euler–Maruyama (strong order ½, weak order 1; Kloeden & Platen 1992, §14.1), noise at every step.

Log-density (instantaneous change of variables; Chen et al. 2018, Thm 1; Song et al. 2021, eq. 39): along the ODE run
upward from x(σ_b) = x, σ_b the grid's smallest positive level,
    log p_{σ_b}(x) = log N(x(σ_0); 0, prior_std² I) + ∫_{σ_b}^{σ_0} ∇·f dσ,   ∇·f = (d − tr ∂D/∂x)/σ,
integrated with Heun on the augmented state (x, ∫∇·f) over the same grid, in u = ln σ; the trace is exact (``jax.jacfwd``, d
forward passes per point), so this is meant for low dimension. It is the law the ODE sampler draws in the limit of many
steps when the grid stops at σ_b (VP); with EDM's final Euler step to σ = 0 it is the density of the law at σ_min.

Seeds: sample k draws its start and its step noises from fold_in(key, k), so sample k is the same draw whatever n is
(per-sample seeds, as in NVlabs/edm). All arithmetic is float32.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.diffusion.precond import DTYPE

KINDS = ("heun", "euler_maruyama")


@dataclass(frozen=True)
class Sampler:
    """How samples are drawn: the integrator and Algorithm 2's churn (defaults: Algorithm 1, deterministic Heun)."""

    steps: int = 18  # N, the grid's steps (EDM: N noise levels before σ_N = 0; VP: N steps from T to t_min)
    kind: str = "heun"  # "heun" (Alg. 1/2) or "euler_maruyama" (reverse SDE)
    S_churn: float = 0.0  # total churn of Alg. 2; 0 gives the deterministic Heun sampler (Alg. 1)
    S_tmin: float = 0.0  # churn only for σ_i ≥ S_tmin
    S_tmax: float = 1e30  # … and σ_i ≤ S_tmax (1e30 stands for ∞ and stays JSON-able)
    S_noise: float = 1.0  # noise inflation of the churn

    def __post_init__(self):
        _checks.integer("steps", self.steps, minimum=1)
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        _checks.real_in("S_churn", self.S_churn, 0.0, np.inf, hi_open=True)
        _checks.real_in("S_tmin", self.S_tmin, 0.0, np.inf, hi_open=True)
        _checks.real_in("S_tmax", self.S_tmax, self.S_tmin, np.inf, hi_open=True)
        _checks.real_in("S_noise", self.S_noise, 0.0, np.inf, hi_open=True)

    def describe(self) -> dict:
        return {"kind": "Sampler", **{k: v for k, v in asdict(self).items() if k != "kind"}, "integrator": self.kind}


def denoiser_drift(D: Callable) -> Callable:
    """d(x, σ) = (x − D(x; σ))/σ (Alg. 1 line 4)."""
    return lambda x, sigma: (x - D(x, sigma)) / sigma


def score_drift(s: Callable) -> Callable:
    """d(x, σ) = −σ s(x; σ) (eq. 4 with σ(t) = t)."""
    return lambda x, sigma: -sigma * s(x, sigma)


def initial_noise(*, key, n: int, dim: int, steps: int):
    """(n, steps + 1, dim) standard normals, row k from fold_in(key, k): [:, 0] starts x, [:, i + 1] is ε_i."""
    keys = jax.vmap(lambda k: jax.random.fold_in(key, k))(jnp.arange(n, dtype=jnp.uint32))
    return jax.vmap(lambda k: jax.random.normal(k, (steps + 1, dim), DTYPE))(keys)


def heun(drift: Callable, x0, z, sigmas, cfg: Sampler):
    """(n, d) Algorithm 2 (Algorithm 1 if S_churn = 0) from x0: (n, d) at σ_0 with churn noises z: (n, N + 1, d)."""
    N = sigmas.shape[0] - 1
    gamma_max = min(cfg.S_churn / N, np.sqrt(2.0) - 1.0)

    def step(x, i):
        s0, s1 = sigmas[i], sigmas[i + 1]
        if cfg.S_churn > 0:
            gamma = jnp.where((s0 >= cfg.S_tmin) & (s0 <= cfg.S_tmax), gamma_max, 0.0).astype(DTYPE)
            s_hat = s0 * (1 + gamma)
            # √(σ̂² − σ_i²) written as σ_i √(γ(2 + γ)): never the √ of a negative rounding residue
            x = x + s0 * jnp.sqrt(gamma * (2 + gamma)) * cfg.S_noise * z[:, i + 1]
        else:
            s_hat = s0
        d = drift(x, s_hat)
        x_next = x + (s1 - s_hat) * d
        x_heun = x + (s1 - s_hat) * 0.5 * (d + drift(x_next, jnp.where(s1 > 0, s1, 1.0)))
        return jnp.where(s1 > 0, x_heun, x_next), None

    # A step to σ = 0 is Euler; the Heun branch there is computed at a dummy σ = 1 and discarded by where.
    x, _ = jax.lax.scan(step, x0, jnp.arange(N))
    return x


def euler_maruyama(score: Callable, x0, z, sigmas):
    """(n, d) reverse-SDE Euler–Maruyama on the variance clock (module docstring) from x0 with noises z[:, i + 1]."""
    N = sigmas.shape[0] - 1

    def step(x, i):
        dv = sigmas[i] ** 2 - sigmas[i + 1] ** 2
        return x + dv * score(x, sigmas[i]) + jnp.sqrt(dv) * z[:, i + 1], None

    x, _ = jax.lax.scan(step, x0, jnp.arange(N))
    return x


def solve(D: Callable, z, sigmas, prior_std, cfg: Sampler, drift: Callable | None = None):
    """(n, d) samples of denoiser D from noises z: (n, N + 1, d) (``initial_noise``): x_0 = prior_std · z[:, 0].
    ``drift`` overrides the ODE's drift (score-space guidance); the SDE always uses s = (D − x)/σ²."""
    sigmas = jnp.asarray(sigmas, DTYPE)
    x0 = jnp.asarray(prior_std, DTYPE) * z[:, 0]
    if cfg.kind == "euler_maruyama":
        return euler_maruyama(lambda x, s: (D(x, s) - x) / s**2, x0, z, sigmas)
    return heun(denoiser_drift(D) if drift is None else drift, x0, z, sigmas, cfg)


def log_density(D: Callable, x, sigmas, prior_std, c_in: Callable):
    """(n,) log p_{σ_b}(x) of the probability-flow model at rows x: (n, d), σ_b the grid's smallest positive level.

    Integrated on the preconditioned state y = a x, a = c_in(σ) = 1/√(σ² + c²) (c = 1 for VP, σ_d for EDM; the VP
    state itself), in u = ln σ (the lab's derivation, from dx/du = σ dx/dσ = x − D and da/du = −σ²a³):
        dy/du = (1 − σ²a²) y − a D(y/a; σ),      ∇_y·(dy/du) = d (1 − σ²a²) − tr ∂D/∂x,
        log p_x(x) = log p_y(a x) + d log a      (density of a linear map).
    y stays of order one at every σ (x grows like σ), so Heun on the geometric grids is accurate where integrating x
    itself is not. The prior at σ_0 is N(0, prior_std² I) on x, i.e. N(0, (a prior_std)² I) on y."""
    sig = np.asarray(sigmas, np.float64)
    up = jnp.asarray(sig[sig > 0][::-1], x.dtype)  # σ_b < … < σ_0
    d = x.shape[-1]

    def rhs(y, s):
        a = c_in(s)
        one = lambda yi: D(yi[None] / a, s)[0]  # noqa: E731  (d,) -> (d,) D as a function of y
        jac_tr = a * jax.vmap(lambda yi: jnp.trace(jax.jacfwd(one)(yi)))(y)  # tr ∂D/∂x = a tr ∂D/∂y
        k = 1.0 - (s * a) ** 2
        return k * y - a * D(y / a, s), d * k - jac_tr

    def step(carry, k):
        y, acc = carry
        s0, s1 = up[k], up[k + 1]
        h = jnp.log(s1) - jnp.log(s0)
        f0, g0 = rhs(y, s0)
        f1, g1 = rhs(y + h * f0, s1)
        return (y + 0.5 * h * (f0 + f1), acc + 0.5 * h * (g0 + g1)), None

    a_b, a_0 = c_in(up[0]), c_in(up[-1])
    (y, acc), _ = jax.lax.scan(step, (a_b * x, jnp.zeros(x.shape[0], x.dtype)), jnp.arange(up.shape[0] - 1))
    std = a_0 * prior_std
    log_prior = -0.5 * jnp.sum((y / std) ** 2, axis=-1) - d * jnp.log(std) - 0.5 * d * np.log(2 * np.pi)
    return log_prior + acc + d * jnp.log(a_b)


__all__ = ["Sampler", "KINDS", "denoiser_drift", "score_drift", "initial_noise", "heun", "euler_maruyama", "solve",
           "log_density"]
