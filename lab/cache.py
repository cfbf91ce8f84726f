"""Result cache: one file per computed cell, keyed by a hash of (study, cell, configuration, lab version).

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a run killed half-way leaves only
whole files; started again, it recomputes just the missing cells. Each cell's randomness comes from its own
configuration (its seed), never from the order in which cells run, so a resumed sweep ends with numbers identical to
an uninterrupted one.

Robustness (``get_or_compute``):
- a cell file that cannot be read (empty, truncated, written by an incompatible version) is reported on one line on
  stderr, moved aside to ``<file>.corrupt`` and recomputed;
- a cell being computed is claimed by a lock file beside it (``<file>.lock``, created with ``O_CREAT | O_EXCL``,
  holding the owner's host, pid and start time; its owner touches it every ``HEARTBEAT`` seconds). A second process
  that meets the lock waits for the result and loads it instead of computing it again. A lock is stale, and broken,
  when its owner is a dead process on this host, or when it has not been touched for ``LOCK_TIMEOUT`` seconds (an
  owner on another host sharing the folder). Two processes that break one stale lock at the same moment may both
  compute the cell: the writes are atomic and the numbers identical, so the cost is time, never a wrong file;
- the cache folder is checked before any work (``check_writable``): a folder that cannot be created or written is a
  ValueError naming ``LAB_CACHE_DIR``.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("LAB_CACHE_DIR", ".cache"))  # as it was at import; ``default_dir()`` reads it now
LOCK_TIMEOUT = 300.0  # seconds without a heartbeat after which a lock is stale, whoever holds it
HEARTBEAT = 30.0  # seconds between an owner's touches of its lock
_umask = os.umask(0)
os.umask(_umask)
_FILE_MODE = 0o666 & ~_umask  # what open() would give a new file


def cell_hash(study: str, cell: str, config: dict) -> str:
    """sha256 of the canonical JSON of (study, cell, config, lab version), first 16 hex digits."""
    from lab import __version__

    blob = json.dumps({"study": study, "cell": cell, "config": config, "version": __version__}, sort_keys=True,
                      default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def default_dir() -> Path:
    """``$LAB_CACHE_DIR``, or ``.cache`` when it is unset."""
    return Path(os.environ.get("LAB_CACHE_DIR", ".cache"))


def path_for(study: str, cell: str, config: dict, root: Path | None = None) -> Path:
    root = Path(root) if root is not None else default_dir()
    return root / study / f"{cell}-{cell_hash(study, cell, config)}.pkl"


def check_writable(root=None, study: str | None = None) -> Path:
    """The cache folder (``<root>/<study>`` when a study is named), created if needed, once a file could be written
    in it; otherwise a ValueError naming ``LAB_CACHE_DIR`` (or ``root`` when the caller chose it), raised before any
    work."""
    name = "root" if root is not None else "LAB_CACHE_DIR"
    base = Path(root) if root is not None else default_dir()
    folder = base / study if study else base
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-check-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        reason = e.strerror or type(e).__name__
        if base.exists() and not base.is_dir():
            reason = "it is a file, not a folder"
        raise ValueError(f"{name} = {str(base)!r} is not a usable cache folder ({reason}); set {name} to a "
                         "writable folder") from None
    return folder


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


def _report(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


_MISSING = object()


def load_or_missing(path: Path):
    """The value stored at ``path``, or ``_MISSING`` when there is none. A file that cannot be unpickled (empty,
    truncated, garbage, from an incompatible version) is reported on one line on stderr, renamed to
    ``<path>.corrupt`` (replacing an older one) and counted as missing, so the caller recomputes it."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        return _MISSING
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as e:  # UnpicklingError, EOFError, ValueError, AttributeError, ImportError, …
        aside = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, aside)
        except FileNotFoundError:  # another process moved it first
            pass
        except OSError as err:
            raise ValueError(f"LAB_CACHE_DIR: cache file {path} cannot be read ({type(e).__name__}) nor moved "
                             f"aside ({err.strerror}); delete it") from None
        detail = str(e).splitlines()[0] if str(e) else ""
        _report(f"cache file {path} could not be read ({type(e).__name__}{': ' + detail if detail else ''}); "
                f"moved to {aside.name} and recomputing")
        return _MISSING


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/<pid>/stat, in clock ticks since boot), or None where /proc is
    absent: with the pid, it tells a live owner from a new process that reused a dead owner's pid."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] == "Z" else fields[19]  # fields[0] is field 3 (state); a zombie counts as dead


def _alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: it exists
        pass
    if os.path.exists("/proc/self/stat"):
        now = _start_time(pid)
        return now is not None and (start is None or now == start)
    return True


class _Lock:
    """``<path>.lock``, created atomically; its owner touches it every ``HEARTBEAT`` seconds until released."""

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + ".lock")
        self._stop = threading.Event()
        self._thread = None

    def acquire(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, _FILE_MODE)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            json.dump({"host": socket.gethostname(), "pid": os.getpid(), "start": _start_time(os.getpid()),
                       "time": time.time()}, f)
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()
        return True

    def _beat(self):
        while not self._stop.wait(HEARTBEAT):
            try:
                os.utime(self.path)
            except OSError:
                return

    def release(self) -> None:
        self._stop.set()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def stale(self) -> bool:
        """Whether a lock held by someone else is stale: its owner is dead (this host), or it is older than
        ``LOCK_TIMEOUT`` without a heartbeat. A lock that vanished is not stale (the caller just tries again)."""
        try:
            age = time.time() - os.stat(self.path).st_mtime
            with open(self.path) as f:
                owner = json.load(f)
        except FileNotFoundError:
            return False
        except (OSError, ValueError):  # being written, or left empty by an owner killed at once: age decides
            owner = {}
        if age > LOCK_TIMEOUT:
            return True
        if owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int):
            return not _alive(owner["pid"], owner.get("start"))
        return False

    def break_stale(self) -> None:
        """Move a stale lock out of the way (a rename, so of two breakers only one succeeds) and delete it."""
        grave = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.replace(self.path, grave)
        except FileNotFoundError:
            return
        _report(f"cache lock {self.path} was left by a process that is gone; broken")
        os.unlink(grave)


BUSY = object()  # ``get_or_compute(..., wait=False)``: another process is computing this cell


def get_or_compute(path: Path, compute, *, wait: bool = True, poll: float = 0.05):
    """The value cached at ``path``, else ``compute()`` saved there atomically, computed by one process only.

    While another live process holds the cell's lock: with ``wait`` this process polls (from ``poll`` seconds, up
    to 2 s) until that process's result appears, then loads it (or claims the lock if it was released without a
    result, or broken as stale); without ``wait`` it returns ``BUSY`` at once, so the caller can do other cells
    first."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"LAB_CACHE_DIR: cannot create the cache folder {str(path.parent)!r} ({e.strerror or e}); "
                         "set LAB_CACHE_DIR to a writable folder") from None
    lock = _Lock(path)
    delay = poll
    while True:
        value = load_or_missing(path)
        if value is not _MISSING:
            return value
        if lock.acquire():
            try:
                value = load_or_missing(path)  # finished by another process between our look and our claim
                if value is _MISSING:
                    value = compute()
                    save_atomic(path, value)
                return value
            finally:
                lock.release()
        if lock.stale():
            lock.break_stale()
            continue
        if not wait:
            return BUSY
        time.sleep(delay)
        delay = min(2.0, delay * 1.5)
