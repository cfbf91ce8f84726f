"""Benchmark (issue 10, item 5, first half): the sims_loop quick preset, cold, now against the commit before the
diffusion-stack refactor (``OLD``, 5f2d5da), in CPU seconds (user + sys) and wall seconds.

Run: ``.venv/bin/python benchmarks/sims_loop_quick.py`` (``--rounds K``, default 2; ``--old COMMIT``).

Each measurement is a fresh Python process that runs ``lab.study.run(studies.sims_loop, "cpu-quick")`` with an empty
result cache (``LAB_CACHE_DIR``), an empty JAX compilation cache (``LAB_COMPILATION_CACHE_DIR``; the old commit has
no persistent cache, so it is cold anyway) and the figure written to a temporary folder. The old code runs from a
temporary ``git worktree`` of ``OLD`` (removed at the end), the new one from this tree; both with this interpreter.
The two alternate (old, new, old, new, …) so that they see the same load. CPU time is the child's ``rusage``
(user + sys, all threads; what ``/usr/bin/time`` reports); on a machine shared with other jobs wall time depends on
the load, CPU time much less, so CPU time is the number to compare. Last line: ``new/old cpu: <total new / total old>``.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OLD = "5f2d5da"
ROOT = Path(__file__).resolve().parents[1]
DRIVER = ("import sys, importlib\nfrom lab import study\nm = importlib.import_module('studies.sims_loop')\n"
          "study.preset_config(m, 'cpu-quick')\nstudy.run(m, 'cpu-quick', figures_dir=sys.argv[1])\n")


def measure(tree: Path) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one cold run of the quick preset from source tree ``tree``."""
    with tempfile.TemporaryDirectory(prefix="simsbench-") as tmp:
        env = dict(os.environ, PYTHONPATH=str(tree), TQDM_DISABLE="1", LAB_CACHE_DIR=f"{tmp}/cache", MPLBACKEND="Agg",
                   LAB_COMPILATION_CACHE_DIR=f"{tmp}/jax")
        env.pop("JAX_COMPILATION_CACHE_DIR", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", DRIVER, f"{tmp}/fig"], cwd=tree, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--old", default=OLD)
    args = ap.parse_args(argv)
    if args.rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {args.rounds}")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    print(f"sims_loop cpu-quick, cold: old = {args.old}, new = this tree ({head.strip()}"
          f"{', with uncommitted changes' if _dirty() else ''}); {os.cpu_count()} cores; load average at start "
          f"{os.getloadavg()[0]:.1f}")
    old_tree = Path(tempfile.mkdtemp(prefix="simsloop-old-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(old_tree), args.old], cwd=ROOT, check=True,
                   capture_output=True)
    total = {"old": [0.0, 0.0], "new": [0.0, 0.0]}
    try:
        for r in range(args.rounds):
            for name, tree in (("old", old_tree), ("new", ROOT)):
                cpu, wall = measure(tree)
                total[name][0] += cpu
                total[name][1] += wall
                print(f"round {r + 1}  {name}:  cpu {cpu:7.1f} s   wall {wall:7.1f} s   "
                      f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, capture_output=True)
    for name, (cpu, wall) in total.items():
        print(f"mean {name}:  cpu {cpu / args.rounds:7.1f} s   wall {wall / args.rounds:7.1f} s")
    print(f"new/old cpu: {total['new'][0] / total['old'][0]:.2f}")


def _dirty() -> bool:
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                         text=True).stdout
    return bool(out.strip())


if __name__ == "__main__":
    main()
