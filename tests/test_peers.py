"""The peers' conventions as lab options, each against a small seeded re-implementation of the peer's own step
(``lab.peers``): Gillman's recency accumulation and histogram corrector, make_moons' law, the KDE bandwidth rules.
Agreement in law: a mean difference within 5 standard errors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lab
from lab import peers
from lab.transforms.histogram import histogram_density


def _z(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    se = np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    return np.abs(a.mean(0) - b.mean(0)) / se


def test_recency_accumulate_keeps_the_peers_prefixes():
    n, m, T = 3, 5, 7
    reg = lab.RecencyAccumulate(synthetic=m)
    plan = reg.plan(n, T)
    state = reg.init(jnp.zeros((n, 2)), plan)
    for t in range(1, T + 1):
        state = reg.step(state, None, jnp.full((m, 2), float(t)), jnp.ones(m), t, key=None)
        _, w = reg.training_set(state)
        w = np.asarray(w)
        expected = np.zeros(plan.buffer)
        expected[:n] = 1
        for i in range(t):  # the peer's loop: batch i (0-based) keeps its first int(((i + 1)/G)·m) rows, G = t
            expected[n + i * m: n + i * m + int(((i + 1) / t) * m)] = 1
        np.testing.assert_array_equal(w, expected)


def test_histogram_density_is_numpys():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(25, 2))
    h, xe, ye = np.histogram2d(x[:, 0], x[:, 1], bins=10, density=True)
    centres = np.stack(np.meshgrid(0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1]), indexing="ij"), -1)
    got = histogram_density(jnp.asarray(centres.reshape(-1, 2)), jnp.asarray(x), jnp.ones(25), 10)
    np.testing.assert_allclose(np.asarray(got), h.ravel(), rtol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 1.0])
def test_histogram_correct_agrees_in_law_with_gillmans_sampler(gamma):
    rng = np.random.default_rng(1)
    x = rng.normal(0.3, 0.8, size=(25, 2))
    truth = lab.Gaussian([0.0, 0.0], np.eye(2))
    corr = lab.HistogramCorrect(gamma)
    keys = jax.random.split(jax.random.key(2), 3000)
    out, w = jax.vmap(lambda k: corr(jnp.asarray(x), jnp.ones(25), key=k, model=None, params=None, truth=truth))(keys)
    assert np.all(np.asarray(w) == 1)
    ref = np.stack([peers.gillman_rejection(rng, x, corr.tau) for _ in range(3000)])
    for stat in (lambda b: b.mean(1), lambda b: (b**2).sum(-1).mean(1)[:, None]):
        assert np.all(_z(stat(np.asarray(out)), stat(ref)) < 5)
    if gamma == 0:  # not the identity: a histogram resample capped at M·g
        assert not np.any(np.all(np.isclose(np.asarray(out)[:, :, None], x[None, None]), -1))


def test_make_moons_law_is_sklearns():
    from sklearn.datasets import make_moons

    for n in (7, 10):
        ours = np.asarray(lab.MakeMoons(0.0).sample(key=jax.random.key(n), n=n))
        theirs = make_moons(n, noise=0.0, random_state=0)[0]
        np.testing.assert_allclose(ours[np.lexsort(ours.T)], theirs[np.lexsort(theirs.T)], atol=1e-12)
    keys = jax.random.split(jax.random.key(3), 400)
    ours = np.asarray(jax.vmap(lambda k: lab.MakeMoons(0.05).sample(key=k, n=40))(keys))
    rng = np.random.default_rng(3)
    theirs = np.stack([peers.make_moons(rng, 40, 0.05) for _ in range(400)])
    assert np.all(_z(ours.var(1), theirs.var(1)) < 5)


def test_kde_bandwidth_conventions_named_in_the_docstring():
    from scipy.stats import gaussian_kde
    from sklearn.neighbors import KernelDensity

    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(60, 2)) * [1.0, 2.0], rng.normal(size=(9, 2))
    w = jnp.ones(60)
    sk = KernelDensity(bandwidth="scott").fit(x).score_samples(y)
    ours = lab.KDE("scott", scale=1.0)
    np.testing.assert_allclose(np.asarray(ours.log_prob(ours.fit(jnp.asarray(x), w), jnp.asarray(y))), sk, rtol=1e-10)
    sk = KernelDensity(bandwidth="silverman").fit(x).score_samples(y)
    ours = lab.KDE("silverman", scale=1.0)
    np.testing.assert_allclose(np.asarray(ours.log_prob(ours.fit(jnp.asarray(x), w), jnp.asarray(y))), sk, rtol=1e-10)
    x1, y1, n = x[:, :1], y[:, :1], 60  # 1-D: scipy's Scott rule, with the biased σ̂ the lab uses
    sp = gaussian_kde(x1.T, bw_method=n ** (-1 / 5) * np.sqrt((n - 1) / n)).logpdf(y1.T)
    ours = lab.KDE("scott")
    np.testing.assert_allclose(np.asarray(ours.log_prob(ours.fit(jnp.asarray(x1), w), jnp.asarray(y1))), sp, rtol=1e-10)


def test_held_out_nll_is_the_kde_score():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(11, 2))
    kde = lab.KDE(0.3)
    p = kde.fit(jnp.asarray(x), jnp.ones(30))
    np.testing.assert_allclose(np.asarray(kde.log_prob(p, jnp.asarray(y))), peers.kde_score(x, y, 0.3), rtol=1e-10)


def test_logsumexp_rows_is_scipys_bit_for_bit():
    """The peer's in-place log-sum-exp repeats scipy's arithmetic, so the KDE loop's numbers are scipy's exactly."""
    from scipy.special import logsumexp

    rng = np.random.default_rng(8)
    a = rng.normal(scale=30.0, size=(40, 57))
    a[3, 5] = a[3, 9] = a[3].max() + 1.0  # a tied maximum
    a[7] = -5.0  # a row all tied
    a[9, :-1] = -1e4  # a row whose other terms underflow to 0
    np.testing.assert_array_equal(peers.logsumexp_rows(a.copy()), logsumexp(a, axis=1))


@pytest.mark.slow
@pytest.mark.parametrize("setting,regime", [("Accumulate-Subsample", lab.AccumulateSubsample()),
                                            ("Replace", lab.Replace())])
def test_koyejo_gaussian_loop_agrees_in_law(setting, regime):
    d, n, T, R = 3, 10, 15, 300
    ds = lab.simulate(lab.Gaussian(np.zeros(d), np.eye(d)), lab.GaussianFit(), regime, n=n, generations=T - 1,
                      replicates=R, key=0, metrics=[lab.metrics.MeanError(), lab.metrics.TraceRatio()])
    rng = np.random.default_rng(6)
    ref = [peers.koyejo_gaussian(rng, d=d, n=n, iterations=T, setting=setting) for _ in range(R)]
    for name in ("mean_error", "trace_ratio"):
        z = _z(np.log(ds[name].values), np.log([r[name] for r in ref]))
        assert z.max() < 5, (name, z.max())


@pytest.mark.slow
def test_gillman_shipped_loop_agrees_in_law():
    T, R = 25, 100
    regime = lab.RecencyAccumulate(synthetic=25, transforms=[lab.HistogramCorrect(1.0)])
    ds = lab.simulate(lab.Gaussian([0.0, 0.0], np.eye(2)), lab.GaussianFit(), regime, n=50, generations=T,
                      replicates=R, key=0, metrics=[lab.metrics.W2()])
    rng = np.random.default_rng(7)
    ref = np.stack([peers.gillman_toy(rng, gamma=1.0, steps=T) for _ in range(R)])
    assert _z(ds["w2"].values, ref).max() < 5


def test_batch_jacobian_matches_finite_differences():
    from lab.theory import correction

    truth, corr = lab.Gaussian([0.0, 0.0], np.eye(2)), lab.HistogramCorrect(0.0)
    J, se = correction.batch_jacobian(corr, np.zeros(2), 0.8 * np.eye(2), truth=truth, key=jax.random.key(8),
                                      batches=4000)
    # finite difference of E[C̄_1] in μ_1 with common random numbers: ±δ shifts of the same batches
    delta, B = 0.3, 4000
    keys = jax.random.split(jax.random.key(9), B)

    def cbar(shift, k):
        kx, kc = jax.random.split(k)
        x = jnp.sqrt(0.8) * jax.random.normal(kx, (25, 2)) + jnp.array([shift, 0.0])
        y, w = corr(x, jnp.ones(25), key=kc, model=None, params=None, truth=truth)
        return jnp.sum(w * y[:, 0]) / jnp.sum(w)

    diff = np.asarray(jax.vmap(lambda k: cbar(delta, k) - cbar(-delta, k))(keys)) / (2 * delta)
    assert abs(J[0, 0] - diff.mean()) < 5 * np.sqrt(diff.var() / B + se[0, 0] ** 2)
    assert 0 < J[0, 0] < 1.2


@pytest.mark.parametrize("make, word", [
    (lambda: lab.RecencyAccumulate(synthetic=0), "synthetic"), (lambda: lab.HistogramCorrect(-1.0), "gamma"),
    (lambda: lab.HistogramCorrect(float("inf")), "gamma"), (lambda: lab.HistogramCorrect(1.0, bins=0), "bins"),
    (lambda: lab.HistogramCorrect(1.0, proposal_scale=0.0), "proposal_scale"),
    (lambda: lab.HistogramCorrect(1.0, rounds=0), "rounds"), (lambda: lab.MakeMoons(-0.1), "noise"),
    (lambda: lab.HistogramCorrect(1.0)(jnp.zeros((4, 2)), jnp.ones(4), key=jax.random.key(0), model=None,
                                       params=None, truth=lab.MakeMoons(0.05)), "Gaussian truth"),
])
def test_bad_input_names_the_parameter(make, word):
    with pytest.raises(ValueError, match=word):
        make()
