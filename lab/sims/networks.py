"""The raw networks F_θ(x_in; c_noise) of the EDM denoiser (lab.sims.edm.denoise), as pure functions of pytrees.

A network is described by a frozen, JSON-able spec (``MLPSpec`` or ``ConvSpec``) with
    spec.init(key) -> params (a pytree of float32 arrays),   spec.apply(params, x_in, c_noise) -> (n, dim),
x_in: (n, dim), c_noise: (n,). ``spec.to_dict()`` / ``spec_from_dict(d)`` round-trip the spec (checkpoints).

Noise conditioning (both networks): Fourier features of c_noise, [cos(2π f_k c), sin(2π f_k c)] with frequencies f_k
geometric on [1/8, 8] (c_noise = ¼ ln σ spans about [−1.6, 1.1] for σ ∈ [0.002, 80]), then one SiLU layer to an
embedding e of size ``width`` (``channels``), added to every hidden layer through its own linear map, in the spirit of
the noise embedding of EDM's networks (Karras et al. 2022, Appendix F.2) at toy scale.
Output layers start at zero, so at initialisation F = 0 and D(x; σ) = c_skip(σ) x.
Initialisation: LeCun normal (variance 1/fan_in), zero biases. SiLU (Elfwing et al. 2018) everywhere.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import jax
import jax.numpy as jnp

from lab import _checks
from lab.sims.edm import DTYPE

FOURIER = 16  # frequencies of the noise embedding (2 × FOURIER features)


def _dense(key, fan_in: int, fan_out: int, zero: bool = False) -> dict:
    w = jnp.zeros((fan_in, fan_out), DTYPE) if zero else \
        jax.random.normal(key, (fan_in, fan_out), DTYPE) / jnp.sqrt(jnp.asarray(fan_in, DTYPE))
    return {"w": w, "b": jnp.zeros(fan_out, DTYPE)}


def _linear(p: dict, x):
    return x @ p["w"] + p["b"]


def _fourier(c_noise):
    """(n, 2·FOURIER) features of c_noise: (n,)."""
    f = jnp.geomspace(1 / 8, 8, FOURIER).astype(DTYPE)
    arg = 2 * jnp.pi * c_noise[:, None].astype(DTYPE) * f
    return jnp.concatenate([jnp.cos(arg), jnp.sin(arg)], axis=-1)


def _conv(key, c_in: int, c_out: int, zero: bool = False) -> dict:
    shape = (3, 3, c_in, c_out)
    if zero:
        return {"w": jnp.zeros(shape, DTYPE), "b": jnp.zeros(c_out, DTYPE)}
    w = jax.random.normal(key, shape, DTYPE) / jnp.sqrt(jnp.asarray(9 * c_in, DTYPE))
    return {"w": w, "b": jnp.zeros(c_out, DTYPE)}


def _conv_apply(p: dict, h):
    """3×3 'same' convolution of h: (n, H, W, C)."""
    out = jax.lax.conv_general_dilated(h, p["w"], (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return out + p["b"]


@dataclass(frozen=True)
class MLPSpec:
    """MLP for flat data: h_0 = x_in W_in; h_{l+1} = silu(h_l W_l + e U_l + b_l), l < depth; F = h W_out + b_out.

    Args:
      dim: data dimension d (2 for the toy mixtures, 64 for flattened 8×8 digits).
      width: hidden width (and embedding size).
      depth: hidden layers.
    """

    dim: int
    width: int = 128
    depth: int = 3

    def __post_init__(self):
        for name in ("dim", "width", "depth"):
            _checks.integer(name, getattr(self, name), minimum=1)

    def init(self, key) -> dict:
        ks = jax.random.split(key, 2 * self.depth + 3)
        return {"emb": _dense(ks[0], 2 * FOURIER, self.width), "in": _dense(ks[1], self.dim, self.width),
                "layers": [{"h": _dense(ks[2 + 2 * i], self.width, self.width),
                            "e": _dense(ks[3 + 2 * i], self.width, self.width)} for i in range(self.depth)],
                "out": _dense(ks[-1], self.width, self.dim, zero=True)}

    def apply(self, params: dict, x_in, c_noise):
        """(n, dim) F(x_in; c_noise) for x_in: (n, dim), c_noise: (n,)."""
        e = jax.nn.silu(_linear(params["emb"], _fourier(c_noise)))
        h = _linear(params["in"], x_in)
        for layer in params["layers"]:
            h = jax.nn.silu(_linear(layer["h"], h) + _linear(layer["e"], e))
        return _linear(params["out"], h)

    def to_dict(self) -> dict:
        return {"kind": "mlp", **asdict(self)}


@dataclass(frozen=True)
class ConvSpec:
    """Residual CNN for side×side one-channel images, flattened row-major to dim = side²:
    h_0 = conv(x); h_{b+1} = h_b + conv(silu(conv(silu(h_b)) + e U_b)), b < blocks; F = conv_out(silu(h)).
    3×3 'same' convolutions, no resampling (8×8 is already small).

    Args:
      side: image side (8 for sklearn's digits).
      channels: feature channels (and embedding size).
      blocks: residual blocks (two convolutions each).
    """

    side: int = 8
    channels: int = 32
    blocks: int = 2

    def __post_init__(self):
        for name in ("side", "channels", "blocks"):
            _checks.integer(name, getattr(self, name), minimum=1)

    @property
    def dim(self) -> int:
        return self.side * self.side

    def init(self, key) -> dict:
        C = self.channels
        ks = jax.random.split(key, 3 * self.blocks + 3)
        return {"emb": _dense(ks[0], 2 * FOURIER, C), "in": _conv(ks[1], 1, C),
                "blocks": [{"c1": _conv(ks[2 + 3 * i], C, C), "e": _dense(ks[3 + 3 * i], C, C),
                            "c2": _conv(ks[4 + 3 * i], C, C)} for i in range(self.blocks)],
                "out": _conv(ks[-1], C, 1, zero=True)}

    def apply(self, params: dict, x_in, c_noise):
        """(n, side²) F(x_in; c_noise) for x_in: (n, side²), c_noise: (n,)."""
        n = x_in.shape[0]
        e = jax.nn.silu(_linear(params["emb"], _fourier(c_noise)))
        h = _conv_apply(params["in"], x_in.reshape(n, self.side, self.side, 1))
        for blk in params["blocks"]:
            u = _conv_apply(blk["c1"], jax.nn.silu(h)) + _linear(blk["e"], e)[:, None, None, :]
            h = h + _conv_apply(blk["c2"], jax.nn.silu(u))
        return _conv_apply(params["out"], jax.nn.silu(h)).reshape(n, self.dim)

    def to_dict(self) -> dict:
        return {"kind": "conv", **asdict(self)}


Spec = MLPSpec | ConvSpec


def spec_from_dict(d: dict) -> Spec:
    """Inverse of ``spec.to_dict()``."""
    d = dict(d)
    kind = d.pop("kind", None)
    if kind == "mlp":
        return MLPSpec(**d)
    if kind == "conv":
        return ConvSpec(**d)
    raise ValueError(f"spec kind must be 'mlp' or 'conv', got {kind!r}")


def count_params(params) -> int:
    """Number of scalar parameters in a pytree."""
    return int(sum(x.size for x in jax.tree_util.tree_leaves(params)))


__all__ = ["MLPSpec", "ConvSpec", "Spec", "spec_from_dict", "count_params"]
