"""Engine benchmark (issue 2, item 10): the lab's replace loop against a plain numpy loop and against the floor.

Run: ``.venv/bin/python benchmarks/engine.py`` (or ``make bench``); about a minute on 2 cores.

Side by side, in the lab's precision for the Gaussian world (float64), for N(0, 1), d = 1, n = 100, 200 generations
after generation 0, 1,000 replicates:

  (a) ``lab.simulate(Gaussian, GaussianFit(ddof=0), Replace(), metrics=[])``: every sample drawn, warm (compile
      reported apart), best of ``--repeats``; the same call with the default metrics is an extra line;
  (b) the per-replicate numpy loop of the field's public code: ``x = rng.normal(mu, sigma, n)``, ``mu = np.mean(x)``,
      ``var = np.cov(x, bias=True)``, repeated; a subset of replicates is timed and scaled linearly (printed as such);
  (c) the floor: ``jax.random.normal`` of the same number of float64 variates the loop draws, jitted, warm, both as
      one array and streamed generation by generation (as the loop draws them); the smaller time is the floor;
  (d) an exact shortcut (``benchmarks/shortcut.py``) drawing the sufficient statistics from their laws; an extra line,
      not counted toward the target.

Extra rows (issue 17), the same comparison at d = 10 (Replace) and under Accumulate (d = 1 and d = 10), with
``EXTRA_REPLICATES`` replicates (the per-replicate numpy side, ``numpy_loop_d``, uses ``rng.multivariate_normal`` and
``np.cov`` and, under Accumulate, ``np.concatenate`` of all data so far; timed on ``--numpy-replicates`` and scaled).

Targets (issue 2): (a) at least 20× faster than (b), and (a)/(c) ≤ 1.5. It also prints how (a) grows with
generations, replicates and n (log-log slope; expected ≈ 1). The last line is ``speedup: <(b)/(a)>``.
``--prng rbg`` (or ``unsafe_rbg``) switches JAX's default PRNG for a measurement only; the lab's default is threefry.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import lab

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shortcut import simulate_stats  # noqa: E402

N, GENERATIONS, REPLICATES = 100, 200, 1000  # the configuration
SCALING = {"generations": (100, 200, 400), "replicates": (500, 1000, 2000), "n": (50, 100, 200)}


def lab_loop(*, n=N, generations=GENERATIONS, replicates=REPLICATES, metrics=()):
    """(a): the engine, results materialised as the xarray Dataset users get."""
    return lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=0), lab.Replace(), n=n,
                        generations=generations, replicates=replicates, key=0,
                        metrics=None if metrics is None else list(metrics))


EXTRA_REPLICATES = 200
EXTRA_ROWS = (("replace", 10), ("accumulate", 1), ("accumulate", 10))


def lab_loop_d(regime: str, d: int, *, replicates=EXTRA_REPLICATES):
    """(a) at dimension d under Replace or Accumulate, metrics=[]."""
    reg = lab.Replace() if regime == "replace" else lab.Accumulate()
    return lab.simulate(lab.Gaussian(np.zeros(d), np.eye(d)), lab.GaussianFit(ddof=0), reg, n=N,
                        generations=GENERATIONS, replicates=replicates, key=0, metrics=[])


def numpy_loop_d(regime: str, d: int, replicates: int, *, n=N, generations=GENERATIONS, seed=0):
    """(b) at dimension d: per replicate and generation, sample (``multivariate_normal``), then refit (mean, np.cov)
    on the last samples (Replace) or on everything so far (Accumulate). Returns the means (R, G+1, d)."""
    rng = np.random.default_rng(seed)
    means = np.empty((replicates, generations + 1, d))
    for r in range(replicates):
        mu, cov = np.zeros(d), np.eye(d)
        pool = np.empty((0, d))
        for t in range(generations + 1):
            x = rng.multivariate_normal(mu, cov, n)
            pool = x if regime == "replace" else np.concatenate([pool, x])
            mu = pool.mean(axis=0)
            cov = np.atleast_2d(np.cov(pool, rowvar=False, bias=True))
            means[r, t] = mu
    return means


def numpy_loop(replicates, *, n=N, generations=GENERATIONS, seed=0):
    """(b): per replicate, per generation: sample, then refit with np.mean / np.cov (float64). Returns (R, G+1) × 2."""
    rng = np.random.default_rng(seed)
    means = np.empty((replicates, generations + 1))
    variances = np.empty((replicates, generations + 1))
    for r in range(replicates):
        mu, sigma = 0.0, 1.0
        for t in range(generations + 1):
            x = rng.normal(mu, sigma, n)
            mu = np.mean(x)
            var = np.cov(x, bias=True)
            sigma = np.sqrt(var)
            means[r, t], variances[r, t] = mu, var
    return means, variances


def _replicate_keys(replicates: int):
    """One key per replicate, spread over the devices exactly as ``lab.simulate`` spreads replicates, so the floor uses
    the same cores the loop uses (one CPU device per core, see ``lab/__init__.py``)."""
    from lab.loop import _devices_layout

    ks = jax.vmap(lambda r: jax.random.fold_in(jax.random.key(0), r))(jnp.arange(replicates))
    _, sharding = _devices_layout(replicates)
    return ks if sharding is None else jax.device_put(ks, sharding)


_floor = jax.jit(lambda ks, shape: jax.vmap(lambda k: jax.random.normal(k, shape, jnp.float64))(ks),
                 static_argnums=1)


@partial(jax.jit, static_argnums=(1, 2))
def _streamed_floor(ks, generations, n):
    def one(key):
        def step(total, t):  # one generation's draws, summed so they are not optimised away
            return total + jnp.sum(jax.random.normal(jax.random.fold_in(key, t), (n,), jnp.float64)), None

        return jax.lax.scan(step, jnp.float64(0.0), jnp.arange(generations + 1))[0]

    return jax.vmap(one)(ks)


def floor(*, n=N, generations=GENERATIONS, replicates=REPLICATES):
    """(c): the normal variates the loop draws ((generations + 1)·n per replicate), at once, and nothing else."""
    return _floor(_replicate_keys(replicates), (generations + 1, n))


def streamed_floor(*, n=N, generations=GENERATIONS, replicates=REPLICATES):
    """(c'): the same variates drawn generation by generation, as the loop does, never held in memory all at once."""
    return _streamed_floor(_replicate_keys(replicates), generations, n)


def shortcut():
    """(d): exact sufficient-statistic draws, same law as (a)."""
    return simulate_stats(mu=0.0, sigma2=1.0, n=N, generations=GENERATIONS, replicates=REPLICATES, key=0)


def _once(fn) -> float:
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - t0


def timed(fns: dict, repeats: int) -> dict:
    """{name: (first call s, best warm s)}; warm repeats interleave the functions so shared-machine load hits all alike."""
    first = {k: _once(f) for k, f in fns.items()}
    best = {k: np.inf for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            best[k] = min(best[k], _once(f))
    return {k: (first[k], best[k]) for k in fns}


def scaling(repeats: int) -> list[str]:
    lines = ["scaling of (a) (warm, best of {}, metrics=[]; others at n={}, generations={}, replicates={}):".format(
        repeats, N, GENERATIONS, REPLICATES)]
    for name, values in SCALING.items():
        ts = [timed({v: lambda v=v: lab_loop(**{name: v})}, repeats)[v][1] for v in values]
        slope = np.polyfit(np.log(values), np.log(ts), 1)[0]
        cells = "  ".join(f"{v}: {t:.3f} s" for v, t in zip(values, ts))
        lines.append(f"  {name:<11} {cells}   log-log slope {slope:.2f}")
    return lines


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="warm repeats; the best is reported")
    p.add_argument("--numpy-replicates", type=int, default=50, help="replicates of (b) actually timed, then scaled")
    p.add_argument("--prng", choices=["threefry2x32", "rbg", "unsafe_rbg"], default="threefry2x32",
                   help="JAX default PRNG, for measurement only (the lab uses threefry2x32)")
    p.add_argument("--no-scaling", action="store_true", help="skip the growth measurements")
    args = p.parse_args(argv)
    jax.config.update("jax_default_prng_impl", args.prng)

    draws = REPLICATES * (GENERATIONS + 1) * N
    print(f"engine benchmark: Replace loop, N(0,1), d=1, n={N}, generations={GENERATIONS} (+ generation 0), "
          f"replicates={REPLICATES}, float64; jax {jax.__version__} on {jax.devices()[0].platform}, "
          f"{os.cpu_count()} cores, prng {args.prng}")

    res = timed({"a": lab_loop, "c": floor, "c2": streamed_floor, "d": shortcut,
                 "a_metrics": lambda: lab_loop(metrics=None)}, args.repeats)
    k = args.numpy_replicates
    b_subset = min(_once(lambda: numpy_loop(k, seed=i)) for i in range(args.repeats))
    b = b_subset * REPLICATES / k
    (a_first, a), (_, c1), (_, c2), (_, d), (am_first, am) = (
        res["a"], res["c"], res["c2"], res["d"], res["a_metrics"])
    c = min(c1, c2)  # the stricter floor
    speedup, ratio = b / a, a / c

    print(f"(a) lab.simulate, metrics=[]          {a:8.3f} s   warm, best of {args.repeats}; first call {a_first:.2f} s"
          f" -> compile ~ {a_first - a:.2f} s")
    print(f"    lab.simulate, default metrics     {am:8.3f} s   (extra, not counted; first call {am_first:.2f} s)")
    print(f"(b) numpy per-replicate loop          {b:8.3f} s   timed on {k} of {REPLICATES} replicates "
          f"({b_subset:.3f} s, best of {args.repeats}) and scaled linearly x{REPLICATES / k:g}")
    print(f"(c) floor: jax.random.normal of {draws:,} float64 variates, jitted, warm: at once {c1:.3f} s, "
          f"streamed per generation {c2:.3f} s; floor = the smaller, {c:.3f} s")
    print(f"(d) exact shortcut, sufficient statistics (not counted)  {d:8.3f} s   warm; {b / d:.0f}x numpy, "
          f"{a / d:.1f}x faster than (a)")
    print(f"speedup (a) over (b): {speedup:.1f}x   (target >= 20x: {'met' if speedup >= 20 else 'NOT met'})")
    print(f"(a)/(c), ratio to the floor: {ratio:.2f}   (target <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'}); "
          f"(b)/(c) = {b / c:.1f}, the largest speedup any sampler drawing every variate with jax.random.normal "
          f"could reach here")
    for regime, d in EXTRA_ROWS:
        (first, a_d), = timed({"a": lambda: lab_loop_d(regime, d)}, args.repeats).values()
        sub = min(k, EXTRA_REPLICATES)
        b_d = min(_once(lambda: numpy_loop_d(regime, d, sub, seed=i)) for i in range(args.repeats)) * EXTRA_REPLICATES / sub
        print(f"{regime:<10} d={d:<3} {EXTRA_REPLICATES} replicates: lab {a_d:7.3f} s warm (first call {first:.2f} s), "
              f"numpy {b_d:7.3f} s (timed on {sub}, scaled)   speedup {b_d / a_d:.1f}x")
    if not args.no_scaling:
        print("\n".join(scaling(max(2, args.repeats - 1))))
    print(f"speedup: {speedup:.1f}")


if __name__ == "__main__":
    main()
