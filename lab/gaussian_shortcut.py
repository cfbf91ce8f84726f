"""The 1-D Gaussian refit under ``Fresh(n, m)``, simulated exactly in distribution from sufficient statistics.

Truth N(0, 1); generation 0 fits n real points; generation t > 0 fits n fresh real points plus m samples of the
previous fit N(μ, σ²). Given the past, the real block's mean and scatter (N(0, 1/n), χ²_{n−1}) and the synthetic
block's (N(μ, σ²/m), σ²χ²_{m−1}) are independent (Cochran), and the pooled fit is a function of them:
  μ' = (n x̄ + m ȳ)/N,   σ'² = (W_x + W_y + (nm/N)(ȳ − x̄)²)/(N − ddof),   N = n + m
(the derivation in ``lab.theory.mixed_cov``). Equal in distribution to ``lab.simulate`` with ``lab.GaussianFit(ddof)``
and ``lab.Fresh(real=n, synthetic=m)``, not bit-equal; one compilation serves every (n, m).
"""
from __future__ import annotations

import functools


def split(N: int, rho: float) -> tuple[int, int]:
    """(n real, m synthetic) for total N and real share ρ: n = max(2, round(ρN)), m = N − n."""
    n = max(2, int(round(rho * N)))
    return n, N - n


def fresh_shortcut(*, key, n: int, m: int, generations: int, replicates: int, ddof: int):
    """Replicate r, generation t uses fold_in(fold_in(key, r), t), streams REAL and SYNTHETIC (``lab.keys``).

    Returns (μ, σ²), each (replicates, generations + 1)."""
    import jax.numpy as jnp

    return _shortcut_fn(generations, replicates, ddof)(key, jnp.float64(n), jnp.float64(m))


@functools.lru_cache(maxsize=None)
def _shortcut_fn(generations: int, replicates: int, ddof: int):
    """Compiled once per (generations, replicates, ddof); n and m are traced, so a grid shares one compilation."""
    import jax
    import jax.numpy as jnp

    from lab import keys

    def one_generation(cell, mu, s2, t, n, m):
        kr, ks = keys.stream(cell, keys.REAL), keys.stream(cell, keys.SYNTHETIC)
        kr1, kr2 = jax.random.split(kr)
        ks1, ks2 = jax.random.split(ks)
        xbar = jax.random.normal(kr1) / jnp.sqrt(n)  # real block mean ~ N(0, 1/n)
        Wx = 2.0 * jax.random.gamma(kr2, (n - 1) / 2.0)  # real block scatter ~ χ²_{n−1}
        mm = jnp.where(t > 0, m, 0.0)  # generation 0: real points only
        ybar = mu + jnp.sqrt(s2 / jnp.maximum(mm, 1.0)) * jax.random.normal(ks1)  # synthetic mean ~ N(μ, σ²/m)
        Wy = jnp.where(mm > 1, s2 * 2.0 * jax.random.gamma(ks2, jnp.maximum(mm - 1, 1.0) / 2.0), 0.0)  # σ²χ²_{m−1}
        N = n + mm
        mu_new = (n * xbar + mm * ybar) / N
        s2_new = (Wx + Wy + n * mm / N * (ybar - xbar) ** 2) / (N - ddof)  # pooled scatter / (N − ddof)
        return mu_new, s2_new

    def replicate(key, r, n, m):
        rk = jax.random.fold_in(key, r)

        def body(carry, t):
            out = one_generation(keys.cell_key(rk, t), *carry, t, n, m)
            return out, out

        _, (mus, s2s) = jax.lax.scan(body, (jnp.float64(0.0), jnp.float64(1.0)), jnp.arange(generations + 1))
        return mus, s2s

    return jax.jit(lambda key, n, m: jax.vmap(replicate, in_axes=(None, 0, None, None))(
        key, jnp.arange(replicates), n, m))


__all__ = ["split", "fresh_shortcut"]
