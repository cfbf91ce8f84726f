"""What ``make test`` costs (issue 16, item 6): the target itself, cold, timed; the README states the result.

Runs ``make test`` in the repository with an empty JAX compilation cache (a temporary ``LAB_COMPILATION_CACHE_DIR``,
as on a fresh machine; the environment is assumed installed: installing takes about a minute more on a fresh clone),
and records the wall time, the CPU time of the whole process tree, pytest's closing line and the exit status in
``benchmarks/results/test_suite.json``, which ``python -m lab readme`` copies into the README. Run it on idle cores:
``.venv/bin/python benchmarks/test_suite.py``.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from figures import cpu_model  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, LAB_COMPILATION_CACHE_DIR=tmp)
        env.pop("JAX_COMPILATION_CACHE_DIR", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(["make", "-s", "test"], cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    out = {"command": "make test", "cores": os.cpu_count(), "cpu": cpu_model(), "wall_s": round(wall, 1),
           "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1),
           "pytest": lines[-1].strip("= ") if lines else "", "exit": proc.returncode}
    print(f"make test: {out['wall_s']:.0f} s wall ({out['wall_s'] / 60:.1f} min), {out['cpu_s']:.0f} CPU-s, "
          f"exit {proc.returncode}: {out['pytest']}   ({out['cores']} cores, {out['cpu']})")
    path = ROOT / "benchmarks" / "results" / "test_suite.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
