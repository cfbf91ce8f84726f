"""Metrics between a fitted Gaussian (``GaussianParams``) and a Gaussian truth, from the closed forms in
``gaussian_formulas``. They measure the fitted law N(μ̂, Σ̂) (not the biased sampling law N(μ̂, λ_s Σ̂))."""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from lab import _checks
from lab.metrics import gaussian_formulas as F
from lab.metrics.base import DirectedMetric, Metric


def _truth(truth):
    return jnp.asarray(truth.mean), jnp.asarray(truth.cov)


@dataclass(frozen=True)
class W2(Metric):
    """W₂(fit, truth), the 2-Wasserstein distance (not squared); square it for E[W₂²] comparisons."""

    name = "w2"

    def __call__(self, truth, model, params, *, key):
        m0, S0 = _truth(truth)
        return jnp.sqrt(F.w2_sq(params.mean, params.cov, m0, S0))


@dataclass(frozen=True)
class KL(DirectedMetric):
    """KL divergence between fit and truth; ``direction`` "truth_model" is KL(truth ‖ fit), "model_truth" KL(fit ‖ truth).
    +∞ once the fitted covariance is singular (documented in ``gaussian_formulas.kl``)."""

    prefix = "kl"

    def __call__(self, truth, model, params, *, key):
        m0, S0 = _truth(truth)
        if self.direction == "truth_model":
            return F.kl(m0, S0, params.mean, params.cov)
        return F.kl(params.mean, params.cov, m0, S0)


@dataclass(frozen=True)
class TV(Metric):
    """Total variation between fit and truth.

    Exact in 1-D (``tv_1d``) and, in any d, when the fitted covariance equals the truth's (``tv_equal_cov``). Otherwise a
    Monte Carlo estimate TV = E_{x~truth}[(1 − q(x)/p(x))₊] (THEORY M4) from ``samples`` draws: unbiased, standard error
    ≤ 0.5/√samples; a singular fit gives exactly 1. See ``TVLower``/``TVUpper`` for closed-form bounds beside it.
    """

    samples: int = 4096

    name = "tv"

    def __post_init__(self):
        _checks.integer("samples", self.samples, minimum=1)

    def __call__(self, truth, model, params, *, key):
        m0, S0 = _truth(truth)
        if m0.shape[-1] == 1:
            return F.tv_1d(params.mean[0], jnp.sqrt(jnp.clip(params.cov[0, 0], 0, None)), m0[0], jnp.sqrt(S0[0, 0]))
        from lab.truths import gaussian_log_prob

        x = truth.sample(key=key, n=self.samples)
        log_ratio = gaussian_log_prob(params.mean, params.cov, x) - truth.log_prob(x)
        mc = jnp.mean(jnp.clip(1.0 - jnp.exp(log_ratio), 0.0, None))
        return jnp.where(jnp.all(params.cov == S0), F.tv_equal_cov(params.mean, m0, S0), mc)


@dataclass(frozen=True)
class TVLower(Metric):
    """Closed-form lower bound on TV: H² = 1 − Bhattacharyya coefficient."""

    name = "tv_lower"

    def __call__(self, truth, model, params, *, key):
        return F.tv_bounds(params.mean, params.cov, *_truth(truth))[0]


@dataclass(frozen=True)
class TVUpper(Metric):
    """Closed-form upper bound on TV: min(1, √(1 − BC²), Pinsker, Bretagnolle–Huber)."""

    name = "tv_upper"

    def __call__(self, truth, model, params, *, key):
        return F.tv_bounds(params.mean, params.cov, *_truth(truth))[1]


@dataclass(frozen=True)
class MeanError(Metric):
    """‖μ̂ − μ₀‖² (Kazdan et al. 2024's mean metric)."""

    name = "mean_error"

    def __call__(self, truth, model, params, *, key):
        return jnp.sum((params.mean - jnp.asarray(truth.mean)) ** 2)


@dataclass(frozen=True)
class DetRatio(Metric):
    """det Σ̂ / det Σ₀ (Kazdan et al. 2024); 0 for a singular fit."""

    name = "det_ratio"

    def __call__(self, truth, model, params, *, key):
        return jnp.exp(F._logdet(params.cov) - F._logdet(jnp.asarray(truth.cov)))


@dataclass(frozen=True)
class TraceRatio(Metric):
    """tr Σ̂ / tr Σ₀ (Kazdan et al. 2024)."""

    name = "trace_ratio"

    def __call__(self, truth, model, params, *, key):
        return jnp.trace(params.cov) / jnp.trace(jnp.asarray(truth.cov))


def default_metrics(d: int) -> tuple:
    """Every closed-form metric; the Monte Carlo TV only in 1-D, where it is exact and cheap."""
    core = (W2(), KL("truth_model"), KL("model_truth"), TVLower(), TVUpper(), MeanError(), DetRatio(), TraceRatio())
    return ((TV(),) if d == 1 else ()) + core


__all__ = ["W2", "KL", "TV", "TVLower", "TVUpper", "MeanError", "DetRatio", "TraceRatio", "default_metrics", "jax"]
