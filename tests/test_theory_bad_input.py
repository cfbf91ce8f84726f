"""Bad input to the theory functions added for issues 4 and 5 raises ValueError naming the parameter."""
import numpy as np
import pytest

from lab.theory import correction, kde_mixed, stability


@pytest.mark.parametrize("call, word", [
    (lambda: kde_mixed.mean_mixture(n=10, m=5, hs=[]), "hs"),
    (lambda: kde_mixed.mean_mixture(n=10, m=5, hs=[0.5, -0.1]), "hs"),
    (lambda: kde_mixed.mean_mixture(n=0, m=5, hs=[0.5]), "n"),
    (lambda: kde_mixed.pointwise_variance(np.zeros(3), n=10, m=-1, hs=[0.5]), "m"),
    (lambda: kde_mixed.tv_bounds(n=10, m=5, hs=[0.5, np.nan]), "hs"),
    (lambda: kde_mixed.tv_bounds(n=10, m=5, hs=[0.5], points=1), "points"),
    (lambda: correction.tau(-0.5), "gamma"),
    (lambda: correction.contraction(0.5, np.nan), "gamma"),
    (lambda: correction.contraction(-1.0, 1.0), "ratio"),
    (lambda: stability.perturbed_moments(0.5, 0, 0.5, 0.0, generations=3), "m"),
    (lambda: stability.perturbed_moments(0.5, 10, 0.5, 0.0, generations=-1), "generations"),
])
def test_bad_input_names_the_parameter(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_tau_keeps_its_limits():
    """τ(0) = 0, τ(1) = ½, τ(∞) = 1 exactly (γ = ∞ is the truth itself, allowed)."""
    np.testing.assert_array_equal(correction.tau([0.0, 1.0, np.inf]), [0.0, 0.5, 1.0])
