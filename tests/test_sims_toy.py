"""Study sims_toy (loaded by its folder, ``lab.registry``): its truth is the ring, its ω grid starts at 0, and its
summary reads hand-made results by the paired rule of ``lab.analysis``."""
from dataclasses import replace

import numpy as np
import pytest

from lab import registry

sims_toy = registry.load("sims_toy")


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
    s = sims_toy.summary(res, cfg)
    assert s["verdict"].status == "SUPPORTED" and "2 df" in s["verdict"].rule and s["omega_star"] == 1.0
    assert s["nll_gain"]["lower"] > 0 and sims_toy.verdict(res, cfg)[0] is True
    res["sweep"]["metrics"]["w2"] = w2 + np.array([[0.0, 0.3], [0.0, 0.31], [0.0, 0.29]])  # W₂ significantly worse
    s = sims_toy.summary(res, cfg)
    assert s["verdict"].status == "NOT SUPPORTED" and s["w2_rise"]["lower"] > 0
