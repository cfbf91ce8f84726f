"""Self-correction of synthetic samples (Gillman et al., ICML 2024; THEORY S2).

``Correct(gamma, corrector)`` replaces each synthetic sample, independently with probability τ = γ/(1+γ), by the
corrector's output for it, and leaves it alone otherwise. The law of a corrected sample is therefore
    π_γ p_θ = (p_θ + γ·C♯p_θ)/(1 + γ),
C♯p_θ the law of the corrector's output. Three correctors:

- ``Ideal()``: the output is a fresh truth sample, C♯p_θ = p*, so π_γ p_θ = (p_θ + γ p*)/(1 + γ) exactly — Gillman's
  idealized corrector (needs only the truth's sampler). γ = ∞ returns truth samples.
- ``Langevin(step_size, steps)``: unadjusted Langevin steps on log p* (the "physics simulator" analogue),
      x ← x + η ∇log p*(x) + √(2η) ξ,  ξ ~ N(0, I),
  with ∇log p* by ``jax.grad`` of ``truth.log_prob``. For p* = N(μ, s²) one step maps the error x − μ to
  (1 − η/s²)(x − μ) plus noise, and the chain's stationary law is N(μ, s²/(1 − η/(2s²))): choose η ≪ s² and
  steps ≳ s²/η so that (1 − η/s²)^steps is small (the defaults, η = 0.05 and 60 steps, leave 5% of the initial error
  and inflate the variance by 2.6% for s² = 1).
- ``Project(k, points, iterations, *, key)``: the nearest of k k-means centres of a fixed real dataset (the MNIST
  analogue). The real dataset is ``truth.sample(key=key, n=points)``, the same in every generation and replicate (the
  corrector's own data, not a draw of the loop: ``key`` is part of its configuration, like the truth's parameters); the
  centres come from Lloyd's algorithm in float64 numpy, initialised by farthest-first traversal from the point nearest
  the data mean, ties to the lowest index, at most ``iterations`` rounds — so they are a deterministic function of
  (truth, k, points, key, iterations), computed once per truth and cached.

A corrector is a frozen dataclass with ``__call__(x: (m, …), *, key, truth) -> (m, …)``, one output row per input row
(``key`` keyword-only, as everywhere in the lab).

Weights pass through unchanged (correction moves samples; it does not accept or reject them). γ = 0 gives τ = 0 and
returns the input bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks, keys
from lab.models.base import describe_dataclass


@dataclass(frozen=True)
class Ideal:
    """Gillman's idealized corrector: a fresh sample of the truth (C♯p_θ = p*)."""

    def __call__(self, x, *, key, truth):
        return truth.sample(key=key, n=x.shape[0]).astype(x.dtype)

    def describe(self) -> dict:
        return describe_dataclass(self)


@dataclass(frozen=True)
class Langevin:
    """``steps`` unadjusted Langevin steps of size η on log p* (see the module docstring for how to choose them).

    Args:
      step_size: η > 0, in squared units of x.
      steps: number of steps (≥ 1).
    """

    step_size: float = 0.05
    steps: int = 60

    def __post_init__(self):
        _checks.real_in("step_size", self.step_size, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.integer("steps", self.steps, minimum=1)

    def __call__(self, x, *, key, truth):
        if not jnp.issubdtype(x.dtype, jnp.floating):
            raise ValueError("Langevin needs real-valued samples (a truth with a differentiable log density)")
        eta = self.step_size
        score = jax.grad(lambda y: jnp.sum(truth.log_prob(y)))  # rows are independent: row i gets ∇log p*(x_i)

        def step(i, y):
            xi = jax.random.normal(jax.random.fold_in(key, i), y.shape, y.dtype)
            return y + eta * score(y) + jnp.sqrt(2 * eta) * xi

        return jax.lax.fori_loop(0, self.steps, step, x)

    def describe(self) -> dict:
        return describe_dataclass(self)


def kmeans(points: np.ndarray, k: int, iterations: int) -> np.ndarray:
    """(k, d) centres of points: (N, d) by Lloyd's algorithm from a farthest-first initialisation (deterministic).

    Init: the point nearest the mean, then repeatedly the point farthest from the centres so far. Rounds: assign each
    point to its nearest centre (lowest index on ties), move each centre to its points' mean (a centre with no points
    stays). Stops when assignments stop changing or after ``iterations`` rounds."""
    x = np.asarray(points, np.float64)
    idx = [int(np.argmin(np.sum((x - x.mean(0)) ** 2, 1)))]
    d2 = np.sum((x - x[idx[0]]) ** 2, 1)
    for _ in range(1, k):
        idx.append(int(np.argmax(d2)))
        d2 = np.minimum(d2, np.sum((x - x[idx[-1]]) ** 2, 1))
    c = x[idx].copy()
    assign = None
    for _ in range(iterations):
        new = np.argmin(np.sum((x[:, None, :] - c[None]) ** 2, -1), axis=1)
        if assign is not None and np.array_equal(new, assign):
            break
        assign = new
        for j in range(k):
            if np.any(assign == j):
                c[j] = x[assign == j].mean(0)
    return c


@lru_cache(maxsize=64)
def _centres(truth, k: int, points: int, key_data: tuple, iterations: int) -> np.ndarray:
    with jax.ensure_compile_time_eval():
        key = jax.random.wrap_key_data(jnp.asarray(np.array(key_data, np.uint32)))
        real = np.asarray(truth.sample(key=key, n=points), np.float64)
    return kmeans(real, k, iterations)


@dataclass(frozen=True)
class Project:
    """Projection onto the nearest k-means centre of a fixed real dataset (see the module docstring).

    Args:
      k: number of centres (≥ 1).
      points: size of the real dataset the centres are fitted on (≥ k).
      iterations: at most this many Lloyd rounds.
      key: keyword-only, a JAX key or an int seed (``lab.keys.as_key``); the real dataset is
        ``truth.sample(key=key, n=points)``. Stored as its raw key data (a tuple of ints, also accepted here), so the
        corrector stays hashable and describable; an int seed s gives the same dataset as ``jax.random.key(s)``.
    """

    k: int = 10
    points: int = 1000
    iterations: int = 100
    key: tuple = field(kw_only=True)

    def __post_init__(self):
        _checks.integer("k", self.k, minimum=1)
        _checks.integer("points", self.points, minimum=self.k)
        _checks.integer("iterations", self.iterations, minimum=1)
        key = self.key
        if isinstance(key, tuple):  # raw key data, as stored (``dataclasses.replace`` passes it back)
            if not all(isinstance(v, int) and 0 <= v < 2**32 for v in key):
                raise ValueError(f"key must be a JAX key, an int seed or raw uint32 key data, got {key!r}")
            key = np.array(key, np.uint32)
        object.__setattr__(self, "key", tuple(keys.key_data(keys.as_key(key))))

    def centres(self, truth) -> np.ndarray:
        """(k, d) the centres for this truth."""
        return _centres(truth, self.k, self.points, self.key, self.iterations)

    def __call__(self, x, *, key, truth):
        c = jnp.asarray(self.centres(truth), x.dtype)
        nearest = jnp.argmin(jnp.sum((x[:, None, :] - c[None]) ** 2, axis=-1), axis=1)
        return c[nearest]

    def describe(self) -> dict:
        return describe_dataclass(self)


@dataclass(frozen=True)
class Correct:
    """With probability γ/(1+γ) per sample, replace it by ``corrector``'s output: samples from π_γ p_θ.

    Args:
      gamma: γ ≥ 0, correction strength (``float('inf')`` allowed: always correct); 0 is the identity.
      corrector: ``Ideal()`` (default), ``Langevin(...)`` or ``Project(...)``.

    Example:
      >>> import lab
      >>> regime = lab.Replace(transforms=[lab.Correct(1.0, lab.Ideal())])
    """

    gamma: float
    corrector: object = Ideal()

    def __post_init__(self):
        if not (isinstance(self.gamma, (int, float)) and not isinstance(self.gamma, bool) and self.gamma >= 0):
            raise ValueError(f"gamma must be a number >= 0 (inf allowed), got {self.gamma!r}")
        if not callable(self.corrector):
            raise ValueError(f"corrector must be callable, got {type(self.corrector).__name__}")

    @property
    def tau(self) -> float:
        """τ = γ/(1+γ), the probability that a sample is corrected."""
        return 1.0 if np.isinf(self.gamma) else self.gamma / (1.0 + self.gamma)

    def n_in(self, m: int) -> int:
        return m

    def __call__(self, x, w, *, key, model, params, truth):
        """x: (m, …), w: (m,) → the same shapes."""
        if self.gamma == 0:  # τ = 0: nothing is corrected
            return x, w
        ku, kc = jax.random.split(key)
        hit = jax.random.uniform(ku, (x.shape[0],)) < self.tau
        y = self.corrector(x, key=kc, truth=truth)
        return jnp.where(hit.reshape((-1,) + (1,) * (x.ndim - 1)), y, x), w

    def describe(self) -> dict:
        return describe_dataclass(self)


__all__ = ["Correct", "Ideal", "Langevin", "Project", "kmeans"]
