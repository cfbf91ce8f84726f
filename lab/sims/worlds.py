"""The SIMS studies' worlds: the digits split of the lab's classifier, the digits train split as a finite truth with
in-jit metrics in the classifier's features, and the 2-D ring of a settings dict with its metrics and truth-vs-truth values.

Moved here from the studies (``sims_digits``, ``sims_loop``) so that no study imports another; unchanged, so cached
cells stay valid.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

CLASSIFIER_KEY = 0  # digits_classifier(key=0): the lab's shared feature space


def digits_split(held_out: float):
    """(digits Images, train indices, held-out indices): the split of ``digits_classifier(key=0)``, so the held-out
    digits were seen neither by the diffusion models nor by the classifier."""
    import jax

    from lab import truths as data

    d = data.digits()
    train, held = data.split(d.labels, held_out, key=jax.random.fold_in(jax.random.key(CLASSIFIER_KEY), 0))
    return d, train, held


@dataclass(frozen=True, eq=False)
class Rows:
    """A finite set of rows as the engine's truth, drawn *without* replacement (n ≤ N): generation 0 sees n distinct
    real rows, as a real training set would (``lab.truths.Dataset`` draws with replacement). No density."""

    points: np.ndarray  # (N, d)
    name: str = "rows"

    @property
    def dim(self) -> int:
        return self.points.shape[1]

    def sample(self, *, key, n: int):
        import jax
        import jax.numpy as jnp

        if n > self.points.shape[0]:
            raise ValueError(f"n must be at most {self.points.shape[0]} (the rows held), got {n}")
        rows = jnp.asarray(self.points)[jax.random.permutation(key, self.points.shape[0])[:n]]
        return rows.astype(jnp.result_type(float))  # the engine's float (the families' samples are cast to it too)

    def describe(self) -> dict:
        from lab.truths import Dataset

        return {**Dataset(self.points, self.name).describe(), "kind": "Rows"}


@functools.lru_cache(maxsize=2)
def digits_world():
    """(Rows truth of the 80 % train split of the lab's classifier, classifier params, (held-out, 32) features)."""
    from lab.sims import evaluate as ev

    d, train_idx, held = digits_split(0.2)
    clf = ev.digits_classifier(key=CLASSIFIER_KEY)
    return Rows(np.asarray(d.x[train_idx], np.float32), "digits-train"), clf.params, clf.features(d.x[held])


def frechet(a, b):
    """FID's formula between the Gaussians fitted to rows a (n, d) and b (m, d) (jittable; the matrix root by eigh)."""
    import jax.numpy as jnp

    ma, mb = a.mean(0), b.mean(0)
    ca, cb = jnp.cov(a, rowvar=False), jnp.cov(b, rowvar=False)
    lam, v = jnp.linalg.eigh(ca)
    root = (v * jnp.sqrt(jnp.clip(lam, 0.0, None))) @ v.T
    cross = jnp.sum(jnp.sqrt(jnp.clip(jnp.linalg.eigvalsh(root @ cb @ root), 0.0, None)))
    return jnp.clip(jnp.sum((ma - mb) ** 2) + jnp.trace(ca) + jnp.trace(cb) - 2.0 * cross, 0.0, None)


@dataclass(frozen=True, eq=False)
class DigitsFeatures:
    """An in-jit digits metric in the lab classifier's feature space against the held-out digits: ``kind`` = "fd"
    (Fréchet distance, FID's formula), "precision" or "recall" (k-NN, k = 5). Samples are clipped to [−1, 1]."""

    kind: str = "fd"
    samples: int = 1000
    k: int = 5

    @property
    def name(self) -> str:
        return self.kind

    def describe(self) -> dict:
        return {"name": self.name, "kind": "DigitsFeatures", "samples": self.samples, "k": self.k,
                "reference": "held-out 20 % of sklearn digits, features of digits_classifier(key=0)"}

    def __call__(self, truth, model, params, *, key):
        import jax.numpy as jnp

        from lab.metrics.samples import knn_precision_recall
        from lab.sims.evaluate import _hidden

        _, clf, ref = digits_world()
        x = jnp.clip(model.sample(params, key=key, n=self.samples), -1.0, 1.0)
        f = _hidden(tuple((jnp.asarray(w, x.dtype), jnp.asarray(b, x.dtype)) for w, b in clf), x, jnp)
        r = jnp.asarray(ref, f.dtype)
        if self.kind == "fd":
            return frechet(f, r)
        p, rc = knn_precision_recall(r, f, self.k)
        return p if self.kind == "precision" else rc


@dataclass(frozen=True)
class RingPanel:
    """The ring's four in-jit metrics on one draw of ``max(n_eval, pr_samples)`` model samples (one sampler in the
    engine's program instead of four): sliced W₂ (Rabin et al. 2011) of the first n_eval to n_eval truth draws, the NLL
    under the truth of the first n_eval, k-NN precision/recall (Kynkäänniemi et al. 2019) of the first pr_samples
    against pr_samples truth draws (``lab.metrics.samples``). Per-sample seeds: the first m draws are those of
    ``model.sample(…, n=m)``. Values: ``names`` (the Dataset variables)."""

    n_eval: int = 1000
    projections: int = 64
    pr_samples: int = 1000
    k: int = 5
    name = "ring_panel"
    names = ("sliced_w2", "nll_under_truth", "precision", "recall")

    def describe(self) -> dict:
        return {"name": self.name, "kind": "RingPanel", "n_eval": self.n_eval, "projections": self.projections,
                "pr_samples": self.pr_samples, "k": self.k}

    def __call__(self, truth, model, params, *, key):
        import jax
        import jax.numpy as jnp

        from lab.metrics.samples import knn_precision_recall, sliced_w2

        km, kw, kp, kd = (jax.random.fold_in(key, i) for i in range(4))
        x = model.sample(params, key=km, n=max(self.n_eval, self.pr_samples)).astype(jnp.result_type(float))
        m, pr = self.n_eval, self.pr_samples
        p, r = knn_precision_recall(truth.sample(key=kp, n=pr).astype(x.dtype), x[:pr], self.k)
        return {"sliced_w2": sliced_w2(truth.sample(key=kw, n=m).astype(x.dtype), x[:m], key=kd,
                                       projections=self.projections),
                "nll_under_truth": -jnp.mean(truth.log_prob(x[:m])), "precision": p, "recall": r}


@dataclass(frozen=True)
class OfBase:
    """A metric of a SIMS family's *unguided* base model θ_t (``metric`` applied to (family.base, params.base)); the
    Dataset variable is ``base_<metric name>`` (``base_<name>`` for each of a metric's ``names``)."""

    metric: object = None

    @property
    def name(self) -> str:
        return f"base_{self.metric.name}"

    @property
    def names(self):
        return tuple(f"base_{n}" for n in getattr(self.metric, "names", None) or ()) or None

    def describe(self) -> dict:
        return {"name": self.name, "kind": "OfBase", "metric": self.metric.describe()}

    def __call__(self, truth, model, params, *, key):
        v = self.metric(truth, model.base, params.base, key=key)
        return {f"base_{k}": x for k, x in v.items()} if isinstance(v, dict) else v


def ring(settings: dict):
    """The 2-D ring mixture of a settings dict with keys k, radius, std (``lab.truths.ring``)."""
    from lab import truths

    return truths.ring(settings["k"], settings["radius"], settings["std"])


def ring_references(settings: dict) -> dict:
    """The ring's own values (the same estimators between two truth sets of n_eval draws): the sliced W₂ floor
    ("w2_floor") and the Monte Carlo truth entropy ("nll_truth"); empty unless settings["world"] is "ring"."""
    import jax

    from lab.metrics.samples import sliced_w2

    if settings["world"] != "ring":
        return {}
    tr = ring(settings)
    k = jax.random.key(settings["key"] + 777)
    a, b = (tr.sample(key=jax.random.fold_in(k, i), n=settings["n_eval"]) for i in (0, 1))
    return {"w2_floor": float(sliced_w2(a, b, key=jax.random.fold_in(k, 2), projections=settings["projections"])),
            "nll_truth": float(-tr.log_prob(a).mean())}


def ring_metrics(s: dict, samples, keys) -> dict:
    """{name: (R,) list} of samples (R, m, 2) against ``ring(s)``, each seed with its own metric key (jitted, seeds
    vmapped): sliced W₂ to n_eval truth draws ("w2"), NLL under the truth, k-NN precision/recall (k = 5)."""
    import jax
    import jax.numpy as jnp

    from lab.metrics.samples import knn_precision_recall, sliced_w2

    tr, m, pr = ring(s), s["n_eval"], s["pr_samples"]

    def one(x, key):
        x = x.astype(jnp.float64)
        ref = tr.sample(key=jax.random.fold_in(key, 0), n=m)
        p, r = knn_precision_recall(tr.sample(key=jax.random.fold_in(key, 1), n=pr), x[:pr], 5)
        return {"w2": sliced_w2(ref, x[:m], key=jax.random.fold_in(key, 2), projections=s["projections"]),
                "nll": -jnp.mean(tr.log_prob(x)), "precision": p, "recall": r}

    return {k: np.asarray(v).tolist() for k, v in jax.jit(jax.vmap(one))(jnp.asarray(samples), keys).items()}


def settings_diffusion(settings: dict, steps: int):
    """``lab.Diffusion(MLP(width, depth), EDM(sigma_data), TrainConfig(steps, batch, lr, warmup = min(100, steps/10)),
    Sampler(sampler_steps))`` of a settings dict (``net`` = "conv" gives ``Conv(8, width, depth)``)."""
    import lab
    from lab.diffusion import EDM, MLP, Conv, Sampler, TrainConfig

    net = Conv(8, settings["width"], settings["depth"]) if settings.get("net", "mlp") == "conv" else \
        MLP(settings["width"], settings["depth"])
    return lab.Diffusion(net, EDM(sigma_data=settings["sigma_data"]),
                         TrainConfig(steps=steps, batch=settings["batch"], lr=settings["lr"],
                                     warmup=min(100, steps // 10)), Sampler(settings["sampler_steps"]))
