"""Command line: ``python -m lab --help``.

Bad input (unknown study or preset, n < 2, λ_s outside (0, 1], a non-positive-definite covariance, mismatched
dimensions, a seed outside [0, 2**63 − 1], an option the chosen regime does not use, a run too large for the machine's
memory, a computation that overflows, an unusable LAB_CACHE_DIR, …) prints one line on stderr and exits with status
2, never a traceback. Every argument is checked before anything is printed or computed (``_check_args``); the library's
own ValueError and TypeError become that one line (``main``).
"""
from __future__ import annotations

import argparse
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse would print the usage too)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lab", description="autophagy-lab: self-consuming generative loops, simulated and "
                "set beside their theory.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("studies", help="list the studies with their claims")
    sub.add_parser("readme", help="rebuild the README's generated tables from the committed result files")
    r = sub.add_parser("run", help="run one study and write figures/NAME.png")
    r.add_argument("name")
    r.add_argument("--preset", default="quick")
    r.add_argument("--jobs", type=int, default=1, help="processes for independent cells (joblib)")
    r.add_argument("--cluster", default=None, metavar="local:N|ADDRESS",
                   help="send the cells to a Dask cluster: a LocalCluster of N workers, or a scheduler's address")
    a = sub.add_parser("reproduce", help="run every study, then list the gallery")
    a.add_argument("--preset", default="quick")
    a.add_argument("--jobs", type=int, default=1)
    a.add_argument("--no-sims", action="store_true", help="leave out the SIMS suite (`python -m lab sims` runs it); "
                   "what `make figures` runs")
    a.add_argument("--cluster", default=None, metavar="local:N|ADDRESS", help="as for run")
    g = sub.add_parser("sims", help="the SIMS suite (issue 6): every sims_* study at one preset, then their figures")
    g.add_argument("--preset", default="cpu-quick", help="cpu-quick | cpu-full | gpu (gpu: figures/gpu/, sized for one H100)")
    g.add_argument("--only", nargs="+", default=None, metavar="NAME", help="a subset of the sims_* studies")
    g.add_argument("--jobs", type=int, default=1)
    s = sub.add_parser("simulate", help="a Gaussian loop in one command: per-generation averages over replicates")
    s.add_argument("--regime", default="replace", choices=["replace", "accumulate", "subsample", "augment", "fresh"])
    s.add_argument("--n", type=int, default=100, help="real samples at generation 0")
    s.add_argument("--generations", type=int, default=50)
    s.add_argument("--replicates", type=int, default=200)
    s.add_argument("--ddof", type=int, default=0)
    s.add_argument("--sampling-bias", type=float, default=1.0, help="λ_s in (0, 1]")
    s.add_argument("--synthetic", type=int, default=None, help="synthetic samples per generation (augment, fresh)")
    s.add_argument("--real", type=int, default=None, help="fresh real samples per generation (fresh)")
    s.add_argument("--mean", type=_floats, default=[0.0], help="comma-separated mean")
    s.add_argument("--cov", type=_floats, default=[1.0], help="comma-separated covariance, row-major d×d")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--every", type=int, default=10, help="print every k-th generation (>= 1)")
    s.add_argument("--force", action="store_true", help="run even when the memory estimate exceeds this machine's "
                   "memory (lab.simulate's check_memory=False)")
    return p


def _check_args(args) -> None:
    """Everything that can be checked from the arguments alone, before any output or work: a ValueError names the
    option."""
    from lab import _checks

    if args.command in ("run", "reproduce", "sims"):
        _checks.integer("jobs", args.jobs, minimum=1)
        from lab import cache

        cache.check_writable()
    if getattr(args, "cluster", None) is not None:
        from lab import cluster

        cluster.parse(args.cluster)
    if args.command == "simulate":
        from lab.keys import MAX_SEED

        if not 0 <= args.seed <= MAX_SEED:
            raise ValueError(f"seed must be an integer in [0, 2**63 - 1], got {args.seed}")
        _checks.integer("every", args.every, minimum=1)
        if args.real is not None and args.regime != "fresh":
            raise ValueError(f"--real is used only by --regime fresh, not by --regime {args.regime}")


def _warn_gpu_preset(preset: str) -> None:
    """One warning line on stderr when a gpu preset (already validated) is about to run on the CPU."""
    if not preset.startswith("gpu"):
        return
    import jax

    if jax.default_backend() == "cpu":
        print(f"warning: preset {preset} is sized for an accelerator (one H100) and this JAX backend is the CPU: "
              "it will be very slow; see README for the CUDA install", file=sys.stderr)


def _cmd_studies(args):
    from lab import registry

    for name in registry.names():
        print(f"{name:20s} {registry.load(name).CLAIM}")


def _cmd_run(args):
    from lab import registry, study

    mod = registry.load(args.name)
    study.preset_config(mod, args.preset)
    _warn_gpu_preset(args.preset)
    print(study.run(mod, args.preset, jobs=_jobs(args.jobs), cluster=args.cluster))


def _cmd_reproduce(args):
    from lab import registry, study

    from lab.sims import suite

    names = [n for n in registry.names() if not (args.no_sims and n in suite.STUDIES)]
    mods = [registry.load(n) for n in names]
    for mod in mods:
        study.preset_config(mod, args.preset)
    for mod in mods:
        print(study.run(mod, args.preset, jobs=_jobs(args.jobs), cluster=args.cluster))


def _cmd_readme(args):
    from lab import readme

    readme.main()


def _cmd_sims(args):
    import jax

    from lab import registry, study
    from lab.sims import suite

    if args.preset not in suite.PRESETS:
        raise ValueError(f"preset must be one of {list(suite.PRESETS)}, got {args.preset!r}")
    names = args.only if args.only is not None else list(suite.STUDIES)
    for name in names:
        if name not in suite.STUDIES:
            raise ValueError(f"only must name sims studies {list(suite.STUDIES)}, got {name!r}")
    backend = jax.default_backend()
    print(f"SIMS suite, preset {args.preset}, JAX backend {backend} ({len(jax.devices())} device(s): "
          f"{jax.devices()[0].device_kind})")
    if args.preset.startswith("gpu") and backend == "cpu":
        print(f"warning: preset {args.preset} is sized for an accelerator (one H100) and this JAX backend is the CPU: "
              "it will be very slow; see README for the CUDA install", file=sys.stderr)
    mods = [registry.load(n) for n in names]
    for mod in mods:
        study.preset_config(mod, args.preset)
    total = 0.0
    for mod in mods:
        if hasattr(mod, "estimate_seconds"):
            est = float(mod.estimate_seconds(study.preset_config(mod, args.preset), backend))
            total += est
            print(f"  {mod.NAME:16s} estimated {est / 60:6.1f} min on {backend} (cached cells are skipped)")
        else:
            print(f"  {mod.NAME:16s} no run-time estimate")
    print(f"  {'total':16s} estimated {total / 60:6.1f} min (±2×; method in lab/sims/estimate.py)", flush=True)
    for mod in mods:
        print(study.run(mod, args.preset, jobs=_jobs(args.jobs)))


def _jobs(j: int) -> int:
    from lab import _checks

    return _checks.integer("jobs", j, minimum=1)


def _regime(args):
    import lab

    if args.regime == "replace":
        return lab.Replace(synthetic=args.synthetic)
    if args.regime == "accumulate":
        return lab.Accumulate(synthetic=args.synthetic)
    if args.regime == "subsample":
        return lab.AccumulateSubsample(synthetic=args.synthetic)
    if args.regime == "augment":
        return lab.Augment(synthetic=args.synthetic if args.synthetic is not None else args.n)
    real = args.real if args.real is not None else args.n
    return lab.Fresh(real=real, synthetic=args.synthetic if args.synthetic is not None else args.n)


def _cmd_simulate(args):
    import numpy as np

    import lab

    d = len(args.mean)
    if len(args.cov) != d * d:
        raise ValueError(f"cov must have d*d = {d * d} entries to match mean of dimension {d}, got {len(args.cov)}")
    truth = lab.Gaussian(args.mean, np.reshape(args.cov, (d, d)))
    model = lab.GaussianFit(ddof=args.ddof, sampling_bias=args.sampling_bias)
    every = args.every
    ds = lab.simulate(truth, model, _regime(args), n=args.n, generations=args.generations,
                      replicates=args.replicates, key=args.seed, progress=sys.stderr.isatty(),
                      check_memory=not args.force)
    trace = np.trace(ds["cov"].values, axis1=-2, axis2=-1).mean(0)
    w2 = ds["w2"].mean("replicate").values
    if not (np.all(np.isfinite(trace)) and np.all(np.isfinite(w2))):
        raise ValueError("the averages are not finite: the computation overflowed float64 (mean and cov too large); "
                         "rescale the data")
    print(f"{'gen':>5} {'E tr cov':>12} {'E W2':>10}")
    for t in range(0, args.generations + 1, every):
        print(f"{t:5d} {trace[t]:12.5g} {w2[t]:10.4g}")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        _check_args(args)
        {"studies": _cmd_studies, "readme": _cmd_readme, "run": _cmd_run, "reproduce": _cmd_reproduce,
         "sims": _cmd_sims,
         "simulate": _cmd_simulate}[
            args.command](args)
    except (ValueError, TypeError, OverflowError) as e:  # bad input, named by the check that refused it
        print("error: " + " ".join(str(e).split()), file=sys.stderr)  # one line, whatever the message holds
        return 2
    return 0
