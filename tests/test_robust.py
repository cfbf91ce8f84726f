"""Never falls over (issue 16, item 3): every bad input gives one clear line.

Command line (``lab.cli.main`` called in-process): exit status 2 and one line on stderr naming the option, no
traceback. Python API: a ValueError or TypeError naming the argument. Most cases are refused by checks that run
before anything is compiled, so these tests take seconds; the few that run a loop share one tiny configuration.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab
from lab import cli, loop

G = lab.Gaussian([0.0], [[1.0]])


def run_cli(capsys, *argv):
    """(exit status, stdout, stderr lines) of ``python -m lab *argv``, in this process."""
    try:
        rc = cli.main(list(argv))
    except SystemExit as e:  # argparse's own errors
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, [line for line in err.splitlines() if line.strip()]


def sim(**kw):
    args = dict(truth=G, model=lab.GaussianFit(), regime=lab.Replace(), n=10, generations=2, replicates=3, key=0)
    args.update(kw)
    return lab.simulate(args.pop("truth"), args.pop("model"), args.pop("regime"), **args)


# --------------------------------------------------------------------------------------------------------------- #
# Python API                                                                                                        #
# --------------------------------------------------------------------------------------------------------------- #
@pytest.mark.parametrize("kw, error, words", [
    ({"key": 2**70}, ValueError, ["key", "2**63"]),
    ({"key": -1}, ValueError, ["key"]),
    ({"model": None}, TypeError, ["model", "GaussianFit()"]),
    ({"model": lab.GaussianFit}, TypeError, ["model", "the class lab.GaussianFit"]),
    ({"truth": None}, TypeError, ["truth", "lab.Gaussian"]),
    ({"regime": lab.Replace}, TypeError, ["regime must be a Regime instance such as lab.Replace()",
                                          "the class lab.Replace"]),
    ({"regime": "replace"}, TypeError, ["regime"]),
    ({"metrics": ["w2"]}, TypeError, ["metrics", "'w2'"]),
    ({"metrics": "w2"}, TypeError, ["metrics"]),
    ({"metrics": [lab.metrics.W2]}, TypeError, ["metrics", "class"]),
    ({"check_memory": "no"}, TypeError, ["check_memory"]),
    ({"regime": lab.Replace(synthetic=1)}, ValueError, ["synthetic", "1 point", "at least 2"]),
    ({"regime": lab.Fresh(real=1, synthetic=0)}, ValueError, ["real + synthetic", "at least 2"]),
    ({"regime": lab.AccumulateSubsample(size=1)}, ValueError, ["size", "at least 2"]),
    ({"n": 1}, ValueError, ["n must be"]),
])
def test_api_refuses_with_the_argument_named(kw, error, words):
    with pytest.raises(error) as e:
        sim(**kw)
    for w in words:
        assert w in str(e.value)


def test_mixture_needs_k_points_per_fit():
    truth = lab.GaussianMixture([0.5, 0.5], [[0.0], [3.0]], [[[1.0]], [[1.0]]])
    with pytest.raises(ValueError, match=r"n must be >= 50.*k=50"):
        sim(truth=truth, model=lab.MixtureFit(k=50), n=20)
    with pytest.raises(ValueError, match=r"synthetic too small.*k=5"):
        sim(truth=truth, model=lab.MixtureFit(k=5), regime=lab.Replace(synthetic=4), n=20)
    assert loop.min_points(lab.MixtureFit(k=1)) == 2 and loop.min_points(lab.GaussianFit()) == 2


def test_boolean_options_must_be_bool():
    with pytest.raises(TypeError, match="keep_all"):  # the option is gone (it was Accumulate): a clear TypeError
        lab.Augment(synthetic=3, keep_all="yes")
    with pytest.raises(TypeError, match="mean_only"):
        lab.GaussianFit(mean_only=1)
    assert lab.GaussianFit(mean_only=np.bool_(True)).mean_only


@pytest.fixture
def small_machine(monkeypatch):
    """A machine with 4 GiB of host memory and no accelerator, whatever this one has."""
    monkeypatch.setattr(loop, "_memory_limits", lambda: (4 * 2**30, None))


@pytest.mark.parametrize("kw, arg", [({"n": 10**12}, "n"), ({"n": 10**9}, "n"), ({"replicates": 10**9}, "replicates"),
                                     ({"generations": 10**9}, "generations")])
def test_memory_checked_before_allocating(small_machine, kw, arg):
    with pytest.raises(ValueError) as e:
        sim(**kw)
    msg = str(e.value)
    assert msg.startswith(f"{arg} = {kw[arg]} is too large") and "GiB" in msg and "check_memory=False" in msg


def test_memory_estimate_grows_with_each_size():
    base = sum(loop.memory_estimate(lab.Replace(), 100, 50, 200))
    for kw in ({"n": 10_000}, {"generations": 5_000}, {"replicates": 20_000}):
        args = {"n": 100, "generations": 50, "replicates": 200, **kw}
        assert sum(loop.memory_estimate(lab.Replace(), args["n"], args["generations"], args["replicates"])) > base


def test_accelerator_memory_limits_a_chunk(monkeypatch):
    monkeypatch.setattr(loop, "_memory_limits", lambda: (2**50, 2**20))
    with pytest.raises(ValueError, match="accelerator memory"):
        sim(n=10**6)


def test_check_memory_false_runs_anyway(monkeypatch):
    monkeypatch.setattr(loop, "_memory_limits", lambda: (1, None))  # nothing fits in one byte
    with pytest.raises(ValueError, match="too large"):
        sim()
    assert sim(check_memory=False)["w2"].shape == (3, 3)


def test_overflow_is_refused_not_returned_as_nan():
    with pytest.raises(ValueError, match="fitted mean is not finite.*overflowed"):
        sim(truth=lab.Gaussian([1e308], [[1e308]]))


# --------------------------------------------------------------------------------------------------------------- #
# Command line                                                                                                      #
# --------------------------------------------------------------------------------------------------------------- #
@pytest.mark.parametrize("argv, word", [
    (["simulate", "--seed", str(2**70)], "seed"),
    (["simulate", "--seed", "-1"], "seed"),
    (["simulate", "--every", "0"], "every"),
    (["simulate", "--every", "-3"], "every"),
    (["simulate", "--real", "5"], "--real"),
    (["simulate", "--regime", "augment", "--real", "5"], "--real"),
    (["simulate", "--synthetic", "1"], "synthetic"),
    (["simulate", "--regime", "fresh", "--real", "1", "--synthetic", "0"], "real + synthetic"),
    (["simulate", "--n", str(10**12)], "n = "),
    (["simulate", "--replicates", str(10**9)], "replicates = "),
    (["simulate", "--generations", str(10**9)], "generations = "),
    (["simulate", "--n", str(10**9)], "n = "),
    (["sims", "--jobs", "0"], "jobs"),
    (["run", "gaussian_collapse", "--jobs", "0"], "jobs"),
    (["reproduce", "--jobs", "-1"], "jobs"),
])
def test_cli_bad_input_one_line_exit_2(capsys, small_machine, argv, word):
    rc, out, err = run_cli(capsys, *argv)
    assert rc == 2 and out == "" and len(err) == 1 and err[0].startswith("error: ") and word in err[0], (rc, out, err)


def test_cli_overflow_exits_2(capsys):
    rc, out, err = run_cli(capsys, "simulate", "--mean", "1e308", "--cov", "1e308", "--n", "10", "--generations",
                           "2", "--replicates", "3")
    assert rc == 2 and len(err) == 1 and "not finite" in err[0]


def test_cli_force_skips_the_memory_check(capsys, monkeypatch):
    monkeypatch.setattr(loop, "_memory_limits", lambda: (1, None))
    small = ["simulate", "--n", "10", "--generations", "2", "--replicates", "3", "--every", "1"]
    rc, _, err = run_cli(capsys, *small)
    assert rc == 2 and "--force" in err[0]
    rc, out, err = run_cli(capsys, *small, "--force")
    assert rc == 0 and len(out.splitlines()) == 4


def test_gpu_preset_on_cpu_warns_once_before_work(capsys, monkeypatch):
    import jax

    from lab import study

    ran = []
    monkeypatch.setattr(study, "run", lambda mod, preset, **kw: ran.append(preset) or "figure.png")
    rc, out, err = run_cli(capsys, "run", "sims_toy", "--preset", "gpu")
    assert rc == 0 and ran == ["gpu"]
    if jax.default_backend() == "cpu":
        assert len(err) == 1 and err[0].startswith("warning: preset gpu")
    rc, out, err = run_cli(capsys, "run", "sims_toy", "--preset", "quick")
    assert rc == 0 and err == []


@pytest.mark.parametrize("make", ["file", "under_a_file"])
def test_unusable_cache_dir_refused_before_work(capsys, monkeypatch, tmp_path, make):
    from lab import cache, study
    from lab import registry

    ec = registry.load("estimator_choice")

    f = tmp_path / "a_file"
    f.write_text("not a folder")
    bad = f if make == "file" else f / "sub"
    monkeypatch.setenv("LAB_CACHE_DIR", str(bad))
    monkeypatch.setattr(cli, "_cmd_run", lambda args: pytest.fail("work started"))
    rc, out, err = run_cli(capsys, "run", "estimator_choice")
    assert rc == 2 and out == "" and len(err) == 1 and "LAB_CACHE_DIR" in err[0]
    with pytest.raises(ValueError, match="LAB_CACHE_DIR"):
        cache.check_writable()
    called = []
    mod = type("M", (), {"NAME": "x", "PRESETS": ec.PRESETS, "cells": staticmethod(lambda cfg: called.append(1) or [])})
    with pytest.raises(ValueError, match="root"):
        study.compute(mod, "quick", root=bad, progress=False)


# --------------------------------------------------------------------------------------------------------------- #
# Random argument vectors: exit 0 or 2, never an exception                                                         #
# --------------------------------------------------------------------------------------------------------------- #
HOSTILE_INT = st.sampled_from(["-3", "0", "1", "2", "3", str(10**9), str(10**12), str(2**63), str(2**70), "1.5",
                               "abc", "", "nan"])
HOSTILE_FLOATS = st.sampled_from(["0", "1", "0,0", "1,0,0,1", "1,2,3", "1e308", "-1", "nan", "inf", "1,0,0,-1",
                                  "x", "", ";", "1e-320"])


@st.composite
def argv_vectors(draw):
    command = draw(st.sampled_from(["simulate", "simulate", "simulate", "run", "sims", "reproduce", "studies?"]))
    argv = [command]
    if command == "simulate":
        options = {"--regime": st.sampled_from(["replace", "accumulate", "subsample", "augment", "fresh", "bogus"]),
                   "--n": HOSTILE_INT, "--generations": HOSTILE_INT, "--replicates": HOSTILE_INT,
                   "--ddof": HOSTILE_INT, "--sampling-bias": st.sampled_from(["1", "0.5", "0", "1.5", "nan", "-1"]),
                   "--synthetic": HOSTILE_INT, "--real": HOSTILE_INT, "--mean": HOSTILE_FLOATS,
                   "--cov": HOSTILE_FLOATS, "--seed": HOSTILE_INT, "--every": HOSTILE_INT}
        for name in draw(st.lists(st.sampled_from(sorted(options)), unique=True, max_size=6)):
            argv += [name, draw(options[name])]
    elif command in ("run", "sims", "reproduce"):  # never a valid preset: these must stop before running a study
        if command == "run":
            argv.append(draw(st.sampled_from(["gaussian_collapse", "no_such_study", ""])))
        argv += ["--preset", draw(st.sampled_from(["huge", "", "gpu-nothing"]))]
        if draw(st.booleans()):
            argv += ["--jobs", draw(HOSTILE_INT)]
    if draw(st.booleans()):
        argv.append(draw(st.sampled_from(["--unknown", "extra", "-h?"])))
    return argv


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=argv_vectors())
def test_random_argument_vectors_exit_0_or_2(capsys, monkeypatch, argv):
    # A machine with no memory: every run that passes the other checks is refused by the memory estimate, before
    # anything is compiled, so this test explores the checks in seconds (the runs themselves are tested above).
    monkeypatch.setattr(loop, "_memory_limits", lambda: (1, None))
    rc, out, err = run_cli(capsys, *argv)
    assert rc in (0, 2), (argv, rc, err)
    if rc == 2:
        assert len(err) == 1 and err[0].startswith("error: "), (argv, err)
