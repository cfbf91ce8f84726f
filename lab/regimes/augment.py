"""Augment: MAD's synthetic-augmentation loop (Alemohammad et al., ICLR 2024; THEORY G4). The same fixed real set of n
samples at every generation plus m samples from the latest model. (Keeping the synthetic samples of every model so
far is ``Accumulate(synthetic=m)``.)"""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from lab import _checks
from lab.regimes.base import Plan, describe_regime, empty_buffer, write


@dataclass(frozen=True)
class Augment:
    """Fixed real set plus synthetic samples.

    Args:
      synthetic: m, synthetic samples per generation (required).
      transforms: transforms applied to the synthetic samples before they enter.
    """

    synthetic: int
    transforms: tuple = ()

    def __post_init__(self):
        _checks.integer("synthetic", self.synthetic, minimum=1)
        object.__setattr__(self, "transforms", tuple(self.transforms))

    def plan(self, n: int, generations: int) -> Plan:
        return Plan(buffer=n + self.synthetic, synthetic=self.synthetic, real=0)

    def init(self, real0, plan: Plan):
        x, w = empty_buffer(real0, plan.buffer)
        x, w = write(x, w, real0, jnp.ones(real0.shape[0]), 0)
        return {"x": x, "w": w, "n": real0.shape[0]}

    def step(self, state, real, synth_x, synth_w, t, *, key):
        x, w = write(state["x"], state["w"], synth_x, synth_w, state["n"])
        return {"x": x, "w": w, "n": state["n"]}

    def training_set(self, state):
        return state["x"], state["w"]

    def describe(self) -> dict:
        return describe_regime(self)
