"""The peers' own loops, re-implemented in numpy step for step, as oracles "in law" for the lab's conventions.

Written from reading the published code (not copied): each function is one run of the peer's loop, seeded by a numpy
``Generator``, and returns that run's per-iteration metrics. The lab's runs of the same setting must agree with these
in distribution (mean per generation within 5 standard errors), which ``tests/test_peers.py`` and the
``peers_reproduced`` study check.

- Kazdan, Schaeffer et al. 2024, "Collapse or Thrive? Perils and Promises of Synthetic Data in a Self-Generating
  World" (github.com/RylanSchaeffer/KoyejoLab-Collapse-or-Thrive): ``src/fit_gaussians/fit_gaussians.py``
  (``fit_gaussians``, ``fit_mean_and_cov_from_data``) and ``src/fit_kdes/fit_kdes.py``
  (``fit_kernel_density_estimators``) with ``src/data.py`` (``create_dataset_for_kde``).
- Gillman et al. 2024, "Self-Correcting Self-Consuming Loops for Generative Model Training" (ICML;
  github.com/nate-gillman/self-correcting-self-consuming): ``exp_scripts/gaussian_toy_example.py``
  (``GaussianSelfConsumingLoop.run_self_correction_augmentation_loop``, ``RejectionSamplingCorrection``).
Iteration k of the Koyejo loops (1-based) is the lab's generation k − 1; Gillman's step list starts at generation 0.
"""
from __future__ import annotations

import numpy as np

SETTINGS = ("Replace", "Accumulate", "Accumulate-Subsample")


def _setting(setting: str) -> str:
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {SETTINGS}, got {setting!r}")
    return setting


def _fit_data(rng, pool, n, setting):
    """The rows the peer fits on: the pool, or (Accumulate-Subsample) n of its rows drawn without replacement."""
    if setting == "Accumulate-Subsample":
        return pool[rng.choice(pool.shape[0], size=n, replace=False)]
    return pool


def koyejo_gaussian(rng, *, d: int, n: int, iterations: int, setting: str, sigma2: float = 1.0) -> dict:
    """One run of ``fit_gaussians``: fit mean and biased covariance (``np.cov(bias=True)``), sample n rows from the
    fit, Replace / Accumulate / Accumulate-Subsample. Returns (iterations,) arrays ``mean_error`` ‖μ̂ − 0‖²,
    ``det_ratio`` det Σ̂ / det(σ²I), ``trace_ratio`` tr Σ̂ / tr(σ²I)."""
    setting = _setting(setting)
    pool = rng.multivariate_normal(np.zeros(d), sigma2 * np.eye(d), size=n)
    out = {k: np.empty(iterations) for k in ("mean_error", "det_ratio", "trace_ratio")}
    for i in range(iterations):
        data = _fit_data(rng, pool, n, setting)
        mu, cov = data.mean(0), np.atleast_2d(np.cov(data, rowvar=False, bias=True))
        out["mean_error"][i] = np.sum(mu**2)
        out["det_ratio"][i] = np.linalg.det(cov) / sigma2**d
        out["trace_ratio"][i] = np.trace(cov) / (sigma2 * d)
        new = rng.multivariate_normal(mu, cov, size=n)
        pool = new if setting == "Replace" else np.concatenate([pool, new])
    return out


def make_moons(rng, n: int, noise: float) -> np.ndarray:
    """(n, 2) ``sklearn.datasets.make_moons(n, noise=noise)`` drawn with ``rng``."""
    from sklearn.datasets import make_moons as mm

    return mm(n_samples=n, noise=noise, random_state=np.random.RandomState(rng.integers(2**31)))[0]


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """(k,) log Σ_j exp(a_kj) of a finite (k, N) array, overwriting ``a``: the arithmetic of scipy's ``logsumexp``
    (scipy 1.17, ``scipy/special/_logsumexp.py``: the row's maxima are taken out of the sum, out = log1p(s) + log(c)
    + max, c the count of maxima, s the rest's sum over c) step for step, so the values are equal bit for bit, in
    place (``tests/test_peers.py``; it is scipy's copies that made the peer's KDE loop slow)."""
    top = a.max(1, keepdims=True)
    hit = a == top
    a -= top
    np.exp(a, out=a)
    a[hit] = 0.0
    s, c = a.sum(1), hit.sum(1).astype(a.dtype)
    s = np.where(s == 0, s, s / c)
    return np.log1p(s) + np.log(c) + top[:, 0]


def kde_score(train: np.ndarray, test: np.ndarray, bandwidth: float) -> np.ndarray:
    """(k,) ``KernelDensity(kernel="gaussian", bandwidth=h).fit(train).score_samples(test)`` (exact, in numpy):
    log Σ_i exp(−‖y − x_i‖²/(2h²)) − log N − d log h − (d/2) log 2π."""
    a = np.sum(test**2, 1)[:, None] + np.sum(train**2, 1)[None]  # ‖y‖² + ‖x‖² − 2 y·x, in this order
    a -= 2 * test @ train.T
    np.maximum(a, 0, out=a)
    a *= -0.5
    a /= bandwidth**2
    d = train.shape[1]
    return (logsumexp_rows(a) - np.log(train.shape[0]) - d * np.log(bandwidth) - 0.5 * d * np.log(2 * np.pi))


def koyejo_kde(rng, *, n: int, iterations: int, setting: str, bandwidth: float, noise: float = 0.05,
               test: int = 500) -> np.ndarray:
    """One run of ``fit_kernel_density_estimators`` on moons: train = make_moons(n), test = make_moons(500); a Gaussian
    KDE of fixed bandwidth h, sampled n rows per iteration (a row picked uniformly plus h·z). Returns (iterations,)
    mean test NLL."""
    setting = _setting(setting)
    pool, held = make_moons(rng, n, noise), make_moons(rng, test, noise)
    out = np.empty(iterations)
    for i in range(iterations):
        data = _fit_data(rng, pool, n, setting)
        out[i] = -np.mean(kde_score(data, held, bandwidth))
        new = data[rng.integers(data.shape[0], size=n)] + bandwidth * rng.standard_normal((n, 2))
        pool = new if setting == "Replace" else np.concatenate([pool, new])
    return out


def gillman_rejection(rng, data: np.ndarray, tau: float, *, bins: int = 10) -> np.ndarray:
    """``RejectionSamplingCorrection.rejection_sampling`` for target N(0, I₂): m draws from
    (1 − τ)·histogram(data) + τ·N(0, I₂) by rejection from N(0, 2I₂) with M = p*(0)/g(0) = 2. Candidates are drawn in
    blocks (the peer draws one at a time; the kept draws have the same law)."""
    m = data.shape[0]
    hist, xe, ye = np.histogram2d(data[:, 0], data[:, 1], bins=bins, density=True)
    dx, dy = xe[1] - xe[0], ye[1] - ye[0]
    kept = []
    while sum(len(k) for k in kept) < m:
        c = rng.multivariate_normal(np.zeros(2), 2 * np.eye(2), size=4 * m)
        u = rng.uniform(size=4 * m)
        ix, iy = ((c[:, 0] - xe[0]) / dx).astype(int), ((c[:, 1] - ye[0]) / dy).astype(int)  # int(): toward zero
        ok = (ix >= 0) & (ix < bins) & (iy >= 0) & (iy < bins)
        emp = np.where(ok, hist[np.clip(ix, 0, bins - 1), np.clip(iy, 0, bins - 1)], 0.0)
        target = np.exp(-0.5 * np.sum(c**2, 1)) / (2 * np.pi)
        proposal = np.exp(-0.25 * np.sum(c**2, 1)) / (4 * np.pi)
        kept.append(c[((1 - tau) * emp + tau * target) / (2.0 * proposal) > u])
    return np.concatenate(kept)[:m]


def gillman_toy(rng, *, gamma: float, steps: int, n: int = 50, m: int = 25, accumulate: bool = True) -> np.ndarray:
    """One run of ``run_self_correction_augmentation_loop`` with ``RejectionSamplingCorrection``: 50 real points from
    N(0, I₂) kept throughout; each step samples m points from the fit, corrects them (``gillman_rejection``, τ =
    γ/(1 + γ)), and with ``accumulate`` trains on the real set plus the first int(((i + 1)/G)·m) points of each of the
    G corrected batches so far (i = 0..G − 1), else on the real set plus the latest batch. The fit is sklearn's
    one-component ``GaussianMixture``: the MLE plus ``reg_covar`` = 1e-6 on the diagonal. Returns (steps + 1,) W₂ to
    N(0, I₂), generation 0 first."""
    from scipy.linalg import sqrtm

    tau = gamma / (1 + gamma)
    real = rng.multivariate_normal(np.zeros(2), np.eye(2), size=n)

    def fit(x):
        return x.mean(0), np.cov(x, rowvar=False, bias=True) + 1e-6 * np.eye(2)

    def w2(mu, cov):
        root = np.real(sqrtm(cov))
        return np.sqrt(np.sum(mu**2) + np.trace(np.eye(2) + cov - 2 * root))

    mu, cov = fit(real)
    out, batches = [w2(mu, cov)], []
    for _ in range(steps):
        batch = gillman_rejection(rng, rng.multivariate_normal(mu, cov, size=m), tau)
        batches.append(batch)
        if accumulate:
            g = len(batches)
            synth = np.concatenate([b[:int(((i + 1) / g) * m)] for i, b in enumerate(batches)])
        else:
            synth = batch
        mu, cov = fit(np.concatenate([real, synth]))
        out.append(w2(mu, cov))
    return np.asarray(out)


__all__ = ["koyejo_gaussian", "koyejo_kde", "kde_score", "logsumexp_rows", "make_moons", "gillman_rejection",
           "gillman_toy", "SETTINGS"]
