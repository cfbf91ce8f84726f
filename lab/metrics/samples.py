"""Sample-based distances (THEORY M4) as pure functions of sample arrays, and metrics that apply them to a fitted model.

Functions take x: (n, d) and y: (m, d) (1-D functions take (n,) or (n, 1)); all are jittable except ``exact_ot``.
Metric objects draw ``samples`` points from the model (``model.sample``) and from the truth (``truth.sample``) with
the cell's metric key, so their values carry Monte Carlo noise of order 1/√samples.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.metrics.base import Metric


def _flat(x):
    x = jnp.asarray(x)
    return x.reshape(x.shape[0]) if x.ndim == 2 else x


def wasserstein_1d(x, y, p: int = 2):
    """Exact W_p between the empirical laws of x: (n,) and y: (m,) (sizes may differ), returned as (W_p^p)^{1/p}.

    W_p^p = ∫₀¹ |F_x^{−1}(u) − F_y^{−1}(u)|^p du (Villani 2003, Thm 2.18); both quantile functions are step functions,
    so the integral is a finite sum over the merged breakpoints {i/n} ∪ {j/m}. Returns W_p = (W_p^p)^{1/p}.
    """
    xs, ys = jnp.sort(_flat(x)), jnp.sort(_flat(y))
    n, m = xs.shape[0], ys.shape[0]
    u = jnp.sort(jnp.concatenate([jnp.arange(1, n + 1) / n, jnp.arange(1, m + 1) / m]))
    du = jnp.diff(u, prepend=0.0)
    mid = u - du / 2
    ix = jnp.clip(jnp.floor(mid * n).astype(int), 0, n - 1)
    iy = jnp.clip(jnp.floor(mid * m).astype(int), 0, m - 1)
    return jnp.sum(du * jnp.abs(xs[ix] - ys[iy]) ** p) ** (1.0 / p)


def w1_1d(x, y):
    """Exact W₁ between 1-D empirical laws (``wasserstein_1d`` with p = 1)."""
    return wasserstein_1d(x, y, 1)


def w2_1d(x, y):
    """Exact W₂ between 1-D empirical laws (``wasserstein_1d`` with p = 2)."""
    return wasserstein_1d(x, y, 2)


def sliced_w2(x, y, *, key, projections: int = 64):
    """Sliced W₂ = (E_θ W₂²(θ·x, θ·y))^{1/2}, θ uniform on the sphere S^{d−1} (Rabin et al. 2011; Bonneel et al. 2015),
    estimated with ``projections`` random directions (the same directions for both sets). x: (n, d), y: (m, d)."""
    d = x.shape[-1]
    theta = jax.random.normal(key, (projections, d))
    theta = theta / jnp.linalg.norm(theta, axis=-1, keepdims=True)
    w2sq = jax.vmap(lambda t: w2_1d(x @ t, y @ t) ** 2)(theta)
    return jnp.sqrt(jnp.mean(w2sq))


def exact_ot(x, y, p: int = 2) -> float:
    """Exact W_p between the uniform empirical laws of x: (n, d) and y: (m, d) by network simplex (POT's ``ot.emd2``),
    cost ‖x_i − y_j‖^p. Plain numpy (not jittable); O(n²) memory, meant for n, m up to a few thousand."""
    import ot

    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    x, y = (x[:, None] if x.ndim == 1 else x), (y[:, None] if y.ndim == 1 else y)
    cost = ot.dist(x, y, metric="euclidean") ** p
    a, b = np.full(len(x), 1.0 / len(x)), np.full(len(y), 1.0 / len(y))
    return float(max(ot.emd2(a, b, cost, numItermax=10**7), 0.0) ** (1.0 / p))


def _sqdist(x, y):
    return jnp.clip(jnp.sum(x**2, -1)[:, None] + jnp.sum(y**2, -1)[None] - 2 * x @ y.T, 0.0, None)


def mmd(x, y, bandwidth: float = 1.0):
    """MMD with the Gaussian kernel k(a, b) = exp(−‖a − b‖² / (2ℓ²)), ℓ = ``bandwidth`` (Gretton et al. 2012, eq. 5,
    the biased V-statistic): MMD² = mean k(x, x') + mean k(y, y') − 2 mean k(x, y). Returns MMD (the square root), which
    is a metric between empirical laws (zero iff they are equal, symmetric, triangle inequality), since k is
    characteristic."""
    k = lambda a, b: jnp.exp(-_sqdist(a, b) / (2 * bandwidth**2))  # noqa: E731
    return jnp.sqrt(jnp.clip(jnp.mean(k(x, x)) + jnp.mean(k(y, y)) - 2 * jnp.mean(k(x, y)), 0.0, None))


def _knn_radii(x, k):
    """(n,) distance from each row of x to its k-th nearest other row."""
    d2 = _sqdist(x, x) + jnp.diag(jnp.full(x.shape[0], jnp.inf))
    return jnp.sqrt(jnp.sort(d2, axis=-1)[:, k - 1])


def _coverage(support, radii, query):
    """Fraction of query rows inside at least one ball B(support_i, radii_i)."""
    return jnp.mean(jnp.any(_sqdist(query, support) <= radii[None] ** 2, axis=-1))


def knn_precision_recall(real, fake, k: int = 5):
    """Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019, eqs. 1–3), k = 5 as in MAD.

    The manifold of a set is the union of balls around its points, each of radius the distance to the point's k-th
    nearest neighbour in the set. precision = share of ``fake`` rows in the manifold of ``real``; recall = share of
    ``real`` rows in the manifold of ``fake``. real: (n, d), fake: (m, d), n, m > k. Returns (precision, recall)."""
    precision = _coverage(real, _knn_radii(real, k), fake)
    recall = _coverage(fake, _knn_radii(fake, k), real)
    return precision, recall


def tv_monte_carlo(log_p_x, log_q_x):
    """TV(p, q) = E_{x~p}[(1 − q(x)/p(x))₊] (THEORY M4) from log densities at draws x ~ p: unbiased, values in [0, 1],
    standard error ≤ 0.5/√n."""
    return jnp.mean(jnp.clip(1.0 - jnp.exp(log_q_x - log_p_x), 0.0, None))


def kl_monte_carlo(log_p_x, log_q_x):
    """KL(p ‖ q) = E_{x~p}[log p(x) − log q(x)] from log densities at draws x ~ p (unbiased; +∞ if q vanishes there)."""
    return jnp.mean(log_p_x - log_q_x)


class _Sampled(Metric):
    samples: int

    def _draws(self, truth, model, params, key):
        km, kt = jax.random.split(key)
        fake = model.sample(params, key=km, n=self.samples).astype(jnp.result_type(float))
        return truth.sample(key=kt, n=self.samples).astype(jnp.result_type(float)), fake


def _check_samples(obj, minimum=1):
    _checks.integer("samples", obj.samples, minimum=minimum)


@dataclass(frozen=True)
class W2Samples(_Sampled):
    """Exact 1-D W₂ between ``samples`` draws of the model and of the truth (1-D truths only)."""

    samples: int = 1024
    name = "w2_samples"

    def __post_init__(self):
        _check_samples(self)

    def __call__(self, truth, model, params, *, key):
        return w2_1d(*self._draws(truth, model, params, key))


@dataclass(frozen=True)
class SlicedW2(_Sampled):
    """Sliced W₂ (``sliced_w2``) between ``samples`` draws of the model and of the truth."""

    samples: int = 512
    projections: int = 64
    name = "sliced_w2"

    def __post_init__(self):
        _check_samples(self)
        _checks.integer("projections", self.projections, minimum=1)

    def __call__(self, truth, model, params, *, key):
        real, fake = self._draws(truth, model, params, key)
        return sliced_w2(real, fake, key=jax.random.fold_in(key, 7), projections=self.projections)


@dataclass(frozen=True)
class MMD(_Sampled):
    """Gaussian-kernel MMD (``mmd``, bandwidth ℓ) between ``samples`` draws of the model and of the truth."""

    samples: int = 512
    bandwidth: float = 1.0
    name = "mmd"

    def __post_init__(self):
        _check_samples(self)
        _checks.real_in("bandwidth", self.bandwidth, 0.0, np.inf, lo_open=True, hi_open=True)

    def __call__(self, truth, model, params, *, key):
        return mmd(*self._draws(truth, model, params, key), self.bandwidth)


@dataclass(frozen=True)
class Precision(_Sampled):
    """k-NN precision (``knn_precision_recall``): quality, the share of model samples on the truth's manifold."""

    samples: int = 512
    k: int = 5
    name = "precision"

    def __post_init__(self):
        _check_samples(self, minimum=self.k + 1)

    def __call__(self, truth, model, params, *, key):
        return knn_precision_recall(*self._draws(truth, model, params, key), self.k)[0]


@dataclass(frozen=True)
class Recall(Precision):
    """k-NN recall (``knn_precision_recall``): diversity, the share of truth samples on the model's manifold."""

    name = "recall"

    def __call__(self, truth, model, params, *, key):
        return knn_precision_recall(*self._draws(truth, model, params, key), self.k)[1]


@dataclass(frozen=True)
class NLLUnderTruth(_Sampled):
    """Negative log-likelihood under the truth of ``samples`` model draws: −(1/n) Σ log p_truth(x_i), x_i ~ model
    (needs ``truth.log_prob``). Not a divergence: KL(q ‖ p) = −H(q) − E_q log p, so a model that piles its mass on the
    truth's modes scores *below* the truth's own entropy, while mass smeared between the modes raises it sharply; read
    it beside a metric (``SlicedW2``), never alone."""

    samples: int = 512
    name = "nll_under_truth"

    def __post_init__(self):
        _check_samples(self)

    def __call__(self, truth, model, params, *, key):
        fake = model.sample(params, key=key, n=self.samples).astype(jnp.result_type(float))
        return -jnp.mean(truth.log_prob(fake))


@dataclass(frozen=True)
class TVMonteCarlo(Metric):
    """TV(truth, model) by Monte Carlo from both densities (``tv_monte_carlo``; needs ``truth.log_prob`` and
    ``model.log_prob``), ``samples`` draws from the truth."""

    samples: int = 2048
    name = "tv_mc"

    def __post_init__(self):
        _check_samples(self)

    def __call__(self, truth, model, params, *, key):
        x = truth.sample(key=key, n=self.samples)
        return tv_monte_carlo(truth.log_prob(x), model.log_prob(params, x))


@dataclass(frozen=True)
class KLMonteCarlo(TVMonteCarlo):
    """KL(truth ‖ model) by Monte Carlo (``kl_monte_carlo``), ``samples`` draws from the truth."""

    name = "kl_mc"

    def __call__(self, truth, model, params, *, key):
        x = truth.sample(key=key, n=self.samples)
        return kl_monte_carlo(truth.log_prob(x), model.log_prob(params, x))


@dataclass(frozen=True)
class HeldOutNLL(Metric):
    """Mean negative log-likelihood of ``samples`` fresh truth draws under the fitted model,
    −(1/k) Σ_j log p_model(x_j), x_j ~ truth (needs ``model.log_prob``). Kazdan et al. (2024), "Collapse or Thrive",
    score a held-out real set this way ("NLL on real data (test)"; KoyejoLab ``src/fit_kdes/fit_kdes.py``,
    ``fit_kernel_density_estimators``: ``-np.mean(kde.score_samples(init_data_test))`` on 500 points). Here the held-out
    set is drawn with each cell's metric key, so it is fresh in every generation; its mean over replicates at a
    generation has the same law as with one test set per run."""

    samples: int = 500
    name = "nll_test"

    def __post_init__(self):
        _check_samples(self)

    def __call__(self, truth, model, params, *, key):
        x = truth.sample(key=key, n=self.samples).astype(jnp.result_type(float))
        return -jnp.mean(model.log_prob(params, x))


@dataclass(frozen=True)
class DensityAt(Metric):
    """The fitted density p(x) = exp(model.log_prob(params, x)) at one point x of a 1-D model (a scalar per cell, so
    the engine records it per replicate and generation; the KDE theory tests compare its mean and variance)."""

    x: float

    @property
    def name(self):
        return f"p_at_{self.x}"

    def __call__(self, truth, model, params, *, key):
        return jnp.exp(model.log_prob(params, jnp.array([[self.x]]))[0])


__all__ = ["wasserstein_1d", "w1_1d", "w2_1d", "sliced_w2", "exact_ot", "mmd", "knn_precision_recall",
           "tv_monte_carlo", "kl_monte_carlo", "W2Samples", "SlicedW2", "MMD", "Precision", "Recall",
           "NLLUnderTruth", "TVMonteCarlo", "KLMonteCarlo", "HeldOutNLL", "DensityAt"]
