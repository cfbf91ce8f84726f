"""``lab.metrics.GridTV``: TV between 1-D laws by quadrature, against the exact Gaussian TV (``tv_1d``), both rules."""
from dataclasses import dataclass

import jax.numpy as jnp
import pytest

import lab
from lab.truths import gaussian_log_prob
from lab.metrics import GridTV
from lab.metrics.gaussian_formulas import tv_1d

N01 = lab.Gaussian([0.0], [[1.0]])


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
    got = float(GridTV(points=241)(N01, _GaussModel(), (m, s), key=None))
    want = float(tv_1d(m, s, 0.0, 1.0))
    assert abs(got - want) < 1e-3, (got, want)


def test_grid_tv_counts_model_mass_outside_the_interval():
    """A model far outside [−6, 6] has TV 1 to N(0, 1): the outside-mass term supplies ½ of it."""
    assert float(GridTV()(N01, _GaussModel(), (20.0, 1.0), key=None)) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("m, s", [(0.0, 1.0), (0.7, 1.0), (0.3, 0.5), (-1.0, 2.0)])
def test_grid_tv_trapezoid_rule_matches_the_closed_form(m, s):
    """The trapezoid rule on 256 nodes of [−7, 7] (Δx = 0.055): 1 − ∫ min(p*, q). Outside the grid min(p*, q) ≤ p*, so
    the truncation error is at most the truth's outside mass (2.6e−12); the trapezoid error is (14/12)·Δx²·max|min''|
    on the smooth parts (≤ 3.5e-3·max|q''|, max|q''| ≤ 3.2 for s = 0.5 but over a width ~2 only) plus O(Δx²·|(p − q)'|)
    at each of ≤ 2 kinks. Bound asserted: 5e-3 (measured ≤ 6e-5)."""
    got = float(GridTV(-7.0, 7.0, points=256, rule="trapezoid")(N01, _GaussModel(), (m, s), key=None))
    assert abs(got - float(tv_1d(m, s, 0.0, 1.0))) < 5e-3


@pytest.mark.parametrize("kw, name", [(dict(lo=1.0, hi=1.0), "lo"), (dict(points=1), "points"),
                                      (dict(rule="simpson"), "rule")])
def test_grid_tv_bad_input_names_the_parameter(kw, name):
    with pytest.raises(ValueError, match=name):
        GridTV(**kw)
