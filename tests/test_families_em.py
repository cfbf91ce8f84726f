"""EM in JAX agrees with scikit-learn's GaussianMixture (the reference) on well-separated data."""
import jax
import jax.numpy as jnp
import numpy as np
from sklearn.mixture import GaussianMixture as SkGM

import lab

TOL = 1e-5  # absolute, on weights, means and covariances (both runs converged to the same likelihood maximum)


def test_em_matches_sklearn_on_well_separated_data():
    truth = lab.GaussianMixture([0.2, 0.3, 0.5], [[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]],
                                [np.eye(2), [[1.0, 0.4], [0.4, 0.8]], 0.5 * np.eye(2)])
    x = np.asarray(truth.sample(key=jax.random.key(0), n=600))
    ours = jax.jit(lab.MixtureFit(3, iterations=300).fit)(jnp.asarray(x), jnp.ones(600))
    ref = SkGM(3, covariance_type="full", tol=1e-12, max_iter=2000, reg_covar=1e-6, random_state=0).fit(x)
    o, r = np.argsort(np.asarray(ours.means)[:, 0]), np.argsort(ref.means_[:, 0])
    np.testing.assert_allclose(np.asarray(ours.weights)[o], ref.weights_[r], atol=TOL)
    np.testing.assert_allclose(np.asarray(ours.means)[o], ref.means_[r], atol=TOL)
    np.testing.assert_allclose(np.asarray(ours.covs)[o], ref.covariances_[r], atol=TOL)
    ll = float(jnp.mean(lab.MixtureFit(3).log_prob(ours, jnp.asarray(x))))
    assert abs(ll - ref.score(x)) < 1e-8


def test_empty_components_stay_finite():
    """Two distinct points and k = 4: components without responsibility keep finite parameters."""
    x = jnp.asarray([[0.0], [0.0], [5.0], [5.0], [5.0]])
    p = lab.MixtureFit(4).fit(x, jnp.ones(5))
    assert all(bool(jnp.all(jnp.isfinite(a))) for a in p)
    np.testing.assert_allclose(float(jnp.sum(p.weights)), 1.0)
    assert int(lab.metrics.mixture.ComponentsAlive()(None, None, p, key=None)) <= 4
