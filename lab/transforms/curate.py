"""Curation by K-wise Bradley–Terry choice (Ferbach et al., NeurIPS 2024; THEORY C1).

Each synthetic sample that enters the training set is chosen from K candidates x_1..x_K drawn from the model:
    P(keep x_k | x_1..x_K) = e^{r(x_k)} / Σ_j e^{r(x_j)}        (r the reward).
As K → ∞ the kept sample's law tends to p_t e^r / E_{p_t}[e^r] (``lab.theory.curation``).

Layout: ``n_in(m) = K·m`` candidates; candidate k of output i is row k·m + i, so candidate 0 of every output is one
of the first m rows — the rows the untransformed loop would use (the lab's samplers draw row by row from counter-based
keys, so the first m of K·m draws are the m draws bit for bit).

Ties. When all K candidates of an output have the same reward (a constant reward, or a categorical reward hitting
equal values), Bradley–Terry chooses uniformly; this transform keeps candidate 0 instead. The law of the kept sample
is unchanged: the tie event is symmetric in the candidates and the candidates are i.i.d. (every lab transform maps
i.i.d. rows to i.i.d. rows), so conditional on a tie candidate 0 and a uniformly chosen candidate have the same law.
This makes a constant reward neutral bit for bit for any K (K = 1 is neutral for every reward).

Weights act as acceptance flags: a candidate of weight 0 (rejected by an earlier ``Verify``) is never chosen unless all
K are rejected; the kept row keeps its weight.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.models.base import describe_dataclass


@dataclass(frozen=True)
class Curate:
    """Keep one of K model samples, chosen with probability ∝ e^{reward}.

    Args:
      reward: r, a jnp-traceable callable mapping rows (N, …) to rewards (N,) (e.g. ``NegDistance``).
      K: candidates per kept sample (≥ 1); K = 1 (or a constant reward) leaves the loop unchanged bit for bit.

    Example:
      >>> import lab
      >>> regime = lab.Replace(transforms=[lab.Curate(lab.NegDistance([2.0]), K=4)])
    """

    reward: Callable
    K: int = 2

    def __post_init__(self):
        _checks.integer("K", self.K, minimum=1)
        if not callable(self.reward):
            raise ValueError(f"reward must be callable, got {type(self.reward).__name__}")

    def n_in(self, m: int) -> int:
        return self.K * m

    def __call__(self, x, w, *, key, model, params, truth):
        """x: (K·m, …), w: (K·m,) → (m, …), (m,)."""
        K = self.K
        if K == 1:  # one candidate: nothing to choose
            return x, w
        m = x.shape[0] // K
        r = jnp.reshape(self.reward(x), (K, m))  # r[k, i]: reward of candidate k of output i
        logits = jnp.where(jnp.reshape(w, (K, m)) > 0, r, -jnp.inf)
        tie = jnp.all(logits == logits[:1], axis=0)  # (m,)
        choice = jnp.where(tie, 0, jax.random.categorical(key, logits, axis=0))
        xs, ws = jnp.reshape(x, (K, m) + x.shape[1:]), jnp.reshape(w, (K, m))
        out_x, out_w = xs[0], ws[0]
        for k in range(1, K):  # selects, not a gather: XLA then compiles the neutral case exactly as no transform
            pick = choice == k
            out_x = jnp.where(jnp.reshape(pick, (m,) + (1,) * (x.ndim - 1)), xs[k], out_x)
            out_w = jnp.where(pick, ws[k], out_w)
        return out_x, out_w

    def describe(self) -> dict:
        return describe_dataclass(self)


@dataclass(frozen=True, eq=False)
class NegDistance:
    """Reward r(x) = −scale·‖x − centre‖ (Ferbach et al.'s toy: prefer samples near one centre).

    Args:
      centre: (d,) the preferred point.
      scale: ≥ 0, reward per unit distance.
    """

    centre: np.ndarray
    scale: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "centre", np.atleast_1d(_checks.finite_array("centre", self.centre)))
        _checks.real_in("scale", self.scale, 0.0, np.inf, hi_open=True)

    def __call__(self, x):
        """(N,) rewards of rows x: (N, d)."""
        return -self.scale * jnp.sqrt(jnp.sum((x - jnp.asarray(self.centre)) ** 2, axis=-1))

    def describe(self) -> dict:
        return {"kind": "NegDistance", "centre": self.centre.tolist(), "scale": self.scale}


@dataclass(frozen=True, eq=False)
class Plateau:
    """Reward r(x) = −max(‖x − centre‖ − radius, 0): 0 on the ball B(centre, radius), minus the distance to it outside
    (argmax r is the whole ball, so curation's limit p₀|_B keeps p₀'s proportions inside it).

    Args:
      centre: (d,) the ball's centre.
      radius: ρ ≥ 0 (ρ = 0 is ``NegDistance``).
    """

    centre: tuple
    radius: float

    def __post_init__(self):
        object.__setattr__(self, "centre", tuple(np.atleast_1d(_checks.finite_array("centre", self.centre)).tolist()))
        _checks.real_in("radius", self.radius, 0.0, np.inf, hi_open=True)

    def __call__(self, x):
        """(N,) rewards of rows x: (N, d)."""
        d = jnp.sqrt(jnp.sum((x - jnp.asarray(self.centre)) ** 2, axis=-1))
        return -jnp.maximum(d - self.radius, 0.0)

    def describe(self) -> dict:
        return {"kind": "Plateau", "centre": list(self.centre), "radius": self.radius}


@dataclass(frozen=True, eq=False)
class TableReward:
    """Reward of a categorical index: r(x) = values[x] for rows x: (N, 1) of int indices.

    Args:
      values: (k,) reward per category.
    """

    values: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "values", _checks.finite_array("values", self.values, ndim=1))

    def __call__(self, x):
        return jnp.asarray(self.values)[x[:, 0]]

    def describe(self) -> dict:
        return {"kind": "TableReward", "values": self.values.tolist()}


__all__ = ["Curate", "NegDistance", "Plateau", "TableReward"]
