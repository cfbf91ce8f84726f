"""Plot helpers shared by the studies: simulation as mean and band, theory as a dashed line. Each takes an ``ax``
and returns it (STYLE: plots take an ax)."""
from __future__ import annotations

import numpy as np


def summarize(samples, q=(0.1, 0.9)) -> dict:
    """Mean, standard error and quantile band over replicates of a (replicate, generation) array.

    Returns {"mean", "se", "lo", "hi", "median": (generation,) arrays, "replicates": R}; the SE is 0 with one
    replicate, and "lo"/"hi" are the q[0] and q[1] quantiles (10–90 % by default)."""
    a = np.asarray(samples, dtype=float)
    if a.ndim < 1 or a.shape[0] < 1:
        raise ValueError(f"samples must be a (replicate, ...) array with at least one replicate, got shape {a.shape}")
    if len(q) != 2 or not 0.0 <= q[0] <= q[1] <= 1.0:
        raise ValueError(f"q must be two quantiles 0 ≤ q[0] ≤ q[1] ≤ 1, got {q}")
    return {"mean": a.mean(0), "se": a.std(0, ddof=1) / np.sqrt(a.shape[0]) if a.shape[0] > 1 else 0 * a[0],
            "lo": np.quantile(a, q[0], axis=0), "hi": np.quantile(a, q[1], axis=0),
            "median": np.median(a, axis=0), "replicates": a.shape[0]}


def band(ax, x, summary: dict, *, label: str, color=None, alpha=0.18, line="mean"):
    """Simulation: the mean (or median: ``line``) line and the 10–90 % band across replicates of a ``summarize``
    dict, over x: (generation,). Returns ``ax``."""
    missing = {line, "lo", "hi"} - set(summary)
    if missing:
        raise ValueError(f"summary must be a summarize() dict holding {sorted({line, 'lo', 'hi'})}, missing "
                         f"{sorted(missing)}")
    (ln,) = ax.plot(x, summary[line], color=color, lw=1.6, label=label)
    ax.fill_between(x, summary["lo"], summary["hi"], color=ln.get_color(), alpha=alpha, lw=0)
    return ax


def theory(ax, x, y, *, color=None, label=None, ls="--"):
    """Theory: a dashed black-edged line y(x) over the simulation (x: (points,), y: (points,) or (points, lines)).
    Returns ``ax``."""
    if np.ndim(x) != 1 or np.shape(y)[:1] != np.shape(x):
        raise ValueError(f"x must be (points,) and y (points, ...), got shapes {np.shape(x)} and {np.shape(y)}")
    ax.plot(x, y, ls=ls, color=color or "k", lw=1.3, label=label)
    return ax


def overlay(ax, x, y, *, color="k", label=None, ls="--", lw=1.6):
    """Theory drawn on top of simulation: a dashed line with a white halo, above bands and same-coloured lines
    (zorder 5). x: (points,), y: (points,). Returns ``ax``."""
    import matplotlib.patheffects as pe

    if np.ndim(x) != 1 or np.shape(y) != np.shape(x):
        raise ValueError(f"x and y must be (points,) arrays of one length, got shapes {np.shape(x)} and {np.shape(y)}")
    ax.plot(x, y, ls=ls, color=color, lw=lw, label=label, zorder=5,
            path_effects=[pe.Stroke(linewidth=lw + 1.8, foreground="white"), pe.Normal()])
    return ax


def legend_below(fig, handles, labels, *, ncol=4, fontsize=8):
    """One figure legend centred below the panels (off the data). Returns the legend."""
    return fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, fontsize=fontsize,
                      frameon=False)
