"""Device placement and precision of lab.diffusion (ported from issue 6's test_sims_gpu_config.py to the new API).

No GPU is available to the lab's tests, so these check the two properties a GPU run depends on, on the CPU devices
``import lab`` creates: (1) nothing is pinned to one device — fitting (base and fine-tuning) and (guided) sampling
run, and leave their results, on whatever ``jax.default_device`` says (the last device here, not the first, so a
hard-coded ``jax.devices()[0]`` would fail); (2) no float64 array reaches the device in the traced training run or
sampler even though ``import lab`` turns float64 on — the only float64 values allowed are scalars, the 16 constant
frequencies of the noise embedding (``networks.FOURIER``, folded at compile time), and the families' final cast of
the (n, d) samples to the default float.
"""
import re

import jax
import jax.numpy as jnp
import numpy as np

import lab
from lab.diffusion import EDM, MLP, VP, Conv, Sampler, TrainConfig, train
from lab.diffusion.networks import FOURIER

BASE = lab.Diffusion(MLP(16, 1), EDM(), TrainConfig(steps=20, batch=32, warmup=2), Sampler(steps=3, S_churn=1.0))
SIMS = lab.SIMS(BASE, omega=0.5, budget=5, synthetic=16, space="score")


def _data(n=64):
    return jax.random.normal(jax.random.key(0), (n, 2), jnp.float32)


def _large_f64(jaxpr) -> list[str]:
    """Primitives that produce a float64 array of more than FOURIER elements anywhere in a printed jaxpr."""
    out = []
    for shape, prim in re.findall(r"\w+:f64\[([0-9,]*)\] = (\w+)", str(jaxpr)):
        if int(np.prod([int(d) for d in shape.split(",") if d])) > FOURIER:
            out.append(prim)
    return out


def _leaves_on(tree, device):
    return all(leaf.devices() == {device} for leaf in jax.tree_util.tree_leaves(tree))


def test_fit_and_sampling_follow_the_default_device():
    dev = jax.devices()[-1]
    assert dev != jax.devices()[0], "import lab should create 2 CPU devices"
    with jax.default_device(dev):
        params = jax.jit(SIMS.fit)(_data(), jnp.ones(64), key=jax.random.key(1))
        x = jax.jit(lambda p: BASE.sample(p, key=jax.random.key(3), n=16))(params.base)
        g = jax.jit(lambda p: SIMS.sample(p, key=jax.random.key(3), n=16))(params)
    assert _leaves_on(params, dev) and x.devices() == {dev} and g.devices() == {dev}
    assert {leaf.dtype for leaf in jax.tree_util.tree_leaves(params)} == {jnp.dtype(jnp.float32)}
    assert np.all(np.isfinite(np.asarray(g))) and g.shape == (16, 2)


def test_no_float64_arrays_in_the_traced_training_run():
    """Both networks that matter on a GPU (MLP, Conv) under both parameterisations: tracing only, nothing compiles."""
    cfg = TrainConfig(steps=3, batch=8, warmup=1)
    for net, pre, d in ((MLP(16, 1), VP(), 2), (Conv(side=8, channels=8, blocks=1), EDM(), 64)):
        fn = lambda x, w, k: train(pre, net, cfg, x, w, key=k)  # noqa: B023,E731
        args = (jnp.zeros((16, d), jnp.float32), jnp.ones(16, jnp.float32), jax.random.key(0))
        assert _large_f64(jax.make_jaxpr(fn)(*args)) == [], net
        assert {leaf.dtype for leaf in jax.tree_util.tree_leaves(jax.eval_shape(fn, *args))} == {jnp.dtype(jnp.float32)}


def test_no_float64_arrays_in_the_traced_guided_sampler():
    """Both guidance spaces: the only large float64 array is the final cast of the samples (one convert)."""
    params = jax.eval_shape(lambda k: SIMS.fit(_data(), jnp.ones(64), key=k), jax.random.key(0))
    for space in ("denoiser", "score"):
        fam = lab.SIMS(BASE, omega=0.5, budget=5, synthetic=16, space=space)
        jaxpr = jax.make_jaxpr(lambda p: fam.sample(p, key=jax.random.key(1), n=32))(params)
        assert _large_f64(jaxpr) == ["convert_element_type"], space
