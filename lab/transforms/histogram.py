"""Gillman et al.'s shipped corrector: rejection sampling toward a histogram of the batch mixed with the truth.

Their toy (github.com/nate-gillman/self-correcting-self-consuming, ``exp_scripts/gaussian_toy_example.py``,
``RejectionSamplingCorrection.rejection_sampling``) replaces the whole synthetic batch x (m rows) by m draws from
    f(y) = (1 − τ)·H_x(y) + τ·p*(y),        τ = γ/(1 + γ),
H_x the density of a ``bins`` × ``bins`` histogram of x (``np.histogram2d(..., density=True)``: per axis ``bins``
equal cells from the batch's minimum to its maximum), by rejection from the proposal g = N(μ*, s·Σ*) (s = 2) with the
bound M = p*(0)/g(0), taken at the origin. A candidate y ~ g is kept when f(y)/(M g(y)) > u, u ~ U(0, 1); the kept
draws therefore follow min(f, M g) normalised — not f, wherever the histogram's density exceeds the bound, which happens
in the batch's densest cells: at γ = 0 the corrector does not return its input but a capped histogram resample
(uniform within cells, cut down where the cells are dense, zero outside the histogram's range). The cell of y is
``int((y − edge_0)/Δ)`` per axis as in the peer's code; ``int`` truncates toward zero, so the first cell on each axis
also covers one cell width below the batch's minimum. In d dimensions the histogram has bins^d cells (the peer's is
2-D); a candidate's density is counted directly from the batch, so no bins^d array is built.

``Correct(γ, Ideal())`` is the idealized π_γ of the paper; this is the corrector their Gaussian figure ran. Its mean
Jacobian (for the contraction, ``lab.theory.correction.batch_jacobian``) is measured, not derived.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.models.base import describe_dataclass


def _cells(y, lo, delta):
    """(…, d) integer cell index of rows y per axis, truncated toward zero as Python's ``int`` does."""
    return jnp.trunc((y - lo) / delta).astype(jnp.int32)


def histogram_density(y, x, w, bins: int):
    """(k,) density at rows y: (k, d) of the histogram of x: (m, d) with weights w: (m,) (numpy's ``histogramdd``
    with ``density=True``: ``bins`` equal cells per axis over [min, max], widened by ±0.5 when min = max), the cell
    of y found by truncation toward zero as in Gillman's code; 0 outside the histogram."""
    big = jnp.asarray(jnp.inf, x.dtype)
    lo = jnp.min(jnp.where(w[:, None] > 0, x, big), axis=0)
    hi = jnp.max(jnp.where(w[:, None] > 0, x, -big), axis=0)
    flat = hi == lo
    lo, hi = jnp.where(flat, lo - 0.5, lo), jnp.where(flat, hi + 0.5, hi)
    delta = (hi - lo) / bins
    cx = jnp.clip(jnp.floor((x - lo) / delta).astype(jnp.int32), 0, bins - 1)  # the maximum falls in the last cell
    cy = _cells(y, lo, delta)
    inside = jnp.all((cy >= 0) & (cy < bins), axis=-1)
    count = jnp.sum(jnp.where(jnp.all(cy[:, None, :] == cx[None], axis=-1), w[None], 0.0), axis=-1)
    return jnp.where(inside, count / (jnp.sum(w) * jnp.prod(delta)), 0.0)


@dataclass(frozen=True)
class HistogramCorrect:
    """Replace the batch by m rejection draws from (1 − τ)·histogram + τ·p*, capped at M·g (see the module docstring).

    Args:
      gamma: γ ≥ 0; τ = γ/(1 + γ) is the truth's share of the target. γ = 0 is NOT the identity (a histogram resample).
      bins: cells per axis of the histogram (Gillman: 10).
      proposal_scale: s, the proposal is N(μ*, s·Σ*) (Gillman: 2).
      rounds: at most this many rounds of 4m candidates; a slot still empty after them gets weight 0.

    Needs a Gaussian truth (``mean``, ``cov``, ``log_prob``).

    Example:
      >>> import lab
      >>> regime = lab.RecencyAccumulate(synthetic=25, transforms=[lab.HistogramCorrect(1.0)])
    """

    gamma: float
    bins: int = 10
    proposal_scale: float = 2.0
    rounds: int = 64

    def __post_init__(self):
        if not (isinstance(self.gamma, (int, float)) and not isinstance(self.gamma, bool) and 0 <= self.gamma < np.inf):
            raise ValueError(f"gamma must be a finite number >= 0, got {self.gamma!r}")
        _checks.integer("bins", self.bins, minimum=1)
        _checks.real_in("proposal_scale", self.proposal_scale, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.integer("rounds", self.rounds, minimum=1)

    @property
    def tau(self) -> float:
        return self.gamma / (1.0 + self.gamma)

    def n_in(self, m: int) -> int:
        return m

    def _proposal(self, truth):
        if not (hasattr(truth, "cov") and hasattr(truth, "log_prob")):
            raise ValueError("HistogramCorrect needs a Gaussian truth (mean, cov, log_prob), "
                             f"got {type(truth).__name__}")
        mu, cov = np.asarray(truth.mean, float), self.proposal_scale * np.asarray(truth.cov, float)
        root = np.linalg.cholesky(cov)
        prec, logdet = np.linalg.inv(cov), np.linalg.slogdet(cov)[1]
        d = mu.shape[0]

        def log_g(y):
            r = y - mu
            return -0.5 * (jnp.einsum("kd,de,ke->k", r, prec, r) + logdet + d * np.log(2 * np.pi))

        with jax.ensure_compile_time_eval():  # the bound M = p*(0)/g(0), at the origin as in the peer's code
            log_m = float(truth.log_prob(jnp.zeros((1, d)))[0] - log_g(jnp.zeros((1, d)))[0])
        return mu, root, log_g, log_m

    def __call__(self, x, w, *, key, model, params, truth):
        """x: (m, d), w: (m,) → m corrected rows and their weights (1, or 0 for a slot left empty)."""
        mu, root, log_g, log_m = self._proposal(truth)
        m, d = x.shape
        k = 4 * m
        tau = self.tau

        def one_round(carry):
            r, count, out = carry
            kz, ku = jax.random.split(jax.random.fold_in(key, r))
            y = mu + jax.random.normal(kz, (k, d), x.dtype) @ root.T
            f = (1 - tau) * histogram_density(y, x, w, self.bins) + tau * jnp.exp(truth.log_prob(y))
            accept = f / jnp.exp(log_m + log_g(y)) > jax.random.uniform(ku, (k,), x.dtype)
            hits = accept.astype(jnp.int32)
            pos = count + jnp.cumsum(hits) - 1
            out = out.at[jnp.where(accept & (pos < m), pos, m)].set(y, mode="drop")
            return r + 1, count + jnp.sum(hits, dtype=jnp.int32), out

        zero = jnp.zeros((), jnp.int32)
        _, count, out = jax.lax.while_loop(lambda c: (c[1] < m) & (c[0] < self.rounds), one_round,
                                           (zero, zero, jnp.zeros_like(x)))
        return out, jnp.where(jnp.arange(m) < count, 1.0, 0.0).astype(w.dtype)

    def describe(self) -> dict:
        return describe_dataclass(self)


__all__ = ["HistogramCorrect", "histogram_density"]
