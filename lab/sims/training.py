"""Training an EDM denoiser: a pure, jitted function of (key, data, config[, initial model]).

One step (the same function of (key, data, carry, t) whichever loop runs it; see "Loops" below):
    batch  y = data[idx], idx ~ Uniform{0..N−1}^B with key fold_in(key, t)   (with replacement),
    loss   eq. 8 of Karras et al. 2022 (``lab.sims.edm.dsm_loss``: ln σ ~ N(P_mean, P_std²), λ(σ) = 1/c_out²),
    update optax: clip_by_global_norm(grad_clip) then Adam (Kingma & Ba 2015) with a linear warm-up to ``lr`` and a
           cosine decay to ``lr · lr_end`` (optax.warmup_cosine_decay_schedule),
    EMA    θ̄ ← β_t θ̄ + (1 − β_t) θ,  β_t = min(ema_decay, (1 + t)/(10 + t)): the exponential moving average of weights
           that EDM samples from (Karras et al. 2022, Appendix F.1; the warm-up of β_t is TensorFlow's
           ExponentialMovingAverage with num_updates, so short fine-tuning budgets are not dominated by θ̄_0).
Fine-tuning (SIMS's auxiliary model) is the same function started from ``init``'s EMA weights (the weights the base
samples with), with a fresh optimiser state and its own config (``steps`` = the budget B).

Loops (``loop_kind(spec)``):
    "scan"   (``MLPSpec``) the whole run is one jitted ``lax.scan`` over the steps (``make_train_fn``), compiled once
             per (spec, config, data shape). Unchanged since the studies' cached results: bit-identical to
             ``jax.jit(make_train_fn(spec, cfg))`` (tests/test_sims_training_loop.py).
    "chunks" (``ConvSpec``) a Python loop over one jitted chunk of ``CHUNK`` = 5 steps unrolled as straight-line code
             (``make_chunk_fn``; carry donated, step index passed as an int32 array so every chunk reuses one
             program; a remainder of steps % CHUNK steps compiles one more, shorter chunk). Same steps, same keys
             fold_in(key, t), same result as the scan to float32 rounding (not bit for bit: XLA fuses differently).
    Why: XLA:CPU runs the convolutions' weight gradients inside a rolled loop (``lax.scan``, ``fori_loop``) about
    50–100× slower than the same step outside one. Measured for ``ConvSpec()`` (32 channels, 2 blocks), batch 256,
    sklearn digits, 2 shared CPU cores (load average 4–5), jax 0.10.2, steps/s after compilation (first-call time):
        rolled ``lax.scan``             0.20 (39 s for 3 steps)      ``lax.scan(unroll=5)``  0.09 (71 s for 10 steps)
        Python loop over jitted chunks of k unrolled steps, 40–60 steps, one run per session (sessions minutes apart):
        k = 1: 6.9, 20.0, 14.7 (compile 1.6–5.2 s)   k = 2: 15.7, 16.9 (2.7–3.0 s)   k = 5: 17.5, 21.2, 19.6 (5.6–11 s)
        k = 10: 11.8, 16.3, 19.8 (11–16 s)   k = 20: 9.1 (34 s)
    k = 5 is at least as fast per step as any other k (~1.3× k = 1: fewer dispatches, fusion across steps; k = 10
    no faster) and its extra compile time over k = 1 (~4 s) is repaid within ~200 steps; longer chunks compile
    super-linearly. PyTorch's per-step loop of the same network ran at ~21 steps/s in the same conditions
    (benchmarks/sims.py).
    ``MLPSpec`` keeps the scan: it has no convolutions (the scan runs it as fast as a per-step loop, ~240 steps/s for
    the digits MLP, benchmarks/sims.py) and its results must stay bit-identical. On a GPU both loops are plain
    sequences of device programs; the chunk loop does not synchronise with the host between chunks.

Determinism: every random draw comes from ``key``; the same (key, data, config, init) gives the same bits.
Vectorisation: ``train_many`` vmaps the same function (scan or chunk) over a stack of keys (bands over seeds in one
compile).
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
from lab.sims.networks import ConvSpec, Spec

DTYPE = edm.DTYPE
CHUNK = 5  # steps per compiled chunk of the "chunks" loop (ConvSpec); see the module docstring


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


def _make_step(spec: Spec, cfg: TrainConfig):
    """(optimizer, step) with step(key, data, carry, t) -> (carry, loss): optimiser step t (int32) of one run."""
    opt = _optimizer(cfg)

    def loss_fn(params, y, key):
        return edm.dsm_loss(lambda x, c: spec.apply(params, x, c), y, key, cfg.sigma_data, cfg.p_mean, cfg.p_std)

    def step(key, data, carry, t):
        params, ema, opt_state = carry
        kb, kl = jax.random.split(jax.random.fold_in(key, t))
        y = data[jax.random.randint(kb, (cfg.batch,), 0, data.shape[0])]
        loss, grads = jax.value_and_grad(loss_fn)(params, y, kl)
        updates, opt_state = opt.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        beta = jnp.minimum(cfg.ema_decay, (1.0 + t) / (10.0 + t)).astype(DTYPE)
        ema = jax.tree_util.tree_map(lambda e, p: beta * e + (1 - beta) * p, ema, params)
        return (params, ema, opt_state), loss

    return opt, step


def make_train_fn(spec: Spec, cfg: TrainConfig):
    """The pure training function (key, data: (N, d) float32, params0) -> (params, ema, losses: (steps,)), as one
    ``lax.scan`` over the steps.

    Not jitted here: ``train`` jits it (for ``MLPSpec``), ``train_many`` vmaps then jits it; users may compose it
    further. ``ConvSpec`` runs go through ``make_chunk_fn`` instead (same steps, see the module docstring)."""
    opt, step = _make_step(spec, cfg)

    def run(key, data, params0):
        carry0 = (params0, params0, opt.init(params0))
        (params, ema, _), losses = jax.lax.scan(lambda c, t: step(key, data, c, t), carry0,
                                                jnp.arange(cfg.steps, dtype=jnp.int32))
        return params, ema, losses

    return run


def make_chunk_fn(spec: Spec, cfg: TrainConfig, length: int):
    """(init, chunk): init(params0) -> carry (params, EMA, optimiser state; fresh buffers), and
    chunk(key, data, carry, t0: int32) -> (carry, losses: (length,)), steps t0 … t0 + length − 1 of the run that
    ``make_train_fn`` scans, unrolled in Python (straight-line code, no XLA loop). Not jitted here."""
    opt, step = _make_step(spec, cfg)

    def init(params0):
        copy = lambda tree: jax.tree_util.tree_map(jnp.copy, tree)
        return copy(params0), copy(params0), opt.init(params0)

    def chunk(key, data, carry, t0):
        losses = []
        for i in range(length):
            carry, loss = step(key, data, carry, t0 + i)
            losses.append(loss)
        return carry, jnp.stack(losses)

    return init, chunk


def loop_kind(spec: Spec) -> str:
    """How ``train`` runs the steps of ``spec``: "scan" (one jitted ``lax.scan``; ``MLPSpec``) or "chunks" (a Python
    loop over a jitted, carry-donating chunk of ``CHUNK`` unrolled steps; ``ConvSpec``). See the module docstring."""
    return "chunks" if isinstance(spec, ConvSpec) else "scan"


@functools.lru_cache(maxsize=64)
def _jitted(spec: Spec, cfg: TrainConfig, many: bool, data_axis=None):
    fn = make_train_fn(spec, cfg)
    return jax.jit(jax.vmap(fn, in_axes=(0, data_axis, 0)) if many else fn)


@functools.lru_cache(maxsize=64)
def _jitted_chunk(spec: Spec, cfg: TrainConfig, length: int, many: bool, data_axis=None):
    init, chunk = make_chunk_fn(spec, cfg, length)
    if many:
        init, chunk = jax.vmap(init), jax.vmap(chunk, in_axes=(0, data_axis, 0, None))
    return jax.jit(init), jax.jit(chunk, donate_argnums=2)


def _run(spec: Spec, cfg: TrainConfig, key, y, params0, many: bool, data_axis=None):
    """(params, ema, losses) of the run ``make_train_fn`` describes, by ``loop_kind(spec)``."""
    if loop_kind(spec) == "scan":
        return _jitted(spec, cfg, many, data_axis)(key, y, params0)
    k = min(CHUNK, cfg.steps)
    init, chunk = _jitted_chunk(spec, cfg, k, many, data_axis)
    carry, losses, t = init(params0), [], 0
    while t + k <= cfg.steps:
        carry, loss = chunk(key, y, carry, jnp.int32(t))
        losses.append(loss)
        t += k
    if t < cfg.steps:  # the remainder: one more (smaller) compiled chunk
        carry, loss = _jitted_chunk(spec, cfg, cfg.steps - t, many, data_axis)[1](key, y, carry, jnp.int32(t))
        losses.append(loss)
    params, ema, _ = carry
    return params, ema, jnp.concatenate(losses, axis=-1)


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
    params, ema, losses = _run(spec, cfg, jax.random.fold_in(key, 0), y, params0, False)
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
    params, ema, losses = _run(spec, cfg, k0, y, params0, True, 0 if y.ndim == 3 else None)
    return Model(spec, cfg, params, ema, losses)


def unstack(model: Model, i: int) -> Model:
    """Seed i of a Model returned by ``train_many``."""
    return jax.tree_util.tree_map(lambda a: a[i], model)


__all__ = ["TrainConfig", "Model", "train", "train_many", "unstack", "make_train_fn", "make_chunk_fn", "loop_kind",
           "check_data"]
