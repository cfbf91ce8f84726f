"""The metric contract: a frozen dataclass with a ``name`` and ``__call__(truth, model, params, *, key) -> scalar``
(``key`` keyword-only, as everywhere in the lab).

The engine evaluates every metric on every (replicate, generation) cell, with a key of its own for metrics that
estimate by Monte Carlo, and stores it as a Dataset variable named ``metric.name``. A metric that computes several
values from one draw (e.g. several estimators on the same model samples, so the program holds one sampler, not one per
estimator) sets ``names`` (a tuple) and returns a dict {name: scalar} in that order: one Dataset variable per name.
"""
from __future__ import annotations

from dataclasses import dataclass

from lab.models.base import describe_dataclass


class Metric:
    name: str = "metric"

    def describe(self) -> dict:
        return {"name": self.name, **describe_dataclass(self)}


@dataclass(frozen=True)
class DirectedMetric(Metric):
    """A divergence with a direction: "truth_model" measures D(truth ‖ fit), "model_truth" D(fit ‖ truth).
    Subclasses set ``prefix``; the Dataset variable is ``prefix_direction`` (e.g. ``kl_truth_model``)."""

    direction: str = "truth_model"

    prefix = "divergence"

    def __post_init__(self):
        if self.direction not in ("truth_model", "model_truth"):
            raise ValueError(f"direction must be 'truth_model' or 'model_truth', got {self.direction!r}")

    @property
    def name(self):
        return f"{self.prefix}_{self.direction}"
