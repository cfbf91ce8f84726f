"""Metrics of a fitted linear model (``RegressionParams``) against a ``lab.LinearModel`` truth (THEORY G5)."""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from lab.metrics.base import Metric


@dataclass(frozen=True)
class ExcessRisk(Metric):
    """E_test = E_x[(x·ŵ − x·w*)²] = ‖ŵ − w*‖² for x ~ N(0, I_d): the papers' test error (excess over the noise σ²)."""

    name = "excess_risk"

    def __call__(self, truth, model, params, *, key):
        return jnp.sum((params.coef - jnp.asarray(truth.w)) ** 2)


@dataclass(frozen=True)
class NoiseError(Metric):
    """σ̂² − σ², the error of the fitted noise variance."""

    name = "noise_error"

    def __call__(self, truth, model, params, *, key):
        return params.noise**2 - truth.noise**2


__all__ = ["ExcessRisk", "NoiseError"]
