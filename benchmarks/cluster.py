"""Scaling on a Dask cluster (issue 15, item 4): one study's cells on 1 and 2 local workers, against one process.

Run: ``.venv/bin/python benchmarks/cluster.py [--study gaussian_collapse] [--preset quick]`` (needs the ``cluster``
extra). Each side starts from an empty result cache (a temporary folder) and a warm JAX compilation cache (a first,
untimed single-process run fills it, so every side compiles nothing and the comparison is of the cells' work and the
cluster's overhead). Printed: the single-process time, the time on ``local:1`` and ``local:2`` (each including the
cluster's start, reported apart), the speedup of 2 workers over 1 (ideal 2 on 2 idle cores) and the overhead per cell
(``local:1`` minus the single process, over the cell count). The last line is ``speedup: <local:1 / local:2>``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--study", default="gaussian_collapse")
    p.add_argument("--preset", default="quick")
    a = p.parse_args(argv)
    from lab import cluster, registry, study

    mod = registry.load(a.study)
    cells = mod.cells(study.preset_config(mod, a.preset))
    with tempfile.TemporaryDirectory() as tmp:
        study.compute(mod, a.preset, root=Path(tmp) / "warm", progress=False)  # fills the compilation cache
        t0 = time.perf_counter()
        study.compute(mod, a.preset, root=Path(tmp) / "single", progress=False)
        single = time.perf_counter() - t0
        rows = {}
        for n in (1, 2):
            t0 = time.perf_counter()
            c, close = cluster.client(f"local:{n}")
            c.wait_for_workers(n)
            start = time.perf_counter() - t0
            close()
            t0 = time.perf_counter()
            study.compute(mod, a.preset, root=Path(tmp) / f"local{n}", progress=False, cluster=f"local:{n}")
            rows[n] = (time.perf_counter() - t0, start)
    print(f"{a.study} ({a.preset}), {len(cells)} cells")
    print(f"  one process          {single:8.1f} s")
    for n, (t, start) in rows.items():
        print(f"  local:{n} (Dask)       {t:8.1f} s   (of which starting the cluster ≈ {start:.1f} s)")
    print(f"  overhead per cell on local:1: {(rows[1][0] - single) / len(cells):.2f} s")
    print(f"speedup: {rows[1][0] / rows[2][0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
