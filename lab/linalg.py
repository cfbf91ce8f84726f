"""Small linear-algebra helpers for symmetric positive semi-definite matrices (collapse makes them singular).

Every symmetric eigendecomposition in the lab goes through ``eigh`` below. On CPU, jaxlib's LAPACK kernels split a
*batched* call across XLA's intra-op thread pool and wait for the pieces; when two such calls run concurrently on a
small machine (2 cores: a pool of 2 threads) both wait for threads the other holds, and the program deadlocks
(observed with jax/jaxlib 0.10.2 on this project's 2-core machines; ``--xla_cpu_multi_thread_eigen=false`` does not
help). ``sequential_vmap`` makes ``vmap`` of ``eigh`` a loop of unbatched LAPACK calls, which never wait on the pool.
1-D callers avoid eigendecompositions altogether.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def sym(a):
    """The symmetric part (a + aᵀ)/2 of a (…, d, d) array."""
    return 0.5 * (a + jnp.swapaxes(a, -1, -2))


@jax.custom_batching.sequential_vmap
def _eigh(a):
    return jnp.linalg.eigh(a)


def eigh(a):
    """(eigenvalues ascending (…, d), eigenvectors (…, d, d)) of the symmetric part of a (…, d, d) array."""
    a = sym(a)
    if a.shape[-1] == 1:  # 1-D: the eigenvalue is the entry itself; no LAPACK call
        return a[..., 0], jnp.ones_like(a)
    if a.ndim == 2:
        return _eigh(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    w, v = jax.vmap(_eigh)(flat)
    return w.reshape(a.shape[:-1]), v.reshape(a.shape)


def psd_sqrt(a):
    """The PSD square root of a symmetric (…, d, d) matrix, negative round-off eigenvalues clipped to zero."""
    evals, evecs = eigh(a)
    root = jnp.sqrt(jnp.clip(evals, 0.0, None))
    return (evecs * root[..., None, :]) @ jnp.swapaxes(evecs, -1, -2)


def psd_eigvals(a):
    """Eigenvalues (ascending) of a symmetric (…, d, d) matrix, clipped at zero."""
    return jnp.clip(eigh(a)[0], 0.0, None)


def spd_inv_logdet(a):
    """(inverse (…, d, d), log det (…,)) of symmetric positive-definite (…, d, d) matrices.

    Closed forms for d = 1 and d = 2 (no LAPACK call at all); otherwise through ``eigh`` (sequential under vmap).
    """
    d = a.shape[-1]
    if d == 1:
        return 1.0 / a, jnp.log(a[..., 0, 0])
    if d == 2:
        p, q, r = a[..., 0, 0], a[..., 0, 1], a[..., 1, 1]
        det = p * r - q * q
        inv = jnp.stack([jnp.stack([r, -q], -1), jnp.stack([-q, p], -1)], -2) / det[..., None, None]
        return inv, jnp.log(det)
    evals, evecs = eigh(a)
    inv = (evecs / evals[..., None, :]) @ jnp.swapaxes(evecs, -1, -2)
    return inv, jnp.sum(jnp.log(evals), axis=-1)


def spd_root(a):
    """The PSD square root of symmetric PSD (…, d, d) matrices; closed forms for d ≤ 2, else ``psd_sqrt``.

    For d = 2: √A = (A + s I)/t with s = √det A, t = √(tr A + 2s) (both ≥ 0; A = 0 gives 0).
    """
    d = a.shape[-1]
    if d == 1:
        return jnp.sqrt(jnp.clip(a, 0.0, None))
    if d == 2:
        a = sym(a)
        s = jnp.sqrt(jnp.clip(a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] ** 2, 0.0, None))
        t = jnp.sqrt(jnp.clip(a[..., 0, 0] + a[..., 1, 1] + 2 * s, 0.0, None))
        root = (a + s[..., None, None] * jnp.eye(2)) / jnp.where(t > 0, t, 1.0)[..., None, None]
        return jnp.where((t > 0)[..., None, None], root, 0.0)
    return psd_sqrt(a)
