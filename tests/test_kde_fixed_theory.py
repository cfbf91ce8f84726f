"""lab.theory.kde_fixed (the KDE sandwich on one fixed real set, ``lab.Augment``) against lab.simulate with lab.KDE.

Tolerances: 5 standard errors (of the replicate mean; of the sample variance: std((Z − Z̄)²)/√R), one-sided for the
bound. Power (tests/_power.py): a comparison detects (half the time) a relative error δ_min = 5·SE/|theory|, asserted
from the run's own SEs for the mean and the variance at every point and generation. A sample variance's SE is large
(kurtosis): the fast test (R = 4 000) asserts δ_min ≤ 15 %, and 3 % needs ≈ 100 000 replicates (the tail point
x = −2 needs the most), so the ``slow``-marked variant runs 120 000 (the margin absorbs the noise of a sample
variance's own SE). The fast test still separates the
fixed-set formula from the fresh-data one (``kde_mixed.pointwise_variance``), whose value lies > 10 SE away at every
generation ≥ 1. The TV sandwich detects a bound B_i that understates E[TV] by 5·SE/B_i: ≤ 20 % at R = 200 (asserted),
≤ 3 % in its slow variant (R = 6 000). Fixed keys.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lab
from lab.metrics.samples import DensityAt, TVMonteCarlo
from _power import TARGET, Z, detectable_relative_error, se_mean, se_var
from lab.theory import kde_fixed as kf
from lab.theory import kde_mixed as km

TRUTH = lab.Gaussian([0.0], [[1.0]])
XS = (-2.0, -0.5, 0.0, 1.0)


def _model(rule, h):
    return lab.KDE(h) if rule == "fixed" else lab.KDE("scott", scale=1.0)


def _check_pointwise(rule, h, n, m, R, key, power):
    G = 3
    ds = lab.simulate(TRUTH, _model(rule, h), lab.Augment(synthetic=m), n=n, generations=G, replicates=R, key=key,
                      metrics=[DensityAt(x) for x in XS])
    for i in range(G + 1):
        hs = km.bandwidths(n=n, m=m, i=i, h=h, rule=rule)
        w, v = km.mean_mixture(n=n, m=m, hs=hs)  # the mean is the fresh loop's (module docstring (1))
        q = np.sum(w[:, None] * np.exp(-0.5 * np.asarray(XS) ** 2 / v[:, None]) / np.sqrt(2 * np.pi * v[:, None]), 0)
        V = kf.pointwise_variance(np.asarray(XS), n=n, m=m, hs=hs)
        V_fresh = km.pointwise_variance(np.asarray(XS), n=n, m=m, hs=hs)
        for k, x in enumerate(XS):
            z = ds[f"p_at_{x}"].values[:, i]
            se_m, se_v = se_mean(z), se_var(z)
            assert detectable_relative_error(se_m, q[k]) <= power, (i, x, Z * se_m / q[k])
            assert detectable_relative_error(se_v, V[k]) <= power, (i, x, Z * se_v / V[k])
            assert abs(z.mean() - q[k]) < Z * se_m, (i, x, z.mean(), q[k])
            assert abs(z.var(ddof=1) - V[k]) < Z * se_v, (i, x, z.var(ddof=1), V[k])
            if i >= 1:
                assert abs(z.var(ddof=1) - V_fresh[k]) > Z * se_v  # the fresh-data formula is rejected


@pytest.mark.parametrize("rule,h,n,m,key", [("fixed", 0.4, 10, 30, 3), ("scott", None, 15, 60, 4)],
                         ids=["fixed-h-detects15pct", "oracle-detects15pct"])
def test_pointwise_mean_and_variance_exact(rule, h, n, m, key):
    _check_pointwise(rule, h, n, m, 4000, key, power=0.15)


@pytest.mark.slow
@pytest.mark.parametrize("rule,h,n,m,key", [("fixed", 0.4, 10, 30, 5), ("scott", None, 15, 60, 6)],
                         ids=["fixed-h-detects3pct", "oracle-detects3pct"])
def test_pointwise_variance_exact_full_power(rule, h, n, m, key):
    _check_pointwise(rule, h, n, m, 120_000, key, power=TARGET)


def _check_tv(n, m, rule, h, R, power, key):
    G = 3
    ds = lab.simulate(TRUTH, _model(rule, h), lab.Augment(synthetic=m), n=n, generations=G, replicates=R, key=key,
                      metrics=[TVMonteCarlo(samples=256)])
    tv = ds["tv_mc"].values
    for i in range(G + 1):
        b = kf.tv_bounds(n=n, m=m, hs=km.bandwidths(n=n, m=m, i=i, h=h, rule=rule), points=1601)
        mean, se = tv[:, i].mean(), se_mean(tv[:, i])
        assert detectable_relative_error(se, b["bound"]) <= power, (i, se, b)
        assert b["lower"] - Z * se <= mean <= b["bound"] + Z * se, (i, mean, b)


_TV_GIVEN = dict(n=st.sampled_from([10, 25]), m=st.sampled_from([1, 8, 40, 150]),
                 rule=st.sampled_from(["fixed", "scott"]), h=st.sampled_from([0.25, 0.6, 1.2]))


@settings(max_examples=3, deadline=None, derandomize=True)
@given(**_TV_GIVEN)
def test_tv_sandwich_holds_in_simulation(n, m, rule, h):
    """lower − 5 SE ≤ simulated E[TV(p_i, p*)] ≤ B_i + 5 SE at every generation i = 0…3 under Augment (Monte Carlo TV,
    unbiased; its noise is inside the replicate spread). R = 200: δ_min = 5·SE/B_i ≤ 20 % (asserted)."""
    _check_tv(n, m, rule, h, 200, power=0.20, key=27 + n + m)


@pytest.mark.slow
@settings(max_examples=3, deadline=None, derandomize=True)
@given(**_TV_GIVEN)
def test_tv_sandwich_holds_in_simulation_full_power(n, m, rule, h):
    """R = 6 000: δ_min = 5·SE/B_i ≤ 3 % (asserted) at every generation; fresh keys."""
    _check_tv(n, m, rule, h, 6000, power=TARGET, key=1027 + n + m)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(1, 100), m=st.integers(0, 1000), i=st.integers(0, 5), h=st.floats(0.05, 3.0))
def test_sandwich_order_and_fixed_set_adds_variance(n, m, i, h):
    """lower ≤ bound ≤ split; the pointwise variance is non-negative and, at generation 0 or with m = 0, equals the
    real-only KDE's (bandwidth h_i)."""
    hs = km.bandwidths(n=n, m=m, i=i, h=h)
    b = kf.tv_bounds(n=n, m=m, hs=hs, points=801)
    assert 0.0 <= b["lower"] <= b["bound"] <= b["split"] + 1e-12
    x = np.linspace(-4, 4, 9)
    V = kf.pointwise_variance(x, n=n, m=m, hs=hs)
    assert np.all(V >= -1e-15)
    if i == 0 or m == 0:
        np.testing.assert_allclose(V, km.pointwise_variance(x, n=n, m=0, hs=hs[-1:]), rtol=1e-10, atol=1e-15)


def test_shapes_in_m():
    """Oracle rule: the fixed-set bound rises then falls (peak above both m = 0 and m = 1000 n); fixed h: it rises and
    stays up (m = 100 n above the peak's neighbourhood at m = 2n)."""
    n, i = 20, 5
    mt = kf.threshold_m(n=n, i=i, points=801)
    assert 0 < mt < 20 * n
    peak = kf.tv_bound(n=n, m=mt, i=i, rule="scott")
    assert peak > kf.tv_bound(n=n, m=0, i=i, rule="scott") + 0.02
    assert peak > kf.tv_bound(n=n, m=1000 * n, i=i, rule="scott") + 0.02
    assert kf.tv_bound(n=n, m=100 * n, i=i, h=0.5) > kf.tv_bound(n=n, m=2 * n, i=i, h=0.5)


@pytest.mark.parametrize("kw,name", [(dict(n=0, m=1, i=1, h=0.5), "n"), (dict(n=5, m=-1, i=1, h=0.5), "m"),
                                     (dict(n=5, m=1, i=1, h=-0.5), "h"), (dict(n=5, m=1, i=1, rule="wide"), "rule")])
def test_bad_input(kw, name):
    with pytest.raises(ValueError, match=name):
        kf.tv_bound(**kw)
