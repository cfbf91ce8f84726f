import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Mixing real data: does more synthetic data help or hurt?

    Each generation trains on n real points plus m samples of the previous model, and the question is how the
    distance to the truth depends on m. Fu et al. ("Towards theoretical understandings of self-consuming generative
    models", ICML 2024; THEORY F1) find a phase transition: as m grows the TV distance first rises, then falls. Whether
    you see it depends on the real data: with one FIXED real set (`lab.Augment`, as in Bertrand et al., ICLR 2024) the
    Gaussian refit rises then falls, with FRESH real data every generation (`lab.Fresh`) it falls then rises, and the
    lab's bound for the fresh case (`lab.theory.mixed_cov.tv_bound`) has that shape too.
    """)
    return


@app.cell
def _():
    import sys

    import marimo as mo

    sys.path.insert(0, str(mo.notebook_dir()))
    import _shared as shared
    import matplotlib.figure
    import numpy as np

    shared.enable_compilation_cache()
    import lab
    from lab.theory import mixed_cov, pooled
    return lab, matplotlib, mixed_cov, mo, np, pooled, shared


@app.cell
def _(lab, mixed_cov, np, shared):
    N = 20  # real points per generation (the same set under Augment, new ones under Fresh); generation 0 fits them
    M_STEPS = [5, 10, 20, 40, 80, 160, 320, 640]  # synthetic points per generation
    I_MAX = 5  # generations after generation 0
    REPLICATES = 2000
    DDOF = 1  # unbiased variance, as in lab.theory.mixed_cov's examples and the phase_transition study
    REGIMES = {"Augment (fixed real set)": lambda m: lab.Augment(synthetic=m),
               "Fresh (new real data)": lambda m: lab.Fresh(real=N, synthetic=m)}


    @shared.cached
    def run(*, regime, m, n=N, generations=I_MAX, replicates=REPLICATES, ddof=DDOF, seed=0):
        """Truth N(0, 1), Gaussian refit: exact TV(model_i, truth) per replicate; mean and SE per generation.
        Both regimes use the same seed, so generation 0 (the fit to the real set) is shared."""
        ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof), REGIMES[regime](m), n=n,
                          generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.TV()])
        tv, d2 = ds["tv"].values, ds["mean"].values[..., 0] ** 2  # (replicate, generation)
        return {"tv": tv.mean(0), "se": tv.std(0, ddof=1) / np.sqrt(replicates),
                "mean_sq": d2.mean(0), "mean_sq_se": d2.std(0, ddof=1) / np.sqrt(replicates)}


    def bound(m, i):
        """The lab's RIGOROUS bound on E[TV] under Fresh(N, m) at generation i (mean part + covariance part)."""
        return mixed_cov.tv_bound(n=N, m=m, i=i, ddof=DDOF)


    BOUNDS = np.array([[bound(m, i) for i in range(I_MAX + 1)] for m in M_STEPS])  # (m, i), cheap: exact moments


    def warm():
        """Every slider value (``make demos`` calls this before serving)."""
        return shared.warm(run, regime=list(REGIMES), m=M_STEPS)
    return BOUNDS, DDOF, I_MAX, M_STEPS, N, REGIMES, REPLICATES, run, warm


@app.cell
def _(I_MAX, M_STEPS, mo):
    m_slider = mo.ui.slider(steps=M_STEPS, value=40, label="m (synthetic points per generation)", show_value=True)
    i_slider = mo.ui.slider(1, I_MAX, step=1, value=I_MAX, label="generation i", show_value=True)
    mo.hstack([m_slider, i_slider], justify="start", gap=2)
    return i_slider, m_slider


@app.cell
def _(M_STEPS, REGIMES, run):
    # the whole m curve for both regimes: every point is cached, so only the first visit simulates
    curves = {r: [run(regime=r, m=m) for m in M_STEPS] for r in REGIMES}
    return (curves,)


@app.cell
def _(BOUNDS, I_MAX, M_STEPS, N, REGIMES, REPLICATES, curves, i_slider, m_slider, matplotlib, np, shared):
    m, i = m_slider.value, i_slider.value
    j = M_STEPS.index(m)
    _fig = matplotlib.figure.Figure(figsize=shared.FIGSIZE, dpi=shared.DPI, layout="constrained")
    _a, _b = _fig.subplots(1, 2)
    _ms = np.array(M_STEPS)
    for _c, _r in zip(("C1", "C0"), REGIMES):
        _tv = np.array([c["tv"][i] for c in curves[_r]])
        _se = np.array([c["se"][i] for c in curves[_r]])
        _a.errorbar(_ms, _tv, yerr=2 * _se, fmt="o-", ms=4, color=_c, capsize=2, label=f"{_r}, simulated ± 2 SE")
        _t = np.arange(I_MAX + 1)
        _b.errorbar(_t, curves[_r][j]["tv"], yerr=2 * curves[_r][j]["se"], fmt="o-", ms=4, color=_c, capsize=2,
                    label=_r)
    _g0 = curves[list(REGIMES)[0]][0]["tv"][0]
    _a.axhline(_g0, color="gray", ls=":", lw=1, label="generation 0 (real data only)")
    _a.plot(_ms, BOUNDS[:, i], "k--", lw=1.2, label="bound on E[TV], Fresh (mixed_cov.tv_bound)")
    _a.axvline(m, color="gray", lw=0.8)
    _a.set(xscale="log", title=f"E[TV(model_i, truth)] at generation i = {i}", xlabel="m (synthetic per generation)")
    _a.legend(fontsize=7, loc="center right")
    _b.plot(np.arange(I_MAX + 1), BOUNDS[j], "k--", lw=1.2, label="bound, Fresh")
    _b.axvline(i, color="gray", lw=0.8)
    _b.set(title=f"E[TV] over generations at m = {m}", xlabel="generation i", ylim=(0, None))
    _b.legend(fontsize=8)
    _fig.suptitle(f"Truth N(0, 1), Gaussian refit (unbiased variance), n = {N} real points per generation, "
                  f"{REPLICATES} replicates", fontsize=10)
    _fig
    return i, j, m


@app.cell
def _(DDOF, I_MAX, N, REGIMES, curves, i, j, m, pooled):
    # Checked by the headless test: E[(μ_i − μ)²] against its exact value b_i from the lab's moment recursion
    # (lab.theory.pooled; THEORY G4, G5), for both regimes at the current m and i.
    key_numbers = {}
    for _r, _make in REGIMES.items():
        _b = pooled.moments(_make(m), n=N, generations=I_MAX, ddof=DDOF)["mean_sq"]
        key_numbers[f"E[(μ_i − μ)²], {_r}"] = {"simulated": float(curves[_r][j]["mean_sq"][i]), "exact": float(_b[i]),
                                               "se": float(curves[_r][j]["mean_sq_se"][i])}
    return (key_numbers,)


@app.cell
def _(BOUNDS, M_STEPS, REGIMES, curves, i, key_numbers, mo, np):
    # Checked by the headless test: the shapes at generation i (the argmin / argmax of E[TV] over m, and whether the
    # simulated extreme stands out by more than 3 SE from both ends of the grid), and the Fresh bound holding.
    _aug, _fresh = list(REGIMES)
    _tv = {r: np.array([c["tv"][i] for c in curves[r]]) for r in REGIMES}
    _se = {r: np.array([c["se"][i] for c in curves[r]]) for r in REGIMES}
    _jmax, _jmin = int(np.argmax(_tv[_aug])), int(np.argmin(_tv[_fresh]))
    shape = {
        "augment_peak_m": M_STEPS[_jmax],
        "augment_peak_above_ends_in_se": float(min((_tv[_aug][_jmax] - _tv[_aug][[0, -1]])
                                                   / np.hypot(_se[_aug][_jmax], _se[_aug][[0, -1]]))),
        "fresh_dip_m": M_STEPS[_jmin],
        "fresh_dip_below_ends_in_se": float(min((_tv[_fresh][[0, -1]] - _tv[_fresh][_jmin])
                                                / np.hypot(_se[_fresh][_jmin], _se[_fresh][[0, -1]]))),
        "fresh_bound_slack_min": float(np.min(BOUNDS[:, i] - _tv[_fresh])),
        "fresh_bound_argmin_m": M_STEPS[int(np.argmin(BOUNDS[:, i]))],
    }
    _rise_fall, _fall_rise = shape["augment_peak_above_ends_in_se"] > 3, shape["fresh_dip_below_ends_in_se"] > 3
    mo.md("\n".join([
        f"At generation {i}: with a **fixed real set** E[TV] is highest at m = {shape['augment_peak_m']}, "
        f"{shape['augment_peak_above_ends_in_se']:.1f} SE above both ends of the grid "
        f"({'an interior peak: F1' + chr(39) + 's rise then fall' if _rise_fall else 'no clear interior peak'}); "
        f"with **fresh real data** it is lowest at m = {shape['fresh_dip_m']}, "
        f"{shape['fresh_dip_below_ends_in_se']:.1f} SE below both ends "
        f"({'fall then rise' if _fall_rise else 'no clear interior dip'}); the bound, lowest at "
        f"m = {shape['fresh_bound_argmin_m']} on this grid, "
        f"stays above the simulation by at least {shape['fresh_bound_slack_min']:.3f}.", "",
        "| quantity at the sliders' m and i | simulated | exact (`lab.theory.pooled`) | SE |", "|---|---|---|---|",
        *(f"| {k} | {v['simulated']:.5f} | {v['exact']:.5f} | {v['se']:.2g} |" for k, v in key_numbers.items())]))
    return (shape,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Why fresh data gives a dip.** The synthetic points carry the previous generation's estimate, which is no worse
    than a real-only fit, so a few of them average noise away; very many just copy the previous generation, and as
    m → ∞ the fit returns to generation 0's error (`lab/theory/mixed.py` derives this for the mean). The fixed real
    set's rise then fall is measured here, not derived. The bound is the lab's own (mean part: Jensen on the exact
    E‖μ_i‖²; covariance part: the exact E‖Σ_i − I‖²_F; `lab/theory/mixed_cov.py`): Fu et al.'s own bound is not
    available to us (THEORY F1), and the lab has none for the fixed real set. Edit with `marimo edit demos/mixing.py`.
    """)
    return


if __name__ == "__main__":
    app.run()
