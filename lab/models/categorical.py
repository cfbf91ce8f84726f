"""Categorical refit by (smoothed) empirical frequencies, sampled at a temperature (THEORY D1, D3).

Fit, with frequency weights w_i on category indices c_i ∈ {0, …, k−1} and W = Σ w_i:
    p̂(j) = (Σ_i w_i [c_i = j] + α) / (W + k α)        (α = ``smoothing``; α = 0 is the MLE of Shumailov et al. 2024)
Sampling at temperature τ draws from q(j) ∝ p̂(j)^{1/τ} (τ = 1 samples p̂ itself; τ → 0 the mode; τ → ∞ uniform on the
support of p̂; Marchi et al. 2024, THEORY D3). Samples are int32 indices of shape (n, 1), like ``lab.Categorical``'s.
The number of categories k comes from the truth: ``CategoricalFit()`` leaves it out and ``lab.simulate`` fills it in
(``for_truth``); an explicit k is checked against the truth. A jitted fit cannot learn k from the data, so calling
``fit`` or ``sample`` directly needs it given.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.models.base import describe_dataclass
from lab.truths import CATEGORY_DTYPE


class CategoricalParams(NamedTuple):
    """Fitted categorical: probs (k,) — the fitted p̂, before the sampling temperature."""

    probs: jax.Array


@dataclass(frozen=True)
class CategoricalFit:
    """Empirical-frequency refit of a categorical law on {0, …, categories − 1}.

    Args:
      categories: k, the number of categories (≥ 1), or None (the default) to take the truth's (``for_truth``); an
        explicit k must equal the truth's.
      smoothing: α ≥ 0, additive (Laplace/Lidstone) pseudo-count per category.
      temperature: τ > 0; the model samples from p̂^{1/τ} (normalised).

    Dataset variables: ``probs`` (…, category).
    """

    compile_bound = True  # float64 closed-form fits: small runs are compiled fast (lab.loop.compile_mode)

    categories: int | None = None
    smoothing: float = 0.0
    temperature: float = 1.0

    def __post_init__(self):
        if self.categories is not None:
            _checks.integer("categories", self.categories, minimum=1)
        _checks.real_in("smoothing", self.smoothing, 0.0, np.inf, hi_open=True)
        _checks.real_in("temperature", self.temperature, 0.0, np.inf, lo_open=True, hi_open=True)

    def for_truth(self, truth) -> "CategoricalFit":
        """This family with ``categories`` taken from the truth when it was left out (``lab.simulate`` calls this
        before ``check``); the family itself when k was given."""
        if self.categories is not None:
            return self
        self.check(truth)
        return replace(self, categories=truth.categories)

    def check(self, truth) -> None:
        k = getattr(truth, "categories", None)
        if k is None or (self.categories is not None and k != self.categories):
            raise ValueError(f"categories is {self.categories} but the truth has {k} categories "
                             f"(CategoricalFit needs a lab.Categorical truth)")

    def _k(self) -> int:
        if self.categories is None:
            raise ValueError("categories is None: give CategoricalFit(categories=k) to fit or sample outside "
                             "lab.simulate, or take k from the truth with CategoricalFit().for_truth(truth)")
        return self.categories

    def fit(self, x: jax.Array, w: jax.Array, *, key=None) -> CategoricalParams:
        """Weighted frequencies of indices x: (N, 1) with weights w: (N,)."""
        k = self._k()
        idx = jnp.clip(x[:, 0].astype(jnp.int32), 0, k - 1)
        counts = jnp.zeros((k,), w.dtype).at[idx].add(w)
        return CategoricalParams((counts + self.smoothing) / (jnp.sum(w) + k * self.smoothing))

    def sampling_probs(self, params: CategoricalParams) -> jax.Array:
        """(k,) the law the model samples from: p̂^{1/τ} / Σ p̂^{1/τ} (p̂ itself when τ = 1)."""
        if self.temperature == 1.0:
            return params.probs
        p = params.probs
        logp = jnp.where(p > 0, jnp.log(jnp.where(p > 0, p, 1.0)), -jnp.inf) / self.temperature
        return jax.nn.softmax(logp)

    def sample(self, params: CategoricalParams, *, key: jax.Array, n: int) -> jax.Array:
        """(n, 1) int32 category indices from ``sampling_probs``."""
        q = self.sampling_probs(params)
        logits = jnp.where(q > 0, jnp.log(jnp.where(q > 0, q, 1.0)), -jnp.inf)
        return jax.random.categorical(key, logits, shape=(n,)).astype(CATEGORY_DTYPE)[:, None]

    def log_prob(self, params: CategoricalParams, x: jax.Array) -> jax.Array:
        """(n,) log of the sampling law at indices x: (n, 1)."""
        q = self.sampling_probs(params)
        return jnp.where(q > 0, jnp.log(jnp.where(q > 0, q, 1.0)), -jnp.inf)[x[:, 0]]

    def variables(self, params: CategoricalParams) -> dict:
        return {"probs": (params.probs, ("category",))}

    def default_metrics(self, truth):
        from lab.metrics import categorical as cm

        return cm.default_metrics()

    def describe(self) -> dict:
        return describe_dataclass(self)


__all__ = ["CategoricalFit", "CategoricalParams"]
