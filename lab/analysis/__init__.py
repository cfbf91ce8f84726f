"""What decides a figure: paired tests over seeds with a multiple-comparison correction, the equivalence reading,
agreement of a simulation with a closed form in standard errors, slope fits, one ``Verdict`` type; ``sweep`` for grids
of settings; plot helpers that take an ``ax`` and return it.

The paired rule (the SIMS studies' rule family; a study that uses it names it in its figure):
- Comparisons are *paired over seeds*: both arms of a comparison share a seed's data, training keys and sampler
  noises (common random numbers), so the unit of evidence is the per-seed difference d_s = a_s − b_s, s = 1 … S.
- mean d̄, standard error SE = sd(d, ddof = 1) / √S, and Student's t with S − 1 degrees of freedom.
- "a is significantly greater than b" at level α: the one-sided lower confidence bound d̄ − q·SE > 0 with
  q = t_{1 − α/m}(S − 1). m is the Bonferroni correction: the number of ω values searched when the compared ω* was
  picked on the same seeds it is judged on (m = 1 when nothing was picked). With one seed there is no error estimate:
  q = ∞, and nothing is significant (nor equivalent).
- Level: α = 0.05 one-sided (``ALPHA``) unless a study states otherwise.
- Guard tests ("W₂ not significantly worse") use the *uncorrected* level α: a stricter check against the claim.
- Claims that need several tests to pass together (gain AND no harm; every pollution share; gain over the base AND
  over the control) are intersection–union tests: each at level α keeps the whole at level α, no further correction.
- Equivalence-style claims ("no MAD") need evidence *for* a small drift, not absence of evidence of a large one: a
  drift *holds* only if the one-sided upper confidence bound d̄ + q·SE lies below a stated margin; it *goes MAD* if
  the lower bound d̄ − q·SE lies above 0; otherwise it is *inconclusive* (``equivalence``).

Agreement with theory (``agreement``): z = (simulation mean − closed form) / simulation SE at each point; the two agree
when every |z| ≤ k (k = 5 by default), k stated beside the figure.
"""
from lab.analysis.agreement import Agreement, SlopeFit, agreement, slope_fit
from lab.analysis.paired import ALPHA, Paired, best_index, equivalence, paired, searched, t_quantile
from lab.analysis.plots import (band, densities, scatter_over_contours, summarize, theory,
                                 overlay, legend_below, seed_curve, image_grid)
from lab.analysis.sweep import sweep
from lab.analysis.verdict import STATUSES, Verdict, verdict_word

__all__ = ["ALPHA", "Paired", "paired", "t_quantile", "equivalence", "best_index", "searched", "Agreement",
           "agreement", "SlopeFit", "slope_fit", "Verdict", "STATUSES", "verdict_word", "sweep", "summarize", "band",
           "theory", "densities", "scatter_over_contours", "overlay", "legend_below", "seed_curve", "image_grid"]
