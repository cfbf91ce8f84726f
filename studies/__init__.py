"""The studies: one module per figure. ``python -m lab studies`` lists them, ``python -m lab run NAME`` runs one.

This file is data, read by ``lab.registry`` without being imported: ``GALLERY`` is the gallery's order.
"""

GALLERY = (
    "gaussian_collapse",
    "estimator_choice",
    "sampling_bias",
    "tail_loss",
    "kde_worlds",
    "regression",
    "mixture_modes",
    "self_correction",
    "stability",
    "curation",
    "curation_mixture",
    "verification",
    "phase_transition",
    "real_share",
    "score_net_loop",
    "remedies_compared",
    "sims_toy",
    "sims_digits",
    "sims_loop",
    "sims_pollution",
    "sims_shift",
    "peers_reproduced",
)
