import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Collapse: a Gaussian refitted on its own samples

    Fit a Gaussian to n real points, draw n points from the fit, fit again, and repeat: the errors of each refit
    compound, so the fitted variance drifts to zero while the mean wanders. Shumailov et al. prove it in "AI models
    collapse when trained on recursively generated data" (*Nature* 2024, Thm 3.1; THEORY G1, G2). Keeping real data in
    every training set prevents it (Gerstgrasser et al. 2024, "Is model collapse inevitable?", G5; Alemohammad et al.,
    ICLR 2024, "Self-consuming generative models go MAD", G4).

    *Solid lines: simulation; dashed: the exact expectation from `lab.theory`.*
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
    from lab.theory import gaussian, pooled
    return gaussian, lab, matplotlib, mo, np, pooled, shared


@app.cell
def _(lab, np, shared):
    N_STEPS = [10, 20, 50, 100]  # real samples n (and synthetic samples per generation)
    G_MAX = 100  # every run goes this far; the generations slider only cuts the view
    REPLICATES = 400  # independent runs per setting; the first PATHS are drawn
    PATHS = 5
    REGIMES = ("Replace", "Accumulate", "Augment", "Fresh")
    ESTIMATORS = {"MLE (divide by n)": 0, "unbiased (divide by n − 1)": 1}


    def make_regime(name, n):
        """The four loops of the lab (THEORY G4, G5); Fresh splits each generation's n points half real, half synthetic."""
        return {"Replace": lab.Replace(), "Accumulate": lab.Accumulate(), "Augment": lab.Augment(synthetic=n),
                "Fresh": lab.Fresh(real=n // 2, synthetic=n // 2)}[name]


    @shared.cached
    def run(*, regime, n, ddof, generations=G_MAX, replicates=REPLICATES, seed=0):
        """Truth N(0, 1), Gaussian refit: means and standard errors over replicates of σ²_t, log σ²_t and W₂²_t."""
        ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(ddof=ddof), make_regime(regime, n), n=n,
                          generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.W2()])
        var = ds["cov"].values[..., 0, 0]  # (replicate, generation)
        out = {}
        for name, a in (("var", var), ("logvar", np.log(var)), ("w2sq", ds["w2"].values ** 2)):
            out[name] = a.mean(0)
            out[name + "_se"] = a.std(0, ddof=1) / np.sqrt(replicates)
            out[name + "_paths"] = a[:PATHS]
        return out


    def warm():
        """Every slider value (``make demos`` calls this before serving)."""
        return shared.warm(run, regime=list(REGIMES), n=N_STEPS, ddof=list(ESTIMATORS.values()))
    return ESTIMATORS, G_MAX, N_STEPS, REGIMES, REPLICATES, make_regime, run, warm


@app.cell
def _(ESTIMATORS, G_MAX, N_STEPS, REGIMES, mo):
    n_slider = mo.ui.slider(steps=N_STEPS, value=20, label="n (real samples, and samples per generation)",
                            show_value=True)
    generations = mo.ui.slider(10, G_MAX, step=10, value=G_MAX, label="generations shown", show_value=True)
    regime = mo.ui.radio(list(REGIMES), value="Replace", label="regime", inline=True)
    estimator = mo.ui.radio(list(ESTIMATORS), value="MLE (divide by n)", label="variance estimator", inline=True)
    mo.vstack([mo.hstack([n_slider, generations], justify="start", gap=2),
               mo.hstack([regime, estimator], justify="start", gap=2)])
    return estimator, generations, n_slider, regime


@app.cell
def _(ESTIMATORS, estimator, generations, n_slider, regime, run):
    n, G, ddof, name = n_slider.value, generations.value, ESTIMATORS[estimator.value], regime.value
    sim = run(regime=name, n=n, ddof=ddof)
    return G, ddof, n, name, sim


@app.cell
def _(G, G_MAX, ddof, gaussian, make_regime, n, name, np, pooled):
    t_all = np.arange(G_MAX + 1)
    # Exact curves. E[σ²_t]: the lab's pooled moment recursion for every regime (lab.theory.pooled; G1, G2, G5).
    # E[log σ²_t] and E[W₂²_t]: closed forms for Replace only (lab.theory.gaussian.log_variance_mean, G1;
    # w2_sq_mean, G2 with THEORY M1); the other regimes get Replace's curve as a dotted reference.
    exact = {"var": pooled.moments(make_regime(name, n), n=n, generations=G_MAX, ddof=ddof)["cov"]}
    replace_exact = {"var": gaussian.variance_mean(t_all, n=n, ddof=ddof),
                     "logvar": gaussian.log_variance_mean(t_all, n=n, ddof=ddof),
                     "w2sq": gaussian.w2_sq_mean(t_all, n=n, ddof=ddof)}
    if name == "Replace":
        exact.update(replace_exact)
    t = t_all[: G + 1]
    return exact, replace_exact, t


@app.cell
def _(G, exact, matplotlib, n, name, replace_exact, sim, t, shared):
    _fig = matplotlib.figure.Figure(figsize=shared.FIGSIZE, dpi=shared.DPI, layout="constrained")
    _axes = _fig.subplots(1, 3)
    _titles = {"var": "fitted variance σ²_t", "logvar": "log σ²_t", "w2sq": "W₂²(model_t, truth)"}
    for _ax, _key in zip(_axes, ("var", "logvar", "w2sq")):
        for _path in sim[_key + "_paths"]:
            _ax.plot(t, _path[: G + 1], color="C0", lw=0.6, alpha=0.45)
        _m, _se = sim[_key][: G + 1], sim[_key + "_se"][: G + 1]
        _ax.plot(t, _m, color="C0", lw=2, label="simulation: mean ± 2 SE")
        _ax.fill_between(t, _m - 2 * _se, _m + 2 * _se, color="C0", alpha=0.25, lw=0)
        if _key in exact:
            _ax.plot(t, exact[_key][: G + 1], "k--", lw=1.4, label=f"exact E[·], {name}")
        if name != "Replace":
            _ax.plot(t, replace_exact[_key][: G + 1], ":", color="gray", lw=1.4, label="exact E[·], Replace")
        _ax.set(title=_titles[_key], xlabel="generation t")
    _axes[0].set_yscale("log")
    _axes[2].set_yscale("log")
    _axes[0].legend(fontsize=8, loc="lower left")
    _fig.suptitle(f"{name}, n = {n}: thin lines = {len(sim['var_paths'])} replicate paths", fontsize=10)
    _fig
    return


@app.cell
def _(G, REPLICATES, ddof, exact, gaussian, mo, n, name, np, sim):
    # Standard errors: from the theory's own variance where lab.theory has it (Replace: variance_var,
    # log_variance_var), else from the replicates. σ²_t is a product of t + 1 random factors, so its mean is carried
    # by rare paths: the replicates' spread underestimates it, and only the theory's SE is an honest tolerance.
    _theory_var = {"var": gaussian.variance_var, "logvar": gaussian.log_variance_var} if name == "Replace" else {}
    key_numbers, _rows = {}, []
    for _k in ("var", "logvar", "w2sq"):
        if _k not in exact:
            continue
        if _k in _theory_var:
            _se, _how = float(np.sqrt(_theory_var[_k](G, n=n, ddof=ddof) / REPLICATES)), "theory"
        else:
            _se, _how = float(sim[_k + "_se"][G]), "replicates"
        _entry = {"simulated": float(sim[_k][G]), "exact": float(exact[_k][G]), "se": _se}
        if _how == "theory" or _k != "w2sq":  # W₂² under Replace is heavy-tailed too and has no variance formula
            key_numbers[_k] = _entry
        else:
            _how = "replicates; too small: heavy tails"
        _label = {"var": "E[σ²_t]", "logvar": "E[log σ²_t]", "w2sq": "E[W₂²_t]"}[_k]
        _rows.append(f"| {_label} at t = {G} | {_entry['simulated']:.4g} | {_entry['exact']:.4g} | {_se:.2g} ({_how}) |"
                     f" {(_entry['simulated'] - _entry['exact']) / _se:+.1f} |")
    _drift = (sim["logvar"][G] - sim["logvar"][0]) / max(G, 1)
    mo.md("\n".join([
        f"| quantity ({name}, {REPLICATES} replicates) | simulated | exact | SE (from) | difference in SE |",
        "|---|---|---|---|---|", *_rows, "",
        f"The mean of log σ²_t changes by {_drift:+.3f} per generation here: when it falls linearly, σ²_t → 0 for "
        "almost every run, even where E[σ²_t] stays put (the unbiased estimator under Replace: a martingale that "
        "collapses, THEORY G2). The mean of σ²_t is carried by a few rare paths, which is why it converges slowly."]))
    return (key_numbers,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **What to try.** Replace with the MLE: σ²_t decays like ((n − 1)/n)^(t+1). Switch to the unbiased estimator: the
    mean of σ²_t stays at 1, yet the paths still sink (log σ²_t falls linearly) and W₂² grows like t/n. Accumulate,
    Augment and Fresh keep real data in every training set, and the error stays bounded. Edit this notebook with
    `marimo edit demos/collapse.py`.
    """)
    return


if __name__ == "__main__":
    app.run()
