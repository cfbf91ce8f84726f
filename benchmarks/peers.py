"""Peers benchmark (issue 17): the lab against peer-style code on the peers' own settings, cold and warm.

The peer side is written the way KoyejoLab's "Collapse or Thrive" loops are written (Kazdan et al. 2024,
arXiv:2410.16713): numpy / scikit-learn, one replicate at a time, one generation at a time —
``rng.multivariate_normal`` then ``x.mean(0)`` / ``np.cov`` for Gaussians, ``sklearn.neighbors.KernelDensity`` for
KDEs; Replace trains on the last samples, Accumulate on ``np.concatenate`` of everything so far, Accumulate-Subsample
on ``rng.choice(pool, n, replace=False)``; per generation the Gaussian side records Kazdan et al.'s metrics
‖μ̂ − μ₀‖², det Σ̂/det Σ₀, tr Σ̂/tr Σ₀. The lab side is ``lab.simulate`` with the same family (``GaussianFit(ddof=1)``,
as ``np.cov``; ``KDE("scott")``, whose bandwidth the peer passes to KernelDensity), regime and metrics.

Each row runs in fresh processes (``--child``), so "cold" is what a user starting a new run pays:
  peer cold = import numpy (+ scikit-learn) + the loop;  peer warm = the loop again in the same process.
  lab cold  = ``import lab`` + tracing + compilation (or loading from the persistent compilation cache) + the run;
  lab warm  = the same call again in the same process (best of ``--repeats``).
The lab's cold time is measured twice: with an empty compilation cache (a fresh folder) and with the folder the first
process filled (the default set-up from a user's second run on; ``lab/_setup.py``). ``X`` uses the latter; the
table shows both. Peer rows with R = 1,000 time ``--peer-replicates`` replicates and scale linearly (the peer runs
replicates one after another, so its time is linear in R; the line says so).

Before timing counts, agreement in law is checked per generation: for the first coordinate of the fitted mean and for
tr Σ̂/d (Gaussian) or the bandwidth h (KDE), the lab's mean over replicates and the peer's must be within 5 combined
standard errors at every generation. A row that fails is reported and excluded from the minimum.

Run: ``python benchmarks/peers.py`` (every row; long) or ``--quick`` (a few rows, about a minute). Results go to
``benchmarks/results/peers.json`` (``--quick``: ``peers-quick.json``); ``--readme`` rewrites README's table between
its marker comments from that file. The last line is ``min speedup cold: X, min speedup warm: Y``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T_START = time.perf_counter()  # before any heavy import: the cold clock of a child process

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
GENERATIONS = 100
REGIMES = ("replace", "accumulate", "subsample")
MARK_BEGIN, MARK_END = "<!-- peers-table:begin -->", "<!-- peers-table:end -->"


def rows(quick: bool) -> list[dict]:
    """The settings: Gaussian over the peers' whole grid; KDE on fewer rows (the peer's scikit-learn KDE is slow to run,
    and the lab stores every generation's KDE points, (R, G + 1, buffer, d) numbers, which under Accumulate at
    n = 100 or d = 10 do not fit in memory)."""
    if quick:
        return [dict(family="gaussian", regime="replace", d=1, n=10, R=100),
                dict(family="gaussian", regime="accumulate", d=10, n=100, R=100),
                dict(family="kde", regime="replace", d=1, n=10, R=100)]
    first = [("replace", 1, 10, 100), ("replace", 10, 100, 100), ("accumulate", 10, 100, 100),
             ("accumulate", 10, 100, 1000), ("subsample", 10, 100, 1000), ("replace", 1, 10, 1000)]  # issue 17's rows
    grid = [(g, d, n, R) for R in (100, 1000) for g in REGIMES for d in (1, 10) for n in (10, 100)]
    out = [dict(family="gaussian", regime=g, d=d, n=n, R=R) for g, d, n, R in first + [c for c in grid if c not in first]]
    out += [dict(family="kde", regime="replace", d=d, n=n, R=100) for d in (1, 10) for n in (10, 100)]
    out += [dict(family="kde", regime="replace", d=1, n=10, R=1000)]
    out += [dict(family="kde", regime=g, d=1, n=10, R=100) for g in ("accumulate", "subsample")]
    return out


# ----------------------------------------------------------------------------------------------------- peer side
def peer_gaussian(regime: str, d: int, n: int, generations: int, replicates: int, seed: int):
    """Peer-style Gaussian loop; returns (mean[0], tr Σ̂/d) per replicate and generation, each (R, G+1)."""
    import numpy as np

    mu0, cov0 = np.zeros(d), np.eye(d)
    stat1 = np.empty((replicates, generations + 1))
    stat2 = np.empty((replicates, generations + 1))
    metrics = np.empty((replicates, generations + 1, 3))
    for r in range(replicates):
        rng = np.random.default_rng([seed, r])
        data = rng.multivariate_normal(mu0, cov0, size=n)
        pool = data
        for t in range(generations + 1):
            mu = data.mean(axis=0)
            cov = np.atleast_2d(np.cov(data, rowvar=False))
            metrics[r, t] = (np.sum((mu - mu0) ** 2), np.linalg.det(cov) / np.linalg.det(cov0),
                             np.trace(cov) / np.trace(cov0))
            stat1[r, t], stat2[r, t] = mu[0], np.trace(cov) / d
            synthetic = rng.multivariate_normal(mu, cov, size=n)
            data, pool = _peer_next(regime, rng, synthetic, pool, n)
    return stat1, stat2


def _peer_next(regime, rng, synthetic, pool, n):
    import numpy as np

    if regime == "replace":
        return synthetic, synthetic
    pool = np.concatenate([pool, synthetic])
    if regime == "accumulate":
        return pool, pool
    return pool[rng.choice(len(pool), size=n, replace=False)], pool


def peer_kde(regime: str, d: int, n: int, generations: int, replicates: int, seed: int):
    """Peer-style KDE loop (scikit-learn ``KernelDensity``, Scott's rule with the pooled scale, as ``lab.KDE``);
    returns (mean of the training points' first coordinate, bandwidth h), each (R, G+1)."""
    import numpy as np
    from sklearn.neighbors import KernelDensity

    stat1 = np.empty((replicates, generations + 1))
    stat2 = np.empty((replicates, generations + 1))
    for r in range(replicates):
        rng = np.random.default_rng([seed, r])
        data = rng.multivariate_normal(np.zeros(d), np.eye(d), size=n)
        pool = data
        for t in range(generations + 1):
            h = np.sqrt(np.mean(np.var(data, axis=0))) * len(data) ** (-1.0 / (d + 4))
            kde = KernelDensity(kernel="gaussian", bandwidth=h).fit(data)
            stat1[r, t], stat2[r, t] = data[:, 0].mean(), h
            synthetic = kde.sample(n, random_state=int(rng.integers(2**31)))
            data, pool = _peer_next(regime, rng, synthetic, pool, n)
    return stat1, stat2


# ------------------------------------------------------------------------------------------------------ lab side
def lab_call(family: str, regime: str, d: int, n: int, replicates: int):
    """The lab's run for one row; returns a function of no arguments giving (stat1, stat2), each (R, G+1)."""
    import numpy as np

    import lab

    truth = lab.Gaussian(np.zeros(d), np.eye(d))
    reg = {"replace": lab.Replace, "accumulate": lab.Accumulate, "subsample": lab.AccumulateSubsample}[regime]()
    if family == "gaussian":
        model = lab.GaussianFit(ddof=1)
        metrics = [lab.metrics.MeanError(), lab.metrics.DetRatio(), lab.metrics.TraceRatio()]
    else:
        model, metrics = lab.KDE("scott"), []

    def run():
        ds = lab.simulate(truth, model, reg, n=n, generations=GENERATIONS, replicates=replicates, key=0,
                          metrics=metrics)
        second = ds["bandwidth"] if family == "kde" else ds["cov"].values.trace(axis1=-2, axis2=-1) / d
        return np.asarray(ds["mean"][..., 0]), np.asarray(second)

    return run


def child(args) -> None:
    """One side of one row in this (fresh) process; prints one JSON line."""
    if args.child == "lab":
        run = lab_call(args.family, args.regime, args.d, args.n, args.R)
        replicates = args.R
    else:
        import numpy  # noqa: F401  (the peer's imports count toward its cold time)

        if args.family == "kde":
            import sklearn.neighbors  # noqa: F401
        fn = peer_gaussian if args.family == "gaussian" else peer_kde
        replicates = min(args.R, args.peer_replicates)
        run = lambda: fn(args.regime, args.d, args.n, GENERATIONS, replicates, seed=1)  # noqa: E731
    t_ready = time.perf_counter()  # imports done (the lab's tracing and compilation happen inside its first call)
    s1, s2 = run()
    first = time.perf_counter() - t_ready
    warm = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        run()
        warm.append(time.perf_counter() - t0)
    scale = args.R / replicates  # 1 for the lab, which always runs every replicate
    import numpy as np

    stats = [[a.mean(0).tolist(), (a.std(0, ddof=1) / np.sqrt(len(a))).tolist()] for a in (s1, s2)]
    print(json.dumps({"cold": (t_ready - T_START) + first * scale, "warm": min(warm) * scale,
                      "timed_replicates": replicates, "stats": stats}))


def run_child(side: str, row: dict, args, env_extra: dict | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", side, "--family", row["family"],
           "--regime", row["regime"], "--d", str(row["d"]), "--n", str(row["n"]), "--R", str(row["R"]),
           "--repeats", str(args.repeats), "--peer-replicates", str(args.peer_replicates)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env_extra or {}))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{side} child failed for {row}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def agreement(lab_stats, peer_stats) -> float:
    """max over generations and both statistics of |mean_lab − mean_peer| / √(SE_lab² + SE_peer²)."""
    import numpy as np

    worst = 0.0
    for (ml, sl), (mp, sp) in zip(lab_stats, peer_stats):
        ml, sl, mp, sp = map(np.asarray, (ml, sl, mp, sp))
        se = np.sqrt(sl**2 + sp**2)
        z = np.where(se > 0, np.abs(ml - mp) / np.where(se > 0, se, 1.0), np.where(ml == mp, 0.0, np.inf))
        worst = max(worst, float(z.max()))
    return worst


def label(row: dict) -> str:
    reg = {"replace": "Replace", "accumulate": "Accumulate", "subsample": "Accumulate-Subsample"}[row["regime"]]
    fam = "Gaussian" if row["family"] == "gaussian" else "KDE"
    return f"{fam}, {reg}, d={row['d']}, n={row['n']}, R={row['R']:,}"


def measure(args, out: Path) -> dict:
    """Every row, in order; the results file is rewritten after each row (``complete`` false until the last)."""
    results = []
    with tempfile.TemporaryDirectory() as cache:
        for row in rows(args.quick):
            folder = os.path.join(cache, f"{row['family']}-{row['regime']}-{row['d']}-{row['n']}-{row['R']}")
            first = run_child("lab", row, args, {"LAB_COMPILATION_CACHE_DIR": folder})  # empty cache
            second = run_child("lab", row, args, {"LAB_COMPILATION_CACHE_DIR": folder})  # filled by `first`
            peer = run_child("peer", row, args)
            z = agreement(first["stats"], peer["stats"])
            res = dict(row, label=label(row), agree_max_z=z, agrees=bool(z <= 5.0),
                       peer_cold=peer["cold"], peer_warm=peer["warm"], peer_timed_replicates=peer["timed_replicates"],
                       lab_cold_empty_cache=first["cold"], lab_cold=second["cold"],
                       lab_warm=min(first["warm"], second["warm"]))
            res["speedup_cold"] = res["peer_cold"] / res["lab_cold"]
            res["speedup_cold_empty_cache"] = res["peer_cold"] / res["lab_cold_empty_cache"]
            res["speedup_warm"] = res["peer_warm"] / res["lab_warm"]
            results.append(res)
            print(line(res), flush=True)
            out.write_text(json.dumps(summarize(args, results, complete=False), indent=1) + "\n")
    return summarize(args, results, complete=True)


def summarize(args, results: list, *, complete: bool) -> dict:
    ok = [r for r in results if r["agrees"]]
    return {"complete": complete, "generations": GENERATIONS, "quick": args.quick, "repeats": args.repeats,
            "peer_replicates_timed": args.peer_replicates, "cores": os.cpu_count(), "rows": results,
            "min_speedup_cold": min((r["speedup_cold"] for r in ok), default=float("nan")),
            "min_speedup_warm": min((r["speedup_warm"] for r in ok), default=float("nan"))}


def line(r: dict) -> str:
    return (f"{r['label']:<44} agree |z|max {r['agree_max_z']:5.2f}{'' if r['agrees'] else ' FAIL'}  "
            f"peer {r['peer_cold']:7.2f} / {r['peer_warm']:7.2f} s  lab {r['lab_cold_empty_cache']:6.2f} "
            f"({r['lab_cold']:5.2f}) / {r['lab_warm']:6.3f} s  cold {r['speedup_cold']:6.1f}x  "
            f"warm {r['speedup_warm']:7.1f}x")


def table(summary: dict) -> str:
    """The README table (markdown) from a results file's contents."""
    head = ("| setting (100 generations) | agreement max \\|z\\| | peer cold | peer warm | lab cold, empty cache "
            "| lab cold | lab warm | cold × | warm × |\n|---|---|---|---|---|---|---|---|---|")
    body = []
    for r in summary["rows"]:
        scaled = "" if r["peer_timed_replicates"] == r["R"] else f" ({r['peer_timed_replicates']} timed, scaled)"
        body.append(f"| {r['label']}{scaled} | {r['agree_max_z']:.1f}{'' if r['agrees'] else ' (fails)'} "
                    f"| {r['peer_cold']:.2f} s | {r['peer_warm']:.2f} s | {r['lab_cold_empty_cache']:.2f} s "
                    f"| {r['lab_cold']:.2f} s | {r['lab_warm']:.3f} s | {r['speedup_cold']:.1f} "
                    f"| {r['speedup_warm']:.1f} |")
    partial = "" if summary.get("complete", True) else " (PARTIAL run: the rows measured before it was stopped)"
    tail = (f"\nmin speedup cold: {summary['min_speedup_cold']:.1f}, min speedup warm: "
            f"{summary['min_speedup_warm']:.1f} ({summary['cores']} cores; generated by `benchmarks/peers.py`){partial}")
    return "\n".join([head] + body) + "\n" + tail


def write_readme(summary: dict, readme: Path = ROOT / "README.md") -> None:
    """Replace the text between README's peers-table markers with ``table(summary)``."""
    text = readme.read_text()
    start, end = text.index(MARK_BEGIN) + len(MARK_BEGIN), text.index(MARK_END)
    readme.write_text(text[:start] + "\n" + table(summary) + "\n" + text[end:])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="three small rows (smoke use)")
    p.add_argument("--repeats", type=int, default=1, help="warm repeats in each process; the best is reported")
    p.add_argument("--peer-replicates", type=int, default=30, help="peer replicates timed (then scaled to R)")
    p.add_argument("--readme", action="store_true", help="only regenerate README's table from the results file")
    p.add_argument("--child", choices=["lab", "peer"], help=argparse.SUPPRESS)
    for name, kind in (("family", str), ("regime", str), ("d", int), ("n", int), ("R", int)):
        p.add_argument(f"--{name}", type=kind, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(args)
    out = RESULTS / ("peers-quick.json" if args.quick else "peers.json")
    if args.readme:
        return write_readme(json.loads(out.read_text()))
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = measure(args, out)
    out.write_text(json.dumps(summary, indent=1) + "\n")
    if not args.quick:
        write_readme(summary)
    print(f"min speedup cold: {summary['min_speedup_cold']:.1f}, min speedup warm: {summary['min_speedup_warm']:.1f}")


if __name__ == "__main__":
    main()
