"""Study framework: a study is a module in ``studies/`` with one figure, its claim, presets and cells.

A study module defines
- ``NAME`` and ``CLAIM`` (one line: the claim the figure shows);
- ``PRESETS = {"quick": cfg, "full": cfg}``: frozen dataclasses, one commented line per field;
- ``cells(cfg) -> list[Cell]``: independent computations, each a module-level function with JSON-able kwargs
  (seed included), so every cell can be cached, resumed and run in its own process;
- ``plot(results: dict[cell name, value], cfg) -> matplotlib Figure``.
- optionally ``summary(results, cfg) -> dict``: key numbers (verdict, agreement statistics) that ``run`` writes to
  ``figures/<NAME>.json`` beside the figure, with the claim and the preset.
``run`` computes missing cells (joblib processes when ``jobs`` > 1; Dask or Ray through joblib's backends when the
user configures one), caches each atomically, and writes ``figures/<NAME>.png``. Presets named ``gpu`` (or
``gpu-…``) write to ``figures/gpu/`` and also dump the cells' results there as ``<NAME>.json`` (``dump_results``: the
small per-cell numbers, so ``plot`` can be called again on a machine without the accelerator: ``load_results``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from lab import cache


@dataclass(frozen=True)
class Cell:
    name: str  # unique within the study
    fn: Callable  # module-level function (picklable), called as fn(**kwargs)
    kwargs: dict = field(default_factory=dict)  # JSON-serialisable arguments, seed included


def _compute(study_name: str, cell: Cell, root):
    path = cache.path_for(study_name, cell.name, cell.kwargs, root)
    if path.exists():
        return cache.load(path)
    value = cell.fn(**cell.kwargs)
    cache.save_atomic(path, value)
    return value


def compute(module, preset: str = "quick", *, jobs: int = 1, root=None, progress: bool = True) -> dict:
    """All cells of a study's preset, from the cache where present: {cell name: value}."""
    cfg = preset_config(module, preset)
    cells = module.cells(cfg)
    names = [c.name for c in cells]
    if len(set(names)) != len(names):
        raise ValueError(f"study {module.NAME} has duplicate cell names")
    if jobs > 1:
        from joblib import Parallel, delayed

        values = Parallel(n_jobs=jobs)(delayed(_compute)(module.NAME, c, root) for c in cells)
    else:
        it = cells
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(cells, desc=module.NAME, unit="cell", leave=False)
        values = [_compute(module.NAME, c, root) for c in it]
    return dict(zip(names, values))


def preset_config(module, preset: str):
    if preset not in module.PRESETS:
        raise ValueError(f"preset must be one of {sorted(module.PRESETS)}, got {preset!r}")
    return module.PRESETS[preset]


def _jsonable(v):
    import numpy as np

    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "__dataclass_fields__"):  # e.g. a network spec inside a record
        return {"kind": type(v).__name__, **{f: _jsonable(getattr(v, f)) for f in v.__dataclass_fields__}}
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


def run(module, preset: str = "quick", *, jobs: int = 1, figures_dir="figures", root=None, progress=True) -> Path:
    """Compute a study and write its figure atomically (gpu presets: to ``figures/gpu/`` with the results' JSON);
    returns the figure's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = compute(module, preset, jobs=jobs, root=root, progress=progress)
    where = figures_dir_for(preset, figures_dir)
    if preset.startswith("gpu"):
        dump_results(results, where / f"{module.NAME}.json")
    fig = module.plot(results, preset_config(module, preset))
    out = where / f"{module.NAME}.png"
    cache.atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight"), ".png")
    plt.close(fig)
    if hasattr(module, "summary") and not preset.startswith("gpu"):
        from lab import __version__

        _write_json(out.with_suffix(".json"), {"study": module.NAME, "claim": module.CLAIM, "preset": preset,
                                               "config": describe_config(preset_config(module, preset)),
                                               "lab_version": __version__,
                                               **module.summary(results, preset_config(module, preset))})
    return out


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
