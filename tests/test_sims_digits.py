"""Smoke and unit tests of the SIMS digits studies (studies/sims_digits.py, studies/sims_shift.py) at tiny budgets."""
from __future__ import annotations

import numpy as np
import pytest

from lab import registry
from lab.sims import selection, suite, worlds

SD = registry.load("sims_digits")
SS = registry.load("sims_shift")

TINY = dict(width=32, depth=1, base_steps=20, batch=32, lr=2e-3, ema_decay=0.99, aux_steps=5, aux_lr=5e-4,
            n_synthetic=40, omegas=[0.0, 1.0], n_samples=30, sampler_steps=3, held_out=0.2)


@pytest.fixture(scope="module")
def digits_run():
    return SD.run_seed(seed=0, keep=8, **TINY)


@pytest.fixture(scope="module")
def shift_run():
    return SS.run_seed(seed=0, skew=3.0, n_train=100, n_pool=60, **TINY)


@pytest.mark.slow  # trains and samples the digits denoiser and its auxiliary model: ~15 s of compilation
def test_digits_cell_records_its_settings_and_metrics(digits_run):
    r = digits_run
    from lab.study import _jsonable

    model = _jsonable(r["record"])["model"]
    assert model["base"]["train"]["steps"] == 20 and model["budget"] == 5 and model["synthetic"] == 40
    assert model["base"]["net"]["width"] == 32 and model["base"]["net"]["depth"] == 1
    assert r["record"]["omegas"] == [0.0, 1.0]
    assert r["record"]["data_shape"][0] + r["record"]["n_held_out"] == 1797
    assert set(r["metrics"]) == {"0.0", "1.0"}
    for m in r["metrics"].values():
        assert np.isfinite(m["fd"]) and m["fd"] >= 0
        assert 0 <= m["precision"] <= 1 and 0 <= m["recall"] <= 1
        assert np.isclose(sum(m["hist"]), 1.0)
    assert np.shape(r["images"]["1.0"]) == (8, 8, 8) and np.shape(r["real"]) == (8, 8, 8)
    # real training digits are far closer to the held-out digits than a 20-step model's samples
    assert r["floor"]["fd"] < r["metrics"]["0.0"]["fd"]


def test_held_out_split_is_the_classifiers():
    import jax

    from lab import truths as data

    d, train, held = worlds.digits_split(0.2)
    t2, h2 = data.split(d.labels, 0.2, key=jax.random.fold_in(jax.random.key(0), 0))
    assert np.array_equal(held, h2) and np.intersect1d(train, held).size == 0 and train.size + held.size == 1797


def test_selection_rule_reaches_the_target_at_omega_one():
    b = selection.proportions(3.0)
    t = np.full(10, 0.1)
    q = selection.selection_weights(b, t)
    w1 = b * (b / q)  # idealised class weights at ω = 1, unnormalised: b_c (b_c / q_c)^ω
    assert np.allclose(w1 / w1.sum(), t)
    assert np.allclose(selection.predicted_weights(b, t, 0.0), b)
    assert np.allclose(selection.predicted_weights(b, t, 1.0), t)
    tv = [0.5 * np.abs(selection.predicted_weights(b, t, w) - t).sum() for w in (0.0, 0.5, 1.0, 2.0)]
    assert tv[0] > tv[1] > tv[2] == pytest.approx(0.0, abs=1e-12) and tv[3] > 0  # overshoot past ω = 1
    # over-produced classes get more auxiliary weight than the base gives them, under-produced ones less
    assert np.all(q[:5] > b[:5]) and np.all(q[5:] < b[5:])


def test_selection_counts_fit_the_pool():
    counts = selection.selection_counts([0.5, 0.5], [10, 2], 10)
    assert counts.tolist() == [3, 2]  # m = 5: 2.5 each, the leftover unit to the lower index; 2 <= 2 available
    assert selection.selection_counts([0.25, 0.75], [100, 100], 8).tolist() == [2, 6]


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="target"):
        selection.selection_weights([0.5, 0.5], [1.0, 0.0])
    with pytest.raises(ValueError, match="skew"):
        SS.Config(skew=0.0)
    with pytest.raises(ValueError, match="omegas"):
        SS.Config(omegas=(0.5, 1.0))
    with pytest.raises(ValueError, match="held_out"):
        SD.Config(held_out=0.25)  # must be the classifier's split (ClassifierConfig().held_out)
    with pytest.raises(ValueError, match="omegas"):
        SD.Config(omegas=(0.5, 1.0))
    with pytest.raises(ValueError, match="n_samples"):
        SD.run_seed(seed=0, keep=4, **dict(TINY, n_samples=5000))


@pytest.mark.slow  # as above, for the shifted-digits cell
def test_shift_cell_selects_and_records(shift_run):
    r = shift_run
    assert r["record"]["n_train"] == 100 and r["record"]["n_pool"] == 60
    assert np.isclose(sum(r["pool_hist"]), 1.0) and np.isclose(sum(r["q"]), 1.0)
    assert 1 <= sum(r["counts"]) <= 40
    assert np.allclose(r["q"], selection.selection_weights(r["pool_hist"], np.full(10, 0.1)))
    # the skewed set holds exactly the asked class counts (largest remainder of 100 × proportions)
    assert np.allclose(r["train_labels_hist"], [0.15] * 5 + [0.05] * 5)
    for m in r["metrics"].values():
        assert 0 <= m["tv_target"] <= 1 and np.isfinite(m["fd"])
    # ω = 0 ignores the auxiliary model, and both arms share the guided noises: identical base samples and metrics
    assert r["control"]["0.0"] == r["metrics"]["0.0"]
    assert set(r["control"]) == set(r["metrics"])


@pytest.mark.parametrize("module", [SD, SS])
def test_presets_construct_and_validate(module):
    assert module.PRESETS["quick"] is module.PRESETS["cpu-quick"]
    assert module.PRESETS["full"] is module.PRESETS["cpu-full"]
    for name, cfg in module.PRESETS.items():
        cells = module.cells(cfg)
        assert sum(len(c.kwargs["seeds"]) for c in cells) == len(cfg.seeds) and len({c.name for c in cells}) == len(cells)
        assert all(len(c.kwargs["seeds"]) <= cfg.seeds_per_cell for c in cells)
        kw = cells[0].kwargs
        scfg = suite.digits_sims_config(kw)  # builds lab.SIMS / TrainConfig / SIMSConfig: validates every setting
        assert scfg.model.base.train.steps == cfg.base_steps and 0.0 in scfg.omegas
    assert "gpu" in module.PRESETS and "gpu-full" not in module.PRESETS


def _hand_made(tv, tv_control, cfg):
    return {f"seed_{s}": {"metrics": {str(w): {"tv_target": tv[i][j], "fd": 10.0} for j, w in enumerate(cfg.omegas)},
                          "control": {str(w): {"tv_target": tv_control[i][j], "fd": 10.0}
                                      for j, w in enumerate(cfg.omegas)}}
            for i, s in enumerate(cfg.seeds)}


def test_shift_verdict_needs_gains_over_base_and_control():
    """Both paired gains at ω* (vs ω = 0 and vs plain SIMS) must be significant after a Bonferroni over the ω > 0."""
    cfg = SS.Config(omegas=(0.0, 1.0, 2.0), seeds=(0, 1, 2))
    tv = [[0.26, 0.17, 0.12], [0.27, 0.18, 0.13], [0.25, 0.16, 0.11]]
    s = SS.summary(_hand_made(tv, [[0.26, 0.25, 0.24], [0.27, 0.27, 0.26], [0.25, 0.24, 0.25]], cfg), cfg)
    assert s["verdict"].ok and s["omega_star"] == 2.0 and "α = 0.05 / 2 (Bonferroni)" in s["verdict"].rule
    # the control moves as far as the selected arm: the shift is guidance's, not the selection's
    s = SS.summary(_hand_made(tv, [[0.26, 0.17, 0.13], [0.27, 0.18, 0.12], [0.25, 0.16, 0.11]], cfg), cfg)
    assert s["verdict"].status == "NOT SUPPORTED"
    r = SS.tests(_hand_made(tv, tv, cfg), cfg)
    assert r["ib"] == 2 and r["vs_base"].greater() and r["vs_control"].mean == 0


def test_digits_verdict_is_a_bonferroni_t_test():
    cfg = SD.Config(omegas=(0.0, 0.5, 1.0), seeds=(0, 1, 2))
    fd = [[10.0, 9.0, 8.0], [11.0, 10.0, 8.9], [9.0, 8.0, 7.1]]  # gains 2, 2.1, 1.9 at ω* = 1: t = 34.6
    res = {f"seed_{s}": {"metrics": {str(w): {"fd": fd[i][j]} for j, w in enumerate(cfg.omegas)}}
           for i, s in enumerate(cfg.seeds)}
    s = SD.summary(res, cfg)
    assert s["verdict"].ok and s["omega_star"] == 1.0 and "α = 0.05 / 2 (Bonferroni), 2 df" in s["verdict"].rule
    assert SD.verdict(res, cfg)[0] is True  # lab.readme's gpu table reads (ok, text)
    res["seed_1"]["metrics"]["1.0"]["fd"] = res["seed_1"]["metrics"]["0.5"]["fd"] = 12.0  # gains 2, −1, 1.9
    assert SD.summary(res, cfg)["verdict"].status == "NOT SUPPORTED"
    one = SD.Config(omegas=(0.0, 0.5, 1.0), seeds=(0,))
    assert not SD.summary({"seed_0": res["seed_0"]}, one)["verdict"].ok  # one seed: no error estimate, no verdict
