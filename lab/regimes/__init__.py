"""Regimes: how each generation's training set is assembled (see ``lab/regimes/base.py`` for the contract)."""
from lab.regimes.accumulate import Accumulate, AccumulateSubsample
from lab.regimes.augment import Augment
from lab.regimes.base import Plan
from lab.regimes.fresh import Fresh
from lab.regimes.recency import RecencyAccumulate
from lab.regimes.replace import Replace
from lab.regimes.weighted import Weighted

__all__ = ["Replace", "Accumulate", "AccumulateSubsample", "Augment", "Fresh", "Weighted", "RecencyAccumulate", "Plan"]
