"""lab.diffusion's mathematics: Table 1's preconditioning, the loss (eq. 2 = eq. 8; VP = DDPM's ε-loss; EDM's
unit-variance target), the VP training-time laws, the exact mixture denoiser, the samplers and the probability-flow
log-density driven by the exact denoiser (the oracle), and the guidance algebra.

Tolerances: statistical checks use 5 standard errors of the statistic's own sampling distribution (each test states
the SE and the smallest error it detects); float64 identities use 1e-9; float32 checks state their rounding bound
(ε = float32 eps = 2⁻²³). Discretisation tolerances come from measured convergence (Richardson), never tuned.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lab
from lab.diffusion import EDM, VP, OneHidden, Sampler, denoise, dsm_loss, guidance, log_density, loss, samplers, solve
from _power import TARGET, detectable_relative_error
from lab.diffusion.exact import mixture_denoiser, mixture_log_prob_and_denoiser

EPS32 = float(np.finfo(np.float32).eps)
PRECONDS = {"VP": VP(), "EDM": EDM(sigma_data=3.0)}
MIX = lab.GaussianMixture([0.5, 0.3, 0.2], [[-4.0, 0.0], [4.0, 0.0], [0.0, 4.0]], [np.eye(2) * 0.25] * 3)
BIMODAL = lab.GaussianMixture([0.4, 0.6], [[-2.0], [1.5]], [[[0.25]], [[0.5]]])


def _f64(tree):
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), tree)


# --- preconditioning and loss (Karras et al. 2022, Table 1, eqs. 2 and 8) -----------------------------------------

def test_preconditioning_identities():
    """EDM: c_in² (σ² + σ_d²) = 1 and c_out² = c_skip σ²; VP: c_skip = 1, c_out = −σ, c_noise = (α_t, σ_t) with
    α_t² + σ_t² = 1 and σ_t/α_t = σ (Table 1), float64."""
    sigma = jnp.geomspace(1e-3, 1e2, 50)
    e = EDM(sigma_data=0.7)
    np.testing.assert_allclose(e.c_in(sigma) ** 2 * (sigma**2 + 0.49), 1.0, rtol=1e-12)
    np.testing.assert_allclose(e.c_out(sigma) ** 2, e.c_skip(sigma) * sigma**2, rtol=1e-12)
    v = VP()
    a, s = v.c_noise(sigma)[:, 0], v.c_noise(sigma)[:, 1]
    np.testing.assert_allclose(a**2 + s**2, 1.0, rtol=1e-12)
    np.testing.assert_allclose(s / a, sigma, rtol=1e-12)
    np.testing.assert_array_equal(v.c_skip(sigma), 1.0)
    np.testing.assert_array_equal(v.c_out(sigma), -sigma)


@pytest.mark.parametrize("name", sorted(PRECONDS))
def test_eq8_form_equals_the_weighted_denoiser_loss(name):
    """λ(σ) ‖D(y + n; σ) − y‖² = ‖F(c_in (y + n); c_noise) − target‖² row by row, λ = 1/c_out² (eq. 2 vs eq. 8), all
    in float64 around a perturbed OneHidden network (so only float64 rounding separates the two)."""
    pre, net = PRECONDS[name], OneHidden(16)
    params = _f64(net.init(key=jax.random.key(2), dim=2, n_cond=pre.n_cond))
    F = lambda x, c: net.apply(params, x, c)  # noqa: E731
    k1, k2, k3 = jax.random.split(jax.random.key(3), 3)
    y = 2.0 * jax.random.normal(k1, (50, 2))
    sigma = jnp.exp(jax.random.uniform(k2, (50,), minval=np.log(0.01), maxval=np.log(10.0)))
    n = sigma[:, None] * jax.random.normal(k3, (50, 2))
    lhs = jnp.sum((denoise(pre, F, y + n, sigma) - y) ** 2, axis=-1) / pre.c_out(sigma) ** 2
    x_in, target, cond = loss.training_pair(pre, y, n, sigma)
    np.testing.assert_allclose(lhs, jnp.sum((F(x_in, cond) - target) ** 2, axis=-1), rtol=1e-9)


@pytest.mark.parametrize("name", sorted(PRECONDS))
def test_denoiser_is_identity_as_sigma_vanishes(name):
    """|D(x; σ) − x| ≤ (1 − c_skip)|x| + |c_out| |F| → 0 as σ → 0, for a network whose F is far from 0 (float32:
    plus 4ε|x| of rounding); the gap falls ≥ 10× from σ = 1e-2 to 1e-4."""
    pre, net = PRECONDS[name], OneHidden(16)
    params = jax.tree_util.tree_map(lambda a: a + 0.3, net.init(key=jax.random.key(0), dim=2, n_cond=pre.n_cond))
    F = lambda x, c: net.apply(params, x, c)  # noqa: E731
    x = 3.0 * jax.random.normal(jax.random.key(1), (100, 2), jnp.float32)
    gaps = []
    for sigma in (1e-2, 1e-3, 1e-4):
        s = jnp.full(100, sigma, jnp.float32)
        F_s = float(jnp.max(jnp.abs(F(pre.c_in(s)[:, None] * x, pre.c_noise(s)))))
        assert F_s > 0.1
        gap = float(jnp.max(jnp.abs(denoise(pre, F, x, s) - x)))
        x_max = float(jnp.max(jnp.abs(x)))
        assert gap <= (1 - float(pre.c_skip(s)[0])) * x_max + abs(float(pre.c_out(s)[0])) * F_s + 4 * EPS32 * x_max
        gaps.append(gap)
    assert gaps[2] < gaps[0] / 10, gaps


@pytest.mark.parametrize("sigma", [0.01, 0.5, 5.0, 80.0])
def test_edm_inputs_and_targets_have_unit_variance(sigma):
    """y ~ N(0, σ_d² I): Var[c_in (y + n)] = 1 and Var[(y − c_skip (y + n))/c_out] = 1 (the point of EDM's
    preconditioning). Both Gaussian: the sample variance's SE is √(2/m) = 0.0032 (m = 200 000); tolerance 5 SE, so a
    relative variance error of 1.6 % is detected."""
    pre, m = EDM(sigma_data=0.5), 200_000
    ky, kn = jax.random.split(jax.random.key(3))
    y = 0.5 * jax.random.normal(ky, (m, 1), jnp.float32)
    n = sigma * jax.random.normal(kn, (m, 1), jnp.float32)
    x_in, target, _ = loss.training_pair(pre, y, n, jnp.full(m, sigma, jnp.float32))
    tol = 5 * np.sqrt(2 / m)
    assert abs(float(jnp.var(x_in)) - 1) < tol
    assert abs(float(jnp.var(target)) - 1) < tol


def test_edm_loss_of_the_zero_network_is_the_dimension():
    """F = 0 gives L = E‖target‖² = d (unit-variance targets, σ from the training law); ‖target‖² ~ χ²_d per row,
    SE √(2d/B) = 0.0089 (d = 4, B = 100 000); 5 SE detects a 1.1 % error."""
    d, B = 4, 100_000
    y = 0.5 * jax.random.normal(jax.random.key(4), (B, d), jnp.float32)
    value = float(dsm_loss(EDM(sigma_data=0.5), lambda x, c: jnp.zeros_like(x), y, key=jax.random.key(5)))
    assert abs(value - d) < 5 * np.sqrt(2 * d / B)


def test_vp_loss_is_ddpms_noise_prediction_loss():
    """Under VP the eq. 8 pair is DDPM's: input α_t y + σ_t ε, conditioning (α_t, σ_t), target ε, so ``dsm_loss``
    equals E‖ε̂(α_t y + σ_t ε; α_t, σ_t) − ε‖² (Ho et al. 2020) recomputed from the same key (σ and ε drawn as
    ``dsm_loss`` draws them). float32 throughout: tolerance 1e-5 relative (a few roundings of terms of order 1)."""
    pre, net = VP(), OneHidden(8)
    params = net.init(key=jax.random.key(6), dim=2, n_cond=2)
    y = 1.5 * jax.random.normal(jax.random.key(7), (512, 2), jnp.float32)
    key = jax.random.key(8)
    ks, kn = jax.random.split(key)
    sigma = pre.sample_sigma(key=ks, n=512)
    eps = jax.random.normal(kn, y.shape, jnp.float32)
    alpha, sig_t = 1 / jnp.sqrt(1 + sigma**2), sigma / jnp.sqrt(1 + sigma**2)
    eps_hat = net.apply(params, alpha[:, None] * y + sig_t[:, None] * eps, jnp.stack([alpha, sig_t], -1))
    ddpm = jnp.mean(jnp.sum((eps_hat - eps) ** 2, axis=-1))
    ours = jax.jit(lambda p, y, k: dsm_loss(pre, lambda x, c: net.apply(p, x, c), y, key=k))(params, y, key)
    np.testing.assert_allclose(float(ours), float(ddpm), rtol=1e-5)


@pytest.mark.parametrize("law, beta", [("likelihood", 2.0), ("log_uniform", 2.0), ("likelihood", 20.0)])
def test_training_time_law_is_the_documented_density(law, beta):
    """``training_times`` is the inverse CDF of q: it maps u = 0, 1 to t_min, T and its derivative is 1/q(t),
    q(t) = β/(Z σ_t²), Z = log(e^{βT} − 1) − log(e^{β t_min} − 1) ("likelihood"), or q(t) = 1/(t log(T/t_min))
    ("log_uniform"); float64, by automatic differentiation at 9 interior points. β = 20 (βT = 100): e^{βT} overflows
    float32, the inverse CDF must stay finite and exact."""
    pre = VP(beta=beta, t_min=1e-3, t_max=5.0, time_law=law)
    np.testing.assert_allclose(pre.training_times(jnp.array([0.0, 1.0])), [pre.t_min, pre.t_max], rtol=1e-9)
    u = jnp.linspace(0.1, 0.9, 9)
    t = pre.training_times(u)
    dt_du = jax.vmap(jax.grad(pre.training_times))(u)
    if law == "likelihood":
        Z = np.log(np.expm1(beta * pre.t_max)) - np.log(np.expm1(beta * pre.t_min))
        q = beta / (Z * -jnp.expm1(-beta * t))  # σ_t² = 1 − e^{−βt}
    else:
        q = 1.0 / (t * np.log(pre.t_max / pre.t_min))
    np.testing.assert_allclose(1.0 / dt_du, q, rtol=1e-9)


def test_edm_sigma_grid_is_eq5():
    s = np.asarray(EDM().sigmas(18), np.float64)
    ref = (80.0 ** (1 / 7) + np.arange(18) / 17 * (0.002 ** (1 / 7) - 80.0 ** (1 / 7))) ** 7
    np.testing.assert_allclose(s[:-1], ref, rtol=2 * 7 * EPS32)  # float32 rounding of the base, times ρ = 7
    assert s[-1] == 0 and np.all(np.diff(s) < 0)


# --- the exact mixture denoiser (the oracle) ------------------------------------------------------------------

def test_exact_denoiser_score_is_the_gradient_of_the_noised_mixture():
    """(D*(x; σ) − x)/σ² = ∇ log Σ π_j N(x; μ_j, Σ_j + σ² I) and the log-density matches (float64); D*(x; 0) = x."""
    cov = np.array([[[0.5, 0.2], [0.2, 0.3]], [[0.2, -0.1], [-0.1, 0.4]]])
    gm = lab.GaussianMixture([0.4, 0.6], [[-1.0, 0.5], [2.0, -1.0]], cov)
    fn = jax.jit(mixture_log_prob_and_denoiser(gm, jnp.float64))
    x = 2.0 * jax.random.normal(jax.random.key(6), (20, 2))
    for sigma in (0.1, 1.0, 3.0):
        noised = lab.GaussianMixture(gm.weights, gm.means, gm.covs + sigma**2 * np.eye(2))
        grad = jax.jit(jax.vmap(jax.grad(lambda xi: noised.log_prob(xi[None])[0])))(x)
        logp, D = fn(x, sigma)
        np.testing.assert_allclose((D - x) / sigma**2, grad, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(logp, noised.log_prob(x), rtol=1e-9)
    np.testing.assert_array_equal(fn(x, 0.0)[1], x)


# --- samplers with the exact denoiser ------------------------------------------------------------------------

N_DRAWS, N_FULL = 4000, 150_000  # fast; slow (δ_min ≤ 3 %: the smallest weight, 0.2, needs n ≥ (5/0.03)²·0.8/0.2)
# EDM's Heun needs 18 steps (its default); the VP grid (geometric in t from T = 10, σ_0 ≈ 148) needs 100 (the
# ScoreNetDiffusion default): measured mean errors at 18 steps were 0.2 (4 SE), at 50–200 steps 0.01–0.05 (< 3 SE).
SAMPLER_STEPS = {("EDM", "heun"): 18, ("VP", "heun"): 100, ("EDM", "euler_maruyama"): 256,
                 ("VP", "euler_maruyama"): 256}


def _exact_draws(name, kind, key=0, n=N_DRAWS, chunk=25_000):
    """(n, 2) draws of the sampler driven by D*, in chunks of ``chunk`` rows (chunk c from fold_in(key, c); the fast
    run is one chunk, key(key) itself), and σ_b."""
    pre = PRECONDS[name]
    cfg = Sampler(steps=SAMPLER_STEPS[name, kind], kind=kind)
    sig = pre.sigmas(cfg.steps)
    run = jax.jit(lambda z: solve(mixture_denoiser(MIX), z, sig, pre.prior_std(sig[0]), cfg))
    k = jax.random.key(key)
    keys = [k] if n <= chunk else [jax.random.fold_in(k, c) for c in range(-(-n // chunk))]
    out = [np.asarray(run(samplers.initial_noise(key=kc, n=min(chunk, n - i * chunk), dim=2, steps=cfg.steps)),
                      np.float64) for i, kc in enumerate(keys)]
    return np.concatenate(out), float(sig[sig > 0][-1]) if pre is PRECONDS["VP"] else 0.0


def _check_sampler(name, kind, n, key, power):
    """Returns δ_min: the largest of the weights' relative 5·SE/π_j, the mean shift 5/√n_j and the std's relative
    5/√(2 n_j) (both in units of s_j, the component's sd: a relative error of a mean near 0 is not defined)."""
    x, sigma_b = _exact_draws(name, kind, key=key, n=n)
    assign = np.argmax(np.asarray(MIX.component_log_probs(jnp.asarray(x))), axis=-1)
    counts = np.bincount(assign, minlength=3)
    pi = MIX.weights
    se_w = np.sqrt(pi * (1 - pi) / n)
    assert np.all(np.abs(counts / n - pi) < 5 * se_w), (counts, pi)
    s = np.sqrt(0.25 + sigma_b**2)
    for j in range(3):
        xj, nj = x[assign == j], counts[j]
        np.testing.assert_array_less(np.abs(xj.mean(0) - MIX.means[j]), 5 * s / np.sqrt(nj))
        np.testing.assert_array_less(np.abs(xj.std(0, ddof=1) - s), 5 * s / np.sqrt(2 * nj))
    delta = max(detectable_relative_error(se_w, pi), 5 / np.sqrt(counts.min()))
    assert delta <= power, delta
    return delta


@pytest.mark.parametrize("kind", ["heun", "euler_maruyama"])
@pytest.mark.parametrize("name", sorted(PRECONDS))
def test_sampler_with_the_exact_denoiser_recovers_the_mixture(name, kind):
    """The sampler driven by D* draws the mixture (VP: the mixture blurred by N(0, σ_b² I), σ_b = σ(t_min), where the
    VP grid stops). Rows are assigned to the component of highest posterior (the components are 8 SDs apart, so
    misassignment is below 1e-9). Asserted within 5 SE: weights (SE √(π(1 − π)/n)), per-coordinate means
    (SE s_j/√n_j) and standard deviations (SE s_j/√(2 n_j), Gaussian), s_j² = 0.25 + σ_b². Power with n = 4000
    (``_check_sampler``, asserted ≤ 20 %): relative weight errors of 8 % (π = 0.5) to 16 % (π = 0.2), mean shifts of
    0.11–0.18 s_j and relative std errors of 8–13 % are detected (the smallest component sets the upper end); the slow
    variant reaches 3 % for all three. Steps: Heun 18 for EDM (its default) and 100 for VP (comment at SAMPLER_STEPS),
    Euler–Maruyama 256 (weak order 1: its bias shrinks as 1/N)."""
    _check_sampler(name, kind, N_DRAWS, key=0, power=0.20)


_BIAS = "finding (issue 12 power audit): at 3 % power the finite-step sampler's bias shows — "
FULL_POWER_CASES = [
    pytest.param("EDM", "heun", marks=pytest.mark.xfail(strict=True, reason=_BIAS + "Heun at 18 steps moves the "
                 "largest component's mean by ≈ 0.03 (6 % of its sd, ≈ 3 × the 5-SE tolerance)")),
    pytest.param("EDM", "euler_maruyama", marks=pytest.mark.xfail(strict=True, reason=_BIAS + "Euler–Maruyama at 256 "
                 "steps: the 0.5 weight comes out ≈ 0.493 (5.3 SE)")),
    ("VP", "heun"),
    pytest.param("VP", "euler_maruyama", marks=pytest.mark.xfail(strict=True, reason=_BIAS + "Euler–Maruyama at 256 "
                 "steps: component sds ≈ 1.4 % off (5.5 SE)")),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,kind", FULL_POWER_CASES)
def test_sampler_with_the_exact_denoiser_recovers_the_mixture_full_power(name, kind):
    """n = 150 000 draws: δ_min ≤ 3 % (weights relative, means and stds in units of s_j), same steps; fresh keys.
    Three of the four samplers fail here at their default steps (strict xfail, reasons above): their discretisation
    bias is below what n = 4000 can see but above 3 %; the fast test's pass says nothing finer than its δ_min."""
    _check_sampler(name, kind, N_FULL, key=100, power=TARGET)


def test_heun_discretisation_error_shrinks_with_steps():
    """EDM grid, same x_0, N = 8, 16, 32 vs N = 128: mean error falls at least 2× per doubling (Heun is order 2, so
    ≈ 4× away from the final Euler step to σ = 0, which is exact for D*(x; σ_min) ≈ the posterior mean)."""
    n, pre = 500, EDM()
    z0 = jax.random.normal(jax.random.key(7), (n, 1, 2), jnp.float32)
    D = mixture_denoiser(MIX)

    def run(N):
        z = jnp.concatenate([z0, jnp.zeros((n, N, 2), jnp.float32)], axis=1)
        return solve(D, z, pre.sigmas(N), pre.prior_std(80.0), Sampler(steps=N))

    ref = run(128)
    err = [float(jnp.mean(jnp.linalg.norm(run(N) - ref, axis=1))) for N in (8, 16, 32)]
    assert all(a >= 2 * b for a, b in zip(err, err[1:])), err


def _churned_shares(n, key):
    pre = EDM()
    cfg = Sampler(steps=32, S_churn=10.0, S_tmin=0.05, S_tmax=50.0)
    z = samplers.initial_noise(key=jax.random.key(key), n=n, dim=2, steps=cfg.steps)
    x = solve(mixture_denoiser(MIX), z, pre.sigmas(32), pre.prior_std(80.0), cfg)
    assign = np.asarray(jnp.argmax(MIX.component_log_probs(jnp.asarray(x, jnp.float64)), axis=-1))
    share = np.bincount(assign, minlength=3) / n
    se = np.sqrt(MIX.weights * (1 - MIX.weights) / n)
    assert np.all(np.abs(share - MIX.weights) < 5 * se), share
    return detectable_relative_error(se, MIX.weights)


def test_churned_heun_also_recovers_the_weights():
    """Algorithm 2 (S_churn = 10) with D*: component shares within 5 multinomial SEs. Power at n = 2000: δ_min =
    5·√(π(1 − π)/n)/π, from 11 % (π = 0.5) to 22 % (π = 0.2), asserted ≤ 25 %; the slow variant reaches 3 %."""
    assert _churned_shares(2000, key=8) <= 0.25


@pytest.mark.slow
def test_churned_heun_also_recovers_the_weights_full_power():
    """n = 120 000 ≥ (5/0.03)²·0.8/0.2: δ_min ≤ 3 % for every weight (asserted); fresh key."""
    assert _churned_shares(120_000, key=108) <= TARGET


# --- the probability-flow log-density ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def density_runs():
    """log_density of the exact denoiser for BIMODAL under VP at K = 32, 64, 128 grid steps on 801 points of
    [−8, 8], and the exact log p(x; σ_b) at the grid's smallest σ (the same for every K)."""
    pre = VP()
    x = jnp.linspace(-8.0, 8.0, 801, dtype=jnp.float32)[:, None]
    fn = mixture_log_prob_and_denoiser(BIMODAL)
    out = {}
    for K in (32, 64, 128):
        sig = pre.sigmas(K)
        out[K] = np.asarray(jax.jit(lambda x: log_density(lambda y, s: fn(y, s)[1], x, sig,
                                                          pre.prior_std(sig[0]), pre.c_in))(x), np.float64)
    sigma_b = float(pre.sigmas(32)[-1])
    exact = np.asarray(mixture_log_prob_and_denoiser(BIMODAL, jnp.float64)(jnp.asarray(x, jnp.float64), sigma_b)[0])
    return np.asarray(x[:, 0], np.float64), out, exact


def test_log_density_converges_to_the_exact_noised_density(density_runs):
    """The Heun log-density on the preconditioned state (``samplers.log_density``) converges to the exact
    log p(x; σ_b) where p > 1e-4: the max error falls by at least 4× from K = 32 to K = 128 (order ≥ 1 over two
    doublings; Heun is order 2) and the median error at K = 128 is below 1e-3 nats (a 0.1 % density error).
    Known limit (reported, not hidden): in the far tails (|x| ≈ 4 here) the error stops falling at a few 1e-3 nats
    from K = 128 on, in float64 as well as float32, so the max error is not asserted against an order-2 rate."""
    x, ld, exact = density_runs
    keep = exact > np.log(1e-4)
    err = {K: np.abs(v - exact)[keep] for K, v in ld.items()}
    assert err[128].max() <= err[32].max() / 4 and np.median(err[128]) < 1e-3, \
        {K: (e.max(), np.median(e)) for K, e in err.items()}


def test_log_density_integrates_to_one(density_runs):
    """∫ exp(log_density) by the trapezoid rule on [−8, 8] (spacing 0.02; the same rule gives the exact density's mass
    to 1e-12) is 1 within 1e-3 at K = 128 and no further from 1 than at K = 32 (the change-of-variables density of a
    discretised flow has mass 1 only as K → ∞). Power: a 0.1 % mass error is detected."""
    x, ld, exact = density_runs
    mass = {K: float(np.trapezoid(np.exp(v), x)) for K, v in ld.items()}
    assert abs(float(np.trapezoid(np.exp(exact), x)) - 1.0) < 1e-9
    assert abs(mass[128] - 1.0) <= min(1e-3, abs(mass[32] - 1.0)), mass


# --- guidance algebra ----------------------------------------------------------------------------------------

def test_guidance_algebra():
    """guide(f_r, f_s, ω) = (1 + ω) f_r − ω f_s (float64); score-space guidance of s = (D − x)/σ² is the score of
    denoiser-space guidance, x + σ² s_g = D_g (float64, 1e-9: weights 1 + ω and −ω sum to 1); at ω = 0 the result is
    f_r itself, even when f_s returns NaN (f_s is never evaluated: ``lax.cond``)."""
    x = jax.random.normal(jax.random.key(0), (30, 2))
    D_r = lambda x, s: jnp.tanh(x) * (1 + s)  # noqa: E731
    D_s = lambda x, s: 0.5 * x - s  # noqa: E731
    for omega in (0.3, 1.5):
        for sigma in (0.05, 1.0, 20.0):
            Dg = guidance.guide(D_r, D_s, omega)(x, sigma)
            np.testing.assert_allclose(Dg, (1 + omega) * D_r(x, sigma) - omega * D_s(x, sigma), rtol=1e-12, atol=1e-12)
            sg = guidance.guide(guidance.score_of(D_r), guidance.score_of(D_s), omega)(x, sigma)
            np.testing.assert_allclose(x + sigma**2 * sg, Dg, rtol=1e-9, atol=1e-9)
    nan = lambda x, s: jnp.full_like(x, jnp.nan)  # noqa: E731
    for omega in (0.0, jnp.float32(0.0)):
        np.testing.assert_array_equal(jax.jit(guidance.guide(D_r, nan, omega))(x, 1.0), jax.jit(D_r)(x, 1.0))
