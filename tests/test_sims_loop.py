"""Smoke and property tests of the studies sims_loop and sims_pollution at tiny budgets (compile-bound, not science).

One tiny setting is shared by every test, so the training and sampling programs compile once for the whole file.
The whole file runs in ``make test-slow``: its four loops and the pollution cells compile about a minute and a half of
programs that only these studies use (``make sims`` runs the studies themselves); the SIMS family's contract
(``lab.SIMS`` fit, sample, guidance, inside ``simulate``) stays in the fast suite (tests/test_diffusion_family.py,
tests/test_families_conformance.py).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lab import registry

pytestmark = pytest.mark.slow

sims_loop = registry.load("sims_loop")
sims_pollution = registry.load("sims_pollution")

TINY = dict(world="ring", k=4, radius=2.0, std=0.2, n=48, generations=1, replicates=2, key=0, net="mlp", width=16,
            depth=1, steps=12, batch=32, lr=2e-3, sigma_data=1.4, aux_steps=4, aux_lr=1e-3, omega=0.5, sampler_steps=3,
            n_eval=48, projections=8, pr_samples=20, scatter=8)
TINY_POLLUTION = {**{k: v for k, v in TINY.items() if k not in ("generations", "omega")},
                  "polluter_steps": TINY["steps"], "omegas": [0.0, 0.5], "fixed_omega": 0.5}


@pytest.fixture(scope="module")
def loops():
    return {loop: sims_loop.run_loop(loop, TINY) for loop in sims_loop.LOOPS}


def test_loop_shapes_and_record(loops):
    R, G = TINY["replicates"], TINY["generations"]
    for loop, r in loops.items():
        assert set(r["emitted"]) == {"w2", "nll", "precision", "recall"}
        assert np.shape(r["emitted"]["w2"]) == (R, G + 1) and np.all(np.isfinite(r["emitted"]["nll"]))
        assert r["last"].shape == (TINY["scatter"], 2) and np.all(np.isfinite(r["last"]))
        assert r["record"]["settings"] == TINY and r["record"]["loop"] == loop
        assert np.all((np.asarray(r["emitted"]["precision"]) >= 0) & (np.asarray(r["emitted"]["precision"]) <= 1))
    assert np.shape(loops["SIMS"]["unguided"]["w2"]) == (R, G + 1) and loops["Replace"]["unguided"] == {}
    assert "aux_loss" in loops["SIMS"]["losses"] and "aux_loss" not in loops["Replace"]["losses"]


def test_loops_share_generation_zero(loops):
    """Under the engine, loops with the same family share generation 0 bit for bit (same key, same real rows, same
    fit): Replace = Augment and SIMS = Augment + SIMS at t = 0 (emitted and unguided); they differ at t = 1. The
    Diffusion and SIMS families fit θ_0 with different keys (SIMS trains its base with fold_in(key, 0))."""
    w = {loop: np.asarray(r["emitted"]["w2"]) for loop, r in loops.items()}
    np.testing.assert_array_equal(w["Replace"][:, 0], w["Augment"][:, 0])
    np.testing.assert_array_equal(w["SIMS"][:, 0], w["AugmentSIMS"][:, 0])
    np.testing.assert_array_equal(np.asarray(loops["SIMS"]["unguided"]["w2"])[:, 0],
                                  np.asarray(loops["AugmentSIMS"]["unguided"]["w2"])[:, 0])
    assert not np.array_equal(w["Replace"][:, 1], w["Augment"][:, 1])
    assert not np.array_equal(w["SIMS"][:, 1], w["AugmentSIMS"][:, 1])


def test_ring_panel_is_the_four_estimators_on_one_draw():
    """``worlds.RingPanel`` = sliced W₂, NLL under the truth, precision and recall of the same model draws (the first
    n_eval / pr_samples of one sample), each against its own truth draws: the estimators applied by hand agree."""
    import jax
    import jax.numpy as jnp

    from lab.metrics.samples import knn_precision_recall, sliced_w2
    from lab.sims import worlds

    fam, tr = sims_loop.family(TINY, "Replace"), worlds.ring(TINY)
    x0 = tr.sample(key=jax.random.key(0), n=TINY["n"])
    params = fam.fit(x0, jnp.ones(TINY["n"]), key=jax.random.key(1))
    panel, key = worlds.RingPanel(30, 8, 20), jax.random.key(2)
    got = panel(tr, fam, params, key=key)
    assert tuple(got) == panel.names
    km, kw, kp, kd = (jax.random.fold_in(key, i) for i in range(4))
    x = fam.sample(params, key=km, n=30)
    p, r = knn_precision_recall(tr.sample(key=kp, n=20), x[:20], 5)
    want = {"sliced_w2": sliced_w2(tr.sample(key=kw, n=30), x, key=kd, projections=8),
            "nll_under_truth": -jnp.mean(tr.log_prob(x)), "precision": p, "recall": r}
    for name in panel.names:
        np.testing.assert_allclose(float(got[name]), float(want[name]), rtol=1e-6, err_msg=name)


def test_loop_verdict_on_hand_made_results():
    """W₂ rising by 0.30 ± 0.006 over 3 seeds is MAD (lower bound > 0); a flat Augment + SIMS loop holds (upper
    bound below a third of Replace's drift); a rising one does not (``lab.analysis.equivalence``)."""
    cfg = replace(sims_loop.QUICK, generations=1, replicates=3)

    def res(rises):
        return {"emitted": {"w2": [[0.4, 0.4 + r] for r in rises], "nll": [[1.0, 1.0]] * 3},
                "unguided": {"w2": [[0.4, 0.4]] * 3, "nll": [[1.0, 1.0]] * 3}}

    rises = {"Replace": 0.3, "Augment": 0.0, "SIMS": 0.3, "AugmentSIMS": 0.0}
    results = {loop: res([rises[loop] + 0.01 * (s - 1) * (loop != "Augment") for s in range(3)])
               for loop in sims_loop.LOOPS}
    assert sims_loop.drift(results, cfg, "Replace") == pytest.approx((0.3, 0.01 / np.sqrt(3)))
    s = sims_loop.summary(results, cfg)
    assert s["verdict"].ok and "Replace +0.300" in s["headline"] and "(MAD)" in s["headline"]
    assert "Augment alone also holds" in s["headline"] and s["status"]["Replace"] == "MAD"
    assert sims_loop.margin(results, cfg) == pytest.approx(0.1)  # a third of Replace's drift
    results["AugmentSIMS"] = res([0.25 + 0.01 * s for s in range(3)])
    assert sims_loop.summary(results, cfg)["verdict"].status == "NOT SUPPORTED"
    # a small mean drift with a wide interval (+0.012 ± 0.073) is inconclusive, not "does not go MAD"
    results["AugmentSIMS"] = res([0.012 - 0.126, 0.012, 0.012 + 0.126])
    ok, msg = sims_loop.verdict(results, cfg)  # lab.readme's gpu table: ok is None when inconclusive
    assert ok is None and sims_loop.summary(results, cfg)["verdict"].status == "INCONCLUSIVE"
    assert sims_loop.status(results, cfg)["AugmentSIMS"] == "inconclusive"


def test_polluted_set_is_nested_and_sized():
    """ρ = |D_p| / |D_r|: the real rows stay, round(ρ n) polluter rows are appended, nested in ρ; one set per seed."""
    n, R = TINY_POLLUTION["n"], TINY_POLLUTION["replicates"]
    rows0, info0 = sims_pollution.polluted_set(0.0, TINY_POLLUTION)
    rows5, info5 = sims_pollution.polluted_set(0.5, TINY_POLLUTION)
    rows1, _ = sims_pollution.polluted_set(1.0, TINY_POLLUTION)
    assert rows0.shape == (R, n, 2) and rows5.shape == (R, n + n // 2, 2) and rows1.shape == (R, 2 * n, 2)
    assert (info0["n_synthetic"], info5["n_synthetic"]) == (0, n // 2)
    np.testing.assert_array_equal(rows5[:, :n], rows0)
    np.testing.assert_array_equal(rows1[:, : n + n // 2], rows5)
    assert info0["polluter"] == info5["polluter"]  # one polluter per seed, whatever the share
    assert not np.array_equal(rows5[0], rows5[1])


def test_run_share_records_every_omega():
    r = sims_pollution.run_share(0.5, TINY_POLLUTION)
    assert set(r["metrics"]) == {"0.0", "0.5"}
    assert np.shape(r["metrics"]["0.5"]["w2"]) == (TINY_POLLUTION["replicates"],)
    assert r["record"]["share"] == 0.5 and r["record"]["data_shape"] == [2, 72, 2]
    assert r["n_synthetic"] == TINY_POLLUTION["n"] // 2
    assert r["scatter"]["0.0"].shape == (TINY_POLLUTION["scatter"], 2)


def test_pollution_improvement_on_hand_made_results():
    """gain = W₂(base) − W₂(SIMS at ω*), ω* the positive ω with the lowest mean; verdict needs gains below 0.6."""
    cfg = replace(sims_pollution.QUICK, shares=(0.0, 0.6), replicates=2, omegas=(0.0, 0.5, 1.0), fixed_omega=0.5)
    w2 = {0.0: ((0.5, 0.45, 0.40), (0.6, 0.55, 0.499)), 0.6: ((0.5, 0.6, 0.7), (0.5, 0.6, 0.7))}
    results = {f"rho{r:g}": {"metrics": {str(w): {"w2": [v[s][i] for s in range(2)], "nll": [1.0, 1.0]}
                                         for i, w in enumerate(cfg.omegas)}} for r, v in w2.items()}
    imp = sims_pollution.improvement(results, cfg)
    assert imp[0.0]["omega_star"] == 1.0 and imp[0.6]["omega_star"] == 0.5
    assert imp[0.0]["gain_best"] == pytest.approx((0.1005, 0.0005))  # 0.1005 > t(0.99, 1) · 0.0005 = 0.0159
    assert imp[0.6]["gain_fixed"] == pytest.approx((-0.1, 0.0))
    s = sims_pollution.summary(results, cfg)
    assert s["verdict"].ok and s["largest_share"]["w2"] == 0.0
    results["rho0"]["metrics"]["1.0"]["w2"][1] = 0.48  # gains 0.10 and 0.12: s.e. 0.01, 0.11 < 31.8 s.e.
    assert sims_pollution.summary(results, cfg)["verdict"].status == "NOT SUPPORTED"


def test_pollution_nll_gain_needs_w2_not_worse():
    """An NLL-only gain counts only when W₂ at the NLL's ω* is not significantly worse (NLL is not a divergence)."""
    cfg = replace(sims_pollution.QUICK, shares=(0.0, 0.6), replicates=3, omegas=(0.0, 0.5), fixed_omega=0.5)

    def results(w2_rise):
        return {f"rho{r:g}": {"metrics": {"0.0": {"w2": [0.4] * 3, "nll": [2.0] * 3},
                                          "0.5": {"w2": [0.4 + w2_rise[s] for s in range(3)],
                                                  "nll": [1.5 + 0.01 * s for s in range(3)]}}}
                for r in cfg.shares}

    s = sims_pollution.summary(results((0.0, 0.0, 0.0)), cfg)
    assert s["verdict"].ok and s["largest_share"]["nll"] == 0.6
    s = sims_pollution.summary(results((0.1, 0.11, 0.12)), cfg)  # W₂ significantly worse at ω*
    assert not s["verdict"].ok and s["largest_share"]["nll"] is None


@pytest.mark.parametrize("module", [sims_loop, sims_pollution])
def test_presets_construct(module):
    """Every preset (gpu included) validates and builds its cells without running them."""
    assert {"cpu-quick", "cpu-full", "gpu", "quick", "full"} <= set(module.PRESETS)
    for cfg in module.PRESETS.values():
        assert len(module.cells(cfg)) >= 2


def test_bad_config_names_the_parameter():
    with pytest.raises(ValueError, match="world"):
        sims_loop.Config(world="cifar")
    with pytest.raises(ValueError, match="loop"):
        sims_loop.run_loop("Accumulate", TINY)
    with pytest.raises(ValueError, match="net"):
        sims_loop.Config(net="unet")
    with pytest.raises(ValueError, match="shares"):
        sims_pollution.Config(shares=(0.0, 1.5))
    with pytest.raises(ValueError, match="omegas"):
        sims_pollution.Config(fixed_omega=3.0)


@pytest.mark.slow
def test_digits_world_runs():
    """The digits path of the gpu preset (in-jit FD / precision / recall in the lab classifier's features) at a tiny
    budget, with the Conv network."""
    tiny = {**TINY, "world": "digits", "n": 40, "net": "conv", "width": 4, "depth": 1, "sigma_data": 0.5,
            "n_eval": 40, "pr_samples": 40, "scatter": 4}
    r = sims_loop.run_loop("AugmentSIMS", tiny)
    assert np.shape(r["emitted"]["fd"]) == (2, 2) and r["last"].shape == (4, 64)
    assert np.all(np.isfinite(r["emitted"]["fd"])) and np.all(np.asarray(r["unguided"]["fd"]) >= 0)
