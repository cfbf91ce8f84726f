"""SIMS worlds and evaluation around the ``lab.SIMS`` family (THEORY N1). The diffusion stack itself (networks,
parameterisations, training, samplers, guidance, the exact mixture denoiser) lives in ``lab.diffusion``.

Modules: ``pipeline`` (base → synthetic → auxiliary → guided samples over ω, one seed or seeds vmapped), ``evaluate``
(digits classifier features, Fréchet distance, precision/recall, class histograms; exact comparisons with an analytic
2-D truth). The data (sklearn's 8×8 digits, local ``.npz`` images, class-skewed subsets, 2-D ring/grid mixtures; no
downloads) are truths, in ``lab.truths``.
"""
from lab.sims import evaluate, pipeline  # noqa: F401
from lab.sims.evaluate import digits_classifier, evaluate_digits, evaluate_toy, frechet_distance
from lab.sims.pipeline import SIMSConfig, SIMSResult, run_sims, run_sims_seeds

__all__ = ["evaluate", "pipeline", "digits_classifier", "evaluate_digits", "evaluate_toy", "frechet_distance",
           "SIMSConfig", "SIMSResult", "run_sims", "run_sims_seeds"]
