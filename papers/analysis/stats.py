"""Numerical procedures, each on plain numpy arrays, vectorised over bootstrap replicates.

Every function says what it computes, the form it uses, how it treats ties, its reference and
what the tests check it against. Input checks raise ValueError, never assert.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

# --------------------------------------------------------------------------- bootstrap helpers


def bootstrap_counts(rng: np.random.Generator, n: int, b: int) -> np.ndarray:
    """How often each of n units is drawn in each of b bootstrap resamples (b x n, rows sum to n).

    Each resample draws n unit indices uniformly with replacement (the ordinary nonparametric
    bootstrap); the counts are tallied with one bincount. A resampled mean of X is then
    `counts @ X / n`, so every statistic built from sums is one matrix product per group.
    """
    if n < 1:
        raise ValueError("bootstrap needs at least one unit")
    kind = np.uint32 if b * n < 2**32 else np.uint64
    draws = rng.integers(0, n, size=(b, n), dtype=kind)
    draws += (np.arange(b, dtype=kind) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)


def percentile_ci(replicates: np.ndarray, level: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13); NaN replicates are ignored."""
    alpha = (1 - level) / 2
    with np.errstate(all="ignore"):
        low = np.nanquantile(replicates, alpha, axis=axis)
        high = np.nanquantile(replicates, 1 - alpha, axis=axis)
    return low, high


# --------------------------------------------------------------------------- stability


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Within-row ranks (1 = smallest), ties given their average rank."""
    return sps.rankdata(x, axis=1)


def tie_term(row_ranks: np.ndarray) -> np.ndarray:
    """Per row, the sum over tie groups of (t^3 - t): 0 for a row without ties.

    Each value's tie-group size t_i is its number of equal values in the row; summing t_i^2 over
    the row's values gives sum over groups of t^3, and subtracting k gives sum(t^3 - t)."""
    x = np.asarray(row_ranks)
    sizes = (x[:, :, None] == x[:, None, :]).sum(axis=2)
    return (sizes**2).sum(axis=1).astype(np.float64) - x.shape[1]


def friedman_w(rank_sums: np.ndarray, m: np.ndarray | float, k: int, ties: np.ndarray | float = 0.0):
    """Friedman chi-square, its p and Kendall's W from column rank sums, vectorised.

    `rank_sums` (..., k) are the sums over m blocks (trials) of within-block ranks; `ties` is the
    sum over blocks of sum(t^3 - t). Form: chi2 = [12/(m k (k+1)) sum R_j^2 - 3 m (k+1)] /
    [1 - ties / (m (k^3 - k))] (tie-corrected, as R's friedman.test and scipy), and
    W = chi2 / (m (k - 1)) (Kendall & Babington Smith 1939; Siegel & Castellan 1988, 9.7), which
    for ranks without ties equals 12 S / (m^2 (k^3 - k)). Validated against scipy.stats.
    friedmanchisquare and a published W worked example in tests.
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
    """Epsilon-squared effect size of Kruskal-Wallis H: H (n + 1) / (n^2 - 1) = H / ((n^2 - 1)/(n + 1)).

    Tomczak & Tomczak (2014), Trends in Sport Sciences 1(21), eq. 12. Ranges 0-1.
    """
    if n < 2:
        return float("nan")
    return float(h * (n + 1) / (n**2 - 1))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values; NaN entries stay NaN and are not counted."""
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
    """Mann-Whitney U (two-sided, continuity-corrected asymptotic p as in scipy) and the
    rank-biserial correlation r = 2 U_x / (n_x n_y) - 1 (Kerby 2014): the share of pairs where x
    is larger minus the share where y is larger; positive when x tends to be larger.
    Returns (U_x, p, r)."""
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

    `a` and `b` (..., n) are the two raters' scores of the same n targets (here: a model's and a
    human sample's mean per dimension, dimensions as targets). Two-way model, single measures:
      ICC(A,1) = (MSR - MSE) / (MSR + (k-1) MSE + k/n (MSC - MSE))   absolute agreement
      ICC(C,1) = (MSR - MSE) / (MSR + (k-1) MSE)                     consistency
    with k = 2 raters, MSR the between-target, MSC the between-rater and MSE the residual mean
    square. These are pingouin's ICC2 and ICC3 and R irr::icc(model="twoway", type="agreement" /
    "consistency", unit="single"), which the tests check against.
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
    """Pearson r between a and b along the last axis, vectorised (NaN when either is constant)."""
    a = np.asarray(a, float) - np.mean(a, axis=-1, keepdims=True)
    b = np.asarray(b, float) - np.mean(b, axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        return np.sum(a * b, axis=-1) / np.sqrt(np.sum(a * a, axis=-1) * np.sum(b * b, axis=-1))


def koo_li_band(icc: float) -> str:
    """Koo & Li (2016), J Chiropr Med 15(2): <.50 poor, .50-.75 moderate, .75-.90 good, >.90 excellent."""
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
    """Classical (Torgerson) MDS: double-centre -D^2/2, take the top eigenvectors scaled by sqrt
    of their eigenvalues. Returns coordinates (n x dims) and the share of the positive
    eigenvalue mass the axes keep (Borg & Groenen 2005, ch. 12)."""
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
    """Mean silhouette width (Rousseeuw 1987) from a distance matrix; singletons score 0, as in
    scikit-learn's silhouette_score, which the tests check against."""
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
    return len(a & b) / len(a | b) if a | b else float("nan")


# --------------------------------------------------------------------------- coding (Study 1)


def wilson_ci(k: np.ndarray, n: np.ndarray, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion k/n (Wilson 1927; Agresti & Coull 1998)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(all="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's (1960) kappa for two coders' nominal codes: (p_o - p_e) / (1 - p_e).
    Both coders constant and equal gives NaN (agreement is not estimable, not perfect)."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError("kappa needs two equally long, non-empty code lists")
    cats = np.union1d(a, b)
    po = np.mean(a == b)
    pe = sum(np.mean(a == c) * np.mean(b == c) for c in cats)
    return float((po - pe) / (1 - pe)) if pe < 1 else float("nan")


def krippendorff_alpha_nominal(data: np.ndarray) -> float:
    """Krippendorff's alpha for nominal data, `data` units x coders with NaN for missing codes.

    Coincidence-matrix form (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"):
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k, over pairable values (units
    with at least two codes). Checked against that paper's worked example (alpha = 0.743).
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

    U_x comes from the rank sum of x in the pooled sample (ties averaged), so each replicate is
    one sort of n_x + n_y values."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    nx, ny = len(x), len(y)
    bx = x[rng.integers(0, nx, size=(b, nx))]
    by = y[rng.integers(0, ny, size=(b, ny))]
    ranks = sps.rankdata(np.hstack([bx, by]), axis=1)
    u = ranks[:, :nx].sum(axis=1) - nx * (nx + 1) / 2
    return 2 * u / (nx * ny) - 1


# --------------------------------------------------------------------------- stability across trial counts


def unit_rows(ranks: np.ndarray) -> np.ndarray:
    """Each row's ranks centred and scaled to unit length; a row without any order (all tied) is 0.

    The dot product of two such rows is their Spearman correlation (Pearson r of the ranks, ties
    as average ranks), so sums of rows give sums of pairwise correlations in O(m k)."""
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
    +/- t(m-1) standard errors is transformed back with tanh. bench/validity.py shows its coverage
    by simulation from Plackett-Luce models with known truth.

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
    rest = total[None, :] - z
    loo = (np.einsum("ij,ij->i", rest, rest) - (ordered.sum() - ordered)) / ((m - 1) * (m - 2))
    if np.ptp(loo) == 0:  # every trial alike: no spread to estimate
        return estimate, estimate, estimate
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
    """ProfileMoments of the units (rows) of x, or of each bootstrap resample given its counts (B x m)."""
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


def fidelity(model: ProfileMoments, human: ProfileMoments) -> dict[str, np.ndarray]:
    """Profile fidelity of a model to a human sample: order, calibration, level and agreement.

    Parameters
    ----------
    model, human : ProfileMoments
        From `profile_moments`, of the same k dimensions (broadcast over bootstrap replicates).

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
    - spread ratio = sqrt(v_a / v_b).
    - CCC = 2 c' / (v_a' + v_b' + d^2), with moments over k (Lin 1989), where ' marks divisor k.

    Corrected moments can fall outside what true profiles allow when the noise is large: a
    variance below 0 is taken as 0, and |c| is held to sqrt(v_a v_b) (Cauchy-Schwarz), which keeps
    r, CCC and ICC(C,1) within [-1, 1] and ICC(A,1) at most 1.
    - ICC from the two-way mean squares MSR = (v_a + v_b + 2c)/2, MSE = (v_a + v_b - 2c)/2, MSC =
      k d^2 / 2: ICC(A,1) = (MSR - MSE) / (MSR + MSE + 2 (MSC - MSE) / k) and ICC(C,1) =
      (MSR - MSE) / (MSR + MSE).

    This is the project's own operationalisation of the "profile fidelity" of Lau et al. (2026),
    whose formula is not public: order, calibration and level reported apart, and CCC, which
    combines them. Bootstrap percentile intervals of these corrected statistics cover at the
    nominal rate in simulation (bench/validity.py).

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
    ac = a - a.mean(axis=-1, keepdims=True)
    bc = b - b.mean(axis=-1, keepdims=True)
    va = np.maximum(np.sum(ac**2, axis=-1) / (k - 1) - model.noise, 0.0)
    vb = np.maximum(np.sum(bc**2, axis=-1) / (k - 1) - human.noise, 0.0)
    bound = np.sqrt(va * vb)
    c = np.clip(np.sum(ac * bc, axis=-1) / (k - 1), -bound, bound)
    shift = a.mean(axis=-1) - b.mean(axis=-1)
    d2 = np.maximum(shift**2 - model.level_noise - human.level_noise, 0.0)
    with np.errstate(all="ignore"):
        r = np.where(bound > 0, c / np.where(bound > 0, bound, 1.0), np.nan)
        spread = np.where(vb > 0, np.sqrt(va / np.where(vb > 0, vb, 1.0)), np.nan)
        scale = (k - 1) / k
        ccc = 2 * c * scale / (va * scale + vb * scale + d2)
        msr, mse, msc = (va + vb + 2 * c) / 2, (va + vb - 2 * c) / 2, k * d2 / 2
        icc_a = (msr - mse) / (msr + mse + 2 * (msc - mse) / k)
        icc_c = (msr - mse) / (msr + mse)
    return {"pearson_r": r, "spread_ratio": spread, "level_shift": shift, "ccc": ccc, "icc_a1": icc_a, "icc_c1": icc_c}


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
    """The Koo & Li (2016) band that holds every given interval whole, else the bands it spans.

    Koo & Li advise judging reliability by the 95% interval, not the point estimate: a band is
    named only when the whole interval lies in it ("good"), otherwise "between poor and good".
    """
    lows, highs = [lo for lo, _ in intervals], [hi for _, hi in intervals]
    if not lows or any(v is None or np.isnan(v) for v in lows + highs):
        return "not estimable"
    low, high = koo_li_band(min(lows)), koo_li_band(max(highs))
    return low if low == high else f"between {low} and {high}"
