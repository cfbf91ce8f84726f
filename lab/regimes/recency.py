"""RecencyAccumulate: the accumulation that Gillman et al.'s shipped toy runs (ICML 2024; THEORY S2).

Their code (github.com/nate-gillman/self-correcting-self-consuming, ``exp_scripts/gaussian_toy_example.py``,
``RejectionSamplingCorrection.self_correction`` and ``WhiteningSelfCorrection.self_correction`` with
``accumulate_synth_examples=True``, the setting ``run_exps`` ships) keeps every generation's corrected synthetic batch
and, at generation t, trains on the fixed real set plus the first ⌊(j/t)·m⌋ samples of batch j = 1..t:
    N_t = n + Σ_{j=1..t} ⌊(j/t)·m⌋ ≈ n + m(t + 1)/2,
the newest batch whole, older batches a shrinking prefix (a recency weighting). The prefix length is computed as the
peer computes it, ``int(((i + 1) / num_generations) * m)`` in floating point (i = j − 1). A batch's rows are
exchangeable, so its prefix is a uniform subset in law. With no accumulation (their ``accumulate_synth_examples=False``)
the loop is ``Augment(synthetic=m)``: the real set plus the latest batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from lab.regimes.base import Plan, describe_regime, empty_buffer, optional_count, write


def kept(j, t, m):
    """⌊(j/t)·m⌋: how many of batch j's m samples generation t keeps (floating point, as the peer's code has it)."""
    return jnp.floor((j / t) * m)


@dataclass(frozen=True)
class RecencyAccumulate:
    """Fixed real set plus, at generation t, the first ⌊(j/t)·m⌋ samples of each earlier synthetic batch j ≤ t.

    Args:
      synthetic: m, synthetic samples per generation; None means m = n (Gillman's toy: n = 50, m = 25).
      transforms: transforms applied to the synthetic samples before they enter (Gillman: their correction).

    Example:
      >>> import lab
      >>> regime = lab.RecencyAccumulate(synthetic=25, transforms=[lab.Correct(1.0, lab.Ideal())])
    """

    synthetic: int | None = None
    transforms: tuple = ()

    def __post_init__(self):
        optional_count("synthetic", self.synthetic)
        object.__setattr__(self, "transforms", tuple(self.transforms))

    def plan(self, n: int, generations: int) -> Plan:
        m = self.synthetic or n
        return Plan(buffer=n + generations * m, synthetic=m, real=0)

    def init(self, real0, plan: Plan):
        x, w = empty_buffer(real0, plan.buffer)
        x, w = write(x, w, real0, jnp.ones(real0.shape[0]), 0)
        return {"x": x, "w": w, "n": real0.shape[0], "t": 0}

    def step(self, state, real, synth_x, synth_w, t, *, key):
        m = synth_x.shape[0]
        x, w = write(state["x"], state["w"], synth_x, synth_w, state["n"] + (t - 1) * m)
        return {"x": x, "w": w, "n": state["n"], "t": t}

    def training_set(self, state):
        """(x, w): pool weights times the keep mask; slot n + (j − 1)m + k (k < m) is kept iff k < ⌊(j/t)·m⌋."""
        x, w, n, t = state["x"], state["w"], state["n"], state["t"]
        m = self.synthetic or n
        slot = jnp.arange(w.shape[0]) - n
        j, k = slot // m + 1, slot % m
        keep = (slot < 0) | ((j <= t) & (k < kept(j, jnp.maximum(t, 1), m)))
        return x, jnp.where(keep, w, 0.0)

    def describe(self) -> dict:
        return describe_regime(self)


__all__ = ["RecencyAccumulate", "kept"]
