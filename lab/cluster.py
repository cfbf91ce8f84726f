"""A study's cells on a Dask cluster (``dask.distributed``): ``--cluster local:N`` or ``--cluster ADDRESS``.

``python -m lab run NAME --cluster local:2`` starts a ``LocalCluster`` of N single-threaded worker processes on this
machine; ``--cluster tcp://host:8786`` connects to a running scheduler (started with ``dask scheduler`` and
``dask worker tcp://host:8786 --nthreads 1`` on each machine). Dask is the optional extra ``cluster``
(``pip install -e '.[cluster]'``); without it everything else runs as before.

What travels. A task carries plain data only: the studies' folder, the cell function's module and name, the cell's
name, its JSON-able keyword arguments and the cache folder. The worker imports the cell function itself (a study
through ``lab.registry``, from the same folder), computes the cell through the same cache as a single process
(``lab.cache.get_or_compute``: the cached file, or a lock, the computation and an atomic write) and returns the value.
So a worker needs the lab installed and the studies' folder and the cache folder at the same paths as the client
(on a real cluster: a shared file system, or the same checkout on every machine with ``LAB_CACHE_DIR`` on shared
storage).

Same numbers. A cell's value depends only on its arguments (its seed included), never on which worker ran it or in
which order (the cache's rule, ``lab/cache.py``), so a study run on a cluster gives the single process's numbers and
figure; ``tests/test_cluster.py`` checks byte identity on a local cluster of 2 workers, and that a worker killed in
the middle of a cell leaves the cache consistent (whole files only; its lock is broken as stale, its owner being dead)
and the rerun (Dask reschedules the task on another worker) ends with the same numbers.
"""
from __future__ import annotations

import importlib
from pathlib import Path


def parse(spec: str) -> tuple[str, int | str]:
    """("local", N) for "local:N" (N ≥ 1 workers), ("address", spec) for a scheduler address; ValueError otherwise."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"cluster must be 'local:N' or a scheduler address such as tcp://host:8786, got {spec!r}")
    spec = spec.strip()
    if spec.startswith("local"):
        head, _, count = spec.partition(":")
        if head != "local" or not count.isdigit() or int(count) < 1:
            raise ValueError(f"cluster must be 'local:N' with N ≥ 1 workers, got {spec!r}")
        return "local", int(count)
    if "://" not in spec and ":" not in spec:
        raise ValueError(f"cluster must be 'local:N' or a scheduler address such as tcp://host:8786, got {spec!r}")
    return "address", spec


def client(spec: str):
    """A ``distributed.Client`` for ``spec`` (``parse``) and a function that closes it (and the local cluster)."""
    kind, value = parse(spec)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("cluster needs Dask: pip install -e '.[cluster]' (dask[distributed])") from None
    if kind == "local":
        cluster = LocalCluster(n_workers=value, threads_per_worker=1, processes=True, dashboard_address=None)
        c = Client(cluster)

        def close():
            c.close()
            cluster.close()

        return c, close
    c = Client(value, timeout="20s")
    return c, c.close


def _function(where: str | None, module: str, qualname: str):
    """The cell function ``module.qualname``, importing a study through ``lab.registry`` from ``where``."""
    from lab import registry

    package, _, stem = module.rpartition(".")
    if where is not None and package and Path(where).name == package:
        mod = registry.load(stem, where)
    else:
        mod = importlib.import_module(module)
    fn = mod
    for part in qualname.split("."):
        fn = getattr(fn, part)
    return fn


def run_cell(where, module: str, qualname: str, study_name: str, cell_name: str, kwargs: dict, root: str):
    """On a worker: one cell through the cache (``lab.study._compute``, waiting for another holder of its lock)."""
    from lab import study

    fn = _function(where, module, qualname)
    return study._compute(study_name, study.Cell(cell_name, fn, kwargs), root, True)


def compute(module, cells, root, spec: str, *, progress: bool = True) -> list:
    """The values of ``cells`` of the study ``module``, computed on the cluster ``spec``, in the cells' order;
    a progress bar counts the cells done across the cluster."""
    from lab import cache

    root = str(Path(root if root is not None else cache.default_dir()).resolve())
    file = getattr(module, "__file__", None)
    where = str(Path(file).resolve().parent) if file else None
    c, close = client(spec)
    try:
        futures = [c.submit(run_cell, where, cell.fn.__module__, cell.fn.__qualname__, module.NAME, cell.name,
                            cell.kwargs, root, pure=False, key=f"{module.NAME}-{cell.name}-{i}")
                   for i, cell in enumerate(cells)]
        if progress:
            from distributed import as_completed
            from tqdm.auto import tqdm

            with tqdm(total=len(futures), desc=f"{module.NAME} ({spec})", unit="cell", leave=False) as bar:
                for _ in as_completed(futures):
                    bar.update()
        return c.gather(futures)
    finally:
        close()





def _shard(args: tuple, kwargs: dict, first: int, count: int):
    """On a worker: replicates first … first + count − 1 of one ``lab.simulate`` call."""
    from lab import loop

    return loop.simulate(*args, **{**kwargs, "replicates": count, "first_replicate": first})


def simulate(spec: str, *args, shards: int | None = None, **kwargs):
    """``lab.simulate(*args, **kwargs)`` with its replicates split into ``shards`` contiguous shards (default: one
    per worker) computed on the Dask cluster ``spec`` and joined along ``replicate``. Replicate r's numbers do not
    depend on the sharding (the engine's rule: its key is ``replicate_key(key, r)``; ``first_replicate``), so the
    result equals the single call's to float64 rounding (XLA's code for a batched operation may depend on the
    batch's size; README, Reproducibility). ``return_params`` is not
    supported here."""
    import numpy as np
    import xarray as xr

    if kwargs.get("return_params"):
        raise ValueError("return_params is not supported by lab.cluster.simulate")
    replicates = kwargs.get("replicates")
    from lab import _checks

    replicates = _checks.integer("replicates", replicates, minimum=1)
    c, close = client(spec)
    try:
        if shards is None:
            shards = max(1, len(c.scheduler_info()["workers"]))
        shards = min(_checks.integer("shards", shards, minimum=1), replicates)
        edges = np.linspace(0, replicates, shards + 1).round().astype(int)
        futures = [c.submit(_shard, args, kwargs, int(a), int(b - a), pure=False)
                   for a, b in zip(edges[:-1], edges[1:])]
        parts = c.gather(futures)
    finally:
        close()
    ds = xr.concat(parts, dim="replicate", combine_attrs="override")
    ds.attrs["replicates"] = replicates
    return ds

__all__ = ["parse", "client", "compute", "run_cell", "simulate"]
