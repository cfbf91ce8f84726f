"""Transforms on synthetic samples, applied before they enter the training set (sampling bias · curation ·
correction · verification).

Contract: a frozen dataclass with
- ``n_in(m) -> int``: how many candidates it needs to return m samples (e.g. K·m for K-wise curation);
- ``__call__(x: (n_in, …), w: (n_in,), *, key, model, params, truth) -> (x: (m, …), w: (m,))`` (``key``
  keyword-only, as everywhere in the lab); a weight of 0 marks a rejected sample (verification), so shapes stay static.
Neutral settings must return their input unchanged, bit for bit.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lab import keys


def synthesize(model, params, truth, transforms, *, key, m: int):
    """m synthetic samples of ``model`` at ``params`` passed through ``transforms`` in order: (x: (m, …), w: (m,))."""
    sizes = [m]
    for tr in reversed(transforms):
        sizes.insert(0, tr.n_in(sizes[0]))
    x = model.sample(params, key=keys.stream(key, keys.SYNTHETIC), n=sizes[0])
    w = jnp.ones((sizes[0],), jnp.result_type(float))
    tkey = keys.stream(key, keys.TRANSFORM)
    for i, tr in enumerate(transforms):
        x, w = tr(x, w, key=jax.random.fold_in(tkey, i), model=model, params=params, truth=truth)
    return x, w


from lab.transforms.correct import Correct, Ideal, Langevin, Project  # noqa: E402
from lab.transforms.histogram import HistogramCorrect  # noqa: E402
from lab.transforms.curate import Curate, NegDistance, Plateau, TableReward  # noqa: E402
from lab.transforms.verify import DensityAbove, Near, Verify  # noqa: E402

__all__ = ["synthesize", "Curate", "NegDistance", "Plateau", "TableReward", "Correct", "Ideal", "Langevin", "Project",
           "HistogramCorrect", "Verify", "Near", "DensityAbove"]
