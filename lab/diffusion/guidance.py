"""SIMS guidance: negative guidance away from a model fine-tuned on the base's own samples (THEORY N1).

Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data": with the base model (r, trained on real
data) and the auxiliary model (s, the base fine-tuned on its own synthetic samples), sample with
    score space     s = s_r + ω (s_r − s_s)   (= (1 + ω) s_r − ω s_s),   ω ≥ 0,
    denoiser space  D = D_r + ω (D_r − D_s)   (= (1 + ω) D_r − ω D_s),
identical in exact arithmetic because s = (D − x)/σ² (Karras et al. 2022, eq. 3) and the weights (1 + ω, −ω) sum to 1
(EDM2's autoguidance has the same form with g = 1 + ω). ω = 0 is the base model.
"""
from __future__ import annotations

from typing import Callable

import jax

SPACES = ("denoiser", "score")


def guide(f_r: Callable, f_s: Callable, omega) -> Callable:
    """f = f_r + ω (f_r − f_s) for denoisers or scores f(x, σ); at ω = 0 the branch ``lax.cond`` takes returns f_r
    untouched and never evaluates f_s, so a traced ω = 0 reproduces the unguided sampler bit for bit (without the cond,
    XLA fuses the base's last layer with the guidance arithmetic and reorders sums, so some coordinates differ by an
    ulp). Under ``vmap`` over ω the cond becomes a select (values unchanged, bits not promised)."""
    def f(x, sigma):
        a = f_r(x, sigma)
        return jax.lax.cond(omega == 0, lambda a: a, lambda a: a + omega * (a - f_s(x, sigma)), a)
    return f


def score_of(D: Callable) -> Callable:
    """s(x, σ) = (D(x; σ) − x)/σ² (eq. 3)."""
    return lambda x, sigma: (D(x, sigma) - x) / sigma**2


__all__ = ["SPACES", "guide", "score_of"]
