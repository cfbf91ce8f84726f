"""Memory bounded by design: ``simulate`` sizes replicate batches from an estimate that includes the metrics, and
evaluates metrics a few generations at a time when all at once would not fit (``lab/loop.py``)."""
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import lab
from lab import loop
from lab.metrics.samples import HeldOutNLL


def test_chunked_metrics_give_the_same_values():
    truth, model, regime = lab.MakeMoons(0.05), lab.KDE(0.2), lab.Accumulate()
    metrics = (HeldOutNLL(50),)
    keys = jax.vmap(lambda r: jax.random.fold_in(jax.random.key(0), r))(np.arange(2))
    whole = loop._replicate_fn(truth, model, regime, metrics, 10, 6, None)(keys)[1]["nll_test"]
    chunked = loop._replicate_fn(truth, model, regime, metrics, 10, 6, 2)(keys)[1]["nll_test"]
    np.testing.assert_allclose(np.asarray(chunked), np.asarray(whole), rtol=1e-12)


@pytest.mark.parametrize("regime,replicates", [(lab.Accumulate(), 10), (lab.Replace(), 1000)])
def test_estimate_keeps_a_chunk_within_budget(regime, replicates):
    truth, model, metrics = lab.MakeMoons(0.05), lab.KDE(0.1), [HeldOutNLL()]
    size = max(100, regime.plan(100, 100).buffer)
    p_bytes, m_bytes = loop._metric_bytes(truth, model, metrics, 100, size)
    assert m_bytes >= 8 * 500 * size  # the test × buffer matrix of one generation is counted
    batch, chunk = loop._default_batch(regime, 100, 100, 2, replicates, param_bytes=p_bytes, metric_bytes=m_bytes)
    held = batch * (2 * 101 * p_bytes + (chunk or 101) * m_bytes)
    assert 1 <= batch <= replicates and held <= loop._BUDGET


@pytest.mark.slow
@pytest.mark.parametrize("regime,replicates", [("Accumulate", 10), ("Replace", 1000)])
def test_kde_test_nll_peak_memory_under_4gb(regime, replicates):
    """The configurations that were killed at 23 GB: KDE test NLL, n = 100, 100 generations (peak RSS, own process)."""
    code = textwrap.dedent(f"""
        import resource, lab
        from lab.metrics.samples import HeldOutNLL
        ds = lab.simulate(lab.MakeMoons(0.05), lab.KDE(0.1), lab.{regime}(), n=100, generations=100,
                          replicates={replicates}, key=0, metrics=[HeldOutNLL()])
        assert ds["nll_test"].shape == ({replicates}, 101)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-2000:]
    peak = int(out.stdout.split()[-1])
    assert peak < 4 * 2**30, peak
