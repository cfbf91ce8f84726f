"""Mode metrics for mixture worlds: how many components or modes still hold mass."""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from lab import _checks
from lab.metrics.base import Metric


@dataclass(frozen=True)
class ComponentsAlive(Metric):
    """Number of fitted mixture components (``MixtureParams``) with weight π̂_j > ``threshold`` (default 0.01)."""

    threshold: float = 0.01
    name = "components_alive"

    def __post_init__(self):
        _checks.real_in("threshold", self.threshold, 0.0, 1.0, hi_open=True)

    def __call__(self, truth, model, params, *, key):
        return jnp.sum(params.weights > self.threshold)


def mode_shares(truth, x):
    """(k,) share of the rows x: (n, d) that the truth's posterior assigns to each of its components:
    m_j = mean_i Pr_truth(component j | x_i). With x drawn from the truth, E[m_j] = π_j."""
    logp = truth.component_log_probs(x)
    return jnp.mean(jax.nn.softmax(logp, axis=-1), axis=0)


@dataclass(frozen=True)
class ModesKept(Metric):
    """Number of the truth's components j (a ``lab.GaussianMixture``) still holding mass under the model: those with
    m_j ≥ ``threshold``·π_j, where m_j is ``mode_shares`` over ``samples`` model draws (Monte Carlo). Works for any
    family that samples (mixture, KDE, Gaussian)."""

    threshold: float = 0.1
    samples: int = 2048
    name = "modes_kept"

    def __post_init__(self):
        _checks.real_in("threshold", self.threshold, 0.0, 1.0, lo_open=True)
        _checks.integer("samples", self.samples, minimum=1)

    def __call__(self, truth, model, params, *, key):
        m = mode_shares(truth, model.sample(params, key=key, n=self.samples))
        return jnp.sum(m >= self.threshold * jnp.asarray(truth.weights))


__all__ = ["ComponentsAlive", "ModesKept", "mode_shares"]
