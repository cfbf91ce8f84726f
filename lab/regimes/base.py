"""The regime contract: how the next training set is assembled from real and synthetic samples.

A training set is a fixed-size buffer ``x: (B, …)`` with weights ``w: (B,)`` (zero = empty slot), so growing data
stays jit-friendly. A regime is a frozen dataclass with

- ``plan(n, generations) -> Plan``: buffer size B, synthetic samples m entering per generation (the engine draws
  ``n_in`` candidates through the transforms to get them), fresh real samples per generation (0 except for ``Fresh``);
- ``init(real0, plan) -> state``: the state after generation 0 (which is fitted on the n real samples ``real0`` alone);
- ``step(state, real, synth_x, synth_w, t, *, key) -> state``: generation t ≥ 1; ``real`` holds the ``plan.real``
  fresh real samples (None when ``plan.real`` is 0); ``synth_w`` carries the weights left by transforms (1 for kept
  samples, 0 for rejected ones); ``key`` is the cell's REGIME stream (``lab.keys``), used by regimes that draw
  (``AccumulateSubsample``) and ignored by the others;
- ``training_set(state) -> (x, w)``;
- optionally ``fit_points(n) -> (count, argument)``: the fewest points a fit of a generation t ≥ 1 sees and the
  argument that sets it, where the buffer is not what the fit sees (``AccumulateSubsample``); ``simulate`` refuses a
  count below the family's minimum (``lab.loop.fit_points``);
- ``transforms`` (a tuple), which act on the synthetic samples before they enter (the engine applies them; see
  ``lab/transforms``);
- optionally ``appends`` (a ClassVar, True for ``Accumulate``): generation t's training set is generation t − 1's plus
  the synthetic block. With a family whose statistics merge (``GaussianFit``) the engine then carries the statistics
  and never calls ``init``, ``step`` or ``training_set`` (``lab/loop.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from lab import _checks


@dataclass(frozen=True)
class Plan:
    buffer: int  # B, slots in the training buffer
    synthetic: int  # m, synthetic samples entering per generation
    real: int  # fresh real samples drawn per generation (0 unless the regime uses fresh data)


def optional_count(name: str, value) -> int | None:
    return None if value is None else _checks.integer(name, value, minimum=1)


def empty_buffer(like: jax.Array, size: int):
    """A zero buffer of ``size`` rows shaped like ``like``'s rows, with zero weights."""
    return jnp.zeros((size,) + like.shape[1:], like.dtype), jnp.zeros((size,), jnp.result_type(float))


def write(x, w, block_x, block_w, offset):
    """Write a block of rows (and their weights) into the buffer at row ``offset`` (traced offsets allowed)."""
    start = (offset,) + (0,) * (x.ndim - 1)
    return jax.lax.dynamic_update_slice(x, block_x.astype(x.dtype), start), jax.lax.dynamic_update_slice(
        w, block_w.astype(w.dtype), (offset,)
    )


def describe_regime(regime) -> dict:
    from lab.models.base import describe_dataclass

    return describe_dataclass(regime)
