"""Slow checks (``make test-slow``): the exact moment recursions in MAD's own fresh-data setting (THEORY G4)."""
import numpy as np
import pytest

import lab
from _power import TARGET, Z, detectable_relative_error, se_mean
from lab.theory import pooled

MAD_R = 600  # replicates: the per-replicate mean of δ_t,i² over d = 100 coordinates has CV ≈ √(2/d), so 3 % needs
#              R ≥ (5·√(2/d)/0.03)² ≈ 560


@pytest.mark.slow
@pytest.mark.parametrize("lam, n_ini", [(1.0, 100), (0.8, 1000)], ids=["lam1-detects3pct", "lam0.8-detects3pct"])
def test_fresh_loop_moments_in_mad_setting(lam, n_ini):
    """P_r = N(0, I_100), n_r = 100, n_s = 900: per-coordinate E[Σ_t,ii] and E[δ_t,i²] against lab.theory.pooled, at
    5 standard errors. The statistic is each replicate's average over the d coordinates (coordinates of one replicate
    share the fitted Σ_{t−1}, so they are not independent; replicates are), SE = sd over replicates/√R.
    Power (tests/_power.py): δ_min = 5·SE/theory ≤ 3 % at every generation, asserted from the run's own SEs."""
    d, R, G = 100, MAD_R, 30
    regime = lab.Fresh(real=100, synthetic=900)
    ds = lab.simulate(lab.Gaussian(np.zeros(d), np.eye(d)), lab.GaussianFit(ddof=1, sampling_bias=lam), regime,
                      n=n_ini, generations=G, replicates=R, key=77, metrics=[])
    mo = pooled.moments(regime, n=n_ini, generations=G, ddof=1, sampling_bias=lam)
    diag = np.diagonal(ds["cov"].values, axis1=-2, axis2=-1)  # (R, G+1, d)
    for sim, th in ((diag, mo["cov"]), (ds["mean"].values ** 2, mo["mean_sq"])):
        per_rep = sim.mean(-1)  # (R, G+1)
        se = se_mean(per_rep)
        assert detectable_relative_error(se, th) <= TARGET
        assert np.all(np.abs(per_rep.mean(0) - th) < Z * se), (per_rep.mean(0) - th) / se
