"""The forward noising process: variance-preserving (VP) Ornstein–Uhlenbeck SDE with constant rate β.

    dx = −½ β x dt + √β dW,   t ∈ [t_min, T]                      (Song et al., ICLR 2021, eq. 11 with β(t) ≡ β)
Its transition kernel is Gaussian and closed-form:
    x_t | x_0 ~ N(α_t x_0, σ_t² I),   α_t = exp(−½ β t),   σ_t² = 1 − exp(−β t) = 1 − α_t²,
so p_t = (law of α_t x_0) ∗ N(0, σ_t² I) and p_T → N(0, I) as T → ∞ (the sampler's prior). The reverse-time SDE and
the probability-flow ODE (Song et al. 2021, eqs. 6 and 13) with score s(x, t) ≈ ∇ log p_t(x):
    dx = [−½ β x − β s(x, t)] dt + √β dW̄,        dx/dt = −½ β [x + s(x, t)].
Sampling stops at t_min > 0: the model's law is (an approximation of) p_{t_min}, the truth blurred by N(0, σ_{t_min}²).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from lab import _checks


@dataclass(frozen=True)
class VP:
    """VP / Ornstein–Uhlenbeck process with constant β on [t_min, T].

    Args:
      beta: rate β > 0 (time unit: α_t = exp(−½βt)).
      t_min: early-stopping time > 0 (σ_{t_min}² ≈ β·t_min is the residual blur).
      t_max: horizon T > t_min; α_T = exp(−½βT) is the prior's mismatch (data at scale r leaves a bias ≈ α_T·r).
    """

    beta: float = 1.0
    t_min: float = 1e-3
    t_max: float = 10.0

    def __post_init__(self):
        _checks.real_in("beta", self.beta, 0.0, float("inf"), lo_open=True, hi_open=True)
        _checks.real_in("t_min", self.t_min, 0.0, float("inf"), lo_open=True, hi_open=True)
        _checks.real_in("t_max", self.t_max, self.t_min, float("inf"), lo_open=True, hi_open=True)

    def alpha(self, t):
        """α_t = exp(−½ β t) (same shape as t)."""
        return jnp.exp(-0.5 * self.beta * t)

    def sigma2(self, t):
        """σ_t² = 1 − exp(−β t) (same shape as t; expm1 keeps small t accurate)."""
        return -jnp.expm1(-self.beta * t)

    def sigma(self, t):
        """σ_t = √(1 − exp(−β t))."""
        return jnp.sqrt(self.sigma2(t))

    def ode_drift(self, score, x, t):
        """Probability-flow drift f(x, t) = −½ β [x + s(x, t)]; x: (n, d), t scalar, score(x, t) -> (n, d)."""
        return -0.5 * self.beta * (x + score(x, t))

    def sde_drift(self, score, x, t):
        """Reverse-SDE drift (forward-time convention) −½ β x − β s(x, t); x: (n, d)."""
        return -0.5 * self.beta * x - self.beta * score(x, t)

    def describe(self) -> dict:
        return {"kind": "VP", "beta": self.beta, "t_min": self.t_min, "t_max": self.t_max}


__all__ = ["VP"]
