"""``ScoreNetDiffusion``: a thin name for the F1 setting of ``lab.diffusion.Diffusion`` (issue 10 kept the name).

    ScoreNetDiffusion(width, ...) = Diffusion(OneHidden(width), VP(beta, t_min, t_max, time_law),
                                              TrainConfig(steps, batch, lr, warmup=0, lr_end=0, ema_decay=0,
                                                          grad_clip=None),
                                              Sampler(sample_steps, "heun" | "euler_maruyama"))
the one-hidden-layer score network of Fu et al. (ICML 2024; THEORY F1) under the VP process, trained with Adam and a
cosine decay to 0 on the noise-prediction loss, sampled with its raw weights (no EMA), by the probability-flow ODE
("ode", Heun) or the reverse SDE ("sde", Euler–Maruyama), stopping at t_min. See ``lab.diffusion`` for each piece.
The fit takes the engine's keyword-only ``key`` (the data-hashed key of issue 4 is gone).
"""
from __future__ import annotations

from lab.diffusion import OneHidden, Sampler, TrainConfig, VP
from lab.diffusion.family import Diffusion, DiffusionParams

SAMPLERS = {"ode": "heun", "sde": "euler_maruyama"}


def ScoreNetDiffusion(width: int, steps: int = 2000, lr: float = 1e-2, batch: int = 256, sampler: str = "ode",
                      sample_steps: int = 100, beta: float = 1.0, t_min: float = 1e-3, t_max: float = 10.0,
                      time_law: str = "likelihood") -> Diffusion:
    """The F1 diffusion family (module docstring). ``sampler``: "ode" or "sde"."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be 'ode' or 'sde', got {sampler!r}")
    return Diffusion(OneHidden(width), VP(beta, t_min, t_max, time_law),
                     TrainConfig(steps=steps, batch=batch, lr=lr, warmup=0, lr_end=0.0, ema_decay=0.0, grad_clip=None),
                     Sampler(sample_steps, SAMPLERS[sampler]))


ScoreNetParams = DiffusionParams

__all__ = ["ScoreNetDiffusion", "ScoreNetParams"]
