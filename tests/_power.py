"""Power of the lab's k-standard-error conformance checks (issue 12, item 4).

A check ``|sim − theory| < k·SE + slack`` (``sim`` a replicate mean, SE its standard error, ``slack`` a stated
deterministic allowance such as a quadrature error) rejects a closed form that is off by a relative error δ — i.e.
whose value is (1 + δ)·truth — at least half the time once |δ·theory| ≥ k·SE + slack (the simulated mean then lies
beyond the tolerance with probability ≥ ½ under the normal approximation). Hence the smallest detectable relative
error of one comparison is

    δ_min = (k·SE + slack) / |theory|,

and of a test that compares many entries, the largest δ_min over them (the weakest comparison). One-sided bound
checks (``sim ≤ bound + k·SE``) detect a bound that understates the simulated mean by δ_min = k·SE/bound; how loose a
bound is cannot be tested that way. Tests assert ``δ_min ≤ TARGET`` from the same SE they use for the tolerance, so
the audit fails if a change of replicates or setting loses the power.
"""
import os

import numpy as np

Z = 5.0          # the lab's tolerance: 5 standard errors (two-sided P(|N(0,1)| > 5) ≈ 5.7·10⁻⁷)
TARGET = 0.03    # issue 12: every closed-form comparison detects a 3 % relative error, or says why not


def se_mean(x, axis=0):
    """Standard error of the replicate mean along ``axis``: sample standard deviation (ddof = 1) / √R."""
    x = np.asarray(x)
    return x.std(axis=axis, ddof=1) / np.sqrt(x.shape[axis])


def se_var(x, axis=0):
    """Standard error of the sample variance along ``axis``: std((x − x̄)²)/√R (the delta method's leading term)."""
    x = np.asarray(x)
    dev2 = (x - x.mean(axis=axis, keepdims=True)) ** 2
    return dev2.std(axis=axis, ddof=1) / np.sqrt(x.shape[axis])


def detectable_relative_error(se, theory, k=Z, slack=0.0):
    """δ_min = max over entries of (k·SE + slack)/|theory| (see the module docstring)."""
    se, theory = np.asarray(se, float), np.asarray(theory, float)
    delta = float(np.max((k * se + slack) / np.abs(theory)))
    if os.environ.get("LAB_POWER_LOG"):  # audit trail only (tables of δ_min per test); never changes a verdict
        with open(os.environ["LAB_POWER_LOG"], "a") as f:
            f.write(f"{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]}\t{delta:.4f}\n")
    return delta


def replicates_for(cv, target=TARGET, k=Z):
    """Replicates R at which a statistic with coefficient of variation ``cv`` (= sd/|mean|) reaches δ_min = target:
    k·cv/√R ≤ target  ⇔  R ≥ (k·cv/target)²."""
    return int(np.ceil((k * np.max(cv) / target) ** 2))
