"""Plot helpers shared by the studies: simulation as mean and band, theory as a dashed line. Each takes an ``ax``
and returns it (STYLE: plots take an ax)."""
from __future__ import annotations

import numpy as np


def summarize(samples, q=(0.1, 0.9)) -> dict:
    """Mean, standard error and quantile band over replicates of a (replicate, generation) array."""
    a = np.asarray(samples, dtype=float)
    return {"mean": a.mean(0), "se": a.std(0, ddof=1) / np.sqrt(a.shape[0]) if a.shape[0] > 1 else 0 * a[0],
            "lo": np.quantile(a, q[0], axis=0), "hi": np.quantile(a, q[1], axis=0),
            "median": np.median(a, axis=0), "replicates": a.shape[0]}


def band(ax, x, summary: dict, *, label: str, color=None, alpha=0.18, line="mean"):
    """Simulation: the mean (or median) line and the 10–90 % band across replicates."""
    (ln,) = ax.plot(x, summary[line], color=color, lw=1.6, label=label)
    ax.fill_between(x, summary["lo"], summary["hi"], color=ln.get_color(), alpha=alpha, lw=0)
    return ax


def theory(ax, x, y, *, color=None, label=None, ls="--"):
    """Theory: a dashed black-edged line over the simulation."""
    ax.plot(x, y, ls=ls, color=color or "k", lw=1.3, label=label)
    return ax
