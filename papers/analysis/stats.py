"""Numerical procedures, each on plain numpy arrays, vectorised over bootstrap replicates.

Every function says what it computes, the form it uses, how it treats ties, its reference and
what the tests check it against. Input checks raise ValueError, never assert.
"""

from __future__ import annotations

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
