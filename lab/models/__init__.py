"""Model families (see ``lab/models/base.py`` for the contract)."""
from lab.models.gaussian import GaussianFit, GaussianParams

__all__ = ["GaussianFit", "GaussianParams"]
from lab.models.categorical import CategoricalFit, CategoricalParams  # noqa: E402
from lab.models.kde import KDE, KDEParams  # noqa: E402
from lab.models.mixture import MixtureFit, MixtureParams  # noqa: E402
from lab.models.regression import LinearRegressionFit, RegressionParams  # noqa: E402

__all__ += ["MixtureFit", "MixtureParams", "KDE", "KDEParams", "CategoricalFit", "CategoricalParams",
            "LinearRegressionFit", "RegressionParams"]
from lab.models.scorenet import ScoreNetDiffusion, ScoreNetParams  # noqa: E402

__all__ += ["ScoreNetDiffusion", "ScoreNetParams"]
