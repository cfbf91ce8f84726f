"""Closed forms and bounds: plain functions of the setting's numbers, each citing its source."""
from lab.theory import categorical, curation, gaussian, kde, mixed, pooled, regression, stability, verification  # noqa: F401,E501
