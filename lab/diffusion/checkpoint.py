"""Save and load fitted ``Diffusion`` / ``SIMS`` params as one ``.npz`` file: arrays raw (bit for bit), metadata JSON.

Layout: ``leaf_<i>`` are the leaves of the params pytree (``DiffusionParams`` or ``SIMSParams``) in
``jax.tree_util`` order, and ``meta`` a JSON string {"format", "family": family.describe(), "dim"}. Loading rebuilds
the family from its description (``family_from_dict``) and the pytree structure from ``jax.eval_shape`` of the
network's ``init``, so no pickled code is ever read. Params with leading batch axes (``run_sims_seeds``'s seed axis,
``vmap`` over replicates) round-trip too: every leaf must carry the same leading shape.
"""
from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from lab.cache import atomic_write
from lab.diffusion.family import SIMS, Diffusion, DiffusionParams, SIMSParams, _dim
from lab.diffusion.networks import network_from_dict
from lab.diffusion.precond import DTYPE, EDM, VP
from lab.diffusion.samplers import Sampler
from lab.diffusion.train import TrainConfig

FORMAT = "lab.diffusion.checkpoint/1"
_PRECONDS = {"VP": VP, "EDM": EDM}


def _fields(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "kind"}


def family_from_dict(d: dict):
    """Inverse of ``Diffusion.describe()`` / ``SIMS.describe()``."""
    if d.get("kind") == "SIMS":
        return SIMS(family_from_dict(d["base"]), **{k: v for k, v in _fields(d).items() if k != "base"})
    if d.get("kind") != "Diffusion":
        raise ValueError(f"family kind must be 'Diffusion' or 'SIMS', got {d.get('kind')!r}")
    pre = d["precond"]
    if pre.get("kind") not in _PRECONDS:
        raise ValueError(f"precond kind must be one of {sorted(_PRECONDS)}, got {pre.get('kind')!r}")
    smp = _fields(d["sampler"])
    smp["kind"] = smp.pop("integrator")
    return Diffusion(network_from_dict(d["net"]), _PRECONDS[pre["kind"]](**_fields(pre)),
                     TrainConfig(**_fields(d["train"])), Sampler(**smp))


def _template(family, dim: int):
    """The params pytree of ``family`` for data dimension ``dim``, as shapes (no computation)."""
    base = family.base if isinstance(family, SIMS) else family
    weights = jax.eval_shape(lambda k: base.net.init(key=k, dim=dim, n_cond=base.precond.n_cond), jax.random.key(0))
    one = DiffusionParams(weights, jax.ShapeDtypeStruct((), DTYPE))
    return SIMSParams(one, one) if isinstance(family, SIMS) else one


def save(path, family, params) -> Path:
    """Write ``params`` of ``family`` (a ``Diffusion`` or ``SIMS``) to ``path`` (.npz, written atomically)."""
    if not isinstance(family, (Diffusion, SIMS)):
        raise TypeError(f"family must be a lab.Diffusion or lab.SIMS, got {type(family).__name__}")
    path = Path(path)
    base = params.base if isinstance(params, SIMSParams) else params
    dim = _dim(family.base.net if isinstance(family, SIMS) else family.net, base.weights)
    meta = {"format": FORMAT, "family": family.describe(), "dim": dim}
    arrays = {"meta": np.array(json.dumps(meta, sort_keys=True))}
    for i, leaf in enumerate(jax.tree_util.tree_leaves(params)):
        arrays[f"leaf_{i}"] = np.asarray(leaf)
    return atomic_write(path, lambda tmp: np.savez(tmp, **arrays), ".npz")


def load(path):
    """(family, params) saved at ``path``; ValueError naming ``path`` if it is not a checkpoint of this format."""
    try:
        f = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"path {path} is not a lab.diffusion checkpoint ({e})") from None
    with f:
        if not hasattr(f, "files") or "meta" not in f.files:
            raise ValueError(f"path {path} is not a lab.diffusion checkpoint (no 'meta' entry)")
        meta = json.loads(str(f["meta"]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"path {path} has checkpoint format {meta.get('format')!r}, expected {FORMAT!r}")
        family = family_from_dict(meta["family"])
        shapes, treedef = jax.tree_util.tree_flatten(_template(family, int(meta["dim"])))
        names = [f"leaf_{i}" for i in range(len(shapes))]
        if sorted(names) != sorted(k for k in f.files if k.startswith("leaf_")):
            raise ValueError(f"path {path}: holds another number of arrays than {type(family).__name__}'s params")
        stored = [f[k] for k in names]
        batch = stored[0].shape[:stored[0].ndim - len(shapes[0].shape)]
        for s, a in zip(shapes, stored):
            if a.shape != batch + s.shape or a.dtype != s.dtype:
                raise ValueError(f"path {path}: a leaf of shape {a.shape} {a.dtype} does not match the family's "
                                 f"{batch + s.shape} {s.dtype}")
        return family, jax.tree_util.tree_unflatten(treedef, [jnp.asarray(a) for a in stored])


__all__ = ["FORMAT", "family_from_dict", "save", "load"]
