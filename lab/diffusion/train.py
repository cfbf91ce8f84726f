"""Training a denoiser: one pure function of (data, weights, key[, initial weights]), vmappable over seeds/replicates.

One step t (keys fold_in(key, t)):
    batch  y = x[i], i drawn with probability w_i/Σw, with replacement (inverse CDF on the cumulative weights, so
           zero-weight padding rows are never drawn and a row of weight 2 is drawn as often as a row written twice),
    loss   eq. 8 of Karras et al. 2022 (``lab.diffusion.loss.dsm_loss``; σ from the parameterisation's training law),
    update optax: clip_by_global_norm(grad_clip) (skipped when None) then Adam (Kingma & Ba 2015) with a linear
           warm-up to ``lr`` and a cosine decay to ``lr · lr_end`` (optax.warmup_cosine_decay_schedule),
    EMA    θ̄ ← β_t θ̄ + (1 − β_t) θ, β_t = min(ema_decay, (1 + t)/(10 + t)): the moving average of weights EDM samples
           from (Karras et al. 2022, Appendix F.1; the warm-up of β_t is TensorFlow's ExponentialMovingAverage with
           num_updates, so short fine-tuning budgets are not dominated by θ̄_0). ema_decay = 0 samples the raw weights.
The steps run under one ``lax.scan``; the function is pure, so ``jax.vmap`` over (key, x, w) trains many seeds or
replicates in one compiled program (``lab.simulate`` does this for the ``Diffusion`` and ``SIMS`` families).
Fine-tuning (SIMS's auxiliary model) is the same function started from given weights, with a fresh optimiser state.
On XLA:CPU, convolutions' weight gradients inside a rolled loop run far slower than the same step outside one (well
over an order of magnitude in issue 6's measurements): ``Conv`` networks are meant for accelerators; the 2-D worlds
and the CPU presets use MLPs.
Precision: float32 (``precond.DTYPE``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lab import _checks
from lab.diffusion import loss as _loss
from lab.diffusion.precond import DTYPE


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training (or fine-tuning) run."""

    steps: int = 2000  # optimiser steps (for fine-tuning: the budget B)
    batch: int = 256  # rows per step, drawn with probability w/Σw, with replacement
    lr: float = 2e-3  # peak learning rate of Adam
    warmup: int = 100  # linear warm-up steps (capped at steps // 2)
    lr_end: float = 0.1  # final learning rate as a fraction of lr (cosine decay)
    ema_decay: float = 0.999  # EMA decay cap of the sampled weights (0: sample the raw weights)
    grad_clip: float | None = 1.0  # global-norm gradient clipping (None: off)

    def __post_init__(self):
        _checks.integer("steps", self.steps, minimum=1)
        _checks.integer("batch", self.batch, minimum=1)
        _checks.integer("warmup", self.warmup, minimum=0)
        _checks.real_in("lr", self.lr, 0.0, np.inf, lo_open=True, hi_open=True)
        _checks.real_in("lr_end", self.lr_end, 0.0, 1.0)
        _checks.real_in("ema_decay", self.ema_decay, 0.0, 1.0, hi_open=True)
        if self.grad_clip is not None:
            _checks.real_in("grad_clip", self.grad_clip, 0.0, np.inf, lo_open=True, hi_open=True)

    def describe(self) -> dict:
        return {"kind": "TrainConfig", **asdict(self)}


class Trained(NamedTuple):
    """What ``train`` returns: raw weights θ, EMA weights θ̄ (the ones sampled), per-step losses (steps,)."""

    params: dict
    ema: dict
    losses: jax.Array


def optimizer(cfg: TrainConfig):
    warm = min(cfg.warmup, cfg.steps // 2)
    sched = optax.warmup_cosine_decay_schedule(0.0, cfg.lr, warm, max(cfg.steps, warm + 1), cfg.lr * cfg.lr_end)
    adam = optax.adam(sched)
    return adam if cfg.grad_clip is None else optax.chain(optax.clip_by_global_norm(cfg.grad_clip), adam)


def train(precond, net, cfg: TrainConfig, x, w, *, key, init: dict | None = None) -> Trained:
    """Train a denoiser on rows x: (N, d) with frequency weights w: (N,) (zero = empty slot), or fine-tune ``init``.

    The network is initialised from fold_in(key, 1) when ``init`` is None; step t uses fold_in(fold_in(key, 0), t).
    Pure and jittable; not jitted here (``fit`` of the families is traced inside ``lab.simulate``'s program)."""
    x, w = jnp.asarray(x, DTYPE), jnp.asarray(w, DTYPE)
    params0 = net.init(key=jax.random.fold_in(key, 1), dim=x.shape[-1], n_cond=precond.n_cond) if init is None else init
    ksteps = jax.random.fold_in(key, 0)
    opt = optimizer(cfg)
    cum = jnp.cumsum(w)

    def loss_fn(params, y, k):
        return _loss.dsm_loss(precond, lambda xi, c: net.apply(params, xi, c), y, key=k)

    def step(carry, t):
        params, ema, state = carry
        kb, kl = jax.random.split(jax.random.fold_in(ksteps, t))
        i = jnp.searchsorted(cum, jax.random.uniform(kb, (cfg.batch,), DTYPE) * cum[-1], side="right")
        y = x[jnp.clip(i, 0, x.shape[0] - 1)]
        value, grads = jax.value_and_grad(loss_fn)(params, y, kl)
        updates, state = opt.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        beta = jnp.minimum(cfg.ema_decay, (1.0 + t) / (10.0 + t)).astype(DTYPE)
        ema = jax.tree_util.tree_map(lambda e, p: beta * e + (1 - beta) * p, ema, params)
        return (params, ema, state), value

    carry0 = (params0, params0, opt.init(params0))
    (params, ema, _), losses = jax.lax.scan(step, carry0, jnp.arange(cfg.steps, dtype=jnp.int32))
    return Trained(params, ema, losses)


__all__ = ["TrainConfig", "Trained", "optimizer", "train"]
