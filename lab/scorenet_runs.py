"""Score-network loops on the 1-D truth N(0, 1): TV to the truth per generation, summarised over replicates.

The runners the studies ``score_net_loop`` (F1 panels) and ``phase_transition`` (score-network column) share: one
``lab.ScoreNetDiffusion`` (one hidden layer, retrained from scratch every generation) in ``lab.simulate``, TV to N(0, 1)
from the model's exact probability-flow density by quadrature (``lab.metrics.GridTV`` on [−6, 6]), returned as
``{"tv": lab.analysis.summarize(TV (replicate, generation 0…G))}``: arrays of length G + 1. ``n01_lane`` runs the same
loop as one lane of ``lab.lanes`` (a fixed real set or fresh real data, m ≤ ``capacity``): every m of a grid then shares
one compiled loop per process instead of compiling its own.
"""
from __future__ import annotations

LO, HI = -6.0, 6.0  # the quadrature interval of GridTV


def scorenet(width: int, steps: int, batch: int, lr: float):
    """The one-hidden-layer score network: ``width`` hidden units, ``steps`` Adam steps of ``batch`` rows, peak
    learning rate ``lr`` (cosine decay)."""
    import lab

    return lab.ScoreNetDiffusion(width, steps=steps, batch=batch, lr=lr)


def n01_run(regime, n: int, generations: int, replicates: int, *, seed: int, width: int, steps: int, batch: int,
            lr: float, grid: int) -> dict:
    """The score network under ``regime`` on N(0, 1), n real points at generation 0: ``{"tv": summarize(...)}``."""
    import lab
    from lab.analysis import summarize
    from lab.metrics.grid import GridTV

    ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), scorenet(width, steps, batch, lr), regime, n=n,
                      generations=generations, replicates=replicates, key=seed, metrics=[GridTV(LO, HI, points=grid)])
    return {"tv": summarize(ds["tv_grid"].values)}


def scorenet_tv_vs_m(n: int, m: int, generations: int, replicates: int, *, seed: int, width: int = 64,
                     steps: int = 2000, batch: int = 256, lr: float = 1e-2, grid: int = 241) -> dict:
    """``lab.Fresh(real=n, synthetic=m)``: n fresh real points plus m samples of the previous model every generation;
    m = 0 gives independent fits on n fresh real points every generation."""
    import lab

    return n01_run(lab.Fresh(real=n, synthetic=m), n, generations, replicates, seed=seed, width=width, steps=steps,
                   batch=batch, lr=lr, grid=grid)


def scorenet_tv_replace(n: int, generations: int, replicates: int, *, seed: int, width: int = 64, steps: int = 2000,
                        batch: int = 256, lr: float = 1e-2, grid: int = 241) -> dict:
    """Fully synthetic training (``lab.Replace()``): generation 0 fits n real points, every later generation n
    samples of the previous model only."""
    import lab

    return n01_run(lab.Replace(), n, generations, replicates, seed=seed, width=width, steps=steps, batch=batch, lr=lr,
                   grid=grid)


def n01_lane(setting: str, n: int, m: int, capacity: int, generations: int, replicates: int, *, seed: int,
             width: int = 64, steps: int = 2000, batch: int = 256, lr: float = 1e-2, grid: int = 241) -> dict:
    """One ``lab.lanes`` lane on N(0, 1): "fixed" = ``lab.Augment(synthetic=m)`` (m ≥ 1: the same n real points every
    generation plus m samples of the previous model), "fresh" = ``lab.Fresh(real=n, synthetic=m)`` (m ≥ 0). Cells with
    the same (n, capacity, generations, network, grid) share one compiled loop; the numbers are those of
    ``lab.simulate`` under that regime, up to float32 rounding."""
    import lab
    from lab import lanes
    from lab.analysis import summarize
    from lab.metrics.grid import GridTV

    if setting not in ("fixed", "fresh"):
        raise ValueError(f"setting must be 'fixed' or 'fresh', got {setting!r}")
    if setting == "fixed" and m < 1:
        raise ValueError(f"m must be >= 1 with a fixed real set (m = 0 is generation 0 at every generation), got {m}")
    lane = lanes.Lane.augment(n, m, seed=seed) if setting == "fixed" else lanes.Lane.fresh_data(n, m, seed=seed)
    tv = lanes.run(lab.Gaussian([0.0], [[1.0]]), scorenet(width, steps, batch, lr), GridTV(LO, HI, points=grid),
                   [lane], n=n, capacity=capacity, generations=generations, replicates=replicates, batch=replicates)[0]
    return {"tv": summarize(tv)}


__all__ = ["LO", "HI", "scorenet", "n01_run", "n01_lane", "scorenet_tv_vs_m", "scorenet_tv_replace"]
