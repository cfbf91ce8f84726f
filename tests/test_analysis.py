"""lab.analysis: the paired rule, equivalence, agreement in standard errors, slope fits, Verdict, sweep, plot helpers;
constructed inputs with known answers (scipy as the oracle where it computes the same thing)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from lab import analysis as C
from lab.sims import suite


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
    with pytest.raises(ValueError, match="values"):
        C.best_index(v, (0.0, 0.5))
    with pytest.raises(ValueError, match="a and b"):
        C.paired([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="alpha"):
        C.paired([1.0, 2.0], [1.0, 0.0], alpha=1.5)
    with pytest.raises(ValueError, match="comparisons"):
        C.t_quantile(3, 0.05, 0)


def test_suite_table_and_settings():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Cfg:
        n: int = 2000
        seed: int = 0
        seeds: int = 3

    res = {"a": {"metrics": {"0.0": {"x": 1}, "0.5": {"x": 2}}}, "b": {"metrics": {"0.0": {"x": 3}, "0.5": {"x": 4}}}}
    assert suite.table(res, ["a", "b"], (0, 0.5), "x").tolist() == [[1, 2], [3, 4]]
    assert suite.settings_of(Cfg(), ("seeds", "seed")) == {"n": 2000}
    with pytest.raises(ValueError, match="drop"):
        suite.settings_of(Cfg(), ("shares",))
    assert suite.chunks(range(5), 2) == [[0, 1], [2, 3], [4]]
    assert suite.per_seed({"seeds_0-1": {"seed_0": 1, "seed_1": 2}, "seed_2": 3}) == {"seed_0": 1, "seed_1": 2,
                                                                                      "seed_2": 3}




def test_one_sided_t_bound_has_its_stated_coverage():
    """Under H0 (paired differences N(0, 1), S = 5 seeds), "greater" fires with probability α/m: 4000 draws, the count
    within 5 binomial standard errors of 4000·α/m, and the decision equals scipy's ttest_rel p < α/m on every draw.
    Power: the count alone detects a relative rate error of 5·√((1 − r)/(4000 r)), 34 % (m = 1) to 70 % (m = 4) —
    not 3 %, and not needed: the draw-by-draw equality with scipy's exact t test is what pins the rate; the count
    guards against both being wrong together at gross levels."""
    rng = np.random.default_rng(0)
    trials, S = 4000, 5
    for m in (1, 4):
        a, b = rng.normal(size=(trials, S)), np.zeros((trials, S))
        hits = np.array([C.paired(a[i], b[i], comparisons=m).greater() for i in range(trials)])
        p = stats.ttest_rel(a, b, axis=1, alternative="greater").pvalue
        assert np.array_equal(hits, p < 0.05 / m)
        rate = 0.05 / m
        assert abs(hits.sum() - trials * rate) < 5 * np.sqrt(trials * rate * (1 - rate))


def test_agreement_at_known_values():
    a = C.agreement([1.0, 2.0, 3.0], [0.1, 0.5, 1.0], [1.2, 2.0, -2.0])
    np.testing.assert_allclose(a.z, [-2.0, 0.0, 5.0])
    assert a.ok and a.worst == pytest.approx(5.0) and a.k == 5.0
    assert not C.agreement([1.0, 2.0, 3.0], [0.1, 0.5, 1.0], [1.2, 2.0, -2.0], k=4.9).ok
    zero = C.agreement([1.0, 2.0], 0.0, [1.0, 2.5])  # zero SE: equal is 0 SE away, different is infinitely far
    assert zero.z[0] == 0 and zero.z[1] == -np.inf and not zero.ok
    assert C.agreement(np.ones((3, 4)), 0.1, np.ones(4)).z.shape == (3, 4)
    assert C.agreement([1.0], [0.1], [1.0]).to_dict() == {"k": 5.0, "worst_z": 0.0, "agree": True, "points": 1}
    for kw, name in ((dict(k=0.0), "k"), (dict(sim_se=[-1.0, 1.0]), "sim_se"), (dict(theory=[1.0, 2.0, 3.0]), "broadcast")):
        args = dict(sim_mean=[1.0, 2.0], sim_se=[0.1, 0.1], theory=[1.0, 2.0]) | kw
        with pytest.raises(ValueError, match=name):
            C.agreement(**args)


def test_slope_fit_matches_scipy_linregress():
    rng = np.random.default_rng(1)
    x = np.arange(12.0)
    y = 0.3 - 0.7 * x + rng.normal(size=12)
    f, ref = C.slope_fit(x, y), stats.linregress(x, y)
    assert f.slope == pytest.approx(ref.slope, rel=1e-12) and f.intercept == pytest.approx(ref.intercept, rel=1e-12)
    assert f.se == pytest.approx(ref.stderr, rel=1e-10) and f.n == 12
    assert f.slope == np.polyfit(x, y, 1)[0]  # bit for bit the studies' np.polyfit slopes
    exact = C.slope_fit([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])
    assert exact.slope == pytest.approx(2.0) and exact.se == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(C.slope_fit([0.0, 1.0], [0.0, 1.0]).se)
    with pytest.raises(ValueError, match="x and y"):
        C.slope_fit([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="distinct"):
        C.slope_fit([1.0, 1.0, 1.0], [0.0, 1.0, 2.0])


def test_verdict_status_rule_details():
    v = C.Verdict.of(True, "paired one-sided t, α = 0.05, Bonferroni m = 4", gain=0.1234567, seeds=3)
    assert v.status == "SUPPORTED" and v.ok is True
    assert str(v) == "SUPPORTED (paired one-sided t, α = 0.05, Bonferroni m = 4): gain = 0.1235, seeds = 3"
    assert v.to_dict() == {"status": "SUPPORTED", "rule": "paired one-sided t, α = 0.05, Bonferroni m = 4",
                           "details": {"gain": 0.1234567, "seeds": 3}}
    assert C.Verdict.of(None, "equivalence").status == "INCONCLUSIVE" and C.Verdict.of(None, "r").ok is None
    assert C.Verdict.of(False, "r").ok is False and "\n" not in str(C.Verdict.of(False, "r"))
    assert [C.verdict_word(o) for o in (True, False, None)] == list(C.STATUSES)
    with pytest.raises(ValueError, match="status"):
        C.Verdict("PROBABLY", "r")
    with pytest.raises(ValueError, match="rule"):
        C.Verdict("SUPPORTED", " ")
    with pytest.raises(ValueError, match="details"):
        C.Verdict("SUPPORTED", "r", [1])


def test_sweep_coords_shapes_and_order():
    calls = []

    def fn(seed, omega):
        calls.append((seed, omega))
        return {"x": seed + 10 * omega, "curve": np.arange(4.0) * seed, "grid": np.zeros((2, 3))}

    ds = C.sweep(fn, dims={"curve": ("generation",)}, seed=[0, 1, 2], omega=[0.0, 0.5])
    assert calls == [(s, w) for s in (0, 1, 2) for w in (0.0, 0.5)]  # row-major, last axis fastest
    assert ds["x"].dims == ("seed", "omega") and ds["x"].shape == (3, 2)
    assert ds["curve"].dims == ("seed", "omega", "generation") and ds["curve"].shape == (3, 2, 4)
    assert ds["grid"].dims == ("seed", "omega", "dim_0", "dim_1")
    assert ds["seed"].values.tolist() == [0, 1, 2] and ds["omega"].values.tolist() == [0.0, 0.5]
    assert float(ds["x"].sel(seed=2, omega=0.5)) == 7.0 and ds["curve"].sel(seed=2, omega=0.0).values.tolist() == [0, 2, 4, 6]
    with pytest.raises(ValueError, match="axes"):
        C.sweep(fn)
    with pytest.raises(ValueError, match="axis seed"):
        C.sweep(fn, seed=[], omega=[0.0])
    with pytest.raises(ValueError, match="distinct"):
        C.sweep(fn, seed=[1, 1], omega=[0.0])
    with pytest.raises(ValueError, match="fn"):
        C.sweep(lambda seed: seed, seed=[0])
    with pytest.raises(ValueError, match="shape"):
        C.sweep(lambda seed: {"v": np.zeros(seed + 1)}, seed=[0, 1])
    with pytest.raises(ValueError, match="dims"):
        C.sweep(lambda seed: {"v": np.zeros(2)}, dims={"v": ("a", "b")}, seed=[0])
    with pytest.raises(ValueError, match="dims"):
        C.sweep(lambda seed: {"u": np.zeros(2), "v": np.zeros(3)}, seed=[0])


def test_plot_helpers_take_an_ax_and_return_it():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import lab.plotting

    samples = np.arange(20.0).reshape(5, 4)
    s = C.summarize(samples)
    np.testing.assert_allclose(s["mean"], samples.mean(0))
    np.testing.assert_allclose(s["se"], samples.std(0, ddof=1) / np.sqrt(5))
    assert np.all(s["lo"] <= s["median"]) and np.all(s["median"] <= s["hi"]) and s["replicates"] == 5
    fig, ax = plt.subplots()
    assert C.band(ax, np.arange(4), s, label="sim") is ax and len(ax.lines) == 1 and len(ax.collections) == 1
    assert C.theory(ax, np.arange(4), np.ones(4)) is ax and ax.lines[-1].get_linestyle() == "--"
    with pytest.raises(ValueError, match="summary"):
        C.band(ax, np.arange(4), {"mean": s["mean"]}, label="x")
    with pytest.raises(ValueError, match="x must be"):
        C.theory(ax, np.arange(4), np.ones(3))
    with pytest.raises(ValueError, match="q"):
        C.summarize(samples, q=(0.9, 0.1))
    plt.close(fig)
    assert lab.plotting.band is C.band and lab.plotting.summarize is C.summarize  # the former home re-exports
