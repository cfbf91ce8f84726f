"""Many training-set rules in ONE compiled loop: the real count r, the synthetic amount m and the source of the real
rows (the fixed generation-0 set or fresh draws) are traced inputs, one lane per (setting, replicate).

``lab.simulate`` compiles one program per configuration, so a grid of synthetic amounts m, or the regimes Replace /
Augment / Fresh side by side, each compile the whole loop again; for small models the compilation costs more than the
run. Here every fit sees one buffer of n + M rows (M = ``capacity``, the largest m):
    rows 0 … n−1      the real block: generation 0's n real points (fixed set) or n fresh draws of this generation
                      (fresh data), weight 1 for the first r rows and 0 for the rest;
    rows n … n+M−1    the previous model's first M draws, weight 1 for the first m and 0 for the rest.
A lane (r, m, fresh) then trains on exactly what these regimes assemble (``lab/regimes``), with zero-weight rows in
between:
    Replace()                 r = 0, m = n, fresh = False
    Augment(synthetic=m)      r = n, m,     fresh = False
    Fresh(real=r, synthetic=m)  r,   m,     fresh = True.
Zero-weight rows are inert for every family (the family contract, ``lab/models/base.py``); for the minibatch sampler of
``lab.diffusion.train`` and ``KDE.sample`` too: both pick row i by inverse CDF on the cumulative weights
(``searchsorted(cumsum(w), u·Σw, side="right")`` with u < 1), which never lands on a zero-weight row and maps u to the
same weighted row whatever zero rows lie between, so a lane draws the same minibatches as the engine's buffer.

Keys are the engine's (``lab.keys``): replicate r of seed s is fold_in(key(s), r); generation t's cell key, its REAL,
SYNTHETIC, FIT and METRIC streams (the metric key folded with crc32 of its name) are those ``lab.simulate`` uses, and
the synthetic block is the first M draws of ``model.sample`` (families with per-sample seeds, such as the diffusion
sampler, give the first m of them exactly as a draw of m would). A lane thus reproduces ``lab.simulate`` under the
matching regime, up to floating-point rounding of the fits' sums (tests/test_lanes.py), while all lanes of one
(truth, model, metric, n, M, generations) share one compilation per process (``_PROGRAMS``).
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks, keys
from lab.loop import _devices_layout
from lab.transforms import synthesize

_PROGRAMS: dict = {}


@dataclass(frozen=True)
class Lane:
    """One training-set rule: ``real`` rows of the real block (≤ n), ``synthetic`` rows of the synthetic block (≤ M),
    ``fresh`` (True: the real block is redrawn every generation; False: generation 0's set is kept), and the ``seed``
    of its replicates."""

    real: int
    synthetic: int
    fresh: bool
    seed: int = field(kw_only=True)  # keyword-only, as every seed and key in the lab

    @staticmethod
    def replace(n: int, *, seed: int) -> "Lane":
        return Lane(0, n, False, seed=seed)

    @staticmethod
    def augment(n: int, m: int, *, seed: int) -> "Lane":
        return Lane(n, m, False, seed=seed)

    @staticmethod
    def fresh_data(real: int, m: int, *, seed: int) -> "Lane":
        return Lane(real, m, True, seed=seed)


def _describe(obj):
    return obj.describe() if hasattr(obj, "describe") else repr(obj)


def _program(truth, model, metric, n: int, capacity: int, generations: int):
    """The jitted loop over lanes: (replicate keys (L,), r (L,), m (L,), fresh (L,)) -> (params, metric values)."""
    cfg = json.dumps([_describe(truth), _describe(model), _describe(metric), n, capacity, generations],
                     sort_keys=True, default=repr)
    fn = _PROGRAMS.get(cfg)
    if fn is not None:
        return fn
    fdtype = jnp.result_type(float)
    name_key = zlib.crc32(metric.name.encode())

    def fit0(k):  # generation 0's fit, traced for its params' structure only
        x = truth.sample(key=k, n=n + capacity)
        return model.fit(x, jnp.ones((n + capacity,), fdtype), key=k)

    blank = jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), jax.eval_shape(fit0, jax.random.key(0)))

    def one(rkey, r, m, fresh):
        real0 = truth.sample(key=keys.stream(keys.cell_key(rkey, 0), keys.REAL), n=n)
        synth_keep = (jnp.arange(capacity) < m).astype(fdtype)

        # One scan over t = 0 … G with ONE fit in its body (the program holds one copy of the training): generation 0
        # is the step whose real block is real0 at weight 1 (drawn from the REAL stream of cell 0, as fresh blocks
        # are from theirs) and whose synthetic block, drawn from the blank params, has weight 0.
        def body(params, t):
            kt = keys.cell_key(rkey, t)
            sx, sw = synthesize(model, params, truth, (), key=kt, m=capacity)
            sw = sw.astype(fdtype) * synth_keep * (t > 0)
            sx = jnp.where(sw[:, None] > 0, sx.astype(real0.dtype), 0.0)  # rows of weight 0 hold 0 (blank draws)
            real = jnp.where(fresh & (t > 0), truth.sample(key=keys.stream(kt, keys.REAL), n=n), real0)
            real_w = jnp.where(t > 0, (jnp.arange(n) < r).astype(fdtype), 1.0)
            params = model.fit(jnp.concatenate([real, sx]), jnp.concatenate([real_w, sw]),
                               key=keys.stream(kt, keys.FIT))
            return params, params

        _, allp = jax.lax.scan(body, blank, jnp.arange(generations + 1))

        def measure(p, t):
            mk = keys.stream(keys.cell_key(rkey, t), keys.METRIC)
            return metric(truth, model, p, key=jax.random.fold_in(mk, name_key))

        return allp, jax.vmap(measure)(allp, jnp.arange(generations + 1))

    fn = _PROGRAMS[cfg] = jax.jit(jax.vmap(one))
    return fn


def run(truth, model, metric, lanes, *, n: int, capacity: int, generations: int, replicates: int, batch: int,
        return_params: bool = False):
    """Run ``replicates`` replicates of every lane in ``lanes`` (``Lane``s) in chunks of ``batch`` lanes × replicates
    (the last chunk padded, so every chunk has one shape and one compilation), each chunk spread over the devices
    (``lab.loop._devices_layout``: the chunk rounded up to a multiple of their count).

    Returns a list, one entry per lane: the metric's values (replicates, generations + 1) as numpy, or with
    ``return_params`` the pair (values, params pytree with leading axes (replicates, generations + 1)).

    Raises ValueError naming the argument for sizes out of range (a lane's real count above n or synthetic amount
    above ``capacity``; a lane whose fits would see fewer than 2 points; a training that diverged)."""
    n = _checks.integer("n", n, minimum=2)
    capacity = _checks.integer("capacity", capacity, minimum=1)
    generations = _checks.integer("generations", generations, minimum=0)
    replicates = _checks.integer("replicates", replicates, minimum=1)
    batch = _checks.integer("batch", batch, minimum=1)
    lanes = list(lanes)
    if not lanes:
        raise ValueError("lanes must hold at least one Lane")
    for lane in lanes:
        if not isinstance(lane, Lane):
            raise TypeError(f"lanes must hold lab.lanes.Lane objects, got {type(lane).__name__}")
        if not 0 <= lane.real <= n:
            raise ValueError(f"lanes: real must be in [0, n = {n}], got {lane.real}")
        if not 0 <= lane.synthetic <= capacity:
            raise ValueError(f"lanes: synthetic must be in [0, capacity = {capacity}], got {lane.synthetic}")
        if generations and lane.real + lane.synthetic < 2:
            raise ValueError(f"lanes: real + synthetic must be >= 2 (points per fit), got {lane}")
    fn = _program(truth, model, metric, n, capacity, generations)
    total = len(lanes) * replicates
    reps = jnp.arange(replicates)  # one vmapped fold_in per lane (a stack of single keys compiles for minutes)
    rkeys = jnp.concatenate([jax.vmap(lambda r, k=keys.as_key(lane.seed): keys.replicate_key(k, r))(reps)
                             for lane in lanes])
    col = lambda f, dt: jnp.asarray(np.repeat([f(lane) for lane in lanes], replicates), dt)  # noqa: E731
    r_, m_, f_ = col(lambda l: l.real, jnp.int32), col(lambda l: l.synthetic, jnp.int32), col(lambda l: l.fresh, bool)
    # a chunk spread over the CPU devices ``lab`` sets up (one per core), as ``lab.simulate`` does
    size, sharding = _devices_layout(min(batch, total))
    out = []
    for s in range(0, total, size):
        idx = np.minimum(np.arange(s, s + size), total - 1)  # the last chunk padded with copies of its last lane
        args = (rkeys[idx], r_[idx], m_[idx], f_[idx])
        p, v = fn(*(args if sharding is None else jax.device_put(args, sharding)))
        take = min(size, total - s)
        out.append(jax.tree.map(lambda a: np.asarray(a)[:take], (p, v)))
    params, values = jax.tree.map(lambda *a: np.concatenate(a), *out)
    loss = getattr(params, "loss", None)  # families trained by gradient descent report it (lab.loop._check_training)
    if loss is not None and not np.all(np.isfinite(loss)):
        j, t = (int(v) for v in np.argwhere(~np.isfinite(loss))[0])
        raise ValueError(f"train_loss is not finite at lane {lanes[j // replicates]}, replicate {j % replicates}, "
                         f"generation {t}: the training diverged (lower the learning rate or check the data's scale)")
    split = lambda a, j: a[j * replicates:(j + 1) * replicates]  # noqa: E731
    if return_params:
        return [(split(values, j), jax.tree.map(lambda a: split(a, j), params)) for j in range(len(lanes))]
    return [split(values, j) for j in range(len(lanes))]


__all__ = ["Lane", "run"]
