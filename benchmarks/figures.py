"""What ``make figures`` costs (issue 16, item 1): its own command, in one fresh process, cold, per study and in all.

``make figures`` runs every study but the SIMS suite (``make sims`` runs those) at its quick preset, one after another
in one process (``python -m lab reproduce --preset quick --no-sims``). This script runs the same loop in a fresh child
process, with an empty result cache (a temporary ``LAB_CACHE_DIR``) and an empty JAX compilation cache (a temporary
``LAB_COMPILATION_CACHE_DIR``), so the numbers are those of a fresh clone; the figures go to a temporary folder, so the
committed ones are not touched, unless ``--figures-dir figures`` asks for make figures' own output (one cold run then
both regenerates the figures and measures it). ``--sims`` adds the suite's five studies at their quick preset.

For each study the child reports its wall time, its CPU time (user + system of every thread of the process: less
sensitive than wall time to other work on the machine) and the process's peak resident memory so far; the parent
measures the whole child (import included). The table's last line is the total wall time, the number the README
states (``python -m lab readme`` copies it from ``--out``, ``benchmarks/results/figures.json`` by default). Run it on
idle cores: ``.venv/bin/python benchmarks/figures.py``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# the loop of `python -m lab reproduce --preset quick --no-sims` (lab/cli.py), figures written to argv[1], one JSON line
# per study on stdout
_CHILD = """
import json, resource, sys, time
from lab import registry, study
from lab.sims import suite
names = [n for n in registry.names() if sys.argv[2] == "sims" or n not in suite.STUDIES]
for name in names:
    mod = registry.load(name)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    study.run(mod, "quick", figures_dir=sys.argv[1], progress=False)
    r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    print(json.dumps({"study": name, "wall_s": round(t1 - t0, 1),
                      "cpu_s": round(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, 1),
                      "peak_rss_mib": round(r1.ru_maxrss / 1024)}), flush=True)
"""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(sims: bool = False, figures_dir: str | None = None) -> dict:
    """The child run: {"rows": per study, "total_wall_s", "total_cpu_s", "peak_rss_mib", "exit", "error"}; figures
    and records go to ``figures_dir`` (a temporary folder when None)."""
    import resource

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, LAB_CACHE_DIR=str(Path(tmp) / "cache"),
                   LAB_COMPILATION_CACHE_DIR=str(Path(tmp) / "jax"), MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
        # a parent that imported lab put its cache folder in JAX_COMPILATION_CACHE_DIR, which a child respects
        # (lab/_setup.py): drop it, or the child reuses executables compiled earlier on this machine and is not cold
        env.pop("JAX_COMPILATION_CACHE_DIR", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        where = str(Path(figures_dir).resolve()) if figures_dir else str(Path(tmp) / "figures")
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, where, "sims" if sims else "-"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stdout:
            if line.startswith("{"):
                r = json.loads(line)
                rows.append(r)
                print(f"{r['study']:22s} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['peak_rss_mib']:9.0f}", flush=True)
        err = proc.stderr.read()
        proc.wait()
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"rows": rows, "total_wall_s": round(wall, 1),
            "total_cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1),
            "peak_rss_mib": round(after.ru_maxrss / 1024), "exit": proc.returncode,
            "error": err.strip().splitlines()[-1] if proc.returncode and err.strip() else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sims", action="store_true", help="also the SIMS suite (`make sims`; not part of make figures)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "figures.json"))
    p.add_argument("--figures-dir", default=None, help="write the figures and records here, as make figures does "
                   "(`--figures-dir figures` regenerates the committed ones); default: a temporary folder")
    a = p.parse_args(argv)
    print(f"{'study':22s} {'wall s':>8s} {'cpu s':>8s} {'peak MiB':>9s}", flush=True)
    res = run(a.sims, a.figures_dir)
    if res["exit"]:
        print(f"FAILED (exit {res['exit']}): {res['error']}")
    print(f"{'total (one process)':22s} {res['total_wall_s']:8.1f} {res['total_cpu_s']:8.1f} {res['peak_rss_mib']:9.0f}"
          f"   ({os.cpu_count()} cores, {cpu_model()})")
    out = {"command": "make figures" + (" + make sims (quick)" if a.sims else ""), "cores": os.cpu_count(),
           "cpu": cpu_model(), **res}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1) + "\n")
    return 1 if res["exit"] else 0


if __name__ == "__main__":
    sys.exit(main())
