"""Truths: the real-data distributions P_r that loops start from and are measured against.

A truth is a frozen dataclass holding numpy arrays (constants for JAX), with
``sample(*, key, n) -> (n, d)``, ``log_prob(x: (n, d)) -> (n,)`` and ``dim``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.linalg import eigh, psd_sqrt


@dataclass(frozen=True, eq=False)
class Gaussian:
    """The normal law N(mean, cov) in d dimensions.

    Args:
      mean: (d,) mean vector (a scalar is read as d = 1).
      cov: (d, d) symmetric positive-definite covariance (a scalar is read as a 1×1 variance).

    Example:
      >>> import jax, lab
      >>> truth = lab.Gaussian(mean=[0.0], cov=[[1.0]])
      >>> truth.sample(key=jax.random.key(0), n=5).shape
      (5, 1)
    """

    mean: np.ndarray
    cov: np.ndarray
    _sqrt: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        mean = np.atleast_1d(_checks.finite_array("mean", self.mean))
        if mean.ndim != 1:
            raise ValueError(f"mean must be a vector of shape (d,), got shape {mean.shape}")
        cov = _checks.finite_array("cov", self.cov)
        cov = cov.reshape(1, 1) if cov.ndim == 0 else cov
        cov = _checks.covariance("cov", cov, mean.shape[0])
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "_sqrt", np.asarray(psd_sqrt(jnp.asarray(cov))))

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    def sample(self, *, key: jax.Array, n: int) -> jax.Array:
        """(n, d) independent draws: mean + cov^{1/2} z, z ~ N(0, I)."""
        z = jax.random.normal(key, (n, self.dim))
        return self.mean + z @ self._sqrt.T

    def log_prob(self, x: jax.Array) -> jax.Array:
        """(n,) log densities of the rows of x: (n, d)."""
        return gaussian_log_prob(jnp.asarray(self.mean), jnp.asarray(self.cov), x)

    def describe(self) -> dict:
        return {"kind": "Gaussian", "mean": self.mean.tolist(), "cov": self.cov.tolist()}


def gaussian_log_prob(mean: jax.Array, cov: jax.Array, x: jax.Array) -> jax.Array:
    """log N(x; mean, cov) for rows x: (n, d); −inf off the support of a singular cov's law."""
    d = mean.shape[-1]
    evals, evecs = eigh(cov)
    r = (x - mean) @ evecs
    pos = evals > 0
    safe = jnp.where(pos, evals, 1.0)
    quad = jnp.sum(jnp.where(pos, r**2 / safe, 0.0), axis=-1)
    off = jnp.any(jnp.where(pos, False, jnp.abs(r) > 0), axis=-1)
    logdet = jnp.sum(jnp.log(safe))
    lp = -0.5 * (quad + logdet + d * jnp.log(2 * jnp.pi))
    return jnp.where(jnp.all(pos) & ~off, lp, -jnp.inf)
