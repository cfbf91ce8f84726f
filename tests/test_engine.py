"""Engine contract: dataset layout, reproducibility, batching invariance, regime sizes, bad inputs."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lab

TRUTH = lab.Gaussian([0.0, 1.0], [[1.0, 0.3], [0.3, 2.0]])


def sim(**kw):
    args = dict(truth=TRUTH, model=lab.GaussianFit(), regime=lab.Replace(), n=20, generations=5, replicates=6, key=3,
                metrics=[lab.metrics.W2()])
    args.update(kw)
    t, m, r = args.pop("truth"), args.pop("model"), args.pop("regime")
    return lab.simulate(t, m, r, **args)


def test_dataset_layout():
    ds = sim()
    assert ds["mean"].dims == ("replicate", "generation", "dim")
    assert ds["cov"].shape == (6, 6, 2, 2) and ds["w2"].shape == (6, 6)
    assert list(ds["generation"].values) == list(range(6))
    assert ds.attrs["n"] == 20 and ds.attrs["replicates"] == 6 and "GaussianFit" in ds.attrs["model"]


def test_same_key_same_bits_different_key_different_bits():
    a, b, c = sim(key=5), sim(key=jax.random.key(5)), sim(key=6)
    assert np.array_equal(a["cov"].values, b["cov"].values) and np.array_equal(a["w2"].values, b["w2"].values)
    assert not np.array_equal(a["cov"].values, c["cov"].values)


@pytest.mark.parametrize("regime", [lab.Replace(), lab.Accumulate(), lab.AccumulateSubsample(),
                                    lab.Augment(synthetic=7), lab.Fresh(real=5, synthetic=9)])
def test_replicate_does_not_depend_on_batching(regime):
    """Replicate r's draws come from ``fold_in(key, r)`` alone, so its fits agree whatever the batching, to float64
    rounding (the README's Reproducibility guarantee): XLA:CPU may vectorise a batched reduction differently for
    another batch shape and instruction set, which moves the last bit (seen for Fresh on an AMD EPYC host, not on
    others). A broken rule would hand replicate r another replicate's draws and move every fit by O(1), ~10¹² times
    the tolerance."""
    full = sim(regime=regime, replicates=7, batch_size=3)
    part = sim(regime=regime, replicates=4, batch_size=4)
    one = sim(regime=regime, replicates=7, batch_size=7)
    np.testing.assert_allclose(full["cov"].values[:4], part["cov"].values, rtol=1e-12, atol=0)
    np.testing.assert_allclose(full["cov"].values, one["cov"].values, rtol=1e-12, atol=0)


def test_generation_zero_is_fit_on_real_data():
    ds = sim(generations=0, replicates=2)
    k0 = lab.keys.cell_key(lab.keys.replicate_key(jax.random.key(3), 1), 0)
    x = TRUTH.sample(key=lab.keys.stream(k0, lab.keys.REAL), n=20)
    p = lab.GaussianFit().fit(x, jnp.ones(20))
    assert np.allclose(ds["cov"].values[1, 0], p.cov) and np.allclose(ds["mean"].values[1, 0], p.mean)


def test_compile_mode_is_fast_for_small_closed_form_runs_only(monkeypatch):
    """``lab.loop.compile_mode``: a closed-form family's run below FAST_COMPILE_WORK compiles at XLA optimisation
    level 0, a larger one (or a network's) at XLA's default; LAB_XLA_OPTIMIZE forces one, and a bad value names it."""
    from lab import loop

    monkeypatch.delenv("LAB_XLA_OPTIMIZE", raising=False)
    small, large = loop.FAST_COMPILE_WORK / 10, loop.FAST_COMPILE_WORK * 10
    assert [loop.compile_mode(lab.GaussianFit(), w) for w in (small, large)] == ["fast", "full"]
    assert all(loop.compile_mode(m, small) == "fast" for m in (lab.KDE(), lab.CategoricalFit(3),
                                                                  lab.LinearRegressionFit()))
    assert loop.compile_mode(lab.MixtureFit(2), small) == "full" and loop.compile_mode(lab.ScoreNetDiffusion(4), small) == "full"
    monkeypatch.setenv("LAB_XLA_OPTIMIZE", "full")
    assert loop.compile_mode(lab.GaussianFit(), small) == "full"
    monkeypatch.setenv("LAB_XLA_OPTIMIZE", "fastest")
    with pytest.raises(ValueError, match="LAB_XLA_OPTIMIZE"):
        sim()


def test_fast_and_full_compilation_agree_to_float64_rounding(monkeypatch):
    """The same run compiled at XLA optimisation level 0 and at XLA's default: every fit and metric agrees to 1e-12
    relative (FMA contraction and vectorised sums move last bits only; a semantic difference would be O(1))."""
    runs = {}
    for mode in ("fast", "full"):
        monkeypatch.setenv("LAB_XLA_OPTIMIZE", mode)
        runs[mode] = sim(regime=lab.Augment(synthetic=7), metrics=[lab.metrics.W2(), lab.metrics.KL()])
    for name in runs["fast"].data_vars:
        np.testing.assert_allclose(runs["fast"][name].values, runs["full"][name].values, rtol=1e-12, atol=1e-14,
                                   err_msg=name)


def _training_set_sizes(n, m, t):
    real0 = jnp.ones((n, 1))
    cases = [(lab.Replace(synthetic=m), m), (lab.Accumulate(synthetic=m), n + t * m),
             (lab.AccumulateSubsample(synthetic=m), n), (lab.Augment(synthetic=m), n + m),
             (lab.Fresh(real=3, synthetic=m), 3 + m)]
    for regime, size in cases:
        plan = regime.plan(n, 5)
        state = regime.init(real0, plan)
        for s in range(1, t + 1):
            state = regime.step(state, jnp.ones((plan.real, 1)), jnp.ones((plan.synthetic, 1)),
                                jnp.ones(plan.synthetic), s, key=jax.random.key(s))
        x, w = regime.training_set(state)
        assert x.shape[0] == plan.buffer and float(w.sum()) == size, type(regime).__name__


@pytest.mark.parametrize("n, m, t", [(2, 1, 1), (7, 3, 4), (12, 9, 5)])
def test_regimes_training_set_sizes(n, m, t):
    _training_set_sizes(n, m, t)


@pytest.mark.slow  # every drawn (n, m, t) is a new shape for each eager op: ~50 CPU-s of small compilations
@given(st.integers(2, 12), st.integers(1, 9), st.integers(1, 5))
def test_regimes_training_set_sizes_any(n, m, t):
    _training_set_sizes(n, m, t)


def test_mean_only_keeps_covariance():
    ds = sim(model=lab.GaussianFit(mean_only=True, fixed_cov=TRUTH.cov))
    assert np.allclose(ds["cov"].values, TRUTH.cov)


@pytest.mark.parametrize("call, word", [
    (lambda: sim(n=1), "n"), (lambda: sim(n=-3), "n"), (lambda: sim(n=2.5), "n"),
    (lambda: sim(generations=-1), "generations"), (lambda: sim(replicates=0), "replicates"),
    (lambda: sim(key=-1), "key"), (lambda: sim(key="abc"), "key"), (lambda: sim(batch_size=0), "batch_size"),
    (lambda: lab.GaussianFit(sampling_bias=0.0), "sampling_bias"), (lambda: lab.GaussianFit(sampling_bias=1.5), "sampling_bias"),
    (lambda: lab.GaussianFit(sampling_bias=float("nan")), "sampling_bias"), (lambda: lab.GaussianFit(ddof=2), "ddof"),
    (lambda: lab.Gaussian([0.0, 0.0], [[1.0, 0.0], [0.0, -1.0]]), "cov"), (lambda: lab.Gaussian([0.0], [[1.0, 0.0]]), "cov"),
    (lambda: lab.Gaussian([0.0, 0.0], [[1.0]]), "cov"), (lambda: lab.Gaussian([np.inf], [[1.0]]), "mean"),
    (lambda: lab.Gaussian([0.0, 0.0], [[1.0, 0.5], [0.4, 1.0]]), "cov"),
    (lambda: lab.Replace(synthetic=0), "synthetic"), (lambda: lab.Augment(synthetic=-1), "synthetic"),
    (lambda: lab.Fresh(real=0, synthetic=3), "real"), (lambda: lab.Fresh(real=3, synthetic=-1), "synthetic"),
    (lambda: lab.AccumulateSubsample(size=0), "size"), (lambda: sim(regime=lab.AccumulateSubsample(size=50)), "size"),
    (lambda: sim(model=lab.GaussianFit(mean_only=True, fixed_cov=[[1.0]])), "fixed_cov"),
    (lambda: lab.metrics.KL("sideways"), "direction"),
])
def test_bad_inputs_raise_value_error_naming_parameter(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_objects_of_the_wrong_kind_raise_type_error_naming_parameter():
    """A truth, model or regime that is not one (an arbitrary object, None, a class instead of an instance) is a
    TypeError naming the argument (more cases in tests/test_robust.py)."""
    with pytest.raises(TypeError, match="truth"):
        sim(truth=object())


def test_families_holding_points_run_without_capacity():
    """The engine pads every training set to one size, so a KDE (whose params are its points) runs under any regime."""
    truth = lab.GaussianMixture(weights=[0.5, 0.5], means=[[-2.0], [2.0]], covs=[[[0.3]], [[0.3]]])
    for regime in (lab.Accumulate(), lab.Replace(synthetic=30), lab.Fresh(real=10, synthetic=20)):
        ds = lab.simulate(truth, lab.KDE(bandwidth=0.2), regime, n=50, generations=3, replicates=2, key=0, metrics=[])
        assert np.all(np.isfinite(ds["cov"].values))


class _Pair:
    """A metric with two values on one computation (``names``): W₂ and its square."""

    name = "pair"
    names = ("w2_once", "w2_squared")

    def __init__(self, out=None):
        self.out = out or self.names

    def describe(self):
        return {"name": self.name, "out": list(self.out)}

    def __call__(self, truth, model, params, *, key):
        w = lab.metrics.W2()(truth, model, params, key=key)
        return dict(zip(self.out, (w, w**2)))


def test_metric_with_several_names_gives_one_variable_each():
    ds = sim(metrics=[lab.metrics.W2(), _Pair()])
    assert ds["w2_once"].shape == (6, 6) and "pair" not in ds
    np.testing.assert_allclose(ds["w2_squared"].values, ds["w2_once"].values ** 2, rtol=1e-12)
    with pytest.raises(ValueError, match="distinct names"):
        sim(metrics=[_Pair(), _Pair()])
    with pytest.raises(ValueError, match="not its names"):
        sim(metrics=[_Pair(out=("a", "b"))])
