"""Generated parts of the README: measured numbers come from result files, never typed (``python -m lab readme``).

Each part sits between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` markers and is rebuilt from files that runs
wrote:
- ``gpu-verdicts``: each SIMS study's verdict at its ``gpu`` preset, recomputed by the study's own ``verdict`` rule from
  the per-cell results the accelerator run committed (``figures/gpu/<name>.json``), with the device that ran it;
- ``gpu-bench``: the table of ``benchmarks/gpu.py``'s last accelerator run (``benchmarks/results/gpu.json``);
- ``results:<NAME>``: a study's verdict, its rule and the headline sentence with its numbers, from the record its last
  quick run wrote (``figures/<NAME>.json``, ``lab.study.record``);
- ``figures-time``: what ``make figures`` cost, per study, in ``benchmarks/figures.py``'s last run
  (``benchmarks/results/figures.json``);
- ``test-time``: what ``make test`` cost in ``benchmarks/test_suite.py``'s last run
  (``benchmarks/results/test_suite.json``).
``tests/test_readme.py`` fails when the README and these files disagree.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GPU_DEVICE_FILE = ROOT / "figures" / "gpu" / "DEVICE"  # one line: the accelerator the committed gpu runs used


def gpu_verdicts() -> str:
    """Markdown table: study, verdict word, the rule's text (from ``figures/gpu/<name>.json``)."""
    from lab import registry, study
    from lab.analysis import verdict_word
    from lab.sims import suite

    device = GPU_DEVICE_FILE.read_text().strip() if GPU_DEVICE_FILE.exists() else "an accelerator"
    rows = [f"Run on {device} with `python -m lab sims --preset gpu`; recomputed from `figures/gpu/<name>.json`.", "",
            "| study | gpu verdict | the rule's numbers |", "|---|---|---|"]
    for name in suite.STUDIES:
        path = ROOT / "figures" / "gpu" / f"{name}.json"
        if not path.exists():
            rows.append(f"| {name} | not run | — |")
            continue
        mod = registry.load(name)
        ok, text = mod.verdict(study.load_results(path), mod.PRESETS["gpu"])
        word = verdict_word(ok)
        text = " ".join(text.split()).replace("|", "/")
        rows.append(f"| {name} | {word} | {text} |")
    return "\n".join(rows)


def gpu_bench() -> str:
    """Markdown table of ``benchmarks/results/gpu.json``: steps/s per row and the ratios the issue asks for."""
    path = ROOT / "benchmarks" / "results" / "gpu.json"
    if not path.exists():
        return "(no accelerator run recorded)"
    d = json.loads(path.read_text())
    meta = d["meta"]
    rows = [f"{meta['gpu']}, JAX {meta['jax']}, PyTorch {meta['torch']}, {meta['precision']} matmuls, batch "
            f"{meta['batch']}, {meta['seeds']} seeds (`benchmarks/results/gpu.json`).", "",
            "| network | lab, 1 seed | torch eager | torch.compile | lab ÷ compile | lab, 16 seeds vmapped | "
            "16 sequential torch runs | vmapped ÷ sequential |", "|---|---|---|---|---|---|---|---|"]
    for name, r in d["results"].items():
        a, b, c = (r[k]["steps_per_s"] for k in ("a_lab", "b_torch", "c_compile"))
        dl, dt = r["d_lab"].get("seed_steps_per_s"), r["d_torch"].get("seed_steps_per_s")
        net = r["net"]
        rows.append(f"| {name} (MLP {net['width']}×{net['depth']}) | {a:.0f} steps/s | {b:.0f} | {c:.0f} | "
                    f"{a / c:.1f}× | {dl:.0f} seed-steps/s | {dt:.0f} | {dl / dt:.1f}× |")
    return "\n".join(rows)


def _machine(d: dict) -> str:
    return f"{d['cores']} cores" + (f" ({d['cpu']})" if d.get("cpu") else "")


def figures_time() -> str:
    """One line with the total and a collapsed per-study table of ``benchmarks/results/figures.json``
    (``benchmarks/figures.py``: ``make figures``'s loop in one fresh process, cold)."""
    path = ROOT / "benchmarks" / "results" / "figures.json"
    if not path.exists():
        return "(`benchmarks/figures.py` has not been run)"
    d = json.loads(path.read_text())
    rows = sorted(d["rows"], key=lambda r: -r["wall_s"])
    cpu = d.get("total_cpu_s", sum(r["cpu_s"] for r in rows))
    lines = [f"Measured by `benchmarks/figures.py` on {_machine(d)}, cold (empty result and compilation caches), "
             f"as `make figures` runs (one study after another, {d.get('jobs', 1)} worker process"
             f"{'es' if d.get('jobs', 1) > 1 else ''} per study): **{d['total_wall_s'] / 60:.1f} minutes** in all "
             f"({cpu / 60:.1f} CPU-minutes"
             + (f", largest process {d['peak_rss_mib']:.0f} MiB" if "peak_rss_mib" in d else "") + ").", "",
             "<details><summary>per study (wall s, CPU s of the process tree, its processes' peak memory so far)"
             "</summary>", "",
             "| study | wall s | CPU s | peak MiB |", "|---|---|---|---|"]
    lines += [f"| {r['study']} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} | {r['peak_rss_mib']:.0f} |" for r in rows]
    lines += ["", "</details>"]
    return "\n".join(lines)


def suite_time() -> str:
    """One line from ``benchmarks/results/test_suite.json`` (``benchmarks/test_suite.py``: ``make test``, cold)."""
    path = ROOT / "benchmarks" / "results" / "test_suite.json"
    if not path.exists():
        return "(`benchmarks/test_suite.py` has not been run)"
    d = json.loads(path.read_text())
    return (f"Measured by `benchmarks/test_suite.py` on {_machine(d)}, with an empty compilation cache and the "
            f"environment installed: `make test` took **{d['wall_s'] / 60:.1f} minutes** ({d['cpu_s'] / 60:.1f} "
            f"CPU-minutes; pytest: {d['pytest']}).")


PARTS = {"gpu-verdicts": gpu_verdicts, "gpu-bench": gpu_bench, "figures-time": figures_time, "test-time": suite_time}


def results(name: str) -> str:
    """A study's gallery line from ``figures/<name>.json``: verdict, rule, headline (the run's own numbers)."""
    path = ROOT / "figures" / f"{name}.json"
    if not path.exists():
        return f"(no results record: run `python -m lab run {name}`)"
    rec = json.loads(path.read_text())
    v = rec.get("verdict")
    parts = []
    if isinstance(v, dict):
        parts.append(f"**{v.get('status', '?')}**" + (f" ({v['rule']})" if v.get("rule") else "") + ".")
    elif isinstance(v, str):
        parts.append(f"**{v}**.")
    if rec.get("headline"):
        parts.append(" ".join(str(rec["headline"]).split()))
    parts.append(f"(`figures/{name}.json`, preset {rec.get('preset')}, lab {rec.get('lab_version')})")
    return " ".join(parts)


_RESULTS = re.compile(r"(<!-- results:(\w+):begin -->\n)(?:.*?\n)?(<!-- results:\2:end -->)", re.S)


def render(text: str) -> str:
    """``text`` with every marked part rebuilt."""
    text = _RESULTS.sub(lambda m: m.group(1) + results(m.group(2)) + "\n" + m.group(3), text)
    for name, fn in PARTS.items():
        pattern = re.compile(rf"(<!-- {name}:begin -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if pattern.search(text):
            body = fn()
            text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main() -> None:
    path = ROOT / "README.md"
    path.write_text(render(path.read_text()))
    print(path)


__all__ = ["render", "results", "gpu_verdicts", "gpu_bench", "figures_time", "suite_time", "main"]
