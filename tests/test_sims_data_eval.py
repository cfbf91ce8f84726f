"""SIMS data and evaluation (issue 6, items 2 and 4): digits, local .npz images, skewed subsets, 2-D mixtures;
the digits classifier, the Fréchet distance, precision/recall, class histograms, and the two entry points."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lab  # noqa: F401  (float64, devices)
from lab.metrics import gaussian_formulas
from lab import truths as data
from lab.sims import evaluate as ev


# --------------------------------------------------------------------------------------------------------------- data
def test_digits_scaling_shapes_and_labels():
    from sklearn.datasets import load_digits

    d, raw = data.digits(), load_digits()
    assert d.x.shape == (1797, 64) and d.x.dtype == np.float32 and d.images.shape == (1797, 8, 8)
    assert d.labels.dtype == np.int32 and set(np.unique(d.labels)) == set(range(10))
    assert np.array_equal(d.x, (raw.data / 8.0 - 1.0).astype(np.float32))  # v = 0..16 → v/8 − 1
    assert d.x.min() == -1.0 and d.x.max() == 1.0
    assert np.array_equal(d.images[5], d.x[5].reshape(8, 8))


def test_split_is_stratified_disjoint_and_keyed():
    labels = data.digits().labels
    tr, he = data.split(labels, 0.2, key=3)
    assert np.intersect1d(tr, he).size == 0 and np.array_equal(np.union1d(tr, he), np.arange(labels.size))
    for c in range(10):
        n_c = np.sum(labels == c)
        assert np.sum(labels[he] == c) == int(np.floor(0.2 * n_c + 0.5))
    tr2, he2 = data.split(labels, 0.2, key=3)
    assert np.array_equal(he, he2) and np.array_equal(tr, tr2)
    assert not np.array_equal(he, data.split(labels, 0.2, key=4)[1])
    with pytest.raises(ValueError, match="held_out"):
        data.split(labels, 1.0, key=0)


def test_load_npz_uint8_float_flat_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    fl = rng.random((3, 2, 2, 3))
    flat = rng.integers(0, 256, size=(4, 9)).astype(np.int64)
    np.savez(tmp_path / "u8.npz", u8)
    np.savez(tmp_path / "many.npz", images=fl, flat=flat, y=np.arange(4))
    a = data.load_npz(tmp_path / "u8.npz")
    assert a.shape == (4, 3) and a.x.shape == (5, 12) and a.x.dtype == np.float32
    assert np.allclose(a.images, 2 * u8.astype(np.float64) / 255.0 - 1, atol=1e-6) and a.labels is None
    b = data.load_npz(tmp_path / "many.npz", "images")
    assert b.shape == (2, 2, 3) and np.allclose(b.images, 2 * fl - 1, atol=1e-6)
    c = data.load_npz(tmp_path / "many.npz", key="flat", labels_key="y")
    assert c.shape == (3, 3) and np.array_equal(c.labels, np.arange(4))
    assert np.allclose(c.x, 2 * flat / 255.0 - 1, atol=1e-6)


@pytest.mark.parametrize("arrays, key, match", [
    (None, None, "path"),  # missing file
    ({"a": np.zeros((2, 3, 3)), "b": np.zeros((2, 3, 3))}, None, "key"),  # ambiguous
    ({"a": np.zeros((2, 3, 3))}, "nope", "key"),  # missing key
    ({"a": np.zeros(5)}, None, "shape"),  # 1-D
    ({"a": np.zeros((1, 2, 2, 2, 2))}, None, "shape"),  # 5-D
    ({"a": np.zeros((0, 3, 3))}, None, "non-empty"),
    ({"a": np.full((2, 3, 3), np.nan)}, None, "finite"),
    ({"a": np.full((2, 3, 3), 2.0)}, None, r"\[0, 1\]"),  # float outside [0, 1]: refused, not guessed
    ({"a": np.full((2, 3, 3), 300)}, None, "0..255"),
    ({"a": np.zeros((2, 3, 3), bool)}, None, "dtype"),
])
def test_load_npz_errors_name_the_parameter(tmp_path, arrays, key, match):
    path = tmp_path / "f.npz"
    if arrays is not None:
        np.savez(path, **arrays)
    with pytest.raises(ValueError, match=match) as info:
        data.load_npz(path, key)
    assert "path" in str(info.value) or "key" in str(info.value)


def test_largest_remainder_hand_value_and_errors():
    assert data.largest_remainder([0.5, 0.3, 0.2], 7).tolist() == [4, 2, 1]  # quotas 3.5, 2.1, 1.4
    assert data.largest_remainder([0.25, 0.25, 0.25, 0.25], 2).tolist() == [1, 1, 0, 0]  # ties to lower index
    for bad, name in (([0.5, 0.6], "proportions"), ([-0.1, 1.1], "proportions")):
        with pytest.raises(ValueError, match=name):
            data.largest_remainder(bad, 5)
    with pytest.raises(ValueError, match="n"):
        data.largest_remainder([1.0], -1)


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12), st.integers(0, 10_000))
def test_largest_remainder_sums_to_n_within_one(raw, n):
    p = np.asarray(raw) + 1e-3
    p = p / p.sum()
    counts = data.largest_remainder(p, n)
    assert counts.sum() == n and np.all(np.abs(counts - n * p) < 1.0)


def test_skewed_exact_counts_pairs_and_keys():
    d = data.digits()
    p = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.0])
    x, y = data.skewed(d.x, d.labels, p, n=333, key=1)
    assert x.shape == (333, 64) and np.array_equal(np.bincount(y, minlength=10), data.largest_remainder(p, 333))
    # every row is a real (image, label) pair of the data, each used once
    rows = {r.tobytes(): lab_ for r, lab_ in zip(d.x, d.labels)}
    assert all(rows[r.tobytes()] == lab_ for r, lab_ in zip(x, y)) and len({r.tobytes() for r in x}) == 333
    x2, y2 = data.skewed(d.x, d.labels, p, n=333, key=1)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not np.array_equal(y, data.skewed(d.x, d.labels, p, n=333, key=2)[1])
    assert not np.all(np.diff(y) >= 0)  # shuffled, not grouped by class
    with pytest.raises(ValueError, match="class 0"):
        data.skewed(d.x, d.labels, np.eye(10)[0], n=500, key=0)  # only ~178 zeros
    with pytest.raises(ValueError, match="labels"):
        data.skewed(d.x, d.labels, [0.5, 0.5], n=10, key=0)  # labels beyond 0..1
    with pytest.raises(ValueError, match="images"):
        data.skewed(d.x[:5], d.labels, p, n=10, key=0)


def test_ring_and_grid_mixtures():
    r = data.ring(8, 2.0, 0.1)
    assert r.components == 8 and np.allclose(np.linalg.norm(r.means, axis=1), 2.0)
    assert np.allclose(r.means[2], [0.0, 2.0]) and np.allclose(r.covs, 0.01 * np.eye(2))
    assert np.allclose(r.weights, 1 / 8)
    g = data.grid(3, 1.5, 0.2)
    assert g.components == 9 and np.allclose(g.means.mean(0), 0.0)
    assert sorted(set(np.round(g.means[:, 0], 9))) == [-1.5, 0.0, 1.5] and np.allclose(g.weights, 1 / 9)
    for fn, kwargs, name in ((data.ring, {"k": 0}, "k"), (data.ring, {"std": 0.0}, "std"),
                             (data.grid, {"spacing": -1.0}, "spacing")):
        with pytest.raises(ValueError, match=name):
            fn(**kwargs)


# ------------------------------------------------------------------------------------------------- Fréchet distance
def _with_exact_moments(z, mean, cov):
    """Rows whose sample mean and (1/(n−1)) covariance are exactly ``mean`` and ``cov`` (up to round-off)."""
    z = z - z.mean(0)
    L = np.linalg.cholesky(np.atleast_2d(np.cov(z, rowvar=False)))
    white = z @ np.linalg.inv(L).T
    return mean + white @ np.linalg.cholesky(cov).T


def _spd(rng, d, rank=None):
    a = rng.standard_normal((d, rank or d))
    return a @ a.T + (1e-3 * np.eye(d) if rank is None else 0.0)


def test_frechet_zero_for_identical_sets_and_matches_gaussian_w2():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((200, 5))
    assert ev.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-10)
    for d in (1, 3, 6):
        m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
        S1, S2 = _spd(rng, d), _spd(rng, d)
        x = _with_exact_moments(rng.standard_normal((300, d)), m1, S1)
        y = _with_exact_moments(rng.standard_normal((150, d)), m2, S2)
        w2 = float(gaussian_formulas.w2_sq(jnp.asarray(m1), jnp.asarray(S1), jnp.asarray(m2), jnp.asarray(S2)))
        assert ev.frechet_distance(x, y) == pytest.approx(w2, rel=1e-8, abs=1e-9)
        assert ev.frechet_distance(y, x) == pytest.approx(ev.frechet_distance(x, y), rel=1e-9, abs=1e-10)


@given(st.integers(1, 6), st.integers(0, 2**31 - 1), st.booleans())
def test_frechet_from_moments_symmetric_nonnegative_matches_w2(d, seed, singular):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
    S1 = _spd(rng, d, rank=max(1, d - 2) if singular else None)
    S2 = _spd(rng, d)
    fd12, fd21 = ev.frechet_from_moments(m1, S1, m2, S2), ev.frechet_from_moments(m2, S2, m1, S1)
    w2 = float(gaussian_formulas.w2_sq(jnp.asarray(m1), jnp.asarray(S1), jnp.asarray(m2), jnp.asarray(S2)))
    scale = 1.0 + np.trace(S1) + np.trace(S2)
    # a singular S1 has round-off eigenvalues ~ε·scale whose square roots (~√ε·scale each) enter the trace term
    tol = 10 * d * np.sqrt(np.finfo(float).eps) * scale if singular else 1e-9 * scale
    assert fd12 >= 0.0 and abs(fd12 - fd21) <= tol and abs(fd12 - w2) <= tol
    assert ev.frechet_from_moments(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-7 * scale)


def test_frechet_errors():
    with pytest.raises(ValueError, match="b"):
        ev.frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="rows"):
        ev.frechet_distance(np.zeros((1, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="cov_b"):
        ev.frechet_from_moments(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))


def test_class_histogram_and_tv():
    assert ev.class_histogram(np.array([0, 1, 1, 3]), 4).tolist() == [0.25, 0.5, 0.0, 0.25]
    assert ev.tv_histograms([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="labels"):
        ev.class_histogram(np.array([0, 10]))


# ------------------------------------------------------------------------------------------------------- classifier
@pytest.fixture(scope="session")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def clf(cache_root):
    return ev.digits_classifier(key=0, root=cache_root)


def _bits(c):
    return [np.asarray(a) for a in jax.tree.leaves(c.params)]


def test_classifier_same_key_same_bits_different_key_different_bits():
    d, cfg = data.digits(), ev.ClassifierConfig(steps=30)
    a, b = ev.train_classifier(d, key=7, config=cfg), ev.train_classifier(d, key=7, config=cfg)
    assert all(np.array_equal(u, v) for u, v in zip(_bits(a), _bits(b))) and a.accuracy == b.accuracy
    c = ev.train_classifier(d, key=8, config=cfg)
    assert not all(np.array_equal(u, v) for u, v in zip(_bits(a), _bits(c)))


def test_classifier_accuracy_and_cache_round_trip(clf, cache_root):
    assert clf.accuracy >= 0.95
    files = list((cache_root / "sims").glob("classifier-*.pkl"))
    assert len(files) == 1 and not list((cache_root / "sims").glob(".tmp-*"))
    again = ev.digits_classifier(key=0, root=cache_root)  # loaded from the file
    assert all(np.array_equal(u, v) for u, v in zip(_bits(clf), _bits(again))) and again.accuracy == clf.accuracy
    d = data.digits()
    assert clf.features(d.x[:7]).shape == (7, 64) and np.array_equal(clf.predict(d.images[:7]), clf.predict(d.x[:7]))
    with pytest.raises(ValueError, match="pixels"):
        clf.features(np.zeros((3, 10)))


def test_class_histogram_of_held_out_digits_within_error_rate(clf):
    # Each misclassified image moves 1/N of mass between two classes, so TV(predicted, true) <= error rate exactly.
    d = data.digits()
    _, held = data.split(d.labels, clf.config.held_out, key=jax.random.fold_in(jax.random.key(0), 0))
    hist_pred, hist_true = ev.class_histogram(clf.predict(d.x[held])), ev.class_histogram(d.labels[held])
    assert ev.tv_histograms(hist_pred, hist_true) <= 1.0 - clf.accuracy + 1e-12
    assert np.mean(clf.predict(d.x[held]) == d.labels[held]) == clf.accuracy


def test_frechet_real_vs_held_out_small_next_to_real_vs_noise(clf):
    d = data.digits()
    train, held = data.split(d.labels, 0.2, key=jax.random.fold_in(jax.random.key(0), 0))
    noise = np.asarray(jax.random.uniform(jax.random.key(1), (held.size, 64), minval=-1.0, maxval=1.0))
    fd_held = ev.frechet_distance(clf.features(d.x[train]), clf.features(d.x[held]))
    fd_noise = ev.frechet_distance(clf.features(d.x[train]), clf.features(noise))
    assert 0.0 < fd_held < fd_noise / 10.0  # an order of magnitude apart


def test_evaluate_digits(clf):
    d = data.digits()
    train, held = data.split(d.labels, 0.2, key=jax.random.fold_in(jax.random.key(0), 0))
    out = ev.evaluate_digits(d.x[held], d.images[train], classifier=clf, target=np.full(10, 0.1))
    assert out["fd"] == pytest.approx(ev.frechet_distance(clf.features(d.x[held]), clf.features(d.x[train])))
    assert out["n_samples"] == held.size and out["n_reference"] == train.size and out["clipped"] == 0.0
    assert out["hist"].shape == (10,) and out["hist"].sum() == pytest.approx(1.0)
    assert out["tv_target"] == pytest.approx(ev.tv_histograms(out["hist"], np.full(10, 0.1)))
    noise = np.asarray(jax.random.uniform(jax.random.key(2), (held.size, 64), minval=-1.5, maxval=1.5))
    bad = ev.evaluate_digits(noise, d.x[train], classifier=clf)
    assert bad["clipped"] > 0.2 and bad["fd"] > out["fd"] and bad["precision"] < out["precision"]
    assert "tv_target" not in bad
    with pytest.raises(ValueError, match="samples"):
        ev.evaluate_digits(np.full((10, 64), np.nan), d.x, classifier=clf)
    with pytest.raises(ValueError, match="target"):
        ev.evaluate_digits(d.x[:50], d.x, classifier=clf, target=np.full(10, 0.2))


# ------------------------------------------------------------------------------------------------------- toy (2-D)
def test_evaluate_toy_truth_samples_match_truth_and_shift_is_seen():
    truth = data.ring(8, 2.0, 0.1)
    x = np.asarray(truth.sample(key=jax.random.key(10), n=2000))
    out = ev.evaluate_toy(truth, x, key=jax.random.key(11), ot_samples=400, pr_samples=500)
    assert out == ev.evaluate_toy(truth, x, key=jax.random.key(11), ot_samples=400, pr_samples=500)  # same key, same values
    assert out["ot_samples"] == 400 and out["pr_samples"] == 500
    # nll and nll_truth are two independent means of −log p over 2000 truth draws: |difference| < 5 standard errors.
    sd = float(np.std(np.asarray(truth.log_prob(jnp.asarray(x)))))
    assert abs(out["nll"] - out["nll_truth"]) < 5 * sd * np.sqrt(2 / 2000)
    shifted = ev.evaluate_toy(truth, x + np.array([1.0, 0.0]), key=jax.random.key(11), ot_samples=400, pr_samples=500)
    # W2 >= distance between the two sets' means (Jensen) >= 1 − |difference of sample means|; the per-coordinate
    # standard deviation of the ring is radius/√2 ≈ 1.42, so 5 standard errors of the 2-D mean difference at m = 400
    # are ≤ 5·√2·1.42·√(2/400) ≈ 0.71.
    assert shifted["w2"] >= 1.0 - 0.71 and shifted["w2"] > out["w2"]
    assert shifted["nll"] > out["nll"] and shifted["precision"] < out["precision"]
    assert 0.0 <= out["w2_floor"] and 0.0 <= out["precision"] <= 1.0 and 0.0 <= out["recall"] <= 1.0


def test_evaluate_toy_errors():
    truth = data.grid(2, 1.0, 0.1)
    with pytest.raises(ValueError, match="samples"):
        ev.evaluate_toy(truth, np.zeros((10, 3)), key=0)
    with pytest.raises(ValueError, match="samples"):
        ev.evaluate_toy(truth, np.full((10, 2), np.inf), key=0)
    with pytest.raises(ValueError, match="ot_samples"):
        ev.evaluate_toy(truth, np.zeros((10, 2)), key=0, ot_samples=1)
