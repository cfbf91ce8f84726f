"""What ``make figures`` costs (issue 16, item 1): every study's quick preset, each in a fresh process, cold.

``make figures`` runs every study but the SIMS suite (which ``make sims`` runs); ``--sims`` adds the suite's five.

Run: ``.venv/bin/python benchmarks/figures.py [--only NAME ...] [--jobs 1]``. Each study runs as
``python -m lab run NAME --preset quick`` in its own process (what ``make figures`` does in one process, split so that
each study's cost is visible), with an empty result cache (a temporary ``LAB_CACHE_DIR``) and an empty JAX compilation
cache (a temporary ``LAB_JAX_CACHE_DIR``), so the numbers are those of a fresh clone. Figures are written to a
temporary folder, so the committed ones are not touched.

For each study it records the wall time, the CPU time of the child (user + system: less sensitive than wall time to
other work on the machine) and the peak resident memory, and prints a table whose last line is the total wall time.
``--out`` writes the rows as JSON (``benchmarks/results/figures.json`` by default), with the machine's core count.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# `python -m lab run NAME --preset quick`, with the figure written to a temporary folder
_RUN = ("import sys; from lab import registry, study; "
        "study.run(registry.load(sys.argv[1]), 'quick', figures_dir=sys.argv[2], progress=False)")


def study_names() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "lab", "studies"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def measure(name: str, tmp: Path) -> dict:
    """One study's quick preset in a fresh process with cold caches: wall s, CPU s, peak RSS MiB, exit status."""
    env = dict(os.environ, LAB_CACHE_DIR=str(tmp / "cache"), LAB_COMPILATION_CACHE_DIR=str(tmp / "jax"),
               MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    # this process imported lab, which put its own cache folder in JAX_COMPILATION_CACHE_DIR; a child that inherited it
    # would respect it (lab/_setup.py) and reuse executables compiled earlier on this machine: not cold
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RUN, name, str(tmp / "figures")], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"study": name, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "peak_rss_mib": round(after.ru_maxrss / 1024, 0), "exit": proc.returncode,
            "error": proc.stderr.strip().splitlines()[-1] if proc.returncode else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", default=None, metavar="NAME")
    p.add_argument("--sims", action="store_true", help="also the SIMS suite (`make sims`; not part of make figures)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "figures.json"))
    a = p.parse_args(argv)
    from lab.sims import suite

    names = a.only or [n for n in study_names() if a.sims or n not in suite.STUDIES]
    rows = []
    print(f"{'study':22s} {'wall s':>8s} {'cpu s':>8s} {'peak MiB':>9s}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            r = measure(name, Path(tmp))
            rows.append(r)
            print(f"{name:22s} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['peak_rss_mib']:9.0f}"
                  + (f"  FAILED: {r['error']}" if r["exit"] else ""), flush=True)
    total = sum(r["wall_s"] for r in rows)
    print(f"{'total':22s} {total:8.1f} {sum(r['cpu_s'] for r in rows):8.1f}   ({os.cpu_count()} cores)")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"cores": os.cpu_count(), "rows": rows, "total_wall_s": round(total, 1)},
                                      indent=1))
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
