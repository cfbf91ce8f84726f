"""Process-wide settings applied when ``lab`` is imported, without importing JAX (so ``import lab`` stays cheap).

- Precision: JAX's float64 (``jax_enable_x64``), always. Before JAX is imported this is the environment variable
  ``JAX_ENABLE_X64``, which JAX reads as the option's default when it is first imported; after, ``jax.config.update``.
- Cores: unless ``XLA_FLAGS`` already names a host device count, one CPU device per core (read by XLA when JAX's CPU
  backend starts; see ``lab/loop.py`` for how ``simulate`` uses them).
- Compilation cache: JAX's persistent compilation cache (https://docs.jax.dev/en/latest/persistent_compilation_cache.html)
  is on, in ``$LAB_COMPILATION_CACHE_DIR`` or else ``$XDG_CACHE_HOME/autophagy-lab/jax`` (``~/.cache/autophagy-lab/jax``),
  so a new process reuses the executables an earlier one compiled for the same configuration instead of recompiling.
  A cache directory the user set through JAX (``JAX_COMPILATION_CACHE_DIR``) is respected. Opt out with
  ``LAB_COMPILATION_CACHE=0``. Programs compiled in under ``MIN_COMPILE_SECONDS`` are not written.
"""
from __future__ import annotations

import os
import sys

MIN_COMPILE_SECONDS = 0.0  # every program: the lab's many small ones (key folding, truths' set-up) add up to seconds


def cache_dir() -> str | None:
    """The persistent compilation cache folder the lab asks for, or None when the user opted out."""
    if os.environ.get("LAB_COMPILATION_CACHE", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    if os.environ.get("LAB_COMPILATION_CACHE_DIR"):
        return os.environ["LAB_COMPILATION_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "autophagy-lab", "jax")


def _cores() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def apply() -> None:
    """Apply the settings above: through environment variables if JAX is not imported yet, else through its config."""
    if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + f" --xla_force_host_platform_device_count={_cores()}").strip()
    options = {"jax_enable_x64": True}
    folder = None if os.environ.get("JAX_COMPILATION_CACHE_DIR") else cache_dir()
    if folder is not None:
        options.update(jax_compilation_cache_dir=folder, jax_persistent_cache_min_compile_time_secs=MIN_COMPILE_SECONDS)
    if "jax" in sys.modules:
        import jax

        for name, value in options.items():
            jax.config.update(name, value)
    else:
        for name, value in options.items():
            os.environ[name.upper()] = str(value)
