"""One conformance suite run on every model family (in the spirit of scikit-learn's ``check_estimator``).

The diffusion families (``lab.Diffusion``, ``lab.SIMS``) run with a tiny MLP and a few training steps: the suite
checks the contract (keys, shapes, weights, the engine), not the quality of the fit."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lab

N = 40
DIFFUSION = lab.Diffusion(lab.diffusion.MLP(8, 1), lab.diffusion.EDM(sigma_data=2.0),
                          lab.diffusion.TrainConfig(steps=20, batch=32, warmup=2), lab.diffusion.Sampler(steps=6))
SIMS = lab.SIMS(DIFFUSION, omega=1.0, budget=10, synthetic=32)
_JITTED = {}  # one compiled fit per diffusion family (the suite refits often)
CASES = {
    "gaussian": lambda: (lab.Gaussian([0.0, 1.0], [[1.0, 0.3], [0.3, 2.0]]), lab.GaussianFit()),
    "mixture": lambda: (lab.GaussianMixture([0.4, 0.6], [[-3.0, 0.0], [3.0, 1.0]], [np.eye(2), 0.5 * np.eye(2)]),
                        lab.MixtureFit(2, iterations=20)),
    "kde": lambda: (lab.GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], [[[1.0]], [[0.5]]]), lab.KDE()),
    "categorical": lambda: (lab.Categorical(lab.zipf(6, 1.0)), lab.CategoricalFit(6, smoothing=0.0)),
    "regression": lambda: (lab.LinearModel([1.0, -0.5], 0.3), lab.LinearRegressionFit()),
    "diffusion": lambda: (lab.GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], [[[1.0]], [[0.5]]]), DIFFUSION),
    "sims": lambda: (lab.GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], [[[1.0]], [[0.5]]]), SIMS),
}
FAMILIES = sorted(CASES)


def _real(truth, key=0):
    return truth.sample(key=jax.random.key(key), n=N)


def _fit_fn(model):
    if isinstance(model, (lab.Diffusion, lab.SIMS)):
        return _JITTED.setdefault(model, jax.jit(model.fit))
    return model.fit


def _fit(model, x, w=None):
    """Every family's fit takes a keyword-only key (deterministic families ignore it)."""
    return _fit_fn(model)(x, jnp.ones(x.shape[0]) if w is None else w, key=jax.random.key(0))


def _finite(tree):
    return all(bool(jnp.all(jnp.isfinite(a))) for a in jax.tree.leaves(tree))


@pytest.mark.parametrize("family", FAMILIES)
def test_fit_returns_finite_params(family):
    truth, model = CASES[family]()
    assert _finite(_fit(model, _real(truth)))


@pytest.mark.parametrize("family", FAMILIES)
def test_sample_shape_and_dtype(family):
    truth, model = CASES[family]()
    params = _fit(model, _real(truth))
    x = model.sample(params, key=jax.random.key(1), n=17)
    assert x.shape == (17, truth.dim)
    assert x.dtype == _real(truth).dtype


@pytest.mark.parametrize("family", FAMILIES)
def test_fit_same_key_same_bits(family):
    """fit is a function of (x, w, key): refitting gives the same bits (random families: a different key differs)."""
    truth, model = CASES[family]()
    x = _real(truth)
    a, b = _fit(model, x), _fit(model, x)
    assert all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
    if family in ("diffusion", "sims"):
        c = _fit_fn(model)(x, jnp.ones(N), key=jax.random.key(1))
        assert not any(np.array_equal(np.asarray(u), np.asarray(v))
                       for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(c)))


@pytest.mark.parametrize("family", FAMILIES)
def test_same_key_same_bits(family):
    truth, model = CASES[family]()
    params = _fit(model, _real(truth))
    a, b = model.sample(params, key=jax.random.key(3), n=50), model.sample(params, key=jax.random.key(3), n=50)
    c = model.sample(params, key=jax.random.key(4), n=50)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


@pytest.mark.parametrize("family", FAMILIES)
def test_zero_weight_slots_are_ignored(family):
    truth, model = CASES[family]()
    x = _real(truth)
    garbage = truth.sample(key=jax.random.key(9), n=25)
    garbage = garbage * 7 + 3 if jnp.issubdtype(garbage.dtype, jnp.floating) else garbage
    xb = jnp.concatenate([garbage[:10], x, garbage[10:]])
    wb = jnp.concatenate([jnp.zeros(10), jnp.ones(N), jnp.zeros(15)])
    v1 = model.variables(_fit(model, x))
    v2 = model.variables(_fit(model, xb, wb))
    for name in v1:
        np.testing.assert_allclose(np.asarray(v2[name][0]), np.asarray(v1[name][0]), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("family", FAMILIES)
def test_weights_are_frequency_weights(family):
    """Weight 2 on a row equals the row written twice (next to itself, so that the diffusion families' inverse-CDF
    minibatches draw the same rows for the same uniforms)."""
    truth, model = CASES[family]()
    x = _real(truth)
    w = jnp.ones(N).at[:5].set(2.0)
    v1 = model.variables(_fit(model, x, w))
    v2 = model.variables(_fit(model, jnp.concatenate([jnp.repeat(x[:5], 2, axis=0), x[5:]])))
    for name in v1:
        np.testing.assert_allclose(np.asarray(v1[name][0]), np.asarray(v2[name][0]), rtol=1e-6, atol=1e-9,
                                   err_msg=name)


def _inside_cases():
    """(family, regime) pairs; the network families' loops cost 20–30 CPU-s each to compile cold, so only
    diffusion × replace runs on every change and the other three in `make test-slow`."""
    for family in (f for f in FAMILIES if f != "gaussian"):
        for regime in ("replace", "accumulate"):
            slow = family in ("diffusion", "sims") and (family, regime) != ("diffusion", "replace")
            yield pytest.param(family, regime, marks=pytest.mark.slow) if slow else (family, regime)


@pytest.mark.parametrize("family, regime", list(_inside_cases()))
def test_runs_inside_simulate(family, regime):
    truth, model = CASES[family]()
    reg = lab.Replace() if regime == "replace" else lab.Accumulate(synthetic=20)
    ds = lab.simulate(truth, model, reg, n=N, generations=3, replicates=2, key=0, metrics=())
    assert ds.sizes["replicate"] == 2 and ds.sizes["generation"] == 4
    for name, var in ds.data_vars.items():
        assert np.all(np.isfinite(var.values)), name


BAD = [
    lambda: lab.MixtureFit(0), lambda: lab.MixtureFit(2, iterations=0), lambda: lab.MixtureFit(2, reg=-1.0),
    lambda: lab.KDE("wide"), lambda: lab.KDE(-0.1), lambda: lab.KDE(True),
    lambda: lab.CategoricalFit(0), lambda: lab.CategoricalFit(3, smoothing=-1.0),
    lambda: lab.CategoricalFit(3, temperature=0.0), lambda: lab.LinearRegressionFit(noise=0.0),
    lambda: lab.GaussianMixture([0.5, 0.6], [[0.0], [1.0]], [[[1.0]], [[1.0]]]),
    lambda: lab.GaussianMixture([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[-1.0]]]),
    lambda: lab.GaussianMixture([1.0], [[0.0, 1.0]], [[[1.0]]]),
    lambda: lab.Categorical([0.5, -0.1, 0.6]), lambda: lab.zipf(0), lambda: lab.zipf(5, -1.0),
    lambda: lab.LinearModel([1.0], 0.0), lambda: lab.LinearModel([[1.0]], 1.0), lambda: lab.Dataset(np.zeros((0, 2))),
    lambda: lab.Dataset([np.nan, 1.0]), lambda: lab.two_moons(n=1, key=0), lambda: lab.two_moons(n=10, noise=-1.0, key=0),
]


@pytest.mark.parametrize("make", BAD)
def test_bad_input_raises_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_check_rejects_mismatched_truth():
    with pytest.raises(ValueError, match="categories"):
        lab.CategoricalFit(5).check(lab.Categorical(lab.zipf(6)))
    with pytest.raises(ValueError):
        lab.LinearRegressionFit().check(lab.Categorical(lab.zipf(6)))
    with pytest.raises(ValueError):
        lab.KDE().check(lab.Categorical(lab.zipf(6)))


def test_categorical_fit_takes_its_size_from_the_truth():
    """CategoricalFit() gets k from the truth through simulate: the same run, attrs and bits as CategoricalFit(k); an
    explicit k is still checked; fitting outside simulate without k names the parameter."""
    truth = lab.Categorical(lab.zipf(6, 1.0))
    kw = dict(n=30, generations=3, replicates=4, key=5)
    a = lab.simulate(truth, lab.CategoricalFit(), lab.Replace(), **kw)
    b = lab.simulate(truth, lab.CategoricalFit(6), lab.Replace(), **kw)
    assert a.identical(b)
    assert lab.CategoricalFit().for_truth(truth) == lab.CategoricalFit(6)
    with pytest.raises(ValueError, match="categories"):
        lab.simulate(truth, lab.CategoricalFit(5), lab.Replace(), **kw)
    with pytest.raises(ValueError, match="categories"):
        lab.CategoricalFit().for_truth(lab.Gaussian([0.0], [[1.0]]))
    with pytest.raises(ValueError, match="categories"):
        lab.CategoricalFit().fit(jnp.zeros((3, 1), jnp.int32), jnp.ones(3))


def test_every_truth_samples_with_keyword_only_key():
    import inspect

    from lab import truths

    for name in ("Gaussian", "GaussianMixture", "Categorical", "LinearModel", "Dataset", "MakeMoons", "Images"):
        params = inspect.signature(getattr(truths, name).sample).parameters
        assert [(p, params[p].kind) for p in ("key", "n")] == [
            ("key", inspect.Parameter.KEYWORD_ONLY), ("n", inspect.Parameter.KEYWORD_ONLY)], name
    d = truths.digits()
    x = d.sample(key=jax.random.key(0), n=5)
    assert x.shape == (5, 64) and np.isin(np.asarray(x), d.x).all()


def _classes(module, has):
    import inspect

    return [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__.startswith("lab.") and has(c)]


def test_every_metric_transform_and_corrector_takes_a_keyword_only_key():
    """The three call protocols (``lab/metrics/base.py``, ``lab/transforms/__init__.py``,
    ``lab/transforms/correct.py``): metric ``(truth, model, params, *, key)``, transform
    ``(x, w, *, key, model, params, truth)``, corrector ``(x, *, key, truth)``; the same positional arguments for
    every class, and ``key`` keyword-only."""
    import inspect

    from lab.metrics import categorical, gaussian, grid, mixture, regression, samples
    from lab.sims import worlds
    from lab.transforms import correct, curate, histogram, verify

    def shape(cls):
        ps = list(inspect.signature(cls.__call__).parameters.values())[1:]
        return ([p.name for p in ps if p.kind == p.POSITIONAL_OR_KEYWORD],
                sorted(p.name for p in ps if p.kind == p.KEYWORD_ONLY))

    has_call = lambda c: "__call__" in vars(c)  # noqa: E731
    metrics = [c for m in (categorical, gaussian, grid, mixture, regression, samples)
               for c in _classes(m, lambda c: issubclass(c, lab.metrics.Metric) and has_call(c))]
    metrics += [worlds.DigitsFeatures, worlds.OfBase]
    transforms = [c for m in (correct, curate, histogram, verify) for c in _classes(m, lambda c: hasattr(c, "n_in"))]
    correctors = [lab.Ideal, lab.Langevin, lab.Project]
    assert len(metrics) >= 30 and len(transforms) == 4
    for cls in metrics:
        assert shape(cls) == (["truth", "model", "params"], ["key"]), cls.__name__
    for cls in transforms:
        assert shape(cls) == (["x", "w"], ["key", "model", "params", "truth"]), cls.__name__
    for cls in correctors:
        assert shape(cls) == (["x"], ["key", "truth"]), cls.__name__


def test_truths_sample_and_log_prob():
    gm = lab.GaussianMixture([0.3, 0.7], [[0.0, 0.0], [1.0, 2.0]], [np.eye(2), 2 * np.eye(2)])
    x = np.asarray(gm.sample(key=jax.random.key(0), n=5))
    from scipy.stats import multivariate_normal as mvn
    ref = np.log(0.3 * mvn(gm.means[0], gm.covs[0]).pdf(x) + 0.7 * mvn(gm.means[1], gm.covs[1]).pdf(x))
    np.testing.assert_allclose(gm.log_prob(jnp.asarray(x)), ref, rtol=1e-10)
    lm = lab.LinearModel([2.0], 0.5)
    # the residual y − 2x ~ N(0, 0.25): its mean square has SE 0.25·√(2/n) (χ²₁), 5 SE; n = 60 000 detects a 2.9 %
    # error in the noise variance (δ_min = 5·√(2/n))
    n = 60_000
    xy = lm.sample(key=jax.random.key(1), n=n)
    assert xy.shape == (n, 2)
    assert abs(float(jnp.mean((xy[:, 1] - 2 * xy[:, 0]) ** 2)) - 0.25) < 5 * 0.25 * np.sqrt(2 / n)
    moons = lab.two_moons(n=200, noise=0.05, key=0)
    assert moons.sample(key=jax.random.key(0), n=7).shape == (7, 2) and moons.describe()["shape"] == [200, 2]
