"""lab.Diffusion and lab.SIMS as families (issue 10, item 6): ω = 0 identity, denoiser- vs score-space guidance,
the engine's replicate rule, bad arguments, divergence detection, reproducibility of fit, and the one-file checkpoint.

One tiny network (MLP(8, 1)), few steps, one compiled fit per family (module fixtures): these test contracts and
algebra, not sample quality (the samplers' accuracy is tested with the exact denoiser in test_diffusion_core.py).
"""
from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lab
from lab.diffusion import EDM, MLP, VP, Conv, Sampler, TrainConfig, checkpoint, guidance

EPS32 = float(np.finfo(np.float32).eps)
TRUTH = lab.GaussianMixture([0.5, 0.5], [[-2.0, 0.0], [2.0, 1.0]], [np.eye(2), 0.5 * np.eye(2)])
BASE = lab.Diffusion(MLP(8, 1), EDM(sigma_data=2.0), TrainConfig(steps=20, batch=32, warmup=2), Sampler(steps=8))
SIMS = lab.SIMS(BASE, omega=1.0, budget=10, synthetic=64)
N = 64
# one jitted fit per family for the whole module (a fresh ``jax.jit(BASE.fit)`` per test would trace and compile again)
FIT_BASE, FIT_SIMS = jax.jit(BASE.fit), jax.jit(SIMS.fit)


def _bits(a, b):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    return len(la) == len(lb) and all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(la, lb))


@pytest.fixture(scope="module")
def data():
    return TRUTH.sample(key=jax.random.key(0), n=N)


@pytest.fixture(scope="module")
def fitted(data):
    """(base params, SIMS params), each from one compiled fit."""
    w = jnp.ones(N)
    return FIT_BASE(data, w, key=jax.random.key(1)), FIT_SIMS(data, w, key=jax.random.key(1))


# --- reproducibility ------------------------------------------------------------------------------------------

def test_diffusion_fit_same_key_same_bits_different_key_different_bits(data, fitted):
    fit = FIT_BASE
    assert _bits(fit(data, jnp.ones(N), key=jax.random.key(1)), fitted[0])
    other = fit(data, jnp.ones(N), key=jax.random.key(2))
    assert not np.array_equal(np.asarray(other.weights["in"]["w"]), np.asarray(fitted[0].weights["in"]["w"]))
    assert float(other.loss) != float(fitted[0].loss)


def test_sims_base_is_the_base_family_fit_at_fold_in_zero(data, fitted):
    """SIMS.fit's base is exactly ``base.fit(x, w, key=fold_in(key, 0))`` (documented key layout)."""
    again = FIT_BASE(data, jnp.ones(N), key=jax.random.fold_in(jax.random.key(1), 0))
    assert _bits(fitted[1].base, again)


# --- ω = 0 and the two guidance spaces ------------------------------------------------------------------------

def test_omega_zero_is_the_base_bit_for_bit(fitted):
    """ω = 0 samples the base bit for bit: the family at ω = 0, and the guided sampler with a *traced* ω = 0 (the
    ``lax.cond`` of ``guidance.guide``), both under jit like the base; ω = 1 differs."""
    params = fitted[1]
    key, n = jax.random.key(11), 50
    base = jax.jit(lambda p, k: BASE.sample(p, key=k, n=n))(params.base, key)
    at_zero = jax.jit(lambda p, k: replace(SIMS, omega=0.0).sample(p, key=k, n=n))(params, key)
    assert np.array_equal(np.asarray(base), np.asarray(at_zero))
    z = BASE.noise(key=key, n=n, dim=2)
    traced = jax.jit(lambda p, w: BASE.solve(SIMS.guided_denoiser(p, w), z))(params, jnp.float32(0.0))
    plain = jax.jit(lambda p: BASE.solve(BASE.denoiser(p), z))(params.base)
    assert np.array_equal(np.asarray(traced), np.asarray(plain))
    one = jax.jit(lambda p, k: SIMS.sample(p, key=k, n=n))(params, key)
    assert not np.array_equal(np.asarray(base), np.asarray(one))


@pytest.mark.slow  # two SIMS loops compiled: ~40 s on an idle core
def test_omega_zero_through_simulate_ignores_the_auxiliary_model():
    """At ω = 0 the auxiliary model cannot touch the loop: two SIMS runs that differ only in the fine-tuning
    (budget 5 vs 9, aux_lr) give bit-identical metrics, train_loss and samples' consequences in every generation,
    while aux_loss differs (so the auxiliary model was trained differently)."""
    a = lab.SIMS(BASE, omega=0.0, budget=5, synthetic=32)
    b = lab.SIMS(BASE, omega=0.0, budget=9, synthetic=32, aux_lr=1e-2)
    kw = dict(n=32, generations=1, replicates=2, key=3)
    da = lab.simulate(TRUTH, a, lab.Augment(synthetic=16), **kw)
    db = lab.simulate(TRUTH, b, lab.Augment(synthetic=16), **kw)
    for name in da.data_vars:
        if name != "aux_loss":
            assert np.array_equal(da[name].values, db[name].values), name
    assert not np.array_equal(da["aux_loss"].values, db["aux_loss"].values)


def test_denoiser_and_score_space_guidance_agree(fitted):
    """Same params and noises, ω = 1.5, Heun with N = 8 steps on EDM's grid (σ_max = 80). The two drifts, (x − D_g)/σ
    and −σ s_g, agree in exact arithmetic; in float32 they differ per evaluation by a few roundings (≤ 4ε) of
    |x − D|/σ, and each step moves x by at most h·|d| with Σ h|d| ≤ 3σ_max along a path, so the samples differ by at
    most 2N × 4ε × 3σ_max = 1.8e-3 (errors made at large σ are then contracted, so the measured gap is far smaller);
    a sign or weight error in either formula moves samples by O(1). Pointwise: x + σ² s_g = D_g within 8ε × the
    scale of the values involved."""
    params = fitted[1]
    guided = replace(SIMS, omega=1.5)
    xd = jax.jit(lambda p: guided.sample(p, key=jax.random.key(12), n=200))(params)
    xs = jax.jit(lambda p: replace(guided, space="score").sample(p, key=jax.random.key(12), n=200))(params)
    tol = 2 * BASE.sampler.steps * 4 * EPS32 * 3 * BASE.precond.sigma_max
    assert float(jnp.max(jnp.abs(xd - xs))) < tol
    D_r, D_s = BASE.denoiser(params.base), BASE.denoiser(params.aux)
    x = 4.0 * jax.random.normal(jax.random.key(13), (300, 2), jnp.float32)
    for sigma in (0.05, 1.0, 20.0):
        s = jnp.float32(sigma)
        Dg = guidance.guide(D_r, D_s, 1.5)(x, s)
        sg = guidance.guide(guidance.score_of(D_r), guidance.score_of(D_s), 1.5)(x, s)
        scale = float(jnp.max(jnp.abs(x)) + 4 * jnp.max(jnp.abs(Dg - x)))
        assert float(jnp.max(jnp.abs(x + s**2 * sg - Dg))) < 8 * EPS32 * scale


# --- the engine's replicate rule ------------------------------------------------------------------------------

# slow: two network loops compiled (~60 CPU-s cold); the rule itself is tested on every change with the Gaussian
# families (tests/test_engine.py::test_replicate_does_not_depend_on_batching)
@pytest.mark.slow
@pytest.mark.parametrize("model", [BASE, SIMS], ids=["diffusion", "sims"])
def test_replicate_does_not_depend_on_how_many_run(model):
    """Replicate 0 of a 3-replicate run equals the 1-replicate run with the same key (every variable, every
    generation): replicate r is a function of (key, r) only. Not bit for bit: XLA:CPU picks other float32 kernels for
    another vmap batch (measured: sliced_w2 differs in the 8th digit, ~1e-8 relative, a few float32 ulps of the
    samples), so the tolerance is 1e-5 relative (≈ 100 float32 ulps; rounding amplified through 20 Adam steps and an
    8-step sampler); a replicate whose key or data depended on the replicate count would differ at O(1) (replicates
    0 and 1 differ by ≥ 1e-2 relative in train_loss, asserted)."""
    kw = dict(n=32, generations=1, key=5, metrics=(lab.metrics.samples.SlicedW2(),))  # no TV: log_prob is costly
    one = lab.simulate(TRUTH, model, lab.Augment(synthetic=16), replicates=1, **kw)
    three = lab.simulate(TRUTH, model, lab.Augment(synthetic=16), replicates=3, **kw)
    for name in one.data_vars:
        np.testing.assert_allclose(one[name].values[0], three[name].values[0], rtol=1e-5, err_msg=name)
    a, b = three["train_loss"].values[:2]
    assert np.all(np.abs(a - b) > 1e-2 * np.abs(a))


# --- bad arguments and divergence -----------------------------------------------------------------------------

BAD = [
    (lambda: lab.SIMS(BASE, omega=-0.5), ValueError, "omega"),
    (lambda: lab.SIMS(BASE, budget=-1), ValueError, "budget"),
    (lambda: lab.SIMS(BASE, budget=0), ValueError, "budget"),
    (lambda: lab.SIMS(BASE, synthetic=0), ValueError, "synthetic"),
    (lambda: lab.SIMS(BASE, aux_lr=0.0), ValueError, "aux_lr"),
    (lambda: lab.SIMS(BASE, aux_lr=-1e-3), ValueError, "aux_lr"),
    (lambda: lab.SIMS(BASE, space="latent"), ValueError, "space"),
    (lambda: lab.SIMS(lab.GaussianFit()), TypeError, "base"),
    (lambda: lab.Diffusion(net="mlp"), TypeError, "net"),
    (lambda: lab.Diffusion(precond=MLP()), TypeError, "precond"),
    (lambda: lab.Diffusion(train=Sampler()), TypeError, "train"),
    (lambda: lab.Diffusion(sampler=TrainConfig()), TypeError, "sampler"),
    (lambda: lab.Diffusion(Conv(side=4)).check(lab.Gaussian(np.zeros(3), np.eye(3))), ValueError, "side"),
    (lambda: lab.simulate(lab.Gaussian(np.zeros(3), np.eye(3)), lab.Diffusion(Conv(side=4)), lab.Replace(), n=8,
                          generations=1, replicates=1, key=0), ValueError, "side"),
    (lambda: TrainConfig(steps=0), ValueError, "steps"),
    (lambda: TrainConfig(lr=0.0), ValueError, "lr"),
    (lambda: Sampler(kind="rk4"), ValueError, "kind"),
    (lambda: Sampler(steps=0), ValueError, "steps"),
    (lambda: VP(time_law="uniform"), ValueError, "time_law"),
    (lambda: VP(t_min=1.0, t_max=0.5), ValueError, "t_max"),
    (lambda: EDM(sigma_data=0.0), ValueError, "sigma_data"),
    (lambda: lab.ScoreNetDiffusion(0), ValueError, "width"),
    (lambda: lab.ScoreNetDiffusion(8, sampler="rk4"), ValueError, "sampler"),
    (lambda: lab.ScoreNetDiffusion(8, t_min=0.0), ValueError, "t_min"),
]


@pytest.mark.parametrize("make, error, name", BAD, ids=[f"{i}-{b[2]}" for i, b in enumerate(BAD)])
def test_bad_argument_names_the_argument(make, error, name):
    with pytest.raises(error, match=name):
        make()


# one case on every change; the other two (another network loop compiled each, ~20 CPU-s cold) in `make test-slow`
@pytest.mark.parametrize("case", ["lr", pytest.param("data", marks=pytest.mark.slow),
                                  pytest.param("aux_lr", marks=pytest.mark.slow)])
def test_diverged_training_makes_simulate_raise_naming_the_generation(case):
    """lr = 1e30 (no clipping) or data scaled by 1e30 (its square overflows float32) make train_loss non-finite;
    aux_lr = 1e30 makes SIMS's aux_loss non-finite: ``lab.simulate`` raises a ValueError naming the variable and
    the generation instead of returning NaN samples."""
    model, truth = BASE, TRUTH
    if case == "lr":
        model = replace(BASE, train=replace(BASE.train, lr=1e30, grad_clip=None))
    elif case == "data":
        truth = lab.Gaussian([1e30, 0.0], np.eye(2))
    else:
        model = lab.SIMS(replace(BASE, train=replace(BASE.train, grad_clip=None)), budget=5, synthetic=16,
                         aux_lr=1e30)
    with pytest.raises(ValueError, match="generation") as err:
        lab.simulate(truth, model, lab.Replace(), n=16, generations=1, replicates=1, key=0, metrics=())
    # the root cause, generation 0 (a diverged auxiliary model also poisons generation 1's training data)
    assert f"{'aux_loss' if case == 'aux_lr' else 'train_loss'} is not finite at replicate 0, generation 0" \
        in str(err.value)


# --- the one-file checkpoint ----------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["diffusion", "sims"])
def test_checkpoint_round_trip_is_bit_exact(fitted, tmp_path, which):
    family, params = (BASE, fitted[0]) if which == "diffusion" else (SIMS, fitted[1])
    path = checkpoint.save(tmp_path / "model.npz", family, params)
    family2, params2 = checkpoint.load(path)
    assert family2 == family and family2.describe() == family.describe()
    la, ta = jax.tree_util.tree_flatten(params)
    lb, tb = jax.tree_util.tree_flatten(params2)
    assert ta == tb and all(np.array_equal(np.asarray(u), np.asarray(v)) and np.asarray(u).dtype == np.asarray(v).dtype
                            for u, v in zip(la, lb))
    assert not list(tmp_path.glob(".tmp-*"))  # the atomic write left no temporary file


def test_checkpoint_round_trip_of_a_vp_one_hidden_family_with_a_seed_axis(tmp_path):
    """ScoreNetDiffusion (OneHidden, VP, Euler–Maruyama sampler) with a leading batch axis of 3 (vmapped fits)."""
    fam = lab.ScoreNetDiffusion(4, steps=3, batch=8, sampler="sde", sample_steps=5, time_law="log_uniform")
    x = TRUTH.sample(key=jax.random.key(0), n=16)
    params = jax.vmap(lambda k: fam.fit(x, jnp.ones(16), key=k))(jax.random.split(jax.random.key(0), 3))
    fam2, params2 = checkpoint.load(checkpoint.save(tmp_path / "f1.npz", fam, params))
    assert fam2 == fam and _bits(params, params2) and params2.weights["W1"].shape == (3, 4, 4)


def test_checkpoint_rejects_other_files_naming_the_path(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    (tmp_path / "text.npz").write_text("not a zip")
    for name in ("other.npz", "text.npz"):
        with pytest.raises(ValueError, match="path"):
            checkpoint.load(tmp_path / name)


# --- the SIMS pipeline and the CNN ------------------------------------------------------------------------------

def test_run_sims_end_to_end_tiny(data):
    """lab.sims.run_sims over ω ∈ {0, 1}: finite samples of the right shape, the record, and the ω = 0 samples are the
    base's samples with the documented key fold_in(key, 3)."""
    from lab.sims import SIMSConfig, run_sims

    cfg = SIMSConfig(model=SIMS, omegas=(0.0, 1.0), n_samples=N)
    res = run_sims(data, cfg, key=jax.random.key(20))
    assert set(res.samples) == {0.0, 1.0}
    assert all(v.shape == (N, 2) and np.all(np.isfinite(v)) for v in res.samples.values())
    assert res.record["omegas"] == [0.0, 1.0] and res.record["data_shape"] == [N, 2]
    base = jax.jit(lambda p: BASE.sample(p, key=jax.random.fold_in(jax.random.key(20), 3), n=N))(res.params.base)
    np.testing.assert_array_equal(np.asarray(base, np.float32), res.samples[0.0])
    assert not np.array_equal(res.samples[0.0], res.samples[1.0])


@pytest.mark.slow  # compiling the CNN's gradient takes ~25 s of wall time on the shared 2-core machine
def test_conv_network_fits_and_denoises():
    fam = lab.Diffusion(Conv(side=8, channels=8, blocks=1), EDM(), TrainConfig(steps=5, batch=16, warmup=1))
    x = jax.random.uniform(jax.random.key(14), (64, 64), jnp.float32, -1, 1)
    params = jax.jit(fam.fit)(x, jnp.ones(64), key=jax.random.key(15))
    out = fam.denoiser(params)(x[:4], jnp.float32(1.0))
    assert out.shape == (4, 64) and bool(jnp.all(jnp.isfinite(out))) and bool(jnp.isfinite(params.loss))
