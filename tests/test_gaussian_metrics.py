"""Closed-form reference values and properties of the exact Gaussian metrics."""
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import lab  # noqa: F401  (enables float64)
from lab.metrics import gaussian_formulas as F

loc = st.floats(-5, 5)
scale = st.floats(0.05, 5)


def g1(m, s):
    return jnp.array([m]), jnp.array([[s**2]])


def rand_cov(seed, d):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return jnp.asarray(a @ a.T + 0.1 * np.eye(d))


def test_reference_values():
    assert float(jnp.sqrt(F.w2_sq(*g1(0, 1), *g1(10, 1)))) == pytest.approx(10.0)
    assert float(F.kl(*g1(0, 1), *g1(1, 1))) == pytest.approx(0.5)
    assert float(F.kl(*g1(0, 1), *g1(0, 2))) == pytest.approx(np.log(2) + 1 / 8 - 0.5)
    assert float(F.tv_1d(0.0, 1.0, 1.0, 1.0)) == pytest.approx(2 * stats.norm.cdf(0.5) - 1)
    S = jnp.diag(jnp.array([1.0, 4.0]))
    assert float(F.w2_sq(jnp.zeros(2), S, jnp.zeros(2), jnp.eye(2))) == pytest.approx(1.0)


@given(loc, scale, loc, scale)
def test_tv_1d_matches_quadrature(m1, s1, m2, s2):
    f = lambda x: 0.5 * abs(stats.norm.pdf(x, m1, s1) - stats.norm.pdf(x, m2, s2))  # noqa: E731
    pts = sorted({m1, m2, m1 - 3 * s1, m2 - 3 * s2, m1 + 3 * s1, m2 + 3 * s2})
    num = sum(integrate.quad(f, a, b, limit=200)[0] for a, b in zip([-np.inf] + pts, pts + [np.inf]))
    assert float(F.tv_1d(m1, s1, m2, s2)) == pytest.approx(num, abs=1e-6)


@given(loc, scale, loc, scale)
def test_tv_properties_and_bounds_1d(m1, s1, m2, s2):
    tv = float(F.tv_1d(m1, s1, m2, s2))
    assert 0 <= tv <= 1
    assert tv == pytest.approx(float(F.tv_1d(m2, s2, m1, s1)), abs=1e-12)
    assert float(F.tv_1d(m1, s1, m1, s1)) == 0.0
    lo, hi = F.tv_bounds(*g1(m1, s1), *g1(m2, s2))
    assert float(lo) - 1e-12 <= tv <= float(hi) + 1e-12


@given(st.integers(0, 10_000), st.integers(1, 4), st.floats(-3, 3))
def test_w2_kl_properties(seed, d, shift):
    S1, S2, S3 = rand_cov(seed, d), rand_cov(seed + 1, d), rand_cov(seed + 2, d)
    m1, m2, m3 = jnp.zeros(d), jnp.full(d, shift), jnp.full(d, -shift / 2)
    w = lambda a, A, b, B: float(jnp.sqrt(F.w2_sq(a, A, b, B)))  # noqa: E731
    assert w(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-6)
    assert w(m1, S1, m2, S2) == pytest.approx(w(m2, S2, m1, S1), rel=1e-6, abs=1e-9)
    assert w(m1, S1, m3, S3) <= w(m1, S1, m2, S2) + w(m2, S2, m3, S3) + 1e-7
    assert float(F.kl(m1, S1, m2, S2)) >= 0 and float(F.kl(m1, S1, m1, S1)) == 0.0
    lo, hi = F.tv_bounds(m1, S1, m2, S2)
    assert 0 <= float(lo) <= float(hi) <= 1


@given(loc, loc, scale)
def test_equal_cov_tv_matches_1d(m1, m2, s):
    assert float(F.tv_equal_cov(jnp.array([m1]), jnp.array([m2]), jnp.array([[s**2]]))) == pytest.approx(
        float(F.tv_1d(m1, s, m2, s)), abs=1e-12)


def test_degenerate_values_are_finite_or_documented():
    m, S0 = jnp.zeros(2), jnp.zeros((2, 2))
    assert float(F.w2_sq(m, S0, m, jnp.eye(2))) == pytest.approx(2.0)
    assert np.isposinf(float(F.kl(m, jnp.eye(2), m, S0))) and np.isposinf(float(F.kl(m, S0, m, jnp.eye(2))))
    assert float(F.tv_bounds(m, S0, m, jnp.eye(2))[0]) == 1.0
    assert float(F.tv_1d(0.0, 0.0, 0.0, 1.0)) == 1.0 and float(F.tv_1d(0.0, 0.0, 0.0, 0.0)) == 0.0


def test_monte_carlo_tv_in_2d_within_its_error():
    import jax

    truth = lab.Gaussian([0.0, 0.0], [[1.0, 0.2], [0.2, 1.0]])
    params = lab.GaussianParams(jnp.array([0.5, 0.0]), jnp.array([[1.5, 0.0], [0.0, 0.7]]))
    est = float(lab.metrics.TV(samples=200_000)(truth, None, params, key=jax.random.key(1)))
    lo, hi = F.tv_bounds(params.mean, params.cov, jnp.asarray(truth.mean), jnp.asarray(truth.cov))
    assert float(lo) <= est <= float(hi)
    ref = float(lab.metrics.TV(samples=200_000)(truth, None, params, key=jax.random.key(2)))
    assert abs(est - ref) < 5 * np.sqrt(2) * 0.5 / np.sqrt(200_000)


@given(st.integers(0, 10_000), st.integers(2, 3))
def test_devroye_same_mean_bounds_bracket_monte_carlo_tv(seed, d):
    """Devroye et al. 2018 Thm 1.1 against the Monte Carlo TV (tolerance 5 standard errors, ≤ 0.5/√samples each).
    Power: not a relative one — the theorem brackets TV within a constant factor (hi/lo = 150), so the check can
    catch a bracket violated by more than 5·0.5/√20 000 ≈ 0.018 in absolute TV, not a 3 % error in a closed form."""
    import jax

    S1, S2 = rand_cov(seed, d), rand_cov(seed + 7, d)
    truth = lab.Gaussian(np.zeros(d), np.asarray(S1))
    samples = 20_000
    params = lab.GaussianParams(jnp.zeros(d), S2)
    tv = float(lab.metrics.TV(samples=samples)(truth, None, params, key=jax.random.key(seed)))
    lo, hi = F.tv_devroye_same_mean(S1, S2)
    tol = 5 * 0.5 / np.sqrt(samples)
    assert float(lo) - tol <= tv <= float(hi) + tol
