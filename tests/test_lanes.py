"""``lab.lanes``: one compiled loop for many (real, synthetic, fresh) lanes reproduces ``lab.simulate`` under the
matching regime (same keys, zero-weight rows inert), shares its compilation across lanes, and refuses bad input."""
import numpy as np
import pytest

import lab
from lab import lanes as L
from lab.metrics.grid import GridTV

TRUTH = lab.Gaussian([0.0], [[1.0]])


def _engine(model, metric, regime, n, seed, generations=3, replicates=6):
    ds = lab.simulate(TRUTH, model, regime, n=n, generations=generations, replicates=replicates, key=seed,
                      metrics=[metric])
    return ds[metric.name].values


@pytest.mark.parametrize("model, metric", [
    (lab.GaussianFit(ddof=1), lab.metrics.TV()),
    (lab.KDE("scott", scale=1.0), GridTV(-7.0, 7.0, points=128, rule="trapezoid")),
])
def test_lanes_match_the_engine_for_deterministic_fits(model, metric):
    """Augment(m), Fresh(n, m) and Replace as lanes of one program with capacity above every m: the same TV as
    lab.simulate up to the rounding of the fits' weighted sums (rtol 1e-9; a different draw would differ at O(1))."""
    n, cap = 10, 40
    lanes = [L.Lane.augment(n, 5, seed=1), L.Lane.fresh_data(n, 40, seed=2), L.Lane.fresh_data(n, 0, seed=2),
             L.Lane.replace(n, seed=3)]
    got = L.run(TRUTH, model, metric, lanes, n=n, capacity=cap, generations=3, replicates=6, batch=7)
    want = [_engine(model, metric, lab.Augment(synthetic=5), n, 1), _engine(model, metric, lab.Fresh(n, 40), n, 2),
            _engine(model, metric, lab.Fresh(n, 0), n, 2), _engine(model, metric, lab.Replace(), n, 3)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


@pytest.mark.slow  # three network loops compiled (two by the engine): about a CPU-minute
def test_a_network_lane_matches_the_engine():
    """The score network (float32 training): a lane draws the same minibatches from its padded buffer as the engine
    from its own, and the sampler's per-sample seeds give the same synthetic rows, so the TVs agree up to float32
    rounding carried through a short training (1e-4 absolute: a different minibatch stream or synthetic draw moves
    a TV by O(0.01) here)."""
    model = lab.ScoreNetDiffusion(8, steps=60, batch=64, sample_steps=16)
    metric = GridTV(-6.0, 6.0, points=81)
    n = 20
    got = L.run(TRUTH, model, metric, [L.Lane.fresh_data(n, 10, seed=4), L.Lane.augment(n, 30, seed=5)], n=n,
                capacity=30, generations=2, replicates=2, batch=4)
    np.testing.assert_allclose(got[0], _engine(model, metric, lab.Fresh(n, 10), n, 4, 2, 2), atol=1e-4)
    np.testing.assert_allclose(got[1], _engine(model, metric, lab.Augment(synthetic=30), n, 5, 2, 2), atol=1e-4)


def test_one_compilation_serves_every_lane_and_chunk():
    """Two calls with different lanes, counts and chunking reuse the one program of their configuration."""
    model, metric = lab.GaussianFit(), lab.metrics.TV()
    L.run(TRUTH, model, metric, [L.Lane.augment(8, 3, seed=0)], n=8, capacity=16, generations=2, replicates=5, batch=4)
    before = len(L._PROGRAMS)
    fn = L._program(TRUTH, model, metric, 8, 16, 2)
    size = fn._cache_size()
    L.run(TRUTH, model, metric, [L.Lane.fresh_data(8, 16, seed=1), L.Lane.replace(8, seed=2)], n=8, capacity=16,
          generations=2, replicates=3, batch=4)
    assert len(L._PROGRAMS) == before and fn._cache_size() == size


def test_bad_input_names_the_argument():
    model, metric = lab.GaussianFit(), lab.metrics.TV()
    kw = dict(n=8, capacity=16, generations=2, replicates=2, batch=4)
    with pytest.raises(ValueError, match="synthetic"):
        L.run(TRUTH, model, metric, [L.Lane.augment(8, 17, seed=0)], **kw)
    with pytest.raises(ValueError, match="real"):
        L.run(TRUTH, model, metric, [L.Lane(9, 3, True, seed=0)], **kw)
    with pytest.raises(ValueError, match="lanes"):
        L.run(TRUTH, model, metric, [], **kw)
    with pytest.raises(TypeError, match="lanes"):
        L.run(TRUTH, model, metric, [(8, 3, True, 0)], **kw)
    with pytest.raises(ValueError, match="capacity"):
        L.run(TRUTH, model, metric, [L.Lane.augment(8, 0, seed=0)], **dict(kw, capacity=0))


def test_network_lane_bad_input_names_the_argument():
    from lab import scorenet_runs as R

    kw = dict(n=20, capacity=10, generations=1, replicates=1, seed=0, width=8, steps=10)
    with pytest.raises(ValueError, match="setting"):
        R.n01_lane("both", m=5, **kw)
    with pytest.raises(ValueError, match="m must be >= 1"):
        R.n01_lane("fixed", m=0, **kw)
    with pytest.raises(ValueError, match="synthetic"):
        R.n01_lane("fresh", m=11, **kw)
