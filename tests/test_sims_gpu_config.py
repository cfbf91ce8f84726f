"""Device placement and precision of lab.sims (issue 6, item 6: the gpu-full preset runs the same code on a GPU).

No GPU is available to the lab's tests, so these check the two properties a GPU run depends on, on the CPU devices
``import lab`` creates: (1) nothing is pinned to one device — training and (guided) sampling run, and leave their
results, on whatever ``jax.default_device`` says (the last device here, not the first, so a hard-coded
``jax.devices()[0]`` or ``jax.devices("cpu")`` would fail); (2) no float64 array reaches the device in the traced
training step or sampler even though ``import lab`` turns float64 on — the only float64 values allowed are scalars and
the 16 constant frequencies of the noise embedding (``networks.FOURIER``), which XLA folds at compile time.
"""
import re

import jax
import jax.numpy as jnp
import numpy as np

import lab  # noqa: F401
from lab import sims
from lab.sims import sampling, training
from lab.sims.networks import FOURIER

SPEC = sims.MLPSpec(dim=2, width=16, depth=1)
CFG = sims.TrainConfig(steps=20, batch=32, warmup=2)
SAMPLER = sims.SamplerConfig(steps=3, S_churn=1.0)


def _data(n=64):
    return np.asarray(jax.random.normal(jax.random.key(0), (n, 2), jnp.float32))


def _f64_sizes(jaxpr) -> list[int]:
    """Element counts of every float64 value (variables and literals, sub-jaxprs included) in a printed jaxpr."""
    shapes = re.findall(r"f64\[([0-9,]*)\]", str(jaxpr))
    return [int(np.prod([int(d) for d in s.split(",") if d])) for s in shapes]


def _leaves_on(tree, device):
    return all(leaf.devices() == {device} for leaf in jax.tree_util.tree_leaves(tree))


def test_training_and_sampling_follow_the_default_device():
    dev = jax.devices()[-1]
    assert dev != jax.devices()[0], "import lab should create 2 CPU devices"
    with jax.default_device(dev):
        base = sims.train(1, _data(), SPEC, CFG)
        aux = sims.train(2, _data(), SPEC, CFG, init=base)  # fine-tuning: same compiled function
        x = sims.sample(base, 3, 16, SAMPLER)
        g = sims.guided_sample(base, aux, 3, 16, 0.5, SAMPLER, space="score")
    assert _leaves_on((base.params, base.ema, base.losses, aux.ema), dev)
    assert x.devices() == {dev} and g.devices() == {dev}
    assert {leaf.dtype for leaf in jax.tree_util.tree_leaves((base, aux, x, g))} == {jnp.dtype(jnp.float32)}
    assert np.all(np.isfinite(np.asarray(g))) and g.shape == (16, 2)


def test_no_float64_arrays_in_the_traced_training_run():
    spec = sims.ConvSpec(side=8, channels=8, blocks=1)
    fn = training.make_train_fn(spec, sims.TrainConfig(steps=3, batch=8, warmup=1))
    args = (jax.random.key(0), jnp.zeros((16, 64), jnp.float32), spec.init(jax.random.key(1)))
    sizes = _f64_sizes(jax.make_jaxpr(fn)(*args))
    assert sizes and max(sizes) <= FOURIER  # float64 appears (x64 is on), but only as scalars and the 16 constants
    out = jax.eval_shape(fn, *args)
    assert {leaf.dtype for leaf in jax.tree_util.tree_leaves(out)} == {jnp.dtype(jnp.float32)}


def test_no_float64_arrays_in_the_traced_guided_sampler():
    params = SPEC.init(jax.random.key(0))
    z = sampling.initial_noise(jax.random.key(1), 8, SPEC.dim, SAMPLER.steps)
    assert z.dtype == jnp.float32
    for space in sampling.SPACES:
        fn = sampling._guided_fn(SPEC, 0.5, 0.5, SAMPLER, space)
        sizes = _f64_sizes(jax.make_jaxpr(fn)(params, params, jnp.float32(1.0), z))
        assert max(sizes, default=0) <= FOURIER
        assert jax.eval_shape(fn, params, params, jnp.float32(1.0), z).dtype == jnp.float32
