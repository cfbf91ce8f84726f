"""Theory as oracle: D1 fixation, D2 time to loss and σ tail bound, G5 regression (lab.theory.categorical/regression)."""
import numpy as np
import pytest

import lab
from _power import TARGET, detectable_relative_error
from lab.theory import categorical as D
from lab.theory import regression as G5


def _fixation(R, key):
    p0 = np.array([0.5, 0.3, 0.2])
    ds = lab.simulate(lab.Categorical(p0), lab.CategoricalFit(3), lab.Replace(), n=10, generations=120, replicates=R,
                      key=key, metrics=())
    final = ds["probs"].values[:, -1]
    assert np.all(final.max(-1) == 1.0)  # every replicate has fixed (absorbed at a point mass)
    freq = (final == 1.0).mean(0)
    se = np.sqrt(p0 * (1 - p0) / R)  # exact binomial SE under the theory
    assert np.all(np.abs(freq - D.fixation_probabilities(p0)) < 5 * se), (freq, se)
    return detectable_relative_error(se, D.fixation_probabilities(p0))


def test_d1_fixation_frequencies():
    """Power: δ_min = 5·√(p(1 − p)/R)/p, 26 % for p = 0.2 at R = 1 500 (asserted ≤ 26 %); the slow variant: 3 %."""
    assert _fixation(1500, key=11) <= 0.26


@pytest.mark.slow
def test_d1_fixation_frequencies_full_power():
    """R = 112 000 ≥ (5/0.03)²·0.8/0.2: δ_min ≤ 3 % for every fixation probability (exact SE, asserted)."""
    assert _fixation(112_000, key=111) <= TARGET


def _time_to_loss(R, key, power):
    """A symbol of truth probability c/M: its loss generation is τ − 1, τ the exact Wright–Fisher loss time."""
    M, c = 20, 2
    ds = lab.simulate(lab.Categorical([c / M, 1 - c / M]), lab.CategoricalFit(2), lab.Replace(), n=M,
                      generations=200, replicates=R, key=key, metrics=())
    probs = ds["probs"].values[:, :, 0]
    lost = probs[:, -1] == 0.0
    first = np.argmax(probs[lost] == 0.0, axis=1)
    se = first.std() / np.sqrt(first.size)
    theory = D.time_to_loss(c, M) - 1
    assert detectable_relative_error(se, theory) <= power
    assert abs(first.mean() - theory) < 5 * se, (first.mean(), theory, se)


def test_d2_time_to_loss_exact_chain():
    """Power: δ_min = 5·SE/(τ − 1) from the run's SE, ≤ 25 % at R = 1 500 (asserted); the slow variant reaches 3 %."""
    _time_to_loss(1500, key=12, power=0.25)


@pytest.mark.slow
def test_d2_time_to_loss_exact_chain_full_power():
    """R = 100 000: the loss time's CV is ≈ 1.5 here and ≈ 90 % of replicates lose the symbol (it fixes with
    probability c/M = 0.1), so δ_min ≈ 5·1.5/√90 000 ≈ 2.5 % ≤ 3 % (asserted from the run's SE)."""
    _time_to_loss(100_000, key=112, power=TARGET)


def test_d2_time_to_loss_grows_about_linearly():
    t = np.array([D.time_to_loss(c, 400) for c in (1, 2, 4, 8, 16)])
    assert np.all(np.diff(t) > 0)
    ratios = t[1:] / t[:-1]
    assert np.all((ratios > 1.5) & (ratios < 2.0))  # doubling the count multiplies the time by ~2 (c·log(M/c))
    # two closed forms, no simulation: rtol is the diffusion approximation's own error at M = 400 (O(c/M) and the
    # boundary layer), not a sampling tolerance, so it cannot come from a variance
    np.testing.assert_allclose(t, D.time_to_loss_diffusion([1, 2, 4, 8, 16], 400), rtol=0.1)


@pytest.mark.parametrize("M", [2, 3, 5, 10, 30, 100, 1000, 10**4])
def test_d2_constant_below_exponential(M):
    assert D.c_unbiased(M) <= np.exp(-1 / (4 * M))


def test_d2_sigma_tail_bound_holds():
    """One-sided check of a Markov bound, 5 binomial SEs of the bound (floored at 1/R). Power: it detects a bound that
    understates Pr(σ_t > ε) by δ_min = 5·√((1 − b)/(R b)), largest at the last generation (b ≈ 0.44): ≤ 3 % at
    R = 40 000 (asserted). How loose the bound is (Markov's inequality) is not a sampling question."""
    M, R, eps = 10, 40_000, 0.5
    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=1), lab.Replace(), n=M, generations=60,
                      replicates=R, key=13, metrics=())
    sigma = np.sqrt(ds["cov"].values[:, :, 0, 0])
    freq = (sigma > eps).mean(0)
    bound = D.sigma_tail_bound(np.arange(61) + 1, M=M, sigma0=1.0, eps=eps)
    se = np.sqrt(np.maximum(bound * (1 - bound), 1 / R) / R)
    assert detectable_relative_error(se, bound) <= TARGET
    assert np.all(freq <= bound + 5 * se)


# Power: the tolerance is 5 standard errors of the replicate mean; the smallest relative error the test detects (half
# the time) is 5·SE/value, asserted ≤ 3 % at every generation from the simulation's own spread. R is set from that
# spread (‖ŵ − w*‖² is heavy-tailed at T = 10: coefficient of variation ≈ 2.2 at generation 0, so R ≈ 48 000).
@pytest.mark.parametrize("regime, d, T, R", [("replace", 2, 40, 34000), ("accumulate", 3, 10, 48000)],
                         ids=["replace-d2-T40-detects3pct", "accumulate-fresh-d3-T10-detects3pct"])
def test_g5_regression_oracle(regime, d, T, R):
    """Mean excess risk vs the closed form at every generation, tolerance 5 standard errors of the replicate mean.
    Accumulate runs at d = 3, T = 10, where the fixed-design Σ1/i² form is ≥ 10 % above the exact fresh-input curve from
    generation 5 on: the test must accept the exact curve and reject the fixed-design one."""
    sigma, G = 1.0, 8
    reg = lab.Replace() if regime == "replace" else lab.Accumulate()
    ds = lab.simulate(lab.LinearModel(np.ones(d), sigma), lab.LinearRegressionFit(noise=sigma), reg, n=T,
                      generations=G, replicates=R, key=14, metrics=[lab.metrics.regression.ExcessRisk()])
    e = ds["excess_risk"].values
    g = np.arange(G + 1)
    fn = G5.replace_excess_risk if regime == "replace" else G5.accumulate_excess_risk
    theory = fn(g, sigma=sigma, d=d, T=T)
    se = e.std(0, ddof=1) / np.sqrt(R)
    assert np.all(5 * se / theory <= 0.03), 5 * se / theory  # the power stated above
    assert np.all(np.abs(e.mean(0) - theory) < 5 * se), (e.mean(0), theory, se)
    if regime == "accumulate":
        fixed = G5.accumulate_excess_risk_fixed_design(g, sigma=sigma, d=d, T=T)
        assert fixed[-1] / theory[-1] - 1 >= 0.10  # the setting separates the two forms
        assert (fixed[-1] - e.mean(0)[-1]) > 5 * se[-1]  # the fixed-design form is rejected here
        assert np.all(e.mean(0) < G5.accumulate_ceiling(sigma=sigma, d=d, T=T))  # π²/6 ceiling: an upper bound
        assert theory[-1] < G5.accumulate_limit(sigma=sigma, d=d, T=T) < G5.accumulate_ceiling(sigma=sigma, d=d, T=T)


def test_g5_accumulate_limit_is_the_curves_limit():
    """The digamma closed form of the fresh-input limit equals the partial sums carried far out (tail ≤ 1/(T·g))."""
    d, T = 3, 10
    far = G5.accumulate_excess_risk(200000, sigma=1.0, d=d, T=T)
    lim = G5.accumulate_limit(sigma=1.0, d=d, T=T)
    assert 0 < lim - far < d / (T * 200000) * 1.1
    np.testing.assert_allclose(G5.accumulate_excess_risk(0, sigma=2.0, d=d, T=T), 4.0 * d / (T - d - 1), rtol=1e-12)
