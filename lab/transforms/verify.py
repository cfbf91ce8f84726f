"""Verification of synthetic samples (Feng et al. 2024; THEORY C2).

A verifier with true-positive rate tpr and false-positive rate fpr keeps each synthetic sample independently:
    P(keep | good(x)) = tpr,        P(keep | not good(x)) = fpr,
and marks the others rejected (weight 0; shapes stay static). The kept samples' law is
    q(x) ∝ p_θ(x)·(tpr·[good(x)] + fpr·[not good(x)]),
so verification tilts the model toward the good set exactly when tpr > fpr. tpr = fpr = 1 keeps everything and
returns the input bit for bit; tpr = fpr < 1 thins the data without changing its law.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.models.base import describe_dataclass


@dataclass(frozen=True)
class Verify:
    """Keep good samples with probability tpr and bad ones with probability fpr.

    Args:
      tpr: true-positive rate in [0, 1].
      fpr: false-positive rate in [0, 1].
      good: jnp-traceable predicate mapping rows (N, …) to booleans (N,) (e.g. ``Near``, ``DensityAbove``).

    Example:
      >>> import lab
      >>> v = lab.Verify(0.9, 0.2, lab.Near([[0.0]], radius=1.0))
    """

    tpr: float
    fpr: float
    good: Callable

    def __post_init__(self):
        _checks.real_in("tpr", self.tpr, 0.0, 1.0)
        _checks.real_in("fpr", self.fpr, 0.0, 1.0)
        if not callable(self.good):
            raise ValueError(f"good must be callable, got {type(self.good).__name__}")

    def n_in(self, m: int) -> int:
        return m

    def __call__(self, x, w, *, key, model, params, truth):
        """x: (m, …), w: (m,) → x unchanged, w with rejected samples set to 0."""
        if self.tpr == 1.0 and self.fpr == 1.0:  # the pass-all verifier keeps everything
            return x, w
        rate = jnp.where(self.good(x), self.tpr, self.fpr)
        keep = jax.random.uniform(key, (x.shape[0],)) < rate
        return x, jnp.where(keep, w, jnp.zeros_like(w))

    def describe(self) -> dict:
        return describe_dataclass(self)


@dataclass(frozen=True, eq=False)
class Near:
    """good(x) = x lies within ``radius`` (Euclidean) of one of ``centres`` (e.g. the truth's modes).

    Args:
      centres: (k, d) points.
      radius: > 0.
    """

    centres: np.ndarray
    radius: float

    def __post_init__(self):
        c = _checks.finite_array("centres", self.centres)
        object.__setattr__(self, "centres", c.reshape(-1, 1) if c.ndim == 1 else c)
        _checks.real_in("radius", self.radius, 0.0, np.inf, lo_open=True, hi_open=True)

    def __call__(self, x):
        d2 = jnp.sum((x[:, None, :] - jnp.asarray(self.centres)[None]) ** 2, axis=-1)
        return jnp.min(d2, axis=1) <= self.radius**2

    def describe(self) -> dict:
        return {"kind": "Near", "centres": self.centres.tolist(), "radius": self.radius}


@dataclass(frozen=True, eq=False)
class DensityAbove:
    """good(x) = truth.log_prob(x) ≥ threshold.

    Args:
      truth: a truth with ``log_prob``.
      threshold: log-density threshold.
    """

    truth: object
    threshold: float

    def __call__(self, x):
        return self.truth.log_prob(x) >= self.threshold

    def describe(self) -> dict:
        return {"kind": "DensityAbove", "truth": self.truth.describe(), "threshold": float(self.threshold)}


__all__ = ["Verify", "Near", "DensityAbove"]
