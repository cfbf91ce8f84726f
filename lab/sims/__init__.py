"""SIMS: EDM-style diffusion (Karras et al. 2022) and self-improvement with synthetic data (THEORY N1).

Modules: ``edm`` (preconditioning, training noise and loss, σ schedule), ``networks`` (MLP / CNN specs),
``training`` (jit + scan training, EMA, fine-tuning), ``sampling`` (Algorithms 1 and 2, SIMS guidance),
``checkpoint`` (one-file save/load), ``exact`` (the analytic denoiser of a Gaussian mixture), ``pipeline``
(base → synthetic → auxiliary → guided samples), ``data`` (sklearn's 8×8 digits, local ``.npz`` images, class-skewed
subsets, 2-D ring/grid mixtures; no downloads), ``evaluate`` (digits classifier features, Fréchet distance,
precision/recall, class histograms; exact comparisons with an analytic 2-D truth).
Precision: float32 throughout (``edm.DTYPE``).
"""
from lab.sims import checkpoint, data, edm, evaluate, exact, networks, pipeline, sampling, training  # noqa: F401
from lab.sims.data import Images, digits, load_npz, skewed
from lab.sims.evaluate import digits_classifier, evaluate_digits, evaluate_toy, frechet_distance
from lab.sims.checkpoint import load, save
from lab.sims.exact import mixture_denoiser
from lab.sims.networks import ConvSpec, MLPSpec, count_params, spec_from_dict
from lab.sims.pipeline import SIMSConfig, SIMSResult, fit_auxiliary, fit_base, run_sims, synthesize
from lab.sims.sampling import SamplerConfig, guided_sample, sample
from lab.sims.training import Model, TrainConfig, train, train_many, unstack

__all__ = ["edm", "networks", "training", "sampling", "checkpoint", "exact", "pipeline", "data", "evaluate",
           "Images", "digits", "load_npz", "skewed", "digits_classifier", "evaluate_digits", "evaluate_toy",
           "frechet_distance",
           "MLPSpec", "ConvSpec", "count_params", "spec_from_dict", "TrainConfig", "Model", "train", "train_many",
           "unstack", "SamplerConfig", "sample", "guided_sample", "save", "load", "mixture_denoiser",
           "SIMSConfig", "SIMSResult", "fit_base", "synthesize", "fit_auxiliary", "run_sims"]
