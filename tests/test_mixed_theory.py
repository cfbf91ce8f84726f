"""lab.theory.mixed: the Gaussian-family bound under mixed training (Fresh: n fresh real + m synthetic per generation).

Confidence: the rigorous bound B_i on the mean part of the TV is compared with the simulated mean over R replicates,
allowing 5 standard errors (sample standard deviation / √R): a true bound fails this check with probability < 3·10⁻⁷
per comparison under the normal approximation of the replicate mean. Fixed keys make the draws reproducible.

Power (tests/_power.py): the one-sided bound check detects a bound that understates E[TV_mean] by δ_min = 5·SE/B_i
(asserted ≤ 3 % at R = 12 000: the 2-D test and the slow variant of the hypothesis test; the fast
hypothesis test keeps R = 2 000). The bound is loose by ≈ √(π/2) (module docstring of lab.theory.mixed), so a 3 % error
in B_i itself could never show in a one-sided check: what the bound rests on, the exact E[Δ_i²] = d·b_i, is tested at
3 % in ``test_mahalanobis_moment_detects_3pct`` (d = 8: ‖δ‖²'s coefficient of variation falls like √(2/d), so R is
small); in 1-D (hypothesis test) its δ_min = 5·√(E Δ⁴ − (E Δ²)²)/(√R·E Δ²), exact from lab.theory.mixed_cov, is
≈ 7 %, asserted ≤ 10 %. The closed-form approximation test is deterministic: its tolerance is the derived bound on
freezing λ_s a_t at κ (see the test).
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import lab
from _power import TARGET, detectable_relative_error, replicates_for, se_mean
from lab.theory import mixed
from lab.theory import mixed_cov
from lab.theory import pooled

Z, R, R_FAST = 5.0, 12000, 2000
TRUTH1 = lab.Gaussian([0.0], [[1.0]])


def _check_mean_part(n, m, i, ddof, lam, reps, power):
    """The bound, and the exact E Δ² it rests on, against ``reps`` replicates; ``power``: also assert δ_min ≤ 3 %
    (bound check) and ≤ 10 % (E Δ² check) at this R."""
    mo = mixed_cov.moments(n=n, m=m, generations=i, d=1, ddof=ddof, sampling_bias=lam)  # exact E Δ², E Δ⁴
    if power:
        assert detectable_relative_error(np.sqrt((mo["dd_sq"][i] - mo["dd"][i] ** 2) / reps), mo["dd"][i]) <= 0.10
    ds = lab.simulate(TRUTH1, lab.GaussianFit(ddof=ddof, sampling_bias=lam), lab.Fresh(real=n, synthetic=m), n=n,
                      generations=i, replicates=reps, key=7000 + 100 * n + m + i, metrics=[])
    delta = np.abs(ds["mean"].values[:, i, 0])                  # Mahalanobis distance, Σ = 1
    tv_mean = 2.0 * norm.cdf(delta / 2.0) - 1.0                 # exact TV(N(0,1), N(μ_i,1))
    bound = mixed.tv_mean_bound(n=n, m=m, i=i, d=1, ddof=ddof, sampling_bias=lam)
    if power:
        assert detectable_relative_error(se_mean(tv_mean), bound) <= TARGET
    assert tv_mean.mean() <= bound + Z * se_mean(tv_mean)
    d2 = delta**2  # the exact moment the bound rests on
    assert abs(d2.mean() - mixed.mahalanobis_sq_mean(n=n, m=m, i=i, ddof=ddof, sampling_bias=lam)) \
        < Z * d2.std(ddof=1) / np.sqrt(reps)


_GIVEN = dict(n=st.integers(5, 40), m=st.integers(0, 80), i=st.integers(1, 5), ddof=st.sampled_from([0, 1]),
              lam=st.sampled_from([0.8, 1.0]))
_SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
                 phases=[Phase.explicit, Phase.generate])  # no shrinking: a failing example is reported as drawn


@settings(max_examples=6, **_SETTINGS)
@given(**_GIVEN)
def test_mean_part_tv_bound_holds_in_simulation(n, m, i, ddof, lam):
    """Fast: R = 2,000, whose δ_min (the same formula) is several times the 3 % target; the slow variant below has
    the power the audit asks for and asserts it."""
    _check_mean_part(n, m, i, ddof, lam, R_FAST, power=False)


@pytest.mark.slow
@settings(max_examples=6, **_SETTINGS)
@given(**_GIVEN)
def test_mean_part_tv_bound_holds_in_simulation_full_power(n, m, i, ddof, lam):
    _check_mean_part(n, m, i, ddof, lam, R, power=True)


def test_bound_in_d_dimensions():
    truth = lab.Gaussian([0.0, 1.0], [[1.0, 0.4], [0.4, 0.6]])
    n, m, i = 15, 30, 3
    ds = lab.simulate(truth, lab.GaussianFit(ddof=1), lab.Fresh(real=n, synthetic=m), n=n, generations=i,
                      replicates=R, key=7100, metrics=[])
    dm = ds["mean"].values[:, i] - truth.mean
    d2 = np.einsum("ri,ij,rj->r", dm, np.linalg.inv(truth.cov), dm)
    tv_mean = 2.0 * norm.cdf(np.sqrt(d2) / 2.0) - 1.0
    bound = mixed.tv_mean_bound(n=n, m=m, i=i, d=2, ddof=1)
    assert detectable_relative_error(se_mean(tv_mean), bound) <= TARGET
    assert tv_mean.mean() <= bound + Z * se_mean(tv_mean)


def test_mahalanobis_moment_detects_3pct():
    """E‖δ_i‖² = d·b_i (exact) at every generation, d = 8, R sized from the exact coefficient of variation so that
    δ_min = 5·SE/(d b_i) ≤ 3 %, SE from the same exact variance E‖δ‖⁴ − (E‖δ‖²)² (lab.theory.mixed_cov)."""
    n, m, d, G, lam = 20, 40, 8, 5, 0.9
    mo = mixed_cov.moments(n=n, m=m, generations=G, d=d, ddof=1, sampling_bias=lam)
    sd = np.sqrt(mo["dd_sq"] - mo["dd"] ** 2)
    R8 = replicates_for(sd / mo["dd"])
    se = sd / np.sqrt(R8)
    assert detectable_relative_error(se, mo["dd"]) <= TARGET
    ds = lab.simulate(lab.Gaussian(np.zeros(d), np.eye(d)), lab.GaussianFit(ddof=1, sampling_bias=lam),
                      lab.Fresh(real=n, synthetic=m), n=n, generations=G, replicates=R8, key=7200, metrics=[])
    dd = np.sum(ds["mean"].values ** 2, axis=-1)
    b = np.array([mixed.mahalanobis_sq_mean(n=n, m=m, i=i, d=d, ddof=1, sampling_bias=lam) for i in range(G + 1)])
    np.testing.assert_allclose(b, mo["dd"], rtol=1e-12)
    assert np.all(np.abs(dd.mean(0) - b) < Z * se), (dd.mean(0) - b) / se


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
    """Deterministic (no sampling): exact b_i = ρ b_{i−1} + (n + m λ_s a_{i−1})/(n+m)², the closed form the same with
    λ_s a_t frozen at κ, both 1/n at i = 0; so their difference e_i = ρ e_{i−1} + m(λ_s a_{i−1} − κ)/(n+m)² obeys
    |e_i| ≤ max_{t<i}|λ_s a_t − κ|·m/(n+m)²·(1 − ρ^i)/(1 − ρ), ρ = (m/(n+m))². That bound is the tolerance (it
    replaces a fixed 5 %), and it is small (≤ 0.4 % of b_i here) because a_t ≈ 1 at n = 30."""
    n = 30
    for i in (1, 2, 5):
        for m in (5, 30, 120):
            exact = mixed.mean_sq(n=n, m=m, i=i, ddof=1)
            a = pooled.moments(lab.Fresh(real=n, synthetic=m), n=n, generations=i, ddof=1)["cov"]
            rho = (m / (n + m)) ** 2
            tol = np.max(np.abs(a[:i] - 1.0)) * m / (n + m) ** 2 * (1 - rho**i) / (1 - rho)
            assert abs(mixed.mean_sq_closed_form(n=n, m=m, i=i, kappa=1.0) - exact) <= tol * (1 + 1e-9) + 1e-15
