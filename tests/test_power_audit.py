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


def _real_share_shortcut():
    mo = mc.moments(n=5, m=7, generations=3, d=1, ddof=1)  # test_real_share_shortcut_matches_recursion_...
    return max(detectable_relative_error(np.sqrt((mo[k2] - mo[k] ** 2) / 70_000), mo[k])
               for k, k2 in (("trS", "trS_sq"), ("dd", "dd_sq")))


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


def _engine_shortcut_full_power():
    from test_engine_shortcut import FULL, _power, _r_full
    return max(np.max(d) for d in _power(FULL, _r_full()))


def _stability_first_mean_error():
    from test_stability_slope import STABILITY_R, _mean_error_power
    return _mean_error_power(1.0, 50, STABILITY_R, 6)[1]


def _gaussian_variance_and_std(ddof):
    from test_gaussian_theory import _variance_cvs
    ts = np.array([1, 3, 6])  # test_variance_mean_and_std_G1_G2
    cv = max(np.max(c) for c in _variance_cvs(ts, 30, ddof))
    return Z * cv / np.sqrt(replicates_for(cv))


def _gaussian_logdet(ts):
    from test_gaussian_theory import _logdet_cv
    return Z * np.max(_logdet_cv(ts)) / np.sqrt(replicates_for(_logdet_cv(np.array([2, 8]))))


def _sigma_tail_bound(R):
    from lab.theory import categorical as D
    b = D.sigma_tail_bound(np.arange(61) + 1, M=10, sigma0=1.0, eps=0.5)  # test_d2_sigma_tail_bound_holds
    return detectable_relative_error(np.sqrt(np.maximum(b * (1 - b), 1 / R) / R), b)


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
    "mixed_cov real_share shortcut E σ², E μ², R = 70,000": _real_share_shortcut,
    "engine_shortcut E/Var log σ²_t, E μ_t² at t = 5, 40, slow": _engine_shortcut_full_power,
    "stability perturbed loop d_1, R = 5,000": _stability_first_mean_error,
    "gaussian_theory E σ²_t, E σ_t (ddof 0)": lambda: _gaussian_variance_and_std(0),
    "gaussian_theory E σ²_t, E σ_t (ddof 1)": lambda: _gaussian_variance_and_std(1),
    "gaussian_theory E log det Σ_t at t = 2, 8": lambda: _gaussian_logdet(np.array([2, 8])),
    "families_theory fixation probabilities, slow R = 112,000": lambda: max(
        _binomial(p, 112_000) for p in (0.5, 0.3, 0.2)),
    "families_theory σ tail (Markov) bound, one-sided, R = 40,000": lambda: _sigma_tail_bound(40_000),
    "conformance LinearModel noise variance, n = 60,000": lambda: Z * np.sqrt(2 / 60_000),
    "families_metrics Monte Carlo TV and KL, n = 120,000": lambda: max(
        Z * 0.5 / np.sqrt(120_000) / (2 * norm.cdf(0.5) - 1), Z / np.sqrt(120_000) / 0.5),
    "diffusion_core sampler weights, slow n = 150,000": lambda: max(_binomial(p, 150_000) for p in (0.5, 0.3, 0.2)),
    "diffusion_core churned Heun weights, slow n = 120,000": lambda: max(
        _binomial(p, 120_000) for p in (0.5, 0.3, 0.2)),
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
    "mixed_fixed TV bound (one-sided, Augment)": "test_mixed_fixed_theory::test_full_tv_bound_holds_in_simulation",
    "mixed_cov fourth moments": "test_mixed_cov_theory::test_moment_recursion_full_power",
    "KDE loop E tr Σ_t, E‖μ_t‖² (Replace)": "test_kde_theory::test_*_full_power",
    "KDE fixed-set pointwise mean/variance, TV sandwich": "test_kde_fixed_theory::test_*_full_power",
    "KDE Fresh pointwise mean/variance, TV sandwich": "test_kde_mixed_theory::test_*_full_power",
    "pooled moment recursions, five regimes": "test_gaussian_theory::test_pooled_moments_full_power",
    "Var(μ_t), E W₂² (G2)": "test_gaussian_theory::test_mean_random_walk_and_w2_G2",
    "stability perturbed loop E[v_t/v̂]": "test_stability_slope::test_perturbed_loop_matches_the_exact_expected_trajectory",
    "MAD setting per-coordinate moments (d = 100)": "test_slow_mad_setting::test_fresh_loop_moments_in_mad_setting",
    "Wright–Fisher time to loss": "test_families_theory::test_d2_time_to_loss_exact_chain_full_power",
    "exact-denoiser sampler means and stds (n_j random; 3 of 4 samplers strict-xfail there: discretisation bias)":
        "test_diffusion_core::test_sampler_with_the_exact_denoiser_recovers_the_mixture_full_power",
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
    "gaussian_theory E log det Σ_0 (no drift yet)": lambda: _gaussian_logdet(np.array([0])),
    "engine_shortcut E log σ²_0 (|E| ≈ 0), slow R": lambda: __import__("test_engine_shortcut")._power(
        np.array([0]), __import__("test_engine_shortcut")._r_full())[0],
    "stability perturbed loop d_t, t = 2…6 (d_t = 0.5κ^t → 0)": lambda: min(
        __import__("test_stability_slope")._mean_error_power(1.0, 50, 5000, 6)[2:]),
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
