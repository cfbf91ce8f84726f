"""More truths: Gaussian mixtures (with the 2-D ring and grid), categoricals (with a Zipf helper), the
linear-regression world, finite datasets.

Same contract as ``lab.truths.Gaussian``: a frozen dataclass holding numpy constants, with ``sample(*, key, n)``,
``log_prob(x)`` where a density exists, ``dim`` and ``describe()``. Bad input raises ``ValueError`` naming the parameter.
Matrix factorisations are done once here, in numpy, so nothing batched reaches LAPACK inside jitted code.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from lab import _checks
from lab.keys import as_key

CATEGORY_DTYPE = jnp.int32  # category indices, shared by the Categorical truth and CategoricalFit samples


def _simplex(name: str, value) -> np.ndarray:
    p = _checks.finite_array(name, value, ndim=1)
    if p.size < 1 or np.any(p < 0) or not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"{name} must be a non-empty vector of non-negative numbers summing to 1, got {p.tolist()}")
    return p / p.sum()


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    """Σ_j π_j N(μ_j, Σ_j) in d dimensions.

    Args:
      weights: (k,) mixing weights π, non-negative, summing to 1.
      means: (k, d) component means (a (k,) vector is read as d = 1).
      covs: (k, d, d) symmetric positive-definite covariances ((k,) variances when d = 1).

    Example:
      >>> import jax, lab
      >>> gm = lab.GaussianMixture([0.5, 0.5], [[-3.0], [3.0]], [[[1.0]], [[1.0]]])
      >>> gm.sample(key=jax.random.key(0), n=4).shape
      (4, 1)
    """

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray
    _roots: np.ndarray = field(init=False, repr=False)  # (k, d, d) Cholesky factors
    _precisions: np.ndarray = field(init=False, repr=False)  # (k, d, d)
    _logdets: np.ndarray = field(init=False, repr=False)  # (k,)

    def __post_init__(self):
        w = _simplex("weights", self.weights)
        means = _checks.finite_array("means", self.means)
        means = means[:, None] if means.ndim == 1 else means
        if means.ndim != 2 or means.shape[0] != w.shape[0]:
            raise ValueError(f"means must have shape (k, d) with k = {w.shape[0]}, got {np.shape(self.means)}")
        k, d = means.shape
        covs = _checks.finite_array("covs", self.covs)
        covs = covs.reshape(k, 1, 1) if covs.shape == (k,) else covs
        if covs.shape != (k, d, d):
            raise ValueError(f"covs must have shape ({k}, {d}, {d}), got {covs.shape}")
        covs = np.stack([_checks.covariance(f"covs[{j}]", c, d) for j, c in enumerate(covs)])
        for name, v in (("weights", w), ("means", means), ("covs", covs)):
            object.__setattr__(self, name, v)
        object.__setattr__(self, "_roots", np.linalg.cholesky(covs))
        object.__setattr__(self, "_precisions", np.linalg.inv(covs))
        object.__setattr__(self, "_logdets", np.linalg.slogdet(covs)[1])

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def components(self) -> int:
        return self.means.shape[0]

    def sample(self, *, key: jax.Array, n: int) -> jax.Array:
        """(n, d) draws: component j ~ π, then μ_j + L_j z with L_j L_jᵀ = Σ_j."""
        kc, kz = jax.random.split(key)
        j = jax.random.categorical(kc, jnp.log(jnp.asarray(self.weights)), shape=(n,))
        z = jax.random.normal(kz, (n, self.dim))
        return jnp.asarray(self.means)[j] + jnp.einsum("nde,ne->nd", jnp.asarray(self._roots)[j], z)

    def component_log_probs(self, x: jax.Array) -> jax.Array:
        """(n, k) log π_j + log N(x; μ_j, Σ_j) for rows x: (n, d)."""
        r = x[:, None, :] - jnp.asarray(self.means)[None]
        quad = jnp.einsum("nkd,kde,nke->nk", r, jnp.asarray(self._precisions), r)
        log_n = -0.5 * (quad + jnp.asarray(self._logdets) + self.dim * jnp.log(2 * jnp.pi))
        return jnp.log(jnp.asarray(self.weights)) + log_n

    def log_prob(self, x: jax.Array) -> jax.Array:
        """(n,) log densities of rows x: (n, d)."""
        return logsumexp(self.component_log_probs(x), axis=-1)

    def describe(self) -> dict:
        return {"kind": "GaussianMixture", "weights": self.weights.tolist(), "means": self.means.tolist(),
                "covs": self.covs.tolist()}


def ring(k: int = 8, radius: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """k equal-weight isotropic Gaussians in 2-D, N(μ_j, std² I), μ_j = radius·(cos 2πj/k, sin 2πj/k), j = 0..k−1."""
    k = _checks.integer("k", k, minimum=1)
    radius = _checks.real_in("radius", radius, 0.0, np.inf, hi_open=True)
    std = _checks.real_in("std", std, 0.0, np.inf, lo_open=True, hi_open=True)
    angle = 2.0 * np.pi * np.arange(k) / k
    means = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return GaussianMixture(np.full(k, 1.0 / k), means, np.tile(std**2 * np.eye(2), (k, 1, 1)))


def grid(k: int = 5, spacing: float = 1.0, std: float = 0.05) -> GaussianMixture:
    """k² equal-weight isotropic Gaussians in 2-D on a k × k grid centred at the origin: N(μ_ij, std² I),
    μ_ij = spacing·(i − (k−1)/2, j − (k−1)/2), i, j = 0..k−1 (k = 5: the classic 25-Gaussian grid)."""
    k = _checks.integer("k", k, minimum=1)
    spacing = _checks.real_in("spacing", spacing, 0.0, np.inf, hi_open=True)
    std = _checks.real_in("std", std, 0.0, np.inf, lo_open=True, hi_open=True)
    axis = spacing * (np.arange(k) - (k - 1) / 2.0)
    means = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    return GaussianMixture(np.full(k * k, 1.0 / (k * k)), means, np.tile(std**2 * np.eye(2), (k * k, 1, 1)))


def zipf(k: int, s: float = 1.0) -> np.ndarray:
    """(k,) Zipf probabilities p(i) ∝ 1/i^s, i = 1..k (rank 1 the most frequent)."""
    k = _checks.integer("k", k, minimum=1)
    s = _checks.real_in("s", s, 0.0, np.inf, hi_open=True)
    p = 1.0 / np.arange(1, k + 1, dtype=np.float64) ** s
    return p / p.sum()


@dataclass(frozen=True, eq=False)
class Categorical:
    """A law on the categories {0, …, k−1}. Samples are integer indices of shape (n, 1), dtype int32.

    Args:
      probs: (k,) probabilities, non-negative, summing to 1 (``lab.zipf(k, s)`` gives a Zipf law).

    Example:
      >>> import jax, lab
      >>> lab.Categorical(lab.zipf(10, 1.1)).sample(key=jax.random.key(0), n=3).shape
      (3, 1)
    """

    probs: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "probs", _simplex("probs", self.probs))

    @property
    def dim(self) -> int:
        return 1

    @property
    def categories(self) -> int:
        return self.probs.shape[0]

    def sample(self, *, key: jax.Array, n: int) -> jax.Array:
        """(n, 1) int32 category indices."""
        idx = jax.random.categorical(key, jnp.log(jnp.asarray(self.probs)), shape=(n,))
        return idx.astype(CATEGORY_DTYPE)[:, None]

    def log_prob(self, x: jax.Array) -> jax.Array:
        """(n,) log p(x_i) for indices x: (n, 1)."""
        return jnp.log(jnp.asarray(self.probs))[x[:, 0]]

    def describe(self) -> dict:
        return {"kind": "Categorical", "probs": self.probs.tolist()}


@dataclass(frozen=True, eq=False)
class LinearModel:
    """The regression world of THEORY G5: x ~ N(0, I_d), y = x·w + ε, ε ~ N(0, noise²).

    Samples are rows [x, y] of shape (n, d + 1) (the label is the last column).

    Args:
      w: (d,) true coefficients w*.
      noise: σ > 0, the label noise's standard deviation.
    """

    w: np.ndarray
    noise: float

    def __post_init__(self):
        w = np.atleast_1d(_checks.finite_array("w", self.w))
        if w.ndim != 1:
            raise ValueError(f"w must be a vector of shape (d,), got shape {w.shape}")
        object.__setattr__(self, "w", w)
        object.__setattr__(self, "noise", _checks.real_in("noise", self.noise, 0.0, np.inf, lo_open=True, hi_open=True))

    @property
    def features(self) -> int:
        return self.w.shape[0]

    @property
    def dim(self) -> int:
        return self.features + 1

    def sample(self, *, key: jax.Array, n: int) -> jax.Array:
        """(n, d + 1) rows [x, x·w + σ ε]."""
        kx, ke = jax.random.split(key)
        x = jax.random.normal(kx, (n, self.features))
        y = x @ jnp.asarray(self.w) + self.noise * jax.random.normal(ke, (n,))
        return jnp.concatenate([x, y[:, None]], axis=1)

    def log_prob(self, xy: jax.Array) -> jax.Array:
        """(n,) joint log density log N(x; 0, I) + log N(y; x·w, σ²) of rows [x, y]."""
        x, y = xy[:, :-1], xy[:, -1]
        lx = -0.5 * jnp.sum(x**2, axis=-1) - 0.5 * self.features * jnp.log(2 * jnp.pi)
        ly = -0.5 * ((y - x @ jnp.asarray(self.w)) / self.noise) ** 2 - jnp.log(self.noise) - 0.5 * jnp.log(2 * jnp.pi)
        return lx + ly

    def describe(self) -> dict:
        return {"kind": "LinearModel", "w": self.w.tolist(), "noise": self.noise}


@dataclass(frozen=True, eq=False)
class Dataset:
    """The empirical law of a finite dataset: ``sample`` draws rows uniformly with replacement. No density.

    Args:
      points: (N, d) rows (a (N,) vector is read as d = 1), N ≥ 1, finite.
      name: a label recorded in ``describe()`` (the points themselves are summarised by shape and a checksum).
    """

    points: np.ndarray
    name: str = "dataset"

    def __post_init__(self):
        p = _checks.finite_array("points", self.points)
        p = p[:, None] if p.ndim == 1 else p
        if p.ndim != 2 or p.shape[0] < 1:
            raise ValueError(f"points must have shape (N, d) with N >= 1, got {np.shape(self.points)}")
        object.__setattr__(self, "points", p)

    @property
    def dim(self) -> int:
        return self.points.shape[1]

    def sample(self, *, key: jax.Array, n: int) -> jax.Array:
        """(n, d) rows drawn uniformly with replacement."""
        idx = jax.random.randint(key, (n,), 0, self.points.shape[0])
        return jnp.asarray(self.points)[idx]

    def describe(self) -> dict:
        import hashlib

        digest = hashlib.sha256(np.ascontiguousarray(self.points).tobytes()).hexdigest()[:16]
        return {"kind": "Dataset", "name": self.name, "shape": list(self.points.shape), "sha256": digest}


def two_moons(*, key, n: int = 1000, noise: float = 0.1) -> Dataset:
    """scikit-learn's two interleaving half-circles (``sklearn.datasets.make_moons``) as a finite-dataset truth.

    Args:
      key: a non-negative int seed, passed to make_moons as ``random_state`` (the dataset is then fixed), or a JAX
        key, from which such a seed is drawn (``jax.random.randint``).
      n: points in the dataset (≥ 2).
      noise: standard deviation of the Gaussian noise added to the points (≥ 0).
    """
    from sklearn.datasets import make_moons

    n = _checks.integer("n", n, minimum=2)
    noise = _checks.real_in("noise", noise, 0.0, np.inf, hi_open=True)
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        seed = _checks.integer("key", key, minimum=0)
    else:
        seed = int(jax.random.randint(as_key(key), (), 0, 2**31 - 1))
    x, _ = make_moons(n_samples=n, noise=noise, random_state=seed)
    return Dataset(x, name=f"two_moons(n={n}, noise={noise}, seed={seed})")


@dataclass(frozen=True)
class MakeMoons:
    """The law of ``sklearn.datasets.make_moons(n, noise=noise)``: each call's n rows are ⌊n/2⌋ points at EVENLY
    spaced angles on the upper half-circle and n − ⌊n/2⌋ on the lower one, in random order, plus N(0, noise²·I) —
        outer: (cos θ_i, sin θ_i),        θ_i = linspace(0, π, ⌊n/2⌋),
        inner: (1 − cos φ_j, 1/2 − sin φ_j),  φ_j = linspace(0, π, n − ⌊n/2⌋)
    (scikit-learn 1.x ``make_moons`` with ``shuffle=True``). Rows of one call are exchangeable but not independent:
    the angles are a grid, not draws. ``lab.two_moons`` instead resamples a fixed make_moons pool with replacement.
    Kazdan et al.'s KDE experiments (KoyejoLab ``src/data.py``, ``create_dataset_for_kde``) draw their training and
    test sets this way. No density (``log_prob``): the law of a row depends on n.

    Args:
      noise: standard deviation of the Gaussian noise (≥ 0; Kazdan et al.: 0.05).

    Example:
      >>> import jax, lab
      >>> lab.MakeMoons(0.05).sample(key=jax.random.key(0), n=6).shape
      (6, 2)
    """

    noise: float = 0.05

    def __post_init__(self):
        object.__setattr__(self, "noise", _checks.real_in("noise", self.noise, 0.0, np.inf, hi_open=True))

    @property
    def dim(self) -> int:
        return 2

    @staticmethod
    def grid(n: int) -> np.ndarray:
        """(n, 2) the noiseless make_moons points, outer half-circle first (before shuffling)."""
        out, inn = n // 2, n - n // 2
        a, b = np.linspace(0, np.pi, out), np.linspace(0, np.pi, inn)
        return np.concatenate([np.stack([np.cos(a), np.sin(a)], 1), np.stack([1 - np.cos(b), 0.5 - np.sin(b)], 1)])

    def sample(self, *, key: jax.Array, n: int) -> jax.Array:
        """(n, 2) one make_moons set: the grid in a uniformly random order plus noise."""
        kp, kz = jax.random.split(key)
        rows = jax.random.permutation(kp, jnp.asarray(self.grid(n)))
        return rows + self.noise * jax.random.normal(kz, (n, 2))

    def describe(self) -> dict:
        return {"kind": "MakeMoons", "noise": self.noise}


__all__ = ["GaussianMixture", "ring", "grid", "Categorical", "zipf", "LinearModel", "Dataset", "two_moons",
           "MakeMoons", "CATEGORY_DTYPE"]
