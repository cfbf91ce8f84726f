"""SIMS end to end for one real set, over several ω and seeds (THEORY N1), on the ``lab.SIMS`` family.

    1. base θ_r trained on the real rows, 2. n_s synthetic samples of it, 3. auxiliary θ_s = the base fine-tuned on them
    for B steps (steps 1–3 are ``SIMS.fit``), 4. guided samples D = D_r + ω (D_r − D_s) for each ω in ``omegas``.
Keys: fold_in(key, 0) is the fit's key (``SIMS.fit``: base, synthetic rows, fine-tuning); fold_in(key, 3) draws the
final samples — the same noises for every ω (common random numbers), so ω = 0 is exactly the base's samples and
differences across ω are guidance, not sampling noise. ``run_sims_seeds`` vmaps the whole run over seeds: one compiled
training for all seeds, which is what fills an accelerator when the networks are small.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import jax
import jax.numpy as jnp
import numpy as np

from lab import _checks
from lab.diffusion import DTYPE, SIMS
from lab.keys import as_key, key_data


@dataclass(frozen=True)
class SIMSConfig:
    """Every setting of a SIMS run: the family (its ``omega`` is ignored: ``omegas`` are sampled) and the evaluation."""

    model: SIMS  # base diffusion family, budget B, n_s, guidance space
    omegas: tuple = (0.0, 0.5, 1.0, 1.5)  # guidance strengths ω ≥ 0 to sample (0 = the base)
    n_samples: int = 1000  # rows drawn per ω for evaluation

    def __post_init__(self):
        if not isinstance(self.model, SIMS):
            raise TypeError(f"model must be a lab.SIMS family, got {type(self.model).__name__}")
        _checks.integer("n_samples", self.n_samples, minimum=1)
        if len(self.omegas) < 1:
            raise ValueError("omegas must hold at least one guidance strength")
        object.__setattr__(self, "omegas", tuple(
            _checks.real_in("omega", w, 0.0, np.inf, hi_open=True) for w in self.omegas))

    def record(self) -> dict:
        return {"model": self.model.describe(), "omegas": list(self.omegas), "n_samples": self.n_samples}


@dataclass(frozen=True)
class SIMSResult:
    """What ``run_sims`` / ``run_sims_seeds`` return.

    Fields:
      record: ``SIMSConfig.record()`` plus the key(s) and the data's shape.
      params: the fitted ``SIMSParams`` (leading seed axis S for ``run_sims_seeds``).
      samples: {ω: (n_samples, d) float32} ((S, n_samples, d) over seeds).
    """

    record: dict
    params: object = field(repr=False)
    samples: dict = field(repr=False)


def _check_data(data, name="data"):
    a = _checks.finite_array(name, data)
    if a.ndim not in (2, 3) or a.shape[-2] < 2:
        raise ValueError(f"{name} must have shape (N >= 2, d) or (S, N, d), got {a.shape}")
    return jnp.asarray(a, DTYPE)


def _one(cfg: SIMSConfig, x, key):
    params = cfg.model.fit(x, jnp.ones(x.shape[0], DTYPE), key=jax.random.fold_in(key, 0))
    k3 = jax.random.fold_in(key, 3)
    samples = tuple(replace(cfg.model, omega=w).sample(params, key=k3, n=cfg.n_samples).astype(DTYPE)
                    for w in cfg.omegas)
    return params, samples


def run_sims(data, cfg: SIMSConfig, *, key) -> SIMSResult:
    """Steps 1–4 for one seed on data: (N, d)."""
    key, x = as_key(key), _check_data(data)
    params, samples = jax.jit(lambda x, k: _one(cfg, x, k))(x, key)
    _check_finite(params)
    return SIMSResult({**cfg.record(), "key": key_data(key), "data_shape": list(x.shape)}, params,
                      {w: np.asarray(s) for w, s in zip(cfg.omegas, samples)})


def run_sims_seeds(data, cfg: SIMSConfig, *, keys) -> SIMSResult:
    """``run_sims`` vmapped over seeds: keys (S,) typed keys; data (N, d) shared or (S, N, d) one set per seed."""
    x = _check_data(data)
    axis = 0 if x.ndim == 3 else None
    params, samples = jax.jit(jax.vmap(lambda x, k: _one(cfg, x, k), in_axes=(axis, 0)))(x, keys)
    _check_finite(params)
    return SIMSResult({**cfg.record(), "keys": [key_data(k) for k in keys], "data_shape": list(x.shape)}, params,
                      {w: np.asarray(s) for w, s in zip(cfg.omegas, samples)})


def _check_finite(params) -> None:
    for name, p in (("base", params.base), ("auxiliary", params.aux)):
        if not np.all(np.isfinite(np.asarray(p.loss))):
            raise FloatingPointError(f"the {name} model's training loss is not finite: the training diverged "
                                     "(lower the learning rate or check the data's scale)")


__all__ = ["SIMSConfig", "SIMSResult", "run_sims", "run_sims_seeds"]
