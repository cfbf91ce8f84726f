"""Augment: MAD's synthetic-augmentation loop (Alemohammad et al., ICLR 2024; THEORY G4). The same fixed real set of n
samples at every generation plus m samples from the latest model (or, with ``keep_all``, from every model so far)."""
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
      keep_all: keep the synthetic samples of all earlier generations (real + m·t points at generation t) instead of
        only the latest model's m.
      transforms: transforms applied to the synthetic samples before they enter.
    """

    synthetic: int
    keep_all: bool = False
    transforms: tuple = ()

    def __post_init__(self):
        _checks.integer("synthetic", self.synthetic, minimum=1)
        _checks.boolean("keep_all", self.keep_all)
        object.__setattr__(self, "transforms", tuple(self.transforms))

    def plan(self, n: int, generations: int) -> Plan:
        blocks = generations if self.keep_all else 1
        return Plan(buffer=n + blocks * self.synthetic, synthetic=self.synthetic, real=0)

    def init(self, real0, plan: Plan):
        x, w = empty_buffer(real0, plan.buffer)
        x, w = write(x, w, real0, jnp.ones(real0.shape[0]), 0)
        return {"x": x, "w": w, "n": real0.shape[0]}

    def step(self, state, real, synth_x, synth_w, t, key):
        block = (t - 1) if self.keep_all else 0
        offset = state["n"] + block * self.synthetic
        x, w = write(state["x"], state["w"], synth_x, synth_w, offset)
        return {"x": x, "w": w, "n": state["n"]}

    def training_set(self, state):
        return state["x"], state["w"]

    def describe(self) -> dict:
        return describe_regime(self)
