"""autophagy-lab: a theory and simulation laboratory for self-consuming generative loops.

Precision policy: importing ``lab`` enables JAX's float64 (``jax_enable_x64``). Variances shrink geometrically in
collapse loops, and float32 underflows after a few hundred generations; the analytic worlds therefore run in float64.
Neural-network families choose float32 explicitly for their own parameters.
"""
import jax

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

from lab import metrics, theory  # noqa: E402
from lab.distributions import Gaussian  # noqa: E402
from lab.loop import simulate  # noqa: E402
from lab.models import GaussianFit, GaussianParams  # noqa: E402
from lab.models import KDE, CategoricalFit, LinearRegressionFit, MixtureFit  # noqa: E402
from lab.regimes import Accumulate, AccumulateSubsample, Augment, Fresh, Replace  # noqa: E402
from lab.truths import Categorical, Dataset, GaussianMixture, LinearModel, two_moons, zipf  # noqa: E402

__all__ = [
    "Gaussian", "GaussianMixture", "Categorical", "zipf", "LinearModel", "Dataset", "two_moons",
    "GaussianFit", "GaussianParams", "MixtureFit", "KDE", "CategoricalFit", "LinearRegressionFit",
    "Replace", "Accumulate", "AccumulateSubsample", "Augment", "Fresh",
    "simulate", "metrics", "theory", "__version__",
]
