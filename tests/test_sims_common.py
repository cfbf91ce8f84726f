"""The SIMS studies' shared paired-comparison rule (studies/_sims_common.py): constructed inputs with known answers."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from studies import _sims_common as C
from studies import sims_toy


def test_paired_mean_se_and_quantile():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 1.0, 2.0, 3.5])
    p = C.paired(a, b)
    d = a - b
    assert p.mean == pytest.approx(d.mean()) and p.se == pytest.approx(d.std(ddof=1) / 2)
    assert p.n == 4 and p.q == pytest.approx(stats.t.ppf(0.95, 3)) and p.q == pytest.approx(2.353, abs=1e-3)
    assert p.lower == pytest.approx(p.mean - p.q * p.se) and p.upper == pytest.approx(p.mean + p.q * p.se)
    # the t statistic agrees with scipy's one-sided paired test
    res = stats.ttest_rel(a, b, alternative="greater")
    assert p.t == pytest.approx(res.statistic) and p.greater() == (res.pvalue < 0.05)


def test_t_test_rejects_and_accepts_known_cases():
    # d = (1.0, 1.1, 0.9): mean 1, SE 0.0577, 2 df, q = 2.92: lower bound 0.83 > 0, rejects
    assert C.paired([2.0, 2.1, 1.9], [1.0, 1.0, 1.0]).greater()
    # d = (1, −0.5, 0.8): mean 0.43, SE 0.47: lower bound < 0, accepts (no significant gain)
    p = C.paired([1.0, -0.5, 0.8], [0.0, 0.0, 0.0])
    assert not p.greater() and not p.less() and p.mean > 0
    # the other side
    assert C.paired([0.0, 0.0, 0.0], [2.0, 2.1, 1.9]).less()
    # t = 3 with 2 df: p = 0.048 one-sided, significant at 0.05 alone, not after a Bonferroni over 2
    d = np.array([1.0, 2.0, 3.0]) - 2.0 + 3.0 / np.sqrt(3.0)  # mean √3, SE 1/√3: t = 3
    assert C.paired(d, np.zeros(3)).t == pytest.approx(3.0)
    assert C.paired(d, np.zeros(3)).greater() and not C.paired(d, np.zeros(3), comparisons=2).greater()


def test_bonferroni_changes_the_quantile_as_stated():
    for n, m in ((2, 5), (3, 7), (8, 4)):
        assert C.t_quantile(n, 0.05, m) == pytest.approx(stats.t.ppf(1 - 0.05 / m, n - 1))
    assert C.t_quantile(2, 0.05, 1) == pytest.approx(6.314, abs=1e-3)
    assert C.t_quantile(2, 0.05, 4) == pytest.approx(25.452, abs=1e-3)
    assert C.t_quantile(3, 0.05, 7) > C.t_quantile(3, 0.05, 1)
    p = C.paired([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], comparisons=7)
    assert p.comparisons == 7 and "0.05 / 7 (Bonferroni)" in p.level() and "2 df" in p.level()


def test_one_seed_is_never_significant_nor_equivalent():
    p = C.paired([5.0], [0.0])
    assert np.isnan(p.se) and p.q == np.inf and p.lower == -np.inf and p.upper == np.inf
    assert not p.greater() and not p.less() and not p.below(100.0)
    assert C.equivalence(p, 1.0) == "inconclusive" and "one seed" in p.level()


def test_equivalence_holds_mad_inconclusive():
    # narrow and small: upper bound 0.01 + 2.92 · 0.0058 = 0.027 < 0.07
    assert C.equivalence(C.paired([0.0, 0.01, 0.02], [0.0, 0.0, 0.0]), 0.07) == "holds"
    # wide (the reviewer's case: +0.012 ± 0.073 over 3 seeds): upper bound ≈ 0.23 > 0.07, lower < 0
    wide = C.paired([0.012 - 0.126, 0.012, 0.012 + 0.126], [0.0, 0.0, 0.0])
    assert wide.se == pytest.approx(0.0727, abs=1e-3)
    assert C.equivalence(wide, 0.07) == "inconclusive"
    # clear rise: lower bound > 0 and above the margin
    assert C.equivalence(C.paired([0.2, 0.21, 0.22], [0.0, 0.0, 0.0]), 0.07) == "MAD"
    # no margin (no reference drift): never "holds"
    assert C.equivalence(C.paired([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]), 0.0) == "inconclusive"


def test_best_index_table_settings():
    om = (0.0, 0.5, 1.0)
    v = np.array([[1.0, 0.2, 0.5], [1.0, 0.4, 0.3]])  # means 1, 0.3, 0.4
    assert C.best_index(v, om) == 1 and C.best_index(v, om, lower_is_better=False) == 2
    assert C.best_index(np.array([[0.0, 0.5, 0.1]]), om) == 2 and C.searched(om) == 2
    with pytest.raises(ValueError, match="omegas"):
        C.best_index(v[:, :1], (0.0,))
    res = {"a": {"metrics": {"0.0": {"x": 1}, "0.5": {"x": 2}}}, "b": {"metrics": {"0.0": {"x": 3}, "0.5": {"x": 4}}}}
    assert C.table(res, ["a", "b"], (0, 0.5), "x").tolist() == [[1, 2], [3, 4]]
    s = C.settings_of(sims_toy.Config(), ("seeds", "seed"))
    assert "seeds" not in s and "seed" not in s and s["n"] == 2000
    with pytest.raises(ValueError, match="a and b"):
        C.paired([1.0, 2.0], [1.0])


def test_toy_truth_is_the_ring_and_omegas_start_at_zero():
    from lab import truths as data

    a, b = sims_toy.truth(8, 4.0, 0.15), data.ring(8, 4.0, 0.15)
    for f in ("weights", "means", "covs"):
        np.testing.assert_array_equal(np.asarray(getattr(a, f)), np.asarray(getattr(b, f)))
    with pytest.raises(ValueError, match="omegas"):
        sims_toy.Config(omegas=(0.5, 0.0, 1.0))


def test_toy_verdict_on_hand_made_results():
    cfg = replace(sims_toy.Config(), omegas=(0.0, 1.0), seeds=3)
    nll = np.array([[2.0, 1.5], [2.1, 1.62], [1.9, 1.38]])  # gain 0.5, 0.48, 0.52: t = 43 > q(0.95, 2) = 2.92
    w2 = np.array([[0.7, 0.7], [0.8, 0.8], [0.6, 0.6]])
    res = {"sweep": {"omegas": [0.0, 1.0], "metrics": {"nll": nll, "w2": w2, "precision": w2, "recall": w2}}}
    ok, text = sims_toy.verdict(res, cfg)
    assert ok and text.count("SUPPORTED") == 1 and "2 df" in text
    res["sweep"]["metrics"]["w2"] = w2 + np.array([[0.0, 0.3], [0.0, 0.31], [0.0, 0.29]])  # W₂ significantly worse
    ok, text = sims_toy.verdict(res, cfg)
    assert not ok and "W₂ significantly worse" in text
