"""Slow checks (``make test-slow``): the exact moment recursions in MAD's own fresh-data setting (THEORY G4)."""
import numpy as np
import pytest

import lab
from lab.theory import pooled


@pytest.mark.slow
@pytest.mark.parametrize("lam, n_ini", [(1.0, 100), (0.8, 1000)])
def test_fresh_loop_moments_in_mad_setting(lam, n_ini):
    """P_r = N(0, I_100), n_r = 100, n_s = 900: per-coordinate E[Σ_t,ii] and E[δ_t,i²] against lab.theory.pooled;
    5 standard errors from the sample standard deviation over replicates × coordinates."""
    d, R, G = 100, 40, 30
    regime = lab.Fresh(real=100, synthetic=900)
    ds = lab.simulate(lab.Gaussian(np.zeros(d), np.eye(d)), lab.GaussianFit(ddof=1, sampling_bias=lam), regime,
                      n=n_ini, generations=G, replicates=R, key=77, metrics=[])
    mo = pooled.moments(regime, n=n_ini, generations=G, ddof=1, sampling_bias=lam)
    diag = np.diagonal(ds["cov"].values, axis1=-2, axis2=-1)  # (R, G+1, d)
    for sim, th in ((diag, mo["cov"]), (ds["mean"].values ** 2, mo["mean_sq"])):
        flat = sim.transpose(1, 0, 2).reshape(G + 1, -1)
        se = flat.std(1) / np.sqrt(flat.shape[1])
        assert np.all(np.abs(flat.mean(1) - th) < 5 * se)
