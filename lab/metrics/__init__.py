"""Metrics (see ``lab/metrics/base.py`` for the contract)."""
from lab.metrics import gaussian_formulas
from lab.metrics.base import Metric
from lab.metrics.gaussian import KL, TV, W2, DetRatio, MeanError, TraceRatio, TVLower, TVUpper
from lab.metrics.grid import GridTV

__all__ = ["Metric", "W2", "KL", "TV", "TVLower", "TVUpper", "MeanError", "DetRatio", "TraceRatio", "GridTV",
           "gaussian_formulas"]
from lab.metrics import categorical, mixture, regression, samples  # noqa: E402

__all__ += ["samples", "categorical", "mixture", "regression"]
