"""Explicit randomness. Every random draw of a simulation comes from a key folded from the user's key.

Replicate r uses ``replicate_key(key, r)`` = fold_in(key, r), and its generation t the cell key
``cell_key(replicate_key(key, r), t)`` = fold_in(fold_in(key, r), t), so any cell can be recomputed alone and the
number of replicates, or how they are batched, never changes a replicate's numbers (STYLE principle 2). Within a cell,
each purpose gets its own stream through ``stream(cell, PURPOSE)`` = fold_in(cell, PURPOSE): REAL (the real samples),
SYNTHETIC (the model's draws), TRANSFORM (then fold_in(·, i) for the i-th transform), REGIME, METRIC (then
fold_in(·, crc32(metric name))) and FIT. Fixed keys that are not the user's: ``jax.random.key(0)`` where only a shape
or dtype is read (``lab/loop.py``'s memory estimate, families' ``check``). A configuration may hold a key of its own
that is not drawn from the run's: ``Project(key=…)`` (``lab/transforms/correct.py``) fixes its real dataset across
generations, replicates and runs; like every key argument it takes a JAX key or an int seed (``as_key``).

Every public function and protocol takes its key keyword-only: a truth's ``sample(*, key, n)``, a family's
``sample(params, *, key, n)`` and ``fit(x, w, *, key)``, a metric's ``(truth, model, params, *, key)``, a transform's
``(x, w, *, key, model, params, truth)``, a corrector's ``(x, *, key, truth)``.
"""
from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

# One stream per purpose within a (replicate, generation) cell.
REAL, SYNTHETIC, REGIME, TRANSFORM, METRIC, FIT = range(6)


MAX_SEED = 2**63 - 1  # jax.random.key takes a seed as a signed 64-bit integer


def as_key(key) -> jax.Array:
    """A typed JAX key from a typed key, a raw uint32 key of shape (2,), or an int seed in [0, 2**63 − 1]."""
    if isinstance(key, bool):
        raise ValueError(f"key must be a JAX key or a non-negative int seed, got {key!r}")
    if isinstance(key, numbers.Integral):
        if not 0 <= key <= MAX_SEED:
            raise ValueError(f"key must be a JAX key or an int seed in [0, 2**63 - 1], got {key}")
        return jax.random.key(int(key))
    if isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.shape != ():
            raise ValueError(f"key must be a single key, got a key array of shape {key.shape}")
        return key
    if isinstance(key, (jax.Array, np.ndarray)) and key.shape == (2,) and key.dtype == np.uint32:
        return jax.random.wrap_key_data(jnp.asarray(key))
    raise ValueError(f"key must be a JAX key or a non-negative int seed, got {type(key).__name__}")


def key_data(key: jax.Array) -> list[int]:
    """The key's raw bits as a list of ints (recorded in result attributes)."""
    return [int(v) for v in np.asarray(jax.random.key_data(key)).ravel()]


def replicate_key(key: jax.Array, r) -> jax.Array:
    """Key of replicate ``r``."""
    return jax.random.fold_in(key, r)


def cell_key(replicate: jax.Array, t) -> jax.Array:
    """Key of generation ``t`` within a replicate key."""
    return jax.random.fold_in(replicate, t)


def stream(cell: jax.Array, purpose: int) -> jax.Array:
    """Key of one purpose (REAL, SYNTHETIC, …) within a cell."""
    return jax.random.fold_in(cell, purpose)
