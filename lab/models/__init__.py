"""Model families (see ``lab/models/base.py`` for the contract)."""
from lab.models.gaussian import GaussianFit, GaussianParams

__all__ = ["GaussianFit", "GaussianParams"]
