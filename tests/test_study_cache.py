"""Studies: cached cells, atomic writes, and a resumed run ending with the numbers of an uninterrupted one."""
import types

import numpy as np

from lab import cache, registry, study

ec = registry.load("estimator_choice")


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


# --------------------------------------------------------------------------------------------------------------- #
# Robustness (issue 16): corrupt files, concurrent runs, stale locks                                               #
# --------------------------------------------------------------------------------------------------------------- #
def test_corrupt_or_empty_cell_is_moved_aside_and_recomputed(tmp_path, capsys):
    mod = tiny_module()
    first = study.compute(mod, "tiny", root=tmp_path, progress=False)
    files = sorted((tmp_path / mod.NAME).glob("*.pkl"))
    files[0].write_bytes(files[0].read_bytes()[: files[0].stat().st_size // 2])  # truncated
    files[1].write_bytes(b"")  # empty
    capsys.readouterr()
    again = study.compute(mod, "tiny", root=tmp_path, progress=False)
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(err) == 2 and all("could not be read" in line and ".corrupt" in line for line in err)
    for f in files:
        assert f.exists() and f.with_name(f.name + ".corrupt").exists()
    for name in first:
        assert np.array_equal(first[name]["var"]["mean"], again[name]["var"]["mean"])
    capsys.readouterr()
    study.compute(mod, "tiny", root=tmp_path, progress=False)  # the recomputed files load silently
    assert "warning" not in capsys.readouterr().err


def _counting_cell(i, log, pause):
    import os
    import time

    time.sleep(pause)
    with open(log, "a") as f:
        f.write(f"{os.getpid()} {i}\n")
    return i * i


def test_get_or_compute_waits_for_the_holder(tmp_path):
    import threading

    path = tmp_path / "cell.pkl"
    holder = cache._Lock(path)
    assert holder.acquire()
    assert cache.get_or_compute(path, lambda: 1, wait=False) is cache.BUSY  # a live holder: not stale
    got = []
    waiter = threading.Thread(target=lambda: got.append(cache.get_or_compute(path, lambda: "recomputed", poll=0.01)))
    waiter.start()
    cache.save_atomic(path, "the holder's value")
    holder.release()
    waiter.join(10)
    assert got == ["the holder's value"]


def test_stale_locks_are_broken(tmp_path, capsys, monkeypatch):
    import json
    import os
    import socket
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / "a.pkl"
    lock = path.with_name(path.name + ".lock")
    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": dead.pid, "start": None}))
    assert cache.get_or_compute(path, lambda: "a", wait=False) == "a" and not lock.exists()
    assert "broken" in capsys.readouterr().err
    path = tmp_path / "b.pkl"  # another host's lock: stale only once it stops being touched
    lock = path.with_name(path.name + ".lock")
    lock.write_text(json.dumps({"host": "elsewhere", "pid": os.getpid()}))
    assert cache.get_or_compute(path, lambda: "b", wait=False) is cache.BUSY
    old = os.stat(lock).st_mtime - cache.LOCK_TIMEOUT - 1
    os.utime(lock, (old, old))
    assert cache.get_or_compute(path, lambda: "b", wait=False) == "b"
    path = tmp_path / "c.pkl"  # an empty lock (owner killed before writing it) goes by age alone
    lock = path.with_name(path.name + ".lock")
    lock.write_text("")
    assert cache.get_or_compute(path, lambda: "c", wait=False) is cache.BUSY
    os.utime(lock, (old, old))
    assert cache.get_or_compute(path, lambda: "c", wait=False) == "c"


def test_concurrent_runs_compute_each_cell_once(tmp_path):
    """Two processes run one study on one cache folder at once: every cell is computed by one of them, both end with
    every value."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    log = tmp_path / "computed.log"
    code = textwrap.dedent(f"""
        import json, sys, types
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from lab import study
        from test_study_cache import _counting_cell
        mod = types.SimpleNamespace(NAME="counting", PRESETS={{"p": None}},
              cells=lambda cfg: [study.Cell(f"c{{i}}", _counting_cell, {{"i": i, "log": {str(log)!r}, "pause": 0.3}})
                                 for i in range(6)])
        print(json.dumps(study.compute(mod, "p", root={str(tmp_path / "cache")!r}, progress=False)))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    expected = {f"c{i}": i * i for i in range(6)}
    import json

    assert all(json.loads(o[0]) == expected for o in outs)
    computed = sorted(int(line.split()[1]) for line in log.read_text().splitlines())
    assert computed == list(range(6))  # each cell once, by one process or the other
    assert not list((tmp_path / "cache" / "counting").glob("*.lock"))


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
