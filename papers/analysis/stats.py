"""Numerical procedures, each on plain numpy arrays, vectorised over bootstrap replicates.

Every function says what it computes, the form it uses, how it treats ties, its reference and
what the tests check it against. Input checks raise ValueError, never assert.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

# --------------------------------------------------------------------------- bootstrap helpers


def bootstrap_counts(rng: np.random.Generator, n: int, b: int) -> np.ndarray:
    """How often each of n units is drawn in each of b bootstrap resamples.

    Parameters
    ----------
    rng : numpy.random.Generator
        The seeded generator the draws come from.
    n : int
        Number of units (trials or participants), at least 1.
    b : int
        Number of resamples.

    Returns
    -------
    numpy.ndarray
        Float array (b, n): row r counts how often each unit is drawn in resample r; rows sum to n.

    Raises
    ------
    ValueError
        When n < 1.

    Notes
    -----
    Each resample draws n unit indices uniformly with replacement (the ordinary nonparametric
    bootstrap); the counts are tallied with one bincount. A resampled mean of X is then
    `counts @ X / n`, so every statistic built from sums is one matrix product per group. The tests
    check that a seed repeats its counts and that the percentile interval of resampled means of a
    large normal sample matches the normal-theory interval.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. New York: Chapman &
    Hall.

    Examples
    --------
    >>> import numpy as np
    >>> counts = bootstrap_counts(np.random.default_rng(1), 4, 3)
    >>> counts.shape, counts.sum(axis=1).tolist()
    ((3, 4), [4.0, 4.0, 4.0])
    """
    if n < 1:
        raise ValueError("bootstrap needs at least one unit")
    kind = np.uint32 if b * n < 2**32 else np.uint64
    draws = rng.integers(0, n, size=(b, n), dtype=kind)
    draws += (np.arange(b, dtype=kind) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)


def percentile_ci(replicates: np.ndarray, level: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of each statistic; NaN replicates are ignored.

    Parameters
    ----------
    replicates : numpy.ndarray
        Bootstrap replicates of one or more statistics.
    level : float
        Confidence level, 0.95 by default.
    axis : int
        The axis along which the replicates run.

    Returns
    -------
    (low, high) : numpy.ndarray, numpy.ndarray
        The (1 - level) / 2 and (1 + level) / 2 quantiles along `axis`; NaN where every replicate is
        NaN.

    Notes
    -----
    The quantiles are numpy's default (linear interpolation between order statistics, type 7 of
    Hyndman & Fan 1996). A replicate is NaN when its resample makes the statistic undefined (a flat
    profile, say); such replicates are left out rather than counted as extreme. The tests check
    coverage of the mean against normal theory, and bench/validity.py the coverage of every printed
    interval by simulation.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 13. New York:
    Chapman & Hall.
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The American
    Statistician 50(4), 361-365.

    Examples
    --------
    >>> import numpy as np
    >>> low, high = percentile_ci(np.arange(1.0, 102.0))
    >>> round(float(low), 6), round(float(high), 6)
    (3.5, 98.5)
    """
    alpha = (1 - level) / 2
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every replicate NaN: the interval is NaN, and says so
        low = np.nanquantile(replicates, alpha, axis=axis)
        high = np.nanquantile(replicates, 1 - alpha, axis=axis)
    return low, high


def expanded_level(n: int, level: float = 0.95) -> float:
    """The confidence level at which to read a percentile bootstrap of n units, so that it keeps `level`.

    Parameters
    ----------
    n : int
        Units resampled (trials or participants), at least 2.
    level : float
        The level the interval is to have.

    Returns
    -------
    float
        1 - alpha', with alpha' = 2 Phi(-sqrt(n / (n - 1)) t(1 - alpha / 2, n - 1)), alpha = 1 - level.

    Notes
    -----
    A percentile interval is too narrow in small samples, for two reasons: the bootstrap's spread
    of a mean is sqrt((n - 1) / n) of its standard error, and it reads normal quantiles where t's
    apply. Hesterberg's expanded percentile interval undoes both by reading the replicates at a
    wider level (at n = 15, 97.4% for a 95% interval; the two agree as n grows). bench/validity.py
    shows the coverage of every interval read this way.

    References
    ----------
    Hesterberg, T. C. (2015). What teachers should know about the bootstrap: resampling in the
    undergraduate statistics curriculum. The American Statistician 69(4), 371-386.

    Examples
    --------
    >>> round(expanded_level(15), 4), round(expanded_level(10_000), 4)
    (0.9736, 0.95)
    """
    if n < 2:
        raise ValueError("an expanded percentile interval needs at least two units")
    alpha = 1 - level
    return float(1 - 2 * sps.norm.cdf(-np.sqrt(n / (n - 1)) * sps.t.ppf(1 - alpha / 2, n - 1)))


def constant_interval(value: float, low: float, high: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """An interval for a mean when all n units gave the same value, instead of a zero-width one.

    Parameters
    ----------
    value : float
        The value every unit gave.
    low, high : float
        The least and the greatest value a unit can give (the scale's ends; 1 and k for ranks).
    n : int
        Units, at least 1.
    level : float
        Confidence level.

    Returns
    -------
    (low, high) : float, float
        value - (value - low) p and value + (high - value) p, p = 1 - ((1 - level) / 2)^(1 / n).

    Notes
    -----
    Resampling n identical values gives them back every time, and an interval of zero width would
    say the mean is known exactly. What n identical values do show is that a unit rarely gives any
    other value: p, the one-sided Clopper-Pearson upper bound for 0 events in n (the "rule of
    three" at 95%: about 3.7 / n), bounds that share; a share p of units giving values anywhere
    on the scale moves the mean at most p times the distance to each end. If the true share
    exceeds p, n identical values occur with probability below (1 - level) / 2, so the interval
    misses no more often than that (bench/validity.py shows it by simulation).

    References
    ----------
    Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated
    in the case of the binomial. Biometrika 26(4), 404-413.
    Hanley, J. A. & Lippman-Hand, A. (1983). If nothing goes wrong, is everything all right?
    Journal of the American Medical Association 249(13), 1743-1745.

    Examples
    --------
    Thirty trials that all rank a dimension first, of five:

    >>> [round(v, 3) for v in constant_interval(1.0, 1.0, 5.0, 30)]
    [1.0, 1.463]
    """
    p = 1 - ((1 - level) / 2) ** (1 / n)
    return float(value - (value - low) * p), float(value + (high - value) * p)


# --------------------------------------------------------------------------- tolerances

FLAT = 1e-10  # a variance below FLAT times the squared span of the scale is rounding residue


def is_flat(variance, span: float) -> np.ndarray:
    """Whether a variance is zero up to rounding: at most FLAT times the squared span of the scale.

    Parameters
    ----------
    variance : float or numpy.ndarray
        Variances (of a profile's means, of trials' values).
    span : float
        The scale's range: k - 1 for ranks of k dimensions, max - min for ratings.

    Returns
    -------
    numpy.ndarray
        True where the variance is at most FLAT * span^2 (NaN counts as flat).

    Notes
    -----
    Sums of floating-point values leave residues near 1e-16 times the squared magnitude of the
    values (a mean of equal ratings computed from weighted sums, a variance taken as a difference
    of two sums); used as a divisor, such a residue turns "no spread" into a ratio of 10^8. Every
    variance or standard deviation the audit divides by passes through this test first; FLAT =
    1e-10 leaves six orders of magnitude between the residue and the smallest spread a study could
    measure (a standard deviation of 1e-5 scale spans).

    References
    ----------
    Higham, N. J. (2002). Accuracy and Stability of Numerical Algorithms, 2nd ed., ch. 1-3.
    Philadelphia: SIAM.

    Examples
    --------
    >>> is_flat(np.array([0.0, 3e-16, 0.04]), 6.0).tolist()
    [True, True, False]
    """
    v = np.asarray(variance, dtype=np.float64)
    return ~(v > FLAT * span**2)


# --------------------------------------------------------------------------- stability


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Within-row ranks (1 = smallest), ties given their average rank.

    Parameters
    ----------
    x : numpy.ndarray
        Array (m, k): m trials (or people) by k dimensions.

    Returns
    -------
    numpy.ndarray
        Float array (m, k) of ranks within each row.

    Notes
    -----
    `scipy.stats.rankdata(x, axis=1)` with its default "average" method: tied values share the mean
    of the ranks they occupy (midranks), the convention of Friedman's test, Kendall's W and
    Spearman's correlation. Ratings are ranked this way before their stability is measured.

    References
    ----------
    Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed. New York: Wiley.

    Examples
    --------
    >>> import numpy as np
    >>> rank_rows(np.array([[3.0, 1, 3], [7, 5, 6]])).tolist()
    [[2.5, 1.0, 2.5], [3.0, 1.0, 2.0]]
    """
    return sps.rankdata(x, axis=1)


def tie_term(row_ranks: np.ndarray) -> np.ndarray:
    """Per row, the sum over tie groups of (t^3 - t): 0 for a row without ties.

    Parameters
    ----------
    row_ranks : numpy.ndarray
        Array (m, k) of within-row ranks (or any values: only equality matters).

    Returns
    -------
    numpy.ndarray
        Float array (m,).

    Notes
    -----
    Each value's tie-group size t_i is its number of equal values in the row; summing t_i^2 over
    the row's values gives the sum over groups of t^3, and subtracting k gives sum(t^3 - t). Summed
    over rows it is the tie correction of Friedman's chi-square and of Kendall's W (`friedman_w`);
    the tests check the corrected chi-square against scipy.stats.friedmanchisquare on tied ratings.

    References
    ----------
    Siegel, S. & Castellan, N. J. (1988). Nonparametric Statistics for the Behavioral Sciences,
    2nd ed. New York: McGraw-Hill.

    Examples
    --------
    >>> import numpy as np
    >>> tie_term(np.array([[2.5, 1, 2.5], [1, 2, 3]])).tolist()  # one pair of ties: 2^3 - 2
    [6.0, 0.0]
    """
    x = np.asarray(row_ranks)
    sizes = (x[:, :, None] == x[:, None, :]).sum(axis=2)
    return (sizes**2).sum(axis=1).astype(np.float64) - x.shape[1]


def friedman_w(rank_sums: np.ndarray, m: np.ndarray | float, k: int, ties: np.ndarray | float = 0.0):
    """Friedman chi-square, its p and Kendall's W from column rank sums, vectorised.

    Parameters
    ----------
    rank_sums : numpy.ndarray
        Array (..., k): the sums over m blocks (trials) of the within-block ranks of k dimensions.
    m : float or numpy.ndarray
        Number of blocks (broadcast against the leading axes of `rank_sums`).
    k : int
        Number of dimensions, at least 2.
    ties : float or numpy.ndarray
        Sum over blocks of sum(t^3 - t) (`tie_term`); 0 for rankings without ties.

    Returns
    -------
    (chi2, p, w) : numpy.ndarray
        Friedman's statistic, its p-value from the chi-square distribution with k - 1 degrees of
        freedom, and Kendall's W; NaN when every block ties every dimension.

    Raises
    ------
    ValueError
        When k < 2.

    Notes
    -----
    chi2 = [12 / (m k (k + 1)) sum R_j^2 - 3 m (k + 1)] / [1 - ties / (m (k^3 - k))], tie-corrected
    as R's friedman.test and scipy do, and W = chi2 / (m (k - 1)) (Kendall & Babington Smith 1939;
    Siegel & Castellan 1988, 9.7), which for ranks without ties equals 12 S / (m^2 (k^3 - k)).
    Validated against scipy.stats.friedmanchisquare (with and without ties), pingouin.friedman's W,
    and hand-computed W for perfect, opposite and mixed rankings.

    References
    ----------
    Friedman, M. (1937). The use of ranks to avoid the assumption of normality implicit in the
    analysis of variance. Journal of the American Statistical Association 32(200), 675-701.
    Kendall, M. G. & Babington Smith, B. (1939). The problem of m rankings. Annals of Mathematical
    Statistics 10(3), 275-287.
    Siegel & Castellan (1988), cited in full at `tie_term`.

    Examples
    --------
    Three trials that rank four dimensions identically agree perfectly:

    >>> import numpy as np
    >>> chi2, p, w = friedman_w(np.array([3.0, 6, 9, 12]), 3, 4)
    >>> float(chi2), round(float(p), 4), float(w)
    (9.0, 0.0293, 1.0)
    """
    rank_sums = np.asarray(rank_sums, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    if k < 2:
        raise ValueError("Friedman's test needs at least two dimensions")
    with np.errstate(all="ignore"):
        raw = 12.0 / (m * k * (k + 1)) * np.sum(rank_sums**2, axis=-1) - 3.0 * m * (k + 1)
        correction = 1.0 - np.asarray(ties) / (m * (k**3 - k))
        chi2 = np.where(correction > 0, raw / correction, np.nan)
        w = chi2 / (m * (k - 1))
    p = sps.chi2.sf(chi2, k - 1)
    return chi2, p, w


# --------------------------------------------------------------------------- between models


def epsilon_squared(h: float, n: int) -> float:
    """Epsilon-squared effect size of a Kruskal-Wallis H.

    Parameters
    ----------
    h : float
        The Kruskal-Wallis statistic.
    n : int
        Total number of observations over all groups.

    Returns
    -------
    float
        H (n + 1) / (n^2 - 1), between 0 and 1; NaN when n < 2.

    Notes
    -----
    The form is H / ((n^2 - 1) / (n + 1)) of Tomczak & Tomczak (2014), eq. 12, which the tests
    check on a scipy.stats.kruskal statistic.

    References
    ----------
    Tomczak, M. & Tomczak, E. (2014). The need to report effect size estimates revisited. An
    overview of some recommended measures of effect size. Trends in Sport Sciences 1(21), 19-25.

    Examples
    --------
    >>> epsilon_squared(12.0, 25)
    0.5
    """
    if n < 2:
        return float("nan")
    return float(h * (n + 1) / (n**2 - 1))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values; NaN entries stay NaN and are not counted.

    Parameters
    ----------
    p : numpy.ndarray
        Unadjusted p-values of one family of tests (1-d).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input's order.

    Notes
    -----
    With the m non-NaN p-values sorted, p_(1) <= ... <= p_(m), the adjusted p_(j) is the maximum over
    i <= j of (m - i + 1) p_(i), capped at 1. It controls the familywise error rate under any
    dependence. Validated against statsmodels.stats.multitest.multipletests(method="holm").

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal
    of Statistics 6(2), 65-70.

    Examples
    --------
    >>> import numpy as np
    >>> holm(np.array([0.01, 0.04, 0.03, np.nan])).round(2).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    values = p[ok]
    m = len(values)
    if m == 0:
        return out
    order = np.argsort(values)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * values[order])
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[ok] = result
    return out


def rank_biserial(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Mann-Whitney U and the rank-biserial correlation of two samples.

    Parameters
    ----------
    x, y : numpy.ndarray
        The two samples (1-d).

    Returns
    -------
    (u, p, r) : float, float, float
        U of x; the two-sided asymptotic p with continuity correction; r = 2 U / (n_x n_y) - 1.
        All NaN when a sample is empty; (n_x n_y / 2, 1, 0) when every value is the same.

    Notes
    -----
    U and p are scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    (midranks for ties, tie-corrected variance). r is the rank-biserial correlation in Kerby's
    simple difference form: the share of (x, y) pairs where x is larger minus the share where y is
    larger, ties counting half; positive when x tends to be larger. Validated against pingouin.mwu
    (U_val, p_val, RBC).

    References
    ----------
    Mann, H. B. & Whitney, D. R. (1947). On a test of whether one of two random variables is
    stochastically larger than the other. Annals of Mathematical Statistics 18(1), 50-60.
    Kerby, D. S. (2014). The simple difference formula: an approach to teaching nonparametric
    correlation. Comprehensive Psychology 3, 11.IT.3.1.

    Examples
    --------
    >>> import numpy as np
    >>> u, p, r = rank_biserial(np.array([4.0, 5, 6, 7]), np.array([1.0, 2, 3, 5]))
    >>> u, round(p, 4), r
    (14.5, 0.0814, 0.8125)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) == 0 or len(y) == 0:
        return float("nan"), float("nan"), float("nan")
    if np.ptp(np.concatenate([x, y])) == 0:
        return len(x) * len(y) / 2.0, 1.0, 0.0
    res = sps.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    return float(res.statistic), float(res.pvalue), float(2 * res.statistic / (len(x) * len(y)) - 1)


# --------------------------------------------------------------------------- agreement


def icc_two_way(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ICC(A,1) and ICC(C,1) of McGraw & Wong (1996) for two raters over n targets, vectorised.

    Parameters
    ----------
    a, b : numpy.ndarray
        Arrays (..., n): the two raters' scores of the same n targets (here: a model's and a human
        sample's mean per dimension, dimensions as targets); leading axes are replicates.

    Returns
    -------
    (icc_a1, icc_c1) : numpy.ndarray, numpy.ndarray
        Absolute agreement and consistency, each of shape (...).

    Raises
    ------
    ValueError
        When n < 2.

    Notes
    -----
    Two-way model, single measures, k = 2 raters:

      ICC(A,1) = (MSR - MSE) / (MSR + (k-1) MSE + k/n (MSC - MSE))   absolute agreement
      ICC(C,1) = (MSR - MSE) / (MSR + (k-1) MSE)                     consistency

    with MSR the between-target, MSC the between-rater and MSE the residual mean square. These are
    Shrout & Fleiss's ICC(2,1) and ICC(3,1), pingouin's ICC2 and ICC3 and R irr::icc(model =
    "twoway", type = "agreement" / "consistency", unit = "single"). Validated against
    pingouin.intraclass_corr, and by hand for a rater shifted by a constant (ICC(C,1) = 1,
    ICC(A,1) = 5/9).

    References
    ----------
    McGraw, K. O. & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods 1(1), 30-46.
    Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin 86(2), 420-428.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([1.0, 2, 3, 4, 5])
    >>> [round(float(v), 4) for v in icc_two_way(a, a + 2)]  # consistent, but 2 points apart
    [0.5556, 1.0]
    """
    x = np.stack([np.asarray(a, float), np.asarray(b, float)], axis=-1)  # (..., n, 2)
    n, k = x.shape[-2], 2
    if n < 2:
        raise ValueError("an ICC needs at least two targets")
    grand = x.mean(axis=(-2, -1), keepdims=True)
    target_means = x.mean(axis=-1, keepdims=True)
    rater_means = x.mean(axis=-2, keepdims=True)
    ss_rows = k * np.sum((target_means - grand) ** 2, axis=(-2, -1))
    ss_cols = n * np.sum((rater_means - grand) ** 2, axis=(-2, -1))
    ss_total = np.sum((x - grand) ** 2, axis=(-2, -1))
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    with np.errstate(all="ignore"):
        icc_a = (msr - mse) / (msr + (k - 1) * mse + k / n * (msc - mse))
        icc_c = (msr - mse) / (msr + (k - 1) * mse)
    return icc_a, icc_c


def pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson's r between a and b along the last axis, vectorised.

    Parameters
    ----------
    a, b : numpy.ndarray
        Arrays (..., k) of the same shape (or broadcastable).

    Returns
    -------
    numpy.ndarray
        r of shape (...); NaN where either row is constant.

    Notes
    -----
    r = sum(a_c b_c) / sqrt(sum(a_c^2) sum(b_c^2)) with a_c, b_c the rows centred on their means.
    The tests check it against scipy.stats.pearsonr row by row.

    References
    ----------
    Pearson, K. (1896). Mathematical contributions to the theory of evolution. III. Regression,
    heredity, and panmixia. Philosophical Transactions of the Royal Society of London, Series A 187,
    253-318.

    Examples
    --------
    >>> import numpy as np
    >>> pearson_rows(np.array([[1.0, 2, 3], [1, 2, 3]]), np.array([[2.0, 4, 6], [3, 2, 1.5]])).round(4).tolist()
    [1.0, -0.982]
    """
    a = np.asarray(a, float) - np.mean(a, axis=-1, keepdims=True)
    b = np.asarray(b, float) - np.mean(b, axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        return np.sum(a * b, axis=-1) / np.sqrt(np.sum(a * a, axis=-1) * np.sum(b * b, axis=-1))


def koo_li_band(icc: float) -> str:
    """The Koo & Li (2016) band of an ICC value.

    Parameters
    ----------
    icc : float
        An ICC estimate (or an interval's end).

    Returns
    -------
    str
        "poor" below .50, "moderate" from .50, "good" from .75, "excellent" from .90, and
        "not estimable" for None or NaN.

    Notes
    -----
    Koo & Li give the bands for the point estimate but advise judging by the 95% interval; the
    audit names a band only through `koo_li_interval_band`, which applies these cut-offs to both
    ends of the intervals.

    References
    ----------
    Koo, T. K. & Li, M. Y. (2016). A guideline of selecting and reporting intraclass correlation
    coefficients for reliability research. Journal of Chiropractic Medicine 15(2), 155-163.

    Examples
    --------
    >>> [koo_li_band(v) for v in (0.49, 0.5, 0.75, 0.9, float("nan"))]
    ['poor', 'moderate', 'good', 'excellent', 'not estimable']
    """
    if icc is None or np.isnan(icc):
        return "not estimable"
    if icc < 0.5:
        return "poor"
    if icc < 0.75:
        return "moderate"
    if icc < 0.9:
        return "good"
    return "excellent"


# --------------------------------------------------------------------------- structure


def classical_mds(d: np.ndarray, dims: int = 2) -> tuple[np.ndarray, float]:
    """Classical (Torgerson) multidimensional scaling of a distance matrix.

    Parameters
    ----------
    d : numpy.ndarray
        Symmetric array (n, n) of distances.
    dims : int
        Number of axes, 2 for a map.

    Returns
    -------
    (coords, share) : numpy.ndarray, float
        Coordinates (n, dims), and the share of the positive eigenvalue mass the axes keep (1 when
        the distances are exactly Euclidean in `dims` dimensions; NaN for fewer than two points).

    Notes
    -----
    Double-centre B = -J D^2 J / 2 (J the centring matrix), take the top `dims` eigenvectors scaled
    by the square roots of their eigenvalues (negative eigenvalues taken as 0). Each axis's sign is
    fixed so that its largest coordinate in absolute value is positive: the same data always give
    the same picture. The tests check that the distances of points in a plane are recovered exactly.

    References
    ----------
    Torgerson, W. S. (1952). Multidimensional scaling: I. Theory and method. Psychometrika 17(4),
    401-419.
    Borg, I. & Groenen, P. J. F. (2005). Modern Multidimensional Scaling: Theory and Applications,
    2nd ed., ch. 12. New York: Springer.

    Examples
    --------
    Three points on a line at 0, 1 and 3:

    >>> import numpy as np
    >>> x = np.array([0.0, 1, 3])
    >>> coords, share = classical_mds(np.abs(x[:, None] - x[None, :]))
    >>> coords[:, 0].round(4).tolist(), round(share, 6)
    ([-1.3333, -0.3333, 1.6667], 1.0)
    """
    d = np.asarray(d, float)
    n = d.shape[0]
    if n < 2:
        return np.zeros((n, dims)), float("nan")
    j = np.eye(n) - np.ones((n, n)) / n
    bmat = -0.5 * j @ (d**2) @ j
    values, vectors = np.linalg.eigh(bmat)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    kept = np.clip(values[:dims], 0, None)
    coords = vectors[:, :dims] * np.sqrt(kept)
    if coords.shape[1] < dims:
        coords = np.hstack([coords, np.zeros((n, dims - coords.shape[1]))])
    positive = values[values > 0].sum()
    share = float(kept.sum() / positive) if positive > 0 else float("nan")
    # fix the sign of each axis so the same data always gives the same picture
    signs = np.sign(coords[np.argmax(np.abs(coords), axis=0), np.arange(dims)])
    return coords * np.where(signs == 0, 1, signs), share


def silhouette(d: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette width of a partition, from a distance matrix.

    Parameters
    ----------
    d : numpy.ndarray
        Array (n, n) of distances.
    labels : numpy.ndarray
        Cluster label of each of the n points.

    Returns
    -------
    float
        The mean over points of s_i = (b_i - a_i) / max(a_i, b_i); NaN with fewer than two clusters
        or as many clusters as points.

    Notes
    -----
    a_i is the mean distance from point i to the other members of its cluster, b_i the smallest
    mean distance to the members of another cluster; a point alone in its cluster scores 0. This is
    the loop form; `structure.silhouette_fast` is the vectorised one. Validated against
    scikit-learn's silhouette_score(metric="precomputed").

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and validation of
    cluster analysis. Journal of Computational and Applied Mathematics 20, 53-65.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 0.1, 0.2, 5, 5.1])
    >>> round(silhouette(np.abs(x[:, None] - x[None, :]), np.array([1, 1, 1, 2, 2])), 4)
    0.9758
    """
    d = np.asarray(d, float)
    labels = np.asarray(labels)
    clusters = np.unique(labels)
    if len(clusters) < 2 or len(clusters) >= len(labels):
        return float("nan")
    widths = np.zeros(len(labels))
    for i in range(len(labels)):
        own = labels == labels[i]
        if own.sum() == 1:
            continue
        a = d[i, own].sum() / (own.sum() - 1)
        b = min(d[i, labels == c].mean() for c in clusters if c != labels[i])
        widths[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float(widths.mean())


def jaccard(a: set, b: set) -> float:
    """Jaccard similarity of two sets: the size of their intersection over that of their union.

    Parameters
    ----------
    a, b : set
        Two sets (here: the models in two clusters).

    Returns
    -------
    float
        |a & b| / |a | b|, from 0 (disjoint) to 1 (equal); NaN when both are empty.

    Notes
    -----
    Used for clusterwise stability (Hennig 2007): each original cluster is matched with its most
    similar cluster in every bootstrap re-clustering. The tests check the stability of two
    well-separated groups of simulated models.

    References
    ----------
    Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist 11(2),
    37-50.
    Hennig, C. (2007). Cluster-wise assessment of cluster stability. Computational Statistics &
    Data Analysis 52(1), 258-271.

    Examples
    --------
    >>> jaccard({1, 2, 3}, {2, 3, 4})
    0.5
    """
    return len(a & b) / len(a | b) if a | b else float("nan")


# --------------------------------------------------------------------------- coding (Study 1)


def wilson_ci(k: np.ndarray, n: np.ndarray, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion k / n, vectorised.

    Parameters
    ----------
    k : numpy.ndarray
        Successes.
    n : numpy.ndarray
        Trials (broadcast with k).
    z : float
        The normal quantile of the confidence level (1.96 for 95%).

    Returns
    -------
    (low, high) : numpy.ndarray, numpy.ndarray
        The interval's ends; NaN where n = 0.

    Notes
    -----
    centre = (p + z^2 / 2n) / (1 + z^2 / n), half-width = z sqrt(p (1 - p) / n + z^2 / 4n^2) /
    (1 + z^2 / n), p = k / n. Unlike the Wald interval it stays within [0, 1] and keeps its coverage
    near 0 and 1 (Agresti & Coull 1998). Validated against statsmodels' proportion_confint(method =
    "wilson"), including k = 0 and k = n.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    Journal of the American Statistical Association 22(158), 209-212.
    Agresti, A. & Coull, B. A. (1998). Approximate is better than "exact" for interval estimation of
    binomial proportions. The American Statistician 52(2), 119-126.

    Examples
    --------
    >>> import numpy as np
    >>> low, high = wilson_ci(np.array([7, 0]), np.array([20, 15]))
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.1812, 0.0], [0.5671, 0.2039])
    """
    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(all="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa for two coders' nominal codes of the same units.

    Parameters
    ----------
    a, b : numpy.ndarray
        The two coders' codes, equally long and not empty.

    Returns
    -------
    float
        (p_o - p_e) / (1 - p_e); NaN when both coders use one and the same code throughout
        (agreement is then not estimable, not perfect).

    Raises
    ------
    ValueError
        When the code lists differ in length or are empty.

    Notes
    -----
    p_o is the share of units coded alike, p_e the agreement expected from each coder's own
    marginal shares, sum over codes c of P_a(c) P_b(c). Validated against a textbook 2 x 2 table
    (kappa = .40) and scikit-learn's cohen_kappa_score.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological
    Measurement 20(1), 37-46.

    Examples
    --------
    50 units: both yes 20, A yes and B no 5, A no and B yes 10, both no 15 (p_o = .70, p_e = .50):

    >>> import numpy as np
    >>> a = np.array([1] * 25 + [0] * 25)
    >>> b = np.array([1] * 20 + [0] * 5 + [1] * 10 + [0] * 15)
    >>> round(cohen_kappa(a, b), 6)
    0.4
    """
    a, b = np.asarray(a), np.asarray(b)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError("kappa needs two equally long, non-empty code lists")
    cats = np.union1d(a, b)
    po = np.mean(a == b)
    pe = sum(np.mean(a == c) * np.mean(b == c) for c in cats)
    return float((po - pe) / (1 - pe)) if pe < 1 else float("nan")


def krippendorff_alpha_nominal(data: np.ndarray) -> float:
    """Krippendorff's alpha for nominal codes, with missing codes allowed.

    Parameters
    ----------
    data : numpy.ndarray
        Array (units, coders) of numeric codes, NaN where a coder did not code a unit.

    Returns
    -------
    float
        alpha; NaN when fewer than two pairable codes exist or every pairable code is the same.

    Notes
    -----
    Coincidence-matrix form: each unit with m >= 2 codes adds 1 / (m - 1) to o_ck for every ordered
    pair of its codes (c, k) from different coders; n_c are the row sums and n their total. Then
    alpha = 1 - (n - 1) sum_{c != k} o_ck / sum_{c != k} n_c n_k. Units with fewer than two codes are
    not pairable and are left out. Validated against the worked example of Krippendorff (2011),
    section C (alpha = 0.743).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Departmental Papers (ASC),
    Annenberg School for Communication, University of Pennsylvania.
    Krippendorff, K. (2004). Content Analysis: An Introduction to Its Methodology, 2nd ed. Thousand
    Oaks, CA: Sage.

    Examples
    --------
    >>> import numpy as np
    >>> round(krippendorff_alpha_nominal(np.array([[1, 1], [2, 2], [1, 2], [2, 2.0]])), 4)
    0.5333
    >>> krippendorff_alpha_nominal(np.array([[1, 1, np.nan], [2, 2, 2], [1, 1, 1.0]]))
    1.0
    """
    data = np.asarray(data, float)
    values = np.unique(data[~np.isnan(data)])
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for unit in data:
        codes = unit[~np.isnan(unit)]
        m = len(codes)
        if m < 2:
            continue
        for i, c in enumerate(codes):
            for j, k in enumerate(codes):
                if i != j:
                    o[index[c], index[k]] += 1.0 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return float("nan")
    disagree_observed = o.sum() - np.trace(o)
    disagree_expected = (n_c.sum() ** 2 - np.sum(n_c**2))
    if disagree_expected == 0:
        return float("nan")
    return float(1 - (n - 1) * disagree_observed / disagree_expected)


def rank_biserial_boot(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, b: int) -> np.ndarray:
    """Bootstrap replicates of the rank-biserial r, resampling x and y independently.

    Parameters
    ----------
    x, y : numpy.ndarray
        The two samples (1-d, not empty).
    rng : numpy.random.Generator
        The seeded generator the resamples come from.
    b : int
        Number of resamples.

    Returns
    -------
    numpy.ndarray
        Array (b,) of r = 2 U_x / (n_x n_y) - 1, one per resample.

    Notes
    -----
    Each replicate draws n_x values of x and n_y of y with replacement; U_x comes from the rank sum
    of x in the pooled resample (midranks for ties), U_x = R_x - n_x (n_x + 1) / 2, so a replicate
    costs one sort. Where the samples take few distinct values (ranks, ratings), U_x is counted
    instead, U_x = sum_v c_x(v) (C_y(< v) + c_y(v) / 2) from each resample's counts of every value:
    the same number (sums of halves are exact), without a sort. The percentile interval of these
    replicates is the interval `papers compare` prints for r; r itself is `rank_biserial`'s.

    References
    ----------
    Kerby (2014), cited in full at `rank_biserial`.
    Efron & Tibshirani (1993), cited in full at `bootstrap_counts`.

    Examples
    --------
    Every x above every y, in every resample:

    >>> import numpy as np
    >>> rank_biserial_boot(np.array([4.0, 5, 6, 7]), np.array([1.0, 2, 3]), np.random.default_rng(1), 3).tolist()
    [1.0, 1.0, 1.0]
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    nx, ny = len(x), len(y)
    ix, iy = rng.integers(0, nx, size=(b, nx)), rng.integers(0, ny, size=(b, ny))
    values = np.unique(np.concatenate([x, y]))
    if len(values) <= 32:  # few distinct values: count them rather than rank every resample
        cx = _value_counts(np.searchsorted(values, x)[ix], len(values))
        cy = _value_counts(np.searchsorted(values, y)[iy], len(values))
        below = np.cumsum(cy, axis=1) - cy
        u = (cx * (below + cy / 2)).sum(axis=1)
    else:
        ranks = sps.rankdata(np.hstack([x[ix], y[iy]]), axis=1)
        u = ranks[:, :nx].sum(axis=1) - nx * (nx + 1) / 2
    return 2 * u / (nx * ny) - 1


def _value_counts(codes: np.ndarray, k: int) -> np.ndarray:
    """(resamples x k) how often each of k value codes occurs in each resample (row of `codes`)."""
    rows = np.repeat(np.arange(codes.shape[0]), codes.shape[1])
    return np.bincount(rows * k + codes.ravel(), minlength=codes.shape[0] * k).reshape(codes.shape[0], k).astype(float)


# --------------------------------------------------------------------------- stability across trial counts


def unit_rows(ranks: np.ndarray) -> np.ndarray:
    """Each row's ranks centred and scaled to unit length; a row without any order (all tied) is 0.

    Parameters
    ----------
    ranks : numpy.ndarray
        Array (m, k) of within-row ranks (ties as average ranks).

    Returns
    -------
    numpy.ndarray
        Array (m, k) of unit-length rows, or rows of zeros where a row is constant.

    Notes
    -----
    Spearman's rho of two rankings is Pearson's r of their ranks, so the dot product of two such
    rows is their Spearman correlation (ties as average ranks), and sums of rows give sums of
    pairwise correlations in O(m k) (`mean_spearman`). The tests check the resulting mean against
    scipy.stats.spearmanr pair by pair.

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between two things. American
    Journal of Psychology 15(1), 72-101.

    Examples
    --------
    >>> import numpy as np
    >>> z = unit_rows(np.array([[1.0, 2, 3], [1, 3, 2], [2, 2, 2]]))
    >>> round(float(z[0] @ z[1]), 6), z[2].tolist()  # Spearman's rho of the first two; the third has no order
    (0.5, [0.0, 0.0, 0.0])
    """
    x = np.asarray(ranks, float)
    centred = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        return np.where(norm > 1e-12, centred / np.where(norm > 1e-12, norm, 1.0), 0.0)


def mean_spearman(ranks: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean inter-trial Spearman correlation with a jackknife-over-trials confidence interval.

    Parameters
    ----------
    ranks : (m, k) array
        Within-trial ranks of the k dimensions in each of m trials (ratings ranked within the
        trial, ties as average ranks).
    level : float
        Confidence level of the interval.

    Returns
    -------
    (mean_rho, ci_low, ci_high) : floats; the interval is NaN with fewer than three trials.

    Notes
    -----
    mean_rho is the average of the Spearman correlations of all m(m-1)/2 pairs of trials. With
    unit-length centred rank rows z_i it is (|sum z_i|^2 - q) / (m (m - 1)), q the number of rows
    with any order; a trial that ties every dimension has no order and correlates 0 with every
    other trial (as in Kendall's W, to whose rank sums it adds nothing). For rankings without
    ties it equals (m W - 1) / (m - 1) exactly (Kendall & Babington Smith 1939), W being Kendall's
    coefficient of concordance; unlike W it has the same expectation whatever the number of
    trials, which makes it the quantity to compare across models.

    The interval is a jackknife over trials (Quenouille 1956; Efron & Tibshirani 1993, ch. 11)
    on Fisher's z scale: leave-one-out estimates give pseudo-values of atanh(mean_rho), whose mean
    +/- t(m-1) standard errors is transformed back with tanh. When every trial gives the same
    ordering, the jackknife would return the estimate as both ends; the interval is then
    [(1 - 2 p)^2, 1] instead, p the Clopper-Pearson bound of `constant_interval` on the share of
    trials that order otherwise (the true mean_rho is |E z|^2, and |E z| >= 1 - 2 p). When the
    leave-one-out estimates do not vary otherwise, the interval is NaN. bench/validity.py shows
    its coverage by simulation from Plackett-Luce models with known truth, degenerate ones included.

    References
    ----------
    Kendall, M. G. & Babington Smith, B. (1939). The problem of m rankings. Annals of Mathematical
    Statistics 10(3), 275-287. Efron, B. & Tibshirani, R. J. (1993). An Introduction to the
    Bootstrap. Chapman & Hall.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [4, 3, 2, 1]])
    >>> round(mean_spearman(x)[0], 4)  # pairs: 1, -1, -1
    -0.3333
    >>> [round(v, 3) for v in mean_spearman(np.tile([1.0, 2, 3], (30, 1)))]  # thirty identical trials
    [1.0, 0.591, 1.0]
    """
    z = unit_rows(ranks)
    m = z.shape[0]
    if m < 2:
        return float("nan"), float("nan"), float("nan")
    ordered = (np.abs(z).sum(axis=1) > 0).astype(float)
    total = z.sum(axis=0)
    estimate = float((total @ total - ordered.sum()) / (m * (m - 1)))
    if m < 3:
        return estimate, float("nan"), float("nan")
    if ordered.all() and np.abs(z - z[0]).max() <= 1e-12:  # every trial alike: a bound, not a zero-width interval
        p = 1 - ((1 - level) / 2) ** (1 / m)
        return estimate, float(max(0.0, 1 - 2 * p) ** 2), 1.0
    rest = total[None, :] - z
    loo = (np.einsum("ij,ij->i", rest, rest) - (ordered.sum() - ordered)) / ((m - 1) * (m - 2))
    if np.ptp(loo) <= 1e-12:  # the leave-one-out estimates do not vary: the jackknife has nothing to measure
        return estimate, float("nan"), float("nan")
    fz = np.arctanh(np.clip(estimate, -1 + 1e-12, 1 - 1e-12))
    pseudo = m * fz - (m - 1) * np.arctanh(np.clip(loo, -1 + 1e-12, 1 - 1e-12))
    se = pseudo.std(ddof=1) / np.sqrt(m)
    t = sps.t.ppf(0.5 + level / 2, m - 1)
    return estimate, float(np.tanh(fz - t * se)), float(np.tanh(fz + t * se))


# --------------------------------------------------------------------------- profile fidelity


@dataclass
class ProfileMoments:
    """Mean profiles of one group (a model or a human sample) and the noise in them, per replicate.

    `means` (..., k) are the per-dimension means; `noise` (...) is the expected inflation of the
    across-dimension variance of the means by sampling noise, tr(C S C) / ((k - 1) m), with S the
    covariance of the units' rows and C the centring matrix; `level_noise` (...) is the sampling
    variance of the grand mean, var(row means) / m."""

    means: np.ndarray
    noise: np.ndarray
    level_noise: np.ndarray


def profile_moments(x: np.ndarray, counts: np.ndarray | None = None) -> ProfileMoments:
    """Mean profile of a group's units and the sampling noise in it, once or per bootstrap resample.

    Parameters
    ----------
    x : numpy.ndarray
        Array (m, k): m units (a model's trials or a sample's participants) by k dimensions.
    counts : numpy.ndarray, optional
        Array (B, m) of bootstrap counts (`bootstrap_counts`); without it, the data as observed.

    Returns
    -------
    ProfileMoments
        means (k,) or (B, k); noise and level_noise, scalars or (B,).

    Notes
    -----
    With S the covariance of the units' rows and C the centring matrix over dimensions, `noise` is
    tr(C S C) / ((k - 1) m), the expected inflation of the across-dimension variance of the means by
    sampling noise, and `level_noise` is var(row means) / m, the sampling variance of the grand mean
    (both 0 for a single unit). A resample's moments are the weighted moments with its counts as
    weights, all from one matrix product over the (B x m) counts. `fidelity` subtracts these from
    the observed variances, the method-of-moments correction for error in the means (Fuller 1987).
    The tests check that the counts form equals the expanded resamples, and that the corrected
    spread is unbiased in simulation.

    References
    ----------
    Fuller, W. A. (1987). Measurement Error Models. New York: Wiley.
    Efron & Tibshirani (1993), cited in full at `bootstrap_counts`.

    Examples
    --------
    >>> import numpy as np
    >>> pm = profile_moments(np.array([[1.0, 2, 3], [3, 2, 4]]))
    >>> pm.means.tolist(), float(pm.noise), float(pm.level_noise)
    ([2.0, 2.0, 3.5], 0.25, 0.25)
    >>> profile_moments(np.array([[1.0, 2, 3], [3, 2, 4]]), np.array([[2.0, 0], [1, 1]])).means.tolist()
    [[1.0, 2.0, 3.0], [2.0, 2.0, 3.5]]
    """
    x = np.asarray(x, float)
    m, k = x.shape
    weights = np.ones((1, m)) if counts is None else np.asarray(counts, float)
    row = x.mean(axis=1)
    squares = ((x - row[:, None]) ** 2).sum(axis=1)
    # one pass over the (B x m) counts: sums of x, of the row means, of their squares, of the squared deviations
    sums = weights @ np.column_stack([x, row, row**2, squares]) / m
    means, row_mean, row_sq, square_mean = sums[:, :k], sums[:, k], sums[:, k + 1], sums[:, k + 2]
    centred_means = means - row_mean[:, None]
    with np.errstate(all="ignore"):
        trace = m * (square_mean - (centred_means**2).sum(axis=1)) / (m - 1)
        level = m * (row_sq - row_mean**2) / (m - 1) / m
    noise, level = (np.nan_to_num(v) if m > 1 else np.zeros_like(v) for v in (trace / ((k - 1) * m), level))
    if counts is None:
        return ProfileMoments(means[0], noise[0], level[0])
    return ProfileMoments(means, noise, level)


def fidelity(model: ProfileMoments, human: ProfileMoments, span: float | None = None,
             bounded: bool = True) -> dict[str, np.ndarray]:
    """Profile fidelity of a model to a human sample: order, calibration, level and agreement.

    Parameters
    ----------
    model, human : ProfileMoments
        From `profile_moments`, of the same k dimensions (broadcast over bootstrap replicates).
    span : float, optional
        The scale's range (k - 1 for ranks, max - min for ratings), for `is_flat`; by default the
        largest absolute mean of either profile.
    bounded : bool
        Hold the corrected moments to what true profiles allow (the estimates); False leaves them
        as corrected, for the bootstrap replicates of `fidelity_intervals`.

    Returns
    -------
    dict of arrays: pearson_r (order), spread_ratio (calibration: SD of the model's dimension
    means over SD of the humans'; above 1 the model exaggerates the gaps between priorities),
    level_shift (mean of the model's means minus the humans'), ccc (Lin's concordance
    correlation), icc_a1 and icc_c1 (McGraw & Wong 1996, two raters, dimensions as targets).

    Notes
    -----
    Each statistic is a function of five moments of the two mean profiles: their variances over
    the dimensions v_a, v_b, their covariance c and the level difference d. Means of finitely many
    trials carry noise, which inflates v_a and v_b (never c: the two groups are independent) and
    d^2; left alone it makes a model with few trials look less correlated and more exaggerated
    than it is. So the variances are corrected by their expected inflation, v - tr(C S C) / ((k-1)
    m), and d^2 by the variance of the grand means (a method-of-moments correction, as in
    Spearman's 1904 disattenuation). With noise-free profiles every statistic equals its textbook
    form, which the tests check against scipy, pingouin and R's formulas:

    - r = c / sqrt(v_a v_b); NaN when a corrected variance is 0 (the profile does not differ
      from flat beyond its noise).
    - spread ratio = sqrt(v_a / v_b); NaN when v_b is 0.
    - CCC = 2 c' / (v_a' + v_b' + d^2), with moments over k (Lin 1989), where ' marks divisor k.
    - ICC from the two-way mean squares MSR = (v_a + v_b + 2c)/2, MSE = (v_a + v_b - 2c)/2, MSC =
      k d^2 / 2: ICC(A,1) = (MSR - MSE) / (MSR + MSE + 2 (MSC - MSE) / k) and ICC(C,1) =
      (MSR - MSE) / (MSR + MSE).

    A corrected variance within `is_flat` of 0 is 0. Bounded, corrected moments that fall outside
    what true profiles allow are held to it: a variance below 0 is taken as 0, and |c| is held to
    sqrt(v_a v_b) (Cauchy-Schwarz), which keeps r, CCC and ICC(C,1) within [-1, 1] and ICC(A,1) at
    most 1; the audit declines every statistic but the level when either corrected variance is 0.
    Unbounded, the moments stay as corrected, so that a replicate is a smooth function of the
    resampled means and not piled up at a boundary; `fidelity_intervals` holds the interval, not
    the replicates, to the statistic's range.

    This is the project's own operationalisation of the "profile fidelity" of Lau et al. (2026),
    whose formula is not public: order, calibration and level reported apart, and CCC, which
    combines them.

    References
    ----------
    Lin, L. I.-K. (1989). A concordance correlation coefficient to evaluate reproducibility.
    Biometrics 45(1), 255-268. McGraw, K. O. & Wong, S. P. (1996). Forming inferences about some
    intraclass correlation coefficients. Psychological Methods 1(1), 30-46. Spearman, C. (1904).
    The proof and measurement of association between two things. American Journal of Psychology
    15(1), 72-101.

    Examples
    --------
    >>> import numpy as np
    >>> a = profile_moments(np.array([[1.0, 2, 3, 4]] * 3))
    >>> b = profile_moments(np.array([[1.0, 3, 5, 7]] * 3))
    >>> {k: round(float(v), 3) for k, v in fidelity(a, b).items()}
    {'pearson_r': 1.0, 'spread_ratio': 0.5, 'level_shift': -1.5, 'ccc': 0.588, 'icc_a1': 0.656, 'icc_c1': 0.8}
    """
    a, b = model.means, human.means
    k = a.shape[-1]
    span = span if span is not None else max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1.0)
    ac = a - a.mean(axis=-1, keepdims=True)
    bc = b - b.mean(axis=-1, keepdims=True)
    va = np.sum(ac**2, axis=-1) / (k - 1) - model.noise
    vb = np.sum(bc**2, axis=-1) / (k - 1) - human.noise
    va, vb = (np.where(is_flat(np.abs(v), span), 0.0, v) for v in (va, vb))
    c = np.sum(ac * bc, axis=-1) / (k - 1)
    shift = a.mean(axis=-1) - b.mean(axis=-1)
    d2 = shift**2 - model.level_noise - human.level_noise
    if bounded:
        va, vb, d2 = np.maximum(va, 0.0), np.maximum(vb, 0.0), np.maximum(d2, 0.0)
        c = np.clip(c, -np.sqrt(va * vb), np.sqrt(va * vb))
    both = (va > 0) & (vb > 0)
    with np.errstate(all="ignore"):
        r = np.where(both, c / np.sqrt(np.where(both, va * vb, 1.0)), np.nan)
        spread = np.where(vb > 0, np.sqrt(np.maximum(va, 0.0) / np.where(vb > 0, vb, 1.0)), np.nan)
        scale = (k - 1) / k
        ccc = _ratio(2 * c * scale, va * scale + vb * scale + d2)
        msr, mse, msc = (va + vb + 2 * c) / 2, (va + vb - 2 * c) / 2, k * d2 / 2
        icc_a = _ratio(msr - mse, msr + mse + 2 * (msc - mse) / k)
        icc_c = _ratio(msr - mse, msr + mse)
    return {"pearson_r": r, "spread_ratio": spread, "level_shift": shift, "ccc": ccc, "icc_a1": icc_a, "icc_c1": icc_c}


def _ratio(numerator, denominator):
    """numerator / denominator, NaN where the denominator is not above 0 (every fidelity ratio's
    denominator is a sum of variances)."""
    ok = denominator > 0
    return np.where(ok, numerator / np.where(ok, denominator, 1.0), np.nan)


# the values each fidelity statistic can take, to which an interval is held
FIDELITY_RANGE = {"pearson_r": (-1.0, 1.0), "spread_ratio": (0.0, np.inf), "level_shift": (-np.inf, np.inf),
                  "ccc": (-1.0, 1.0), "icc_a1": (-np.inf, 1.0), "icc_c1": (-1.0, 1.0)}


def fidelity_population(model: np.ndarray, human: np.ndarray, span: float | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The units to resample for fidelity intervals: the data, moved so that their mean profiles
    have the noise-corrected moments.

    Parameters
    ----------
    model, human : numpy.ndarray
        Arrays (m, k) and (n, k): the model's trials and the participants, by dimension.
    span : float, optional
        As in `fidelity`.

    Returns
    -------
    (model, human) : numpy.ndarray, numpy.ndarray
        The same units, each row moved by one vector per group; None when the humans' corrected
        variance is 0 (no fidelity statistic but the level is then defined).

    Notes
    -----
    Resampling the data as observed does not reproduce the sampling of the corrected statistics:
    the observed means are spread wider than the true ones by their noise, so in the bootstrap's
    world the model and the humans look more different than the estimate says, and the
    replicates centre below it (by about twice the bias of the estimate, near 1). As bootstrap
    tests resample data moved to satisfy the hypothesis tested (Davison & Hinkley 1997, 4.4), the
    units here are moved to satisfy the estimate: each unit keeps its deviation from its group's
    mean, and the group means are replaced by profiles a~, b~ whose plain moments are the
    corrected ones. b~ is the humans' centred means shrunk by sqrt(v_b' / v_b); a~ keeps the
    component of the model's centred means along b~ that gives the covariance c, and scales the
    rest so that var(a~) = v_a' (with r held to +-1 when v_a' is below c^2 / v_b'); the levels
    differ by sign(d) sqrt(d^2'). The noise of the units is unchanged, so the corrected statistics
    of resamples of these units vary about the estimate as the estimate varies about the truth.

    References
    ----------
    Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application, 3.4 and 4.4.
    Cambridge University Press.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2, 3], [2, 1, 3], [1, 3, 2], [1, 2, 3]])
    >>> h = np.array([[1.0, 2, 3], [1, 3, 2], [2, 1, 3], [1, 2, 3], [2, 1, 3], [1, 2, 3]])
    >>> xm, hm = fidelity_population(x, h)
    >>> est = fidelity(profile_moments(x), profile_moments(h))
    >>> zero = np.float64(0)
    >>> plain = fidelity(ProfileMoments(xm.mean(axis=0), zero, zero), ProfileMoments(hm.mean(axis=0), zero, zero))
    >>> bool(np.isclose(plain["ccc"], est["ccc"])), bool(np.isclose(plain["pearson_r"], est["pearson_r"]))
    (True, True)
    """
    pa, ph = profile_moments(model), profile_moments(human)
    a, b = pa.means, ph.means
    k = a.shape[-1]
    span = span if span is not None else max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1.0)
    ac, bc = a - a.mean(), b - b.mean()
    observed_b = bc @ bc / (k - 1)
    vb = observed_b - ph.noise
    if is_flat(abs(vb), span) or vb <= 0:
        return None
    va = ac @ ac / (k - 1) - pa.noise
    va = 0.0 if is_flat(abs(va), span) or va <= 0 else va
    b_true = np.sqrt(vb / observed_b) * bc
    c = ac @ bc / (k - 1)
    along = (c / vb) * b_true
    rest = ac - (ac @ b_true) / (b_true @ b_true) * b_true
    need, have = va - along @ along / (k - 1), rest @ rest / (k - 1)
    if need < 0:  # the corrected covariance exceeds what the corrected variances allow: r = +-1
        a_true = np.sign(c) * np.sqrt(va / vb) * b_true
    else:
        a_true = along + (np.sqrt(need / have) * rest if have > 0 else 0.0)
    d = a.mean() - b.mean()
    level = np.sign(d) * np.sqrt(max(d * d - pa.level_noise - ph.level_noise, 0.0))
    return model - a + (b.mean() + level + a_true), human - b + (b.mean() + b_true)


def fidelity_intervals(model: np.ndarray, human: np.ndarray, model_counts: np.ndarray, human_counts: np.ndarray,
                       level: float = 0.95, span: float | None = None) -> dict[str, tuple[float, float]]:
    """Confidence intervals of the profile-fidelity statistics of `fidelity`.

    Parameters
    ----------
    model, human : numpy.ndarray
        Arrays (m, k) and (n, k): the model's trials and the participants, by dimension.
    model_counts, human_counts : numpy.ndarray
        Bootstrap counts (B, m) and (B, n) (`bootstrap_counts`).
    level : float
        Confidence level.
    span : float, optional
        As in `fidelity`.

    Returns
    -------
    dict
        Statistic -> (low, high); (NaN, NaN) where the statistic or its interval is not defined.

    Notes
    -----
    The level shift, a difference of two means, has Welch's t interval (`welch_interval`). The
    other statistics resample trials and participants together from `fidelity_population` (units
    moved to satisfy the corrected estimate) and compute each replicate unbounded (`fidelity` with
    bounded=False). r, CCC and the ICCs are read as BCa intervals (`bca_interval`, the
    acceleration from jackknives of both samples), because their spread shrinks as they near 1: a
    percentile interval around an estimate near 1 is then too narrow for a truth further down. The
    spread ratio, whose estimate sits at 0 for profiles flat within their noise, is read as a
    percentile interval. Both are read at the expanded level (`expanded_level`, at the smaller of
    the two sample sizes) and held to the statistic's range (FIDELITY_RANGE): the truth lies in that
    range, so holding the interval to it loses no coverage. Replicates where a statistic is
    undefined are left out. bench/validity.py shows the coverage on a grid of profiles (flat, weak,
    near the humans', exaggerated, reversed), trial counts and sample sizes.

    References
    ----------
    Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application. Cambridge
    University Press.
    Efron, B. (1987). Better bootstrap confidence intervals. Journal of the American Statistical
    Association 82(397), 171-185.
    Hesterberg (2015), cited in full at `expanded_level`.
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34(1-2), 28-35.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = np.clip(np.round(np.array([6.0, 4, 5, 2, 3]) + rng.normal(0, 1, (30, 5))), 1, 7)
    >>> h = np.clip(np.round(np.array([5.5, 4, 5, 3, 3]) + rng.normal(0, 1.2, (200, 5))), 1, 7)
    >>> out = fidelity_intervals(x, h, bootstrap_counts(rng, 30, 500), bootstrap_counts(rng, 200, 500))
    >>> low, high = out["ccc"]
    >>> bool(-1 <= low < float(fidelity(profile_moments(x), profile_moments(h))["ccc"]) < high <= 1)
    True
    """
    m, n = len(model), len(human)
    out = dict.fromkeys(FIDELITY_RANGE, (np.nan, np.nan))
    out["level_shift"] = welch_interval(model.mean(axis=1), human.mean(axis=1), level)
    moved = fidelity_population(model, human, span) if min(m, n) >= 2 else None
    if moved is None:
        return out
    replicates = fidelity(profile_moments(moved[0], model_counts), profile_moments(moved[1], human_counts), span,
                          bounded=False)
    estimate = fidelity(profile_moments(model), profile_moments(human), span)
    jackknife = (fidelity(jackknife_moments(model), profile_moments(human), span, bounded=False),
                 fidelity(profile_moments(model), jackknife_moments(human), span, bounded=False))
    wide = expanded_level(min(m, n), level)
    for name, (floor, ceiling) in FIDELITY_RANGE.items():
        if name == "level_shift" or np.isnan(replicates[name]).all():
            continue
        if name == "spread_ratio":  # often 0 for weak profiles, where BCa's normal theory has no footing
            low, high = percentile_ci(replicates[name], wide)
        else:
            low, high = bca_interval(replicates[name], float(estimate[name]), [j[name] for j in jackknife], wide)
        out[name] = (float(np.clip(low, floor, ceiling)), float(np.clip(high, floor, ceiling)))
    return out


JACKKNIFE_GROUPS = 500  # larger samples are jackknifed by deleting groups of units, to bound the work


def jackknife_moments(x: np.ndarray) -> ProfileMoments:
    """`profile_moments` of x with each unit (or, beyond JACKKNIFE_GROUPS units, each group of
    consecutive units) left out in turn.

    Parameters
    ----------
    x : numpy.ndarray
        Array (m, k) of units by dimensions.

    Returns
    -------
    ProfileMoments
        means (G, k), noise (G,), level_noise (G,), one row per unit or group left out.

    Notes
    -----
    Each leave-out is a row of weights, 0 for the units left out and equal for the others, summing
    to m, so all of them come from one matrix product (`profile_moments`); the noise terms keep m
    as the number of units, off by O(1/m^2), which the acceleration of `bca_interval` does not see.
    The tests check the means against explicit deletions.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 11 and 14.3. New
    York: Chapman & Hall.

    Examples
    --------
    >>> jackknife_moments(np.array([[1.0, 2], [3, 4], [5, 9]])).means.tolist()
    [[4.0, 6.5], [3.0, 5.5], [2.0, 3.0]]
    """
    m = len(x)
    groups = np.array_split(np.arange(m), min(m, JACKKNIFE_GROUPS))
    keep = np.ones((len(groups), m))
    for g, members in enumerate(groups):
        keep[g, members] = 0.0
    return profile_moments(x, keep * m / keep.sum(axis=1, keepdims=True))


def bca_interval(replicates: np.ndarray, estimate: float, jackknives: list[np.ndarray],
                 level: float = 0.95) -> tuple[float, float]:
    """Bias-corrected and accelerated (BCa) bootstrap interval, for one or several samples.

    Parameters
    ----------
    replicates : numpy.ndarray
        The statistic in each bootstrap resample (NaN replicates are left out).
    estimate : float
        The statistic of the data.
    jackknives : list of numpy.ndarray
        Per sample, the statistic with each unit (or group of units) of that sample left out.
    level : float
        Confidence level.

    Returns
    -------
    (low, high) : float, float
        NaN when the estimate is missing or fewer than 20 replicates are defined.

    Notes
    -----
    The replicates are read at the levels Phi(z0 + (z0 + z) / (1 - a (z0 + z))) for z the normal
    quantiles of the level's ends, z0 = Phi^-1(share of replicates below the estimate, ties
    counted half) the bias correction, and a = sum_s n_s^-3 sum_j U_sj^3 / (6 (sum_s n_s^-2
    sum_j U_sj^2)^(3/2)) the acceleration, U_sj = (n_s - 1)(mean of the jackknife values - the j-th)
    for each sample s (Efron 1987; the several-sample form of Davison & Hinkley 1997, 3.2 and
    5.3). Where 1 - a (z0 + z) is not above 0, the level is taken at its limit, the lowest or highest
    replicate. With one sample it is scipy.stats.bootstrap's method="BCa", which the tests check.

    References
    ----------
    Efron (1987) and Davison & Hinkley (1997), cited in full at `fidelity_intervals`.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.exponential(size=40)
    >>> boot = (bootstrap_counts(rng, 40, 4000) @ x) / 40
    >>> loo = (x.sum() - x) / 39
    >>> [round(v, 2) for v in bca_interval(boot, float(x.mean()), [loo])]
    [0.95, 2.04]
    """
    reps = np.asarray(replicates, float)
    reps = reps[np.isfinite(reps)]
    if not np.isfinite(estimate) or len(reps) < 20 or not 0 < level < 1:
        return float("nan"), float("nan")
    below = (np.sum(reps < estimate) + 0.5 * np.sum(reps == estimate)) / len(reps)
    z0 = sps.norm.ppf(np.clip(below, 1 / len(reps), 1 - 1 / len(reps)))
    num = den = 0.0
    for values in jackknives:
        values = np.asarray(values, float)
        values = values[np.isfinite(values)]
        if len(values) < 2:
            continue
        n = len(values)
        u = (n - 1) * (values.mean() - values)
        num, den = num + np.sum(u**3) / n**3, den + np.sum(u**2) / n**2
    a = num / (6 * den**1.5) if den > 0 and np.isfinite(num / den) else 0.0
    z = sps.norm.ppf([(1 - level) / 2, (1 + level) / 2])
    denominator = 1 - a * (z0 + z)
    # past a pole of the adjustment (a large acceleration) its limit is the end of the replicates
    with np.errstate(all="ignore"):
        levels = np.where(denominator > 0, sps.norm.cdf(z0 + (z0 + z) / np.where(denominator > 0, denominator, 1.0)),
                          (z0 + z > 0).astype(float))
    low, high = np.quantile(reps, levels)
    return float(low), float(high)


def welch_interval(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Welch's t interval for mean(a) - mean(b).

    Parameters
    ----------
    a, b : numpy.ndarray
        The two samples (here: each trial's and each participant's mean rating).
    level : float
        Confidence level.

    Returns
    -------
    (low, high) : float, float
        NaN when either sample has fewer than two values or both are constant.

    Notes
    -----
    mean(a) - mean(b) +- t(df) sqrt(s_a^2 / n_a + s_b^2 / n_b), df by Welch-Satterthwaite.
    Validated against scipy.stats.ttest_ind(equal_var=False).confidence_interval().

    References
    ----------
    Welch (1947), cited in full at `fidelity_intervals`.

    Examples
    --------
    >>> [round(v, 4) for v in welch_interval(np.array([5.0, 6, 7, 6]), np.array([4.0, 5, 4, 3, 4]))]
    [0.7388, 3.2612]
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        return float("nan"), float("nan")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se2 = va + vb
    if se2 <= 0:
        return float("nan"), float("nan")
    df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = sps.t.ppf(0.5 + level / 2, df) * np.sqrt(se2)
    diff = a.mean() - b.mean()
    return float(diff - half), float(diff + half)


def icc_f_intervals(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """McGraw & Wong (1996) F-based confidence intervals of ICC(A,1) and ICC(C,1) for two raters.

    Parameters
    ----------
    a, b : (n,) arrays
        The two raters' scores of the same n targets (here: the model's and the humans' mean
        rating of each dimension).

    Returns
    -------
    {"icc_a1": (low, high), "icc_c1": (low, high)}

    Notes
    -----
    These intervals treat the targets (dimensions) as a random sample of possible targets, so
    they answer "how well would the two agree on dimensions like these", not "on these
    dimensions": with five or six targets they are wide. ICC(C,1): F = MSR/MSE with (n-1, n-1)
    degrees of freedom (k = 2 raters), bounds (F_L - 1)/(F_L + 1) and (F_U - 1)/(F_U + 1). ICC(A,1)
    (case 2A): Satterthwaite's degrees of freedom v for a MSC + b MSE, bounds
    n (MSR - F* MSE) / (F* (k MSC + (k n - k - n) MSE) + n MSR) and
    n (F* MSR - MSE) / (k MSC + (k n - k - n) MSE + n F* MSR), written as in R's irr::icc
    (Gamer et al.), which pingouin writes in another algebraic form; the tests check both.

    References
    ----------
    McGraw, K. O. & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods 1(1), 30-46 (and the 1996 correction, 1(4), 390).
    Gamer, M., Lemon, J., Fellows, I. & Singh, P. irr: Various Coefficients of Interrater
    Reliability and Agreement, R package.

    Examples
    --------
    >>> import numpy as np
    >>> out = icc_f_intervals(np.array([1.0, 2, 3, 4, 5]), np.array([1.5, 2, 3.5, 4, 5.5]))
    >>> [round(v, 3) for v in out["icc_c1"]]
    [0.867, 0.998]
    """
    x = np.column_stack([np.asarray(a, float), np.asarray(b, float)])
    n, k = x.shape
    if n < 3:
        return {"icc_a1": (np.nan, np.nan), "icc_c1": (np.nan, np.nan)}
    grand = x.mean()
    msr = k * np.sum((x.mean(axis=1) - grand) ** 2) / (n - 1)
    msc = n * np.sum((x.mean(axis=0) - grand) ** 2) / (k - 1)
    mse = (np.sum((x - grand) ** 2) - msr * (n - 1) - msc * (k - 1)) / ((n - 1) * (k - 1))
    q = 1 - (1 - level) / 2
    out = {"icc_a1": (np.nan, np.nan), "icc_c1": (np.nan, np.nan)}
    if mse <= 0:
        return out
    f = msr / mse
    df2 = (n - 1) * (k - 1)
    fl, fu = f / sps.f.ppf(q, n - 1, df2), f * sps.f.ppf(q, df2, n - 1)
    out["icc_c1"] = (float((fl - 1) / (fl + k - 1)), float((fu - 1) / (fu + k - 1)))
    icc = (msr - mse) / (msr + (k - 1) * mse + k / n * (msc - mse))
    if not np.isfinite(icc) or icc >= 1:
        return out
    aa = k * icc / (n * (1 - icc))
    bb = 1 + k * icc * (n - 1) / (n * (1 - icc))
    v = (aa * msc + bb * mse) ** 2 / ((aa * msc) ** 2 / (k - 1) + (bb * mse) ** 2 / ((n - 1) * (k - 1)))
    f_low, f_up = sps.f.ppf(q, n - 1, v), sps.f.ppf(q, v, n - 1)
    low = n * (msr - f_low * mse) / (f_low * (k * msc + (k * n - k - n) * mse) + n * msr)
    high = n * (f_up * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_up * msr)
    out["icc_a1"] = (float(low), float(high))
    return out


def koo_li_interval_band(*intervals: tuple[float, float]) -> str:
    """The Koo & Li (2016) band that holds every given interval whole, else the bands they span.

    Parameters
    ----------
    *intervals : (float, float)
        Confidence intervals of one ICC (e.g. the bootstrap and the F-based one).

    Returns
    -------
    str
        A band ("good") when the lowest low and the highest high fall in the same band,
        "between poor and good" otherwise, and "not estimable" when an end is missing.

    Notes
    -----
    Koo & Li advise judging reliability by the 95% interval, not the point estimate: a band is named
    only when the whole of every interval lies in it (`koo_li_band` gives the cut-offs).

    References
    ----------
    Koo & Li (2016), cited in full at `koo_li_band`.

    Examples
    --------
    >>> koo_li_interval_band((0.78, 0.88)), koo_li_interval_band((0.78, 0.88), (0.3, 0.95))
    ('good', 'between poor and excellent')
    """
    lows, highs = [lo for lo, _ in intervals], [hi for _, hi in intervals]
    if not lows or any(v is None or np.isnan(v) for v in lows + highs):
        return "not estimable"
    low, high = koo_li_band(min(lows)), koo_li_band(max(highs))
    return low if low == high else f"between {low} and {high}"
