"""What every demo shares: the caches that keep a slider move under 2 s, and the figure size.

Three layers, so that a slider move is a look-up rather than a simulation:
  1. ``cached``: each simulation's result in memory and on disk (``.cache/demos/``, one pickle per call, keyed by the
     function's name and code, its keyword arguments with defaults, and the lab's version; written atomically);
  2. JAX's persistent compilation cache (``.cache/jax/``), so a setting seen in any earlier session skips XLA;
  3. ``warm(fn, grid)``: ``make demos`` runs every demo's ``warm()`` before serving, filling layer 1 for every slider
     value, so no slider ever waits for a compilation.
``make clean`` drops both folders (do this after changing the lab's code). Files starting with ``_`` are not demos.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import pickle
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPILED = Path(os.environ.get("LAB_DEMOS_JAX_CACHE", ROOT / ".cache" / "jax"))  # layer 2
FIGSIZE = (11.0, 3.4)  # inches; every demo's main figure, drawn at DPI
DPI = 80


def results_dir() -> Path:
    """Layer 1's folder: ``$LAB_DEMOS_CACHE`` if set (the tests point it at a fresh folder), else ``.cache/demos``."""
    return Path(os.environ.get("LAB_DEMOS_CACHE", ROOT / ".cache" / "demos"))


def enable_compilation_cache() -> None:
    """Layer 2: JAX keeps every compiled program under ``COMPILED`` (even quick compiles: they cost ~1 s here)."""
    import jax

    jax.config.update("jax_compilation_cache_dir", str(COMPILED))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def _code_digest(code) -> str:
    """A digest of a function's bytecode and constants (nested code objects included), stable across sessions."""
    h = hashlib.sha256(code.co_code)
    for c in code.co_consts:
        h.update(_code_digest(c).encode() if hasattr(c, "co_code") else repr(c).encode())
    return h.hexdigest()


def cached(fn):
    """Layer 1: call ``fn(**kwargs)`` once per distinct keyword arguments, in memory and on disk.

    The key holds the function's name and bytecode, every keyword argument (its defaults included; JSON-able) and the
    lab's version. Constants read from the notebook's globals are NOT in the key: make them keyword defaults."""
    memo: dict = {}

    @functools.wraps(fn)
    def wrapper(**kwargs):
        import lab

        kwargs = {**(fn.__kwdefaults__ or {}), **kwargs}
        blob = json.dumps({"fn": fn.__name__, "code": _code_digest(fn.__code__), "kwargs": kwargs,
                           "lab": lab.__version__}, sort_keys=True)
        digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
        if digest in memo:
            return memo[digest]
        path = results_dir() / f"{fn.__name__}-{digest}.pkl"
        if path.exists():
            with open(path, "rb") as f:
                memo[digest] = pickle.load(f)
            return memo[digest]
        out = memo[digest] = fn(**kwargs)
        from lab.cache import atomic_write

        atomic_write(path, lambda tmp: Path(tmp).write_bytes(pickle.dumps(out)), ".pkl")
        return out

    return wrapper


def warm(fn, **grid) -> int:
    """Layer 3: call ``fn`` on every combination of the keyword values in ``grid`` (lists); returns the count."""
    names = list(grid)
    count = 0
    for values in itertools.product(*(grid[k] for k in names)):
        fn(**dict(zip(names, values)))
        count += 1
    return count
