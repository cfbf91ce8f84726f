"""Generated parts of the README: measured numbers come from result files, never typed (``python -m lab readme``).

Each part sits between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` markers and is rebuilt from files that runs
wrote:
- ``gpu-verdicts``: each SIMS study's verdict at its ``gpu`` preset, recomputed by the study's own ``verdict`` rule from
  the per-cell results the accelerator run committed (``figures/gpu/<name>.json``), with the device that ran it;
- ``gpu-bench``: the table of ``benchmarks/gpu.py``'s last accelerator run (``benchmarks/results/gpu.json``).
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


PARTS = {"gpu-verdicts": gpu_verdicts, "gpu-bench": gpu_bench}


def render(text: str) -> str:
    """``text`` with every marked part rebuilt."""
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


__all__ = ["render", "gpu_verdicts", "gpu_bench", "main"]
