"""``sweep``: a function evaluated on a grid of named settings, stacked into one labelled ``xarray.Dataset``."""
from __future__ import annotations

import itertools

import numpy as np


def sweep(fn, *, dims: dict | None = None, **axes):
    """fn(**point) at every point of the Cartesian product of ``axes``, stacked into an ``xarray.Dataset``.

    Args:
      fn: called as fn(name₁=v₁, name₂=v₂, …) once per grid point, in row-major order of ``axes`` (the last axis
        varies fastest); returns a dict {variable: scalar or array}, the same variables and shapes at every point.
      dims: optional {variable: (dim names of the array's own axes)}; unnamed array axes are "dim_0", "dim_1", …
        (shared between variables, so two variables whose unnamed axes differ in length must be named).
      **axes: name=values, each a non-empty 1-D sequence of distinct values (seeds, ω, shares, m, …); "dims" is
        reserved.

    Returns:
      Dataset whose variable v has dims (axis₁, …, axisₖ, *dims of v), coordinates the axes' values.

    >>> ds = sweep(lambda seed, w: {"x": seed * w, "v": [seed, w]}, seed=[0, 1], w=[0.5, 1.0, 2.0])
    >>> ds["x"].dims, ds["v"].shape
    (('seed', 'w'), (2, 3, 2))
    """
    import xarray as xr

    if not callable(fn):
        raise ValueError(f"fn must be callable, got {type(fn).__name__}")
    if not axes:
        raise ValueError("axes must name at least one axis, e.g. sweep(fn, seed=[0, 1, 2])")
    values = {}
    for name, vals in axes.items():
        v = np.asarray(vals)
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"axis {name} must be a non-empty 1-D sequence, got shape {v.shape}")
        if len(set(v.tolist())) != v.size:
            raise ValueError(f"axis {name} must hold distinct values, got {v.tolist()}")
        values[name] = list(vals)
    dims = dict(dims or {})
    names = list(values)
    shape = tuple(len(values[n]) for n in names)
    rows = []
    for point in itertools.product(*values.values()):
        out = fn(**dict(zip(names, point)))
        if not isinstance(out, dict) or not out:
            raise ValueError(f"fn must return a non-empty dict of scalars or arrays, got {type(out).__name__} at "
                             f"{dict(zip(names, point))}")
        if rows and set(out) != set(rows[0]):
            raise ValueError(f"fn must return the same variables at every point: {sorted(rows[0])} then "
                             f"{sorted(out)} at {dict(zip(names, point))}")
        rows.append({k: np.asarray(v) for k, v in out.items()})
    data = {}
    for var in rows[0]:
        shapes = {r[var].shape for r in rows}
        if len(shapes) != 1:
            raise ValueError(f"fn's variable {var} must have one shape at every point, got {sorted(shapes)}")
        stacked = np.stack([r[var] for r in rows]).reshape(shape + rows[0][var].shape)
        own = tuple(dims.get(var, tuple(f"dim_{i}" for i in range(stacked.ndim - len(names)))))
        if len(own) != stacked.ndim - len(names):
            raise ValueError(f"dims[{var!r}] must name {stacked.ndim - len(names)} axes, got {own}")
        data[var] = (tuple(names) + own, stacked)
    unknown = set(dims) - set(data)
    if unknown:
        raise ValueError(f"dims names variables fn does not return: {sorted(unknown)}")
    try:
        return xr.Dataset(data, coords={n: values[n] for n in names})
    except ValueError as e:
        raise ValueError(f"dims must give differently sized array axes different names ({e})") from None
