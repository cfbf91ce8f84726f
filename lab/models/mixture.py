"""Gaussian mixture refit by weighted EM in JAX (Dempster, Laird & Rubin 1977), vectorised over replicates.

Initialisation (deterministic, a function of the weighted data only, so no key is needed):
  1. farthest-first traversal (Gonzalez 1985): centre 1 is the filled row farthest from the weighted mean; centre j is
     the filled row farthest from centres 1..j−1 (rows with zero weight are never chosen);
  2. means = those centres, every covariance = the weighted data covariance + reg·I, weights = 1/k.
Then ``iterations`` EM steps (fixed, no tolerance test, so the compiled loop has a static length). With frequency weights
w_i and responsibilities r_ij:
    N_j = Σ_i w_i r_ij,  π_j = N_j / W,  μ_j = Σ_i w_i r_ij x_i / N_j,  Σ_j = Σ_i w_i r_ij (x_i − μ_j)(x_i − μ_j)ᵀ / N_j + reg·I.
Empty-component guard: a component with N_j ≤ 1e-12·W keeps its previous mean and covariance (instead of 0/0) and
gets weight N_j/W ≈ 0; a component whose weight is exactly 0 never regains responsibility. ``reg`` (1e-6, scikit-learn's
``reg_covar`` default) keeps a component sitting on one point from becoming singular.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from lab import _checks
from lab.linalg import spd_inv_logdet, spd_root, sym
from lab.models.base import describe_dataclass


class MixtureParams(NamedTuple):
    """Fitted mixture: weights (k,), means (k, d), covs (k, d, d)."""

    weights: jax.Array
    means: jax.Array
    covs: jax.Array


def mixture_component_log_probs(params: MixtureParams, x: jax.Array) -> jax.Array:
    """(n, k) log π_j + log N(x; μ_j, Σ_j) for rows x: (n, d); −inf for components of weight 0."""
    d = x.shape[-1]
    prec, logdet = spd_inv_logdet(params.covs)
    r = x[:, None, :] - params.means[None]
    quad = jnp.einsum("nkd,kde,nke->nk", r, prec, r)
    log_pi = jnp.where(params.weights > 0, jnp.log(jnp.where(params.weights > 0, params.weights, 1.0)), -jnp.inf)
    return log_pi - 0.5 * (quad + logdet + d * jnp.log(2 * jnp.pi))


def _farthest_first(x, w, k):
    """(k, d) centres by farthest-first traversal over rows with w > 0, starting from the weighted mean."""
    mean = w @ x / jnp.sum(w)
    dist = jnp.where(w > 0, jnp.sum((x - mean) ** 2, axis=-1), -jnp.inf)
    centres = []
    for _ in range(k):
        c = x[jnp.argmax(dist)]
        centres.append(c)
        dist = jnp.minimum(dist, jnp.where(w > 0, jnp.sum((x - c) ** 2, axis=-1), -jnp.inf))
    return jnp.stack(centres)


@dataclass(frozen=True)
class MixtureFit:
    """k-component Gaussian mixture (full covariances), fitted by weighted EM.

    Args:
      k: number of components (≥ 1); every fit must see at least k points (``simulate`` refuses fewer).
      iterations: EM steps after the initialisation (≥ 1); 100 by default.
      reg: ridge added to every covariance (> 0); 1e-6 as scikit-learn's ``reg_covar``.

    Dataset variables: ``weights`` (…, component), ``means`` (…, component, dim), ``covs`` (…, component, dim, dim2).
    Components are not sorted: their labels come from the initialisation and may differ between replicates.
    """


    k: int
    iterations: int = 100
    reg: float = 1e-6

    def __post_init__(self):
        _checks.integer("k", self.k, minimum=1)
        _checks.integer("iterations", self.iterations, minimum=1)
        _checks.real_in("reg", self.reg, 0.0, np.inf, lo_open=True, hi_open=True)

    @property
    def min_points(self) -> int:
        """The fewest points a fit accepts: k (one per component), and at least 2 (``lab.loop.min_points``)."""
        return max(2, self.k)

    def check(self, truth) -> None:
        if not jnp.issubdtype(jnp.asarray(truth.sample(key=jax.random.key(0), n=1)).dtype, jnp.floating):
            raise ValueError(f"MixtureFit needs a truth with real-valued samples, got {type(truth).__name__}")

    def _init(self, x, w) -> MixtureParams:
        d = x.shape[-1]
        W = jnp.sum(w)
        mean = w @ x / W
        r = x - mean
        cov = sym((r * w[:, None]).T @ r / W) + self.reg * jnp.eye(d)
        return MixtureParams(jnp.full((self.k,), 1.0 / self.k), _farthest_first(x, w, self.k),
                             jnp.broadcast_to(cov, (self.k, d, d)))

    def _em_step(self, x, w, p: MixtureParams) -> MixtureParams:
        d = x.shape[-1]
        W = jnp.sum(w)
        logp = mixture_component_log_probs(p, x)
        resp = jnp.exp(logp - logsumexp(logp, axis=-1, keepdims=True)) * w[:, None]  # w_i r_ij, (N, k)
        resp = jnp.where(w[:, None] > 0, resp, 0.0)  # zero-weight slots contribute nothing (even if NaN)
        Nj = jnp.sum(resp, axis=0)
        alive = Nj > 1e-12 * W
        safe = jnp.where(alive, Nj, 1.0)
        means = resp.T @ x / safe[:, None]
        diff = x[:, None, :] - means[None]
        covs = sym(jnp.einsum("nk,nkd,nke->kde", resp, diff, diff) / safe[:, None, None]) + self.reg * jnp.eye(d)
        means = jnp.where(alive[:, None], means, p.means)
        covs = jnp.where(alive[:, None, None], covs, p.covs)
        return MixtureParams(Nj / W, means, covs)

    def fit(self, x: jax.Array, w: jax.Array, *, key=None) -> MixtureParams:
        """Weighted EM fit of x: (N, d) with frequency weights w: (N,) (zero = empty slot)."""
        x = jnp.where(w[:, None] > 0, x, 0.0)
        p = self._init(x, w)
        return jax.lax.fori_loop(0, self.iterations, lambda _, q: self._em_step(x, w, q), p)

    def sample(self, params: MixtureParams, *, key: jax.Array, n: int) -> jax.Array:
        """(n, d) draws: component j ~ π̂, then μ̂_j + Σ̂_j^{1/2} z."""
        kc, kz = jax.random.split(key)
        log_pi = jnp.where(params.weights > 0, jnp.log(jnp.where(params.weights > 0, params.weights, 1.0)), -jnp.inf)
        j = jax.random.categorical(kc, log_pi, shape=(n,))
        z = jax.random.normal(kz, (n, params.means.shape[-1]))
        roots = spd_root(params.covs)
        return params.means[j] + jnp.einsum("nde,ne->nd", roots[j], z)

    def log_prob(self, params: MixtureParams, x: jax.Array) -> jax.Array:
        """(n,) log density of the fitted mixture at rows x: (n, d)."""
        return logsumexp(mixture_component_log_probs(params, x), axis=-1)

    def variables(self, params: MixtureParams) -> dict:
        return {"weights": (params.weights, ("component",)), "means": (params.means, ("component", "dim")),
                "covs": (params.covs, ("component", "dim", "dim2"))}

    def default_metrics(self, truth):
        from lab.metrics import mixture, samples

        out = (mixture.ComponentsAlive(),)
        if hasattr(truth, "component_log_probs"):
            out += (mixture.ModesKept(),)
        if hasattr(truth, "log_prob"):
            out += (samples.TVMonteCarlo(),)
        return out

    def describe(self) -> dict:
        return describe_dataclass(self)


__all__ = ["MixtureFit", "MixtureParams", "mixture_component_log_probs"]
