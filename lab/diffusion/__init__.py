"""One diffusion stack (Karras et al. 2022 read side by side with Song et al. 2021), in σ-space:

- ``precond``: the VP and EDM parameterisations (preconditioning, training noise law, sampling grid; Table 1);
- ``networks``: ``OneHidden`` (THEORY F1's one-hidden-layer score network), ``MLP``, ``Conv``;
- ``loss``: the denoising score-matching loss (eq. 2 / eq. 8), one function for both;
- ``samplers``: Heun (Algorithms 1 and 2) and Euler–Maruyama, and the probability-flow log-density;
- ``exact``: the exact Gaussian-mixture denoiser, score and noised log-density (the oracle);
- ``train``: one pure training function, vmappable over seeds and replicates (optax, EMA);
- ``guidance``: SIMS's negative guidance in denoiser or score space;
- ``family``: the model families ``Diffusion`` and ``SIMS`` that run through ``lab.simulate``;
- ``checkpoint``: one-file save/load of fitted params.
Precision: float32 throughout (``precond.DTYPE``).
"""
from lab.diffusion.precond import DTYPE, EDM, VP, denoise, score_from_denoiser  # noqa: F401
from lab.diffusion.networks import MLP, Conv, OneHidden, count_params, network_from_dict  # noqa: F401
from lab.diffusion.loss import dsm_loss  # noqa: F401
from lab.diffusion.samplers import Sampler, log_density, solve  # noqa: F401
from lab.diffusion.exact import mixture_denoiser, mixture_log_prob_and_denoiser, mixture_score  # noqa: F401
from lab.diffusion.train import TrainConfig, Trained, train  # noqa: F401
from lab.diffusion.guidance import guide  # noqa: F401
from lab.diffusion.family import SIMS, Diffusion, DiffusionParams, SIMSParams  # noqa: F401
from lab.diffusion import checkpoint  # noqa: F401,E402

__all__ = ["DTYPE", "VP", "EDM", "denoise", "score_from_denoiser", "OneHidden", "MLP", "Conv", "count_params",
           "network_from_dict", "dsm_loss", "Sampler", "solve", "log_density", "mixture_denoiser",
           "mixture_log_prob_and_denoiser", "mixture_score", "TrainConfig", "Trained", "train", "guide",
           "Diffusion", "DiffusionParams", "SIMS", "SIMSParams", "checkpoint"]
