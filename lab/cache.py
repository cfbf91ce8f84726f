"""Result cache: one file per computed cell, keyed by a hash of (study, cell, configuration, lab version).

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a run killed half-way leaves only
whole files; started again, it recomputes just the missing cells. Each cell's randomness comes from its own
configuration (its seed), never from the order in which cells run, so a resumed sweep ends with numbers identical to
an uninterrupted one.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("LAB_CACHE_DIR", ".cache"))
_umask = os.umask(0)
os.umask(_umask)
_FILE_MODE = 0o666 & ~_umask  # what open() would give a new file


def cell_hash(study: str, cell: str, config: dict) -> str:
    """sha256 of the canonical JSON of (study, cell, config, lab version), first 16 hex digits."""
    from lab import __version__

    blob = json.dumps({"study": study, "cell": cell, "config": config, "version": __version__}, sort_keys=True,
                      default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def path_for(study: str, cell: str, config: dict, root: Path | None = None) -> Path:
    root = Path(root) if root is not None else DEFAULT_DIR
    return root / study / f"{cell}-{cell_hash(study, cell, config)}.pkl"


def load(path: Path):
    with open(path, "rb") as f:
        return pickle.load(f)


def atomic_write(path, write, suffix: str = "") -> Path:
    """Write ``path`` atomically: ``write(tmp)`` writes a temporary file (named by a str ending in ``suffix``) in the
    same folder, which then replaces ``path`` (``os.replace``), so a reader sees the old file or the new one, never a
    half-written one. The file gets the usual permissions; the temporary file is removed if ``write`` fails. The one
    atomic write of the lab (results cache, figures and their JSON, diffusion checkpoints, the demos' cache)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_atomic(path: Path, value) -> None:
    """Pickle ``value`` to ``path`` atomically (``atomic_write``)."""

    def write(tmp):
        with open(tmp, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)

    atomic_write(path, write, ".pkl")
