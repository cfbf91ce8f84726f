"""The exact curated loop on a 2-D isotropic Gaussian mixture with a radial reward, on a polar grid (THEORY C1; the
lab's derivation, used by ``studies/curation_mixture.py``).

For a radial reward r(x) = g(‖x − c‖), the finite-K curated law is C_K(p)(x) = K p(x) a(x) ∫₀^∞ e^{−s a(x)} φ(s)^{K−1} ds
with a = e^{r − r*} and φ(s) = E_p[e^{−s a}] (``lab.theory.curation``): the factor multiplying p(x) depends on x only
through ‖x − c‖. On a polar grid around c (rings × angles), the update is therefore C_K applied to the law of the ring
index (a categorical, ``lab.theory.curation.curated``), each ring's angular profile kept: the exact p_t is
p₀(x)·h_t(‖x − c‖) — within every ring the modes keep p₀'s proportions, which is why the limit is p₀|_B for the
plateau reward (argmax r = the ball B(c, ρ)). Quadrature error < 1e-10; grid error: rings are refined near c (edges
R·u², u uniform); on the ball's edge the midpoint rule leaves an error set by the cells the edge cuts (``limit_shares``
is exact).
"""
from __future__ import annotations

import numpy as np

REWARDS = ("distance", "plateau")  # r = −‖x − c‖ (lab.NegDistance) or −max(‖x − c‖ − ρ, 0) (lab.Plateau)


def isotropic_mixture(weights, means, sd: float):
    """``lab.GaussianMixture`` with weights (k,), 2-D means (k, 2) and covariance sd²·I for every mode."""
    import lab

    return lab.GaussianMixture(np.array(weights), np.array(means), np.stack([np.eye(2) * sd**2] * len(weights)))


def polar_grid(centre, R: float, rings: int, angles: int):
    """Cells of a polar grid around ``centre``: midpoints (rings·angles, 2), areas (rings·angles,), ring index, radii.
    Ring edges R·u² (u uniform) refine the grid near the centre."""
    if not R > 0:
        raise ValueError(f"R must be positive, got {R}")
    if int(rings) < 1 or int(angles) < 1:
        raise ValueError(f"rings and angles must be at least 1, got {rings} and {angles}")
    edges = R * np.linspace(0.0, 1.0, rings + 1) ** 2
    rm = 0.5 * (edges[1:] + edges[:-1])
    th = (np.arange(angles) + 0.5) * 2 * np.pi / angles
    pts = np.stack([rm[:, None] * np.cos(th)[None], rm[:, None] * np.sin(th)[None]], -1).reshape(-1, 2)
    area = np.repeat(0.5 * (edges[1:] ** 2 - edges[:-1] ** 2) * 2 * np.pi / angles, angles)
    ring = np.repeat(np.arange(rings), angles)
    return pts + np.asarray(centre, float), area, ring, rm


def grid_stats(p, pts, area, r, post):
    """E[r], E[e^r], Var[e^r], mass per truth mode, det Cov and differential entropy of a grid law p (cells)."""
    mean = p @ pts
    d = pts - mean
    cov = (p[:, None] * d).T @ d
    pos = p > 0
    e = np.exp(r)
    return {"reward": float(p @ r), "exp_reward": float(p @ e), "var_exp_reward": float(p @ e**2 - (p @ e) ** 2),
            "shares": p @ post, "gen_var": float(np.linalg.det(cov)),
            "entropy": float(-np.sum(p[pos] * np.log(p[pos] / area[pos])))}


def exact_update(reward: str, weights: list, means: list, sd: float, radius: float, K: float, generations: int,
                 rings: int, angles: int, grid_radius: float) -> dict:
    """The exact curated loop p_{t+1} = C_K(p_t) on the polar grid around means[0] (ring reduction, module
    docstring), its statistics per generation, C1's one-step lower bound, and the limit law p₀|_{argmax r}'s
    statistics."""
    import jax.numpy as jnp

    from lab.theory import curation as C

    if reward not in REWARDS:
        raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
    truth = isotropic_mixture(weights, means, sd)
    pts, area, ring, rm = polar_grid(means[0], grid_radius, rings, angles)
    lp = np.asarray(truth.component_log_probs(jnp.asarray(pts)), np.float64)
    dens = np.exp(lp).sum(1)
    post = np.exp(lp) / dens[:, None]
    p = dens * area
    p = p / p.sum()
    g = -rm if reward == "distance" else -np.maximum(rm - radius, 0.0)  # reward per ring
    r = g[ring]
    traj, bound, err = [], [], 0.0
    for _ in range(generations + 1):
        traj.append(grid_stats(p, pts, area, r, post))
        bound.append(float(C.reward_gain_bound(p, r, K)))
        P = np.bincount(ring, p, minlength=rings)
        Q, e = C.curated(P, g, K, with_error=True)
        err = max(err, e)
        factor = np.divide(Q, P, out=np.zeros_like(Q), where=P > 0)
        p = p * factor[ring]
        p = p / p.sum()
    out = {k: np.array([s[k] for s in traj]) for k in traj[0]}
    out["bound"] = np.array(bound[:-1])  # bound on E_{t+1}[e^r] − E_t[e^r], t = 0..T−1
    out["quad_error"] = err
    top = np.isclose(r, 0.0) if reward == "plateau" else (ring == 0)
    lim = np.where(top, dens * area, 0.0)
    out["limit"] = grid_stats(lim / lim.sum(), pts, area, r, post)
    return out


def limit_shares(weights, means, sd, radius) -> np.ndarray:
    """(k,) truth-posterior mass per mode of p₀|_{B(c, ρ)}, c = means[0]: π_j P_j(B)/Σ_l π_l P_l(B), P_j(B) a
    non-central χ²₂ CDF at ρ²/s² with non-centrality ‖μ_j − c‖²/s²."""
    from scipy.stats import ncx2

    if not (sd > 0 and radius >= 0):
        raise ValueError(f"sd must be positive and radius non-negative, got sd={sd}, radius={radius}")
    mu = np.asarray(means, float)
    nc = np.sum((mu - mu[0]) ** 2, axis=1) / sd**2
    PB = ncx2.cdf(radius**2 / sd**2, 2, nc)
    q = np.asarray(weights) * PB
    return q / q.sum()
