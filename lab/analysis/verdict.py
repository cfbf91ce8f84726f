"""One verdict type: the status a figure's rule gives its claim, the rule by name, and the numbers it used."""
from __future__ import annotations

from dataclasses import dataclass, field

STATUSES = ("SUPPORTED", "NOT SUPPORTED", "INCONCLUSIVE")


def verdict_word(ok: bool | None) -> str:
    """The status word of a rule's outcome: True → "SUPPORTED", False → "NOT SUPPORTED", None → "INCONCLUSIVE"."""
    if ok is not None and not isinstance(ok, (bool, int)):
        raise ValueError(f"ok must be True, False or None, got {ok!r}")
    return "SUPPORTED" if ok else ("INCONCLUSIVE" if ok is None else "NOT SUPPORTED")


@dataclass(frozen=True)
class Verdict:
    """What a figure concludes about its claim.

    >>> str(Verdict.of(True, "paired one-sided t, α = 0.05, Bonferroni m = 4", gain=0.12))
    'SUPPORTED (paired one-sided t, α = 0.05, Bonferroni m = 4): gain = 0.12'
    """

    status: str  # one of STATUSES
    rule: str  # the rule family and its level in words, e.g. "paired one-sided t, α = 0.05, Bonferroni m = 4"
    details: dict = field(default_factory=dict)  # the key numbers the rule used, by name

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if not isinstance(self.rule, str) or not self.rule.strip():
            raise ValueError(f"rule must be a non-empty string naming the rule, got {self.rule!r}")
        if not isinstance(self.details, dict):
            raise ValueError(f"details must be a dict of key numbers, got {type(self.details).__name__}")

    @classmethod
    def of(cls, ok: bool | None, rule: str, **details) -> "Verdict":
        """The verdict of a rule's outcome ``ok`` (True, False, or None for inconclusive)."""
        return cls(verdict_word(ok), rule, dict(details))

    @property
    def ok(self) -> bool | None:
        """True when supported, False when not, None when inconclusive."""
        return {"SUPPORTED": True, "NOT SUPPORTED": False}.get(self.status)

    def to_dict(self) -> dict:
        """{"status", "rule", "details"} for a study's ``figures/<name>.json``."""
        return {"status": self.status, "rule": self.rule, "details": dict(self.details)}

    def __str__(self) -> str:
        nums = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in self.details.items())
        return f"{self.status} ({self.rule})" + (f": {nums}" if nums else "")
