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


def seed_curve(ax, x, a, *, label: str, color=None, show_seeds: bool = True, marker: str = "o"):
    """Seed mean (line with markers) and min–max band of a (seed, point) array over x: (point,), with thin per-seed
    lines when ``show_seeds``. Returns ``ax``."""
    a = np.asarray(a, float)
    if a.ndim != 2 or a.shape[1] != np.shape(x)[0]:
        raise ValueError(f"a must be a (seed, len(x)) array, got shape {a.shape} for x of length {np.shape(x)[0]}")
    (ln,) = ax.plot(x, a.mean(0), marker=marker, color=color, lw=1.6, ms=4, label=label)
    if a.shape[0] > 1:
        ax.fill_between(x, a.min(0), a.max(0), color=ln.get_color(), alpha=0.18, lw=0)
        for row in a if show_seeds else ():
            ax.plot(x, row, color=ln.get_color(), lw=0.6, alpha=0.5)
    return ax


def image_grid(ax, images, *, title: str, cols: int = 8, fontsize: float = 9):
    """Grayscale images in [−1, 1], (k, h, w), tiled ``cols`` to a row with a one-pixel gap (a trailing partial row
    is dropped). Returns ``ax``."""
    imgs = np.asarray(images, float)
    imgs = imgs[: (len(imgs) // cols) * cols]
    h, w = imgs.shape[1:3]
    rows = len(imgs) // cols
    canvas = np.ones((rows * (h + 1) - 1, cols * (w + 1) - 1))
    for k, im in enumerate(imgs):
        r, c = divmod(k, cols)
        canvas[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = im
    ax.imshow(canvas, cmap="gray_r", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=fontsize)
    ax.set(xticks=[], yticks=[])
    return ax
