"""The raw networks F_θ(x_in; c_noise) of the denoiser D = c_skip x + c_out F(c_in x; c_noise) (``precond.denoise``).

A network is a frozen, JSON-able spec with
    spec.init(*, key, dim, n_cond) -> params (a pytree of float32),   spec.apply(params, x_in, cond) -> (n, dim),
x_in: (n, dim), cond: (n, n_cond) (the parameterisation's c_noise: (α_t, σ_t) for VP, ¼ ln σ for EDM).

- ``OneHidden(width)``: the one-hidden-layer network of Fu et al. (ICML 2024; THEORY F1),
  F = W₂ᵀ silu(W₁ᵀ [x_in; cond] + b₁) + b₂, LeCun-normal weights, zero biases. Under VP it is the ε-prediction
  network ε̂_θ(x_t, t) with features (α_t, σ_t). SiLU (Elfwing et al. 2018) is smooth, so the probability-flow ODE and
  its Jacobian trace are too.
- ``MLP(width, depth)``: Fourier features of each conditioning column, [cos(2π f_k c), sin(2π f_k c)] with f_k
  geometric on [1/8, 8], one SiLU layer to an embedding e of size ``width``, added to every hidden layer through its
  own linear map (the noise embedding of EDM's networks, Karras et al. 2022, Appendix F.2, at toy scale);
  h_0 = x_in W_in; h_{l+1} = silu(h_l W_l + e U_l + b_l); F = h W_out + b_out.
- ``Conv(side, channels, blocks)``: a residual CNN for side×side one-channel images flattened row-major (dim = side²),
  h_0 = conv(x); h_{b+1} = h_b + conv(silu(conv(silu(h_b)) + e U_b)); F = conv_out(silu(h)); 3×3 'same'
  convolutions, no resampling; the same noise embedding.
MLP and Conv start with a zero output layer (F = 0, so D = c_skip x at initialisation).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import jax
import jax.numpy as jnp

from lab import _checks
from lab.diffusion.precond import DTYPE

FOURIER = 16  # frequencies of the noise embedding (2 × FOURIER features per conditioning column)


def _dense(key, fan_in: int, fan_out: int, zero: bool = False) -> dict:
    w = jnp.zeros((fan_in, fan_out), DTYPE) if zero else \
        jax.random.normal(key, (fan_in, fan_out), DTYPE) / jnp.sqrt(jnp.asarray(fan_in, DTYPE))
    return {"w": w, "b": jnp.zeros(fan_out, DTYPE)}


def _linear(p: dict, x):
    return x @ p["w"] + p["b"]


def _fourier(cond):
    """(n, 2·FOURIER·k) features of cond: (n, k)."""
    f = jnp.geomspace(1 / 8, 8, FOURIER).astype(DTYPE)
    arg = (2 * jnp.pi * cond[:, :, None].astype(DTYPE) * f).reshape(cond.shape[0], -1)
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
class OneHidden:
    """One hidden layer of ``width`` SiLU units on [x_in; cond] (THEORY F1)."""

    width: int = 64

    def __post_init__(self):
        _checks.integer("width", self.width, minimum=1)

    def init(self, *, key, dim: int, n_cond: int) -> dict:
        k1, k2 = jax.random.split(key)
        fan = dim + n_cond
        return {"W1": jax.random.normal(k1, (fan, self.width), DTYPE) / jnp.sqrt(jnp.asarray(fan, DTYPE)),
                "b1": jnp.zeros(self.width, DTYPE),
                "W2": jax.random.normal(k2, (self.width, dim), DTYPE) / jnp.sqrt(jnp.asarray(self.width, DTYPE)),
                "b2": jnp.zeros(dim, DTYPE)}

    def apply(self, params: dict, x_in, cond):
        h = jax.nn.silu(jnp.concatenate([x_in, cond.astype(x_in.dtype)], axis=-1) @ params["W1"] + params["b1"])
        return h @ params["W2"] + params["b2"]

    def check_dim(self, dim: int) -> None:
        pass

    def describe(self) -> dict:
        return self.to_dict()

    def to_dict(self) -> dict:
        return {"kind": "one_hidden", **asdict(self)}


@dataclass(frozen=True)
class MLP:
    """MLP with a noise embedding (module docstring).

    Args:
      width: hidden width (and embedding size).
      depth: hidden layers.
    """

    width: int = 128
    depth: int = 3

    def __post_init__(self):
        _checks.integer("width", self.width, minimum=1)
        _checks.integer("depth", self.depth, minimum=1)

    def init(self, *, key, dim: int, n_cond: int) -> dict:
        ks = jax.random.split(key, 2 * self.depth + 3)
        return {"emb": _dense(ks[0], 2 * FOURIER * n_cond, self.width), "in": _dense(ks[1], dim, self.width),
                "layers": [{"h": _dense(ks[2 + 2 * i], self.width, self.width),
                            "e": _dense(ks[3 + 2 * i], self.width, self.width)} for i in range(self.depth)],
                "out": _dense(ks[-1], self.width, dim, zero=True)}

    def apply(self, params: dict, x_in, cond):
        e = jax.nn.silu(_linear(params["emb"], _fourier(cond)))
        h = _linear(params["in"], x_in)
        for layer in params["layers"]:
            h = jax.nn.silu(_linear(layer["h"], h) + _linear(layer["e"], e))
        return _linear(params["out"], h)

    def check_dim(self, dim: int) -> None:
        pass

    def describe(self) -> dict:
        return self.to_dict()

    def to_dict(self) -> dict:
        return {"kind": "mlp", **asdict(self)}


@dataclass(frozen=True)
class Conv:
    """Residual CNN for side×side images flattened to dim = side² (module docstring).

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

    def check_dim(self, dim: int) -> None:
        if dim != self.side**2:
            raise ValueError(f"data dimension must be side² = {self.side**2} for Conv(side={self.side}), got {dim}")

    def init(self, *, key, dim: int, n_cond: int) -> dict:
        self.check_dim(dim)
        C = self.channels
        ks = jax.random.split(key, 3 * self.blocks + 3)
        return {"emb": _dense(ks[0], 2 * FOURIER * n_cond, C), "in": _conv(ks[1], 1, C),
                "blocks": [{"c1": _conv(ks[2 + 3 * i], C, C), "e": _dense(ks[3 + 3 * i], C, C),
                            "c2": _conv(ks[4 + 3 * i], C, C)} for i in range(self.blocks)],
                "out": _conv(ks[-1], C, 1, zero=True)}

    def apply(self, params: dict, x_in, cond):
        n = x_in.shape[0]
        e = jax.nn.silu(_linear(params["emb"], _fourier(cond)))
        h = _conv_apply(params["in"], x_in.reshape(n, self.side, self.side, 1))
        for blk in params["blocks"]:
            u = _conv_apply(blk["c1"], jax.nn.silu(h)) + _linear(blk["e"], e)[:, None, None, :]
            h = h + _conv_apply(blk["c2"], jax.nn.silu(u))
        return _conv_apply(params["out"], jax.nn.silu(h)).reshape(n, self.side * self.side)

    def describe(self) -> dict:
        return self.to_dict()

    def to_dict(self) -> dict:
        return {"kind": "conv", **asdict(self)}


Network = OneHidden | MLP | Conv
_KINDS = {"one_hidden": OneHidden, "mlp": MLP, "conv": Conv}


def network_from_dict(d: dict) -> Network:
    """Inverse of ``net.to_dict()``."""
    d = dict(d)
    kind = d.pop("kind", None)
    if kind not in _KINDS:
        raise ValueError(f"network kind must be one of {sorted(_KINDS)}, got {kind!r}")
    return _KINDS[kind](**d)


def count_params(params) -> int:
    """Number of scalar parameters in a pytree."""
    return int(sum(x.size for x in jax.tree_util.tree_leaves(params)))


__all__ = ["OneHidden", "MLP", "Conv", "Network", "network_from_dict", "count_params", "FOURIER"]
