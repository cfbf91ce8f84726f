"""The SIMS studies' shared paired-comparison rule (studies._sims_common) on inputs with known answers."""
import numpy as np
import pytest
from scipy.stats import t

from studies import _sims_common as common


def test_quantile_is_students_with_bonferroni():
    assert common.t_quantile(3) == pytest.approx(t.ppf(0.95, 2))
    assert common.t_quantile(3, comparisons=7) == pytest.approx(t.ppf(1 - 0.05 / 7, 2))
    assert common.t_quantile(3, comparisons=7) > common.t_quantile(3)
    assert common.t_quantile(1) == np.inf  # one seed: no error estimate, nothing is significant


def test_paired_comparison_decides_by_the_lower_bound():
    a = np.array([1.0, 1.1, 0.9, 1.05])
    p = common.paired(a, a - 0.5)  # constant difference +0.5 with no spread: SE = 0
    assert p.mean == pytest.approx(0.5) and p.se == pytest.approx(0.0) and p.greater() and not p.less()
    d = np.array([0.1, -0.1, 0.12, -0.08])  # mean 0.01, SE ≈ 0.057: not significant either way
    p = common.paired(d, np.zeros(4))
    assert not p.greater() and not p.less()
    assert p.lower == pytest.approx(p.mean - t.ppf(0.95, 3) * d.std(ddof=1) / 2)
    assert not common.paired([0.3], [0.0]).greater()  # one seed


def test_equivalence_needs_evidence_for_a_small_drift():
    narrow = common.paired(np.array([0.01, 0.02, 0.015]), np.zeros(3))
    wide = common.paired(np.array([0.1, -0.1, 0.04]), np.zeros(3))
    big = common.paired(np.array([0.3, 0.31, 0.29]), np.zeros(3))
    assert common.equivalence(narrow, 0.07) == "holds"
    assert common.equivalence(wide, 0.07) == "inconclusive"
    assert common.equivalence(big, 0.07) == "MAD"


def test_best_index_skips_omega_zero_and_bad_input():
    v = np.array([[1.0, 2.0, 0.5], [1.0, 2.0, 0.7]])
    assert common.best_index(v, (0.0, 1.0, 2.0)) == 2
    assert common.best_index(v, (0.0, 1.0, 2.0), lower_is_better=False) == 1
    assert common.searched((0.0, 1.0, 2.0)) == 2
    with pytest.raises(ValueError, match="omegas"):
        common.best_index(v[:, :1], (0.0,))
    with pytest.raises(ValueError, match="a and b"):
        common.paired(np.zeros(3), np.zeros(2))
