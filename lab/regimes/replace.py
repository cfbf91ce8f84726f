"""Replace: the fully synthetic loop (MAD's "fully synthetic"; Shumailov et al. 2024). Each generation trains only on
m samples of the previous model."""
from __future__ import annotations

from dataclasses import dataclass

from lab.regimes.base import Plan, describe_regime, empty_buffer, optional_count


@dataclass(frozen=True)
class Replace:
    """Train generation t on m samples from generation t − 1 only.

    Args:
      synthetic: m, synthetic samples per generation; None means m = n.
      transforms: transforms applied to the synthetic samples before they enter.
    """

    synthetic: int | None = None
    transforms: tuple = ()

    def __post_init__(self):
        optional_count("synthetic", self.synthetic)
        object.__setattr__(self, "transforms", tuple(self.transforms))

    def plan(self, n: int, generations: int) -> Plan:
        m = self.synthetic or n
        return Plan(buffer=m, synthetic=m, real=0)

    def init(self, real0, plan: Plan):
        x, w = empty_buffer(real0, plan.buffer)
        return {"x": x, "w": w}

    def step(self, state, real, synth_x, synth_w, t, *, key):
        return {"x": synth_x, "w": synth_w}

    def training_set(self, state):
        return state["x"], state["w"]

    def describe(self) -> dict:
        return describe_regime(self)
