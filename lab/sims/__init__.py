"""SIMS worlds and evaluation around the ``lab.SIMS`` family (THEORY N1). The diffusion stack itself (networks,
parameterisations, training, samplers, guidance, the exact mixture denoiser) lives in ``lab.diffusion``.

Modules: ``pipeline`` (base → synthetic → auxiliary → guided samples over ω, one seed or seeds vmapped), ``evaluate``
(digits classifier features, Fréchet distance, precision/recall, class histograms; exact comparisons with an analytic
2-D truth), ``suite`` (the SIMS studies: their names, presets and shared cell helpers), ``estimate`` (their run-time
estimate), ``worlds`` (the studies' digits split, finite-row truth, in-jit digits metrics, ring settings),
``selection`` (the class-selection rule of SIMS as a distribution shifter). The data (sklearn's 8×8 digits, local
``.npz`` images, class-skewed subsets, 2-D ring/grid mixtures; no downloads) are truths, in ``lab.truths``.

Imports are lazy (PEP 562, as ``lab``): ``import lab.sims.suite`` loads neither JAX nor the pipeline.
"""
import importlib

_EXPORTS = {
    "digits_classifier": "lab.sims.evaluate", "evaluate_digits": "lab.sims.evaluate",
    "evaluate_toy": "lab.sims.evaluate", "frechet_distance": "lab.sims.evaluate",
    "SIMSConfig": "lab.sims.pipeline", "SIMSResult": "lab.sims.pipeline", "run_sims": "lab.sims.pipeline",
    "run_sims_seeds": "lab.sims.pipeline",
}
_MODULES = ("evaluate", "pipeline", "suite", "estimate", "worlds", "selection")

__all__ = ["evaluate", "pipeline", "suite", "estimate", "worlds", "selection", "digits_classifier", "evaluate_digits",
           "evaluate_toy", "frechet_distance", "SIMSConfig", "SIMSResult", "run_sims", "run_sims_seeds"]


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"lab.sims.{name}")
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lab.sims' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
