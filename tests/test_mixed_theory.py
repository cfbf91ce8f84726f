"""lab.theory.mixed: the Gaussian-family bound under mixed training (Fresh: n fresh real + m synthetic per generation).

Confidence: the rigorous bound B_i on the mean part of the TV is compared with the simulated mean over R replicates,
allowing 5 standard errors (sample standard deviation / √R): a true bound fails this check with probability < 3·10⁻⁷
per comparison under the normal approximation of the replicate mean. Fixed keys make the draws reproducible.
"""
import numpy as np
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st
from scipy.stats import norm

import lab
from lab.theory import mixed
from lab.theory import pooled

Z, R = 5.0, 2000
TRUTH1 = lab.Gaussian([0.0], [[1.0]])


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(n=st.integers(5, 40), m=st.integers(0, 80), i=st.integers(1, 5), ddof=st.sampled_from([0, 1]),
       lam=st.sampled_from([0.8, 1.0]))
def test_mean_part_tv_bound_holds_in_simulation(n, m, i, ddof, lam):
    ds = lab.simulate(TRUTH1, lab.GaussianFit(ddof=ddof, sampling_bias=lam), lab.Fresh(real=n, synthetic=m), n=n,
                      generations=i, replicates=R, key=7000 + 100 * n + m + i, metrics=[])
    delta = np.abs(ds["mean"].values[:, i, 0])                  # Mahalanobis distance, Σ = 1
    tv_mean = 2.0 * norm.cdf(delta / 2.0) - 1.0                 # exact TV(N(0,1), N(μ_i,1))
    bound = mixed.tv_mean_bound(n=n, m=m, i=i, d=1, ddof=ddof, sampling_bias=lam)
    assert tv_mean.mean() <= bound + Z * tv_mean.std(ddof=1) / np.sqrt(R)
    # the exact moment the bound rests on
    d2 = delta**2
    assert abs(d2.mean() - mixed.mahalanobis_sq_mean(n=n, m=m, i=i, ddof=ddof, sampling_bias=lam)) \
        < Z * d2.std(ddof=1) / np.sqrt(R)


def test_bound_in_d_dimensions():
    truth = lab.Gaussian([0.0, 1.0], [[1.0, 0.4], [0.4, 0.6]])
    n, m, i = 15, 30, 3
    ds = lab.simulate(truth, lab.GaussianFit(ddof=1), lab.Fresh(real=n, synthetic=m), n=n, generations=i,
                      replicates=R, key=7100, metrics=[])
    dm = ds["mean"].values[:, i] - truth.mean
    d2 = np.einsum("ri,ij,rj->r", dm, np.linalg.inv(truth.cov), dm)
    tv_mean = 2.0 * norm.cdf(np.sqrt(d2) / 2.0) - 1.0
    assert tv_mean.mean() <= mixed.tv_mean_bound(n=n, m=m, i=i, d=2, ddof=1) + Z * tv_mean.std(ddof=1) / np.sqrt(R)


def test_minimum_at_m_equals_n_for_first_generation():
    for n, ddof, lam in ((10, 0, 1.0), (25, 1, 1.0), (40, 1, 0.7)):
        assert mixed.argmin_m(n=n, i=1, ddof=ddof, sampling_bias=lam, m_max=10 * n) == n


def test_fall_then_rise_not_rise_then_fall():
    """The exact b_i is U-shaped in m at fixed i ≥ 2 (falls then rises back towards 1/n), and decreasing in the i → ∞ limit."""
    n = 20
    ms = np.array([0, 10, 20, 40, 80, 160, 320, 1000])
    for i in (2, 3, 4, 5):
        b = np.array([mixed.mean_sq(n=n, m=int(m), i=i, ddof=1) for m in ms])
        k = int(np.argmin(b))
        assert 0 < k < len(ms) - 1
        assert np.all(np.diff(b[: k + 1]) < 0) and np.all(np.diff(b[k:]) > 0)
        assert b[-1] < 1.0 / n * 1.01
    lim = [pooled.fresh_limit(real=n, synthetic=int(m), ddof=1)["mean_sq"] for m in ms[1:]]
    assert np.all(np.diff(lim) < 0)


def test_closed_form_approximation_close_to_recursion():
    n = 30
    for i in (1, 2, 5):
        for m in (5, 30, 120):
            exact = mixed.mean_sq(n=n, m=m, i=i, ddof=1)
            assert abs(mixed.mean_sq_closed_form(n=n, m=m, i=i, kappa=1.0) - exact) < 0.05 * exact
