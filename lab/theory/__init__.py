"""Closed forms and bounds: plain functions of the setting's numbers, each citing its source."""
from lab.theory import categorical, gaussian, kde, pooled, regression  # noqa: F401
