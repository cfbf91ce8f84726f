"""The power audit itself (issue 12, item 4), checkable without simulation.

One table: conformance setting → the standard error of its statistic from the theory's EXACT moments at the replicate
count (or sample size) the test uses, and the theory value it is compared with; the test asserts
δ_min = 5·SE/|theory| ≤ 3 % (tests/_power.py) for every row. Rows whose test runs at full power only in its
``slow``-marked variant use that variant's R, computed by the same formula the variant uses. Settings whose SE has no
closed form (it comes from the run: HC0 slope errors, sample sds of EM / KDE / curated statistics) are listed in
``FROM_THE_RUN`` with the test that asserts δ_min ≤ 3 % on its own SE; settings that cannot reach 3 % are in
``EXCEPTIONS`` with the formula that says why, and that formula is asserted too. Runs in well under a second.
"""
import numpy as np
import pytest
from scipy.special import digamma, polygamma
from scipy.stats import norm

from _power import TARGET, Z, detectable_relative_error, replicates_for
from lab.theory import correction as C
from lab.theory import mixed_cov as mc
from lab.theory import verification as V


def _gaussian_log_variance(ddof):
    from test_gaussian_theory import LOGV_TS, _log_variance_power
    cv_m, cv_v = _log_variance_power(LOGV_TS, 20, ddof, 1)[2:]
    R = replicates_for(1.05 * max(cv_m[-1], *cv_v))  # as test_log_variance_G1_G2_full_power
    d_mean, d_var = _log_variance_power(LOGV_TS, 20, ddof, R)[:2]
    return max(d_mean[-1], d_var.max())


def _mahalanobis_d8():
    mo = mc.moments(n=20, m=40, generations=5, d=8, ddof=1, sampling_bias=0.9)
    sd = np.sqrt(mo["dd_sq"] - mo["dd"] ** 2)
    return detectable_relative_error(sd / np.sqrt(replicates_for(sd / mo["dd"])), mo["dd"])


def _mixed_cov_first_moments():
    out = []
    for n, m, d, ddof, lam in ((4, 2, 2, 1, 0.7), (3, 6, 1, 0, 1.0), (20, 20, 1, 1, 1.0), (6, 30, 3, 0, 0.9)):
        mo = mc.moments(n=n, m=m, generations=3, d=d, ddof=ddof, sampling_bias=lam)
        for k, k2 in (("trS", "trS_sq"), ("dd", "dd_sq")):
            sd = np.sqrt(mo[k2] - mo[k] ** 2)
            out.append(detectable_relative_error(sd / np.sqrt(replicates_for(sd / mo[k])), mo[k]))
    return max(out)


def _binomial(p, n):
    return detectable_relative_error(np.sqrt(p * (1 - p) / n), p)


def _langevin_recursion():
    mu, s2, eta, steps, n = 1.5, 2.0, 0.1, 30, 200000  # test_langevin_matches_its_gaussian_recursion
    rho = 1 - eta / s2
    mean = mu + rho**steps * (-3.0 - mu)
    var = 2 * eta * np.sum(rho ** (2 * np.arange(steps)))
    return max(detectable_relative_error(np.sqrt(var / n), mean), Z * np.sqrt(2 / (n - 1)))


def _langevin_corrected_mean():
    n = 150000  # test_langevin_corrected_samples_have_the_predicted_moments
    m, var = C.langevin_synthetic_moments(-1.0, 0.5, gamma=1.5, step_size=0.1, steps=8, truth_mean=1.5, truth_var=2.0)
    return detectable_relative_error(np.sqrt(var / n), m)


def _verify_masks():
    n, tpr, fpr = 250000, 0.8, 0.3  # test_verify_keeps_good_at_tpr_and_bad_at_fpr; E N_mask = n·P(mask), N(0, 1) draws
    bad = 2 * norm.cdf(-1.0)
    return max(_binomial(tpr, n * (1 - bad)), _binomial(fpr, n * bad))


def _log_chi2_full_power(M, T, R_of_cv):
    """Sum of T + 1 (or one) log-χ²_{M−1} factors: exact mean and variance, R from the variant's formula."""
    k = M - 1
    mean = T * (digamma(k / 2) + np.log(2 / M))
    sd = np.sqrt(T * polygamma(1, k / 2))
    R = R_of_cv(sd / abs(mean))
    return detectable_relative_error(sd / np.sqrt(R), mean)


# setting → δ_min from exact moments at the test's R (a callable: no simulation)
TABLE = {
    "gaussian_theory log σ² (ddof 0), slow": lambda: _gaussian_log_variance(0),
    "gaussian_theory log σ² (ddof 1), slow": lambda: _gaussian_log_variance(1),
    "mixed_theory E‖δ‖², d = 8": _mahalanobis_d8,
    "mixed_cov E tr S, E‖δ‖², slow R": _mixed_cov_first_moments,
    "remedies correction rate τ, n = 60,000": lambda: _binomial(0.5 / 1.5, 60000),
    "remedies Langevin recursion mean/var, n = 200,000": _langevin_recursion,
    "remedies Langevin-corrected mean, n = 150,000": _langevin_corrected_mean,
    "remedies Verify tpr/fpr, n = 250,000": _verify_masks,
    "remedies constant-reward G1, slow": lambda: _log_chi2_full_power(20, 6, replicates_for),
    "remedies γ = ∞ refit log σ², slow": lambda: _log_chi2_full_power(10, 1, lambda cv: replicates_for(
        max(cv, np.sqrt(2.0)))),
    "remedies γ = ∞ refit μ², slow": lambda: Z * np.sqrt(2.0) / np.sqrt(replicates_for(np.sqrt(2.0))),
}

# SE only from the run: the test named asserts δ_min ≤ 3 % on its own SE (fast or slow variant)
FROM_THE_RUN = {
    "Weighted contraction slopes (HC0)": "test_remedies_theory::test_weighted_loop_mean_contraction_full_power",
    "Langevin / projection slopes (HC0)": "test_remedies_correctors::test_*_contraction_full_power",
    "within_slope AR(1)": "test_remedies_correctors::test_within_slope_recovers_an_ar1_coefficient (Nickell's bias "
                          "correction; Kendall's over-corrected by 2ρ/T)",
    "Weighted variance recursion E[v_t/v̂]": "test_remedies_theory::test_weighted_loop_variance_recursion",
    "curated categorical loop": "test_remedies_theory::test_curated_loop_matches_exact_update",
    "curated mixture first step": "test_remedies_correctors::test_curate_on_the_mixture_follows_the_exact_first_step",
    "mixed TV bounds (one-sided)": "test_mixed_theory / test_mixed_cov_theory (slow variants)",
    "mixed_cov fourth moments": "test_mixed_cov_theory::test_moment_recursion_full_power",
}


def _verification_vanishing_bad_mass(R):
    """Exception (THEORY C2 at (tpr, fpr) = (0.9, 0.3)): b_t = b₀·0.3^t/(b₀·0.3^t + (1 − b₀)·0.9^t) → 0, and the last
    generation's binomial draw alone gives Var(b̂_t) ≥ b_t(1 − b_t)/N, so δ_min(t) ≥ 5·√((1 − b_t)/(N·R·b_t)): it grows
    like b_t^{−1/2} — a fixed relative power needs R ∝ 1/b_t."""
    N, T = 10_000, 6
    b = V.bad_mass_trajectory(0.25, 0.9, 0.3, T)
    return Z * np.sqrt((1 - b) / (N * R * b))


EXCEPTIONS = {
    "verification bad mass at (0.9, 0.3), t = 6": lambda: _verification_vanishing_bad_mass(5 * 60)[-1],
    "gaussian_theory E log σ²_t at t = 0, 1 (|E| ≈ 0)": lambda: max(
        __import__("test_gaussian_theory")._log_variance_power(np.array([0, 1]), 20, 1, 60000)[0]),
}


@pytest.mark.parametrize("setting", list(TABLE))
def test_every_setting_detects_3pct(setting):
    assert TABLE[setting]() <= TARGET, setting


@pytest.mark.parametrize("setting", list(EXCEPTIONS))
def test_stated_exceptions_are_real(setting):
    """Each exception's own lower bound on δ_min is above 3 % at the replicate count its test could afford."""
    assert EXCEPTIONS[setting]() > TARGET, setting


def test_from_the_run_rows_name_their_test():
    assert all(isinstance(v, str) and "test_" in v for v in FROM_THE_RUN.values())
