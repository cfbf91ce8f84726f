"""Gaussian kernel density estimate: the fitted law is the weighted mixture Σ_i (w_i/W) N(x_i, h² I).

Bandwidth h (isotropic), with W = Σ w_i the (frequency-weighted) sample size and σ̂² the weighted variance averaged
over the d coordinates, σ̂² = (1/d) Σ_c Σ_i w_i (x_ic − x̄_c)² / W:
    "scott":     h = σ̂ · W^{−1/(d+4)}                       (Scott 1992, eq. 6.42 with a pooled scale)
    "silverman": h = σ̂ · (4/(d+2))^{1/(d+4)} · W^{−1/(d+4)}  (Silverman 1986, eq. 4.14; 1.06σ̂W^{−1/5} in 1-D)
    a float:     that h, whatever the data.
With ``scale=σ`` the rule uses that σ instead of σ̂ (an ORACLE rule when σ is the truth's scale): h = σ·factor(W) then
depends on the sample size W only, not on the data (``lab.theory.kde_mixed`` covers it, not the data-driven rules).
Conventions differ between libraries, and the rule's name alone does not say which (tested in ``tests/test_peers.py``):
- scikit-learn: ``KernelDensity(bandwidth="scott")`` takes h = N^{−1/(d+4)} (and "silverman" (N(d+2)/4)^{−1/(d+4)}),
  the factor alone, with NO data scale. The compatible setting is ``KDE("scott", scale=1.0)`` (``"silverman"``
  likewise): the same log densities for unit weights. Kazdan et al.'s KDE runs ("Collapse or Thrive", KoyejoLab
  ``src/fit_kdes/fit_kdes.py``) use scikit-learn, so their "scott" is this one.
- scipy: ``gaussian_kde(x, bw_method="scott")`` scales the same factor by the data's spread, as ``KDE("scott")``
  does, but with the unbiased covariance (ddof = 1) and, in d > 1, the full covariance matrix as the kernel's shape.
  In 1-D ``KDE("scott")`` equals ``gaussian_kde(x, bw_method=N^{−1/5}·√((N − 1)/N))``; in d > 1 the lab's kernel
  is isotropic (h² I, σ̂² pooled over coordinates), which agrees with scipy's only for isotropic data.
``log_prob`` is exact; ``sample`` is exact: pick row i with probability w_i/W, add h·z.
Params hold the whole training buffer (points and weights), so the engine keeps one buffer per generation in memory.

Shapes: the engine pads every training set to one size with zero-weight rows (``lab/loop.py``), so the params keep
one shape across generations under every regime.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from lab import _checks
from lab.models.base import describe_dataclass


class KDEParams(NamedTuple):
    """Fitted KDE: points (N, d), weights (N,) (zero = empty slot), bandwidth h ()."""

    points: jax.Array
    weights: jax.Array
    bandwidth: jax.Array


@dataclass(frozen=True)
class KDE:
    """Gaussian KDE refit of every generation.

    Args:
      bandwidth: "scott", "silverman" (rules of thumb recomputed from each generation's data) or a float h > 0 (fixed).
      scale: None (the rule's scale is σ̂, from the data) or a float σ > 0 (oracle rule: h = σ·factor(W), W the weight
        sum; only with a rule name, not with a float bandwidth).

    Dataset variables: ``bandwidth`` (…), and the KDE law's own ``mean`` (…, dim) and ``cov`` (…, dim, dim2):
    mean = Σ w_i x_i / W, cov = Σ w_i (x_i − mean)(x_i − mean)ᵀ / W + h² I.
    """

    compile_bound = True  # float64 closed-form fits: small runs are compiled fast (lab.loop.compile_mode)

    bandwidth: str | float = "scott"
    scale: float | None = None

    def __post_init__(self):
        b = self.bandwidth
        if self.scale is not None:
            if not isinstance(b, str):
                raise ValueError(f"scale needs a rule name as bandwidth ('scott' or 'silverman'), got bandwidth {b!r}")
            object.__setattr__(self, "scale", _checks.real_in("scale", self.scale, 0.0, np.inf, lo_open=True,
                                                              hi_open=True))
        if isinstance(b, str):
            if b not in ("scott", "silverman"):
                raise ValueError(f"bandwidth must be 'scott', 'silverman' or a float > 0, got {b!r}")
        elif isinstance(b, numbers.Real) and not isinstance(b, bool):
            object.__setattr__(self, "bandwidth", _checks.real_in("bandwidth", b, 0.0, np.inf, lo_open=True, hi_open=True))
        else:
            raise ValueError(f"bandwidth must be 'scott', 'silverman' or a float > 0, got {b!r}")

    def check(self, truth) -> None:
        if not jnp.issubdtype(jnp.asarray(truth.sample(key=jax.random.key(0), n=1)).dtype, jnp.floating):
            raise ValueError(f"KDE needs a truth with real-valued samples, got {type(truth).__name__}")

    def _h(self, x, w):
        if not isinstance(self.bandwidth, str):
            return jnp.asarray(self.bandwidth, jnp.result_type(float))
        d = x.shape[-1]
        W = jnp.sum(w)
        if self.scale is not None:
            sigma = jnp.asarray(self.scale, jnp.result_type(float))
        else:
            mean = w @ x / W
            sigma = jnp.sqrt(jnp.sum(w[:, None] * (x - mean) ** 2) / (W * d))
        factor = W ** (-1.0 / (d + 4))
        if self.bandwidth == "silverman":
            factor = factor * (4.0 / (d + 2)) ** (1.0 / (d + 4))
        return sigma * factor

    def fit(self, x: jax.Array, w: jax.Array, *, key=None) -> KDEParams:
        """Keep the weighted points x: (N, d), w: (N,) and compute h."""
        x = jnp.where(w[:, None] > 0, x, 0.0)
        return KDEParams(x, w, self._h(x, w))

    def sample(self, params: KDEParams, *, key: jax.Array, n: int) -> jax.Array:
        """(n, d) exact draws: row i with probability w_i/W, plus h·z, z ~ N(0, I)."""
        ki, kz = jax.random.split(key)
        c = jnp.cumsum(params.weights)  # inverse-CDF pick: O(n log N), zero-weight slots are never hit
        i = jnp.clip(jnp.searchsorted(c, jax.random.uniform(ki, (n,)) * c[-1], side="right"), 0, c.shape[0] - 1)
        return params.points[i] + params.bandwidth * jax.random.normal(kz, (n, params.points.shape[-1]))

    def log_prob(self, params: KDEParams, x: jax.Array) -> jax.Array:
        """(n,) exact log density log Σ_i (w_i/W) N(x; x_i, h² I) at rows x: (n, d)."""
        d = x.shape[-1]
        h = params.bandwidth
        w = params.weights
        sq = jnp.sum((x[:, None, :] - params.points[None]) ** 2, axis=-1)
        logw = jnp.where(w > 0, jnp.log(jnp.where(w > 0, w, 1.0)), -jnp.inf) - jnp.log(jnp.sum(w))
        return logsumexp(logw[None] - 0.5 * sq / h**2, axis=-1) - d * jnp.log(h) - 0.5 * d * jnp.log(2 * jnp.pi)

    def variables(self, params: KDEParams) -> dict:
        x, w, h = (np.asarray(a) for a in params)  # leading axes (replicate, generation) in the engine
        W = w.sum(-1)
        mean = np.einsum("...n,...nd->...d", w, x) / W[..., None]
        r = x - mean[..., None, :]
        d = x.shape[-1]
        cov = np.einsum("...n,...nd,...ne->...de", w, r, r) / W[..., None, None] + (h**2)[..., None, None] * np.eye(d)
        return {"bandwidth": (h, ()), "mean": (mean, ("dim",)), "cov": (cov, ("dim", "dim2"))}

    def default_metrics(self, truth):
        from lab.metrics import samples

        out = (samples.TVMonteCarlo(),) if hasattr(truth, "log_prob") else ()
        return out + (samples.SlicedW2(), samples.MMD())

    def describe(self) -> dict:
        return describe_dataclass(self)


__all__ = ["KDE", "KDEParams"]
