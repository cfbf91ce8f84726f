"""Training an EDM denoiser: a pure, jitted function of (key, data, config[, initial model]).

One step (``lax.scan`` over ``steps``, compiled once per (spec, config, data shape)):
    batch  y = data[idx], idx ~ Uniform{0..N−1}^B with key fold_in(key, t)   (with replacement),
    loss   eq. 8 of Karras et al. 2022 (``lab.sims.edm.dsm_loss``: ln σ ~ N(P_mean, P_std²), λ(σ) = 1/c_out²),
    update optax: clip_by_global_norm(grad_clip) then Adam (Kingma & Ba 2015) with a linear warm-up to ``lr`` and a
           cosine decay to ``lr · lr_end`` (optax.warmup_cosine_decay_schedule),
    EMA    θ̄ ← β_t θ̄ + (1 − β_t) θ,  β_t = min(ema_decay, (1 + t)/(10 + t)): the exponential moving average of weights
           that EDM samples from (Karras et al. 2022, Appendix F.1; the warm-up of β_t is TensorFlow's
           ExponentialMovingAverage with num_updates, so short fine-tuning budgets are not dominated by θ̄_0).
Fine-tuning (SIMS's auxiliary model) is the same function started from ``init``'s EMA weights (the weights the base
samples with), with a fresh optimiser state and its own config (``steps`` = the budget B).

Determinism: every random draw comes from ``key``; the same (key, data, config, init) gives the same bits.
Vectorisation: ``train_many`` vmaps the same function over a stack of keys (bands over seeds in one compile).
Device: JAX's default device (CPU here, a GPU when jaxlib has CUDA); nothing is pinned.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lab import _checks
from lab.keys import as_key
from lab.sims import edm
from lab.sims.networks import Spec

DTYPE = edm.DTYPE


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training (or fine-tuning) run."""

    steps: int = 2000  # optimiser steps (for fine-tuning: the budget B)
    batch: int = 256  # rows per step, drawn with replacement
    lr: float = 2e-3  # peak learning rate of Adam
    warmup: int = 100  # linear warm-up steps (capped at steps // 2)
    lr_end: float = 0.1  # final learning rate as a fraction of lr (cosine decay)
    ema_decay: float = 0.999  # EMA decay cap of the sampled weights
    grad_clip: float = 1.0  # global-norm gradient clipping
    sigma_data: float = edm.SIGMA_DATA  # σ_d of the preconditioning (data std per coordinate)
    p_mean: float = edm.P_MEAN  # mean of ln σ in training
    p_std: float = edm.P_STD  # std of ln σ in training

    def __post_init__(self):
        _checks.integer("steps", self.steps, minimum=1)
        _checks.integer("batch", self.batch, minimum=1)
        _checks.integer("warmup", self.warmup, minimum=0)
        _checks.real_in("lr", self.lr, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("lr_end", self.lr_end, 0.0, 1.0)
        _checks.real_in("ema_decay", self.ema_decay, 0.0, 1.0, hi_open=True)
        _checks.real_in("grad_clip", self.grad_clip, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("sigma_data", self.sigma_data, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("p_mean", self.p_mean, -np.inf, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("p_std", self.p_std, 0.0, np.inf, lo_open=True, hi_open=True)

    def to_dict(self) -> dict:
        return asdict(self)


@functools.partial(jax.tree_util.register_dataclass, data_fields=["params", "ema", "losses"],
                   meta_fields=["spec", "config"])
@dataclass(frozen=True)
class Model:
    """A trained denoiser: the network spec, the config it was trained with, raw and EMA weights, per-step losses.

    Fields:
      spec: the network (``MLPSpec`` / ``ConvSpec``).
      config: the ``TrainConfig`` of the last training run (its σ_d is the one the denoiser uses).
      params: raw weights θ (pytree of float32).
      ema: EMA weights θ̄ (same structure); samplers use these.
      losses: (steps,) float32 batch losses of the last run (eq. 8 form; F = 0 scores ≈ dim).
    A JAX pytree (spec and config static), so ``train_many`` returns one Model with a leading seed axis.
    """

    spec: Spec
    config: TrainConfig
    params: dict
    ema: dict
    losses: jax.Array = field(repr=False)


def check_data(data, dim: int, name: str = "data") -> jax.Array:
    """(N, dim) float32 array from finite ``data``; ValueError naming ``name`` otherwise."""
    a = _checks.finite_array(name, data, ndim=2)
    if a.shape[1] != dim or a.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N >= 1, {dim}) to match the network, got {a.shape}")
    return jnp.asarray(a, DTYPE)


def _optimizer(cfg: TrainConfig):
    warm = min(cfg.warmup, cfg.steps // 2)
    sched = optax.warmup_cosine_decay_schedule(0.0, cfg.lr, warm, max(cfg.steps, warm + 1), cfg.lr * cfg.lr_end)
    return optax.chain(optax.clip_by_global_norm(cfg.grad_clip), optax.adam(sched))


def make_train_fn(spec: Spec, cfg: TrainConfig):
    """The pure training function (key, data: (N, d) float32, params0) -> (params, ema, losses: (steps,)).

    Not jitted here: ``train`` jits it, ``train_many`` vmaps then jits it; users may compose it further."""
    opt = _optimizer(cfg)

    def loss_fn(params, y, key):
        return edm.dsm_loss(lambda x, c: spec.apply(params, x, c), y, key, cfg.sigma_data, cfg.p_mean, cfg.p_std)

    def run(key, data, params0):
        def step(carry, t):
            params, ema, opt_state = carry
            kb, kl = jax.random.split(jax.random.fold_in(key, t))
            y = data[jax.random.randint(kb, (cfg.batch,), 0, data.shape[0])]
            loss, grads = jax.value_and_grad(loss_fn)(params, y, kl)
            updates, opt_state = opt.update(grads, opt_state, params)
            params = optax.apply_updates(params, updates)
            beta = jnp.minimum(cfg.ema_decay, (1.0 + t) / (10.0 + t)).astype(DTYPE)
            ema = jax.tree_util.tree_map(lambda e, p: beta * e + (1 - beta) * p, ema, params)
            return (params, ema, opt_state), loss

        carry0 = (params0, params0, opt.init(params0))
        (params, ema, _), losses = jax.lax.scan(step, carry0, jnp.arange(cfg.steps, dtype=jnp.int32))
        return params, ema, losses

    return run


@functools.lru_cache(maxsize=64)
def _jitted(spec: Spec, cfg: TrainConfig, many: bool, data_axis=None):
    fn = make_train_fn(spec, cfg)
    return jax.jit(jax.vmap(fn, in_axes=(0, data_axis, 0)) if many else fn)


def _start(spec: Spec, key, init: Model | None):
    if init is None:
        return spec.init(key)
    if init.spec != spec:
        raise ValueError(f"init must be a model of the same network spec {spec}, got {init.spec}")
    return init.ema


def train(key, data, spec: Spec, cfg: TrainConfig, init: Model | None = None) -> Model:
    """Train (or, with ``init``, fine-tune from init's EMA weights) an EDM denoiser on rows of ``data``: (N, spec.dim).

    The network is initialised from fold_in(key, 1) (when ``init`` is None) and the steps use fold_in(key, 0)."""
    key, y = as_key(key), check_data(data, spec.dim)
    params0 = _start(spec, jax.random.fold_in(key, 1), init)
    params, ema, losses = _jitted(spec, cfg, False)(jax.random.fold_in(key, 0), y, params0)
    return Model(spec, cfg, params, ema, losses)


def train_many(keys, data, spec: Spec, cfg: TrainConfig, init: Model | None = None) -> Model:
    """``train`` vmapped over keys: (S,) keys -> a Model whose leaves carry a leading axis S (``unstack`` to split).

    ``data``: (N, d) shared by every seed, or (S, N, d), one set per seed. ``init``, when given, must itself be
    stacked over the same S seeds (e.g. the output of an earlier ``train_many``). Seed s gives the same model as
    ``train(keys[s], data[s], ...)`` up to float32 rounding of the batched matmuls."""
    a = np.asarray(data)
    if a.ndim == 3:
        if a.shape[0] != len(keys):
            raise ValueError(f"data must have one set per key: shape (S = {len(keys)}, N, d), got {a.shape}")
        y = jnp.stack([check_data(row, spec.dim) for row in a])
    else:
        y = check_data(data, spec.dim)
    k0 = jax.vmap(lambda k: jax.random.fold_in(k, 0))(keys)
    if init is None:
        params0 = jax.vmap(lambda k: spec.init(jax.random.fold_in(k, 1)))(keys)
    else:
        params0 = _start(spec, None, init)
    params, ema, losses = _jitted(spec, cfg, True, 0 if y.ndim == 3 else None)(k0, y, params0)
    return Model(spec, cfg, params, ema, losses)


def unstack(model: Model, i: int) -> Model:
    """Seed i of a Model returned by ``train_many``."""
    return jax.tree_util.tree_map(lambda a: a[i], model)


__all__ = ["TrainConfig", "Model", "train", "train_many", "unstack", "make_train_fn", "check_data"]
