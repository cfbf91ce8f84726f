"""Theory as oracle for the remedies: stability with real data (S1), idealized self-correction (S2), curation (C1).
Tolerances: 5 standard errors (robust regression errors, or sample standard deviations, as stated per test)."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lab
from lab.theory import curation as C
from lab.theory import stability as S

Z = 5.0
G1 = lab.Gaussian([0.0], [[1.0]])


# ---- S1 / S2: closed forms --------------------------------------------------------------------------------------

def test_hessian_matches_autodiff():
    mean, var = 0.3, 1.7

    def expected_loglik(theta):  # E_{p_data}[log p_θ] for p_data with this mean and variance
        mu, v = theta
        return -0.5 * jnp.log(2 * jnp.pi * v) - (var + (mean - mu) ** 2) / (2 * v)

    for mu, v in ((0.3, 1.7), (-0.2, 1.1), (1.0, 2.5)):
        H = jax.hessian(expected_loglik)(jnp.array([mu, v]))
        assert np.allclose(H, S.expected_hessian(mu, v, mean=mean, var=var), rtol=1e-12)
    assert np.isclose(-np.linalg.eigvalsh(S.expected_hessian(mean, var, mean=mean, var=var)).max(), S.alpha(var))


@given(st.floats(0.0, 0.9), st.lists(st.floats(-1, 1), min_size=4, max_size=4))
def test_lipschitz_constant_bounds_the_hessian_variation(radius, u):
    a, b = np.array(u[:2]) * radius, np.array(u[2:]) * radius
    if np.allclose(a, b):
        return
    Ha = S.expected_hessian(a[0], 1 + a[1])
    Hb = S.expected_hessian(b[0], 1 + b[1])
    assert np.linalg.norm(Ha - Hb, 2) <= S.lipschitz(radius) * np.linalg.norm(a - b) * (1 + 1e-9)


@given(st.floats(0.01, 5.0), st.floats(0.0, 10.0), st.floats(0.001, 0.3), st.floats(0, 2 * np.pi))
def test_infinite_sample_contraction_is_kappa_and_obeys_S1(ratio, gamma, eps, angle):
    """Exact map: measured contraction = λ_r/((1+λ_r)(1+γ)); where S1's condition (1/2) holds,
    ‖θ_t − θ*‖ ≤ (ρ/(1+γ))^t ‖θ₀ − θ*‖ for every t."""
    errs = S.trajectory(eps * np.cos(angle), eps * np.sin(angle), ratio, gamma, generations=25)
    k = S.kappa(ratio, gamma)
    assert abs(S.log_slope(errs[-8:]) - k) < 1e-3 * k + 1e-9 or np.linalg.norm(errs[-1]) < 1e-250
    a, L = S.alpha(1.0), S.lipschitz(eps)
    r = S.rho(ratio, alpha=a, L=L, eps=eps, gamma=gamma)
    assert k <= r
    if S.stable(ratio, alpha=a, L=L, eps=eps):
        d = np.linalg.norm(errs, axis=1)
        assert np.all(d <= r ** np.arange(d.size) * d[0] * (1 + 1e-12))


# ---- S1 / S2: finite samples against lab.simulate -----------------------------------------------------------------

@pytest.mark.parametrize("ratio,gamma", [(0.5, 0.0), (3.0, 0.0), (3.0, 1.0)])
def test_weighted_loop_mean_contraction(ratio, gamma):
    """lab.Weighted (+ lab.Correct(γ, Ideal)): least-squares slope of the mean's deviation from its fixed point equals
    κ = λ_r/((1+λ_r)(1+γ)) within 5 robust standard errors."""
    transforms = [lab.Correct(gamma)] if gamma else []
    R, T = 400, 12
    ds = lab.simulate(G1, lab.GaussianFit(), lab.Weighted(ratio, transforms=transforms), n=20, generations=T,
                      replicates=R, key=21, metrics=[])
    mu = ds["mean"].values[..., 0]
    slope, se = S.mean_contraction(mu, real_mean=mu[:, 0], ratio=ratio, gamma=gamma)
    assert abs(slope - S.kappa(ratio, gamma)) < Z * se


def test_weighted_loop_variance_recursion():
    """E[v_t / v̂] (v̂ = the real set's MLE variance = v_0) follows the exact finite-sample recursion."""
    ratio, n, m, R, T = 2.0, 20, 10, 2000, 10
    ds = lab.simulate(G1, lab.GaussianFit(), lab.Weighted(ratio, synthetic=m), n=n, generations=T, replicates=R,
                      key=22, metrics=[])
    v = ds["cov"].values[..., 0, 0]
    rel = v / v[:, :1]
    a, _ = S.finite_moments(ratio, m, generations=T)
    assert np.all(np.abs(rel.mean(0) - a) <= Z * rel.std(0) / np.sqrt(R) + 1e-12)
    assert np.isclose(a[-1], S.finite_variance_fixed_point(ratio, m), rtol=1e-3)


# ---- C1: curation ------------------------------------------------------------------------------------------------

def _enumerate(p, r, K):
    """C_K(p) by summing over all K-tuples of candidates (independent of the integral formula)."""
    a, out = np.exp(r), np.zeros(len(p))
    for c in itertools.product(range(len(p)), repeat=K):
        c = list(c)
        for i, j in enumerate(c):
            out[j] += np.prod(p[c]) * a[c[i]] / a[c].sum()
    return out


@pytest.mark.parametrize("K", [1, 2, 3, 5])
def test_exact_curated_update_matches_enumeration(K):
    p, r = np.array([0.5, 0.3, 0.15, 0.05]), np.array([0.0, 1.0, -2.0, 3.0])
    q, err = C.curated(p, r, K, with_error=True)
    assert np.allclose(q, _enumerate(p, r, K), rtol=0, atol=1e-12) and err < 1e-10
    assert np.isclose(q.sum(), 1.0, atol=1e-12)


def test_large_K_tends_to_the_tilted_law_and_pure_curation_collapses_onto_argmax():
    p, r = np.array([0.4, 0.3, 0.2, 0.1]), np.array([1.0, 0.0, 1.0, -1.0])
    assert np.abs(C.curated(p, r, 4000) - C.curated(p, r, np.inf)).max() < 1e-3
    traj = C.trajectory(p, r, np.inf, generations=60)
    assert np.allclose(traj[-1], C.limit_law(p, r), atol=1e-12)  # p₀ on argmax r: (0.4, 0.2)/0.6
    assert np.allclose(C.limit_law(p, r), [2 / 3, 0, 1 / 3, 0])


laws = st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6).map(lambda v: np.array(v) / np.sum(v))


@given(laws, st.data())
def test_infinite_K_never_lowers_expected_exp_reward(p, data):
    r = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=len(p), max_size=len(p))))
    traj = C.trajectory(p, r, np.inf, generations=10)
    e = C.expected_exp_reward(traj, r)
    assert np.all(np.diff(e) >= -1e-12 * e[:-1])


@given(laws, st.data(), st.integers(2, 6))
def test_finite_K_reward_gain_bound(p, data, K):
    """Ferbach: E_{p_{t+1}}[e^r] ≥ E_{p_t}[e^r] + ((K−1)/K)·Var_{p_t}[e^r]/e^{r*} (secondary in THEORY C1)."""
    r = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=len(p), max_size=len(p))))
    gain = C.expected_exp_reward(C.curated(p, r, K), r) - C.expected_exp_reward(p, r)
    assert gain >= C.reward_gain_bound(p, r, K) - 1e-10


@given(laws, st.data(), st.integers(2, 6), st.floats(0.01, 0.99))
def test_kl_bound_with_real_data(p_ref, data, K, frac):
    """λ_c = frac/(K−1) < 1/(K−1): KL(p_t ‖ p_ref) ≤ −log(1 − λ_c(K−1)) along the exact trajectory."""
    r = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=len(p_ref), max_size=len(p_ref))))
    ratio = frac / (K - 1)
    traj = C.trajectory(p_ref, r, K, generations=15, ratio=ratio)
    assert max(C.kl(q, p_ref) for q in traj) <= C.kl_bound(K, ratio) + 1e-10


@pytest.mark.parametrize("regime,ratio", [(lab.Replace(synthetic=200), 0.0), (lab.Weighted(0.5, synthetic=200), 0.5)])
def test_curated_loop_matches_exact_update(regime, ratio):
    """lab.Curate on a categorical loop: E[p̂_1 | p̂_0] = (p̂_0·[ratio>0] + λ_c C_K(p̂_0))/(1 + λ_c) (C_K(p̂_0) under
    Replace); 5 standard errors from the sample standard deviation; and E[e^r] rises."""
    K, R = 3, 300
    p = lab.zipf(4, 1.0)
    r = np.array([-1.0, 0.0, 2.0, 0.5])
    curate = lab.Curate(lab.TableReward(r), K=K)
    regime = type(regime)(**{**{f: getattr(regime, f) for f in regime.__dataclass_fields__}, "transforms": [curate]})
    ds = lab.simulate(lab.Categorical(p), lab.CategoricalFit(4), regime, n=200, generations=1, replicates=R, key=31,
                      metrics=[])
    p0, p1 = ds["probs"].values[:, 0], ds["probs"].values[:, 1]
    pred = np.stack([C.mixed_step(q, r, K, ratio=ratio, p_ref=q) if ratio else C.curated(q, r, K) for q in p0])
    diff = p1 - pred
    assert np.all(np.abs(diff.mean(0)) < Z * diff.std(0) / np.sqrt(R) + 1e-15)
    gain = C.expected_exp_reward(p1, r) - C.expected_exp_reward(p0, r)
    assert gain.mean() > Z * gain.std() / np.sqrt(R)


def test_curated_update_stays_on_simplex_when_iterated():
    """Regression: C_K is homogeneous of degree K in p, so rounding drift in Σp used to grow K-fold per generation and
    overflow after ~30 generations (K = 5). Iterating 200 times must stay a probability vector."""
    import numpy as np

    from lab.theory import curation as C

    p = np.array([0.3, 0.2, 0.15, 0.15, 0.1, 0.1])
    r = np.array([1.0, 0.2, 1.0, 0.0, 0.5, 0.3])
    for _ in range(200):
        p = C.curated(p, r, 5)
    assert np.all(np.isfinite(p)) and abs(p.sum() - 1) < 1e-12
    assert p[0] / p[2] == pytest.approx(0.3 / 0.15, rel=1e-6)  # collapse onto argmax r in proportion to p₀
