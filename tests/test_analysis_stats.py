"""Each statistic against an independent reference, named in its test.

References: scipy (friedmanchisquare, kruskal, spearmanr), pingouin 0.7 (friedman, intraclass_corr,
mwu), scikit-learn (cohen_kappa_score, silhouette_score), statsmodels (multipletests,
proportion_confint), and published worked examples (Krippendorff 2011; Cohen's kappa textbook
table; Tomczak & Tomczak 2014), and cases worked by hand in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats as sps
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import cohen_kappa_score, silhouette_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from papers.analysis import stats


def long(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame([(i, j, x[i, j]) for i in range(x.shape[0]) for j in range(x.shape[1])], columns=["s", "d", "v"])


def test_friedman_and_w_match_scipy_and_pingouin_for_rankings():
    rng = np.random.default_rng(4)
    x = np.array([rng.permutation(6) + 1 for _ in range(40)], dtype=float)
    chi2, p, w = stats.friedman_w(x.sum(axis=0), 40, 6)
    ref = sps.friedmanchisquare(*x.T)  # scipy
    assert chi2 == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    pgr = pg.friedman(long(x), dv="v", within="d", subject="s")  # pingouin 0.7: columns W, Q, p_unc
    assert w == pytest.approx(pgr["W"].iloc[0], abs=1e-12)
    assert chi2 == pytest.approx(pgr["Q"].iloc[0])


def test_friedman_is_tie_corrected_for_ratings():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 8, size=(25, 5)).astype(float)
    ranks = stats.rank_rows(x)
    chi2, p, w = stats.friedman_w(ranks.sum(axis=0), 25, 5, stats.tie_term(ranks).sum())
    ref = sps.friedmanchisquare(*x.T)  # scipy applies the tie correction
    assert chi2 == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert w == pytest.approx(ref.statistic / (25 * 4))


def test_kendall_w_analytic_cases():
    # Kendall & Babington Smith (1939): W = 1 when every judge gives the same order, W = 0 when two
    # judges give exactly opposite orders; and W = 12 S / (m^2 (k^3 - k)) in between (hand sum).
    perfect = np.tile(np.arange(1, 7), (5, 1)).astype(float)
    assert stats.friedman_w(perfect.sum(axis=0), 5, 6)[2] == pytest.approx(1.0)
    opposite = np.array([[1, 2, 3, 4], [4, 3, 2, 1]], float)
    assert stats.friedman_w(opposite.sum(axis=0), 2, 4)[2] == pytest.approx(0.0)
    x = np.array([[1, 2, 3, 4, 5, 6], [2, 1, 3, 4, 5, 6], [2, 4, 3, 1, 5, 6]], float)
    r = x.sum(axis=0)  # (5, 7, 9, 9, 15, 18)
    s_hand = (5 - 10.5) ** 2 + (7 - 10.5) ** 2 + 2 * (9 - 10.5) ** 2 + (15 - 10.5) ** 2 + (18 - 10.5) ** 2
    assert stats.friedman_w(r, 3, 6)[2] == pytest.approx(12 * s_hand / (9 * (216 - 6)))


def test_icc_matches_pingouin():
    a = np.array([3.1, 2.5, 4.0, 1.2, 5.5, 2.2])
    b = np.array([2.9, 2.0, 4.5, 1.0, 6.0, 3.3])
    icc_a, icc_c = stats.icc_two_way(a, b)
    frame = pd.DataFrame({"t": list(range(6)) * 2, "r": ["a"] * 6 + ["b"] * 6, "s": np.r_[a, b]})
    ref = pg.intraclass_corr(frame, targets="t", raters="r", ratings="s").set_index("Type")["ICC"]
    assert icc_a == pytest.approx(ref["ICC(A,1)"]) and icc_c == pytest.approx(ref["ICC(C,1)"])
    # vectorised over replicates: the same numbers row by row
    batch_a, batch_c = stats.icc_two_way(np.vstack([a, a + 1]), np.vstack([b, b]))
    assert batch_a[0] == pytest.approx(icc_a) and batch_c[1] == pytest.approx(icc_c)
    assert batch_a[1] < icc_a  # a shift lowers absolute agreement, not consistency


def test_icc_shift_and_identity():
    a = np.array([1.0, 2, 3, 4, 5])
    assert stats.icc_two_way(a, a)[0] == pytest.approx(1.0)
    icc_a, icc_c = stats.icc_two_way(a, a + 2)
    # by hand: MSR = 5, MSC = 10, MSE = 0, so ICC(A,1) = 5 / (5 + 2/5 * 10) = 5/9
    assert icc_c == pytest.approx(1.0) and icc_a == pytest.approx(5 / 9)


def test_pearson_rows_matches_scipy_row_by_row():
    rng = np.random.default_rng(12)
    a, b = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    expected = [sps.pearsonr(x, y).statistic for x, y in zip(a, b)]  # scipy
    assert stats.pearson_rows(a, b) == pytest.approx(expected, abs=1e-12)
    assert np.isnan(stats.pearson_rows(np.ones(4), np.arange(4.0)))  # a constant row has no correlation


def test_koo_li_bands():
    assert [stats.koo_li_band(v) for v in (0.3, 0.6, 0.8, 0.95, float("nan"))] == [
        "poor", "moderate", "good", "excellent", "not estimable"]


def test_krippendorff_alpha_published_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
    # twelve units, nominal data, missing values; the paper reports alpha = 0.743.
    nan = np.nan
    data = np.array([
        [1, 1, nan, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
        [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [nan, 5, 5, 5], [nan, nan, 1, 1], [nan, nan, 3, nan],
    ])
    assert stats.krippendorff_alpha_nominal(data) == pytest.approx(0.743, abs=5e-4)


def test_cohen_kappa_textbook_table_and_sklearn():
    # 50 items, both yes 20, A yes/B no 5, A no/B yes 10, both no 15: p_o = .70, p_e = .50, kappa = .40
    a = np.array([1] * 20 + [1] * 5 + [0] * 10 + [0] * 15)
    b = np.array([1] * 20 + [0] * 5 + [1] * 10 + [0] * 15)
    assert stats.cohen_kappa(a, b) == pytest.approx(0.4)
    rng = np.random.default_rng(2)
    x, y = rng.integers(0, 2, 80), rng.integers(0, 2, 80)
    assert stats.cohen_kappa(x, y) == pytest.approx(cohen_kappa_score(x, y))


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001])
    assert stats.holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    with_nan = stats.holm(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(with_nan[1]) and with_nan[0] == pytest.approx(0.02)


def test_epsilon_squared_formula():
    # Tomczak & Tomczak (2014), eq. 12: epsilon^2 = H / ((n^2 - 1) / (n + 1))
    groups = [np.array([1, 2, 3, 4.0]), np.array([5, 6, 7, 8.0]), np.array([2, 9, 10, 11.0])]
    h = sps.kruskal(*groups).statistic
    assert stats.epsilon_squared(h, 12) == pytest.approx(h / ((12**2 - 1) / (12 + 1)))


def test_rank_biserial_matches_pingouin():
    x, y = [1, 2, 3, 4, 5.5], [2, 3, 6, 7, 8]
    u, p, r = stats.rank_biserial(np.array(x), np.array(y))
    ref = pg.mwu(x, y)  # pingouin 0.7: U_val, p_val, RBC
    assert u == pytest.approx(ref["U_val"].iloc[0]) and p == pytest.approx(ref["p_val"].iloc[0])
    assert r == pytest.approx(ref["RBC"].iloc[0])


def test_classical_mds_recovers_planar_distances():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(7, 2))
    coords, share = stats.classical_mds(squareform(pdist(points)))
    assert pdist(coords) == pytest.approx(pdist(points))
    assert share == pytest.approx(1.0)


def test_silhouette_matches_sklearn():
    rng = np.random.default_rng(9)
    points = np.vstack([rng.normal(0, 1, (6, 3)), rng.normal(4, 1, (5, 3)), rng.normal(-4, 1, (4, 3))])
    labels = np.array([1] * 6 + [2] * 5 + [3] * 4)
    d = squareform(pdist(points))
    assert stats.silhouette(d, labels) == pytest.approx(silhouette_score(d, labels, metric="precomputed"))


def test_wilson_matches_statsmodels():
    low, high = stats.wilson_ci(np.array([7, 0, 20]), np.array([20, 15, 20]))
    for i, (k, n) in enumerate([(7, 20), (0, 15), (20, 20)]):
        ref = proportion_confint(k, n, method="wilson")
        assert (low[i], high[i]) == pytest.approx(ref)


def test_bootstrap_is_seeded_and_covers_the_mean():
    x = np.random.default_rng(0).normal(3.0, 1.0, size=(400, 1))
    one = stats.bootstrap_counts(np.random.default_rng(11), 400, 2000) @ x / 400
    two = stats.bootstrap_counts(np.random.default_rng(11), 400, 2000) @ x / 400
    assert np.array_equal(one, two)
    low, high = stats.percentile_ci(one)
    se = x.std(ddof=1) / np.sqrt(400)
    assert low[0] == pytest.approx(x.mean() - 1.96 * se, abs=0.02)
    assert high[0] == pytest.approx(x.mean() + 1.96 * se, abs=0.02)


# ------------------------------------------------------------------ stability across trial counts


def _pairwise_mean_spearman(x: np.ndarray) -> float:
    """Reference: the average of scipy's Spearman correlation over every pair of trials; a pair with
    a trial that ties every dimension counts 0 (it has no order)."""
    values = []
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            if np.ptp(x[i]) == 0 or np.ptp(x[j]) == 0:
                values.append(0.0)
            else:
                values.append(sps.spearmanr(x[i], x[j]).statistic)
    return float(np.mean(values))


def test_mean_rho_is_the_mean_pairwise_spearman_and_equals_the_w_identity_without_ties():
    rng = np.random.default_rng(21)
    ranks = np.array([rng.permutation(5) + 1 for _ in range(25)], float)
    rho, low, high = stats.mean_spearman(ranks)
    assert rho == pytest.approx(_pairwise_mean_spearman(ranks), abs=1e-12)  # scipy, pair by pair
    _, _, w = stats.friedman_w(ranks.sum(axis=0), 25, 5)
    assert rho == pytest.approx((25 * w - 1) / 24, abs=1e-12)  # Kendall & Babington Smith (1939)
    assert low < rho < high
    ratings = rng.integers(1, 8, size=(20, 6)).astype(float)
    ratings[3] = 4.0  # a trial that ties every dimension
    assert stats.mean_spearman(stats.rank_rows(ratings))[0] == pytest.approx(_pairwise_mean_spearman(ratings), abs=1e-12)


def test_mean_rho_jackknife_matches_a_brute_force_jackknife():
    # Efron & Tibshirani (1993), ch. 11: pseudo-values n*theta - (n-1)*theta_(i), here on Fisher's z
    rng = np.random.default_rng(22)
    scores = np.array([2.0, 1.0, 0.5, 0.0, -0.5]) + rng.gumbel(size=(15, 5))
    ranks = np.argsort(np.argsort(-scores, axis=1), axis=1) + 1.0
    rho, low, high = stats.mean_spearman(ranks)
    m = len(ranks)
    loo = np.array([_pairwise_mean_spearman(np.delete(ranks, i, axis=0)) for i in range(m)])
    pseudo = m * np.arctanh(rho) - (m - 1) * np.arctanh(loo)
    half = sps.t.ppf(0.975, m - 1) * pseudo.std(ddof=1) / np.sqrt(m)
    assert (low, high) == pytest.approx((np.tanh(np.arctanh(rho) - half), np.tanh(np.arctanh(rho) + half)), abs=1e-12)


def test_mean_rho_does_not_depend_on_the_number_of_trials_where_w_does():
    # a uniform (random) ranker: W averages about 1/m, mean_rho about 0 at any m
    rng = np.random.default_rng(23)
    for m, w_expected in ((10, 0.1), (40, 0.025)):
        draws = [np.array([rng.permutation(5) + 1 for _ in range(m)], float) for _ in range(300)]
        w = np.mean([stats.friedman_w(d.sum(axis=0), m, 5)[2] for d in draws])
        rho = np.mean([stats.mean_spearman(d)[0] for d in draws])
        assert w == pytest.approx(w_expected, abs=0.01) and rho == pytest.approx(0.0, abs=0.01)


# ------------------------------------------------------------------ profile fidelity


def _exact(x: np.ndarray, trials: int = 3):
    """Moments of a profile measured without noise: identical trials."""
    return stats.profile_moments(np.tile(x, (trials, 1)))


def test_fidelity_without_noise_equals_scipy_pingouin_and_lin():
    a = np.array([3.1, 2.5, 4.0, 1.2, 5.5, 2.2])
    b = np.array([2.9, 2.0, 4.5, 1.0, 6.0, 3.3])
    out = stats.fidelity(_exact(a), _exact(b))
    r = sps.pearsonr(a, b).statistic
    assert out["pearson_r"] == pytest.approx(r)  # scipy
    assert out["spread_ratio"] == pytest.approx(a.std(ddof=1) / b.std(ddof=1))
    assert out["level_shift"] == pytest.approx(a.mean() - b.mean())
    # Lin (1989): rho_c = r * C_b, C_b = 2 / (v + 1/v + u^2), v = s_a / s_b, u = (mean_a - mean_b) / sqrt(s_a s_b),
    # with population (divisor n) moments
    v = a.std() / b.std()
    u = (a.mean() - b.mean()) / np.sqrt(a.std() * b.std())
    assert out["ccc"] == pytest.approx(r * 2 / (v + 1 / v + u**2))
    frame = pd.DataFrame({"t": list(range(6)) * 2, "r": ["a"] * 6 + ["b"] * 6, "s": np.r_[a, b]})
    ref = pg.intraclass_corr(frame, targets="t", raters="r", ratings="s").set_index("Type")["ICC"]
    assert out["icc_a1"] == pytest.approx(ref["ICC(A,1)"]) and out["icc_c1"] == pytest.approx(ref["ICC(C,1)"])
    assert stats.icc_two_way(a, b)[0] == pytest.approx(out["icc_a1"])


def test_fidelity_corrects_the_noise_in_the_means():
    # method of moments: the corrected variance of noisy means is unbiased for the true profile's
    rng = np.random.default_rng(24)
    truth = np.array([5.0, 4.5, 6.0, 3.0, 4.0])
    human = _exact(np.array([5.2, 4.4, 5.5, 3.5, 4.2]), 2)
    naive, corrected = [], []
    for _ in range(2000):
        x = truth + rng.normal(0, 1.5, size=(12, 5))
        out = stats.fidelity(stats.profile_moments(x), human)
        corrected.append(out["spread_ratio"] ** 2)
        naive.append(x.mean(axis=0).var(ddof=1) / human.means.var(ddof=1))
    true_ratio = truth.var(ddof=1) / human.means.var(ddof=1)
    assert np.mean(corrected) == pytest.approx(true_ratio, rel=0.03)
    assert np.mean(naive) > true_ratio * 1.1  # left alone, noise exaggerates the gaps


def test_fidelity_is_vectorised_over_bootstrap_replicates():
    rng = np.random.default_rng(25)
    x, h = rng.normal(4, 1, (20, 5)), rng.normal(4, 1, (50, 5))
    counts_x, counts_h = stats.bootstrap_counts(rng, 20, 7), stats.bootstrap_counts(rng, 50, 7)
    batch = stats.fidelity(stats.profile_moments(x, counts_x), stats.profile_moments(h, counts_h))
    for i in range(7):
        one = stats.fidelity(stats.profile_moments(np.repeat(x, counts_x[i].astype(int), axis=0)),
                             stats.profile_moments(np.repeat(h, counts_h[i].astype(int), axis=0)))
        for name, value in one.items():
            assert batch[name][i] == pytest.approx(value, nan_ok=True)


def test_fidelity_of_a_flat_profile_is_not_estimable_and_stays_in_range():
    rng = np.random.default_rng(26)
    flat = stats.profile_moments(np.array([rng.permutation(5) + 1 for _ in range(6)], float))
    humans = _exact(np.array([2.0, 4, 3, 1, 5]))
    out = stats.fidelity(flat, humans)
    assert np.isnan(out["pearson_r"]) and out["spread_ratio"] == 0.0 and -1 <= out["ccc"] <= 1


def test_icc_f_intervals_match_pingouin():
    # pingouin 0.7 writes McGraw & Wong's case 2A interval in another algebraic form (and rounds to 2 decimals)
    rng = np.random.default_rng(27)
    for _ in range(5):
        a = rng.normal(4, 1.5, 6)
        b = a + rng.normal(0.5, 0.6, 6)
        out = stats.icc_f_intervals(a, b)
        frame = pd.DataFrame({"t": list(range(6)) * 2, "r": ["a"] * 6 + ["b"] * 6, "s": np.r_[a, b]})
        ref = pg.intraclass_corr(frame, targets="t", raters="r", ratings="s").set_index("Type")["CI95"]
        assert out["icc_a1"] == pytest.approx(tuple(ref["ICC(A,1)"]), abs=0.0051)
        assert out["icc_c1"] == pytest.approx(tuple(ref["ICC(C,1)"]), abs=0.0051)


def test_koo_li_band_needs_the_whole_interval():
    assert stats.koo_li_interval_band((0.78, 0.88)) == "good"
    assert stats.koo_li_interval_band((0.78, 0.88), (0.3, 0.95)) == "between poor and excellent"
    assert stats.koo_li_interval_band((0.6, 0.8)) == "between moderate and good"
    assert stats.koo_li_interval_band((float("nan"), 0.8)) == "not estimable"


# ------------------------------------------------------------------ intervals that stay honest (issue 25, items 21-24)


def test_welch_interval_matches_scipy():
    # scipy.stats.ttest_ind(equal_var=False).confidence_interval(): Welch-Satterthwaite degrees of freedom
    rng = np.random.default_rng(40)
    for _ in range(5):
        a, b = rng.normal(5, 1, 23), rng.normal(4.6, 1.7, 180)
        ref = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
        assert stats.welch_interval(a, b) == pytest.approx((ref.low, ref.high))
    assert np.isnan(stats.welch_interval(np.array([4.0]), b)).all()


def test_expanded_level_is_hesterbergs_and_keeps_a_mean_interval_at_95_percent():
    # Hesterberg (2015): alpha' / 2 = Phi(-sqrt(n / (n - 1)) t(alpha / 2, n - 1)); scipy's t and normal quantiles
    n = 12
    assert stats.expanded_level(n) == pytest.approx(1 - 2 * sps.norm.cdf(-np.sqrt(n / (n - 1)) * sps.t.ppf(0.975, n - 1)))
    assert stats.expanded_level(100_000) == pytest.approx(0.95, abs=1e-4)
    # a percentile interval of a normal mean from 12 units covers about 92%; read at the expanded level, about 95%
    rng = np.random.default_rng(41)
    plain, expanded = [], []
    for _ in range(1500):
        x = rng.normal(0, 1, n)
        boot = stats.bootstrap_counts(rng, n, 1000) @ x / n
        for hits, level in ((plain, 0.95), (expanded, stats.expanded_level(n))):
            low, high = stats.percentile_ci(boot, level)
            hits.append(low <= 0 <= high)
    assert np.mean(plain) < 0.93 and np.mean(expanded) == pytest.approx(0.95, abs=0.015)


def test_constant_interval_is_the_clopper_pearson_bound_of_no_other_value():
    # scipy.stats.binomtest(0, n).proportion_ci(method="exact"): the Clopper-Pearson upper bound of 0 events in n
    for n in (1, 5, 30):
        p = sps.binomtest(0, n).proportion_ci(0.95, method="exact").high
        assert stats.constant_interval(1.0, 1.0, 5.0, n) == pytest.approx((1.0, 1.0 + 4 * p))
        assert stats.constant_interval(4.0, 1.0, 7.0, n) == pytest.approx((4.0 - 3 * p, 4.0 + 3 * p))
    low, high = stats.constant_interval(1.0, 1.0, 5.0, 30)
    assert high > low  # never of zero width from a finite sample


def test_is_flat_takes_rounding_residue_for_zero_relative_to_the_scale():
    # issue 25, item 21: a human variance of 1e-16 is rounding residue, not a spread to divide by
    assert stats.is_flat(1e-16, 6.0) and stats.is_flat(0.0, 4.0) and not stats.is_flat(1e-6, 6.0)
    model = _exact(np.array([6.0, 2.0, 5.0, 3.0, 4.0]))
    residue = _exact(np.array([4.0, 4.0 + 2e-8, 4.0, 4.0 - 1e-8, 4.0]))  # sample variance about 1e-16
    out = stats.fidelity(model, residue, span=6.0)
    assert np.isnan(out["spread_ratio"]) and np.isnan(out["pearson_r"])
    # without the scale, the residue is still judged against the values' magnitude
    assert np.isnan(stats.fidelity(model, residue)["spread_ratio"])


def test_mean_rho_of_identical_trials_is_a_bound_not_a_point():
    # issue 25, item 22: the jackknife returned the estimate as both ends; now (1 - 2p)^2 to 1, with p the
    # Clopper-Pearson bound (scipy's binomtest) of trials ordering otherwise
    trials = np.tile([2.0, 1, 3, 4], (8, 1))
    rho, low, high = stats.mean_spearman(trials)
    p = sps.binomtest(0, 8).proportion_ci(0.95, method="exact").high
    assert rho == pytest.approx(1.0) and high == 1.0 and low == pytest.approx(max(0.0, 1 - 2 * p) ** 2) and low < high


def test_bca_interval_matches_scipy_for_one_sample():
    # scipy.stats.bootstrap(method="BCa") on the same statistic; both resample, so agreement is to Monte Carlo error
    rng = np.random.default_rng(42)
    x = rng.gamma(2.0, 1.5, 60)
    boot = stats.bootstrap_counts(rng, 60, 40_000) @ x / 60
    loo = (x.sum() - x) / 59
    ref = sps.bootstrap((x,), np.mean, method="BCa", n_resamples=40_000, random_state=43).confidence_interval
    assert stats.bca_interval(boot, float(x.mean()), [loo]) == pytest.approx((ref.low, ref.high), abs=0.02)


def test_jackknife_moments_leave_each_unit_out():
    rng = np.random.default_rng(44)
    x = rng.normal(4, 1, (9, 5))
    jack = stats.jackknife_moments(x)
    for i in range(9):
        one = stats.profile_moments(np.delete(x, i, axis=0))
        assert jack.means[i] == pytest.approx(one.means)
        assert jack.level_noise[i] == pytest.approx(one.level_noise, rel=0.15)


def test_fidelity_population_satisfies_the_corrected_estimate():
    # the moved units' plain moments are the noise-corrected ones, so the resampling centres on the estimate
    rng = np.random.default_rng(45)
    zero = np.float64(0)
    for _ in range(20):
        x = np.clip(np.round(rng.normal([5.5, 4, 6, 3, 4.5], 1.2, (25, 5))), 1, 7)
        h = np.clip(np.round(rng.normal([5, 4.5, 6, 3.5, 4], 1.3, (60, 5))), 1, 7)
        moved = stats.fidelity_population(x, h)
        plain = stats.fidelity(stats.ProfileMoments(moved[0].mean(axis=0), zero, zero),
                               stats.ProfileMoments(moved[1].mean(axis=0), zero, zero))
        estimate = stats.fidelity(stats.profile_moments(x), stats.profile_moments(h))
        for name in ("pearson_r", "spread_ratio", "ccc", "icc_a1", "icc_c1"):
            assert plain[name] == pytest.approx(estimate[name], abs=1e-9, nan_ok=True), name
        # the units keep their deviations from their group's mean: the noise is unchanged
        assert stats.profile_moments(moved[0]).noise == pytest.approx(stats.profile_moments(x).noise)


def test_fidelity_intervals_cover_near_one_where_percentile_intervals_did_not():
    # issue 25, item 24: CCC and ICC(A,1) near 1 (true CCC .96) at 20 trials; the percentile interval of the
    # corrected statistic (the old method) covered about 0.85 here. Truth: the statistic between the exact
    # expected profiles (bench/validity.py).
    from bench import validity

    rng = np.random.default_rng(46)
    mu = validity.RATE_MODELS["near 1"]
    truth = validity.fidelity_truth(validity.rate_truth(mu)[0], validity.rate_truth(validity.HUMAN_RATINGS, 1.2, 0.6)[0])
    new, old = {"ccc": [], "icc_a1": []}, {"ccc": [], "icc_a1": []}
    for _ in range(120):
        x, h = validity.rate_draws(rng, mu, 20), validity.rate_draws(rng, validity.HUMAN_RATINGS, 376, 1.2, 0.6)
        cx, ch = stats.bootstrap_counts(rng, 20, 500), stats.bootstrap_counts(rng, 376, 500)
        out = stats.fidelity_intervals(x, h, cx, ch)
        boot = stats.fidelity(stats.profile_moments(x, cx), stats.profile_moments(h, ch))
        for name in new:
            new[name].append(out[name][0] <= truth[name] <= out[name][1])
            low, high = stats.percentile_ci(boot[name])
            old[name].append(low <= truth[name] <= high)
    for name in new:
        assert np.mean(old[name]) < 0.9 and np.mean(new[name]) >= 0.92, (name, np.mean(old[name]), np.mean(new[name]))
