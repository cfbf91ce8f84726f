"""Verification (THEORY C2): the exact infinite-sample bad-mass recursion of ``lab.theory.verification`` as the oracle
of the simulated categorical Replace loop with ``lab.Verify``.

Setting where the recursion is the right oracle: n = m = 10⁴ samples per generation and only 6 generations, so the
finite-sample ratio bias and the curvature of the map are O(t/m) ≈ 10⁻⁵, far below the replicate noise, and no state
is lost to fixation (the smallest kept state has ~10³ samples; Wright–Fisher fixation takes ~m generations).
Tolerance: 5 standard errors over replicates.

Power (tests/_power.py; NOT at 3 %): δ_min = 5·SE/|theory|, measured once at R = 60: the law and the bad mass detect
≈ 2–6 % for (tpr, fpr) = (0.5, 0.7), (0.6, 0.6), but for (0.9, 0.3) the bad mass vanishes (≈ 0.25·(1/3)^t) and its
relative δ_min reaches ≈ 50 % at t = 6: binomial noise √(b/N) over a mass b → 0 cannot resolve a relative error
without R ∝ 1/b. Raising R 5× would bring the first two to ≤ 3 %; left (each replicate is 6 × 10⁴ categorical draws)."""
import jax.numpy as jnp
import numpy as np
import pytest

import lab
from lab.theory import verification as V

Z = 5.0
P = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
GOOD = np.array([True, True, True, False, False])  # bad states 3, 4: b_0 = 0.25
N, T, R = 10_000, 6, 60


def _good(x):
    return jnp.asarray(GOOD)[x[:, 0]]


def _simulate(tpr, fpr, seed=0):
    ds = lab.simulate(lab.Categorical(P), lab.CategoricalFit(len(P)), lab.Replace(transforms=[lab.Verify(tpr, fpr, _good)]),
                      n=N, generations=T, replicates=R, key=seed, metrics=[])
    return ds["probs"].values


def test_closed_form_and_limits():
    b = V.bad_mass_trajectory(0.25, 0.9, 0.3, 40)
    t = np.arange(41)
    assert np.allclose(b, 0.25 * 0.3**t / (0.25 * 0.3**t + 0.75 * 0.9**t), rtol=1e-12)
    assert np.allclose(V.bad_mass_trajectory(0.25, 0.6, 0.6, 10), 0.25)
    assert V.bad_mass_trajectory(0.25, 0.3, 0.9, 200)[-1] > 1 - 1e-12
    assert V.bad_mass_trajectory(0.25, 0.9, 0.3, 200)[-1] < 1e-12
    assert np.allclose(V.law_trajectory(P, GOOD, 0.9, 0.3, 40)[:, ~GOOD].sum(1), b, rtol=1e-12)
    assert V.limit(0.25, [0.5, 0.5, 0.5], [0.4, 0.5, 0.6]).tolist() == [0.0, 0.25, 1.0]
    assert np.array_equal(V.boundary([0.2, 0.7]), [0.2, 0.7])
    with pytest.raises(ValueError):
        V.step(0.3, 0.0, 0.0)


@pytest.mark.parametrize("tpr,fpr", [(0.9, 0.3), (0.5, 0.7), (0.6, 0.6)])
def test_simulated_loop_follows_the_recursion(tpr, fpr):
    probs = _simulate(tpr, fpr)  # (replicate, generation, category)
    law = V.law_trajectory(P, GOOD, tpr, fpr, T)
    se = probs.std(0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(probs.mean(0) - law) <= Z * se + 1e-12)
    b = probs[..., ~GOOD].sum(-1)
    bse = b.std(0, ddof=1) / np.sqrt(R)
    theory = V.bad_mass_trajectory(P[~GOOD].sum(), tpr, fpr, T)
    assert np.all(np.abs(b.mean(0) - theory) <= Z * bse)
    # one-step: E[b_{t+1} | b_t] = f(b_t) up to O(1/m)
    resid = b[:, 1:] - V.step(b[:, :-1], tpr, fpr)
    assert np.all(np.abs(resid.mean(0)) <= Z * resid.std(0, ddof=1) / np.sqrt(R))


def test_perfect_rejection_of_bad_states_empties_them_at_once():
    probs = _simulate(0.8, 0.0, seed=1)
    assert np.all(probs[:, 1:][..., ~GOOD] == 0)
