"""Issue 17: the fast paths change no law and no draw — merged Accumulate statistics equal the buffer's fit up to
rounding; ``import lab`` stays lazy; the compilation cache is opt-out; the peers table is generated from results."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lab

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("d", [1, 3])
def test_accumulate_merged_statistics_equal_buffer_fit(d):
    """Accumulate (merged GaussianStats) and Accumulate through the full buffer (the engine's general path, taken when a
    regime does not declare ``appends``) train on the same rows with the same draws, so their fits agree to rounding
    (Chan et al.'s update is exact in exact arithmetic)."""

    class BufferedAccumulate(lab.Accumulate):
        appends = False

    truth = lab.Gaussian(np.zeros(d), np.eye(d))
    kw = dict(n=20, generations=15, replicates=5, key=3, metrics=[])
    a = lab.simulate(truth, lab.GaussianFit(ddof=1), lab.Accumulate(), **kw)
    b = lab.simulate(truth, lab.GaussianFit(ddof=1), BufferedAccumulate(), **kw)
    np.testing.assert_allclose(a["mean"], b["mean"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(a["cov"], b["cov"], rtol=1e-12, atol=1e-12)


def test_merge_handles_an_empty_block():
    fit = lab.GaussianFit()
    x = np.arange(6.0).reshape(3, 2)
    s = fit.summarize(x, np.ones(3))
    m = fit.merge(s, fit.summarize(x, np.zeros(3)))
    np.testing.assert_allclose(fit.fit_summary(m).cov, fit.fit(x, np.ones(3)).cov)


def test_import_is_lazy_and_cache_is_opt_out():
    code = ("import sys, os, lab; assert 'jax' not in sys.modules; import jax; "
            "assert jax.config.jax_enable_x64; print(jax.config.jax_compilation_cache_dir)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "LAB_"))}
    run = lambda extra: subprocess.run([sys.executable, "-c", code], env=dict(env, PYTHONPATH=str(ROOT), **extra),  # noqa: E731
                                       capture_output=True, text=True, check=True).stdout.strip()
    assert run({"LAB_COMPILATION_CACHE_DIR": "/tmp/x-lab-cache"}) == "/tmp/x-lab-cache"
    assert run({"LAB_COMPILATION_CACHE": "0"}) == "None"


def test_public_names_resolve():
    for name in lab.__all__:
        assert getattr(lab, name) is not None
    with pytest.raises(AttributeError):
        lab.no_such_name  # noqa: B018


@pytest.mark.parametrize("package", ["diffusion", "metrics", "models", "regimes", "sims", "theory", "transforms",
                                     "truths"])
def test_subpackage_all_is_complete(package):
    """Every public class and function a subpackage's __init__ imports from the subpackage is in its __all__, and every
    name there resolves."""
    import importlib
    import inspect

    mod = importlib.import_module(f"lab.{package}")
    public = {name for name, v in vars(mod).items() if not name.startswith("_")
              and (inspect.isclass(v) or inspect.isfunction(v)) and v.__module__.startswith(f"lab.{package}")}
    assert public <= set(mod.__all__), sorted(public - set(mod.__all__))
    assert all(getattr(mod, name) is not None for name in mod.__all__)
    if package == "regimes":
        assert "Weighted" in mod.__all__


def test_peers_readme_table_is_generated(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import peers

    row = dict(family="gaussian", regime="replace", d=1, n=10, R=100, label="Gaussian, Replace, d=1, n=10, R=100",
               agree_max_z=1.0, agrees=True, peer_cold=2.0, peer_warm=1.0, peer_timed_replicates=100,
               lab_cold_empty_cache=4.0, lab_cold=1.0, lab_warm=0.01, speedup_cold=2.0, speedup_cold_empty_cache=0.5,
               speedup_warm=100.0)
    summary = {"rows": [row], "min_speedup_cold": 2.0, "min_speedup_warm": 100.0, "cores": 2}
    readme = tmp_path / "README.md"
    readme.write_text(f"a\n{peers.MARK_BEGIN}\nold\n{peers.MARK_END}\nb\n")
    peers.write_readme(json.loads(json.dumps(summary)), readme)
    text = readme.read_text()
    assert "\nold\n" not in text and "| Gaussian, Replace, d=1, n=10, R=100 | 1.0 |" in text and text.endswith("b\n")


def test_readme_says_exactly_what_importing_lab_changes():
    """The README's "What importing lab changes" names every JAX option and environment variable that ``import lab``
    changes (measured: a process that imports lab against one that does not), and the opt-out variables of _setup."""
    code = ("import json, os, sys; env0 = dict(os.environ); {imp}; import jax; "
            "print(json.dumps({{'config': {{k: repr(v) for k, v in jax.config.values.items()}}, "
            "'env': sorted(k for k in os.environ if os.environ.get(k) != env0.get(k))}}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "LAB_", "XLA_"))}
    run = lambda imp: json.loads(subprocess.run(  # noqa: E731
        [sys.executable, "-c", code.format(imp=imp)], env=dict(env, PYTHONPATH=str(ROOT)), capture_output=True,
        text=True, check=True).stdout)
    plain, with_lab = run("pass"), run("import lab")
    changed = {k for k in with_lab["config"] if with_lab["config"][k] != plain["config"].get(k)}
    section = (ROOT / "README.md").read_text().split("## What importing lab changes", 1)[1].split("\n## ", 1)[0]
    assert changed and all(f"`{name}`" in section for name in changed), changed
    env_changed = set(with_lab["env"]) - set(plain["env"])  # JAX itself sets a few variables when imported
    assert env_changed and all(f"`{name}`" in section for name in env_changed), env_changed
    from lab import _setup

    for name in ("LAB_COMPILATION_CACHE=0", "LAB_COMPILATION_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR", "XLA_FLAGS"):
        assert name in section and name.split("=")[0] in open(_setup.__file__).read(), name
