"""Evaluation for SIMS (issue 6, item 4; THEORY M4).

Digits: a small classifier trained on sklearn's digits supplies the feature space (its last hidden layer) for the
Fréchet distance and k-NN precision/recall, and class labels for the class histogram of samples.
2-D mixtures: negative log-likelihood under the analytic truth, exact W₂ by optimal transport, precision/recall.

Classifier choice: a JAX MLP (64 → 256 → 64 → 10, ReLU), trained full-batch with AdamW (optax) on the stratified
training part of the digits. Reasons: its randomness comes only from an explicit JAX key (initialisation and the input
noise of each step), the same key gives the same bits (tested within a process; it held across two processes when
checked by hand), and it trains in seconds on 2 cores, faster than scikit-learn's ``MLPClassifier`` with the same
widths at the same held-out accuracy (whose penultimate layer would have to be recomputed by hand anyway). Inference
(``features``, ``predict``) runs the same layers in numpy, so batches of any size cost no compilation. The trained
weights are cached under ``.cache/sims/`` (``lab.cache``'s atomic write), keyed by the configuration, the key's bits
and the lab version.

Checked, not recorded here: the held-out accuracy is at least 95 % (``tests/test_sims_data_eval.py``; the value each
SIMS run used is in its results file, ``classifier_accuracy`` in ``figures/gpu/sims_digits.json``), and the Fréchet
distance between the training and held-out digits is over an order of magnitude below the one between the training
digits and uniform noise on [−1, 1]⁶⁴ (the same test file).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.linalg

from lab import _checks, cache
from lab.keys import as_key, key_data
from lab.metrics.samples import exact_ot, knn_precision_recall
from lab.truths import DIGITS_CLASSES, Images, digits, split

CACHE_STUDY = "sims"  # cache folder: .cache/sims/


# ---------------------------------------------------------------------------------------------------------------- #
# Classifier                                                                                                        #
# ---------------------------------------------------------------------------------------------------------------- #
@dataclass(frozen=True)
class ClassifierConfig:
    """Hyperparameters of the digits classifier."""

    hidden: tuple = (256, 64)  # widths of the hidden layers (ReLU); the last one is the feature space
    steps: int = 400  # full-batch AdamW steps
    lr: float = 3e-3  # AdamW learning rate (constant)
    weight_decay: float = 1e-4  # AdamW decoupled weight decay (Loshchilov & Hutter 2019)
    noise: float = 0.2  # std of Gaussian noise added to the inputs at each step (robustness to sample noise)
    held_out: float = 0.2  # share of each class held out to measure accuracy (``lab.truths.split``)

    def __post_init__(self):
        hidden = tuple(self.hidden)
        if len(hidden) < 1:
            raise ValueError(f"hidden must name at least one layer width, got {self.hidden!r}")
        for w in hidden:
            _checks.integer("hidden", w, minimum=1)
        object.__setattr__(self, "hidden", hidden)
        _checks.integer("steps", self.steps, minimum=1)
        _checks.real_in("lr", self.lr, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("weight_decay", self.weight_decay, 0.0, np.inf, hi_open=True)
        _checks.real_in("noise", self.noise, 0.0, np.inf, hi_open=True)
        _checks.real_in("held_out", self.held_out, 0.0, 1.0, lo_open=True, hi_open=True)


def _hidden(params, x, xp=jnp):
    """The last hidden layer's activations; xp = jnp (training) or np (inference: no compilation per batch shape)."""
    h = x
    for w, b in params[:-1]:
        h = xp.maximum(h @ w + b, 0)  # ReLU
    return h


def _logits(params, x, xp=jnp):
    w, b = params[-1]
    return _hidden(params, x, xp) @ w + b


def _init(key, sizes):
    """He-normal weights N(0, 2/fan_in) (He et al. 2015, eq. 10), zero biases; float32."""
    params = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = jax.random.normal(jax.random.fold_in(key, i), (a, b), jnp.float32) * jnp.float32(np.sqrt(2.0 / a))
        params.append((w, jnp.zeros(b, jnp.float32)))
    return tuple(params)


@partial(jax.jit, static_argnames=("config",))
def _fit(key, x, y, config: ClassifierConfig):
    opt = optax.adamw(config.lr, weight_decay=config.weight_decay)
    params = _init(jax.random.fold_in(key, 0), (x.shape[1],) + config.hidden + (DIGITS_CLASSES,))

    def loss(p, k):
        noisy = x + config.noise * jax.random.normal(k, x.shape, jnp.float32)
        return optax.softmax_cross_entropy_with_integer_labels(_logits(p, noisy), y).mean()

    def step(carry, i):
        p, state = carry
        g = jax.grad(loss)(p, jax.random.fold_in(jax.random.fold_in(key, 1), i))
        updates, state = opt.update(g, state, p)
        return (optax.apply_updates(p, updates), state), None

    (params, _), _ = jax.lax.scan(step, (params, opt.init(params)), jnp.arange(config.steps))
    return params


def _flat_images(x, d: int, name: str = "x") -> np.ndarray:
    x = np.asarray(x, np.float32)
    if x.ndim < 2:
        raise ValueError(f"{name} must be images (N, {d}) or (N, H, W), got shape {x.shape}")
    x = x.reshape(x.shape[0], -1)
    if x.shape[1] != d:
        raise ValueError(f"{name} must have {d} pixels per image, got shape {x.shape}")
    return x


@dataclass(frozen=True, eq=False)
class Classifier:
    """A trained digits classifier (a value: parameters, held-out accuracy, configuration).

    Inputs x: (N, 64) or (N, 8, 8) images in [−1, 1] (``lab.truths.digits`` scaling).
    """

    params: tuple  # ((W_1, b_1), …, (W_L, b_L)), numpy float32
    accuracy: float  # accuracy on the held-out part of the digits
    config: ClassifierConfig

    @property
    def inputs(self) -> int:
        return self.params[0][0].shape[0]

    def features(self, x) -> np.ndarray:
        """(N, hidden[-1]) float64: the last hidden layer's activations (the penultimate layer), FD's feature space."""
        return _hidden(self.params, _flat_images(x, self.inputs), np).astype(np.float64)

    def logits(self, x) -> np.ndarray:
        """(N, 10) float64 class scores."""
        return _logits(self.params, _flat_images(x, self.inputs), np).astype(np.float64)

    def predict(self, x) -> np.ndarray:
        """(N,) int32 predicted classes (argmax of the logits)."""
        return np.argmax(self.logits(x), axis=-1).astype(np.int32)


def train_classifier(data: Images, *, key, config: ClassifierConfig = ClassifierConfig()) -> Classifier:
    """Train on the stratified training part of ``data`` (``split(labels, config.held_out, key=fold_in(key, 0))``) and
    measure accuracy on the held-out part. Same key and data, same bits. Not cached (see ``digits_classifier``)."""
    if data.labels is None or data.labels.max() >= DIGITS_CLASSES:
        raise ValueError(f"data must carry labels in 0..{DIGITS_CLASSES - 1}")
    key = as_key(key)
    train, held = split(data.labels, config.held_out, key=jax.random.fold_in(key, 0))
    params = _fit(jax.random.fold_in(key, 1), jnp.asarray(data.x[train]), jnp.asarray(data.labels[train]), config)
    params = tuple((np.asarray(w), np.asarray(b)) for w, b in params)
    clf = Classifier(params, 0.0, config)
    accuracy = float(np.mean(clf.predict(data.x[held]) == data.labels[held]))
    return Classifier(params, accuracy, config)


def digits_classifier(*, key, config: ClassifierConfig = ClassifierConfig(), root=None) -> Classifier:
    """The digits classifier for ``key``, loaded from ``<root>/sims/classifier-<hash>.pkl`` or trained and saved there
    atomically (``lab.cache``). root defaults to ``lab.cache.DEFAULT_DIR`` (``.cache``, or $LAB_CACHE_DIR).

    The lab's evaluations use ``key=0`` so that Fréchet distances from different studies share one feature space.
    """
    key = as_key(key)
    data = digits()
    cfg = {"classifier": asdict(config), "key": key_data(key), "data": data.describe()}
    path = cache.path_for(CACHE_STUDY, "classifier", cfg, root=Path(root) if root is not None else None)
    def train():
        clf = train_classifier(data, key=key, config=config)
        return {"params": clf.params, "accuracy": clf.accuracy, "config": cfg}

    stored = cache.get_or_compute(path, train)  # a corrupt file is moved aside; one process trains, others wait
    params = tuple((np.asarray(w), np.asarray(b)) for w, b in stored["params"])
    return Classifier(params, float(stored["accuracy"]), config)


# ---------------------------------------------------------------------------------------------------------------- #
# Distances                                                                                                         #
# ---------------------------------------------------------------------------------------------------------------- #
def _sqrtm_psd(S: np.ndarray) -> np.ndarray:
    ev, V = scipy.linalg.eigh(S)
    return (V * np.sqrt(np.clip(ev, 0.0, None))) @ V.T


def frechet_from_moments(mu_a, cov_a, mu_b, cov_b) -> float:
    """‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2(Σ_a Σ_b)^{1/2}) (Heusel et al. 2017, the FID formula in §"Fréchet Inception
    Distance"; Dowson & Landau 1982), in float64.

    tr((Σ_a Σ_b)^{1/2}) is computed in the symmetric form Σ_i √λ_i, λ the eigenvalues (``scipy.linalg.eigh``) of
    Σ_a^{1/2} Σ_b Σ_a^{1/2}, which is similar to Σ_a Σ_b (Σ_a^{1/2}(Σ_a Σ_b)Σ_a^{−1/2} when Σ_a is invertible; by
    continuity otherwise) and symmetric PSD; round-off negatives are clipped to 0, and so is the total. Singular
    covariances are legal; each null direction of Σ_a then costs up to ~√ε·‖Σ‖ of accuracy (ε the float64 machine
    epsilon: a round-off eigenvalue of size ε‖Σ‖ enters through its square root). mu: (d,), cov: (d, d) symmetric PSD.
    """
    mu_a, mu_b = (_checks.finite_array(n, v, ndim=1) for n, v in (("mu_a", mu_a), ("mu_b", mu_b)))
    cov_a, cov_b = (_checks.finite_array(n, v, ndim=2) for n, v in (("cov_a", cov_a), ("cov_b", cov_b)))
    d = mu_a.shape[0]
    for name, value, want in (("mu_b", mu_b, (d,)), ("cov_a", cov_a, (d, d)), ("cov_b", cov_b, (d, d))):
        if value.shape != want:
            raise ValueError(f"{name} must have shape {want} to match mu_a, got {value.shape}")
    cov_a, cov_b = 0.5 * (cov_a + cov_a.T), 0.5 * (cov_b + cov_b.T)
    root_a = _sqrtm_psd(cov_a)
    lam = scipy.linalg.eigh(root_a @ cov_b @ root_a, eigvals_only=True)
    cross = np.sum(np.sqrt(np.clip(lam, 0.0, None)))
    return float(max(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross, 0.0))


def moments(x) -> tuple[np.ndarray, np.ndarray]:
    """(mean (d,), covariance (d, d)) of rows x: (n, d), n ≥ 2, in float64; covariance with the 1/(n−1) normaliser
    (``np.cov``, as in the reference FID code)."""
    x = _checks.finite_array("x", x, ndim=2)
    if x.shape[0] < 2:
        raise ValueError(f"x must have at least 2 rows to estimate a covariance, got {x.shape[0]}")
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def frechet_distance(a, b) -> float:
    """Fréchet distance between the Gaussians fitted (``moments``) to feature rows a: (n, d) and b: (m, d), n, m ≥ 2
    (FID's formula, ``frechet_from_moments``). Zero for identical sets; symmetric up to round-off."""
    a, b = _checks.finite_array("a", a, ndim=2), _checks.finite_array("b", b, ndim=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"b must have the feature dimension of a ({a.shape[1]}), got {b.shape[1]}")
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError(f"a and b need at least 2 rows each, got {a.shape[0]} and {b.shape[0]}")
    return frechet_from_moments(*moments(a), *moments(b))


def class_histogram(labels, classes: int = DIGITS_CLASSES) -> np.ndarray:
    """(classes,) float64 share of each class among integer labels (N,) in 0..classes−1, N ≥ 1."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size < 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a non-empty (N,) integer array, got shape {labels.shape}")
    classes = _checks.integer("classes", classes, minimum=1)
    if labels.min() < 0 or labels.max() >= classes:
        raise ValueError(f"labels must lie in 0..{classes - 1}, got [{labels.min()}, {labels.max()}]")
    return np.bincount(labels, minlength=classes) / labels.size


def tv_histograms(p, q) -> float:
    """TV(p, q) = ½ Σ_c |p_c − q_c| between two (k,) probability vectors (values in [0, 1])."""
    p, q = _checks.finite_array("p", p, ndim=1), _checks.finite_array("q", q, ndim=1)
    if p.shape != q.shape:
        raise ValueError(f"q must have the shape of p {p.shape}, got {q.shape}")
    return float(np.clip(0.5 * np.sum(np.abs(p - q)), 0.0, 1.0))


_knn_precision_recall = jax.jit(knn_precision_recall, static_argnums=2)  # one compilation per shape, not per op


def _precision_recall(real, fake, k):
    precision, recall = _knn_precision_recall(jnp.asarray(real), jnp.asarray(fake), k)
    return float(precision), float(recall)


# ---------------------------------------------------------------------------------------------------------------- #
# Entry points                                                                                                      #
# ---------------------------------------------------------------------------------------------------------------- #
def evaluate_digits(samples, reference, *, classifier: Classifier, k: int = 5, target=None) -> dict:
    """Metrics of generated digits against a reference set, in the classifier's feature space.

    Samples are clipped to [−1, 1] first (as when images are written to 8-bit files; EDM's generator clips too); the
    reference is used as given. Both: (N, 64) or (N, 8, 8) images in the ``digits()`` scaling, N > k.

    Returns a dict of plain values:
      fd: Fréchet distance between the features of samples and reference (``frechet_distance``; FID's formula).
      precision, recall: k-NN precision/recall (Kynkäänniemi et al. 2019) with reference = real, samples = fake.
      hist: (10,) class histogram of the samples through ``classifier.predict``.
      hist_reference: (10,) class histogram of the reference through ``classifier.predict`` (the same classifier, so
        its errors enter both histograms alike).
      tv_hist: TV between ``hist`` and ``hist_reference``.
      tv_target: TV between ``hist`` and ``target`` — present only when ``target`` ((10,) proportions) is given.
      clipped: share of sample pixels that lay outside [−1, 1] before clipping.
      n_samples, n_reference: set sizes.
    """
    k = _checks.integer("k", k, minimum=1)
    samples = _flat_images(samples, classifier.inputs, "samples")
    reference = _flat_images(reference, classifier.inputs, "reference")
    for name, s in (("samples", samples), ("reference", reference)):
        if s.shape[0] <= k or not np.all(np.isfinite(s)):
            raise ValueError(f"{name} must hold more than k = {k} rows of finite values, got {s.shape[0]} rows")
    clipped = float(np.mean(np.abs(samples) > 1.0))
    samples = np.clip(samples, -1.0, 1.0)
    fs, fr = classifier.features(samples), classifier.features(reference)
    precision, recall = _precision_recall(fr, fs, k)
    hist = class_histogram(classifier.predict(samples))
    hist_ref = class_histogram(classifier.predict(reference))
    out = {"fd": frechet_distance(fs, fr), "precision": precision, "recall": recall, "hist": hist,
           "hist_reference": hist_ref, "tv_hist": tv_histograms(hist, hist_ref), "clipped": clipped,
           "n_samples": int(samples.shape[0]), "n_reference": int(reference.shape[0])}
    if target is not None:
        t = _checks.finite_array("target", target, ndim=1)
        if t.shape != (DIGITS_CLASSES,) or np.any(t < 0) or not np.isclose(t.sum(), 1.0, rtol=0, atol=1e-9):
            raise ValueError(f"target must be {DIGITS_CLASSES} non-negative proportions summing to 1, got {t.tolist()}")
        out["tv_target"] = tv_histograms(hist, t)
    return out


def evaluate_toy(truth, samples, *, key, ot_samples: int = 1000, pr_samples: int = 1000, k: int = 5) -> dict:
    """Metrics of 2-D (or any d) samples against an analytic truth with a density (e.g. ``lab.GaussianMixture``).

    Args:
      truth: has ``sample(*, key, n)`` and ``log_prob(x)``.
      samples: (n, d) finite samples, n > k.
      key: JAX key or int seed for the truth's draws and the subsamples.
      ot_samples: size m of the sets compared by exact OT (m = min(ot_samples, n)): a uniform subsample of the samples
        without replacement and m fresh truth draws.
      pr_samples: subsample size for precision/recall (min(pr_samples, n)), against as many fresh truth draws.
      k: neighbours for precision/recall.

    Returns a dict of plain floats:
      nll: −(1/n) Σ log p_truth(x_i) over all samples (a sampler that draws the truth exactly scores the truth's
        entropy in expectation).
      nll_truth: the same average over n fresh truth draws (Monte Carlo estimate of that entropy, the reference value).
      w2: exact W₂ between the m-subsample and m truth draws (``lab.metrics.samples.exact_ot``, POT network simplex).
      w2_floor: exact W₂ between two independent sets of m truth draws: the value a perfect sampler would get at this m.
      precision, recall: k-NN precision/recall (Kynkäänniemi et al. 2019), truth draws = real, samples = fake.
      ot_samples, pr_samples: the sizes m actually used.
    """
    ot_samples = _checks.integer("ot_samples", ot_samples, minimum=2)
    pr_samples = _checks.integer("pr_samples", pr_samples, minimum=2)
    k = _checks.integer("k", k, minimum=1)
    x = _checks.finite_array("samples", samples, ndim=2)
    if x.shape[1] != truth.dim or x.shape[0] <= k:
        raise ValueError(f"samples must have shape (n, {truth.dim}) with n > k = {k}, got {x.shape}")
    n = x.shape[0]
    key = as_key(key)
    k_nll, k_ot_sub, k_ot_a, k_ot_b, k_pr_sub, k_pr = (jax.random.fold_in(key, i) for i in range(6))
    nll = -float(jnp.mean(truth.log_prob(jnp.asarray(x))))
    nll_truth = -float(jnp.mean(truth.log_prob(truth.sample(key=k_nll, n=n))))
    m = min(ot_samples, n)
    sub = x[np.asarray(jax.random.permutation(k_ot_sub, n))[:m]]
    w2 = exact_ot(sub, np.asarray(truth.sample(key=k_ot_a, n=m)))
    w2_floor = exact_ot(np.asarray(truth.sample(key=k_ot_b, n=m)), np.asarray(truth.sample(key=k_ot_a, n=m)))
    m_pr = max(min(pr_samples, n), k + 1)
    sub_pr = x[np.asarray(jax.random.permutation(k_pr_sub, n))[:m_pr]]
    precision, recall = _precision_recall(np.asarray(truth.sample(key=k_pr, n=m_pr)), sub_pr, k)
    return {"nll": nll, "nll_truth": nll_truth, "w2": w2, "w2_floor": w2_floor, "precision": precision,
            "recall": recall, "ot_samples": m, "pr_samples": m_pr}


__all__ = ["ClassifierConfig", "Classifier", "train_classifier", "digits_classifier", "frechet_from_moments",
           "moments", "frechet_distance", "class_histogram", "tv_histograms", "evaluate_digits", "evaluate_toy"]
