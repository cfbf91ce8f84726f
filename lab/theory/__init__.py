"""Closed forms and bounds: plain functions of the setting's numbers, each citing its source."""
from lab.theory import (  # noqa: F401
    categorical, correction, curation, curation_grid, gaussian, kde, kde_fixed, kde_mixed, mixed, mixed_cov, mixed_fixed,
    pooled, regression, stability, verification,
)

__all__ = ["categorical", "correction", "curation", "gaussian", "kde", "kde_fixed", "kde_mixed", "mixed", "mixed_cov",
           "mixed_fixed", "pooled", "regression", "stability", "verification"]
