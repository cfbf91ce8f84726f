"""The Gaussian family: weighted maximum likelihood (ddof=0) or unbiased (ddof=1) refit, optional sampling bias.

Fit (frequency weights w_i, W = Σ w_i):
    μ̂ = Σ w_i x_i / W,        Σ̂ = Σ w_i (x_i − μ̂)(x_i − μ̂)ᵀ / (W − ddof).
With unit weights and ddof = 0 this is the MLE (THEORY G1), with ddof = 1 the unbiased estimator (THEORY G2).
Sampling: x = μ̂ + √λ_s Σ̂^{1/2} z, z ~ N(0, I): MAD's sampling bias λ_s ∈ (0, 1] (Alemohammad et al., ICLR 2024,
§ "sampling bias"; THEORY G3). Σ̂^{1/2} is the PSD square root (eigh), so a collapsed, singular Σ̂ still samples
(onto its support) instead of failing as a Cholesky factor would.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.linalg import psd_sqrt, sym
from lab.models.base import describe_dataclass


class GaussianParams(NamedTuple):
    """Fitted Gaussian: mean (d,), cov (d, d)."""

    mean: jax.Array
    cov: jax.Array


class GaussianStats(NamedTuple):
    """Weighted statistics of a training set, mergeable: weight sum W (), mean (d,), M2 = Σ w_i (x_i − mean)(x_i − mean)ᵀ
    (d, d)."""

    W: jax.Array
    mean: jax.Array
    M2: jax.Array


@dataclass(frozen=True)
class GaussianFit:
    """Gaussian refit of every generation.

    Args:
      ddof: 0 for the MLE covariance (divide by W), 1 for the unbiased one (divide by W − 1).
      mean_only: fit the mean only; the covariance stays ``fixed_cov`` (the identity if not given).
      sampling_bias: λ_s ∈ (0, 1]; the model samples from N(μ̂, λ_s Σ̂) (MAD). 1 means unbiased sampling.
      fixed_cov: (d, d) covariance used when ``mean_only``; None means the identity.

    Dataset variables: ``mean`` (…, dim), ``cov`` (…, dim, dim2).
    """

    compile_bound = True  # float64 closed-form fits: small runs are compiled fast (lab.loop.compile_mode)

    ddof: int = 0
    mean_only: bool = False
    sampling_bias: float = 1.0
    fixed_cov: np.ndarray | None = None

    def __post_init__(self):
        if self.ddof not in (0, 1) or isinstance(self.ddof, bool):
            raise ValueError(f"ddof must be 0 or 1, got {self.ddof!r}")
        _checks.boolean("mean_only", self.mean_only)
        _checks.real_in("sampling_bias", self.sampling_bias, 0.0, 1.0, lo_open=True)
        if self.fixed_cov is not None:
            c = np.atleast_2d(_checks.finite_array("fixed_cov", self.fixed_cov))
            object.__setattr__(self, "fixed_cov", _checks.covariance("fixed_cov", c, c.shape[0]))
            if not self.mean_only:
                raise ValueError("fixed_cov is only used with mean_only=True")

    def check(self, truth) -> None:
        if not hasattr(truth, "mean") or np.ndim(truth.mean) != 1:
            raise ValueError(f"GaussianFit needs a truth with a vector mean, got {type(truth).__name__}")
        if self.fixed_cov is not None and self.fixed_cov.shape[0] != truth.dim:
            raise ValueError(f"fixed_cov has dimension {self.fixed_cov.shape[0]}, truth has dimension {truth.dim}")

    def fit(self, x: jax.Array, w: jax.Array, *, key=None) -> GaussianParams:
        """Weighted fit of x: (N, d) with weights w: (N,). W ≤ ddof falls back to dividing by W."""
        W = jnp.sum(w)
        mean = jnp.sum(w[:, None] * x, axis=0) / W  # sums, not w @ x: batched 1×N·N×1 products are slow on CPU
        if self.mean_only:
            d = x.shape[-1]
            cov = jnp.eye(d) if self.fixed_cov is None else jnp.asarray(self.fixed_cov)
            return GaussianParams(mean, cov)
        r = x - mean
        denom = jnp.where(W - self.ddof > 0, W - self.ddof, W)
        if x.shape[-1] == 1:
            return GaussianParams(mean, (jnp.sum(w * r[:, 0] ** 2) / denom).reshape(1, 1))
        cov = sym((r * w[:, None]).T @ r / denom)
        return GaussianParams(mean, cov)

    def summarize(self, x: jax.Array, w: jax.Array) -> GaussianStats:
        """Statistics (W, mean, M2) of x: (N, d) with weights w: (N,); an all-zero block gives W = 0, mean 0, M2 0."""
        W = jnp.sum(w)
        mean = jnp.sum(w[:, None] * x, axis=0) / jnp.where(W > 0, W, 1.0)
        r = x - mean
        M2 = jnp.sum(w * r[:, 0] ** 2).reshape(1, 1) if x.shape[-1] == 1 else sym((r * w[:, None]).T @ r)
        return GaussianStats(W, mean, M2)

    def merge(self, a: GaussianStats, b: GaussianStats) -> GaussianStats:
        """Statistics of the union of two training sets (Chan, Golub & LeVeque 1979, "Updating formulae and a pairwise
        algorithm for computing sample variances", eq. 2.1; stable, unlike Σ w x xᵀ − W μμᵀ):
            W = W_a + W_b,  δ = μ_b − μ_a,  μ = μ_a + δ W_b / W,  M2 = M2_a + M2_b + δδᵀ W_a W_b / W."""
        W = a.W + b.W
        delta = b.mean - a.mean
        return GaussianStats(W, a.mean + delta * (b.W / W), a.M2 + b.M2 + jnp.outer(delta, delta) * (a.W * b.W / W))

    def fit_summary(self, s: GaussianStats) -> GaussianParams:
        """The fit of the training set that ``s`` summarises: μ̂ = mean, Σ̂ = M2 / (W − ddof) (W ≤ ddof: / W).
        Equal to ``fit`` on the same rows up to floating-point rounding (the sums run in another order)."""
        if self.mean_only:
            d = s.mean.shape[-1]
            return GaussianParams(s.mean, jnp.eye(d) if self.fixed_cov is None else jnp.asarray(self.fixed_cov))
        return GaussianParams(s.mean, s.M2 / jnp.where(s.W - self.ddof > 0, s.W - self.ddof, s.W))

    def sample(self, params: GaussianParams, *, key: jax.Array, n: int) -> jax.Array:
        """(n, d) draws from N(μ̂, λ_s Σ̂)."""
        d = params.mean.shape[-1]
        z = jax.random.normal(key, (n, d))
        if d == 1:  # the 1-D root needs no eigendecomposition
            root = jnp.sqrt(jnp.clip(params.cov, 0.0, None))
        else:
            root = psd_sqrt(params.cov)
        return params.mean + jnp.sqrt(self.sampling_bias) * z @ root.T

    def log_prob(self, params: GaussianParams, x: jax.Array) -> jax.Array:
        """(n,) log density of N(μ̂, λ_s Σ̂) — the law the model samples from."""
        from lab.truths import gaussian_log_prob

        return gaussian_log_prob(params.mean, self.sampling_bias * params.cov, x)

    def variables(self, params: GaussianParams) -> dict:
        return {"mean": (params.mean, ("dim",)), "cov": (params.cov, ("dim", "dim2"))}

    def default_metrics(self, truth):
        from lab.metrics import gaussian as gm

        return gm.default_metrics(truth.dim)

    def describe(self) -> dict:
        return describe_dataclass(self)
