"""lab.theory.mixed_fixed: the Gaussian refit on one fixed real set plus synthetic data (``lab.Augment``), F1's setting.

Confidence: a simulated mean is compared with the theory at Z = 5 standard errors (sample standard deviation / √R); a
correct formula fails one comparison with probability < 6·10⁻⁷ (normal approximation). Power: the smallest relative
error a comparison detects (half the time) is Z·SE/value; the moment test asserts it is ≤ 3 % for every statistic and
generation (R set from the statistics' own spread: ‖μ_i‖² is χ²-like, coefficient of variation ≈ √(2/d)). Fixed keys.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab
from _power import TARGET, detectable_relative_error, se_mean
from lab.theory import mixed_cov, pooled
from lab.theory import mixed_fixed as mf

Z = 5.0


def _stats(ds):
    mu, S = ds["mean"].values, ds["cov"].values
    return {"trS": np.einsum("rgii->rg", S), "dd": np.sum(mu**2, axis=-1), "trS2": np.einsum("rgij,rgji->rg", S, S)}


def test_mean_recursion_by_hand():
    """B_1 = (m/N)²·λ a_0/m and B_2 = (m/N)²(B_1 + λ a_1/m), a_t from lab.theory.pooled (Augment)."""
    n, m, lam, ddof = 7, 5, 0.8, 0
    a = pooled.moments(lab.Augment(synthetic=m), n=n, generations=2, ddof=ddof, sampling_bias=lam)["cov"]
    r = (m / (n + m)) ** 2
    B1 = r * lam * a[0] / m
    assert np.isclose(mf.excess_mean_sq(n=n, m=m, i=1, ddof=ddof, sampling_bias=lam), B1, rtol=1e-14)
    assert np.isclose(mf.excess_mean_sq(n=n, m=m, i=2, ddof=ddof, sampling_bias=lam), r * (B1 + lam * a[1] / m),
                      rtol=1e-14)


def test_first_moments_match_pooled_and_generation_zero():
    for n, m, d, ddof, lam in ((20, 20, 1, 1, 1.0), (7, 13, 3, 0, 0.8), (5, 1, 2, 0, 0.6)):
        mo = mf.moments(n=n, m=m, generations=6, d=d, ddof=ddof, sampling_bias=lam)
        po = pooled.moments(lab.Augment(synthetic=m), n=n, generations=6, ddof=ddof, sampling_bias=lam)
        np.testing.assert_allclose(mo["trS"], d * po["cov"], rtol=1e-12)
        np.testing.assert_allclose(mo["dd"], d * po["mean_sq"], rtol=1e-12)
        fresh0 = mixed_cov.moments(n=n, m=m, generations=0, d=d, ddof=ddof)  # generation 0 is the same fit
        for k in ("trS", "dd", "trS2"):
            assert np.isclose(mo[k][0], fresh0[k][0], rtol=1e-12)
    mo = mf.moments(n=9, m=0, generations=4, d=2, ddof=1)  # m = 0: the real-only fit at every generation
    for k in mo:
        np.testing.assert_allclose(mo[k], mo[k][0], rtol=1e-12)


@pytest.mark.parametrize("n,m,d,ddof,lam,R", [(20, 20, 1, 1, 1.0, 60000), (10, 30, 2, 0, 0.8, 32000)],
                         ids=["d1-detects3pct", "d2-detects3pct"])
def test_moment_recursion_matches_augment_simulation(n, m, d, ddof, lam, R):
    ds = lab.simulate(lab.Gaussian(np.zeros(d), np.eye(d)), lab.GaussianFit(ddof=ddof, sampling_bias=lam),
                      lab.Augment(synthetic=m), n=n, generations=3, replicates=R, key=950 + n + m + d, metrics=[])
    mo = mf.moments(n=n, m=m, generations=3, d=d, ddof=ddof, sampling_bias=lam)
    for k, x in _stats(ds).items():
        se = x.std(0, ddof=1) / np.sqrt(R)
        assert np.all(Z * se / mo[k] <= 0.03), (k, Z * se / mo[k])  # power, as stated in the module docstring
        assert np.all(np.abs(x.mean(0) - mo[k]) < Z * se), (k, (x.mean(0) - mo[k]) / se)


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(n=st.integers(5, 40), m=st.integers(1, 120), i=st.integers(1, 5), ddof=st.sampled_from([0, 1]),
       lam=st.sampled_from([0.8, 1.0]))
def test_full_tv_bound_holds_in_simulation(n, m, i, ddof, lam):
    """The FULL E[TV(N(μ_i, σ_i²), N(0, 1))] (exact 1-D TV) under Augment stays under the bound (one-sided, 5 SE).
    Power: R = 2 000 makes δ_min = 5·SE/U_i ≤ 3 % (asserted), as in test_mixed_cov_theory's Fresh version."""
    R = 2000
    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof, sampling_bias=lam),
                      lab.Augment(synthetic=m), n=n, generations=i, replicates=R, key=9000 + 100 * n + m + i,
                      metrics=[lab.metrics.TV()])
    tv = ds["tv"].values[:, i]
    bound = mf.tv_bound(n=n, m=m, i=i, ddof=ddof, sampling_bias=lam)
    assert detectable_relative_error(se_mean(tv), bound) <= TARGET
    assert tv.mean() <= bound + Z * se_mean(tv)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(2, 60), m=st.integers(1, 400), i=st.integers(1, 12), ddof=st.sampled_from([0, 1]),
       lam=st.floats(0.3, 1.0))
def test_excess_vanishes_at_both_ends(n, m, i, ddof, lam):
    """Unrolled, B_i = Σ_{k=1..i} r^k A_{i−k}/m with r = (m/N)², so with A_max = λ max_{t<i} a_t:
    0 < B_i ≤ A_max·min(i/m, m/(n(n + 2m))) — the excess vanishes as m → ∞ and as m → 0."""
    a = pooled.moments(lab.Augment(synthetic=m), n=n, generations=i, ddof=ddof, sampling_bias=lam)["cov"]
    A_max = lam * a[:i].max()
    B = mf.excess_mean_sq(n=n, m=m, i=i, ddof=ddof, sampling_bias=lam)
    assert 0 < B <= A_max * min(i / m, m / (n * (n + 2 * m))) * (1 + 1e-12)


def test_rise_then_fall_and_threshold():
    """The bound and B_i rise then fall in m; m† of B_i sits within 3 % (+1) of the closed-form root; i = 1 gives n."""
    n = 20
    assert mf.threshold_m(n=n, i=1, ddof=1, of="mean") == n
    for i in (2, 3, 5):
        mt = mf.threshold_m(n=n, i=i, ddof=1, of="mean")
        assert abs(mt - mf.threshold_m_formula(n=n, i=i)) <= 0.03 * mt + 1
        u = [mf.tv_bound(n=n, m=m, i=i, ddof=1) for m in (0, mf.threshold_m(n=n, i=i, ddof=1), 200 * n)]
        assert u[1] > u[0] and u[1] > u[2]


@pytest.mark.parametrize("kw,name", [(dict(n=1), "n"), (dict(m=-1), "m"), (dict(d=0), "d"), (dict(ddof=2), "ddof"),
                                     (dict(sampling_bias=0.0), "sampling_bias"), (dict(generations=-1), "generations")])
def test_bad_input_names_parameter(kw, name):
    args = dict(n=10, m=5, generations=3, d=1, ddof=0, sampling_bias=1.0) | kw
    with pytest.raises(ValueError, match=name):
        mf.moments(**args)
    with pytest.raises(ValueError, match="of"):
        mf.threshold_m(n=10, i=2, of="peak")
