"""Score-based diffusion pieces: the VP forward process, the one-hidden-layer score network, samplers and the
probability-flow log-density, and closed-form scores of noised Gaussian mixtures. The model family built from them is
``lab.ScoreNetDiffusion`` (``lab/models/scorenet.py``)."""
from lab.diffusion.network import MLPParams, dsm_loss, eps_hat, score
from lab.diffusion.process import VP
from lab.diffusion.samplers import divergence, euler_maruyama, heun_ode, log_density, time_grid
from lab.diffusion.scores import noised_log_prob_and_score, noised_score

__all__ = ["VP", "MLPParams", "eps_hat", "score", "dsm_loss", "heun_ode", "euler_maruyama", "divergence",
           "log_density", "time_grid", "noised_log_prob_and_score", "noised_score"]
