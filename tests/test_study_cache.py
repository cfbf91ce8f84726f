"""Studies: cached cells, atomic writes, and a resumed run ending with the numbers of an uninterrupted one."""
import types

import numpy as np

from lab import cache, study
from studies import estimator_choice as ec


def tiny_module():
    return types.SimpleNamespace(NAME="tiny_estimator", CLAIM=ec.CLAIM, cells=ec.cells, plot=ec.plot,
                                 PRESETS={"tiny": ec.Config(m=10, generations=5, replicates=16)})


def test_resume_gives_identical_numbers(tmp_path):
    mod = tiny_module()
    first = study.compute(mod, "tiny", root=tmp_path, progress=False)
    files = sorted((tmp_path / mod.NAME).glob("*.pkl"))
    assert len(files) == 2 and not list((tmp_path / mod.NAME).glob(".tmp-*"))
    files[0].unlink()  # as if the run had been killed before this cell was written
    resumed = study.compute(mod, "tiny", root=tmp_path, progress=False)
    fresh = study.compute(mod, "tiny", root=tmp_path / "other", progress=False)
    for name in first:
        for key in ("var", "log_var", "w2_sq"):
            assert np.array_equal(first[name][key]["mean"], resumed[name][key]["mean"])
            assert np.array_equal(first[name][key]["mean"], fresh[name][key]["mean"])


def test_cache_key_depends_on_configuration():
    a = cache.cell_hash("s", "c", {"seed": 1})
    assert a == cache.cell_hash("s", "c", {"seed": 1}) and a != cache.cell_hash("s", "c", {"seed": 2})


def test_run_writes_figure(tmp_path):
    out = study.run(tiny_module(), "tiny", figures_dir=tmp_path / "fig", root=tmp_path, progress=False)
    assert out.exists() and out.stat().st_size > 10_000


def test_written_files_have_ordinary_permissions(tmp_path):
    import os
    import stat

    cache.save_atomic(tmp_path / "x.pkl", {"a": 1})
    mode = stat.S_IMODE(os.stat(tmp_path / "x.pkl").st_mode)
    assert mode == cache._FILE_MODE and mode & stat.S_IRUSR


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path):
    import pytest

    path = tmp_path / "sub" / "f.json"
    cache.atomic_write(path, lambda tmp: open(tmp, "w").write("old"), ".json")

    def broken(tmp):
        open(tmp, "w").write("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        cache.atomic_write(path, broken, ".json")
    assert path.read_text() == "old" and sorted(p.name for p in path.parent.iterdir()) == ["f.json"]
