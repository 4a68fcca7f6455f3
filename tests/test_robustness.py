"""Robustness to wording: its statistics against independent references, its verdicts, and the pages
that print them (issue "Conclusions that survive rewording")."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from papers.analysis import robustness as rb
from tests.conftest import query


def centred(rng, means, m):
    """m trials per variant of centred scores: a profile per variant plus normal noise."""
    y = np.vstack([mu + rng.normal(0, 1, (m, len(mu))) for mu in means])
    return y - y.mean(axis=1, keepdims=True), np.repeat(np.arange(len(means)), m)


def test_wording_variance_equals_the_anova_variance_component():
    """Reference: pingouin's mixed ANOVA (dimension within trials, variant between them; pingouin 0.7
    `mixed_anova`). With m trials per variant, W = (MS_interaction - MS_error) / m, generalizability
    theory's estimator of the dimension x variant component (Brennan 2001), and Theta, the variance of
    the variants' mean profile with the variants fixed, = (MS_dimension - MS_error) / (V m)."""
    import pandas as pd
    import pingouin as pg

    rng = np.random.default_rng(4)
    means = [np.array([1.0, 0.5, 0, -0.5, -1]), np.array([0.5, 1.0, 0, -0.5, -1]), np.array([1.0, 0.4, 0.1, -0.5, -1])]
    m, v = 12, 3
    y, groups = centred(rng, means, m)
    long = pd.DataFrame({"score": y.ravel(), "dim": np.tile(np.arange(5), len(y)),
                         "trial": np.repeat(np.arange(len(y)), 5), "variant": np.repeat(groups, 5)})
    table = pg.mixed_anova(data=long, dv="score", within="dim", between="variant", subject="trial").set_index("Source")
    ms_error = table.loc["Interaction", "MS"] / table.loc["Interaction", "F"]
    w, theta = rb.wording_components(y, groups)
    assert w == pytest.approx((table.loc["Interaction", "MS"] - ms_error) / m, rel=1e-9)
    assert theta == pytest.approx((table.loc["dim", "MS"] - ms_error) / (v * m), rel=1e-9)


def test_wording_components_are_unbiased_with_unequal_trials():
    """With 4, 9 and 20 trials per variant and no wording effect, W averages 0 over many samples, and
    Theta averages the true profile's variance (method of moments), where a plain spread would not."""
    rng = np.random.default_rng(7)
    mu = np.array([1.0, 0.5, 0.0, -0.5, -1.0])
    ws, thetas = [], []
    for _ in range(3000):
        y = np.vstack([mu + rng.normal(0, 1, (m, 5)) for m in (4, 9, 20)])
        y -= y.mean(axis=1, keepdims=True)
        w, theta = rb.wording_components(y, np.repeat(np.arange(3), (4, 9, 20)))
        ws.append(w)
        thetas.append(theta)
    assert abs(np.mean(ws)) < 3 * np.std(ws) / np.sqrt(len(ws))
    assert np.mean(thetas) == pytest.approx((mu ** 2).sum() / 4, abs=3 * np.std(thetas) / np.sqrt(len(thetas)))


def test_position_bias_equals_the_cluster_robust_ols_slope():
    """Reference: statsmodels OLS with a fixed effect per variant and dimension and a cluster-robust
    (CR1) covariance with trials as clusters; the interval uses the t distribution with G - 1 df."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    g, k = 30, 5
    positions = np.array([rng.permutation(k) + 1 for _ in range(g)], float)
    cells = np.repeat([0, 1, 2], g // 3)
    y = -0.3 * positions + np.array([1, 0.5, 0, -0.5, -1]) + rng.normal(0, 1, (g, k))
    y -= y.mean(axis=1, keepdims=True)
    long = pl.DataFrame({"y": y.ravel(), "pos": positions.ravel(), "cell": np.repeat(cells, k).astype(str),
                         "dim": np.tile(np.arange(k), g).astype(str), "trial": np.repeat(np.arange(g), k)}).to_pandas()
    fit = smf.ols("y ~ pos + C(cell):C(dim)", data=long).fit(cov_type="cluster", cov_kwds={"groups": long["trial"]},
                                                            use_t=True)
    bias, low, high = rb.position_bias(y, positions, cells)
    assert bias == pytest.approx(-fit.params["pos"], rel=1e-9)
    half = sps.t.ppf(0.975, g - 1) * fit.bse["pos"]
    assert (low, high) == pytest.approx((bias - half, bias + half), rel=1e-6)


def test_the_profile_statistic_s_permutation_p_matches_scipy():
    """Reference: scipy.stats.permutation_test (independent samples, one per variant) of the same
    interaction statistic, within Monte Carlo error."""
    rng = np.random.default_rng(3)
    y, groups = centred(rng, [np.array([0.6, 0.3, 0, -0.3, -0.6])] * 3 + [np.array([0.3, 0.6, 0, -0.3, -0.6])], 8)
    ours = rb._p_each(rb.interaction_f(y, np.eye(4)[np.vstack([groups] + [rng.permutation(groups) for _ in range(4999)])]))[0]

    def statistic(*samples):  # each sample holds the indices of its variant's trials
        picked = np.concatenate(samples).astype(int)
        labels = np.repeat(np.arange(len(samples)), [len(s) for s in samples])
        return rb.interaction_f(y[picked], np.eye(len(samples))[labels])

    theirs = sps.permutation_test([np.flatnonzero(groups == v) for v in range(4)], statistic,
                                  permutation_type="independent", alternative="greater", n_resamples=4999,
                                  random_state=5, vectorized=False).pvalue
    assert ours == pytest.approx(theirs, abs=0.03)


def test_the_combined_test_keeps_its_level_and_sees_a_swap_of_the_top_two():
    rng = np.random.default_rng(9)
    same = [np.array([1.0, 0.5, 0, -0.5, -1])] * 6
    nulls = [rb.permutation_p(*centred(rng, same, 10), rng, 199) for _ in range(300)]
    assert np.mean(np.array(nulls) < 0.05) < 0.05 + 3 * np.sqrt(0.05 * 0.95 / 300)
    swapped = same[:4] + [np.array([0.5, 1.0, 0, -0.5, -1])] * 2
    assert rb.permutation_p(*centred(np.random.default_rng(2), [2 * s for s in swapped], 15), rng, 199) < 0.01


def test_one_wording_declines_robustness_and_says_why():
    rows = [{"model": "m", "condition": "c", "task": "rank", "response_id": f"t{t}", "variant": "default",
             "item_order": ["A", "B", "C"][t % 3:] + ["A", "B", "C"][:t % 3], "dimension": d,
             "value": float(r)} for t in range(9) for d, r in zip("ABC", (1, 2, 3))]
    table, per_variant = rb.robustness(pl.DataFrame(rows), {"c": ("A", "B", "C")}, np.random.default_rng(0), 100)
    row = table.row(0, named=True)
    assert row["robust"] is None and row["wording_share"] is None and row["wording_p"] is None and row["top"] is None
    assert row["note"].startswith("robustness: only 1 wording asked: robustness to wording needs 2 wordings")
    # every answer the same whatever the order: an interval of zero width would be a false certainty
    assert row["position_bias"] is None and "position_bias: the items were shown in one order only, or every " \
        "answer is the same" in row["note"]
    assert per_variant.height == 3


def test_holm_across_a_model_s_conditions_and_tasks():
    """The robust flag is decided on the p-value Holm-adjusted across one model's situations (scipy
    reference: statsmodels' multipletests, method holm)."""
    from statsmodels.stats.multitest import multipletests

    rows = [{"model": "m", "wording_p": p, "wording_share": 0.3, "wording_share_ci_low": 0.1,
             "wording_share_ci_high": 0.5, "n_variants": 6, "top_variants": 4, "top": "A",
             "top_by_variant": "a: A; b: A; c: A; d: A; e: B; f: B"} for p in (0.01, 0.02, 0.5, 0.04)]
    rb._holm_verdicts(rows)
    expected = multipletests([0.01, 0.02, 0.5, 0.04], method="holm")[1]
    assert [r["wording_p_holm"] for r in rows] == pytest.approx(expected)
    assert [r["robust"] for r in rows] == [False, True, True, True]  # 0.04 and 0.06 and 0.08 are not below 0.05


@pytest.mark.slow
def test_a_fragile_model_is_called_not_robust_and_a_robust_one_is_not(run, db, tmp_path):
    """Issue 22's acceptance run, at the default trial count: every variant stored, a row of
    result_robustness per model, condition and task with the position bias and its interval, and
    pages, the comparison and the takeaway that say so."""
    from tests.test_report import page_text

    run("collect", "--model", "simulated/fragile", "--model", "simulated/human-centric", "--task", "rank", "--task",
        "rate", "--variants", "all")
    assert query(db, "select task, count(distinct variant) from llm_responses group by 1 order by 1") == [
        ("rank", 6), ("rate", 6)]
    analyzed = run("analyze", "--audit", "words", "--bootstrap", "300").output
    assert ("robust to wording: 1 of 2 models measured held their profiles in every condition and task; not robust: "
            "simulated/fragile (4 of 4)") in analyzed
    rows = query(db, "select model, count(*), count(position_bias), count(position_bias_ci_low), bool_and(robust), "
                     "bool_or(robust) from result_robustness group by 1 order by 1")
    assert rows == [("simulated/fragile", 4, 4, 4, False, False), ("simulated/human-centric", 4, 4, 4, True, True)]
    site = tmp_path / "site"
    run("report", "--audit", "words", "--site", site, "--engine", "pandoc")
    # what the pages say of each model, before the method section that explains every verdict
    fragile, robust = (page_text(p).split("Method and caveats")[0]
                       for p in sorted((site / "words" / "models").glob("*.html")))
    assert "Its answers are not robust to wording" in fragile and "Non-sentient, ranking: not robust to wording" in fragile
    assert fragile.count("(not robust to wording)") >= 8  # its type in At a glance and in Among its peers, each way asked
    assert "not robust to wording" not in robust and "the profile is robust to wording" in robust
    comparison = page_text(site / "words" / "index.html")
    assert "Robust to wording" in comparison and "simulated/fragile is not robust to wording" in comparison
    assert len(list((site / "words" / "models").rglob("wordings-*.svg"))) == 8


def test_the_profile_test_is_friedman_s_for_one_wording():
    """Reference: scipy.stats.friedmanchisquare (trials as blocks). With one wording, the permutation
    test of 'no profile in any wording' is Friedman's test by permutation: the two p-values agree
    within Monte Carlo and asymptotic error."""
    rng = np.random.default_rng(12)
    worths = np.array([0.4, 0.2, 0.0, -0.1, -0.3])
    ranks = np.argsort(np.argsort(-(worths + rng.gumbel(size=(40, 5))), axis=1), axis=1) + 1.0
    y = -ranks - (-ranks).mean(axis=1, keepdims=True)
    ours = rb.profile_p(y, np.zeros(40, int), rng, 4999)
    theirs = sps.friedmanchisquare(*ranks.T).pvalue
    assert ours == pytest.approx(theirs, abs=0.03)


def test_no_profile_in_any_wording_declines_robustness_and_opposite_profiles_do_not():
    """Opposite first values (A in three wordings, D in three) still leave the pooled answers an order
    (A and D above B and C), so the pooled gate measures them and the wording test flags them."""
    rng = np.random.default_rng(5)

    def frame(first_of):  # six wordings, 15 trials each, the dimension ranked first chosen per trial
        rows = []
        for v in range(6):
            for t in range(15):
                order = list(rng.permutation(["A", "B", "C", "D"]))
                top = first_of(v)
                if top is not None:
                    order.remove(top)
                    order.insert(0, top)
                rows += [{"model": "m", "condition": "c", "task": "rank", "response_id": f"{v}-{t}", "variant": f"w{v}",
                          "item_order": list("ABCD"), "dimension": d, "value": float(order.index(d) + 1)} for d in "ABCD"]
        return pl.DataFrame(rows)

    flat = rb.robustness(frame(lambda v: None), {"c": tuple("ABCD")}, rng, 200)[0].row(0, named=True)
    assert flat["robust"] is None and "no order of priorities in the pooled answers beyond chance" in flat["note"]
    opposite = rb.robustness(frame(lambda v: "A" if v < 3 else "D"), {"c": tuple("ABCD")}, rng, 200)[0].row(0, named=True)
    assert opposite["robust"] is False and opposite["top_variants"] == 3
