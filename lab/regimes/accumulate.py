"""Accumulate and AccumulateSubsample (Gerstgrasser et al. 2024; Kazdan et al. 2024; THEORY G5).

Accumulate keeps the n real samples and every synthetic sample so far: generation t trains on n + t·m points.
AccumulateSubsample keeps the same growing pool but trains each generation on a uniform subsample of fixed size
(without replacement), so the data budget stays constant while the pool's share of real data decays.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import jax
import jax.numpy as jnp

from lab.regimes.base import Plan, describe_regime, empty_buffer, optional_count, write


@dataclass(frozen=True)
class Accumulate:
    """Train generation t on the real set plus all synthetic samples of generations 1..t.

    Args:
      synthetic: m, synthetic samples added per generation; None means m = n.
      transforms: transforms applied to the synthetic samples before they enter.

    The training set of generation t is that of t − 1 plus the synthetic block (``appends``): with a family whose
    statistics merge (``GaussianFit``), the engine keeps those statistics instead of the buffer, so a generation costs
    O(m) rather than O(n + G·m) (``lab/loop.py``).
    """

    synthetic: int | None = None
    transforms: tuple = ()

    appends: ClassVar[bool] = True

    def __post_init__(self):
        optional_count("synthetic", self.synthetic)
        object.__setattr__(self, "transforms", tuple(self.transforms))

    def plan(self, n: int, generations: int) -> Plan:
        m = self.synthetic or n
        return Plan(buffer=n + generations * m, synthetic=m, real=0)

    def init(self, real0, plan: Plan):
        x, w = empty_buffer(real0, plan.buffer)
        x, w = write(x, w, real0, jnp.ones(real0.shape[0]), 0)
        return {"x": x, "w": w, "n": real0.shape[0]}

    def step(self, state, real, synth_x, synth_w, t, *, key):
        m = synth_x.shape[0]
        x, w = write(state["x"], state["w"], synth_x, synth_w, state["n"] + (t - 1) * m)
        return {"x": x, "w": w, "n": state["n"]}

    def training_set(self, state):
        return state["x"], state["w"]

    def describe(self) -> dict:
        return describe_regime(self)


def floyd_sample(L, k, size: int, *, key):
    """Boolean mask (size,) of a uniform k-subset of the slots 0..L−1, without replacement (Floyd's algorithm: for
    j = L−k..L−1 draw r uniform in [0, j]; take r unless already taken, else take j). O(k) steps; L and k may be traced;
    requires k ≤ L ≤ size."""

    def body(i, mask):
        j = L - k + i
        r = jax.random.randint(jax.random.fold_in(key, i), (), 0, j + 1)
        return mask.at[jnp.where(mask[r], j, r)].set(True)

    return jax.lax.fori_loop(0, k, body, jnp.zeros((size,), bool))


@dataclass(frozen=True)
class AccumulateSubsample:
    """Accumulate a pool as ``Accumulate`` does; train each generation on a uniform subsample of the pool.

    Args:
      synthetic: m, synthetic samples added to the pool per generation; None means m = n.
      size: training-set size drawn without replacement from the pool's slots; None means n; must not exceed n.
      transforms: transforms applied to the synthetic samples before they enter.
    The subsample is drawn over slots, so a slot that a transform rejected (weight 0) can be drawn and then adds
    nothing: the effective training size is then below ``size``.
    """

    synthetic: int | None = None
    size: int | None = None
    transforms: tuple = ()

    def __post_init__(self):
        optional_count("synthetic", self.synthetic)
        optional_count("size", self.size)
        object.__setattr__(self, "transforms", tuple(self.transforms))

    def plan(self, n: int, generations: int) -> Plan:
        if self.size is not None and self.size > n:
            raise ValueError(f"size must not exceed n = {n}, got {self.size}")
        m = self.synthetic or n
        return Plan(buffer=n + generations * m, synthetic=m, real=0)

    def fit_points(self, n: int) -> tuple[int, str]:
        """(points each generation's fit sees, the argument that sets it): the subsample size (``lab/loop.py``)."""
        return (self.size or n), "size"

    def init(self, real0, plan: Plan):
        x, pool_w = empty_buffer(real0, plan.buffer)
        n = real0.shape[0]
        x, pool_w = write(x, pool_w, real0, jnp.ones(n), 0)
        return {"x": x, "pool_w": pool_w, "w": pool_w, "n": n, "k": self.size or n}

    def step(self, state, real, synth_x, synth_w, t, *, key):
        m = synth_x.shape[0]
        n = state["n"]
        x, pool_w = write(state["x"], state["pool_w"], synth_x, synth_w, n + (t - 1) * m)
        chosen = floyd_sample(n + t * m, state["k"], pool_w.shape[0], key=key)
        w = jnp.where(chosen, pool_w, 0.0)
        return {"x": x, "pool_w": pool_w, "w": w, "n": n, "k": state["k"]}

    def training_set(self, state):
        return state["x"], state["w"]

    def describe(self) -> dict:
        return describe_regime(self)
