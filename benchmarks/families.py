"""Benchmark: the lab's vectorised loops vs per-replicate loops over scikit-learn, same settings, one run each.

EM: ``lab.simulate`` with ``MixtureFit(k)`` (Replace) vs, per replicate and generation, sklearn ``GaussianMixture(k)``
fitted on the previous generation's samples (``max_iter`` = the lab's iterations, ``tol=0`` so both run every
iteration) and sampled. Settings differ between the two comparisons (not between the two sides of one comparison):
sklearn's EM is slow, so the EM comparison uses fewer cells. KDE: ``KDE(h)`` vs sklearn ``KernelDensity(bandwidth=h)`` fit + sample. The lab's time is one
call of ``simulate`` including its compilation. Prints both ratios; the last line is ``speedup: <smaller ratio>``.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGM
from sklearn.neighbors import KernelDensity

import lab

N, K, ITERATIONS, H = 200, 3, 50, 0.3
EM_SETTINGS = dict(generations=10, replicates=32)  # sklearn's EM is slow: fewer cells keep the run to minutes
KDE_SETTINGS = dict(generations=50, replicates=2000)  # sklearn's KDE fit+sample is fast: more cells to measure
TRUTH = lab.GaussianMixture([0.3, 0.3, 0.4], [[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]], [np.eye(2)] * 3)


def _lab(model, generations, replicates) -> float:
    """Warm time of the lab's loop: a first call compiles (printed apart), the second is timed."""
    def once():
        t = time.perf_counter()
        lab.simulate(TRUTH, model, lab.Replace(), n=N, generations=generations, replicates=replicates, key=0,
                     metrics=()).load()
        return time.perf_counter() - t

    first = once()
    warm = once()
    print(f"  {type(model).__name__}: first call {first:.2f} s (compile included), warm {warm:.2f} s")
    return warm


def _sklearn(make, sample, generations, replicates) -> float:
    rng = np.random.default_rng(0)
    starts = [np.asarray(TRUTH.sample(key=lab.keys.replicate_key(lab.keys.as_key(0), r), n=N)) for r in range(replicates)]
    t = time.perf_counter()
    for x in starts:
        for _ in range(generations + 1):
            x = sample(make().fit(x), int(rng.integers(2**31)))
    return time.perf_counter() - t


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 never "converges"; every fit runs ITERATIONS steps
    em_lab = _lab(lab.MixtureFit(K, iterations=ITERATIONS), **EM_SETTINGS)
    em_sk = _sklearn(lambda: SkGM(K, max_iter=ITERATIONS, tol=0.0, reg_covar=1e-6, random_state=0),
                     lambda m, s: m.sample(N)[0], **EM_SETTINGS)
    kde_lab = _lab(lab.KDE(H), **KDE_SETTINGS)
    kde_sk = _sklearn(lambda: KernelDensity(bandwidth=H), lambda m, s: m.sample(N, random_state=s), **KDE_SETTINGS)
    print(f"settings: n={N} d=2 k={K} em_iterations={ITERATIONS} h={H}; EM {EM_SETTINGS}; KDE {KDE_SETTINGS}")
    print(f"EM : lab {em_lab:.2f} s, sklearn loop {em_sk:.2f} s, ratio {em_sk / em_lab:.1f}x")
    print(f"KDE: lab {kde_lab:.2f} s, sklearn loop {kde_sk:.2f} s, ratio {kde_sk / kde_lab:.1f}x")
    print(f"speedup: {min(em_sk / em_lab, kde_sk / kde_lab):.1f}")


if __name__ == "__main__":
    main()
