import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Tails: which words a model forgets first

    A categorical model refitted on M of its own samples loses every category that gets no draw, and a lost category
    never comes back, so the rare ones (the tail of a Zipf law) vanish first. The frequencies are a martingale, so the
    loop ends on a single category, category i with probability p₀(i): Shumailov et al., "AI models collapse when
    trained on recursively generated data" (*Nature* 2024, discrete case; THEORY D1). Sampling at a temperature
    τ ≠ 1 makes it worse: τ < 1 rushes to the mode, τ > 1 first flattens what is left (Marchi et al. 2024, D3).
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
    from lab.theory import categorical
    return categorical, lab, matplotlib, mo, np, shared


@app.cell
def _(lab, np, shared):
    K, S = 20, 1.1  # categories and exponent of the Zipf truth, p(i) ∝ 1/i^S
    M = 50  # samples per generation (generation 0 is an empirical fit to M real samples)
    G_MAX = 200  # every run goes this far; the generation slider only moves the view
    REPLICATES = 300
    TEMPERATURES = [0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0]
    P0 = np.asarray(lab.zipf(K, S))


    @shared.cached
    def run(*, temperature, k=K, s=S, m=M, generations=G_MAX, replicates=REPLICATES, seed=0):
        """Replace loop of empirical refits sampled at temperature τ: per-rank loss, fixation and mean law."""
        ds = lab.simulate(lab.Categorical(lab.zipf(k, s)), lab.CategoricalFit(k, temperature=temperature),
                          lab.Replace(), n=m, generations=generations, replicates=replicates, key=seed, metrics=[])
        q = ds["probs"].values  # (replicate, generation, k)
        fixed = q.max(-1) >= 1.0 - 1e-12  # (replicate, generation)
        final = q[:, -1].argmax(-1)
        return {"lost": (q <= 0).mean(0),  # (generation, k): Pr(rank lost by generation t)
                "support": (q > 0).sum(-1).mean(0), "fixed": fixed.mean(0),
                "fix_counts": np.bincount(final[fixed[:, -1]], minlength=k),
                "mean_law": q.mean(0), "law_se": q.std(0, ddof=1) / np.sqrt(replicates)}


    def warm():
        """Every slider value (``make demos`` calls this before serving)."""
        return shared.warm(run, temperature=TEMPERATURES)
    return G_MAX, K, M, P0, REPLICATES, TEMPERATURES, run, warm


@app.cell
def _(G_MAX, TEMPERATURES, mo):
    temperature = mo.ui.slider(steps=TEMPERATURES, value=1.0, label="sampling temperature τ", show_value=True)
    t_view = mo.ui.slider(0, G_MAX, step=5, value=20, label="generation t", show_value=True)
    mo.hstack([temperature, t_view], justify="start", gap=2)
    return t_view, temperature


@app.cell
def _(run, temperature):
    tau = temperature.value
    sim = run(temperature=tau)
    return sim, tau


@app.cell
def _(G_MAX, K, M, P0, REPLICATES, categorical, matplotlib, np, shared, sim, t_view, tau):
    t = t_view.value
    ranks = np.arange(1, K + 1)
    _fig = matplotlib.figure.Figure(figsize=shared.FIGSIZE, dpi=shared.DPI, layout="constrained")
    _a, _b, _c = _fig.subplots(1, 3)
    # (a) which ranks vanish first; dashed: Pr(no draw among M) = (1 − p)^M, generation 0's loss (D1)
    _a.plot(ranks, sim["lost"][t], "o-", ms=3, label=f"simulated, generation {t}")
    _a.plot(ranks, categorical.one_step_loss_probability(P0, M), "k--", lw=1.2, label="(1 − p₀)^M: lost at t = 0")
    _a.set(title="Pr(rank lost by generation t)", xlabel="Zipf rank (1 = most frequent)", ylim=(-0.03, 1.03))
    _a.legend(fontsize=8, loc="lower right")
    # (b) where the loop ends: share of fixed runs on each rank against p₀ (D1: exact for τ = 1)
    _R = int(sim["fix_counts"].sum())
    _freq = sim["fix_counts"] / max(_R, 1)
    _b.bar(ranks, _freq, color="C0", alpha=0.7, label=f"simulated ({_R} of {REPLICATES} fixed by t = {G_MAX})")
    _b.plot(ranks, categorical.fixation_probabilities(P0), "k_", ms=12, mew=2,
            label="p₀(i) (D1, τ = 1)" if tau == 1.0 else "p₀(i) (D1 holds at τ = 1 only)")
    _b.set(title="Pr(the loop ends on rank i)", xlabel="Zipf rank", ylim=(0, 1.02))
    _b.legend(fontsize=8)
    # (c) how many ranks survive, and how many runs have fixed
    _tt = np.arange(G_MAX + 1)
    _c.plot(_tt, sim["support"], color="C0", label="mean number of ranks alive")
    _c.axvline(t, color="gray", lw=0.8)
    _c2 = _c.twinx()
    _c2.plot(_tt, sim["fixed"], color="C3", label="share of runs fixed (right)")
    _c2.set(ylim=(0, 1.02))
    _c.set(title="support shrinks, runs fix", xlabel="generation t", xscale="symlog", xlim=(0, G_MAX),
           ylim=(0, K + 0.5))
    _h1, _l1 = _c.get_legend_handles_labels()
    _h2, _l2 = _c2.get_legend_handles_labels()
    _c.legend(_h1 + _h2, _l1 + _l2, fontsize=8, loc="center left")
    _fig.suptitle(f"Zipf(k = {K}, s = 1.1), M = {M} samples per generation, τ = {tau}, {REPLICATES} replicates",
                  fontsize=10)
    _fig
    return (t,)


@app.cell
def _(G_MAX, M, P0, REPLICATES, categorical, mo, np, sim, tau):
    # Checked by the headless test. At τ = 1 the frequencies are a martingale, so E[p̂_t(i)] = p₀(i) at EVERY t
    # (D1), with the replicates' SE (p̂ is bounded, so that SE is honest); and a rank lost at generation 0 is lost
    # with probability (1 − p₀)^M exactly (binomial SE). Both are exact only at τ = 1.
    key_numbers = {}
    if tau == 1.0:
        key_numbers["mean law, rank 1, t = G"] = {"simulated": float(sim["mean_law"][G_MAX, 0]), "exact": float(P0[0]),
                                                  "se": float(sim["law_se"][G_MAX, 0])}
        _q = float(categorical.one_step_loss_probability(P0[-1], M))
        key_numbers["Pr(last rank lost at t = 0)"] = {"simulated": float(sim["lost"][0, -1]), "exact": _q,
                                                      "se": float(np.sqrt(_q * (1 - _q) / REPLICATES))}
    _rows = [f"| {k} | {v['simulated']:.4f} | {v['exact']:.4f} | {v['se']:.2g} |" for k, v in key_numbers.items()]
    _half = int(np.argmax(sim["fixed"] >= 0.5)) if sim["fixed"][-1] >= 0.5 else None
    mo.md("\n".join(["| quantity (τ = 1) | simulated | exact | SE |", "|---|---|---|---|", *_rows, ""] if _rows else [
        f"At τ = {tau} the loop is no longer a martingale: D1's exact numbers do not apply."]) + "\n\n" + (
        f"Half of the runs have fixed on one rank by generation {_half}." if _half is not None else
        f"Fewer than half of the runs have fixed by generation {G_MAX}."))
    return (key_numbers,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **What to try.** Move t: the tail (high ranks) is lost first, most of it at generation 0 already, when a rank with
    p₀ ≲ 1/M gets no draw. Move τ below 1: the runs fix within a few generations, nearly always on rank 1. Above 1
    the survivors are pushed toward uniform, so the runs fix later (watch the share fixed in the right panel). Edit
    with `marimo edit demos/tails.py`.
    """)
    return


if __name__ == "__main__":
    app.run()
