"""Verification (THEORY C2): the exact infinite-sample bad-mass recursion of ``lab.theory.verification`` as the oracle
of the simulated categorical Replace loop with ``lab.Verify``.

Setting where the recursion is the right oracle: n = m = 10⁴ samples per generation and only 6 generations, so the
finite-sample ratio bias and the curvature of the map are O(t/m) ≈ 10⁻⁵, far below the replicate noise, and no state
is lost to fixation (the smallest kept state has ~10³ samples; Wright–Fisher fixation takes ~m generations).
Tolerance: 5 standard errors over replicates.

Power (tests/_power.py): δ_min = 5·SE/|theory| per category, generation and bad mass, SE the replicate sd/√R. The
fast test (R = 60) is not at 3 %; the slow variant runs R = 300 and asserts δ_min ≤ 3 % for (tpr, fpr) = (0.5, 0.7)
and (0.6, 0.6). Stated exception, (0.9, 0.3): the bad mass vanishes, b_t = b₀·0.3^t/(b₀·0.3^t + (1 − b₀)·0.9^t), and
the last generation's binomial draw alone gives Var(b̂_t) ≥ b_t(1 − b_t)/N, so δ_min(t) ≥ 5·√((1 − b_t)/(N·R·b_t)) —
growing like b_t^{−1/2}: a fixed relative power needs R ∝ 1/b_t (asserted above 3 % in tests/test_power_audit.py).
There the slow variant asserts 3 % for the law's good states only."""
import jax.numpy as jnp
import numpy as np
import pytest

import lab
from lab.theory import verification as V

from _power import TARGET, detectable_relative_error

Z = 5.0
P = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
GOOD = np.array([True, True, True, False, False])  # bad states 3, 4: b_0 = 0.25
N, T, R = 10_000, 6, 60


def _good(x):
    return jnp.asarray(GOOD)[x[:, 0]]


def _simulate(tpr, fpr, seed=0, replicates=R):
    ds = lab.simulate(lab.Categorical(P), lab.CategoricalFit(len(P)), lab.Replace(transforms=[lab.Verify(tpr, fpr, _good)]),
                      n=N, generations=T, replicates=replicates, key=seed, metrics=[])
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


def _check_recursion(tpr, fpr, reps, seed, power):
    probs = _simulate(tpr, fpr, seed=seed, replicates=reps)  # (replicate, generation, category)
    law = V.law_trajectory(P, GOOD, tpr, fpr, T)
    se = probs.std(0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(probs.mean(0) - law) <= Z * se + 1e-12)  # + 1e-12: generation 0's fixed law has sd 0
    b = probs[..., ~GOOD].sum(-1)
    bse = b.std(0, ddof=1) / np.sqrt(reps)
    theory = V.bad_mass_trajectory(P[~GOOD].sum(), tpr, fpr, T)
    assert np.all(np.abs(b.mean(0) - theory) <= Z * bse)
    # one-step: E[b_{t+1} | b_t] = f(b_t) up to O(1/m)
    resid = b[:, 1:] - V.step(b[:, :-1], tpr, fpr)
    assert np.all(np.abs(resid.mean(0)) <= Z * resid.std(0, ddof=1) / np.sqrt(reps))
    vanishing = theory[-1] < theory[0] / 10  # the (0.9, 0.3) exception: only the good states' law at 3 %
    cols = GOOD if vanishing else slice(None)
    delta = detectable_relative_error(se[1:, cols], law[1:, cols])
    if not vanishing:
        delta = max(delta, detectable_relative_error(bse[1:], theory[1:]))
    if power:
        assert delta <= TARGET


@pytest.mark.parametrize("tpr,fpr", [(0.9, 0.3), (0.5, 0.7), (0.6, 0.6)])
def test_simulated_loop_follows_the_recursion(tpr, fpr):
    _check_recursion(tpr, fpr, R, seed=0, power=False)


@pytest.mark.slow
@pytest.mark.parametrize("tpr,fpr", [(0.9, 0.3), (0.5, 0.7), (0.6, 0.6)])
def test_simulated_loop_follows_the_recursion_full_power(tpr, fpr):
    """R = 5·60: δ_min ≤ 3 % (asserted; the (0.9, 0.3) bad mass excepted, see the module docstring); fresh keys."""
    _check_recursion(tpr, fpr, 5 * R, seed=100, power=True)


def test_perfect_rejection_of_bad_states_empties_them_at_once():
    probs = _simulate(0.8, 0.0, seed=1)
    assert np.all(probs[:, 1:][..., ~GOOD] == 0)
