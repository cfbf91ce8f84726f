"""Truths: the real-data laws P_r that loops start from and are measured against, all in one place.

Every truth is a frozen dataclass with ``sample(*, key, n) -> (n, d)``, ``dim`` and ``describe()``, and ``log_prob``
where a density exists. Modules: ``gaussian`` (``Gaussian``), ``laws`` (``GaussianMixture`` with the 2-D ``ring`` and
``grid``, ``Categorical``, ``LinearModel``, the finite ``Dataset``, ``two_moons``, ``MakeMoons``), ``images``
(``Images``: sklearn's digits, local ``.npz`` files, stratified splits and class-skewed subsets; used by SIMS).
"""
from lab.truths import gaussian, images, laws  # noqa: F401
from lab.truths.gaussian import Gaussian, gaussian_log_prob
from lab.truths.images import (DIGITS_CLASSES, DIGITS_SHAPE, Images, digits, largest_remainder, load_npz, skewed,
                               split)
from lab.truths.laws import (CATEGORY_DTYPE, Categorical, Dataset, GaussianMixture, LinearModel, MakeMoons, grid,
                             ring, two_moons, zipf)

__all__ = ["Gaussian", "gaussian_log_prob", "GaussianMixture", "ring", "grid", "Categorical", "zipf", "LinearModel",
           "Dataset", "two_moons", "MakeMoons", "CATEGORY_DTYPE", "Images", "digits", "split", "load_npz",
           "largest_remainder", "skewed", "DIGITS_SHAPE", "DIGITS_CLASSES", "gaussian", "laws", "images"]
