"""lab.sims.training's two loops: ``MLPSpec`` runs one jitted ``lax.scan`` (bit-identical to ``make_train_fn`` under
``jax.jit``, the code every cached study result was computed with), ``ConvSpec`` runs a Python loop over jitted chunks
of unrolled steps (the same steps as the scan, to float32 rounding; XLA:CPU runs convolution gradients inside a
rolled loop ~50× slower, see the module docstring). Tiny networks so that the CNN compiles in seconds.
"""
import jax
import jax.numpy as jnp
import numpy as np

import lab  # noqa: F401
from lab import sims
from lab.sims import training

MLP = sims.MLPSpec(dim=2, width=16, depth=2)
CONV = sims.ConvSpec(side=4, channels=4, blocks=1)
CFG = sims.TrainConfig(steps=training.CHUNK + 2, batch=8, warmup=2)  # one full chunk and a remainder chunk


def _data(n, d, seed=0):
    return jax.random.uniform(jax.random.key(seed), (n, d), jnp.float32, -1, 1)


def _bits_equal(a, b):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    return len(la) == len(lb) and all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(la, lb))


def _close(a, b, rtol=1e-4, atol=1e-5):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def test_mlp_train_is_the_jitted_scan_bit_for_bit():
    assert training.loop_kind(MLP) == "scan"
    data, key = _data(64, 2), jax.random.key(3)
    m = sims.train(key, data, MLP, CFG)
    ref = jax.jit(training.make_train_fn(MLP, CFG))(jax.random.fold_in(key, 0), data,
                                                    MLP.init(jax.random.fold_in(key, 1)))
    assert _bits_equal((m.params, m.ema, m.losses), ref)
    keys = jax.random.split(jax.random.key(4), 2)
    many = sims.train_many(keys, data, MLP, CFG)
    p0 = jax.vmap(lambda k: MLP.init(jax.random.fold_in(k, 1)))(keys)
    k0 = jax.vmap(lambda k: jax.random.fold_in(k, 0))(keys)
    ref = jax.jit(jax.vmap(training.make_train_fn(MLP, CFG), in_axes=(0, None, 0)))(k0, data, p0)
    assert _bits_equal((many.params, many.ema, many.losses), ref)


def test_conv_chunks_match_the_scan_and_are_deterministic():
    assert training.loop_kind(CONV) == "chunks"
    data, key = _data(32, CONV.dim, 1), jax.random.key(5)
    m = sims.train(key, data, CONV, CFG)
    assert m.losses.shape == (CFG.steps,)
    again = sims.train(key, data, CONV, CFG)
    assert _bits_equal((m.params, m.ema, m.losses), (again.params, again.ema, again.losses))  # same key, same bits
    params0 = CONV.init(jax.random.fold_in(key, 1))
    ref = jax.jit(training.make_train_fn(CONV, CFG))(jax.random.fold_in(key, 0), data, params0)
    _close((m.params, m.ema, m.losses), ref)  # the same steps as the rolled scan, to float32 rounding
    # fine-tuning starts from init.ema without consuming it (the chunks donate only their own carry)
    aux = sims.train(jax.random.key(6), data, CONV, CFG, init=m)
    assert np.all(np.isfinite(np.asarray(aux.losses))) and np.array_equal(np.asarray(m.ema["out"]["w"]),
                                                                           np.asarray(again.ema["out"]["w"]))


def test_conv_train_many_matches_train_per_seed():
    cfg = sims.TrainConfig(steps=3, batch=8, warmup=1)  # shorter than a chunk: one compiled chunk of 3 steps
    data = _data(32, CONV.dim, 2)
    keys = jax.random.split(jax.random.key(7), 2)
    many = sims.train_many(keys, data, CONV, cfg)
    assert many.losses.shape == (2, 3)
    for s in range(2):
        one = sims.train(keys[s], data, CONV, cfg)
        _close(sims.unstack(many, s).ema, one.ema)
        _close(sims.unstack(many, s).losses, one.losses)
