"""lab.sims core: EDM preconditioning and loss, samplers against the exact mixture denoiser, SIMS guidance, checkpoints.

Tolerances: statistical checks use 5 standard errors of the quantity's own sampling distribution; float32 checks use
a rounding bound stated next to each assertion (ε = 2⁻²³ ≈ 1.19e-7, float32's unit roundoff ×2).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lab
from lab import sims
from lab.metrics.samples import exact_ot
from lab.sims import edm, exact, sampling

EPS32 = float(np.finfo(np.float32).eps)
MIX = lab.GaussianMixture([0.5, 0.3, 0.2], [[-4.0, 0.0], [4.0, 0.0], [0.0, 4.0]], [np.eye(2) * 0.25] * 3)
SPEC = sims.MLPSpec(dim=2, width=32, depth=2)
TINY = sims.TrainConfig(steps=60, batch=64, sigma_data=3.0, warmup=10)
TINY_AUX = sims.TrainConfig(steps=20, batch=64, sigma_data=3.0, warmup=5)
FAST = sampling.SamplerConfig(steps=8)  # one sampler and one n (N_ROWS) throughout, so programs compile once
N_ROWS = 256


@pytest.fixture(scope="module")
def models():
    data = MIX.sample(jax.random.key(0), N_ROWS)
    base = sims.train(jax.random.key(1), data, SPEC, TINY)
    synth = sims.sample(base, jax.random.key(2), N_ROWS, FAST)
    aux = sims.fit_auxiliary(jax.random.key(3), base, synth, TINY_AUX)
    return data, base, aux


# --- preconditioning (Karras et al. 2022, Table 1) -------------------------------------------------------------

def test_preconditioning_identities():
    """c_in² (σ² + σ_d²) = 1, c_out² = c_skip σ², λ c_out² = 1 (Table 1), checked in float64."""
    sigma = jnp.geomspace(1e-3, 1e2, 50)
    sd = 0.7
    np.testing.assert_allclose(edm.c_in(sigma, sd) ** 2 * (sigma**2 + sd**2), 1.0, rtol=1e-12)
    np.testing.assert_allclose(edm.c_out(sigma, sd) ** 2, edm.c_skip(sigma, sd) * sigma**2, rtol=1e-12)
    np.testing.assert_allclose(edm.loss_weight(sigma, sd) * edm.c_out(sigma, sd) ** 2, 1.0, rtol=1e-12)


def test_denoiser_is_identity_as_sigma_vanishes():
    """|D(x; σ) − x| ≤ (1 − c_skip)|x| + c_out |F| → 0 as σ → 0, for a network whose F is far from 0."""
    params = jax.tree_util.tree_map(lambda a: a + 0.3, SPEC.init(jax.random.key(0)))  # non-zero output layer
    x = 3.0 * jax.random.normal(jax.random.key(1), (100, 2), jnp.float32)
    D = sampling.model_denoiser(SPEC, params, 0.5)
    F_max = float(jnp.max(jnp.abs(SPEC.apply(params, x, jnp.zeros(100, jnp.float32)))))
    assert F_max > 0.1
    gaps = []
    for sigma in (1e-2, 1e-3, 1e-4):
        s = jnp.float32(sigma)
        gap = float(jnp.max(jnp.abs(D(x, s) - x)))
        F_s = float(jnp.max(jnp.abs(SPEC.apply(params, edm.c_in(s, 0.5) * x, jnp.full(100, edm.c_noise(s))))))
        bound = (1 - edm.c_skip(sigma, 0.5)) * 12 + edm.c_out(sigma, 0.5) * F_s + 4 * EPS32 * 12
        assert gap <= bound
        gaps.append(gap)
    assert gaps[2] < gaps[0] / 10


def test_eq8_form_equals_the_weighted_denoiser_loss():
    """λ(σ) ‖D(y + n; σ) − y‖² = ‖F(c_in (y + n); c_noise) − target‖² row by row (eq. 2 vs eq. 8), in float64
    arithmetic around a float32 network (so only float64 rounding separates the two)."""
    params = jax.tree_util.tree_map(lambda a: a + 0.2, SPEC.init(jax.random.key(2)))
    F = lambda x, c: SPEC.apply(params, x, c)  # noqa: E731
    k1, k2, k3 = jax.random.split(jax.random.key(3), 3)
    y = 2.0 * jax.random.normal(k1, (50, 2))
    sigma = jnp.exp(jax.random.uniform(k2, (50,), minval=np.log(0.01), maxval=np.log(10.0)))
    n = sigma[:, None] * jax.random.normal(k3, (50, 2))
    sd = 1.3
    D = edm.denoise(F, y + n, sigma, sd)
    lhs = edm.loss_weight(sigma, sd) * jnp.sum((D - y) ** 2, axis=-1)
    x_in, target = edm.training_target(y, n, sigma, sd)
    rhs = jnp.sum((F(x_in, edm.c_noise(sigma)) - target) ** 2, axis=-1)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-8)


@pytest.mark.parametrize("sigma", [0.01, 0.5, 5.0, 80.0])
def test_training_inputs_and_targets_have_unit_variance(sigma):
    """For y ~ N(0, σ_d² I): Var[c_in (y + n)] = 1 and Var[(y − c_skip(y + n))/c_out] = 1 (the point of Table 1's
    preconditioning). Both are Gaussian, so the sample variance's standard error is √(2/m); tolerance 5 SE."""
    sd, m = 0.5, 200_000
    ky, kn = jax.random.split(jax.random.key(3))
    y = sd * jax.random.normal(ky, (m, 1), jnp.float32)
    n = sigma * jax.random.normal(kn, (m, 1), jnp.float32)
    x_in, target = edm.training_target(y, n, jnp.full(m, sigma, jnp.float32), sd)
    tol = 5 * np.sqrt(2 / m)
    assert abs(float(jnp.var(x_in)) - 1) < tol
    assert abs(float(jnp.var(target)) - 1) < tol


def test_loss_of_the_zero_network_is_the_dimension():
    """F = 0 gives L = E ‖target‖² = d (unit-variance targets); ‖target‖² ~ χ²_d per row, so SE = √(2d/B)."""
    d, B = 4, 100_000
    y = 0.5 * jax.random.normal(jax.random.key(4), (B, d), jnp.float32)
    loss = float(edm.dsm_loss(lambda x, c: jnp.zeros_like(x), y, jax.random.key(5), 0.5))
    assert abs(loss - d) < 5 * np.sqrt(2 * d / B)


def test_sigma_schedule_is_eq5():
    s = np.asarray(edm.sigma_steps(18, 0.002, 80.0, 7.0), np.float64)
    i = np.arange(18)
    ref = (80.0 ** (1 / 7) + i / 17 * (0.002 ** (1 / 7) - 80.0 ** (1 / 7))) ** 7
    # float32: the base σ_max^{1/ρ} + … carries a few roundings, which the 7th power multiplies by ρ = 7
    np.testing.assert_allclose(s[:-1], ref, rtol=2 * 7 * EPS32)
    assert s[-1] == 0 and np.all(np.diff(s) < 0)


# --- the exact mixture denoiser and the sampler ----------------------------------------------------------------

def test_exact_denoiser_score_is_the_gradient_of_the_noised_mixture():
    """(D*(x; σ) − x)/σ² = ∇ log Σ π_j N(x; μ_j, Σ_j + σ² I) (float64), and D*(x; 0) = x."""
    cov = np.array([[[0.5, 0.2], [0.2, 0.3]], [[0.2, -0.1], [-0.1, 0.4]]])
    gm = lab.GaussianMixture([0.4, 0.6], [[-1.0, 0.5], [2.0, -1.0]], cov)
    D = exact.mixture_denoiser(gm, jnp.float64)
    x = 2.0 * jax.random.normal(jax.random.key(6), (20, 2))
    for sigma in (0.1, 1.0, 3.0):
        noised = lab.GaussianMixture(gm.weights, gm.means, gm.covs + sigma**2 * np.eye(2))
        grad = jax.vmap(jax.grad(lambda xi: noised.log_prob(xi[None])[0]))(x)
        np.testing.assert_allclose((D(x, sigma) - x) / sigma**2, grad, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(D(x, 0.0), x, rtol=1e-12)


def _exact_samples(n, steps, key=0):
    cfg = sampling.SamplerConfig(steps=steps)
    z = sampling.initial_noise(jax.random.key(key), n, 2, steps)
    return sampling.solve(sampling.denoiser_drift(exact.mixture_denoiser(MIX)), z, cfg)


def test_heun_with_the_exact_denoiser_recovers_the_mixture():
    """Alg. 1 (18 steps) driven by D* draws the mixture: component shares within 5 multinomial SEs, and the exact W₂ to
    a truth sample within 5 SDs of the W₂ between two independent truth samples of the same size."""
    n = 2000
    x = np.asarray(_exact_samples(n, 18))
    assign = np.asarray(jnp.argmax(MIX.component_log_probs(jnp.asarray(x, jnp.float64)), axis=-1))
    share = np.bincount(assign, minlength=3) / n
    se = np.sqrt(MIX.weights * (1 - MIX.weights) / n)
    assert np.all(np.abs(share - MIX.weights) < 5 * se), (share, MIX.weights)
    m = 500
    truth = [np.asarray(MIX.sample(jax.random.key(100 + i), m)) for i in range(12)]
    null = np.array([exact_ot(truth[2 * i], truth[2 * i + 1]) for i in range(6)])
    w2 = exact_ot(x[:m], truth[0])
    assert w2 < null.mean() + 5 * null.std(ddof=1), (w2, null)


def test_heun_discretisation_error_shrinks_with_steps():
    """Same x_0, N = 8, 16, 32 steps vs N = 128: mean error falls at least 2× per doubling (Heun is order 2, so ≈ 4×
    away from the last Euler step)."""
    n = 500
    z0 = jax.random.normal(jax.random.key(7), (n, 1, 2), jnp.float32)
    D = exact.mixture_denoiser(MIX)

    def run(N):
        z = jnp.concatenate([z0, jnp.zeros((n, N, 2), jnp.float32)], axis=1)
        return sampling.solve(sampling.denoiser_drift(D), z, sampling.SamplerConfig(steps=N))

    ref = run(128)
    err = [float(jnp.mean(jnp.linalg.norm(run(N) - ref, axis=1))) for N in (8, 16, 32)]
    assert all(a >= 2 * b for a, b in zip(err, err[1:])), err


def test_stochastic_sampler_with_churn_also_recovers_the_weights():
    """Alg. 2 (S_churn = 10, S_noise = 1) with D*: component shares within 5 multinomial SEs."""
    n = 2000
    cfg = sampling.SamplerConfig(steps=32, S_churn=10.0, S_tmin=0.05, S_tmax=50.0)
    z = sampling.initial_noise(jax.random.key(8), n, 2, cfg.steps)
    x = sampling.solve(sampling.denoiser_drift(exact.mixture_denoiser(MIX)), z, cfg)
    assign = np.asarray(jnp.argmax(MIX.component_log_probs(jnp.asarray(x, jnp.float64)), axis=-1))
    share = np.bincount(assign, minlength=3) / n
    assert np.all(np.abs(share - MIX.weights) < 5 * np.sqrt(MIX.weights * (1 - MIX.weights) / n)), share


# --- training, SIMS guidance, checkpoints ----------------------------------------------------------------------

def test_training_is_deterministic_and_learns(models):
    data, base, _ = models
    again = sims.train(jax.random.key(1), data, SPEC, TINY)
    for a, b in zip(jax.tree_util.tree_leaves(base.ema), jax.tree_util.tree_leaves(again.ema)):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree_util.tree_leaves(base.params))
    assert float(jnp.mean(base.losses[-20:])) < float(jnp.mean(base.losses[:5]))  # starts near d = 2
    other = sims.train(jax.random.key(9), data, SPEC, TINY)
    assert not np.array_equal(np.asarray(other.losses), np.asarray(base.losses))


def test_train_many_matches_train_per_seed(models):
    """vmap over (key, data set): seed s equals ``train(keys[s], data[s])`` up to float32 rounding of the batched
    matmuls (1e-4 relative on losses of order 1 after 60 Adam steps)."""
    data, base, _ = models
    keys = jnp.stack([jax.random.key(1), jax.random.key(9)])
    other = MIX.sample(jax.random.key(10), N_ROWS)
    many = sims.train_many(keys, np.stack([np.asarray(data), np.asarray(other)]), SPEC, TINY)
    np.testing.assert_allclose(sims.unstack(many, 0).losses, base.losses, rtol=1e-4, atol=1e-5)
    alone = sims.train(jax.random.key(9), other, SPEC, TINY)
    np.testing.assert_allclose(sims.unstack(many, 1).losses, alone.losses, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="data"):
        sims.train_many(keys, np.zeros((3, 8, 2)), SPEC, TINY)


def test_omega_zero_reproduces_the_base_bit_for_bit(models):
    _, base, aux = models
    x_base = sims.sample(base, jax.random.key(11), N_ROWS, FAST)
    x_guided = sims.guided_sample(base, aux, jax.random.key(11), N_ROWS, 0.0, FAST)
    assert np.array_equal(np.asarray(x_base), np.asarray(x_guided))
    x_one = sims.guided_sample(base, aux, jax.random.key(11), N_ROWS, 1.0, FAST)
    assert not np.array_equal(np.asarray(x_base), np.asarray(x_one))


def test_score_and_denoiser_space_guidance_agree(models):
    """Same noises, ω = 1.5. Per evaluation the two drifts differ by a few float32 roundings of |x − D|/σ; each step
    moves x by h·d, so the total gap is at most ~ 2N × 4ε × (path length ≤ 3σ_max) = 1.8e-3 for N = 8, σ_max = 80
    (errors made at large σ are then contracted, so the measured gap is far smaller). A sign or weight error in either
    formula would move samples by O(1)."""
    _, base, aux = models
    cfg = FAST
    xd = sims.guided_sample(base, aux, jax.random.key(12), N_ROWS, 1.5, cfg, space="denoiser")
    xs = sims.guided_sample(base, aux, jax.random.key(12), N_ROWS, 1.5, cfg, space="score")
    tol = 2 * cfg.steps * 4 * EPS32 * 3 * cfg.sigma_max
    assert float(jnp.max(jnp.abs(xd - xs))) < tol
    # and at one (x, σ): x + σ² s_guided = D_guided to a few ulp of the values involved
    D_r = sampling.model_denoiser(SPEC, base.ema, TINY.sigma_data)
    D_s = sampling.model_denoiser(SPEC, aux.ema, TINY_AUX.sigma_data)
    x = 4.0 * jax.random.normal(jax.random.key(13), (300, 2), jnp.float32)
    for sigma in (0.05, 1.0, 20.0):
        s = jnp.float32(sigma)
        Dg = sampling.guided_denoiser(D_r, D_s, jnp.float32(1.5))(x, s)
        sg = sampling.guided_score(sampling.score_of(D_r), sampling.score_of(D_s), jnp.float32(1.5))(x, s)
        scale = float(jnp.max(jnp.abs(x)) + 4 * jnp.max(jnp.abs(Dg - x)))
        assert float(jnp.max(jnp.abs(x + s**2 * sg - Dg))) < 8 * EPS32 * scale


def test_checkpoint_round_trip_is_bit_exact(models, tmp_path):
    _, base, _ = models
    path = sims.save(tmp_path / "base.npz", base)
    back = sims.load(path)
    assert back.spec == base.spec and back.config == base.config
    for name in ("params", "ema"):
        a, b = jax.tree_util.tree_flatten(getattr(base, name)), jax.tree_util.tree_flatten(getattr(back, name))
        assert a[1] == b[1]
        assert all(np.array_equal(np.asarray(u), np.asarray(v)) and u.dtype == v.dtype for u, v in zip(a[0], b[0]))
    assert np.array_equal(np.asarray(base.losses), np.asarray(back.losses))
    x_base, x_back = sims.sample(base, 0, N_ROWS, FAST), sims.sample(back, 0, N_ROWS, FAST)
    assert np.array_equal(np.asarray(x_base), np.asarray(x_back))
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="path"):
        sims.load(tmp_path / "other.npz")


@pytest.mark.slow  # compiling the CNN's gradient takes ~25 s of wall time on the shared 2-core machine
def test_conv_network_shapes_and_a_few_training_steps():
    spec = sims.ConvSpec(side=8, channels=8, blocks=1)
    data = jax.random.uniform(jax.random.key(14), (64, 64), jnp.float32, -1, 1)
    m = sims.train(jax.random.key(15), data, spec, sims.TrainConfig(steps=5, batch=16, warmup=1))
    x = sampling.model_denoiser(spec, m.ema, 0.5)(data[:4], jnp.float32(1.0))
    assert x.shape == (4, 64) and bool(jnp.all(jnp.isfinite(x))) and bool(jnp.all(jnp.isfinite(m.losses)))


def test_bad_input_names_the_parameter(models):
    data, base, aux = models
    with pytest.raises(ValueError, match="steps"):
        sims.TrainConfig(steps=-1)
    with pytest.raises(ValueError, match="steps"):
        sampling.SamplerConfig(steps=0)
    with pytest.raises(ValueError, match="omega"):
        sims.guided_sample(base, aux, 0, 10, -0.5)
    with pytest.raises(ValueError, match="omega"):
        sims.SIMSConfig(SPEC, TINY, TINY_AUX, omegas=(0.0, -1.0))
    with pytest.raises(ValueError, match="space"):
        sims.guided_sample(base, aux, 0, 10, 1.0, space="latent")
    with pytest.raises(ValueError, match="data"):
        sims.train(0, np.zeros((10, 3)), SPEC, TINY)
    with pytest.raises(ValueError, match="data"):
        sims.train(0, np.array([[0.0, np.nan]] * 4), SPEC, TINY)
    with pytest.raises(ValueError, match="synthetic"):
        sims.fit_auxiliary(0, base, np.array([[np.inf, 0.0]]), TINY_AUX)
    with pytest.raises(ValueError, match="init"):
        sims.train(0, data, sims.MLPSpec(2, 16, 1), TINY, init=base)
    with pytest.raises(ValueError, match="^n must"):
        sims.sample(base, 0, 0)


def test_sims_end_to_end_tiny():
    cfg = sims.SIMSConfig(spec=SPEC, base=TINY, aux=TINY_AUX, n_synthetic=N_ROWS, omegas=(0.0, 1.0),
                          n_samples=N_ROWS, sampler=FAST)
    res = sims.run_sims(jax.random.key(20), MIX.sample(jax.random.key(21), N_ROWS), cfg)
    assert set(res.samples) == {0.0, 1.0}
    assert all(v.shape == (N_ROWS, 2) and np.all(np.isfinite(v)) for v in res.samples.values())
    assert res.record["aux"]["steps"] == 20 and res.record["omegas"] == [0.0, 1.0]
    assert res.record["data_shape"] == [N_ROWS, 2]
    base_again = sims.sample(res.base, jax.random.fold_in(jax.random.key(20), 3), N_ROWS, cfg.sampler)
    assert np.array_equal(np.asarray(base_again), res.samples[0.0])
