"""What the engine's two compile modes cost (``lab.loop.compile_mode``): XLA backend optimisation off ("fast") or
XLA's default ("full"), for a few Gaussian runs from compile-bound to run-bound.

Run: ``.venv/bin/python benchmarks/compile_modes.py``; a minute or two on 2 cores.

Each (run, mode) is measured in a fresh process with an empty compilation cache (``LAB_XLA_OPTIMIZE`` forces the
mode): ``cold`` is the first ``lab.simulate`` call (tracing, compiling and running), ``warm`` the same call again with
another key (running only). It also reports how far the two modes' fitted covariances are apart (same key: the
largest difference relative to the covariance's largest entry, over replicates and generations). The last line is ``cold speedup of fast over full: min X, max Y``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = [  # (label, dim, regime, n, generations, replicates): the first two are study-sized, the last the engine's
    ("d=1 Replace n=10 G=100 R=100", 1, "Replace()", 10, 100, 100),
    ("d=10 Fresh(100, 300) n=200 G=20 R=40", 10, "Fresh(real=100, synthetic=300)", 200, 20, 40),
    ("d=10 Replace n=100 G=100 R=100", 10, "Replace()", 100, 100, 100),
    ("d=1 Replace n=100 G=200 R=1000", 1, "Replace()", 100, 200, 1000),
]
_CHILD = """
import json, sys, time
import numpy as np
import lab
from lab import loop
d, regime, n, g, r = json.loads(sys.argv[1])
reg = eval("lab." + regime)
work = r * (g + 1) * max(n, reg.plan(n, g).buffer) * d
def go(key):
    t = time.perf_counter()
    ds = lab.simulate(lab.Gaussian(np.zeros(d), np.eye(d)), lab.GaussianFit(), reg, n=n, generations=g,
                      replicates=r, key=key, metrics=[lab.metrics.W2()])
    return time.perf_counter() - t, ds
cold, ds = go(0)
warm, _ = go(1)
np.save(sys.argv[2], ds["cov"].values)
import os
os.environ.pop("LAB_XLA_OPTIMIZE")  # what the default policy picks for this run
print(json.dumps({"cold": cold, "warm": warm, "work": work, "auto": loop.compile_mode(lab.GaussianFit(), work)}))
"""


def measure(args, mode: str, tmp: Path) -> dict:
    env = dict(os.environ, LAB_XLA_OPTIMIZE=mode, LAB_COMPILATION_CACHE_DIR=str(tmp / f"jax-{mode}-{args[0]}-{args[2]}"),
               PYTHONPATH=str(ROOT))
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # the parent's cache would make the child warm
    out = tmp / f"cov-{mode}.npy"
    proc = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(args), str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "cov": out}


def main() -> int:
    import numpy as np

    print(f"{'run':40s} {'work':>9s} {'auto':>5s} {'fast cold':>10s} {'full cold':>10s} {'fast warm':>10s} "
          f"{'full warm':>10s} {'max rel diff':>12s}", flush=True)
    speedups = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for label, *args in RUNS:
            fast, full = measure(args, "fast", tmp), measure(args, "full", tmp)
            a, b = np.load(fast["cov"]), np.load(full["cov"])
            # per (replicate, generation), relative to the covariance's largest entry (off-diagonals sit near 0)
            scale = np.maximum(np.abs(b).max(axis=(-2, -1), keepdims=True), 1e-300)
            rel = float(np.max(np.abs(a - b) / scale))
            speedups.append(full["cold"] / fast["cold"])
            print(f"{label:40s} {fast['work']:9.1e} {fast['auto']:>5s} {fast['cold']:10.2f} {full['cold']:10.2f} "
                  f"{fast['warm']:10.3f} {full['warm']:10.3f} {rel:12.1e}", flush=True)
    print(f"cold speedup of fast over full: min {min(speedups):.2f}, max {max(speedups):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
