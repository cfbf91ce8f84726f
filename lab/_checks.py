"""Input validation: every bad input raises ``ValueError`` naming the parameter and the allowed range (``TypeError``
where an object of the wrong kind is given: None, a class instead of an instance, a string instead of a bool).

The command line turns these into one line on stderr and exit status 2 (``lab/cli.py``).
"""
from __future__ import annotations

import numbers

import numpy as np


def integer(name: str, value, *, minimum: int) -> int:
    """``value`` as an int ≥ ``minimum``; bools and non-integral numbers are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def real_in(name: str, value, lo: float, hi: float, *, lo_open=False, hi_open=False) -> float:
    """``value`` as a float in the interval [lo, hi] (ends open where asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    below = v <= lo if lo_open else v < lo
    above = v >= hi if hi_open else v > hi
    if not np.isfinite(v) or below or above:
        interval = ("(" if lo_open else "[") + f"{lo}, {hi}" + (")" if hi_open else "]")
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return v


def finite_array(name: str, value, *, ndim: int | None = None) -> np.ndarray:
    """``value`` as a float64 numpy array with only finite entries (and ``ndim`` dims if given)."""
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a numeric array: {e}") from None
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must contain only finite values")
    return a


def covariance(name: str, value, d: int) -> np.ndarray:
    """A symmetric positive-definite (d, d) matrix."""
    c = finite_array(name, value, ndim=2)
    if c.shape != (d, d):
        raise ValueError(f"{name} must have shape ({d}, {d}) to match the mean, got {c.shape}")
    if not np.allclose(c, c.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    if np.linalg.eigvalsh(c).min() <= 0:
        raise ValueError(f"{name} must be positive definite")
    return c


def boolean(name: str, value) -> bool:
    """``value`` if it is a bool (numpy's included); anything else (1, 'yes', None) is refused with a TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def instance(name: str, value, attr: str, expected: str):
    """``value`` if it is an object with method ``attr`` (a lab truth, model, regime, …); a class given where an
    instance is expected, None, or an unrelated object is refused with a TypeError that says what was expected."""
    if isinstance(value, type) and hasattr(value, attr):
        where = value.__module__.split(".")[0]
        raise TypeError(f"{name} must be {expected}, got the class {where}.{value.__name__} (call it: "
                        f"{where}.{value.__name__}(...))")
    if not callable(getattr(value, attr, None)):
        raise TypeError(f"{name} must be {expected}, got {value!r:.60} (a {type(value).__name__})")
    return value
