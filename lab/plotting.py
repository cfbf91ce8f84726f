"""The plot helpers' former home: they live in ``lab.analysis.plots`` (kept so ``lab.plotting.band`` still works)."""
from lab.analysis.plots import band, summarize, theory  # noqa: F401

__all__ = ["summarize", "band", "theory"]
