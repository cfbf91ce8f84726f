"""Fresh: MAD's fresh-data loop (Alemohammad et al., ICLR 2024; THEORY G4). Every generation trains on n_r new real
samples plus n_s samples from the previous model. Generation 0 is fitted on the n initial real samples (MAD's n_ini)."""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from lab import _checks
from lab.regimes.base import Plan, describe_regime, empty_buffer, write


@dataclass(frozen=True)
class Fresh:
    """n_r fresh real plus n_s synthetic samples per generation.

    Args:
      real: n_r, fresh real samples per generation (≥ 1).
      synthetic: n_s, synthetic samples per generation (≥ 0; 0 gives independent fits on n_r real samples).
      transforms: transforms applied to the synthetic samples before they enter.
    """

    real: int
    synthetic: int
    transforms: tuple = ()

    def __post_init__(self):
        _checks.integer("real", self.real, minimum=1)
        _checks.integer("synthetic", self.synthetic, minimum=0)
        object.__setattr__(self, "transforms", tuple(self.transforms))

    def plan(self, n: int, generations: int) -> Plan:
        return Plan(buffer=self.real + self.synthetic, synthetic=self.synthetic, real=self.real)

    def init(self, real0, plan: Plan):
        x, w = empty_buffer(real0, plan.buffer)
        return {"x": x, "w": w}

    def step(self, state, real, synth_x, synth_w, t, *, key):
        x, w = write(state["x"], state["w"], real, jnp.ones(real.shape[0]), 0)
        x, w = write(x, w, synth_x, synth_w, self.real)
        return {"x": x, "w": w}

    def training_set(self, state):
        return state["x"], state["w"]

    def describe(self) -> dict:
        return describe_regime(self)
