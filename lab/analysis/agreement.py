"""Simulation against a closed form, in standard errors; a least-squares slope with its standard error."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Agreement:
    """z = (simulation mean − theory) / simulation SE, elementwise, and the tolerance k in standard errors."""

    z: np.ndarray  # same shape as the broadcast inputs
    k: float  # tolerance: agree when every |z| ≤ k

    @property
    def ok(self) -> bool:
        """Every point within k standard errors of the theory."""
        return bool(np.all(np.abs(self.z) <= self.k))

    @property
    def worst(self) -> float:
        """max |z| over the points."""
        return float(np.max(np.abs(self.z)))

    def to_dict(self) -> dict:
        return {"k": self.k, "worst_z": self.worst, "agree": self.ok, "points": int(np.size(self.z))}


def agreement(sim_mean, sim_se, theory, k: float = 5.0) -> Agreement:
    """Does a simulation agree with a closed form? z = (sim_mean − theory)/sim_se, agreement when every |z| ≤ k.

    Args:
      sim_mean: (...) simulation means (e.g. over replicates, per generation).
      sim_se: (...) their standard errors, ≥ 0; a zero SE gives z = 0 where the mean equals the theory, ±∞ elsewhere.
      theory: (...) the closed form at the same points; the three broadcast together.
      k: tolerance in standard errors, > 0 (5 by default: a false alarm has probability ~6e-7 per Gaussian point).

    >>> agreement([1.0, 2.0], [0.1, 0.1], [1.2, 2.0]).z.tolist()
    [-2.0, 0.0]
    """
    if not (np.isfinite(k) and k > 0):
        raise ValueError(f"k must be a positive number of standard errors, got {k}")
    try:
        m, s, t = np.broadcast_arrays(np.asarray(sim_mean, float), np.asarray(sim_se, float), np.asarray(theory, float))
    except ValueError:
        raise ValueError(f"sim_mean, sim_se and theory must broadcast together, got shapes {np.shape(sim_mean)}, "
                         f"{np.shape(sim_se)} and {np.shape(theory)}") from None
    if m.size == 0:
        raise ValueError("sim_mean must hold at least one point")
    if np.any(s < 0) or np.any(np.isnan(s)):
        raise ValueError(f"sim_se must be non-negative standard errors, got {np.asarray(sim_se)}")
    d = m - t
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, d / np.where(s > 0, s, 1.0), np.where(d == 0, 0.0, np.sign(d) * np.inf))
    return Agreement(z, float(k))


@dataclass(frozen=True)
class SlopeFit:
    """Least-squares line y ≈ intercept + slope·x, with the slope's standard error."""

    slope: float
    intercept: float
    se: float  # √(Σ residual² / (n − 2) / Σ(x − x̄)²); nan for n = 2 (no residual degrees of freedom)
    n: int  # points

    def to_dict(self) -> dict:
        return {"slope": self.slope, "intercept": self.intercept, "se": self.se, "n": self.n}


def slope_fit(x, y) -> SlopeFit:
    """Ordinary least squares of y on x. The line is ``np.polyfit(x, y, 1)`` (the studies' fits, bit for bit);
    SE(slope) = √(s² / Σ(x − x̄)²), s² = Σ residual² / (n − 2) (the textbook OLS standard error, as
    ``scipy.stats.linregress``'s ``stderr``).

    Args:
      x, y: (n,) finite values, n ≥ 2, x not all equal.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be (n,) arrays of the same length n ≥ 2, got shapes {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite")
    sxx = float(np.sum((x - x.mean()) ** 2))
    if sxx == 0:
        raise ValueError("x must hold at least two distinct values")
    slope, intercept = np.polyfit(x, y, 1)
    n = x.size
    resid = y - (intercept + slope * x)
    se = float(np.sqrt(np.sum(resid**2) / (n - 2) / sxx)) if n > 2 else float("nan")
    return SlopeFit(float(slope), float(intercept), se, n)
