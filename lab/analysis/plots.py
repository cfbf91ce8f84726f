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


def densities(ax, x, truth, curves, *, labels, dotted=None):
    """1-D model densities over the truth's: ``truth`` (points,) drawn thick black, each row of ``curves``
    (k, points) in a viridis shade labelled ``labels[j]``, and optionally the rows of ``dotted`` (k, points) thin and
    dotted in the same shades (e.g. one replicate beside the mean). Returns ``ax``."""
    import matplotlib.pyplot as plt

    shades = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(curves)))
    ax.plot(x, truth, "k", lw=2.2, label="truth")
    for j, c in enumerate(curves):
        ax.plot(x, c, color=shades[j], lw=1.5, label=labels[j])
        if dotted is not None:
            ax.plot(x, dotted[j], color=shades[j], lw=0.8, ls=":")
    return ax


def scatter_over_contours(ax, samples, truth_logpdf, *, labels, lim=3.5, s=4):
    """2-D samples over the truth's density contours: ``samples`` (k, points, 2), one viridis shade per set labelled
    ``labels[j]``; ``truth_logpdf`` maps (points, 2) to (points,) log-densities. Returns ``ax``."""
    import matplotlib.pyplot as plt

    g = np.linspace(-lim, lim, 120)
    X, Y = np.meshgrid(g, g)
    P = np.exp(np.asarray(truth_logpdf(np.stack([X.ravel(), Y.ravel()], -1)))).reshape(X.shape)
    ax.contour(X, Y, P, levels=6, colors="k", linewidths=0.7)
    shades = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(samples)))
    for j, pts in enumerate(samples):
        pts = np.asarray(pts)
        ax.scatter(pts[:, 0], pts[:, 1], s=s, color=shades[j], alpha=0.55, label=labels[j])
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
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
