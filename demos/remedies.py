import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Remedies: correction, curation and verification

    Three things can be done to synthetic samples before they are trained on: pull them toward the truth (correction
    of strength γ; Gillman et al., "Self-correcting self-consuming loops for generative model training", ICML 2024),
    keep the best of K by a reward (curation; Ferbach et al., "Self-consuming generative models with curated data
    provably optimize human preferences", NeurIPS 2024), or drop the ones a verifier rejects (Feng et al., "Beyond
    model collapse: scaling up with synthesized data requires verification", 2024). Each has a number that says how
    fast the loop moves per generation: a contraction factor κ(γ), an exactly curated law, an odds factor fpr/tpr.
    Each panel puts that number from `lab.theory` beside the simulation.
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
    from lab.theory import correction, curation, stability, verification
    return correction, curation, lab, matplotlib, mo, np, shared, stability, verification


@app.cell
def _(lab, np, shared, stability):
    # Correction (THEORY S1, S2): truth N(0, 1), n real points, m synthetic per generation weighted by RATIO
    # (lab.Weighted), each synthetic point replaced by a sample of the truth with probability γ/(1 + γ) (lab.Ideal).
    CORR = dict(n=50, synthetic=25, generations=100, replicates=100)
    RATIO = CORR["synthetic"] / CORR["n"]  # λ_r
    GAMMAS = [0.0, 0.1, 0.3, 1.0, 3.0]


    @shared.cached
    def run_correction(*, gamma, n=CORR["n"], synthetic=CORR["synthetic"], generations=CORR["generations"],
                       replicates=CORR["replicates"], seed=0):
        """Measured contraction of the mean (least-squares slope of z_{t+1} on z_t around the fixed point) and W₂."""
        transforms = [lab.Correct(gamma, lab.Ideal())] if gamma else []
        ds = lab.simulate(lab.Gaussian([0.0], [[1.0]]), lab.GaussianFit(),
                          lab.Weighted(synthetic / n, synthetic=synthetic, transforms=transforms), n=n,
                          generations=generations, replicates=replicates, key=seed, metrics=[lab.metrics.W2()])
        mu = ds["mean"].values[..., 0]  # (replicate, generation)
        slope, se = stability.mean_contraction(mu, real_mean=mu[:, 0], ratio=synthetic / n, gamma=gamma)
        w2 = ds["w2"].values
        return {"slope": slope, "slope_se": se, "w2": w2.mean(0), "w2_se": w2.std(0, ddof=1) / np.sqrt(replicates)}
    return CORR, GAMMAS, RATIO, run_correction


@app.cell
def _(lab, np, shared):
    # Curation (THEORY C1): a 6-category law, reward per category with two maximisers (ranks 1 and 3, p₀ 0.25 : 0.12),
    # Replace loop keeping one of K samples with probability ∝ e^r (lab.Curate, lab.TableReward).
    P_CUR = np.array([0.30, 0.25, 0.18, 0.12, 0.09, 0.06])
    REWARD = np.array([0.0, 1.0, 0.4, 1.0, -0.5, 0.7])
    CUR = dict(n=2000, generations=20, replicates=50)
    KS = [1, 2, 3, 5, 10]


    @shared.cached
    def run_curation(*, K, probs=tuple(P_CUR), reward=tuple(REWARD), n=CUR["n"], generations=CUR["generations"],
                     replicates=CUR["replicates"], seed=0):
        """Mean fitted law per generation (and its SE) of the curated Replace loop."""
        p, r = np.array(probs), np.array(reward)
        regime = lab.Replace(transforms=[lab.Curate(lab.TableReward(r), K=K)])
        ds = lab.simulate(lab.Categorical(p), lab.CategoricalFit(len(p)), regime, n=n, generations=generations,
                          replicates=replicates, key=seed, metrics=[])
        q = ds["probs"].values
        top = q[..., r == r.max()].sum(-1)  # mass on argmax r
        exp_r = q @ np.exp(r)  # E_{p̂_t}[e^r]
        return {"top": top.mean(0), "top_se": top.std(0, ddof=1) / np.sqrt(replicates),
                "exp_r": exp_r.mean(0), "exp_r_se": exp_r.std(0, ddof=1) / np.sqrt(replicates)}
    return CUR, KS, P_CUR, REWARD, run_curation


@app.cell
def _(lab, np, shared):
    # Verification (THEORY C2): a 5-category law, the first 3 categories good (bad mass b₀ = 0.25); the verifier keeps
    # a good sample with probability tpr and a bad one with probability fpr (lab.Verify), Replace loop.
    P_VER = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    GOOD = 3
    VER = dict(n=1000, generations=20, replicates=50)
    RATES = [0.2, 0.4, 0.6, 0.8, 1.0]


    @shared.cached
    def run_verification(*, tpr, fpr, probs=tuple(P_VER), good=GOOD, n=VER["n"], generations=VER["generations"],
                         replicates=VER["replicates"], seed=0):
        """Mean bad mass b̂_t (and its SE) of the verified Replace loop."""
        p = np.array(probs)
        is_good = lab.Near([[float(j)] for j in range(good)], radius=0.5)  # category index < good
        regime = lab.Replace(transforms=[lab.Verify(tpr, fpr, is_good)])
        ds = lab.simulate(lab.Categorical(p), lab.CategoricalFit(len(p)), regime, n=n, generations=generations,
                          replicates=replicates, key=seed, metrics=[])
        bad = ds["probs"].values[..., good:].sum(-1)
        return {"bad": bad.mean(0), "bad_se": bad.std(0, ddof=1) / np.sqrt(replicates)}
    return GOOD, P_VER, RATES, VER, run_verification


@app.cell
def _(GAMMAS, KS, RATES, run_correction, run_curation, run_verification, shared):
    def warm():
        """Every slider value (``make demos`` calls this before serving)."""
        return (shared.warm(run_correction, gamma=GAMMAS) + shared.warm(run_curation, K=KS)
                + shared.warm(run_verification, tpr=RATES, fpr=RATES))
    return (warm,)


@app.cell
def _(GAMMAS, KS, RATES, mo):
    gamma = mo.ui.slider(steps=GAMMAS, value=1.0, label="correction strength γ", show_value=True)
    K = mo.ui.slider(steps=KS, value=3, label="curation: K candidates", show_value=True)
    tpr = mo.ui.slider(steps=RATES, value=0.8, label="verifier tpr", show_value=True)
    fpr = mo.ui.slider(steps=RATES, value=0.4, label="verifier fpr", show_value=True)
    mo.hstack([gamma, K, tpr, fpr], justify="start", gap=1.5, wrap=True)
    return K, fpr, gamma, tpr


@app.cell
def _(K, fpr, gamma, run_correction, run_curation, run_verification, tpr):
    sim_corr = run_correction(gamma=gamma.value)
    sim_cur = run_curation(K=K.value)
    sim_ver = run_verification(tpr=tpr.value, fpr=fpr.value)
    return sim_corr, sim_cur, sim_ver


@app.cell
def _(CUR, K, P_CUR, RATIO, REWARD, VER, correction, curation, fpr, gamma, np, tpr, verification):
    # Theory, all from lab.theory: κ(γ) = λ_r/((1 + λ_r)(1 + γ)) (Gillman's ideal corrector, lab.theory.correction
    # eq. (1) with J = 0); the exact curated law iterates C_K(p) (Ferbach et al.; lab.theory.curation.trajectory);
    # b_{t+1} = fpr·b_t/(tpr(1 − b_t) + fpr·b_t), the odds multiplied by fpr/tpr (lab.theory.verification).
    gamma_grid = np.linspace(0.0, 3.0, 121)
    kappa_curve = correction.contraction(RATIO, gamma_grid)
    kappa = float(correction.contraction(RATIO, gamma.value))
    cur_law = curation.trajectory(P_CUR, REWARD, K.value, generations=CUR["generations"])
    cur_top = cur_law[:, REWARD == REWARD.max()].sum(-1)
    cur_limit = curation.limit_law(P_CUR, REWARD)
    bad_exact = verification.bad_mass_trajectory(0.25, tpr.value, fpr.value, VER["generations"])
    return bad_exact, cur_limit, cur_top, gamma_grid, kappa, kappa_curve


@app.cell
def _(CORR, CUR, K, VER, bad_exact, cur_top, fpr, gamma, gamma_grid, kappa, kappa_curve, matplotlib, np, shared,
      sim_corr, sim_cur, sim_ver, tpr):
    _fig = matplotlib.figure.Figure(figsize=(shared.FIGSIZE[0], 3.2), dpi=shared.DPI, layout="constrained")
    _a, _b, _c = _fig.subplots(1, 3)
    _a.plot(gamma_grid, kappa_curve, "k--", lw=1.2, label="κ(γ) = λ_r/((1+λ_r)(1+γ))")
    _a.errorbar([gamma.value], [sim_corr["slope"]], yerr=[2 * sim_corr["slope_se"]], fmt="o", color="C0", capsize=3,
                label=f"measured at γ = {gamma.value:g} (± 2 SE)")
    _a.set(title="correction: contraction of the mean", xlabel="γ", ylabel="per-generation factor", ylim=(0, 0.4))
    _a.legend(fontsize=8)
    _tc = np.arange(CUR["generations"] + 1)
    _b.errorbar(_tc, sim_cur["top"], yerr=2 * sim_cur["top_se"], fmt="o", ms=3, color="C0", capsize=2,
                label="simulated ± 2 SE")
    _b.plot(_tc, cur_top, "k--", lw=1.2, label="exact curated law (C_K iterated)")
    _b.set(title=f"curation, K = {K.value}: mass on argmax r", xlabel="generation t", ylim=(0, 1.02))
    _b.legend(fontsize=8, loc="lower right")
    _tv = np.arange(VER["generations"] + 1)
    _c.errorbar(_tv, sim_ver["bad"], yerr=2 * sim_ver["bad_se"], fmt="o", ms=3, color="C0", capsize=2,
                label="simulated ± 2 SE")
    _c.plot(_tv, bad_exact, "k--", lw=1.2, label=f"exact: odds × {fpr.value / tpr.value:.2f} per generation")
    _c.set(title=f"verification (tpr {tpr.value:g}, fpr {fpr.value:g}): bad mass", xlabel="generation t",
           ylim=(0, 1.02))
    _c.legend(fontsize=8)
    _fig.suptitle(f"correction: N(0, 1), n = {CORR['n']}, m = {CORR['synthetic']}, {CORR['replicates']} replicates; "
                  f"curation: n = {CUR['n']}, {CUR['replicates']} replicates; verification: n = {VER['n']}, "
                  f"{VER['replicates']} replicates", fontsize=9)
    _fig
    return


@app.cell
def _(K, P_CUR, REWARD, bad_exact, cur_limit, cur_top, curation, kappa, mo, sim_corr, sim_cur, sim_ver):
    # Checked by the headless test: each remedy's number against its simulation at the current sliders.
    T_CHECK = 5  # a generation where both laws are still moving (by the last one they have nearly converged)
    key_numbers = {
        "correction: mean contraction": {"simulated": sim_corr["slope"], "exact": kappa, "se": sim_corr["slope_se"]},
        f"curation: mass on argmax r, t = {T_CHECK}": {"simulated": float(sim_cur["top"][T_CHECK]),
                                                       "exact": float(cur_top[T_CHECK]),
                                                       "se": float(sim_cur["top_se"][T_CHECK])},
        f"verification: bad mass, t = {T_CHECK}": {"simulated": float(sim_ver["bad"][T_CHECK]),
                                                   "exact": float(bad_exact[T_CHECK]),
                                                   "se": float(sim_ver["bad_se"][T_CHECK])},
    }
    _gain = float(sim_cur["exp_r"][1] - sim_cur["exp_r"][0])
    _gain_bound = float(curation.reward_gain_bound(P_CUR, REWARD, K.value))
    _rows = [f"| {k} | {v['simulated']:.4f} | {v['exact']:.4f} | {v['se']:.2g} |" for k, v in key_numbers.items()]
    mo.md("\n".join([
        "| quantity | simulated | theory | SE |", "|---|---|---|---|", *_rows,
        f"| curation: gain in E[e^r] at generation 1 | {_gain:.4f} | ≥ {_gain_bound:.4f} (Ferbach's bound) | "
        f"{float(sim_cur['exp_r_se'][1]):.2g} |", "",
        f"Pure curation ends on the reward's maximisers in proportion to p₀: "
        f"{cur_limit[REWARD == REWARD.max()].round(3).tolist()} (`curation.limit_law`)."]))
    return (key_numbers,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **What to try.** γ = 0 is the plain weighted loop, κ = λ_r/(1 + λ_r); every γ divides it by 1 + γ. K = 1 is no
    curation; larger K moves the law to the maximisers faster, and the exact curated law follows it. Put fpr above
    tpr: the verifier now favours bad samples and the bad mass takes over; fpr = tpr changes nothing but the sample
    size. Edit with `marimo edit demos/remedies.py`.
    """)
    return


if __name__ == "__main__":
    app.run()
