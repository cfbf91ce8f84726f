"""Diffusion models as model families of the engine: ``Diffusion`` and ``SIMS`` (which wraps a ``Diffusion``).

Both follow the family contract (``lab/models/base.py``): ``fit(x, w, *, key) -> params`` (a pytree),
``sample(params, *, key, n)``, ``log_prob(params, x)`` (the probability-flow density), ``variables``,
``default_metrics``, ``check``, ``describe``. ``fit`` is pure, so ``lab.simulate`` vmaps it over replicates: one
compiled training for all replicates (``lab.diffusion.train``).

``Diffusion(net, precond, train, sampler)``: the network (``OneHidden`` / ``MLP`` / ``Conv``), the parameterisation
(``VP`` / ``EDM``, Table 1 side by side in ``lab.diffusion.precond``), the training run (``TrainConfig``) and the
sampler (``Sampler``). Every fit trains from scratch (no warm start across generations); the sampled weights are the
EMA weights.

``SIMS(base, omega, budget, synthetic)`` (Alemohammad et al. 2024; THEORY N1): fit = (1) train the base on the data,
(2) draw ``synthetic`` samples of the base, (3) fine-tune a copy of the base on them for ``budget`` steps (the
auxiliary model); sample = the guided sampler D = D_r + ω (D_r − D_s) (``space="denoiser"``) or
s = s_r + ω (s_r − s_s) (``space="score"``; ``lab.diffusion.guidance``). Keys within a fit: fold_in(key, 0) trains
the base (so the base is exactly ``base.fit(x, w, key=fold_in(key, 0))``), 1 draws the synthetic rows, 2 fine-tunes.
ω = 0 samples the base bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.diffusion import guidance, samplers
from lab.diffusion.networks import MLP, Network, OneHidden
from lab.diffusion.precond import DTYPE, EDM, Precond, denoise
from lab.diffusion.samplers import Sampler
from lab.diffusion.train import TrainConfig, train


class DiffusionParams(NamedTuple):
    """A fitted denoiser: ``weights`` (the EMA weights θ̄ the sampler uses; a pytree of float32) and ``loss`` (), the
    mean training loss over the last tenth of the steps (a diagnostic; non-finite means the training diverged)."""

    weights: dict
    loss: jax.Array


class SIMSParams(NamedTuple):
    """A fitted SIMS pair: ``base`` (trained on the data) and ``aux`` (the base fine-tuned on its own samples)."""

    base: DiffusionParams
    aux: DiffusionParams


def _tail_mean(losses):
    return jnp.mean(losses[-max(1, losses.shape[0] // 10):])


def _dim(net, weights) -> int:
    """Data dimension of a network's weights (the output layer's width; side² for ``Conv``)."""
    if hasattr(net, "side"):
        return net.side * net.side
    return int(weights["b2"].shape[-1]) if "b2" in weights else int(weights["out"]["b"].shape[-1])


def _check_real_data(name, truth):
    x = jnp.asarray(truth.sample(key=jax.random.key(0), n=1))
    if not jnp.issubdtype(x.dtype, jnp.floating) or x.ndim != 2:
        raise ValueError(f"{name} needs a truth with real-valued (n, d) samples, got {type(truth).__name__}")
    return x.shape[1]


@dataclass(frozen=True)
class Diffusion:
    """A diffusion model refitted from scratch every generation (module docstring).

    Args:
      net: the raw network F_θ (``lab.diffusion.OneHidden`` / ``MLP`` / ``Conv``).
      precond: the parameterisation (``lab.diffusion.VP`` / ``EDM``).
      train: the training run (``lab.diffusion.TrainConfig``).
      sampler: the sampler (``lab.diffusion.Sampler``).

    Dataset variables: ``train_loss`` (replicate, generation); the weights too for ``OneHidden`` (``variables``).

    Example:
      >>> import jax, jax.numpy as jnp, lab
      >>> from lab.diffusion import Diffusion, MLP, TrainConfig
      >>> model = Diffusion(MLP(16, 1), train=TrainConfig(steps=20, batch=32))
      >>> x = lab.Gaussian([0.0], [[1.0]]).sample(key=jax.random.key(0), n=64)
      >>> model.sample(model.fit(x, jnp.ones(64), key=jax.random.key(1)), jax.random.key(2), 5).shape
      (5, 1)
    """

    net: Network = field(default_factory=MLP)
    precond: Precond = field(default_factory=EDM)
    train: TrainConfig = field(default_factory=TrainConfig)
    sampler: Sampler = field(default_factory=Sampler)

    metric_memory_analysis: ClassVar[bool] = False  # the engine sizes batches without compiling the metrics twice

    def __post_init__(self):
        for name, obj, types in (("net", self.net, Network), ("precond", self.precond, Precond),
                                 ("train", self.train, TrainConfig), ("sampler", self.sampler, Sampler)):
            if not isinstance(obj, types):
                raise TypeError(f"{name} must be a {types}, got {type(obj).__name__}")

    # ------------------------------------------------------------------------------------------------ fitting
    def fit(self, x, w, *, key) -> DiffusionParams:
        """Train on rows x: (N, d) with frequency weights w: (N,) (zero = empty slot), from scratch."""
        out = train(self.precond, self.net, self.train, x, w, key=key)
        return DiffusionParams(out.ema, _tail_mean(out.losses))

    def finetune(self, params: DiffusionParams, x, w, cfg: TrainConfig, *, key) -> DiffusionParams:
        """Continue training from ``params``' weights (fresh optimiser state) with the run ``cfg``."""
        out = train(self.precond, self.net, cfg, x, w, key=key, init=params.weights)
        return DiffusionParams(out.ema, _tail_mean(out.losses))

    # ----------------------------------------------------------------------------------------------- sampling
    def denoiser(self, params: DiffusionParams):
        """D(x, σ): (n, d), () -> (n, d) (eq. 7 of Karras et al. 2022)."""
        return lambda x, sigma: denoise(self.precond, lambda xi, c: self.net.apply(params.weights, xi, c),
                                        x.astype(DTYPE), sigma)

    def score(self, params: DiffusionParams, x, sigma):
        """(n, d) ∇ log p(x; σ) ≈ (D(x; σ) − x)/σ² at noise level σ > 0."""
        return guidance.score_of(self.denoiser(params))(x.astype(DTYPE), jnp.asarray(sigma, DTYPE))

    def sigmas(self):
        return self.precond.sigmas(self.sampler.steps)

    def noise(self, *, key, n: int, dim: int):
        """(n, steps + 1, dim) the sampler's noises (per-sample seeds)."""
        return samplers.initial_noise(key=key, n=n, dim=dim, steps=self.sampler.steps)

    def solve(self, D, z, drift=None):
        sig = self.sigmas()
        return samplers.solve(D, z, sig, self.precond.prior_std(sig[0]), self.sampler, drift)

    def sample(self, params: DiffusionParams, *, key, n: int):
        """(n, d) draws of the sampler, cast to JAX's default float (float64 under ``import lab``)."""
        z = self.noise(key=key, n=n, dim=_dim(self.net, params.weights))
        return self.solve(self.denoiser(params), z).astype(jnp.result_type(float))

    def log_prob(self, params: DiffusionParams, x):
        """(n,) log density of the probability-flow model at rows x: (n, d) (``samplers.log_density``)."""
        sig = self.sigmas()
        out = samplers.log_density(self.denoiser(params), jnp.asarray(x, DTYPE), sig, self.precond.prior_std(sig[0]),
                                   self.precond.c_in)
        return out.astype(jnp.result_type(float))

    # ----------------------------------------------------------------------------------------- engine contract
    def check(self, truth) -> None:
        d = _check_real_data(type(self).__name__, truth)
        self.net.check_dim(d)

    def variables(self, params: DiffusionParams) -> dict:
        """``train_loss``; for the small ``OneHidden`` network also its weights ``W1`` (…, feature, hidden), ``b1``
        (…, hidden), ``W2`` (…, hidden, dim), ``b2`` (…, dim), so a study can rebuild any replicate's model
        (``params_at``). Larger networks' weights are not stored."""
        out = {"train_loss": (params.loss, ())}
        if isinstance(self.net, OneHidden):
            w = params.weights
            out.update(W1=(w["W1"], ("feature", "hidden")), b1=(w["b1"], ("hidden",)),
                       W2=(w["W2"], ("hidden", "dim")), b2=(w["b2"], ("dim",)))
        return out

    def params_at(self, ds, r: int, g: int) -> DiffusionParams:
        """The fitted params of replicate r, generation g of a ``lab.simulate`` Dataset (``OneHidden`` only)."""
        if not isinstance(self.net, OneHidden):
            raise ValueError("params_at needs the OneHidden network (only its weights are stored in the Dataset)")
        w = {v: jnp.asarray(ds[v].values[r, g], DTYPE) for v in ("W1", "b1", "W2", "b2")}
        return DiffusionParams(w, jnp.asarray(ds["train_loss"].values[r, g]))

    def default_metrics(self, truth):
        from lab.metrics import samples

        w2 = samples.W2Samples() if truth.dim == 1 else samples.SlicedW2()
        return (w2,) + ((samples.TVMonteCarlo(samples=512),) if hasattr(truth, "log_prob") else ())

    def describe(self) -> dict:
        from lab.models.base import describe_dataclass

        return describe_dataclass(self)


@dataclass(frozen=True)
class SIMS:
    """SIMS as a family wrapping a ``Diffusion`` (module docstring).

    Args:
      base: the diffusion family of the base and the auxiliary model.
      omega: guidance strength ω ≥ 0 (0: the base).
      budget: B, fine-tuning steps of the auxiliary model (≥ 1).
      synthetic: n_s, samples of the base the auxiliary model is fine-tuned on (≥ 1).
      aux_lr: peak learning rate of the fine-tuning (None: the base's).
      space: "denoiser" or "score" guidance (identical in exact arithmetic).

    Dataset variables: ``train_loss`` and ``aux_loss`` (replicate, generation).
    """

    base: Diffusion
    omega: float = 1.0
    budget: int = 200
    synthetic: int = 1000
    aux_lr: float | None = None
    space: str = "denoiser"

    metric_memory_analysis: ClassVar[bool] = False  # as Diffusion

    def __post_init__(self):
        if not isinstance(self.base, Diffusion):
            raise TypeError(f"base must be a lab.diffusion.Diffusion family, got {type(self.base).__name__}")
        object.__setattr__(self, "omega", _checks.real_in("omega", self.omega, 0.0, np.inf, hi_open=True))
        _checks.integer("budget", self.budget, minimum=1)
        _checks.integer("synthetic", self.synthetic, minimum=1)
        if self.aux_lr is not None:
            _checks.real_in("aux_lr", self.aux_lr, 0.0, np.inf, lo_open=True, hi_open=True)
        if self.space not in guidance.SPACES:
            raise ValueError(f"space must be one of {guidance.SPACES}, got {self.space!r}")

    @property
    def aux_train(self) -> TrainConfig:
        """The fine-tuning run: the base's, with ``budget`` steps, ``aux_lr`` and a warm-up of at most B/10."""
        t = self.base.train
        return replace(t, steps=self.budget, lr=self.aux_lr or t.lr, warmup=min(t.warmup, self.budget // 10))

    def fit(self, x, w, *, key) -> SIMSParams:
        """Base on (x, w), n_s samples of it, auxiliary = base fine-tuned on them for B steps."""
        base = self.base.fit(x, w, key=jax.random.fold_in(key, 0))
        syn = self.base.sample(base, key=jax.random.fold_in(key, 1), n=self.synthetic)
        aux = self.base.finetune(base, syn, jnp.ones(self.synthetic, DTYPE), self.aux_train,
                                 key=jax.random.fold_in(key, 2))
        return SIMSParams(base, aux)

    def guided_denoiser(self, params: SIMSParams, omega=None):
        """D = D_r + ω (D_r − D_s) (ω defaults to ``self.omega``; may be traced)."""
        omega = self.omega if omega is None else omega
        return guidance.guide(self.base.denoiser(params.base), self.base.denoiser(params.aux), omega)

    def sample(self, params: SIMSParams, *, key, n: int):
        """(n, d) guided draws with the base's sampler and noises: ω = 0 returns ``base.sample(params.base, …)``."""
        if self.omega == 0:
            return self.base.sample(params.base, key=key, n=n)
        z = self.base.noise(key=key, n=n, dim=_dim(self.base.net, params.base.weights))
        if self.space == "denoiser":
            out = self.base.solve(self.guided_denoiser(params), z)
        else:
            s = guidance.guide(guidance.score_of(self.base.denoiser(params.base)),
                               guidance.score_of(self.base.denoiser(params.aux)), self.omega)
            D = lambda x, sigma: x + sigma**2 * s(x, sigma)  # noqa: E731  (the denoiser of the guided score)
            out = self.base.solve(D, z, drift=samplers.score_drift(s))
        return out.astype(jnp.result_type(float))

    def log_prob(self, params: SIMSParams, x):
        """(n,) log density of the guided probability-flow model (denoiser-space guidance)."""
        sig = self.base.sigmas()
        D = self.guided_denoiser(params)
        out = samplers.log_density(D, jnp.asarray(x, DTYPE), sig, self.base.precond.prior_std(sig[0]),
                                   self.base.precond.c_in)
        return out.astype(jnp.result_type(float))

    def check(self, truth) -> None:
        self.base.check(truth)

    def variables(self, params: SIMSParams) -> dict:
        return {"train_loss": (params.base.loss, ()), "aux_loss": (params.aux.loss, ())}

    def default_metrics(self, truth):
        from lab.metrics import samples

        return (samples.W2Samples() if truth.dim == 1 else samples.SlicedW2(),)

    def describe(self) -> dict:
        from lab.models.base import describe_dataclass

        return describe_dataclass(self)


__all__ = ["Diffusion", "DiffusionParams", "SIMS", "SIMSParams"]
