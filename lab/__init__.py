"""autophagy-lab: a theory and simulation laboratory for self-consuming generative loops.

Precision policy: importing ``lab`` enables JAX's float64 (``jax_enable_x64``), for the whole process, with no opt-out
(README, "What importing lab changes", lists every setting ``lab/_setup.py`` makes). Variances shrink geometrically in
collapse loops, and float32 underflows after a few hundred generations; the analytic worlds therefore run in float64.
Neural-network families choose float32 explicitly for their own parameters.

Cores: unless XLA_FLAGS already names a host device count, importing ``lab`` (before JAX's first computation) asks
XLA for one CPU device per core, and ``simulate`` spreads each chunk of replicates over them (``lab/loop.py``).

Compilation cache: importing ``lab`` turns on JAX's persistent compilation cache in a user cache folder; opt out with
``LAB_COMPILATION_CACHE=0`` (``lab/_setup.py``).

Imports are lazy (PEP 562 module ``__getattr__``): ``import lab`` loads neither JAX nor the submodules; ``lab.X`` imports
what X needs on first use. The names in ``__all__`` are the public API.
"""
from lab import _setup

_setup.apply()

__version__ = "0.1.0"

# public name -> module that defines it (a name equal to its module's last part is the submodule itself)
_EXPORTS = {
    "Gaussian": "lab.truths", "truths": "lab.truths",
    "GaussianMixture": "lab.truths", "Categorical": "lab.truths", "zipf": "lab.truths", "LinearModel": "lab.truths",
    "Dataset": "lab.truths", "two_moons": "lab.truths", "Images": "lab.truths",
    "GaussianFit": "lab.models", "GaussianParams": "lab.models", "MixtureFit": "lab.models", "KDE": "lab.models",
    "CategoricalFit": "lab.models", "LinearRegressionFit": "lab.models", "ScoreNetDiffusion": "lab.models",
    "Diffusion": "lab.diffusion", "SIMS": "lab.diffusion",
    # The peers' conventions as named options (issue 18): Gillman's shipped accumulation and corrector, make_moons.
    "RecencyAccumulate": "lab.regimes", "HistogramCorrect": "lab.transforms.histogram", "MakeMoons": "lab.truths",
    "Replace": "lab.regimes", "Accumulate": "lab.regimes", "AccumulateSubsample": "lab.regimes",
    "Augment": "lab.regimes", "Fresh": "lab.regimes", "Weighted": "lab.regimes",
    "simulate": "lab.loop",
    "analysis": "lab.analysis", "metrics": "lab.metrics", "theory": "lab.theory", "diffusion": "lab.diffusion",
    "sims": "lab.sims",
    # Remedies (issue 5): transforms on synthetic samples and the weighted real-data regime.
    "Curate": "lab.transforms", "NegDistance": "lab.transforms", "Plateau": "lab.transforms",
    "TableReward": "lab.transforms",
    "Correct": "lab.transforms", "Ideal": "lab.transforms", "Langevin": "lab.transforms", "Project": "lab.transforms",
    "Verify": "lab.transforms", "Near": "lab.transforms", "DensityAbove": "lab.transforms",
}

__all__ = [
    "Gaussian", "GaussianMixture", "Categorical", "zipf", "LinearModel", "Dataset", "two_moons",
    "GaussianFit", "GaussianParams", "MixtureFit", "KDE", "CategoricalFit", "LinearRegressionFit",
    "Replace", "Accumulate", "AccumulateSubsample", "Augment", "Fresh",
    "simulate", "analysis", "metrics", "theory", "truths", "__version__",
    "ScoreNetDiffusion", "diffusion", "Diffusion", "SIMS",
    "Weighted", "Curate", "NegDistance", "Plateau", "TableReward", "Correct", "Ideal", "Langevin", "Project",
    "Verify", "Near", "DensityAbove", "Images",
    "sims", "RecencyAccumulate", "HistogramCorrect", "MakeMoons",
]


def __getattr__(name: str):
    import importlib

    module = _EXPORTS.get(name)
    if module is None:  # any submodule (lab.keys, lab.loop, …), as the eager imports used to expose them
        if name.startswith("__"):
            raise AttributeError(f"module 'lab' has no attribute {name!r}")
        try:
            return importlib.import_module(f"lab.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"lab.{name}":
                raise
            raise AttributeError(f"module 'lab' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if module.rsplit(".", 1)[-1] == name else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
