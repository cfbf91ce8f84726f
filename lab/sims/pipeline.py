"""SIMS end to end (THEORY N1; Alemohammad et al. 2024, "Self-Improving Diffusion Models with Synthetic Data").

    1. base  θ_r: train on the real rows (``TrainConfig`` ``base``);
    2. synthetic: n_s samples of the base (``sampler``);
    3. auxiliary θ_s: fine-tune a copy of the base on the synthetic rows with budget B (``aux``.steps);
    4. SIMS samples: the guided sampler D = D_r + ω (D_r − D_s) (or score space) for each ω in ``omegas``.
Keys: fold_in(key, 0) trains the base, 1 draws the synthetic rows, 2 fine-tunes, 3 draws the final samples — the
same noises for every ω (common random numbers), so ω = 0 is exactly the base's samples and differences across ω
are guidance, not sampling noise. The result carries every setting (``SIMSResult.record``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import numpy as np

from lab import _checks
from lab.keys import as_key, key_data
from lab.sims.networks import Spec
from lab.sims.sampling import SamplerConfig, check_omega, check_space, guided_sample, sample
from lab.sims.training import Model, TrainConfig, check_data, train


@dataclass(frozen=True)
class SIMSConfig:
    """Every setting of one SIMS run."""

    spec: Spec  # the network (MLPSpec / ConvSpec), shared by base and auxiliary models
    base: TrainConfig  # training of the base on real data
    aux: TrainConfig  # fine-tuning of the auxiliary model on synthetic data; aux.steps is the budget B
    n_synthetic: int = 1000  # n_s, synthetic rows drawn from the base for the fine-tuning
    omegas: tuple = (0.0, 0.5, 1.0, 1.5)  # guidance strengths ω ≥ 0 to sample (0 = the base)
    n_samples: int = 1000  # rows drawn per ω for evaluation
    sampler: SamplerConfig = SamplerConfig()  # schedule and churn of every sampling call
    space: str = "denoiser"  # guidance in "denoiser" or "score" space (identical up to float32 rounding)

    def __post_init__(self):
        _checks.integer("n_synthetic", self.n_synthetic, minimum=1)
        _checks.integer("n_samples", self.n_samples, minimum=1)
        if len(self.omegas) < 1:
            raise ValueError("omegas must hold at least one guidance strength")
        object.__setattr__(self, "omegas", tuple(check_omega(w) for w in self.omegas))
        check_space(self.space)

    def record(self) -> dict:
        """JSON-able dict of every setting."""
        return {"spec": self.spec.to_dict(), "base": self.base.to_dict(), "aux": self.aux.to_dict(),
                "n_synthetic": self.n_synthetic, "omegas": list(self.omegas), "n_samples": self.n_samples,
                "sampler": self.sampler.to_dict(), "space": self.space}


@dataclass(frozen=True)
class SIMSResult:
    """What ``run_sims`` returns.

    Fields:
      record: ``SIMSConfig.record()`` plus the seed's key data and the real data's shape.
      base, aux: the two trained ``Model``s.
      synthetic: (n_synthetic, d) float32, the base's samples the auxiliary model was fine-tuned on.
      samples: {ω: (n_samples, d) float32}, guided samples (ω = 0: the base's own samples).
    """

    record: dict
    base: Model
    aux: Model = field(repr=False)
    synthetic: np.ndarray = field(repr=False)
    samples: dict = field(repr=False)


def fit_base(key, data, spec: Spec, cfg: TrainConfig) -> Model:
    """Step 1: the base model trained on real ``data``: (N, d)."""
    return train(key, data, spec, cfg)


def synthesize(base: Model, key, n: int, sampler: SamplerConfig = SamplerConfig()) -> np.ndarray:
    """Step 2: (n, d) samples of the base."""
    return np.asarray(sample(base, key, n, sampler))


def fit_auxiliary(key, base: Model, synthetic, cfg: TrainConfig) -> Model:
    """Step 3: the auxiliary model, the base fine-tuned on ``synthetic``: (n_s, d) for cfg.steps = B steps."""
    return train(key, check_data(synthetic, base.spec.dim, "synthetic"), base.spec, cfg, init=base)


def run_sims(key, data, cfg: SIMSConfig) -> SIMSResult:
    """Steps 1–4 from one key (see the module docstring for the key layout)."""
    key, y = as_key(key), check_data(data, cfg.spec.dim)
    base = fit_base(jax.random.fold_in(key, 0), y, cfg.spec, cfg.base)
    synthetic = synthesize(base, jax.random.fold_in(key, 1), cfg.n_synthetic, cfg.sampler)
    if not np.all(np.isfinite(synthetic)):
        raise FloatingPointError("the base model produced non-finite samples; lower base.lr or check the data scale")
    aux = fit_auxiliary(jax.random.fold_in(key, 2), base, synthetic, cfg.aux)
    k3 = jax.random.fold_in(key, 3)
    samples = {w: np.asarray(guided_sample(base, aux, k3, cfg.n_samples, w, cfg.sampler, cfg.space))
               for w in cfg.omegas}
    record = {**cfg.record(), "key": key_data(key), "data_shape": list(y.shape)}
    return SIMSResult(record, base, aux, synthetic, samples)


__all__ = ["SIMSConfig", "SIMSResult", "fit_base", "synthesize", "fit_auxiliary", "run_sims"]
