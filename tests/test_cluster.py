"""Issue 15: a study's cells on a Dask cluster give the single process's numbers and figure, byte for byte, and a
worker killed in the middle of a cell leaves the cache consistent and the run completes with the same numbers."""
import json
import textwrap

import numpy as np
import pytest

pytest.importorskip("distributed")

from lab import cluster, registry, study  # noqa: E402

TINY = textwrap.dedent('''
    """A seconds-long study for the cluster tests."""
    import os
    from dataclasses import dataclass

    NAME = "tiny"
    CLAIM = "a tiny Gaussian loop"


    @dataclass(frozen=True)
    class Config:
        seeds: tuple = (0, 1, 2, 3)
        marker: str = ""  # a file: when given and absent, the first cell creates it and kills its own worker


    PRESETS = {"quick": Config()}


    def cell(seed, marker):
        import lab
        if marker and seed == 0 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)  # the worker dies in the middle of the cell
        ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(), lab.Replace(), n=20, generations=10,
                          replicates=64, key=seed)
        return {"var": ds["cov"].values[..., 0, 0].mean(0), "w2": ds["w2"].values.mean(0)}


    def cells(cfg):
        from lab.study import Cell
        return [Cell(f"s{s}", cell, dict(seed=s, marker=cfg.marker)) for s in cfg.seeds]


    def summary(results, cfg):
        return {"headline": f"last variance {results['s0']['var'][-1]:.6f}"}


    def plot(results, cfg):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(4, 3))
        for name, r in results.items():
            ax.plot(r["var"], label=name)
        ax.legend(fontsize=8)
        return fig
''')


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cl") / "tinystudies"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "tiny.py").write_text(TINY)
    return registry.load("tiny", folder)


def _same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        for f in a[k]:
            assert np.array_equal(a[k][f], b[k][f]), (k, f)


def test_parse_refuses_bad_specs():
    assert cluster.parse("local:2") == ("local", 2) and cluster.parse("tcp://h:8786") == ("address", "tcp://h:8786")
    for bad in ("local:0", "local:x", "local", "", "nonsense"):
        with pytest.raises(ValueError, match="cluster"):
            cluster.parse(bad)


def test_local_cluster_of_two_gives_the_same_bytes(tiny, tmp_path):
    one = study.run(tiny, "quick", figures_dir=tmp_path / "f1", root=tmp_path / "c1", progress=False)
    two = study.run(tiny, "quick", figures_dir=tmp_path / "f2", root=tmp_path / "c2", progress=False,
                    cluster="local:2")
    assert one.read_bytes() == two.read_bytes()
    r1, r2 = (json.loads(p.with_suffix(".json").read_text()) for p in (one, two))
    r1.pop("wall_seconds"), r2.pop("wall_seconds")
    assert r1 == r2
    _same(study.compute(tiny, "quick", root=tmp_path / "c1", progress=False),
          study.compute(tiny, "quick", root=tmp_path / "c2", progress=False))


def test_killed_worker_leaves_a_consistent_cache_and_the_rerun_matches(tiny, tmp_path, monkeypatch):
    from dataclasses import replace

    marker = tmp_path / "killed"
    monkeypatch.setitem(tiny.PRESETS, "kill", replace(tiny.PRESETS["quick"], marker=str(marker)))
    got = study.compute(tiny, "kill", root=tmp_path / "c", progress=False, cluster="local:2")
    assert marker.exists()  # a worker did die in the middle of cell s0
    folder = tmp_path / "c" / "tiny"
    assert not list(folder.glob(".tmp-*")) and not list(folder.glob("*.lock")) and len(list(folder.glob("*.pkl"))) == 4
    _same(got, study.compute(tiny, "kill", root=tmp_path / "single", progress=False))


def test_sharded_simulate_equals_one_call():
    import lab

    args = (lab.Gaussian([0.0, 1.0], [[1.0, 0.3], [0.3, 0.5]]), lab.GaussianFit(ddof=1), lab.Accumulate())
    kw = dict(n=15, generations=6, replicates=37, key=11)
    one = lab.simulate(*args, **kw)
    sharded = cluster.simulate("local:2", *args, shards=3, **kw)
    assert sharded.attrs == one.attrs and list(sharded["replicate"].values) == list(range(37))
    # the fits and the metrics (batched d×d linear algebra): to float64 rounding, since XLA's code for a batched
    # operation may depend on the batch's size (README, Reproducibility); another replicate's draws would move them O(1)
    for name in ("mean", "cov", "w2", "kl_model_truth"):
        np.testing.assert_allclose(sharded[name].values, one[name].values, rtol=1e-12, atol=0, err_msg=name)
    part = lab.simulate(*args, **{**kw, "replicates": 5}, first_replicate=30)
    assert list(part["replicate"].values) == list(range(30, 35))
    np.testing.assert_allclose(part["cov"].values, one["cov"].values[30:35], rtol=1e-12, atol=0)
