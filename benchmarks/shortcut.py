"""Exact shortcut for the 1-D Gaussian replace loop: draw the sufficient statistics from their known laws.

For n samples of N(μ, σ²) the sample mean and the sum of squared deviations are independent (Cochran) with
    μ̂ ~ N(μ, σ²/n),        n_eff·σ̂² = Σ (x_i − μ̂)² ~ σ² · χ²_{n−1},        n_eff = n − ddof,
so one generation of ``lab.simulate(Gaussian, GaussianFit(ddof), Replace())`` in d = 1 is two scalar draws instead of
n normals and a refit. Generation 0 fits the truth; generation t ≥ 1 fits generation t − 1:
    μ_t = μ_{t−1} + σ_{t−1} z_t / √n,      σ²_t = σ²_{t−1} · 2 G_t / (n − ddof),      z_t ~ N(0, 1),  G_t ~ Gamma((n−1)/2).
It agrees with the engine in distribution, not bit for bit (different draws). Not part of ``lab``: it exists to show,
in ``benchmarks/engine.py``, how much faster the exact law is than drawing every sample.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

import lab  # noqa: F401  (enables float64, the lab's precision for this world)


@partial(jax.jit, static_argnames=("n", "generations", "ddof"))
def _replicates(rkeys, mu, sigma2, *, n: int, generations: int, ddof: int):
    """(mean (R, G+1), var (R, G+1)) from replicate keys rkeys: (R,)."""
    a = (n - 1) / 2  # χ²_{n−1} = 2 · Gamma((n − 1)/2)

    def one(rkey):
        def step(carry, t):
            m, v = carry
            kz, kg = jax.random.split(jax.random.fold_in(rkey, t))
            m_new = m + jnp.sqrt(v / n) * jax.random.normal(kz, dtype=jnp.float64)  # μ_t = μ_{t−1} + σ_{t−1} z/√n
            v_new = v * 2.0 * jax.random.gamma(kg, a, dtype=jnp.float64) / (n - ddof)  # σ²_{t−1} χ²_{n−1}/(n − ddof)
            return (m_new, v_new), (m_new, v_new)

        _, (ms, vs) = jax.lax.scan(step, (mu, sigma2), jnp.arange(generations + 1))
        return ms, vs

    return jax.vmap(one)(rkeys)


def simulate_stats(*, mu: float, sigma2: float, n: int, generations: int, replicates: int, key: int, ddof: int = 0):
    """Sufficient statistics of the 1-D Gaussian replace loop, drawn exactly.

    Args:
      mu, sigma2: the truth N(μ, σ²).
      n: samples per generation (≥ 2); generation 0 fits n real samples, later ones n synthetic samples.
      generations: generations after generation 0; outputs have generations + 1 columns.
      replicates: independent runs R.
      key: int seed; replicate r uses fold_in(key, r), generation t fold_in(that, t).
      ddof: 0 (MLE, divide by n) or 1 (unbiased, divide by n − 1), as ``lab.GaussianFit(ddof=...)``.

    Returns:
      (mean, var): two float64 arrays of shape (R, generations + 1), the fitted μ_t and σ²_t.
    """
    base = jax.random.key(key)
    rkeys = jax.vmap(lambda r: jax.random.fold_in(base, r))(jnp.arange(replicates))
    return _replicates(rkeys, jnp.float64(mu), jnp.float64(sigma2), n=n, generations=generations, ddof=ddof)
