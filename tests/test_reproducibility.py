"""What the README's "Reproducibility" section promises for float32 networks, checked.

A ``lab.ScoreNetDiffusion`` loop run on one and on two XLA CPU devices (the replicates of a chunk split over them, as
on a machine with another core count) gives different float32 roundings, which training carries into the fitted
networks. The science must not move: the per-generation mean TV of the two
runs differs by less than a quarter of its standard error over replicates, so a verdict read at the lab's 3–5 SE
scale cannot flip on it (a difference of 0.25 SE moves a z-score by at most 0.25).
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

CODE = """
import json, sys
import numpy as np
import lab
from lab.metrics.samples import TVMonteCarlo
truth = lab.GaussianMixture(weights=[0.4, 0.6], means=[[-2.0], [1.5]], covs=[[[0.25]], [[0.5]]])
model = lab.ScoreNetDiffusion(32, steps=200, batch=128, lr=1e-2, sample_steps=32)
ds = lab.simulate(truth, model, lab.Replace(), n=200, generations=2, replicates=8, key=3,
                  metrics=[TVMonteCarlo(samples=512)])
import jax
print(json.dumps({"devices": len(jax.devices()), "tv": ds["tv_mc"].values.tolist()}))
"""


def _run(devices: int) -> dict:
    import os

    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # two fresh processes that each compile a network loop: about a CPU-minute
def test_float32_network_loop_differs_in_bits_not_in_science():
    one, two = _run(1), _run(2)
    assert (one["devices"], two["devices"]) == (1, 2)
    a, b = np.asarray(one["tv"]), np.asarray(two["tv"])  # (replicate, generation)
    se = np.maximum(a.std(0, ddof=1), b.std(0, ddof=1)) / np.sqrt(a.shape[0])
    shift = np.abs(a.mean(0) - b.mean(0))
    assert np.all(shift < 0.25 * se), f"mean TV moved by {shift / se} SE between 1 and 2 devices"
