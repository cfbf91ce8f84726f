"""Weighted: Bertrand et al.'s retraining with real data (ICLR 2024; THEORY S1).

Generation t ≥ 1 maximises the weighted log-likelihood
    Σ_{i ≤ n} log p_θ(x_i) + (λ_r·n/m) Σ_{j ≤ m} log p_θ(y_j),        y_j ~ p_{θ_{t−1}},
over the fixed real set x (the n samples of generation 0) and m synthetic samples, i.e. real data with total weight n
and synthetic data with total weight λ_r·n: the finite-sample version of
    θ_{t+1} = argmax_θ E_{p_data}[log p_θ] + λ_r E_{p_θt}[log p_θ].
The families' fits take frequency weights, so each synthetic row carries weight λ_r·n/m (times the weight a transform
left on it). With m = λ_r·n this is ``Augment(synthetic=m)``; the weights let λ_r vary without changing m.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.regimes.base import Plan, describe_regime, empty_buffer, optional_count, write


@dataclass(frozen=True)
class Weighted:
    """Fixed real set (weight 1 per row) plus m synthetic rows of total weight λ_r·n.

    Args:
      ratio: λ_r ≥ 0, synthetic-to-real weight ratio (0: every generation refits the real set alone).
      synthetic: m, synthetic samples per generation; None means m = n.
      transforms: transforms applied to the synthetic samples before they enter.
    """

    ratio: float
    synthetic: int | None = None
    transforms: tuple = ()

    def __post_init__(self):
        _checks.real_in("ratio", self.ratio, 0.0, np.inf, hi_open=True)
        optional_count("synthetic", self.synthetic)
        object.__setattr__(self, "transforms", tuple(self.transforms))

    def plan(self, n: int, generations: int) -> Plan:
        m = self.synthetic or n
        return Plan(buffer=n + m, synthetic=m, real=0)

    def init(self, real0, plan: Plan):
        x, w = empty_buffer(real0, plan.buffer)
        x, w = write(x, w, real0, jnp.ones(real0.shape[0]), 0)
        return {"x": x, "w": w, "n": real0.shape[0]}

    def step(self, state, real, synth_x, synth_w, t, *, key):
        n, m = state["n"], synth_x.shape[0]
        x, w = write(state["x"], state["w"], synth_x, synth_w * (self.ratio * n / m), n)
        return {"x": x, "w": w, "n": n}

    def training_set(self, state):
        return state["x"], state["w"]

    def describe(self) -> dict:
        return describe_regime(self)
