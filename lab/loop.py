"""The engine: ``simulate`` runs generations × replicates of a self-consuming loop and returns an ``xarray.Dataset``.

One replicate is a pure function of its key: generation 0 fits the n real samples; each generation t ≥ 1 draws m
synthetic samples from generation t − 1 (through the regime's transforms), draws fresh real samples if the regime asks,
lets the regime assemble the training buffer, and refits. Generations run under ``jax.lax.scan``; replicates under
``jax.vmap``, in chunks of ``batch_size`` (the last chunk padded). Replicate r uses ``fold_in(key, r)``, so its numbers
do not depend on how many replicates run or how they are batched, up to float64 rounding: XLA:CPU may vectorise a
batched reduction differently for another batch shape, which can move the last bit of a fit (README, Reproducibility).

Two programs, each compiled once per process and input shape: the loop's (the fitted params of every generation), per
configuration, and the metrics' (their values from those params), per truth, family, metrics and generation count. XLA
compiles a program in time that grows with its size, and sample-based metrics are often most of it, so the runs of a
study that differ only in their regime or n (its methods, its settings) compile the metrics once.
"""
from __future__ import annotations

import json
import os
import zlib
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from lab import _checks, keys
from lab.transforms import synthesize

# XLA's backend optimisation (LLVM on CPU) is most of the compile time of the classical families' loops: with
# jax 0.10 on x86-64 a random-number call site (threefry, ``jax.random.normal``) compiles more than ten times faster
# at XLA's optimisation level 0, while code compiled there runs a few times slower per step
# (``benchmarks/compile_modes.py`` measures both, cold and warm). A small run, where compilation is nearly all the
# cost, is therefore compiled at level 0 ("fast"), a large one at XLA's default ("full"). The two give the same
# numbers up to float64 rounding (FMA contraction and the order of vectorised sums differ; README, Reproducibility).
# Only families that declare ``compile_bound = True`` (the float64 closed-form fits: Gaussian, KDE, categorical,
# regression) are compiled fast: a network's training and EM's iterations (MixtureFit) are run-bound (mixture_modes
# ran slower compiled fast), and a network's float32 trajectory would move by more than rounding. The mode does not
# depend on the regime's transforms, so a neutral transform still reproduces the plain loop bit for bit
# (tests/test_remedies_transforms.py).
FAST_COMPILE_WORK = 1e7  # replicates x (generations + 1) x training rows x dim below which "auto" compiles fast
COMPILE_MODES = ("auto", "fast", "full")  # the environment variable LAB_XLA_OPTIMIZE; "auto" when unset


def compile_mode(model, work: float) -> str:
    """"fast" (XLA backend optimisation level 0) or "full" (XLA's default) for a run of ``work`` =
    replicates x (generations + 1) x training rows x dim of ``model``. ``LAB_XLA_OPTIMIZE`` = "fast" or "full"
    forces one for every family; "auto" (the default) picks "fast" for a ``compile_bound`` family below
    ``FAST_COMPILE_WORK``."""
    mode = os.environ.get("LAB_XLA_OPTIMIZE", "auto").strip().lower() or "auto"
    if mode not in COMPILE_MODES:
        raise ValueError(f"LAB_XLA_OPTIMIZE must be one of {', '.join(COMPILE_MODES)}, got {mode!r}")
    if mode != "auto":
        return mode
    return "fast" if getattr(model, "compile_bound", False) and work < FAST_COMPILE_WORK else "full"


def _jit(fn, mode: str):
    """``jax.jit(fn)``, at XLA backend optimisation level 0 when ``mode`` is "fast" (``compile_mode``)."""
    return jax.jit(fn, compiler_options={"xla_backend_optimization_level": 0} if mode == "fast" else None)


_COMPILED: dict = {}  # loop programs, by configuration (the metrics left out), and metric programs, by theirs
_SIZES: dict = {}  # configuration → (param bytes, metric bytes), see ``_metric_bytes``
_METRIC_BYTES: dict = {}  # (truth, family, metrics, params' shapes) → metric bytes, see ``_metric_bytes``


def _describe(obj):
    return obj.describe() if hasattr(obj, "describe") else repr(obj)


def _replicate_fn(truth, model, regime, metrics, n: int, generations: int, metric_chunk: int | None = None):
    """rkeys (batch,) → (params of every generation, metric values): the loop program (``_loop_fn``) then the
    metric program (``_metric_fn``), compiled separately, so runs that differ only in their regime share the second."""
    run, measure = _loop_fn(truth, model, regime, n, generations), _metric_fn(truth, model, metrics, generations,
                                                                              metric_chunk)

    def fn(rkeys):
        allp = run(rkeys)
        return allp, measure(rkeys, allp)

    return fn


def _loop_fn(truth, model, regime, n: int, generations: int, mode: str = "full"):
    """The loop program: rkeys (batch,) → the fitted params of generations 0..G (leading axes (batch, G + 1))."""
    plan = regime.plan(n, generations)
    size = max(n, plan.buffer)  # every fit sees this many rows, so params keep one shape across generations

    # A regime that only appends blocks (Accumulate) with a family whose statistics merge (GaussianFit): carry the
    # statistics, not the buffer, so generation t costs O(m), not O(n + G·m). Same draws; fits equal up to rounding.
    merged = getattr(regime, "appends", False) and hasattr(model, "merge")

    def one(rkey):
        k0 = keys.cell_key(rkey, 0)
        real0 = truth.sample(key=keys.stream(k0, keys.REAL), n=n)
        if merged:
            s0 = model.summarize(real0, jnp.ones((n,), jnp.result_type(float)))
            p0 = model.fit_summary(s0)
        else:
            p0 = model.fit(*_pad(real0, jnp.ones((n,), jnp.result_type(float)), size), key=keys.stream(k0, keys.FIT))
            s0 = regime.init(real0, plan)

        def body(carry, t):
            params, state = carry
            kt = keys.cell_key(rkey, t)
            sx, sw = synthesize(model, params, truth, regime.transforms, key=kt, m=plan.synthetic)
            if merged:
                state = model.merge(state, model.summarize(sx, sw))
                params = model.fit_summary(state)
                return (params, state), params
            real = truth.sample(key=keys.stream(kt, keys.REAL), n=plan.real) if plan.real else None
            state = regime.step(state, real, sx, sw, t, key=keys.stream(kt, keys.REGIME))
            params = model.fit(*_pad(*regime.training_set(state), size), key=keys.stream(kt, keys.FIT))
            return (params, state), params

        _, ps = jax.lax.scan(body, (p0, s0), jnp.arange(1, generations + 1))
        return jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), p0, ps)

    return _jit(jax.vmap(one), mode)


def _metric_fn(truth, model, metrics, generations: int, metric_chunk: int | None = None, mode: str = "full"):
    """The metric program: (rkeys (batch,), params of generations 0..G) → {metric name: (batch, G + 1) values}. It
    depends on the truth, the family, the metrics and the params' shapes, not on the regime."""

    def one(rkey, allp):
        def measure(p, t):
            mk = keys.stream(keys.cell_key(rkey, t), keys.METRIC)
            # each metric's key depends on its name only, so adding or reordering metrics changes no other value
            out = {}
            for m in metrics:
                v = m(truth, model, p, key=jax.random.fold_in(mk, zlib.crc32(m.name.encode())))
                if isinstance(v, dict) and list(v) != list(getattr(m, "names", ())):
                    raise ValueError(f"metric {m.name} returned values {list(v)}, not its names")
                out.update(v if isinstance(v, dict) else {m.name: v})  # a metric with ``names``: one value each
            return out

        return _measure_generations(measure, allp, generations, metric_chunk)

    return _jit(jax.vmap(one), mode)


def _pad(x, w, size: int):
    """Pad a training set with zero-weight rows to ``size`` rows. Fits ignore zero-weight rows, so values do not
    change; families whose params hold the training points (KDE) then have one shape in every generation."""
    extra = size - x.shape[0]
    if extra == 0:
        return x, w
    return (jnp.concatenate([x, jnp.zeros((extra,) + x.shape[1:], x.dtype)]),
            jnp.concatenate([w, jnp.zeros((extra,), w.dtype)]))


def _validate(truth, model, regime, n, generations, replicates, batch_size, metrics):
    """Arguments checked before any work: kinds first (a TypeError naming the argument), then values (a ValueError
    naming the argument and its allowed range). Returns the model with the sizes it takes from the truth
    (``for_truth``), and the checked sizes."""
    _checks.instance("truth", truth, "sample", "a lab truth such as lab.Gaussian([0.0], [[1.0]])")
    _checks.instance("model", model, "fit", "a lab model family such as lab.GaussianFit()")
    _checks.instance("regime", regime, "plan", "a Regime instance such as lab.Replace()")
    if hasattr(model, "for_truth"):  # sizes the family takes from the truth (CategoricalFit())
        model = model.for_truth(truth)
    n = _checks.integer("n", n, minimum=2)
    generations = _checks.integer("generations", generations, minimum=0)
    replicates = _checks.integer("replicates", replicates, minimum=1)
    if batch_size is not None:
        _checks.integer("batch_size", batch_size, minimum=1)
    model.check(truth)
    _check_fit_points(model, regime, n, generations)
    return model, n, generations, replicates


def _metrics(model, truth, metrics) -> tuple:
    """The metrics to record: the family's defaults when ``metrics`` is None, else metric objects (each with a
    ``name`` and a call ``(truth, model, params, *, key)``) with distinct names."""
    if metrics is None:
        return tuple(model.default_metrics(truth))
    if isinstance(metrics, (str, bytes)) or not hasattr(metrics, "__iter__"):
        raise TypeError(f"metrics must be a list of metric objects (lab.metrics…), got {metrics!r:.60}")
    metrics = tuple(metrics)
    for m in metrics:
        if isinstance(m, type) or not callable(m) or not isinstance(getattr(m, "name", None), str):
            what = f"the class {m.__name__}" if isinstance(m, type) else f"{m!r:.60} (a {type(m).__name__})"
            raise TypeError(f"metrics must be metric objects such as lab.metrics.W2() (instances with a name), "
                            f"got {what}")
    names = metric_names(metrics)
    if len(set(names)) != len(names):
        raise ValueError(f"metrics must have distinct names, got {names}")
    return metrics


def metric_names(metrics) -> list:
    """The Dataset variables of ``metrics``: each metric's ``name``, or its ``names`` when it has several values (a
    metric with ``names`` returns a dict {name: value}, e.g. several estimators on one shared draw of the model)."""
    return [n for m in metrics for n in (getattr(m, "names", None) or (m.name,))]


def min_points(model) -> int:
    """The fewest points one fit of ``model`` accepts: 2 (the rule that refuses n = 1), or the family's own
    ``min_points`` when larger (``MixtureFit``: k)."""
    return max(2, int(getattr(model, "min_points", 2)))


def _check_fit_points(model, regime, n: int, generations: int) -> None:
    """Every fit, generation 0's (n real points) and each later one's (what the regime assembles), must see at least
    ``min_points(model)`` points: one rule, whichever argument sets the count."""
    need = min_points(model)
    name = f"{model!r:.80}" if need > 2 else type(model).__name__
    if n < need:
        raise ValueError(f"n must be >= {need}: {name} needs at least {need} points per fit, got n = {n}")
    if generations == 0:
        return
    count, args = fit_points(regime, n, generations)
    if count < need:
        raise ValueError(f"{args} too small: under {type(regime).__name__} each generation's fit sees {count} "
                         f"point(s) and {name} needs at least {need}")


def fit_points(regime, n: int, generations: int) -> tuple[int, str]:
    """(the fewest points a fit of a generation t ≥ 1 sees, the regime argument(s) that set it), before transforms
    reject any. A regime may say it with a method ``fit_points(n)`` returning that pair; otherwise its buffer is taken
    as full (Replace: m; Fresh: real + synthetic), and regimes that keep the real set (Accumulate, Augment, Weighted,
    RecencyAccumulate) see at least n."""
    if hasattr(regime, "fit_points"):
        return regime.fit_points(n)
    plan = regime.plan(n, generations)
    if plan.real:
        return min(n, plan.buffer), "real + synthetic"
    return min(n, plan.buffer), "synthetic"


_BUDGET = 2**30  # bytes one compiled chunk of replicates may hold (buffers, fitted params, metric work space)


def _measure_generations(measure, allp, generations: int, chunk: int | None):
    """Metrics of every generation: all at once (``vmap``) when ``chunk`` is None, else ``chunk`` generations at a
    time (``lax.map`` with ``batch_size``), so a metric's work space is held for ``chunk`` generations only. Each
    generation's metric key is the same either way."""
    ts = jnp.arange(generations + 1)
    if chunk is None or chunk >= generations + 1:
        return jax.vmap(measure)(allp, ts)
    return jax.lax.map(lambda a: measure(*a), (allp, ts), batch_size=chunk)


def _nbytes(tree) -> int:
    return int(sum(np.prod(a.shape) * np.dtype(a.dtype).itemsize for a in jax.tree.leaves(tree)))


def _metric_bytes(truth, model, metrics, n: int, size: int) -> tuple[int, int]:
    """(bytes of one generation's fitted params, bytes the metrics need to evaluate one generation), the second from
    XLA's memory analysis of the compiled metric evaluation (``Compiled.memory_analysis``: temporaries + outputs), or
    four times the params' size where the backend gives no analysis or the family opts out
    (``metric_memory_analysis = False``: the diffusion families, whose metric programs hold a sampler that would cost
    a second compilation)."""
    def fit0(k):
        x = truth.sample(key=k, n=n)
        return model.fit(*_pad(x, jnp.ones((n,), jnp.result_type(float)), size), key=k)

    key = jax.random.key(0)
    p_abs = jax.eval_shape(fit0, key)
    p_bytes = _nbytes(p_abs)
    if not metrics:
        return p_bytes, 0
    if not getattr(model, "metric_memory_analysis", True):  # families whose metric programs are costly to compile
        return p_bytes, 4 * p_bytes
    # the analysed program depends on the truth, the family, the metrics and the params' shapes only: analysed once
    # per process for all regimes and sizes that share them (e.g. a study's methods)
    memo = json.dumps([_describe(truth), _describe(model), [_describe(m) for m in metrics],
                       [(str(a.shape), str(a.dtype)) for a in jax.tree.leaves(p_abs)], str(jax.tree.structure(p_abs))],
                      sort_keys=True, default=repr)
    if memo not in _METRIC_BYTES:
        # an estimate: compiled fast for the closed-form families (``compile_mode``), only to be analysed
        f = _jit(lambda p, k: [m(truth, model, p, key=k) for m in metrics],
                 "fast" if getattr(model, "compile_bound", False) else "full")
        try:
            stats = f.lower(p_abs, jax.eval_shape(lambda: key)).compile().memory_analysis()
            _METRIC_BYTES[memo] = int(stats.temp_size_in_bytes + stats.output_size_in_bytes)
        except Exception:  # a backend without memory analysis: a rough stand-in
            _METRIC_BYTES[memo] = 4 * p_bytes
    return p_bytes, _METRIC_BYTES[memo]


def _per_replicate_bytes(buffer, dim, gens, param_bytes, metric_bytes, chunk) -> int:
    return 8 * buffer * dim * dim + 2 * gens * param_bytes + (chunk or gens) * metric_bytes


def _default_batch(regime, n, generations, dim, replicates, *, param_bytes=0, metric_bytes=0):
    """(replicates per compiled chunk, generations per metric chunk or None for all at once).

    Per replicate the chunk holds the training buffer (counted as buffer·dim² numbers, as a Gaussian fit's outer
    products need), the fitted params of every generation (twice: the scan's output and the stacked copy) and the
    metrics' work space for the generations evaluated at once (``_metric_bytes``). The metric chunk is the largest
    that keeps the metrics under a quarter of the budget; the replicate batch fills the budget (``_BUDGET``) with
    whole replicates (at least one), and never exceeds the old rule's 32M buffer numbers."""
    buffer = regime.plan(n, generations).buffer
    gens = generations + 1
    chunk = None
    if metric_bytes * gens > _BUDGET // 4:
        chunk = int(max(1, (_BUDGET // 4) // max(1, metric_bytes)))
    per_replicate = _per_replicate_bytes(buffer, dim, gens, param_bytes, metric_bytes, chunk)
    batch = min(replicates, 2**25 // max(1, buffer * dim * dim), _BUDGET // max(1, per_replicate))
    return int(max(1, batch)), chunk


def _memory_limits() -> tuple[int | None, int | None]:
    """(bytes of host memory, bytes of the accelerator's memory or None on the CPU): the machine's physical memory,
    or the container's limit (cgroup) when lower; None where the platform does not say."""
    host = None
    try:
        host = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                limit = int(f.read().strip())
        except (OSError, ValueError):  # absent, or "max"
            continue
        host = limit if host is None else min(host, limit)
    device = None
    if jax.default_backend() != "cpu":
        try:
            device = int(jax.devices()[0].memory_stats()["bytes_limit"])
        except Exception:  # a backend without memory statistics
            device = None
    return host, device


def _human(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if b < 1024 or unit == "PiB":
            return f"{b:.3g} {unit}" if unit != "B" else f"{int(b)} B"
        b /= 1024
    return f"{b:.3g} EiB"  # pragma: no cover


def memory_estimate(regime, n, generations, replicates, *, dim=1, row_bytes=8, param_bytes=0, metric_bytes=0,
                    n_metrics=1, batch=None, chunk=None) -> tuple[int, int]:
    """(bytes one compiled chunk of replicates holds, bytes of the results kept on the host), estimated before
    anything is allocated.

    A chunk holds, per replicate, the training buffer (its rows, their weights, the regime's copy and the fit's
    temporaries: counted as four copies, plus buffer·dim² numbers for a Gaussian fit's outer products), the fitted
    params of every generation twice (the scan's output and the stacked copy) and the metrics' work space for the
    generations evaluated at once (``_metric_bytes``). The results are the params and metric values of every
    (replicate, generation), counted three times (the chunks, their concatenation, the Dataset's copy). It is an
    estimate within a small factor, meant to refuse what cannot fit, not to predict the peak."""
    buffer = max(n, regime.plan(n, generations).buffer)
    gens = generations + 1
    if batch is None:
        batch, chunk = _default_batch(regime, n, generations, dim, replicates, param_bytes=param_bytes,
                                      metric_bytes=metric_bytes)
    per_replicate = (_per_replicate_bytes(buffer, dim, gens, param_bytes, metric_bytes, chunk)
                     + 4 * buffer * (row_bytes + 8))
    stored = 3 * replicates * gens * (param_bytes + 8 * n_metrics)
    return min(batch, replicates) * per_replicate, stored


def _check_memory(regime, n, generations, replicates, limits, **sizes) -> None:
    """Refuse (ValueError) a run whose estimated memory (``memory_estimate``) exceeds the machine's; the message
    names the argument whose reduction saves the most, and the estimate."""
    host, device = limits
    chunk, stored = memory_estimate(regime, n, generations, replicates, **sizes)
    over = []
    if device is not None:
        if chunk > device:
            over.append((chunk, device, "accelerator memory"))
        if stored > (host or np.inf):
            over.append((stored, host, "memory"))
    elif chunk + stored > (host or np.inf):
        over.append((chunk + stored, host, "memory"))
    if not over:
        return
    need, have, what = over[0]
    sizes.pop("batch", None), sizes.pop("chunk", None)

    def total(n_, g_, r_):
        try:
            return sum(memory_estimate(regime, n_, g_, r_, **sizes))
        except ValueError:  # e.g. a subsample size above the reduced n
            return np.inf

    args = {"n": n, "generations": generations, "replicates": replicates}
    smaller = {"n": total(2, generations, replicates), "generations": total(n, 0, replicates),
               "replicates": total(n, generations, 1)}
    arg = min(smaller, key=lambda a: smaller[a])
    raise ValueError(f"{arg} = {args[arg]} is too large: this run would need about {_human(need)} of {what} "
                     f"(estimated, before allocating: n = {n}, generations = {generations}, replicates = "
                     f"{replicates}) and this machine has {_human(have)}; lower {arg}, or pass check_memory=False "
                     "(command line: --force) to run anyway")


def simulate(truth, model, regime, *, n, generations, replicates, key, metrics=None, batch_size=None,
             progress=False, return_params=False, check_memory=True, first_replicate=0):
    """Run a self-consuming loop.

    Args:
      truth: the real-data law (``lab.Gaussian``, …).
      model: the family refitted each generation (``lab.GaussianFit``, …).
      regime: how training sets are assembled (``lab.Replace()``, ``lab.Accumulate()``, …).
      n: real samples of generation 0 (≥ 2).
      generations: generations after generation 0 (≥ 0); the Dataset has generations + 1 entries.
      replicates: independent runs (≥ 1).
      key: a JAX key or an int seed; the same key gives the same bits.
      metrics: metric objects (``lab.metrics``); None means the family's defaults. A metric with ``names`` returns
        a dict of several values (one draw shared by several estimators), one Dataset variable each.
      batch_size: replicates per compiled chunk; None picks one by memory, counting the buffers, the fitted params of
        every generation and the metrics' own work space (``_default_batch``; metrics are then also evaluated a few
        generations at a time when all at once would not fit). Results do not depend on it.
      progress: show a progress bar over chunks.
      return_params: also return the fitted params of every (replicate, generation) (a pytree of numpy arrays with
        leading axes (replicates, generations + 1)), e.g. to draw samples of a chosen generation afterwards.
      first_replicate: run replicates first_replicate, …, first_replicate + replicates − 1 of the key (the
        Dataset's ``replicate`` coordinate holds these indices): a shard of a larger run, with the numbers those
        replicates have there (``lab.cluster.simulate`` shards a run over Dask workers this way).
      check_memory: before allocating anything, estimate the memory the run needs (``memory_estimate``: one chunk's
        buffers, params and metric work space, and the results kept) and raise a ValueError naming the argument to
        lower when it exceeds the machine's memory (the container's limit where lower; the accelerator's for a
        chunk). False skips the check, for a user who knows better than the estimate.

    Returns:
      ``xarray.Dataset`` with dims (replicate, generation, …): the family's variables (Gaussian: ``mean`` (…, dim),
      ``cov`` (…, dim, dim2)), one variable per metric, and the configuration in ``attrs``; with
      ``return_params``, the pair (Dataset, params).

    Raises:
      TypeError: ``truth``, ``model``, ``regime`` or ``metrics`` is not a lab object of that kind (None, a class
        instead of an instance, a string).
      ValueError: a size out of range, a fit that would see fewer points than the family needs (``min_points``:
        n, and every later generation's training set), a run too large for the machine's memory (see
        ``check_memory``), a training that diverged, or fitted parameters that are not finite (the computation
        overflowed: data of a scale float64 cannot hold, e.g. a mean of 1e308).

    Example:
      >>> import lab
      >>> ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(), lab.Replace(),
      ...                   n=10, generations=3, replicates=4, key=0)
      >>> ds["cov"].shape
      (4, 4, 1, 1)
    """
    model, n, generations, replicates = _validate(truth, model, regime, n, generations, replicates, batch_size,
                                                  metrics)
    metrics = _metrics(model, truth, metrics)
    key = keys.as_key(key)
    check_memory = _checks.boolean("check_memory", check_memory)
    first = _checks.integer("first_replicate", first_replicate, minimum=0)
    dim = getattr(truth, "dim", 1)
    row = jax.eval_shape(lambda k: truth.sample(key=k, n=1), jax.random.key(0))
    row_bytes = _nbytes(row)
    limits = _memory_limits() if check_memory else None
    if check_memory:  # the buffers and the stored metrics alone, before compiling anything of this size
        _check_memory(regime, n, generations, replicates, limits, dim=dim, row_bytes=row_bytes,
                      n_metrics=len(metric_names(metrics)), batch=batch_size)
    config = {
        "truth": _describe(truth), "model": _describe(model), "regime": _describe(regime),
        "metrics": [_describe(m) for m in metrics], "n": n, "generations": generations,
    }
    config_json = json.dumps(config, sort_keys=True, default=repr)
    if config_json not in _SIZES:
        size = max(n, regime.plan(n, generations).buffer)
        _SIZES[config_json] = _metric_bytes(truth, model, metrics, n, size)
    p_bytes, m_bytes = _SIZES[config_json]
    batch, chunk = _default_batch(regime, n, generations, dim, replicates, param_bytes=p_bytes, metric_bytes=m_bytes)
    batch = batch_size or batch
    if check_memory:
        _check_memory(regime, n, generations, replicates, limits, dim=dim, row_bytes=row_bytes, param_bytes=p_bytes,
                      metric_bytes=m_bytes, n_metrics=len(metric_names(metrics)), batch=batch, chunk=chunk)
    # two programs (``_replicate_fn``): the loop's, per configuration without the metrics, and the metrics', per
    # truth, family, metrics and generation count, so runs that differ in regime or n share the latter (jit compiles
    # each once per input shape)
    # compiled fast (XLA backend optimisation off) when the run is small enough for compilation to dominate
    mode = compile_mode(model, replicates * (generations + 1) * max(n, regime.plan(n, generations).buffer) * dim)
    loop_key = ("loop", json.dumps({k: v for k, v in config.items() if k != "metrics"}, sort_keys=True, default=repr),
                mode)
    metric_key = ("metrics", json.dumps([config["truth"], config["model"], config["metrics"], generations],
                                        sort_keys=True, default=repr), chunk, mode)
    if loop_key not in _COMPILED:
        _COMPILED[loop_key] = _loop_fn(truth, model, regime, n, generations, mode)
    if metric_key not in _COMPILED:
        _COMPILED[metric_key] = _metric_fn(truth, model, metrics, generations, chunk, mode)
    run, measure = _COMPILED[loop_key], _COMPILED[metric_key]

    def fn(rkeys):
        allp = run(rkeys)
        return allp, measure(rkeys, allp)
    batch, sharding = _devices_layout(batch)
    chunks = []
    starts = range(0, replicates, batch)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="replicates", unit="chunk")
    for s in starts:
        idx = first + np.arange(s, s + batch)
        rkeys = jax.vmap(partial(keys.replicate_key, key))(jnp.asarray(idx))
        if sharding is not None:
            rkeys = jax.device_put(rkeys, sharding)
        params, values = fn(rkeys)
        take = min(batch, replicates - s)
        chunks.append(jax.tree.map(lambda a: np.asarray(a)[:take], (params, values)))
    params, values = jax.tree.map(lambda *a: np.concatenate(a), *chunks)
    ds = _to_dataset(model, params, values, config, replicates, generations, key, first)
    _check_training(ds)
    _check_finite(ds, set(metric_names(metrics)))
    return (ds, params) if return_params else ds


def _check_training(ds: xr.Dataset) -> None:
    """Families that train by gradient descent report ``train_loss`` (and SIMS ``aux_loss``); a non-finite value means
    a training diverged: raise a ValueError naming the first (replicate, generation) rather than return NaN samples.
    "First" is the earliest generation (then the base before the auxiliary model): a diverged auxiliary model
    at generation t makes the next generation's training data NaN, and the root cause is the one to name."""
    bad = [(t, i, r, name) for i, name in enumerate(("train_loss", "aux_loss")) if name in ds
           for r, t in np.argwhere(~np.isfinite(ds[name].values))]
    if bad:
        t, _, r, name = min(bad)
        r = int(ds["replicate"].values[r])
        raise ValueError(f"{name} is not finite at replicate {r}, generation {t}: the training diverged "
                         "(lower the learning rate or check the data's scale)")


def _check_finite(ds: xr.Dataset, metric_names) -> None:
    """Fitted parameters that are not finite mean the computation overflowed (or a fit divided by zero): raise a
    ValueError naming the variable and the first (replicate, generation) rather than return a table of NaN. Metrics
    are not checked (an infinite divergence can be an honest value), nor training losses (``_check_training``)."""
    for name in ds.data_vars:
        if name in metric_names or name in ("train_loss", "aux_loss"):
            continue
        v = ds[name].values
        if not np.issubdtype(v.dtype, np.floating) or np.all(np.isfinite(v)):
            continue
        bad = np.argwhere(~np.isfinite(v.reshape(v.shape[0], v.shape[1], -1)).any(-1))
        r, t = min(bad.tolist(), key=lambda rt: (rt[1], rt[0]))
        r = int(ds["replicate"].values[r])
        raise ValueError(f"fitted {name} is not finite at replicate {r}, generation {t}: the computation "
                         "overflowed (the truth's scale, e.g. its mean or cov, is too large for float64); rescale "
                         "the data")


def _devices_layout(batch: int):
    """Spread each chunk's replicates over the default backend's devices (several CPU devices when ``lab`` set
    ``--xla_force_host_platform_device_count``; several GPUs). The chunk is rounded up to a multiple of the device count;
    each replicate's computation is unchanged, so its numbers do not depend on the layout."""
    devices = jax.devices()
    if len(devices) == 1:
        return batch, None
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    k = len(devices)
    batch = -(-batch // k) * k
    return batch, NamedSharding(Mesh(np.asarray(devices), ("replicate",)), PartitionSpec("replicate"))


def _to_dataset(model, params, values, config, replicates, generations, key, first=0) -> xr.Dataset:
    data = {}
    for name, (arr, dims) in model.variables(params).items():
        data[name] = (("replicate", "generation") + tuple(dims), np.asarray(arr))
    for name, arr in values.items():
        data[name] = (("replicate", "generation"), np.asarray(arr))
    attrs = {k: (json.dumps(v, default=repr) if isinstance(v, (dict, list)) else v) for k, v in config.items()}
    attrs.update(replicates=replicates, key=json.dumps(keys.key_data(key)), lab_version=_version())
    coords = {"replicate": first + np.arange(replicates), "generation": np.arange(generations + 1)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _version() -> str:
    from lab import __version__

    return __version__
