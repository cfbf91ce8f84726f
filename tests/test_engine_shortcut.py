"""The benchmark's exact shortcut (benchmarks/shortcut.py) agrees in distribution with ``lab.simulate``.

Oracle: THEORY G1. log σ²_t is log σ² plus t + 1 independent log(χ²_{n−1}/n) factors, so with a = (n − 1)/2 its
cumulants are κ₁ = log σ² + (t+1)(ψ(a) + log(2/n)), κ₂ = (t+1)ψ'(a), κ₄ = (t+1)ψ'''(a). Over R replicates the
sample mean has standard error √(κ₂/R) and the sample variance √((κ₄ + 2κ₂²)/R). The mean μ_t (E μ_t = 0) is checked
through the mean of μ_t² against Var(μ_t) (``lab.theory.gaussian.mean_var``), with a theory bound on its standard
error (see the test). Every tolerance is 5 of these standard errors, never tuned.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import polygamma

import lab
from lab.theory import gaussian as theory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from shortcut import simulate_stats  # noqa: E402

N, GENERATIONS, REPLICATES = 50, 40, 4000
CHECKED = np.array([0, 5, 40])  # generations compared


@pytest.fixture(scope="module")
def both():
    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=0), lab.Replace(),
                      n=N, generations=GENERATIONS, replicates=REPLICATES, key=1, metrics=[])
    engine = (ds["mean"].values[:, :, 0], ds["cov"].values[:, :, 0, 0])
    mean, var = simulate_stats(mu=0.0, sigma2=1.0, n=N, generations=GENERATIONS, replicates=REPLICATES, key=2)
    return {"engine": engine, "shortcut": (np.asarray(mean), np.asarray(var))}


def _log_var_cumulants(t):
    a = (N - 1) / 2
    k1 = theory.log_variance_mean(t, n=N)
    k2 = theory.log_variance_var(t, n=N)
    k4 = (t + 1) * polygamma(3, a)
    return k1, k2, k4


@pytest.mark.parametrize("source", ["engine", "shortcut"])
def test_log_variance_mean_and_variance_match_theory(both, source):
    log_var = np.log(both[source][1][:, CHECKED])
    k1, k2, k4 = _log_var_cumulants(CHECKED)
    se_mean = np.sqrt(k2 / REPLICATES)
    se_var = np.sqrt((k4 + 2 * k2**2) / REPLICATES)
    np.testing.assert_array_less(np.abs(log_var.mean(0) - k1), 5 * se_mean)
    np.testing.assert_array_less(np.abs(log_var.var(0, ddof=1) - k2), 5 * se_var)


@pytest.mark.parametrize("source", ["engine", "shortcut"])
def test_mean_variance_matches_theory(both, source):
    mu = both[source][0][:, CHECKED]
    v = theory.mean_var(CHECKED, n=N)
    # Given the variance path, μ_t ~ N(0, S) with S = Σ_{s≤t} σ²_{s−1}/N (σ²_{−1} = 1), so E[μ_t⁴] = 3E[S²]. By
    # Cauchy–Schwarz and E[σ⁴_s]/E[σ²_s]² = ((N+1)/(N−1))^{s+1}, E[S²] ≤ (1 + 2/(N−1))^{t+1} v², v = E[S] = Var(μ_t);
    # hence Var(μ_t²) ≤ (3(1 + 2/(N−1))^{t+1} − 1) v².
    se = np.sqrt((3 * (1 + 2 / (N - 1)) ** (CHECKED + 1) - 1) * v**2 / REPLICATES)
    np.testing.assert_array_less(np.abs((mu**2).mean(0) - v), 5 * se)


def test_engine_and_shortcut_agree(both):
    (_, v_engine), (_, v_short) = both["engine"], both["shortcut"]
    _, k2, _ = _log_var_cumulants(CHECKED)
    diff = np.log(v_engine[:, CHECKED]).mean(0) - np.log(v_short[:, CHECKED]).mean(0)
    np.testing.assert_array_less(np.abs(diff), 5 * np.sqrt(2 * k2 / REPLICATES))


def test_shortcut_reproducible():
    a = simulate_stats(mu=0.0, sigma2=1.0, n=N, generations=5, replicates=3, key=7)
    b = simulate_stats(mu=0.0, sigma2=1.0, n=N, generations=5, replicates=3, key=7)
    c = simulate_stats(mu=0.0, sigma2=1.0, n=N, generations=5, replicates=3, key=8)
    np.testing.assert_array_equal(np.asarray(a[1]), np.asarray(b[1]))
    assert not np.array_equal(np.asarray(a[1]), np.asarray(c[1]))
