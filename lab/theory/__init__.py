"""Closed forms and bounds (see submodules)."""
