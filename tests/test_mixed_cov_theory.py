"""lab.theory.mixed_cov: exact second moments of the Gaussian refit under Fresh(n, m) and the full TV bound.

Confidence: every simulated mean is compared with the theory allowing Z = 5 standard errors (sample standard deviation
of the replicates / √R): a correct formula fails one comparison with probability < 6·10⁻⁷ under the normal approximation
of the replicate mean (fourth moments have heavy tails at small n, so R is kept ≥ 4000 there). Fixed keys make the draws
reproducible; tolerances come from the simulation's own variance, never tuned.

Power (tests/_power.py): a comparison detects a relative error δ of the closed form once |δ·theory| ≥ 5·SE, so
δ_min = 5·sd(X)/(√R·|E X|) — for the first moments sd(X) is itself exact here, sd(tr S)² = E[(tr S)²] − (E tr S)² and
sd(‖δ‖²)² = E[‖δ‖⁴] − (E‖δ‖²)² (``test_first_moment_power_from_theory``). The fast moment test detects ≤ 3.6 % in E tr S
(3 % except n = 3) and ≤ 9 % in E‖δ‖²; the fourth-moment statistics (‖δ‖⁴ has coefficient of variation ≈ 3–4 at d = 1) only ≈ 10–20 %.
3 % for every statistic needs R ≈ 10⁵–5·10⁵ (≈ 1 min per setting on 2 cores): the ``slow``-marked variant runs that,
with R = (5·1.15·CV/0.03)² from the fast run's own CV bound (15 % margin: a heavy-tailed sample sd
fluctuates). The one-sided TV-bound tests detect a bound that understates
E[TV] by 5·SE/U_i (asserted ≤ 3 %); the bound's looseness (U_i ≈ 2–3 × E[TV]) is not a sampling question.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab
from _power import TARGET, detectable_relative_error, replicates_for, se_mean
from lab import registry
from lab.theory import mixed_cov as mc
from lab.theory import pooled

Z = 5.0


def _stats(ds):
    """Per-replicate statistics (replicate, generation) named as mc.STATS, truth N(0, I)."""
    mu, S = ds["mean"].values, ds["cov"].values
    trS = np.einsum("rgii->rg", S)
    dd = np.sum(mu**2, axis=-1)
    return {"trS": trS, "dd": dd, "trS2": np.einsum("rgij,rgji->rg", S, S), "trS_sq": trS**2,
            "dSd": np.einsum("rgi,rgij,rgj->rg", mu, S, mu), "dd_trS": dd * trS, "dd_sq": dd**2}


def test_generation_zero_closed_forms_1d():
    """d = 1, ddof = 0: σ₀² = χ²_{n−1}/n independent of δ₀ ~ N(0, 1/n)."""
    n = 9
    mo = mc.moments(n=n, m=4, generations=0, d=1, ddof=0)
    assert np.isclose(mo["trS"][0], (n - 1) / n)
    assert np.isclose(mo["trS2"][0], (n - 1) * (n + 1) / n**2)
    assert np.isclose(mo["dd"][0], 1 / n)
    assert np.isclose(mo["dd_sq"][0], 3 / n**2)
    assert np.isclose(mo["dd_trS"][0], (n - 1) / n**2)


def test_first_moments_match_pooled():
    for n, m, d, ddof, lam in ((20, 20, 1, 1, 1.0), (7, 13, 3, 0, 0.8), (10, 0, 2, 1, 1.0), (5, 1, 2, 0, 0.6)):
        mo = mc.moments(n=n, m=m, generations=6, d=d, ddof=ddof, sampling_bias=lam)
        po = pooled.moments(lab.Fresh(real=n, synthetic=m), n=n, generations=6, ddof=ddof, sampling_bias=lam)
        np.testing.assert_allclose(mo["trS"], d * po["cov"], rtol=1e-12)
        np.testing.assert_allclose(mo["dd"], d * po["mean_sq"], rtol=1e-12)


def test_no_synthetic_data_repeats_generation_zero():
    mo = mc.moments(n=12, m=0, generations=4, d=2, ddof=1)
    for k in mc.STATS:
        np.testing.assert_allclose(mo[k], mo[k][0], rtol=1e-12)


def test_one_dimensional_identities():
    """In 1-D tr S² = (tr S)² and δᵀSδ = ‖δ‖² tr S, so the recursion must keep them equal."""
    mo = mc.moments(n=6, m=9, generations=5, d=1, ddof=1, sampling_bias=0.9)
    np.testing.assert_allclose(mo["trS2"], mo["trS_sq"], rtol=1e-12)
    np.testing.assert_allclose(mo["dSd"], mo["dd_trS"], rtol=1e-12)


MOMENT_SETTINGS = [(4, 2, 2, 1, 0.7), (3, 6, 1, 0, 1.0), (20, 20, 1, 1, 1.0), (6, 30, 3, 0, 0.9)]
# fast replicates, and the δ_min the fast run reaches per setting (largest over statistics and generations; the
# fourth-moment statistics ‖δ‖⁴, δᵀSδ set it)
FAST = {(4, 2, 2, 1, 0.7): (20000, 0.10), (3, 6, 1, 0, 1.0): (20000, 0.15), (20, 20, 1, 1, 1.0): (8000, 0.19),
        (6, 30, 3, 0, 0.9): (8000, 0.12)}
# coefficient of variation bound per setting (max over statistics/generations, from the fast run: δ_fast·√R_fast/5),
# which sizes the slow variant's R = (5·CV/0.03)²
CV = {s: FAST[s][1] * np.sqrt(FAST[s][0]) / Z for s in MOMENT_SETTINGS}


def _check_moments(n, m, d, ddof, lam, R, power, key):
    ds = lab.simulate(lab.Gaussian(np.zeros(d), np.eye(d)), lab.GaussianFit(ddof=ddof, sampling_bias=lam),
                      lab.Fresh(real=n, synthetic=m), n=n, generations=3, replicates=R, key=key, metrics=[])
    mo = mc.moments(n=n, m=m, generations=3, d=d, ddof=ddof, sampling_bias=lam)
    for k, x in _stats(ds).items():
        se = se_mean(x)
        delta = detectable_relative_error(se, mo[k])
        assert delta <= power, (k, delta)  # the power stated in the module docstring
        z = (x.mean(0) - mo[k]) / se
        assert np.all(np.abs(z) < Z), (k, z)


@pytest.mark.parametrize("n,m,d,ddof,lam", MOMENT_SETTINGS)
def test_moment_recursion_matches_simulation(n, m, d, ddof, lam):
    R, power = FAST[(n, m, d, ddof, lam)]
    _check_moments(n, m, d, ddof, lam, R, power, key=900 + n + m + d)


@pytest.mark.slow
@pytest.mark.parametrize("n,m,d,ddof,lam", MOMENT_SETTINGS, ids=lambda v: str(v))
def test_moment_recursion_full_power(n, m, d, ddof, lam):
    """Every statistic at δ_min ≤ 3 %: R = (5·1.15·CV/0.03)² (≈ 1.7·10⁵–6·10⁵), fresh keys."""
    s = (n, m, d, ddof, lam)
    _check_moments(n, m, d, ddof, lam, replicates_for(1.15 * CV[s]), TARGET, key=1900 + n + m + d)


def test_first_moment_power_from_theory():
    """δ_min of E tr S and E‖δ‖² from the EXACT second moments (no simulation): at the fast R, ≤ 3.6 % for tr S (the
    n = 3 setting; ≤ 2.1 % elsewhere) and ≤ 9 % for ‖δ‖²; the slow R brings both to ≤ 3 %."""
    for s in MOMENT_SETTINGS:
        n, m, d, ddof, lam = s
        mo = mc.moments(n=n, m=m, generations=3, d=d, ddof=ddof, sampling_bias=lam)
        for R, cap_trS, cap_dd in ((FAST[s][0], 0.036, 0.09), (replicates_for(1.15 * CV[s]), TARGET, TARGET)):
            sd_trS = np.sqrt(mo["trS_sq"] - mo["trS"] ** 2)
            sd_dd = np.sqrt(mo["dd_sq"] - mo["dd"] ** 2)
            assert detectable_relative_error(sd_trS / np.sqrt(R), mo["trS"]) <= cap_trS, s
            assert detectable_relative_error(sd_dd / np.sqrt(R), mo["dd"]) <= cap_dd, s


@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(n=st.integers(5, 40), m=st.integers(0, 80), i=st.integers(1, 5), ddof=st.sampled_from([0, 1]),
       lam=st.sampled_from([0.8, 1.0]))
def test_full_tv_bound_holds_in_simulation(n, m, i, ddof, lam):
    """The FULL E[TV(N(μ_i, σ_i²), N(0, 1))] (exact 1-D TV per replicate) stays under the bound U_i; R = 2000 makes
    5·SE/U_i ≤ 3 % (at R = 1500 it was 2.8–3.1 %)."""
    R = 2000
    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof, sampling_bias=lam),
                      lab.Fresh(real=n, synthetic=m), n=n, generations=i, replicates=R,
                      key=8000 + 100 * n + m + i, metrics=[lab.metrics.TV()])
    tv = ds["tv"].values[:, i]
    bound = mc.tv_bound(n=n, m=m, i=i, d=1, ddof=ddof, sampling_bias=lam)
    assert detectable_relative_error(se_mean(tv), bound) <= TARGET
    assert tv.mean() <= bound + Z * se_mean(tv)


def test_full_bound_holds_in_two_dimensions():
    """d = 2: Monte Carlo TV (unbiased per replicate; its noise is inside the replicate variance)."""
    n, m, i, R = 15, 30, 3, 800
    ds = lab.simulate(lab.Gaussian([0.0, 0.0], np.eye(2)), lab.GaussianFit(ddof=1), lab.Fresh(real=n, synthetic=m),
                      n=n, generations=i, replicates=R, key=8100, metrics=[lab.metrics.TV(samples=256)])
    tv = ds["tv"].values[:, i]
    bound = mc.tv_bound(n=n, m=m, i=i, d=2, ddof=1)
    assert detectable_relative_error(se_mean(tv), bound) <= TARGET
    assert tv.mean() <= bound + Z * se_mean(tv)


def test_covariance_lemma_per_realisation():
    """The lab's lemma behind g_b: TV(N(0, Σ), N(0, I)) ≤ √(1 − BC²) ≤ α‖Σ − I‖_F + (1 − α)‖Σ − I‖_F², checked in
    1-D against the exact TV on v ∈ [1e-6, 1e4], and in d = 3 against the closed-form √(1 − BC²) on random Σ."""
    import jax.numpy as jnp

    from lab.metrics import gaussian_formulas as F

    a = mc.ALPHA
    v = np.concatenate([np.geomspace(1e-6, 1.0, 2000), np.geomspace(1.0, 1e4, 2000)])
    tv = np.asarray(F.tv_1d(0.0, jnp.sqrt(v), 0.0, 1.0))
    assert np.all(tv <= a * np.abs(v - 1) + (1 - a) * (v - 1) ** 2 + 1e-12)
    rng = np.random.default_rng(0)
    for _ in range(200):
        B = rng.normal(size=(3, 3)) * rng.choice([0.05, 0.3, 1.0])
        S = np.eye(3) + B @ B.T - 0.5 * np.diag(rng.uniform(0, 1, 3))
        if np.linalg.eigvalsh(S).min() <= 1e-6:
            continue
        bc = float(F.bhattacharyya(jnp.zeros(3), jnp.asarray(S), jnp.zeros(3), jnp.eye(3)))
        Y = np.sum((S - np.eye(3)) ** 2)
        assert np.sqrt(1 - bc**2) <= a * np.sqrt(Y) + (1 - a) * Y + 1e-12


def test_bound_parts_and_limits():
    kw = dict(n=20, m=40, i=4, d=2, ddof=1)
    u, a, b = mc.tv_bound(**kw), mc.tv_mean_bound(**kw), mc.tv_cov_bound(**kw)
    assert np.isclose(u, min(1.0, a + b)) and 0 < a < b < 1
    assert mc.cov_frob_sq(**kw) > 0
    # more real data per generation → smaller bound (n = 200 against 20 at the same m/n)
    assert mc.tv_bound(n=200, m=400, i=4, d=2, ddof=1) < u
    # large d saturates at 1, never above
    assert mc.tv_bound(n=5, m=5, i=3, d=30) == 1.0


def test_optimum_formula():
    """argmin_m_formula: exactly n at i = 1; within 3 % (+1) of the exact scan of the full bound for i = 2…5."""
    assert np.isclose(mc.argmin_m_formula(n=20, i=1), 20.0)
    for i in (2, 3, 5):
        exact = mc.argmin_m_bound(n=20, i=i, ddof=1)
        assert abs(exact - mc.argmin_m_formula(n=20, i=i)) <= 0.03 * exact + 1
    # the bound is U-shaped in m: lower at the optimum than at m = 0 and at m = 40 n
    i = 3
    u = [mc.tv_bound(n=20, m=m, i=i, ddof=1) for m in (0, mc.argmin_m_bound(n=20, i=i, ddof=1), 800)]
    assert u[1] < u[0] and u[1] < u[2]


@pytest.mark.parametrize("kw,name", [(dict(n=1), "n"), (dict(m=-1), "m"), (dict(d=0), "d"), (dict(ddof=2), "ddof"),
                                     (dict(sampling_bias=1.5), "sampling_bias"), (dict(generations=-1), "generations")])
def test_bad_input_names_parameter(kw, name):
    args = dict(n=10, m=5, generations=3, d=1, ddof=0, sampling_bias=1.0) | kw
    with pytest.raises(ValueError, match=name):
        mc.moments(**args)


def test_real_share_shortcut_matches_recursion_and_is_reproducible():
    """lab.gaussian_shortcut.fresh_shortcut (real_share's engine: sufficient statistics) against the exact moments,
    5 s.e.; same key, same bits. Power: R = 70 000 makes δ_min = 5·sd/(√R·E) ≤ 3 % for E σ² and E μ² (sd exact from
    the second moments, asserted); the fourth-moment statistics are checked at 5 SE only (their 3 % check is
    ``test_moment_recursion_full_power``, on the same recursion)."""
    from lab import gaussian_shortcut as real_share

    n, m, g, R = 5, 7, 3, 70_000
    mu, s2 = (np.asarray(a) for a in real_share.fresh_shortcut(key=lab.keys.as_key(11), n=n, m=m, generations=g,
                                                                 replicates=R, ddof=1))
    mo = mc.moments(n=n, m=m, generations=g, d=1, ddof=1)
    for k, k2 in (("trS", "trS_sq"), ("dd", "dd_sq")):
        assert detectable_relative_error(np.sqrt((mo[k2] - mo[k] ** 2) / R), mo[k]) <= TARGET, k
    for k, x in {"trS": s2, "dd": mu**2, "trS2": s2**2, "dd_trS": mu**2 * s2, "dd_sq": mu**4}.items():
        z = (x.mean(0) - mo[k]) / (x.std(0, ddof=1) / np.sqrt(R))
        assert np.all(np.abs(z) < Z), (k, z)
    again = np.asarray(real_share.fresh_shortcut(key=lab.keys.as_key(11), n=n, m=m, generations=g, replicates=R,
                                                 ddof=1)[1])
    assert np.array_equal(again, s2)
    other = np.asarray(real_share.fresh_shortcut(key=lab.keys.as_key(12), n=n, m=m, generations=g, replicates=R,
                                                 ddof=1)[1])
    assert not np.array_equal(other, s2)


def test_real_share_engines_agree():
    """The study's two engines (shortcut, lab.simulate) give E[TV] within 5 s.e. of each other at one (N, ρ)."""
    real_share = registry.load("real_share")

    kw = dict(N=30, rho=0.4, generations=2, replicates=2000, ddof=1)
    a = real_share.cell_run(engine="shortcut", seed=1, **kw)
    b = real_share.cell_run(engine="simulate", seed=2, **kw)
    assert (a["n"], a["m"]) == (12, 18)
    assert np.all(np.abs(a["mean"] - b["mean"]) < Z * np.hypot(a["se"], b["se"]))
    with pytest.raises(ValueError, match="engine"):
        real_share.cell_run(engine="nope", seed=1, **kw)
