"""Study framework: a study is a module in ``studies/`` with one figure, its claim, presets and cells.

A study module defines
- ``NAME`` and ``CLAIM`` (one line: the claim the figure shows);
- ``PRESETS = {"quick": cfg, "full": cfg}``: frozen dataclasses, one commented line per field;
- ``cells(cfg) -> list[Cell]``: independent computations, each a module-level function with JSON-able kwargs
  (seed included), so every cell can be cached, resumed and run in its own process;
- ``plot(results: dict[cell name, value], cfg) -> matplotlib Figure``.
- ``summary(results, cfg) -> dict``: ``verdict`` (a ``lab.analysis.Verdict``), ``headline`` (one sentence with this
  run's key numbers, which the README's gallery shows: ``lab.readme``) and any further key numbers; ``run`` writes
  them to ``figures/<NAME>.json`` beside the figure with the claim, preset, configuration and its hash, the lab's
  version and the wall time (``record``).
``run`` computes missing cells (joblib processes when ``jobs`` > 1; Dask or Ray through joblib's backends when the
user configures one), caches each atomically (a corrupt cell file is moved aside and recomputed; a cell another run
is computing is waited for, not repeated: ``lab/cache.py``), and writes ``figures/<NAME>.png``. Presets named ``gpu`` (or
``gpu-…``) write to ``figures/gpu/`` and also dump the cells' results there as ``<NAME>.json`` (``dump_results``: the
small per-cell numbers, so ``plot`` can be called again on a machine without the accelerator: ``load_results``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from lab import cache
from lab.registry import load, names  # noqa: F401  (the studies, found by their folder: lab.registry)


@dataclass(frozen=True)
class Cell:
    name: str  # unique within the study
    fn: Callable  # module-level function (picklable), called as fn(**kwargs)
    kwargs: dict = field(default_factory=dict)  # JSON-serialisable arguments, seed included


def _compute(study_name: str, cell: Cell, root, wait: bool = True):
    """One cell's value: from the cache, or computed and cached by this process, or (``wait``) by another process
    that holds the cell's lock; ``cache.BUSY`` when another process holds it and ``wait`` is False."""
    path = cache.path_for(study_name, cell.name, cell.kwargs, root)
    value = cache.get_or_compute(path, lambda: cell.fn(**cell.kwargs), wait=wait)
    return _BUSY if value is cache.BUSY else value


class _Busy:
    """Picklable stand-in for ``cache.BUSY`` (joblib's workers return it across processes)."""


_BUSY = _Busy()


def compute(module, preset: str = "quick", *, jobs: int = 1, root=None, progress: bool = True,
            cluster: str | None = None) -> dict:
    """All cells of a study's preset, from the cache where present: {cell name: value}.

    The cache folder is checked first (``cache.check_writable``: a ValueError naming LAB_CACHE_DIR). Cells that
    another process is computing at the same moment (a second run of the same study) are left to it and done last:
    this process waits for their results and loads them, so concurrent runs share the work instead of repeating it
    (``cache.get_or_compute``). ``cluster`` ("local:N" or a Dask scheduler's address) sends the cells to a Dask
    cluster instead (``lab.cluster``; the same numbers)."""
    cfg = preset_config(module, preset)
    cells = module.cells(cfg)
    names = [c.name for c in cells]
    if len(set(names)) != len(names):
        raise ValueError(f"study {module.NAME} has duplicate cell names")
    cache.check_writable(root, module.NAME)
    values: dict = {}
    if cluster is not None:
        from lab import cluster as dask_cluster

        return dict(zip(names, dask_cluster.compute(module, cells, root, cluster, progress=progress)))
    if jobs > 1:
        from joblib import Parallel, delayed

        for wait in (False, True):
            todo = [c for c in cells if isinstance(values.get(c.name, _BUSY), _Busy)]
            if todo:
                done = Parallel(n_jobs=jobs)(delayed(_compute)(module.NAME, c, root, wait) for c in todo)
                values.update(zip([c.name for c in todo], done))
    else:
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(cells), desc=module.NAME, unit="cell", leave=False)
        for wait in (False, True):
            for c in cells:
                if isinstance(values.get(c.name, _BUSY), _Busy):
                    values[c.name] = _compute(module.NAME, c, root, wait)
                    if bar is not None and not isinstance(values[c.name], _Busy):
                        bar.update()
        if bar is not None:
            bar.close()
    return {name: values[name] for name in names}


def preset_config(module, preset: str):
    if preset not in module.PRESETS:
        raise ValueError(f"preset must be one of {sorted(module.PRESETS)}, got {preset!r}")
    return module.PRESETS[preset]


def _jsonable(v, digits: int | None = None):
    """``v`` as plain JSON values; floats rounded to ``digits`` significant digits when given."""
    import numpy as np

    if isinstance(v, dict):
        return {str(k): _jsonable(x, digits) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x, digits) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist(), digits)
    if isinstance(v, np.generic):
        return _jsonable(v.item(), digits)
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, float) and digits is not None:
        return float(f"{v:.{digits}g}")
    if hasattr(v, "to_dict"):  # e.g. a lab.analysis.Verdict
        return _jsonable(v.to_dict(), digits)
    if hasattr(v, "__dataclass_fields__"):  # e.g. a network spec inside a record
        return {"kind": type(v).__name__, **{f: _jsonable(getattr(v, f), digits) for f in v.__dataclass_fields__}}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def dump_results(results: dict, path) -> Path:
    """Write {cell name: value} as JSON (numpy arrays as lists); the values must be plain numbers, lists and dicts."""
    import json

    out = Path(path)
    cache.atomic_write(out, lambda tmp: Path(tmp).write_text(json.dumps(_jsonable(results))), ".json")
    return out


def load_results(path) -> dict:
    """{cell name: value} from ``dump_results``: pass it to the study's ``plot`` (no recomputation)."""
    import json

    return json.loads(Path(path).read_text())


def figures_dir_for(preset: str, figures_dir="figures") -> Path:
    """``figures/gpu`` for the accelerator presets, ``figures`` otherwise."""
    return Path(figures_dir) / "gpu" if preset.startswith("gpu") else Path(figures_dir)


def run(module, preset: str = "quick", *, jobs: int = 1, figures_dir="figures", root=None, progress=True,
        cluster: str | None = None) -> Path:
    """Compute a study and write its figure atomically, with its results record ``<NAME>.json`` beside it
    (``record``); gpu presets write to ``figures/gpu/`` and dump the cells' results there as ``<NAME>.json``
    instead. Returns the figure's path."""
    import time

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = time.perf_counter()
    # the figure and the record are drawn from the results rounded as the record keeps them (``rounded``), so the
    # last-bit differences between machines and compile modes (README, Reproducibility) cannot move a pixel
    results = rounded(compute(module, preset, jobs=jobs, root=root, progress=progress, cluster=cluster))
    seconds = time.perf_counter() - t0
    where = figures_dir_for(preset, figures_dir)
    if preset.startswith("gpu"):
        dump_results(results, where / f"{module.NAME}.json")
    fig = module.plot(results, preset_config(module, preset))
    out = where / f"{module.NAME}.png"
    cache.atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight"), ".png")
    plt.close(fig)
    if not preset.startswith("gpu"):
        write_record(out.with_suffix(".json"), record(module, preset, results, seconds))
    return out


def config_hash(cfg) -> str:
    """sha256 of the canonical JSON of a preset's configuration, first 16 hex digits."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(describe_config(cfg), sort_keys=True, default=repr).encode()).hexdigest()[:16]


# Significant digits of the numbers in a record: far more than any statistical reading needs (a standard error is
# itself known only to a few per cent), and far coarser than the last-bit differences XLA:CPU's vectorisation makes
# between machines (README, Reproducibility), so a float64 study's record comes out the same on any x86-64 machine
# and `make figures` leaves git clean.
RECORD_DIGITS = 8


def rounded(v, digits: int = RECORD_DIGITS):
    """``v`` with every float (Python, numpy scalar or floating array, inside dicts, lists and tuples) rounded to
    ``digits`` significant digits; other values unchanged. Non-finite values stay as they are."""
    import numpy as np

    if isinstance(v, dict):
        return {k: rounded(x, digits) for k, x in v.items()}
    if isinstance(v, (list, tuple)) and not hasattr(v, "_fields"):  # not a NamedTuple: rebuild the same kind
        return type(v)(rounded(x, digits) for x in v)
    if isinstance(v, float) or (isinstance(v, (np.ndarray, np.generic)) and np.issubdtype(v.dtype, np.floating)):
        a = np.asarray(v, float)
        with np.errstate(all="ignore"):
            ok = np.isfinite(a) & (a != 0)
            scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.where(ok, np.abs(a), 1.0))))
            r = np.where(ok, np.round(a * scale) / scale, a)
        r = np.where(np.isfinite(r), r, a)  # a scale that overflows (|a| near the smallest normal): left as is
        return float(r) if isinstance(v, (float, np.generic)) else r.astype(v.dtype)
    return v


def record(module, preset: str, results: dict, seconds: float) -> dict:
    """The results record of one run (``figures/<NAME>.json``): the claim, the preset and its configuration (and its
    hash), the lab's version, what the study's ``summary`` returns (its ``verdict``, a ``headline`` sentence with this
    run's numbers, and the key numbers) and the wall time of the run's computation (cells found in the cache cost
    nothing)."""
    from lab import __version__

    cfg = preset_config(module, preset)
    out = {"study": module.NAME, "claim": module.CLAIM, "preset": preset, "config": describe_config(cfg),
           "config_hash": config_hash(cfg), "lab_version": __version__}
    if hasattr(module, "summary"):
        out.update(_jsonable(module.summary(results, cfg), RECORD_DIGITS))
    out["wall_seconds"] = round(float(seconds), 1)
    return out


TIMING_KEYS = ("wall_seconds",)  # what changes between two runs that produce the same results


def write_record(path: Path, rec: dict) -> None:
    """Write a results record, unless the file already holds the same record up to its timing: a rerun that reproduces
    the committed numbers leaves the file (and ``git status``) as it was, and the record keeps the time of the run that
    computed them."""
    import json

    path = Path(path)
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            old = None
        if isinstance(old, dict) and {k: v for k, v in old.items() if k not in TIMING_KEYS} == json.loads(
                json.dumps({k: v for k, v in rec.items() if k not in TIMING_KEYS}, default=str, ensure_ascii=False)):
            return
    _write_json(path, rec)


def _write_json(path: Path, record: dict) -> None:
    """Write ``record`` atomically as JSON (numpy scalars and arrays as plain numbers and lists)."""
    import json

    import numpy as np

    def plain(o):
        return o.tolist() if isinstance(o, (np.ndarray, np.generic)) else str(o)

    cache.atomic_write(path, lambda tmp: Path(tmp).write_text(
        json.dumps(record, indent=1, default=plain, ensure_ascii=False)), ".json")


def describe_config(cfg) -> dict:
    return asdict(cfg)
