"""Exact metrics between a fitted categorical (``CategoricalParams``: probs q, the fitted p̂) and a ``lab.Categorical``
truth p, plus the same quantities as plain functions of probability vectors (k,). They measure the fitted p̂, not
the temperature-adjusted sampling law."""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from lab import _checks
from lab.metrics.base import DirectedMetric, Metric


def _xlogy(x, y):
    return jnp.where(x > 0, x * jnp.log(jnp.where(y > 0, y, 1.0)), 0.0)


def tv(p, q):
    """TV(p, q) = ½ Σ_j |p_j − q_j|."""
    return 0.5 * jnp.sum(jnp.abs(p - q))


def kl(p, q):
    """KL(p ‖ q) = Σ_j p_j log(p_j / q_j); +∞ when q_j = 0 < p_j."""
    lost = jnp.any((p > 0) & (q <= 0))
    return jnp.where(lost, jnp.inf, jnp.clip(jnp.sum(_xlogy(p, p) - _xlogy(p, q)), 0.0, None))


def entropy(q):
    """Shannon entropy −Σ_j q_j log q_j (nats)."""
    return -jnp.sum(_xlogy(q, q))


def support_size(q):
    """Number of categories with q_j > 0."""
    return jnp.sum(q > 0)


def lost_mass(p, q):
    """Truth mass on categories the model has lost: Σ_{j: q_j = 0} p_j."""
    return jnp.sum(jnp.where(q > 0, 0.0, p))


def gini_simpson(q):
    """Gini–Simpson diversity 1 − Σ_j q_j² (the chance two draws differ); 0 once the chain has fixed on one state."""
    return 1.0 - jnp.sum(q**2)


def _p(truth):
    return jnp.asarray(truth.probs)


@dataclass(frozen=True)
class CategoricalTV(Metric):
    """Exact TV(truth, fit)."""

    name = "tv"

    def __call__(self, truth, model, params, *, key):
        return tv(_p(truth), params.probs)


@dataclass(frozen=True)
class CategoricalKL(DirectedMetric):
    """Exact KL; ``direction`` "truth_model" is KL(truth ‖ fit) (+∞ once a state is lost), "model_truth" KL(fit ‖ truth)."""

    prefix = "kl"

    def __call__(self, truth, model, params, *, key):
        p, q = _p(truth), params.probs
        return kl(p, q) if self.direction == "truth_model" else kl(q, p)


@dataclass(frozen=True)
class Entropy(Metric):
    """Entropy of the fit (nats)."""

    name = "entropy"

    def __call__(self, truth, model, params, *, key):
        return entropy(params.probs)


@dataclass(frozen=True)
class SupportSize(Metric):
    """Categories the fit still gives positive probability."""

    name = "support_size"

    def __call__(self, truth, model, params, *, key):
        return support_size(params.probs)


@dataclass(frozen=True)
class LostMass(Metric):
    """Truth mass on the categories the fit has lost (the lost tail, THEORY D1)."""

    name = "lost_mass"

    def __call__(self, truth, model, params, *, key):
        return lost_mass(_p(truth), params.probs)


@dataclass(frozen=True)
class GiniSimpson(Metric):
    """Gini–Simpson diversity of the fit."""

    name = "gini_simpson"

    def __call__(self, truth, model, params, *, key):
        return gini_simpson(params.probs)


@dataclass(frozen=True)
class StateMass(Metric):
    """The fit's probability of one category (``state``), e.g. to read fixation on it (THEORY D1)."""

    state: int = 0

    def __post_init__(self):
        _checks.integer("state", self.state, minimum=0)

    @property
    def name(self):
        return f"mass_{self.state}"

    def __call__(self, truth, model, params, *, key):
        return params.probs[self.state]


def default_metrics() -> tuple:
    return (CategoricalTV(), CategoricalKL("truth_model"), CategoricalKL("model_truth"), Entropy(), SupportSize(),
            LostMass(), GiniSimpson())


__all__ = ["tv", "kl", "entropy", "support_size", "lost_mass", "gini_simpson", "CategoricalTV", "CategoricalKL",
           "Entropy", "SupportSize", "LostMass", "GiniSimpson", "StateMass", "default_metrics"]
