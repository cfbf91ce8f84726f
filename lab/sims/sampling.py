"""EDM samplers (Karras et al. 2022, Algorithms 1 and 2) and the SIMS-guided denoiser and score.

The probability-flow ODE with σ(t) = t, s(t) = 1 (eq. 1 / eq. 4) is dx/dσ = −σ ∇_x log p(x; σ) = (x − D(x; σ))/σ.
A sampler integrates it from σ_0 = σ_max to σ_N = 0 on the grid of eq. 5 (``edm.sigma_steps``) given a *drift*
d(x, σ) = dx/dσ, written either in denoiser space, d = (x − D)/σ (Alg. 1 line 4), or in score space, d = −σ s.

Algorithm 2 (stochastic; Algorithm 1 when S_churn = 0), for i = 0 … N−1:
    γ_i = min(S_churn/N, √2 − 1) if σ_i ∈ [S_tmin, S_tmax] else 0,   σ̂ = σ_i (1 + γ_i),
    x̂ = x_i + √(σ̂² − σ_i²) S_noise ε_i,   d = d(x̂, σ̂),   x_{i+1} = x̂ + (σ_{i+1} − σ̂) d,
    if σ_{i+1} ≠ 0:  x_{i+1} = x̂ + (σ_{i+1} − σ̂) (d + d(x_{i+1}, σ_{i+1}))/2   (Heun's 2nd-order correction).
The last step (σ_N = 0) is Euler, as in the paper: 2N − 1 drift evaluations.

SIMS guidance (Alemohammad et al. 2024; THEORY N1), ω ≥ 0, base D_r / s_r, auxiliary D_s / s_s:
    denoiser space  D = D_r + ω (D_r − D_s)   (= (1 + ω) D_r − ω D_s),
    score space     s = s_r + ω (s_r − s_s)   (= (1 + ω) s_r − ω s_s),  s = (D − x)/σ² (eq. 3),
identical in exact arithmetic because the weights (1 + ω, −ω) sum to 1. At ω = 0 the guided denoiser returns D_r
untouched (``_guide``), so denoiser-space guidance with ω = 0 reproduces the base sampler bit for bit (tested);
score-space guidance at ω = 0 integrates −σ s_r instead of (x − D_r)/σ, equal only to float32 rounding.

Seeds: sample k draws x_0 and its churn noises from fold_in(key, k), so sample k is the same draw whatever n is
(per-sample seeds, as in NVlabs/edm). All arithmetic is float32.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.keys import as_key
from lab.sims import edm

DTYPE = edm.DTYPE
SPACES = ("denoiser", "score")


@dataclass(frozen=True)
class SamplerConfig:
    """The noise schedule and Algorithm 2's churn settings (defaults: Alg. 1, the paper's 18 steps, σ ∈ [0.002, 80])."""

    steps: int = 18  # N, the number of noise levels before σ_N = 0
    sigma_min: float = edm.SIGMA_MIN  # σ_{N−1}
    sigma_max: float = edm.SIGMA_MAX  # σ_0
    rho: float = edm.RHO  # ρ of eq. 5
    S_churn: float = 0.0  # total churn; 0 gives the deterministic Heun sampler (Alg. 1)
    S_tmin: float = 0.0  # churn only for σ_i ≥ S_tmin
    S_tmax: float = 1e30  # … and σ_i ≤ S_tmax (1e30 stands for ∞ and stays JSON-able)
    S_noise: float = 1.0  # noise inflation of the churn

    def __post_init__(self):
        _checks.integer("steps", self.steps, minimum=1)
        _checks.real_in("sigma_min", self.sigma_min, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("sigma_max", self.sigma_max, self.sigma_min, np.inf, hi_open=True)
        _checks.real_in("rho", self.rho, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("S_churn", self.S_churn, 0.0, np.inf, hi_open=True)
        _checks.real_in("S_tmin", self.S_tmin, 0.0, np.inf, hi_open=True)
        _checks.real_in("S_tmax", self.S_tmax, self.S_tmin, np.inf, hi_open=True)
        _checks.real_in("S_noise", self.S_noise, 0.0, np.inf, hi_open=True)

    def sigmas(self):
        """(steps + 1,) float32 σ_0 > … > σ_N = 0 (eq. 5)."""
        return edm.sigma_steps(self.steps, self.sigma_min, self.sigma_max, self.rho)

    def to_dict(self) -> dict:
        return asdict(self)


def check_omega(omega) -> float:
    """ω ≥ 0 and finite (ω = 0 is the base model)."""
    return _checks.real_in("omega", omega, 0.0, np.inf, hi_open=True)


def check_space(space: str) -> str:
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")
    return space


def denoiser_drift(D: Callable) -> Callable:
    """d(x, σ) = (x − D(x; σ))/σ (Alg. 1 line 4) for a denoiser D(x, σ): (n, d), () -> (n, d)."""
    return lambda x, sigma: (x - D(x, sigma)) / sigma


def score_drift(s: Callable) -> Callable:
    """d(x, σ) = −σ s(x; σ) (eq. 4 with σ(t) = t) for a score s(x, σ): (n, d), () -> (n, d)."""
    return lambda x, sigma: -sigma * s(x, sigma)


def score_of(D: Callable) -> Callable:
    """s(x, σ) = (D(x; σ) − x)/σ² (eq. 3)."""
    return lambda x, sigma: edm.score_from_denoiser(D(x, sigma), x, sigma)


def _guide(f_r: Callable, f_s: Callable, omega) -> Callable:
    """f = f_r + ω (f_r − f_s); at ω = 0 the branch ``lax.cond`` takes returns f_r untouched and never evaluates f_s.

    The cond is what makes ω = 0 bit-identical to the unguided sampler in practice: without it XLA fuses the base
    network's last layer with the guidance arithmetic and reorders its sums (measured: ~25 % of coordinates off by an
    ulp). Under ``vmap`` over ω the cond becomes a select and both branches run (values unchanged, bits not
    promised)."""
    def f(x, sigma):
        a = f_r(x, sigma)
        return jax.lax.cond(omega == 0, lambda a: a, lambda a: a + omega * (a - f_s(x, sigma)), a)
    return f


def guided_denoiser(D_r: Callable, D_s: Callable, omega) -> Callable:
    """D = D_r + ω (D_r − D_s) = (1 + ω) D_r − ω D_s (SIMS, denoiser space). ω may be traced (validate it first)."""
    return _guide(D_r, D_s, omega)


def guided_score(s_r: Callable, s_s: Callable, omega) -> Callable:
    """s = s_r + ω (s_r − s_s) = (1 + ω) s_r − ω s_s (SIMS, score space)."""
    return _guide(s_r, s_s, omega)


def initial_noise(key, n: int, dim: int, steps: int):
    """(n, steps + 1, dim) standard normals, row k from fold_in(key, k): [:, 0] starts x, [:, i + 1] is ε_i."""
    keys = jax.vmap(lambda k: jax.random.fold_in(key, k))(jnp.arange(n, dtype=jnp.uint32))
    return jax.vmap(lambda k: jax.random.normal(k, (steps + 1, dim), DTYPE))(keys)


def solve(drift: Callable, z, cfg: SamplerConfig):
    """(n, dim) samples: Algorithm 2 (Algorithm 1 if S_churn = 0) for the drift d(x, σ) from noises z: (n, N+1, dim)
    (``initial_noise``): x_0 = σ_0 z[:, 0]. Pure and jittable; vmappable over z."""
    sig = cfg.sigmas()
    N = cfg.steps
    gamma_max = min(cfg.S_churn / N, np.sqrt(2.0) - 1.0)

    def step(x, i):
        s0, s1 = sig[i], sig[i + 1]
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

    # The last step is Euler (σ_N = 0); the Heun branch there is computed at a dummy σ = 1 and discarded by where.
    x, _ = jax.lax.scan(step, sig[0] * z[:, 0], jnp.arange(N))
    return x


def model_denoiser(spec, params, sigma_data) -> Callable:
    """D(x, σ) of a network (eq. 7), σ a scalar."""
    return lambda x, sigma: edm.denoise(lambda xi, c: spec.apply(params, xi, c), x, sigma, sigma_data)


@functools.lru_cache(maxsize=64)
def _base_fn(spec, sigma_data: float, cfg: SamplerConfig):
    def f(params, z):
        return solve(denoiser_drift(model_denoiser(spec, params, sigma_data)), z, cfg)
    return jax.jit(f)


@functools.lru_cache(maxsize=64)
def _guided_fn(spec, sigma_data_r: float, sigma_data_s: float, cfg: SamplerConfig, space: str):
    def f(params_r, params_s, omega, z):
        D_r = model_denoiser(spec, params_r, sigma_data_r)
        D_s = model_denoiser(spec, params_s, sigma_data_s)
        if space == "denoiser":
            drift = denoiser_drift(guided_denoiser(D_r, D_s, omega))
        else:
            drift = score_drift(guided_score(score_of(D_r), score_of(D_s), omega))
        return solve(drift, z, cfg)
    return jax.jit(f)


def _check_n(n):
    return _checks.integer("n", n, minimum=1)


def sample(model, key, n: int, sampler: SamplerConfig = SamplerConfig()) -> jax.Array:
    """(n, dim) float32 samples of a trained ``Model`` (its EMA weights) with Algorithm 1/2."""
    z = initial_noise(as_key(key), _check_n(n), model.spec.dim, sampler.steps)
    return _base_fn(model.spec, model.config.sigma_data, sampler)(model.ema, z)


def guided_sample(base, aux, key, n: int, omega: float, sampler: SamplerConfig = SamplerConfig(),
                  space: str = "denoiser") -> jax.Array:
    """(n, dim) SIMS samples with guidance ω ≥ 0 away from ``aux`` (the model fine-tuned on base's samples).

    Same key as ``sample(base, key, n, sampler)`` gives the same noises; at ω = 0 the output equals it bit for bit."""
    omega = check_omega(omega)
    check_space(space)
    if aux.spec != base.spec:
        raise ValueError(f"aux must share the base's network spec {base.spec}, got {aux.spec}")
    z = initial_noise(as_key(key), _check_n(n), base.spec.dim, sampler.steps)
    fn = _guided_fn(base.spec, base.config.sigma_data, aux.config.sigma_data, sampler, space)
    return fn(base.ema, aux.ema, jnp.asarray(omega, DTYPE), z)


__all__ = ["SamplerConfig", "SPACES", "check_omega", "check_space", "denoiser_drift", "score_drift", "score_of",
           "guided_denoiser", "guided_score", "initial_noise", "solve", "model_denoiser", "sample", "guided_sample"]
