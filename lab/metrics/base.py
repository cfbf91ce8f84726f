"""The metric contract: a frozen dataclass with a ``name`` and ``__call__(truth, model, params, key) -> scalar``.

The engine evaluates every metric on every (replicate, generation) cell, with a key of its own for metrics that
estimate by Monte Carlo, and stores it as a Dataset variable named ``metric.name``.
"""
from __future__ import annotations

from lab.models.base import describe_dataclass


class Metric:
    name: str = "metric"

    def describe(self) -> dict:
        return {"name": self.name, **describe_dataclass(self)}
