"""The SIMS suite's shared machinery: which studies form it, their presets, and the helpers their cells share
(the base diffusion family, seeds vmapped in groups, per-seed results, a training probe for gpu configurations).

``python -m lab sims --preset P`` runs the studies named in ``STUDIES`` at P (one of ``PRESETS``).
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np

# The SIMS suite (issue 6): ``python -m lab sims --preset P`` runs these at P; their PRESETS also hold quick/full.
STUDIES = ("sims_toy", "sims_digits", "sims_loop", "sims_pollution", "sims_shift")
PRESETS = ("cpu-quick", "cpu-full", "gpu")


def diffusion(width: int, depth: int, steps: int, batch: int, lr: float, *, ema_decay: float = 0.999,
              sampler_steps: int = 18, sigma_data: float = 0.5):
    """The studies' base family: ``lab.Diffusion(MLP(width, depth), EDM(sigma_data), TrainConfig(...), Heun)``."""
    import lab
    from lab.diffusion import EDM, MLP, Sampler, TrainConfig

    return lab.Diffusion(MLP(width, depth), EDM(sigma_data=sigma_data),
                         TrainConfig(steps=steps, batch=batch, lr=lr, ema_decay=ema_decay), Sampler(sampler_steps))


def seed_keys(seeds):
    """(S,) typed keys jax.random.key(s), one per seed (the vmapped axis of ``run_sims_seeds``)."""
    import jax
    import jax.numpy as jnp

    return jax.vmap(jax.random.key)(jnp.asarray([int(s) for s in seeds], jnp.uint32))


def chunks(seeds, size: int) -> list:
    """Seeds in groups of at most ``size``: one cell each (a cell vmaps its group; cells are cached one by one)."""
    if int(size) < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    seeds = [int(s) for s in seeds]
    return [seeds[i:i + size] for i in range(0, len(seeds), max(1, int(size)))]


def per_seed(results: dict) -> dict:
    """{f"seed_{s}": value} from cells named "seeds_…" that each return {f"seed_{s}": value} for their group of
    seeds (entries already named "seed_…" are kept as they are)."""
    out = {}
    for k, v in results.items():
        if k.startswith("seeds_"):
            out.update(v)
        else:
            out[k] = v
    return out


def tree_index(tree, i: int):
    """Entry i of every leaf of a pytree (one seed of a vmapped result)."""
    import jax

    return jax.tree_util.tree_map(lambda a: a[i], tree)


def settings_of(cfg, drop=("seeds",)) -> dict:
    """The cell settings of a frozen dataclass config: ``asdict(cfg)`` without the fields in ``drop`` (those that
    index the cells, e.g. seeds or shares). Unchanged from the studies' own copies, so cached cells stay valid."""
    s = asdict(cfg)
    for k in drop:
        if k not in s:
            raise ValueError(f"drop must name fields of {type(cfg).__name__}, got {k!r}")
        s.pop(k)
    return s


def table(results: dict, names, omegas, metric: str, part: str = "metrics") -> np.ndarray:
    """(len(names), len(omegas)) array of results[name][part][str(float(ω))][metric] (one row per seed's cell)."""
    return np.array([[results[name][part][str(float(w))][metric] for w in omegas] for name in names])


def probe_training(family, shape, *, steps: int = 4, key: int = 0) -> float:
    """Guard (issue 11 item 2): ``steps`` optimiser steps of ``family`` (a ``lab.Diffusion``) at its real network,
    batch and *peak* learning rate (no warm-up, no decay: the harshest steps of the real run) on standard-normal rows
    of ``shape`` = (N, d); returns the last loss (the caller asserts it is finite)."""
    from dataclasses import replace

    import jax
    import jax.numpy as jnp

    from lab.diffusion import train

    if len(tuple(shape)) != 2:
        raise ValueError(f"shape must be (N, d), got {tuple(shape)}")
    t = replace(family.train, steps=steps, warmup=0, lr_end=1.0)
    x = jax.random.normal(jax.random.key(key), tuple(shape), jnp.float32)
    out = jax.jit(lambda x: train(family.precond, family.net, t, x, jnp.ones(x.shape[0]), key=jax.random.key(1)))(x)
    return float(out.losses[-1])


def gpu_check(family, shape) -> list:
    """The ``gpu_check_configs`` entry of one family: [(family, data shape)]."""
    return [(family, tuple(int(s) for s in shape))]


def digits_family(k: dict):
    """The digits studies' ``lab.SIMS`` family of a cell's JSON kwargs (width, depth, base_steps, batch, lr,
    ema_decay, sampler_steps, aux_steps, n_synthetic, aux_lr)."""
    import lab

    base = diffusion(k["width"], k["depth"], k["base_steps"], k["batch"], k["lr"], ema_decay=k["ema_decay"],
                     sampler_steps=k["sampler_steps"])
    return lab.SIMS(base, budget=k["aux_steps"], synthetic=k["n_synthetic"], aux_lr=k["aux_lr"])


def digits_sims_config(k: dict):
    """The ``lab.sims.SIMSConfig`` of a digits cell's JSON kwargs (``digits_family`` and omegas, n_samples)."""
    from lab.sims import SIMSConfig

    return SIMSConfig(digits_family(k), omegas=tuple(k["omegas"]), n_samples=k["n_samples"])


def verdict_of(summary: dict) -> tuple:
    """(ok, text) of a study's ``summary`` (``lab.readme``'s gpu table): the Verdict's ok (None when inconclusive)
    and the headline with the rule."""
    v = summary["verdict"]
    return v.ok, f"{summary['headline']} Rule: {v.rule}."
