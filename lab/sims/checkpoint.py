"""Save and load a trained ``Model`` as one ``.npz`` file: arrays stored raw (bit for bit), metadata as JSON.

Layout: ``params_<i>`` and ``ema_<i>`` are the leaves of the two weight pytrees in ``jax.tree_util`` order,
``losses`` the per-step losses, and ``meta`` a JSON string {"format", "spec", "config"}. Loading rebuilds the pytree
structure from the spec (``jax.eval_shape(spec.init, key)``), so no pickled code is ever read.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from lab.sims.networks import spec_from_dict
from lab.sims.training import Model, TrainConfig

FORMAT = "lab.sims.checkpoint/1"


def save(path, model: Model) -> Path:
    """Write ``model`` to ``path`` (a .npz; written atomically). Returns the path."""
    path = Path(path)
    meta = {"format": FORMAT, "spec": model.spec.to_dict(), "config": model.config.to_dict()}
    arrays = {"meta": np.array(json.dumps(meta, sort_keys=True)), "losses": np.asarray(model.losses)}
    for name in ("params", "ema"):
        for i, leaf in enumerate(jax.tree_util.tree_leaves(getattr(model, name))):
            arrays[f"{name}_{i}"] = np.asarray(leaf)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load(path) -> Model:
    """The ``Model`` saved at ``path``; ValueError naming ``path`` if it is not a checkpoint of this format."""
    with np.load(path, allow_pickle=False) as f:
        if "meta" not in f.files:
            raise ValueError(f"path {path} is not a lab.sims checkpoint (no 'meta' entry)")
        meta = json.loads(str(f["meta"]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"path {path} has checkpoint format {meta.get('format')!r}, expected {FORMAT!r}")
        spec = spec_from_dict(meta["spec"])
        config = TrainConfig(**meta["config"])
        shapes = jax.eval_shape(spec.init, jax.random.key(0))
        leaves, treedef = jax.tree_util.tree_flatten(shapes)
        trees = {}
        for name in ("params", "ema"):
            stored = [f[f"{name}_{i}"] for i in range(len(leaves))]
            for s, a in zip(leaves, stored):
                if a.shape != s.shape or a.dtype != s.dtype:
                    raise ValueError(f"path {path}: {name} leaf of shape {a.shape} does not match the spec's {s.shape}")
            trees[name] = jax.tree_util.tree_unflatten(treedef, [jnp.asarray(a) for a in stored])
        return Model(spec, config, trees["params"], trees["ema"], jnp.asarray(f["losses"]))


__all__ = ["save", "load", "FORMAT"]
