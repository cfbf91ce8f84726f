"""Total variation between two 1-D laws with exact densities, by quadrature on a grid (deterministic, no Monte Carlo)."""
from __future__ import annotations

from dataclasses import dataclass

from lab.metrics.base import Metric

RULES = ("midpoint", "trapezoid")


@dataclass(frozen=True)
class GridTV(Metric):
    """TV(truth, model) for 1-D laws from ``truth.log_prob`` and ``model.log_prob`` on a grid of [lo, hi].

    Two quadrature rules, as the studies use them:
    - "midpoint": TV = ½ ∫ |p* − q| by the midpoint rule on ``points`` cells of width h = (hi − lo)/points; the model's
      mass outside the interval, 1 − h Σ q, is added as ½·max(0, ·) (there p* ≈ 0, so |p* − q| = q); the truth's
      mass outside is ignored. Error O(h²) for smooth densities, plus the truth's outside mass.
    - "trapezoid": TV = 1 − ∫ min(p*, q) by the trapezoid rule on ``points`` nodes from lo to hi, clipped to [0, 1].
      Outside, min(p*, q) ≤ p*, so the error is at most the truth's outside mass plus the trapezoid error (O(Δx²) at
      the kinks of min).
    """

    lo: float = -6.0  # left end of the grid
    hi: float = 6.0  # right end of the grid
    points: int = 241  # cells (midpoint) or nodes (trapezoid)
    rule: str = "midpoint"  # one of RULES
    name = "tv_grid"

    def __post_init__(self):
        if not self.lo < self.hi:
            raise ValueError(f"lo must be below hi, got lo={self.lo}, hi={self.hi}")
        if int(self.points) < 2:
            raise ValueError(f"points must be at least 2, got {self.points}")
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")

    def nodes(self):
        """The midpoint rule's cell midpoints (points,) and width h."""
        import jax.numpy as jnp

        h = (self.hi - self.lo) / self.points
        return self.lo + h * (jnp.arange(self.points) + 0.5), h

    def __call__(self, truth, model, params, *, key):
        import jax.numpy as jnp

        if self.rule == "trapezoid":
            x = jnp.linspace(self.lo, self.hi, self.points)[:, None]
            lo = jnp.exp(jnp.minimum(truth.log_prob(x), model.log_prob(params, x)))
            return jnp.clip(1.0 - jnp.trapezoid(lo, x[:, 0]), 0.0, 1.0)
        x, h = self.nodes()
        p, q = jnp.exp(truth.log_prob(x[:, None])), jnp.exp(model.log_prob(params, x[:, None]))
        return 0.5 * h * jnp.sum(jnp.abs(p - q)) + 0.5 * jnp.clip(1.0 - h * jnp.sum(q), 0.0, None)
