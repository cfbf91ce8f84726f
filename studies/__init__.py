"""Study registry: one module per figure. ``python -m lab studies`` lists them, ``python -m lab run NAME`` runs one."""
from __future__ import annotations

import importlib

# name -> module path; order is the gallery's order.
REGISTRY = {
    "gaussian_collapse": "studies.gaussian_collapse",
    "estimator_choice": "studies.estimator_choice",
    "sampling_bias": "studies.sampling_bias",
    "tail_loss": "studies.tail_loss",
    "kde_worlds": "studies.kde_worlds",
    "regression": "studies.regression",
    "mixture_modes": "studies.mixture_modes",
    "self_correction": "studies.self_correction",
    "stability": "studies.stability",
    "curation": "studies.curation",
    "curation_mixture": "studies.curation_mixture",
    "verification": "studies.verification",
    "phase_transition": "studies.phase_transition",
    "real_share": "studies.real_share",
    "score_net_loop": "studies.score_net_loop",
    "remedies_compared": "studies.remedies_compared",
    "sims_toy": "studies.sims_toy",
    "sims_digits": "studies.sims_digits",
    "sims_loop": "studies.sims_loop",
    "sims_pollution": "studies.sims_pollution",
    "sims_shift": "studies.sims_shift",
    "peers_reproduced": "studies.peers_reproduced",
}

# The SIMS suite (issue 6): ``python -m lab sims --preset P`` runs these at P; their PRESETS also hold quick/full.
SIMS = ("sims_toy", "sims_digits", "sims_loop", "sims_pollution", "sims_shift")
SIMS_PRESETS = ("cpu-quick", "cpu-full", "gpu")


def names() -> list[str]:
    return list(REGISTRY)


def load(name: str):
    if name not in REGISTRY:
        raise ValueError(f"study must be one of {names()}, got {name!r}")
    return importlib.import_module(REGISTRY[name])
