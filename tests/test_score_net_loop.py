"""Study score_net_loop (loaded by its folder; its metric ``lab.metrics.GridTV`` is tested in test_grid_tv.py) and its
N(0, 1) runners ``lab.scorenet_runs``: the cell functions' shapes and finiteness, Fresh with m = 0 against generation 0
(same law), the verdict's logic, and bad input."""
import numpy as np
import pytest

from lab import registry
from lab import scorenet_runs as R

S = registry.load("score_net_loop")

TINY = dict(width=8, steps=60, batch=64, lr=1e-2, grid=81)  # a small, fast score network


def _check_summary(res, generations):
    for k in ("mean", "se", "lo", "hi", "median"):
        v = np.asarray(res["tv"][k])
        assert v.shape == (generations + 1,) and np.all(np.isfinite(v)), (k, v)
    assert np.all((res["tv"]["lo"] >= 0) & (res["tv"]["hi"] <= 1)), res["tv"]


def test_tv_vs_m_cell_returns_finite_summaries_of_the_right_shape():
    """summarize() dict over generations 0…2, finite, TV in [0, 1]."""
    _check_summary(R.scorenet_tv_vs_m(n=20, m=10, generations=2, replicates=2, seed=0, **TINY), 2)


def test_replace_cell_returns_finite_summaries_of_the_right_shape():
    _check_summary(R.scorenet_tv_replace(n=20, generations=2, replicates=2, seed=0, **TINY), 2)


def test_fresh_without_synthetic_data_matches_generation_zero():
    """Fresh(n, 0): every generation fits n fresh real points, exactly generation 0's law, and generations are
    independent (fresh real draws, data-derived fit keys). So mean TV at generation t minus mean TV at generation 0 has
    expectation 0 and standard error √(se_0² + se_t²); asserted within 5 of them. A loop that leaked the previous
    model into the training set would move the later generations."""
    res = R.scorenet_tv_vs_m(n=40, m=0, generations=3, replicates=12, seed=3, **TINY)["tv"]
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
                                                            (0.2, -0.05, True), (0.2, 0.06, None)])
def test_verdict_logic(rise_replace, rise_other, want):
    """Supported iff Replace rises by > 3 SE (here SE = 0.01·√2) and the others rise by less than a third of it by
    more than 1 SE of the difference; within 1 SE of the third (0.06 vs 0.067, 0.45 SE): inconclusive."""
    v = S.summary(_fake(rise_replace, rise_other), S.PRESETS["quick"])["verdict"]
    assert v.ok is want, str(v)
    assert S.verdict(_fake(rise_replace, rise_other), S.PRESETS["quick"])[0] is want


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="synthetic"):
        R.scorenet_tv_vs_m(n=20, m=-1, generations=1, replicates=1, seed=0, **TINY)
    with pytest.raises(ValueError, match="real"):
        R.scorenet_tv_vs_m(n=0, m=5, generations=1, replicates=1, seed=0, **TINY)


def test_study_contract():
    """Presets are frozen configs; every cell is a module-level function with JSON-able kwargs and a unique name."""
    import json

    for name in ("quick", "full"):
        cs = S.cells(S.PRESETS[name])
        assert len({c.name for c in cs}) == len(cs)
        for c in cs:
            json.dumps(c.kwargs)
            assert getattr(S, c.fn.__name__) is c.fn
