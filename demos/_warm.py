"""Fill every demo's result cache for every slider value, so that no slider move waits for a simulation.

``make demos`` runs this before serving; the first run compiles and simulates every setting (minutes on 2 cores),
later runs only load. Each notebook (``demos/*.py`` not starting with ``_``) is executed top to bottom, then its
``warm()`` is called.
"""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

DEMOS = Path(__file__).resolve().parent


def notebooks() -> list[Path]:
    return sorted(p for p in DEMOS.glob("*.py") if not p.name.startswith("_"))


def load_app(path: Path):
    spec = importlib.util.spec_from_file_location(f"demo_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def main() -> None:
    for path in notebooks():
        start = time.perf_counter()
        _, defs = load_app(path).run()
        count = defs["warm"]() if "warm" in defs else 0
        print(f"{path.name}: {count} settings cached in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
