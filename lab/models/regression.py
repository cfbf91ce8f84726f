"""Ordinary least squares on rows [x, y] — the supervised world of THEORY G5 (Gerstgrasser et al. 2024; Dey & Donoho 2024).

Fit, with frequency weights w_i, rows [x_i, y_i] (x_i ∈ R^d) and W = Σ w_i:
    ŵ = (Σ w_i x_i x_iᵀ)^{−1} Σ w_i x_i y_i,        σ̂² = Σ w_i (y_i − x_i·ŵ)² / (W − d)   (unbiased; W − d ≤ 0 → W).
No intercept: the truth ``lab.LinearModel`` has none. Sampling relabels fresh inputs with the fitted model plus fresh
noise (THEORY G5): x ~ N(0, I_d), y = x·ŵ + s ε, where s = ``noise`` if given (the papers' setting: the true σ,
known to the generator) or else the fitted σ̂. Under Replace both give E‖ŵ_t − w*‖² = (t + 1)σ²d/(T − d − 1)
(see ``lab.theory.regression``), because E[σ̂²] = σ² at every generation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.linalg import spd_inv_logdet, sym
from lab.models.base import describe_dataclass


class RegressionParams(NamedTuple):
    """Fitted linear model: coef ŵ (d,), noise σ̂ () (the fitted residual standard deviation)."""

    coef: jax.Array
    noise: jax.Array


@dataclass(frozen=True)
class LinearRegressionFit:
    """OLS refit of every generation on rows [x, y] of shape (N, d + 1).

    Args:
      noise: standard deviation of the fresh label noise in ``sample``; None (default) uses the fitted σ̂, a float > 0
        uses that value at every generation (set it to the truth's σ for the exact setting of THEORY G5).

    Dataset variables: ``coef`` (…, feature), ``noise`` (…) — the fitted σ̂.
    """

    compile_bound = True  # float64 closed-form fits: small runs are compiled fast (lab.loop.compile_mode)

    noise: float | None = None

    def __post_init__(self):
        if self.noise is not None:
            object.__setattr__(self, "noise", _checks.real_in("noise", self.noise, 0.0, np.inf, lo_open=True, hi_open=True))

    def check(self, truth) -> None:
        if not hasattr(truth, "features"):
            raise ValueError(f"LinearRegressionFit needs a lab.LinearModel truth, got {type(truth).__name__}")

    def fit(self, xy: jax.Array, w: jax.Array, *, key=None) -> RegressionParams:
        """Weighted OLS on rows xy: (N, d + 1) with weights w: (N,)."""
        xy = jnp.where(w[:, None] > 0, xy, 0.0)
        x, y = xy[:, :-1], xy[:, -1]
        d = x.shape[-1]
        gram = sym((x * w[:, None]).T @ x)
        coef = spd_inv_logdet(gram)[0] @ (x.T @ (w * y))
        W = jnp.sum(w)
        dof = jnp.where(W - d > 0, W - d, W)
        return RegressionParams(coef, jnp.sqrt(jnp.sum(w * (y - x @ coef) ** 2) / dof))

    def sample(self, params: RegressionParams, *, key: jax.Array, n: int) -> jax.Array:
        """(n, d + 1) rows [x, x·ŵ + s ε] with fresh x ~ N(0, I_d) and ε ~ N(0, 1)."""
        kx, ke = jax.random.split(key)
        d = params.coef.shape[-1]
        x = jax.random.normal(kx, (n, d))
        s = params.noise if self.noise is None else self.noise
        y = x @ params.coef + s * jax.random.normal(ke, (n,))
        return jnp.concatenate([x, y[:, None]], axis=1)

    def variables(self, params: RegressionParams) -> dict:
        return {"coef": (params.coef, ("feature",)), "noise": (params.noise, ())}

    def default_metrics(self, truth):
        from lab.metrics import regression

        return (regression.ExcessRisk(), regression.NoiseError())

    def describe(self) -> dict:
        return describe_dataclass(self)


__all__ = ["LinearRegressionFit", "RegressionParams"]
