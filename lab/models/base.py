"""The model-family contract shared by every family (the engine relies on nothing else).

A family is a frozen dataclass of hyperparameters with pure methods:

- ``fit(x: (N, …), w: (N,), *, key) -> params``: weighted fit. ``key`` is keyword-only: the engine passes the cell's
  FIT stream (``lab.keys``); deterministic families accept it and ignore it (``key=None`` is allowed there), random
  ones (``Diffusion``, ``SIMS``) require it. Weights are frequency weights; a zero weight marks an empty
  slot of the fixed-size training buffer, so growing data (Accumulate) stays jit-friendly.
- ``sample(params, *, key, n) -> (n, …)``: n draws from the fitted law.
- ``variables(params) -> {name: (array, dims)}``: the fitted quantities the engine stores in the Dataset; ``dims`` names
  the trailing axes after (replicate, generation).
- ``default_metrics(truth) -> tuple[Metric, ...]``: what ``simulate`` records when the user names none.
- ``check(truth)``: raise ``ValueError`` if this family cannot be used with ``truth`` (e.g. mismatched dimensions).
- optional ``for_truth(truth) -> family``: the family with the sizes it takes from the truth filled in (e.g.
  ``CategoricalFit()``'s number of categories); ``simulate`` calls it first, so the run, its attrs and its cache key
  are those of the filled-in family.
- ``describe() -> dict``: the configuration recorded in the Dataset's attrs.

Params are JAX pytrees, so one replicate's code runs for many replicates under ``jax.vmap`` and many generations under
``jax.lax.scan``.
"""
from __future__ import annotations

from dataclasses import asdict, fields


def describe_dataclass(obj) -> dict:
    """``{"kind": ClassName, field: value, …}`` with numpy arrays turned into lists (for attrs and cache keys)."""
    out = {"kind": type(obj).__name__}
    for f in fields(obj):
        if f.name.startswith("_"):
            continue
        v = getattr(obj, f.name)
        if hasattr(v, "describe"):
            v = v.describe()
        elif hasattr(v, "tolist"):
            v = v.tolist()
        elif isinstance(v, tuple):
            v = [x.describe() if hasattr(x, "describe") else x for x in v]
        out[f.name] = v
    return out


__all__ = ["describe_dataclass", "asdict"]
