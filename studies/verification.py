# ~175 lines: a grid of compiled loops plus followed trajectories, and the predicate the verifier needs
"""Verified self-consuming loops on a categorical truth (Feng et al., THEORY C2): where verification prevents collapse.

Claim (C2): a verifier that keeps good samples at a higher rate than bad ones (tpr > fpr) removes the bad mass; with
tpr = fpr it only thins the data; with fpr > tpr the bad states take over. The boundary in the (tpr, fpr) plane is the
diagonal tpr = fpr.

Exact: ``lab.theory.verification`` (the lab's derivation): in the infinite-sample limit the kept law is
q ∝ p·(tpr·1_G + fpr·1_B), so the bad mass's odds are multiplied by fpr/tpr every generation,
b_{t+1} = fpr·b_t/(tpr·(1 − b_t) + fpr·b_t). Simulation: ``lab.simulate`` with ``CategoricalFit`` (frequencies) under
``lab.Replace(transforms=[lab.Verify(tpr, fpr, good)])``, good = the first categories (G), bad = the rest (B).

Reference: Feng, Dohmatob, Yang, Charton & Kempe 2024, "Beyond Model Collapse: Scaling Up with Synthesized Data
Requires Verification"; the recursion above is the infinite-sample form of the lab's THEORY C2.

Method: a coarse (tpr, fpr) grid (each pair compiles its own loop) at moderate n, over a horizon where the Wright–Fisher
drift of a finite categorical loop (THEORY D1) is small next to the verifier's tilt; a few (tpr, fpr) pairs are followed
with more replicates against the recursion. The boundary itself is the t → ∞ statement: near the diagonal the finite
horizon's odds ratio (fpr/tpr)^T is not yet extreme.

Verdict (``summary``): supported when every off-diagonal grid cell ends on its predicted side of b₀ (one-sided t over
replicates, α = 0.05 Bonferroni-corrected over those cells) and every followed trajectory agrees with the recursion
within 5 standard errors (floored at 1/n) at every generation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "verification"
CLAIM = "Verification prevents collapse exactly when tpr > fpr: bad mass → 0 below the diagonal tpr = fpr, → 1 above it"


@dataclass(frozen=True)
class Config:
    probs: tuple = (0.3, 0.25, 0.2, 0.15, 0.1)  # p₀, the categorical truth
    good: int = 3  # the first `good` categories form G (good states); the others are bad, b₀ = 0.25
    rates: tuple = (0.1, 0.55, 1.0)  # tpr and fpr grid of the heatmap (both axes); each pair compiles its own
    # loop, so quick keeps 3 × 3 (the claim is decided on both sides of the diagonal, 3 cells each); full has 20 × 20
    pairs: tuple = ((0.9, 0.3), (0.6, 0.6), (0.3, 0.9))  # (tpr, fpr) of the trajectory panel: one per regime in quick
    n: int = 1000  # samples per generation (real at t = 0, synthetic before verification after)
    generations: int = 20  # generations after generation 0
    grid_replicates: int = 20  # replicates per heatmap cell
    replicates: int = 40  # replicates per trajectory
    seed: int = 0  # base seed, shared by every cell (generation 0's real set is common)


PRESETS = {"quick": Config(), "full": Config(rates=tuple(np.round(np.linspace(0.05, 1.0, 20), 2).tolist()),
                                             pairs=((0.9, 0.3), (0.7, 0.5), (0.6, 0.6), (0.5, 0.7), (0.3, 0.9)),
                                             n=10_000, generations=40, grid_replicates=100, replicates=1000)}


@dataclass(frozen=True, eq=False)
class InFirst:
    """good(x) = the category index x is < ``good`` (a jnp-traceable predicate for ``lab.Verify``)."""

    good: int

    def __call__(self, x):
        return x[:, 0] < self.good

    def describe(self) -> dict:
        return {"kind": "InFirst", "good": self.good}


def simulate_verified(probs: list, good: int, tpr: float, fpr: float, n: int, generations: int, replicates: int,
                      seed: int) -> dict:
    """Bad mass b̂_t (replicate, generation) of the verified Replace loop."""
    import lab

    k = len(probs)
    regime = lab.Replace(transforms=[lab.Verify(tpr, fpr, InFirst(good))])
    ds = lab.simulate(lab.Categorical(np.array(probs)), lab.CategoricalFit(k), regime, n=n, generations=generations,
                      replicates=replicates, key=seed, metrics=[])
    return {"bad": ds["probs"].values[..., good:].sum(-1).astype(np.float64)}


def cells(cfg: Config):
    from lab.study import Cell

    kw = dict(probs=list(cfg.probs), good=cfg.good, n=cfg.n, generations=cfg.generations, seed=cfg.seed)
    out = [Cell(f"grid_{a:g}_{b:g}", simulate_verified, dict(kw, tpr=float(a), fpr=float(b),
                                                              replicates=cfg.grid_replicates))
           for a in cfg.rates for b in cfg.rates]
    out += [Cell(f"traj_{a:g}_{b:g}", simulate_verified, dict(kw, tpr=float(a), fpr=float(b), replicates=cfg.replicates))
            for a, b in cfg.pairs]
    return out


def summary(results: dict, cfg: Config) -> dict:
    """Verdict: every off-diagonal grid cell's final bad mass is on its predicted side of b₀ (one-sided t over
    replicates, α = 0.05 Bonferroni-corrected over the off-diagonal cells: the family's standard, in place of the
    former ad hoc 3 s.e.), and every trajectory agrees with the recursion within 5 s.e. at every t ≥ 1, the s.e.
    floored at 1/n (one sample's mass: once n·b_t < 1 the finite loop loses the bad states for good, b̂ = 0 exactly)."""
    from lab.analysis import Verdict, agreement, paired
    from lab.theory import verification as V

    b0 = float(sum(cfg.probs[cfg.good:]))
    off = [(a, b) for a in cfg.rates for b in cfg.rates if a != b]
    wrong = 0
    for a, b in off:
        fin = results[f"grid_{a:g}_{b:g}"]["bad"][:, -1]
        p = paired(fin, np.full_like(fin, b0), comparisons=len(off))
        wrong += not (p.less() if b < a else p.greater())
    z = 0.0
    for a, b in cfg.pairs:
        bad = results[f"traj_{a:g}_{b:g}"]["bad"][:, 1:]
        se = np.maximum(bad.std(0, ddof=1) / np.sqrt(bad.shape[0]), 1.0 / cfg.n)
        z = max(z, agreement(bad.mean(0), se, V.bad_mass_trajectory(b0, a, b, cfg.generations)[1:]).worst)
    ok = wrong == 0 and z <= 5
    rule = (f"side of b₀: one-sided t, α = 0.05 / {len(off)} (Bonferroni); trajectories: agreement within 5 s.e. "
            "(floored at 1/n)")
    return {"verdict": Verdict.of(ok, rule, cells_right=len(off) - wrong, cells=len(off), worst_z=z),
            "headline": f"{len(off) - wrong}/{len(off)} off-diagonal (tpr, fpr) cells end on the predicted side of "
                        f"b₀ = {b0:g} after {cfg.generations} generations; the simulated trajectories lie within "
                        f"{z:.1f} s.e. of the exact recursion.",
            "cells_right": len(off) - wrong, "cells": len(off), "worst_z": z}


def plot(results: dict, cfg: Config):
    import matplotlib.pyplot as plt

    from lab import plotting
    from lab.theory import verification as V

    b0 = float(sum(cfg.probs[cfg.good:]))
    rates = np.array(cfg.rates)
    sim = np.array([[results[f"grid_{a:g}_{b:g}"]["bad"][:, -1].mean() for a in rates] for b in rates])  # (fpr, tpr)
    th = V.bad_mass_trajectory(b0, rates[None, :], rates[:, None], cfg.generations)[-1]
    fig, axes = plt.subplots(1, 3, figsize=(16, 6.2))

    ax = axes[0]
    edges = np.concatenate([[rates[0] - (rates[1] - rates[0]) / 2], (rates[1:] + rates[:-1]) / 2,
                            [rates[-1] + (rates[-1] - rates[-2]) / 2]])
    im = ax.pcolormesh(edges, edges, sim, cmap="RdYlGn_r", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, label=f"simulated bad mass at t = {cfg.generations} (mean)")
    for i, b in enumerate(rates):
        for j, a in enumerate(rates):
            ax.text(a, b, f"{sim[i, j]:.2f}", ha="center", va="center", fontsize=8)
    line = np.linspace(edges[0], edges[-1], 2)
    ax.plot(line, V.boundary(np.clip(line, 0, 1)), "k--", lw=1.5)
    ax.set(title=f"(a) final bad mass (b₀ = {b0:g}); dashed: tpr = fpr\nbelow: recovers; above: collapses onto B",
           xlabel="true-positive rate tpr (good kept)", ylabel="false-positive rate fpr (bad kept)",
           xlim=(edges[0], edges[-1]), ylim=(edges[0], edges[-1]), aspect="equal")

    ax = axes[1]
    t = np.arange(cfg.generations + 1)
    cmap = plt.get_cmap("coolwarm")
    for i, (a, b) in enumerate(cfg.pairs):
        c = cmap(i / max(1, len(cfg.pairs) - 1))
        plotting.band(ax, t, plotting.summarize(results[f"traj_{a:g}_{b:g}"]["bad"]), color=c,
                      label=f"tpr = {a:g}, fpr = {b:g}")
        plotting.theory(ax, t, V.bad_mass_trajectory(b0, a, b, cfg.generations), color="k",
                        label="exact recursion" if i == 0 else None)
    ax.set(title=f"(b) bad mass b_t: simulation (mean, 10–90 %, {cfg.replicates} runs)\nand exact recursion (dashed)",
           xlabel="generation t", ylabel="bad mass b_t", ylim=(-0.02, 1.02))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3)

    ax = axes[2]
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8)
    below = rates[None, :] > rates[:, None]
    above = rates[None, :] < rates[:, None]
    diag = ~below & ~above
    for mask, c, lab_ in ((below, "C2", "tpr > fpr"), (diag, "k", "tpr = fpr"), (above, "C3", "tpr < fpr")):
        ax.scatter(th[mask], sim[mask], s=18, color=c, label=lab_)
    ax.set(title=f"(c) every grid cell: simulated vs exact b_T\n(T = {cfg.generations})",
           xlabel="exact infinite-sample b_T", ylabel=f"simulated mean b_T ({cfg.grid_replicates} runs, n = {cfg.n})",
           aspect="equal")
    ax.legend(fontsize=8, loc="upper left")

    v = summary(results, cfg)["verdict"]
    fig.suptitle(f"Verification: categorical p₀ = {list(cfg.probs)}, good = first {cfg.good} states, Replace, "
                 f"n = {cfg.n}"
                 f" — {v.status}\nrule: {v.rule}", fontsize=11)
    fig.tight_layout()
    return fig
