"""autophagy-lab: a theory and simulation laboratory for self-consuming generative loops.

Precision policy: importing ``lab`` enables JAX's float64 (``jax_enable_x64``). Variances shrink geometrically in
collapse loops, and float32 underflows after a few hundred generations; the analytic worlds therefore run in float64.
Neural-network families choose float32 explicitly for their own parameters.

Cores: unless XLA_FLAGS already names a host device count, importing ``lab`` (before JAX's first computation) asks
XLA for one CPU device per core, and ``simulate`` spreads each chunk of replicates over them (``lab/loop.py``).
"""
import os

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count="
                               + str(max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                         else os.cpu_count() or 1))).strip()

import jax  # noqa: E402

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

from lab import diffusion  # noqa: E402
from lab.models import ScoreNetDiffusion  # noqa: E402

__all__ += ["ScoreNetDiffusion", "diffusion"]

# Remedies (issue 5): transforms on synthetic samples and the weighted real-data regime.
from lab.regimes.weighted import Weighted  # noqa: E402
from lab.transforms import Correct, Curate, DensityAbove, Ideal, Langevin, Near, NegDistance, Project  # noqa: E402
from lab.transforms import TableReward, Verify  # noqa: E402

__all__ += ["Weighted", "Curate", "NegDistance", "TableReward", "Correct", "Ideal", "Langevin", "Project",
            "Verify", "Near", "DensityAbove"]

# Diffusion with a one-hidden-layer score network (issue 4).
from lab import diffusion  # noqa: E402
from lab.models import ScoreNetDiffusion  # noqa: E402

__all__ += ["ScoreNetDiffusion", "diffusion"]

# SIMS: EDM diffusion, negative guidance, digits and 2-D worlds (issue 6); ``lab.sims.*``.
from lab import sims  # noqa: E402

__all__ += ["sims"]

# The peers' conventions as named options (issue 18): Gillman's shipped accumulation and corrector, make_moons' law.
from lab.regimes.recency import RecencyAccumulate  # noqa: E402
from lab.transforms.histogram import HistogramCorrect  # noqa: E402
from lab.truths import MakeMoons  # noqa: E402

__all__ += ["RecencyAccumulate", "HistogramCorrect", "MakeMoons"]
