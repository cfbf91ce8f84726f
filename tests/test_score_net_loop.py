"""Study score_net_loop: the 1-D grid TV against closed forms, the cell functions' shapes and finiteness, Fresh with
m = 0 against generation 0 (same law), the verdict's logic, and bad input."""
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
import pytest

import lab
from lab.truths import gaussian_log_prob
from lab.metrics.gaussian_formulas import tv_1d
from studies import score_net_loop as S

N01 = lab.Gaussian([0.0], [[1.0]])
TINY = dict(width=8, steps=60, batch=64, lr=1e-2, grid=81)  # a small, fast score network


@dataclass(frozen=True)
class _GaussModel:
    """A stand-in model with an exact 1-D Gaussian log_prob; params = (mean, sd)."""

    def log_prob(self, params, x):
        m, s = params
        return gaussian_log_prob(jnp.array([m]), jnp.array([[s**2]]), x)


@pytest.mark.parametrize("m, s", [(0.0, 1.0), (0.7, 1.0), (0.3, 0.5), (-1.0, 2.0)])
def test_grid_tv_matches_the_closed_form(m, s):
    """GridTV between N(0, 1) and N(m, s²) against the exact 1-D TV (``tv_1d``). Midpoint rule on 241 cells of [−6, 6]
    (h ≈ 0.05): on the smooth parts the error is ≤ (h²/24)·12·max|(p − q)''| ≤ 5e-4 (max |φ''| = 0.4 for unit scale,
    lower for s = 2, and s = 0.5 gives 8× but over a region of width ~3), plus ≤ h²·max|(p − q)'|/4 ≈ 2.5e-4 in each
    of the ≤ 2 cells holding a crossing (a kink of |p − q|); the model's mass outside [−6, 6] (0.006 for N(−1, 2²))
    enters exactly through the outside-mass term up to the truth's tail (< 1e-8). Bound asserted: 1e-3 (measured
    ≤ 5e-5)."""
    got = float(S.GridTV(points=241)(N01, _GaussModel(), (m, s), None))
    want = float(tv_1d(m, s, 0.0, 1.0))
    assert abs(got - want) < 1e-3, (got, want)


def test_grid_tv_counts_model_mass_outside_the_interval():
    """A model far outside [−6, 6] has TV 1 to N(0, 1): the outside-mass term supplies ½ of it."""
    assert float(S.GridTV()(N01, _GaussModel(), (20.0, 1.0), None)) == pytest.approx(1.0, abs=1e-6)


def _check_summary(res, generations):
    for k in ("mean", "se", "lo", "hi", "median"):
        v = np.asarray(res["tv"][k])
        assert v.shape == (generations + 1,) and np.all(np.isfinite(v)), (k, v)
    assert np.all((res["tv"]["lo"] >= 0) & (res["tv"]["hi"] <= 1)), res["tv"]


def test_tv_vs_m_cell_returns_finite_summaries_of_the_right_shape():
    """summarize() dict over generations 0…2, finite, TV in [0, 1]."""
    _check_summary(S.scorenet_tv_vs_m(n=20, m=10, generations=2, replicates=2, seed=0, **TINY), 2)


def test_replace_cell_returns_finite_summaries_of_the_right_shape():
    _check_summary(S.scorenet_tv_replace(n=20, generations=2, replicates=2, seed=0, **TINY), 2)


def test_fresh_without_synthetic_data_matches_generation_zero():
    """Fresh(n, 0): every generation fits n fresh real points, exactly generation 0's law, and generations are
    independent (fresh real draws, data-derived fit keys). So mean TV at generation t minus mean TV at generation 0 has
    expectation 0 and standard error √(se_0² + se_t²); asserted within 5 of them. A loop that leaked the previous
    model into the training set would move the later generations."""
    res = S.scorenet_tv_vs_m(n=40, m=0, generations=3, replicates=12, seed=3, **TINY)["tv"]
    mean, se = np.asarray(res["mean"]), np.asarray(res["se"])
    assert np.all(se > 0), se
    for t in range(1, 4):
        assert abs(mean[t] - mean[0]) < 5 * np.hypot(se[0], se[t]), (t, mean, se)


def _summary(values):
    return {"mean": np.asarray(values, float), "se": np.full(len(values), 0.01)}


def _fake(rise_replace, rise_other):
    out = {}
    for d in (1, 2):
        out[f"loop{d}d-Replace"] = {"tv": _summary([0.2, 0.2 + rise_replace])}
        for r in ("Augment", "Fresh"):
            out[f"loop{d}d-{r}"] = {"tv": _summary([0.2, 0.2 + rise_other])}
    return out


@pytest.mark.parametrize("rise_replace, rise_other, want", [(0.2, 0.01, True), (0.2, 0.1, False), (0.02, 0.0, False),
                                                            (0.2, -0.05, True)])
def test_verdict_logic(rise_replace, rise_other, want):
    """Supported iff Replace rises by > 3 SE (here SE = 0.01·√2) and the others rise by less than a third of it."""
    ok, why = S.verdict(_fake(rise_replace, rise_other), S.PRESETS["quick"])
    assert ok is want, why


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="synthetic"):
        S.scorenet_tv_vs_m(n=20, m=-1, generations=1, replicates=1, seed=0, **TINY)
    with pytest.raises(ValueError, match="real"):
        S.scorenet_tv_vs_m(n=0, m=5, generations=1, replicates=1, seed=0, **TINY)


def test_study_contract():
    """Presets are frozen configs; every cell is a module-level function with JSON-able kwargs and a unique name."""
    import json

    for name in ("quick", "full"):
        cs = S.cells(S.PRESETS[name])
        assert len({c.name for c in cs}) == len(cs)
        for c in cs:
            json.dumps(c.kwargs)
            assert getattr(S, c.fn.__name__) is c.fn
