"""Image truths (issue 6, item 2; used by SIMS): scikit-learn's 8×8 digits, a user's local ``.npz`` of images,
class-skewed subsets. Nothing is ever downloaded. (The 2-D ring and grid mixtures are in ``lab/truths/laws.py``.)

Representation of images: ``Images`` holds ``x``, a float32 array (N, D) of flattened images with pixel values in
[−1, 1] (the range diffusion models are trained on, as in EDM), ``shape``, the shape of one image ((H, W) or
(H, W, C), with H·W·C = D), optional int32 ``labels`` (N,), and a ``name``. ``Images.images`` gives (N, *shape).
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.keys import as_key

DIGITS_SHAPE = (8, 8)  # sklearn's digits: 8×8 images, 16 grey levels 0..16, 10 classes
DIGITS_CLASSES = 10


@dataclass(frozen=True, eq=False)
class Images:
    """A set of images as flattened float32 rows in [−1, 1]; as a truth, the empirical law of its rows (``sample``
draws images uniformly with replacement; no density).

    Args:
      x: (N, D) pixel values in [−1, 1], N ≥ 1 (stored as float32).
      shape: shape of one image, (H, W) or (H, W, C), whose product is D.
      labels: (N,) integer class labels ≥ 0 (stored as int32), or None.
      name: a label recorded in ``describe()``.
    """

    x: np.ndarray
    shape: tuple
    labels: np.ndarray | None = None
    name: str = "images"

    def __post_init__(self):
        x = _checks.finite_array("x", self.x, ndim=2)
        if x.shape[0] < 1 or x.shape[1] < 1:
            raise ValueError(f"x must have shape (N, D) with N, D >= 1, got {x.shape}")
        if x.min() < -1.0 or x.max() > 1.0:
            raise ValueError(f"x must lie in [-1, 1], got values in [{x.min()}, {x.max()}]")
        shape = tuple(int(s) for s in self.shape)
        if len(shape) not in (2, 3) or int(np.prod(shape)) != x.shape[1]:
            raise ValueError(f"shape must be (H, W) or (H, W, C) with product D = {x.shape[1]}, got {self.shape}")
        object.__setattr__(self, "x", x.astype(np.float32))
        object.__setattr__(self, "shape", shape)
        if self.labels is not None:
            labels = np.asarray(self.labels)
            if labels.shape != (x.shape[0],) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
                raise ValueError(f"labels must be (N,) = ({x.shape[0]},) non-negative integers, "
                                 f"got shape {labels.shape}, dtype {labels.dtype}")
            object.__setattr__(self, "labels", labels.astype(np.int32))

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def images(self) -> np.ndarray:
        """(N, *shape) float32 view of ``x``."""
        return self.x.reshape((-1,) + self.shape)

    @property
    def dim(self) -> int:
        return self.x.shape[1]

    def sample(self, *, key, n: int) -> jax.Array:
        """(n, D) flattened images drawn uniformly with replacement (as ``lab.truths.Dataset`` draws its rows)."""
        idx = jax.random.randint(as_key(key), (n,), 0, self.x.shape[0])
        return jnp.asarray(self.x)[idx]

    def take(self, idx) -> "Images":
        """The images (and labels) at the integer indices ``idx`` (M,), M ≥ 1, in that order."""
        idx = np.asarray(idx)
        if idx.ndim != 1 or idx.size < 1 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"idx must be a non-empty 1-D integer array, got shape {idx.shape}, dtype {idx.dtype}")
        labels = None if self.labels is None else self.labels[idx]
        return Images(self.x[idx], self.shape, labels, self.name)

    def describe(self) -> dict:
        digest = hashlib.sha256(np.ascontiguousarray(self.x).tobytes()).hexdigest()[:16]
        return {"kind": "Images", "name": self.name, "n": len(self), "shape": list(self.shape), "sha256": digest}


@functools.lru_cache(maxsize=1)
def _load_digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()  # ships inside scikit-learn (sklearn/datasets/data/digits.csv.gz): no download
    return bunch.data, bunch.target


def digits() -> Images:
    """scikit-learn's handwritten digits (``sklearn.datasets.load_digits``): 1797 images of 8×8 pixels, labels 0..9.

    Scaling: the pixel values are the integers 0..16 (counts of set pixels in 4×4 blocks of the 32×32 originals);
    x = v/8 − 1 maps them affinely onto [−1, 1] (0 → −1, 8 → 0, 16 → 1). Returns ``Images`` with x: (1797, 64),
    shape (8, 8), labels (1797,) int32.
    """
    data, target = _load_digits()
    x = data.astype(np.float32) / np.float32(8.0) - np.float32(1.0)
    return Images(x, DIGITS_SHAPE, target.astype(np.int32), name="sklearn digits")


def split(labels, held_out: float = 0.2, *, key) -> tuple[np.ndarray, np.ndarray]:
    """A stratified train / held-out split: (train indices, held-out indices), each sorted ascending.

    Within each class c with n_c members, the order is a random permutation drawn from ``key`` (one permutation of all
    N indices, ``jax.random.permutation``), and the first h_c = ⌊held_out·n_c + ½⌋ of class c go to the held-out part.
    The same key gives the same split. labels: (N,) non-negative integers; held_out in (0, 1).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size < 2 or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(f"labels must be a (N,) array of non-negative integers with N >= 2, got shape {labels.shape}")
    held_out = _checks.real_in("held_out", held_out, 0.0, 1.0, lo_open=True, hi_open=True)
    perm = np.asarray(jax.random.permutation(as_key(key), labels.size))
    held = []
    for c in np.unique(labels):
        members = perm[labels[perm] == c]
        held.append(members[: int(np.floor(held_out * members.size + 0.5))])
    held = np.sort(np.concatenate(held))
    train = np.setdiff1d(np.arange(labels.size), held)
    if train.size == 0 or held.size == 0:
        raise ValueError(f"held_out = {held_out} leaves an empty part for {labels.size} labels")
    return train, held


def _scale_pixels(a: np.ndarray, name: str) -> np.ndarray:
    """uint8 / integer arrays with values in 0..255 → v/255; floating arrays in [0, 1] as they are; then 2u − 1."""
    if np.issubdtype(a.dtype, np.integer):
        if a.min() < 0 or a.max() > 255:
            raise ValueError(f"{name}: integer pixels must lie in 0..255, got values in [{a.min()}, {a.max()}]")
        u = a.astype(np.float64) / 255.0
    elif np.issubdtype(a.dtype, np.floating):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name}: must contain only finite values")
        if a.min() < 0.0 or a.max() > 1.0:
            raise ValueError(f"{name}: floating pixels must lie in [0, 1], got values in [{a.min()}, {a.max()}]")
        u = a.astype(np.float64)
    else:
        raise ValueError(f"{name}: pixels must be integers 0..255 or floats in [0, 1], got dtype {a.dtype}")
    return (2.0 * u - 1.0).astype(np.float32)


def _image_shape(a: np.ndarray, name: str) -> tuple:
    if a.ndim == 3:  # (N, H, W)
        return a.shape[1:]
    if a.ndim == 4:  # (N, H, W, C), channels last
        return a.shape[1:]
    if a.ndim == 2:  # (N, D): square grey images when D is a perfect square, else one row of D pixels
        s = int(round(np.sqrt(a.shape[1])))
        return (s, s) if s * s == a.shape[1] else (1, a.shape[1])
    raise ValueError(f"{name}: images must have shape (N, H, W), (N, H, W, C) or (N, D), got {a.shape}")


def load_npz(path, key: str | None = None, *, labels_key: str | None = None) -> Images:
    """Images from a local ``.npz`` file (``numpy.load``, no pickles), as ``Images`` in [−1, 1].

    Args:
      path: the ``.npz`` file.
      key: the name of the image array in the file; may be omitted when the file holds exactly one array.
      labels_key: the name of an (N,) integer label array in the same file, or None.

    Accepted image arrays: (N, H, W), (N, H, W, C) channels last, or (N, D) flat (read as (√D, √D) when D is a perfect
    square, else as (1, D)); N, H, W, C, D ≥ 1. Pixel scale, detected from the dtype: integer dtypes (uint8 and others)
    must hold values in 0..255 and are divided by 255; floating dtypes must hold finite values in [0, 1]. Either is
    then mapped to 2u − 1 ∈ [−1, 1]. A float image with values in 0..255, or in [−1, 1], is refused rather than guessed.
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"path must be an existing .npz file, got {str(path)!r}")
    try:
        archive = np.load(p, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad file
        raise ValueError(f"path {str(path)!r} could not be read as .npz: {e}") from None
    with archive:
        names = list(archive.files)
        if key is None:
            if len(names) != 1:
                raise ValueError(f"key must name the image array when {str(path)!r} holds several arrays: {names}")
            key = names[0]
        if key not in names:
            raise ValueError(f"key must name an array in {str(path)!r}; got {key!r}, available: {names}")
        a = archive[key]
        labels = None
        if labels_key is not None:
            if labels_key not in names:
                raise ValueError(f"labels_key must name an array in {str(path)!r}; got {labels_key!r}, "
                                 f"available: {names}")
            labels = archive[labels_key]
    where = f"key {key!r} in {str(path)!r}"
    if a.size == 0 or a.ndim < 2:
        raise ValueError(f"{where}: images must be a non-empty array of shape (N, H, W), (N, H, W, C) or (N, D), "
                         f"got {a.shape}")
    shape = _image_shape(a, where)
    x = _scale_pixels(a, where).reshape(a.shape[0], -1)
    if labels is not None and (labels.shape != (a.shape[0],) or not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"labels_key {labels_key!r}: labels must be ({a.shape[0]},) integers, got {labels.shape}, "
                         f"dtype {labels.dtype}")
    return Images(x, shape, labels, name=f"{p.name}:{key}")


def largest_remainder(proportions, n: int) -> np.ndarray:
    """(k,) integer counts summing to n, proportional to ``proportions`` by largest-remainder (Hamilton) rounding.

    Each class gets ⌊n p_c⌋; the n − Σ_c ⌊n p_c⌋ units left go, one each, to the classes with the largest fractional
    parts n p_c − ⌊n p_c⌋ (ties to the lower class index). So |count_c − n p_c| < 1 for every c, and a class with
    p_c = 0 gets 0. proportions: (k,) non-negative, summing to 1 (within 1e-9; renormalised); n ≥ 0.
    """
    p = _checks.finite_array("proportions", proportions, ndim=1)
    if p.size < 1 or np.any(p < 0) or not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"proportions must be a non-empty vector of non-negative numbers summing to 1, "
                         f"got {p.tolist()}")
    n = _checks.integer("n", n, minimum=0)
    quota = n * (p / p.sum())
    counts = np.floor(quota).astype(np.int64)
    left = n - int(counts.sum())
    order = np.argsort(-(quota - counts), kind="stable")  # largest fractional part first, ties by index
    counts[order[:left]] += 1
    return counts


def skewed(images, labels, proportions, *, key, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A subset of n rows with class proportions ``proportions`` (the distribution-shift experiment's skewed set).

    Class c contributes exactly ``largest_remainder(proportions, n)[c]`` rows, drawn without replacement from the
    rows of class c: the first ones of class c in a random permutation of all N rows (``jax.random.permutation``,
    ``fold_in(key, 0)``); the n rows are then shuffled (``fold_in(key, 1)``), so the order carries no class
    information. Same key, same subset.

    Args:
      images: (N, ...) array (e.g. ``Images.x``).
      labels: (N,) integers in 0..k−1.
      proportions: (k,) class proportions, non-negative, summing to 1.
      n: size of the subset, ≥ 1.
      key: JAX key or int seed.
    Returns (images[idx], labels[idx]) with idx: (n,). Raises ValueError if a class has fewer rows than it must give.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a (N,) integer array, got shape {labels.shape}, dtype {labels.dtype}")
    if images.ndim < 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"images must have N = {labels.shape[0]} rows to match labels, got shape {images.shape}")
    n = _checks.integer("n", n, minimum=1)
    counts = largest_remainder(proportions, n)
    k = counts.size
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in 0..{k - 1} (one proportion per class), got [{labels.min()}, "
                         f"{labels.max()}]")
    key = as_key(key)
    perm = np.asarray(jax.random.permutation(jax.random.fold_in(key, 0), labels.size))
    idx = []
    for c in range(k):
        members = perm[labels[perm] == c]  # the rows of class c, in random order
        if counts[c] > members.size:
            raise ValueError(f"proportions ask for {counts[c]} rows of class {c} (n = {n}), but labels hold only "
                             f"{members.size}")
        idx.append(members[: counts[c]])
    idx = np.concatenate(idx)
    idx = idx[np.asarray(jax.random.permutation(jax.random.fold_in(key, 1), n))]
    return images[idx], labels[idx]


__all__ = ["Images", "digits", "split", "load_npz", "largest_remainder", "skewed", "DIGITS_SHAPE", "DIGITS_CLASSES"]
