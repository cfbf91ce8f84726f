"""ScoreNetDiffusion: the trained score against the closed form, the probability-flow density, the samplers' orders
with the exact score, reproducibility, and a run inside ``lab.simulate``.

Oracles: for x_0 ~ N(m, s²) the VP marginal is p_t = N(α_t m, α_t² s² + σ_t²), so its score is closed-form
(``lab.diffusion.noised_score``). With that (affine) score both samplers are affine maps of their inputs (x_T and, for
Euler–Maruyama, the increments z), so the law they sample from x_T ~ p_T is Gaussian with mean f(E x_T, z = 0) and
variance (∂f/∂x_T)² Var x_T + Σ_k (∂f/∂z_k)²: computed exactly by automatic differentiation, with no Monte Carlo noise.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lab
from lab.diffusion import VP, euler_maruyama, heun_ode, log_density, noised_log_prob_and_score, noised_score
from lab.metrics.samples import w2_1d

M, S2 = 1.0, 0.25  # the Gaussian truth N(1, 0.5²)
GAUSS = lab.Gaussian([M], [[S2]])
BIMODAL = lab.GaussianMixture([0.4, 0.6], [[-2.0], [1.5]], [[[0.25]], [[0.5]]])


def _marginal(proc, t):
    """(mean, variance) of p_t for the Gaussian truth."""
    return proc.alpha(t) * M, proc.alpha(t) ** 2 * S2 + proc.sigma2(t)


def _relative_score_error(model, params, truth):
    """√(E σ_t² ‖s_θ − ∇log p_t‖² / E σ_t² ‖∇log p_t‖²), t over the training law (log-uniform, 48 midpoint nodes),
    x ~ p_t by 40-node Gauss–Hermite quadrature. The numerator is the excess DSM loss (``lab.diffusion.network``)."""
    proc = model.process
    exact = noised_score(truth, proc)
    z, wz = np.polynomial.hermite_e.hermegauss(40)
    z, wz = jnp.asarray(z), jnp.asarray(wz / wz.sum())
    num = den = 0.0
    for u in (np.arange(48) + 0.5) / 48:
        t = proc.t_min * (proc.t_max / proc.t_min) ** u
        mean, var = _marginal(proc, t)
        x = (mean + jnp.sqrt(var) * z)[:, None]
        s_true = exact(x, t)[:, 0]
        num += jnp.sum(wz * proc.sigma2(t) * (model.score(params, x, t)[:, 0] - s_true) ** 2)
        den += jnp.sum(wz * proc.sigma2(t) * s_true**2)
    return float(jnp.sqrt(num / den))


@pytest.fixture(scope="module")
def gauss_data():
    return GAUSS.sample(jax.random.key(0), 4096)


def test_trained_score_approaches_the_closed_form(gauss_data):
    """Relative σ_t-weighted score error (``_relative_score_error``) below 0.1 after 2000 steps, and decreasing with
    training (2000 steps beat 200). Measured on these data (width 64, batch 256, lr 1e-2, default time law
    "likelihood"): 0.21 at 200 steps, 0.034 at 2000, 0.024 at 8000 ("log_uniform": 1.87 untrained, 0.20, 0.031,
    0.022). Reference: the plug-in score of N(sample mean, sample variance) of the same
    4096 points, the statistical floor of a correctly specified parametric fit, has error 0.012. The bound 0.1 is 3×
    the measurement; a wrong σ_t in s_θ = −ε̂/σ_t or a broken time law gives errors of order one."""
    x, w = gauss_data, jnp.ones(gauss_data.shape[0])
    short, long = (lab.ScoreNetDiffusion(64, steps=s, lr=1e-2, batch=256) for s in (200, 2000))
    e_short = _relative_score_error(short, jax.jit(short.fit)(x, w), GAUSS)
    e_long = _relative_score_error(long, jax.jit(long.fit)(x, w), GAUSS)
    assert e_long < 0.1, e_long
    assert e_long < e_short, (e_short, e_long)


def _ode_law(proc, score, steps):
    mean_T, var_T = _marginal(proc, proc.t_max)
    f = lambda x: heun_ode(proc, score, x.reshape(1, 1), steps)[0, 0]  # noqa: E731
    return f(mean_T), jax.grad(f)(mean_T) ** 2 * var_T


def _sde_law(proc, score, steps):
    mean_T, var_T = _marginal(proc, proc.t_max)
    f = lambda x, z: euler_maruyama(proc, score, x.reshape(1, 1), z)[0, 0]  # noqa: E731
    z0 = jnp.zeros((steps, 1, 1))
    gx, gz = jax.grad(f, argnums=(0, 1))(mean_T, z0)
    return f(mean_T, z0), gx**2 * var_T + jnp.sum(gz**2)


@pytest.mark.parametrize("law, order", [(_ode_law, 2.0), (_sde_law, 1.0)], ids=["heun_ode", "euler_maruyama"])
def test_sampler_order_with_exact_score(law, order):
    """Exact Gaussian law of the discretised sampler (module docstring) vs the target p_{t_min}, error
    e_K = W₂(N(mean_K, var_K), p_{t_min}) = √(Δmean² + Δsd²), K = 20…320 steps, float64. The observed order
    log₂(e_K/e_{2K}) must be within 0.15 of the theory's (Heun: 2, Euler–Maruyama weak order: 1); measured
    2.04, 2.02, 2.01, 2.01 and 1.06, 1.03, 1.01, 1.01 (e_320 = 8.4e-5 and 3.3e-3). Asserted also: e_320 < 1e-3 (ODE)
    and < 2e-2 (SDE)."""
    proc = VP()
    score = noised_score(GAUSS, proc)
    target_mean, target_var = _marginal(proc, proc.t_min)
    errs = []
    for steps in (20, 40, 80, 160, 320):
        mean, var = law(proc, score, steps)
        errs.append(float(jnp.sqrt((mean - target_mean) ** 2 + (jnp.sqrt(var) - jnp.sqrt(target_var)) ** 2)))
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    np.testing.assert_allclose(orders, order, atol=0.15, err_msg=str(errs))
    assert errs[-1] < (1e-3 if order == 2.0 else 2e-2), errs


def _quantiles(truth, proc, t, u):
    """(len(u),) quantiles of the 1-D noised mixture p_t at levels u, by 100 bisection steps on [−20, 20]."""
    mu, var = truth.means[:, 0], truth.covs[:, 0, 0]
    scale = jnp.sqrt(proc.alpha(t) ** 2 * var + proc.sigma2(t))

    def cdf(x):
        return jnp.sum(truth.weights * jax.scipy.stats.norm.cdf((x[:, None] - proc.alpha(t) * mu) / scale), -1)

    def halve(bounds, _):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        below = cdf(mid) < u
        return (jnp.where(below, mid, lo), jnp.where(below, hi, mid)), None

    (lo, hi), _ = jax.lax.scan(halve, (jnp.full_like(u, -20.0), jnp.full_like(u, 20.0)), None, length=100)
    return 0.5 * (lo + hi)


def test_ode_sampler_recovers_a_mixture_with_the_exact_score():
    """Bimodal 1-D mixture, exact noised-mixture score. In 1-D the probability-flow map is increasing, so it sends the
    quantiles of p_T to the quantiles of its output law: pushing the exact p_T quantiles at u_i = (i + ½)/2000 through
    Heun gives that law's quantiles, and W₂² to p_{t_min} = mean_i (Q_out(u_i) − Q_{t_min}(u_i))² (midpoint rule),
    with no Monte Carlo noise. W₂ must fall with the steps (5, 10, …, 160) and at the Heun rate (observed order within
    0.3 of 2 from 20 steps on; measured ≈ 2.0); W₂ < 1e-3 at 160 steps."""
    proc = VP()
    score = noised_score(BIMODAL, proc)
    u = (jnp.arange(2000) + 0.5) / 2000
    q_T, q_target = _quantiles(BIMODAL, proc, proc.t_max, u), _quantiles(BIMODAL, proc, proc.t_min, u)
    steps = (5, 10, 20, 40, 80, 160)
    w2 = np.array([float(jnp.sqrt(jnp.mean((heun_ode(proc, score, q_T[:, None], k)[:, 0] - q_target) ** 2)))
                   for k in steps])
    assert np.all(np.diff(w2) < 0), w2
    np.testing.assert_allclose(np.log2(w2[2:-1] / w2[3:]), 2.0, atol=0.3, err_msg=str(w2))
    assert w2[-1] < 1e-3, w2


def test_sde_sampler_recovers_a_mixture_with_the_exact_score():
    """Same mixture, Euler–Maruyama from exact p_T draws, 50 000 points, W₂ to 50 000 truth draws (Monte Carlo):
    falls as steps grow (5 → 20 → 200; measured ≈ 0.63, 0.30, 0.04 over three seeds) and is below 0.1 at 200 steps.
    The bound is 2.5× the measured value; the Monte Carlo floor alone (W₂ between two truth samples of this size)
    ranged 0.01–0.07 over three seeds, because a bimodal law's W₂ carries its mode-weight fluctuation."""
    proc = VP()
    score = noised_score(BIMODAL, proc)
    k0, k1, k2, k3 = jax.random.split(jax.random.key(0), 4)
    n = 50_000
    x_T = proc.alpha(proc.t_max) * BIMODAL.sample(k0, n) + proc.sigma(proc.t_max) * jax.random.normal(k1, (n, 1))
    truth_x = BIMODAL.sample(k2, n)
    w2 = [float(w2_1d(euler_maruyama(proc, score, x_T, jax.random.normal(k3, (k, n, 1))), truth_x))
          for k in (5, 20, 200)]
    assert w2[0] > w2[1] > w2[2], w2
    assert w2[2] < 0.1, w2


def test_probability_flow_density_matches_the_exact_density():
    """With the exact score and the exact p_T as prior, the probability-flow log-density equals the closed-form
    log p_{t_min} up to the Heun error. Max error over x ∈ [−4, 4] (down to log p ≈ −9 in the left tail, where the
    error is largest) measured 0.40, 0.054, 0.014 at 50, 100, 200 steps (ratios 7.4, 3.8: order ≥ 2); asserted:
    below 0.03 at 200 steps and each doubling divides it by more than 3."""
    proc = VP()
    exact = noised_log_prob_and_score(BIMODAL, proc)
    x = jnp.linspace(-4.0, 4.0, 81)[:, None]
    target = exact(x, proc.t_min)[0]
    errs = [float(jnp.max(jnp.abs(log_density(proc, lambda y, t: exact(y, t)[1], x, k,
                                              log_prior=lambda y: exact(y, proc.t_max)[0]) - target)))
            for k in (50, 100, 200)]
    assert errs[-1] < 0.03, errs
    assert errs[0] > 3 * errs[1] > 9 * errs[2], errs


@pytest.fixture(scope="module")
def bimodal_fit():
    model = lab.ScoreNetDiffusion(32, steps=1000, batch=256, sample_steps=100)
    x = BIMODAL.sample(jax.random.key(2), 2048)
    return model, jax.jit(model.fit)(x, jnp.ones(2048))


def test_trained_density_integrates_to_one(bimodal_fit):
    """∫ exp(log_prob) over [−8, 8] by the trapezoid rule on 801 points (spacing 0.02; the integrand is smooth on that
    scale and its tails beyond ±8 are below 1e-6) is 1 within 1e-3. The change-of-variables density of a discretised
    flow integrates to 1 only as h → 0 (Heun: O(h²)): measured |∫ − 1| = 5.7e-4, 1.5e-4, 3.8e-5 at 50, 100, 200 steps
    (this model, 100 steps, is the asserted case)."""
    model, params = bimodal_fit
    x = jnp.linspace(-8.0, 8.0, 801)[:, None]
    mass = float(jnp.trapezoid(jnp.exp(jax.jit(model.log_prob)(params, x)), x[:, 0]))
    assert abs(mass - 1.0) < 1e-3, mass


def test_fit_is_deterministic_and_ignores_zero_weight_rows(bimodal_fit):
    model, params = bimodal_fit
    x = BIMODAL.sample(jax.random.key(2), 2048)
    garbage = 7.0 * BIMODAL.sample(jax.random.key(9), 30) + 3.0
    xb = jnp.concatenate([garbage[:10], x, garbage[10:]])
    wb = jnp.concatenate([jnp.zeros(10), jnp.ones(2048), jnp.zeros(20)])
    padded = jax.jit(model.fit)(xb, wb)
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(padded)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    a, b = model.sample(params, jax.random.key(3), 50), model.sample(params, jax.random.key(3), 50)
    c = model.sample(params, jax.random.key(4), 50)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.dtype == x.dtype and a.shape == (50, 1)


def test_runs_inside_simulate():
    """Two generations of Replace, 4 replicates, both samplers: finite W₂ and TV, and replicates differ."""
    for sampler in ("ode", "sde"):
        model = lab.ScoreNetDiffusion(16, steps=100, batch=64, sampler=sampler, sample_steps=20)
        ds = lab.simulate(BIMODAL, model, lab.Replace(), n=128, generations=2, replicates=4, key=0)
        assert ds["W1"].shape == (4, 3, 3, 16)
        for name in ("w2_samples", "tv_mc", "train_loss"):
            assert np.all(np.isfinite(ds[name].values)), name
        assert np.all((ds["tv_mc"].values >= 0) & (ds["tv_mc"].values <= 1))
        assert not np.allclose(ds["W1"].values[0], ds["W1"].values[1])


def test_rejects_bad_configuration():
    for kwargs in ({"width": 0}, {"width": 8, "sampler": "rk4"}, {"width": 8, "lr": 0.0}, {"width": 8, "t_min": 0.0},
                   {"width": 8, "t_min": 1.0, "t_max": 0.5}):
        with pytest.raises(ValueError):
            lab.ScoreNetDiffusion(**kwargs)


@pytest.mark.parametrize("law, beta", [("likelihood", 2.0), ("log_uniform", 2.0), ("likelihood", 20.0)])
def test_training_time_law_is_the_documented_density(law, beta):
    """``training_times`` is the inverse CDF of q: it maps u = 0, 1 to t_min, T, and its derivative is 1/q(t) with
    q(t) = β/(Z σ_t²), Z = log(e^{βT} − 1) − log(e^{β t_min} − 1) ("likelihood") or q(t) = 1/(t log(T/t_min))
    ("log_uniform"); checked in float64 by automatic differentiation at 9 interior points. β = 20 (βT = 100) is the
    regime where e^{βT} overflows float32: the inverse CDF must stay finite and exact there too."""
    model = lab.ScoreNetDiffusion(4, beta=beta, t_min=1e-3, t_max=5.0, time_law=law)
    proc = model.process
    ends = model.training_times(jnp.array([0.0, 1.0]))
    np.testing.assert_allclose(ends, [proc.t_min, proc.t_max], rtol=1e-9)
    u = jnp.linspace(0.1, 0.9, 9)
    t = model.training_times(u)
    dt_du = jax.vmap(jax.grad(model.training_times))(u)
    if law == "likelihood":
        Z = np.log(np.expm1(proc.beta * proc.t_max)) - np.log(np.expm1(proc.beta * proc.t_min))
        q = proc.beta / (Z * proc.sigma2(t))
    else:
        q = 1.0 / (t * np.log(proc.t_max / proc.t_min))
    np.testing.assert_allclose(1.0 / dt_du, q, rtol=1e-9)


def test_bad_time_law_names_the_parameter():
    with pytest.raises(ValueError, match="time_law"):
        lab.ScoreNetDiffusion(4, time_law="uniform")
