"""Command line: listing, one-line errors with exit status 2, no traceback."""
import subprocess
import sys

import pytest


def cli(*args):
    return subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True, text=True, timeout=300)


def test_studies_lists_every_study_with_claim():
    from lab import registry

    out = cli("studies")
    assert out.returncode == 0
    for name in registry.names():
        assert name in out.stdout


@pytest.mark.parametrize("args, word", [
    (("run", "no_such_study"), "study"), (("run", "gaussian_collapse", "--preset", "huge"), "preset"),
    (("simulate", "--n", "1"), "n"), (("simulate", "--sampling-bias", "1.5"), "sampling_bias"),
    (("simulate", "--sampling-bias", "0"), "sampling_bias"), (("simulate", "--mean", "0,0", "--cov", "1,0,0,-1"), "cov"),
    (("simulate", "--mean", "0,0", "--cov", "1,0"), "cov"), (("simulate", "--replicates", "0"), "replicates"),
    (("simulate", "--n", "abc"), "n"), (("frobnicate",), "command"),
    (("sims", "--preset", "huge"), "preset"), (("sims", "--only", "gaussian_collapse"), "only"),
])
def test_bad_input_one_line_exit_2(args, word):
    out = cli(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and "Traceback" not in out.stderr


def test_simulate_prints_table():
    out = cli("simulate", "--generations", "4", "--replicates", "8", "--every", "2")
    assert out.returncode == 0 and out.stdout.splitlines()[0].split()[0] == "gen"
    assert len(out.stdout.strip().splitlines()) == 4
