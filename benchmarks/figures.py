"""What ``make figures`` costs (issue 16, item 1): its own command, in one fresh process, cold, per study and in all.

``make figures`` runs every study but the SIMS suite (``make sims`` runs those) at its quick preset, one study after
another, each study's cells on two worker processes (``python -m lab reproduce --preset quick --no-sims --jobs 2``).
This script runs the same loop in a fresh child process, with an empty result cache (a temporary ``LAB_CACHE_DIR``) and
an empty JAX compilation cache (a temporary ``LAB_COMPILATION_CACHE_DIR``), so the numbers are those of a fresh clone;
the figures go to a temporary folder, so the committed ones are not touched, unless ``--figures-dir figures`` asks for
make figures' own output (one cold run then both regenerates the figures and measures it). ``--sims`` adds the suite's
five studies at their quick preset; ``--jobs 1`` measures the serial loop.

For each study the child reports its wall time, the CPU time of its process tree (user + system, workers included:
less sensitive than wall time to other work on the machine) and the sum of the tree's per-process peak memory so far;
the parent measures the whole child (import included). The table's last line is the total wall time, the number the
README states (``python -m lab readme`` copies it from ``--out``, ``benchmarks/results/figures.json`` by default). Run
it on idle cores: ``.venv/bin/python benchmarks/figures.py``.
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

# the loop of `python -m lab reproduce --preset quick --no-sims --jobs J` (lab/cli.py), figures written to argv[1], one
# JSON line per study on stdout. With J > 1 the cells run in joblib's worker processes, so CPU time and peak memory are
# read from /proc for the whole process tree (the workers persist from study to study): CPU is the tree's user + system
# time, memory the sum of each process's peak (an upper bound on the tree's peak)
_CHILD = """
import json, os, sys, time
from lab import registry, study
from lab.sims import suite

TICK = os.sysconf("SC_CLK_TCK")

def tree():
    procs = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                s = open(f"/proc/{p}/stat").read()
                hwm = [ln for ln in open(f"/proc/{p}/status") if ln.startswith("VmHWM")]
            except OSError:
                continue
            f = s[s.rindex(")") + 2:].split()
            procs[int(p)] = (int(f[1]), sum(int(x) for x in f[11:15]) / TICK, int(hwm[0].split()[1]) if hwm else 0)
    mine, todo = set(), [os.getpid()]
    while todo:
        q = todo.pop()
        mine.add(q)
        todo += [c for c, v in procs.items() if v[0] == q and c not in mine]
    return sum(procs[q][1] for q in mine if q in procs), sum(procs[q][2] for q in mine if q in procs) / 1024

names = [n for n in registry.names() if sys.argv[2] == "sims" or n not in suite.STUDIES]
for name in names:
    mod = registry.load(name)
    (c0, _), t0 = tree(), time.perf_counter()
    study.run(mod, "quick", figures_dir=sys.argv[1], progress=False, jobs=int(sys.argv[3]))
    (c1, peak), t1 = tree(), time.perf_counter()
    print(json.dumps({"study": name, "wall_s": round(t1 - t0, 1), "cpu_s": round(c1 - c0, 1),
                      "peak_rss_mib": round(peak)}), flush=True)
"""
JOBS = 2  # make figures' --jobs (Makefile)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(sims: bool = False, figures_dir: str | None = None, jobs: int = JOBS) -> dict:
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
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, where, "sims" if sims else "-", str(jobs)],
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
    p.add_argument("--jobs", type=int, default=JOBS, help="worker processes per study (make figures: %(default)s)")
    p.add_argument("--figures-dir", default=None, help="write the figures and records here, as make figures does "
                   "(`--figures-dir figures` regenerates the committed ones); default: a temporary folder")
    a = p.parse_args(argv)
    print(f"{'study':22s} {'wall s':>8s} {'cpu s':>8s} {'peak MiB':>9s}", flush=True)
    res = run(a.sims, a.figures_dir, a.jobs)
    if res["exit"]:
        print(f"FAILED (exit {res['exit']}): {res['error']}")
    print(f"{'total':22s} {res['total_wall_s']:8.1f} {res['total_cpu_s']:8.1f} {res['peak_rss_mib']:9.0f}"
          f"   ({os.cpu_count()} cores, {cpu_model()})")
    out = {"command": "make figures" + (" + make sims (quick)" if a.sims else ""), "jobs": a.jobs,
           "cores": os.cpu_count(), "cpu": cpu_model(), **res}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1) + "\n")
    return 1 if res["exit"] else 0


if __name__ == "__main__":
    sys.exit(main())
