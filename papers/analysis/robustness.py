"""Robustness to wording: how far a model's profile moves across an instrument's variants.

One wording is one measurement, not the model's values. When a model answered several variants of
a task (other words for the question, the items shown otherwise, another answer format, another
rating scale), `robustness` measures per model x condition x task:

- the **wording share**: the share of the profile's variance that belongs to the wordings (the
  dimension x variant interaction against the dimension effect), with a percentile bootstrap
  interval (trials resampled within each variant) and a permutation test of "the profile does not
  depend on the wording" (variant labels shuffled among the trials);
- the smallest and mean **Spearman correlation** between each variant's profile and the pooled
  profile of the other variants;
- the **top priority** of each variant, and whether the pooled top is among the dimensions that
  could come first in every variant (their intervals overlap the variant's leader's);
- the **position bias**: the importance an item gains per place nearer the top of the list it was
  shown in (positive: primacy, negative: recency), with a cluster-robust interval.

A model is **not robust to wording** when the permutation test rejects at 5%, Holm-adjusted across
the model's conditions and tasks (so that a model whose profile does not depend on the wording is
called robust everywhere at least 95% of the time), *and* a conclusion moves: some wording's own
top priority is another dimension, or the wording share is at least `MIN_SHARE` (so that, with
many trials, a negligible wording effect is not a finding).
`bench/robustness.py` (run by `bench/validity.py` too) shows by simulation how often a model with
no wording effect is called not robust, how often one whose top two trade places in a third of
the wordings is caught, and how often the intervals cover.

Scores are read as importance: minus the rank for rank tasks, the rating (on the task's scale,
higher = more important) for rate tasks, centred within each trial, so a trial's general level
(a scale used more generously) is not a profile difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats as sps

from papers.analysis import stats

MIN_VARIANT_TRIALS = 3  # valid trials a variant needs to count in the robustness of a profile
MIN_VARIANTS = 2  # variants with that many trials, else robustness to wording is not measured
MIN_SHARE = 0.05  # a wording effect smaller than this share of the profile's variance is not a finding
ALPHA = 0.05
TOLERANCE = 1e-12  # a variance component below this is rounding residue: zero
PERMUTATIONS = 999

SCHEMA = {
    "model": pl.String, "condition": pl.String, "task": pl.String, "n_variants": pl.Int64, "n_trials": pl.Int64,
    "variants": pl.List(pl.String), "wording_share": pl.Float64, "wording_share_ci_low": pl.Float64,
    "wording_share_ci_high": pl.Float64, "wording_p": pl.Float64, "wording_p_holm": pl.Float64,
    "min_rho": pl.Float64, "mean_rho": pl.Float64,
    "top": pl.String, "top_variants": pl.Int64, "top_same": pl.Boolean, "top_by_variant": pl.String,
    "position_bias": pl.Float64, "position_bias_ci_low": pl.Float64, "position_bias_ci_high": pl.Float64,
    "robust": pl.Boolean, "reason": pl.String, "note": pl.String,
}
VARIANT_SCHEMA = {
    "model": pl.String, "condition": pl.String, "task": pl.String, "variant": pl.String, "dimension": pl.String,
    "n": pl.Int64, "mean": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
}


@dataclass
class Trials:
    """The valid trials of one model x condition x task, as the robustness statistics read them."""

    key: tuple
    dims: tuple[str, ...]
    values: np.ndarray  # trials x dimensions, ranks or ratings (task scale, higher = more important)
    variant: np.ndarray  # trials: the variant id
    positions: np.ndarray | None  # trials x dimensions: the shown position (1-based), None if unknown

    @property
    def importance(self) -> np.ndarray:
        """Minus the rank, or the rating, centred within each trial."""
        score = -self.values if self.key[-1] == "rank" else self.values
        return score - score.mean(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- the wording share


def wording_components(y: np.ndarray, groups: np.ndarray, corrected: bool = True) -> tuple[float, float]:
    """Unbiased estimates of the wording and dimension variances of centred profiles.

    Parameters
    ----------
    y : numpy.ndarray
        Trials x dimensions, centred within each trial.
    groups : numpy.ndarray
        Integer variant index of each trial (0 .. V-1), every variant with at least two trials.
    corrected : bool
        Subtract the expected noise (the estimates); False gives the plain spreads of the observed
        means, the value the bootstrap world takes as its truth (`share_interval`).

    Returns
    -------
    tuple of float
        (W, Theta): W = sum over variants v and dimensions d of (mu_vd - mu_d)^2 / ((V-1)(D-1)),
        the variance of the variants' true profiles around their unweighted mean profile mu_d, and
        Theta = sum_d mu_d^2 / (D-1), the variance of that mean profile. Each is the observed
        quantity minus its expected noise, from the within-variant variances s2_vd / m_v (method
        of moments, valid for unequal trial counts and unequal variances); either may be negative.

    Notes
    -----
    With equal trial counts m, W equals (MS_DV - MS_E) / m of the two-way ANOVA of dimension x
    variant with trials nested in variants, the variance component of the interaction in
    generalizability theory (Brennan 2001), which the tests check against statsmodels' ANOVA.

    References
    ----------
    Brennan, R. L. (2001). Generalizability Theory. New York: Springer.
    Cronbach, L. J., Gleser, G. C., Nanda, H. & Rajaratnam, N. (1972). The Dependability of
    Behavioral Measurements. New York: Wiley.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1, -1], [1, -1], [1, -1], [1, -1.]])
    >>> wording_components(y, np.array([0, 0, 1, 1]))  # the same profile in both variants, no noise
    (0.0, 2.0)
    """
    v = int(groups.max()) + 1
    k = y.shape[1]
    counts = np.bincount(groups, minlength=v).astype(float)
    means = np.stack([y[groups == g].mean(axis=0) for g in range(v)])
    noise = np.stack([y[groups == g].var(axis=0, ddof=1) for g in range(v)]) / counts[:, None] if corrected else 0.0
    pooled = means.mean(axis=0)
    noise = np.sum(noise)
    w = (((means - pooled) ** 2).sum() - (1 - 1 / v) * noise) / ((v - 1) * (k - 1))
    theta = ((pooled ** 2).sum() - noise / v ** 2) / (k - 1)
    return float(w), float(theta)


def wording_share(y: np.ndarray, groups: np.ndarray, corrected: bool = True) -> float:
    """W / (W + Theta), each clipped at 0; NaN when both are 0 (no profile in any wording).

    >>> import numpy as np
    >>> y = np.array([[1, -1], [1, -1], [-1, 1], [-1, 1.]])
    >>> wording_share(y, np.array([0, 0, 1, 1]))  # the two wordings give opposite profiles
    1.0
    """
    w, theta = (c if c > TOLERANCE else 0.0 for c in wording_components(y, groups, corrected))
    return w / (w + theta) if w + theta > 0 else float("nan")


def interaction_f(y: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """The dimension x variant interaction's sum of squares for one or more labellings of the trials.

    `onehot` is (..., trials, V): each labelling's variant indicator matrix. Returns sum over v of
    m_v * |mean_v - grand mean|^2, the statistic the permutation test compares (its residual part
    is the same for every labelling up to this term, so the sum of squares alone orders them as F does).
    """
    counts = onehot.sum(axis=-2)
    sums = np.swapaxes(onehot, -1, -2) @ y
    grand = y.mean(axis=0)
    means = sums / np.maximum(counts, 1)[..., None]
    return (counts[..., None] * (means - grand) ** 2).sum(axis=(-1, -2))


def permutation_p(y: np.ndarray, groups: np.ndarray, rng: np.random.Generator, n: int = PERMUTATIONS) -> float:
    """Permutation p-value of "the profile does not depend on the variant".

    Two statistics are computed for the observed labelling and for n labellings with the variant
    labels shuffled among the trials: the dimension x variant interaction of the whole profile
    (`interaction_f`), and the same for the difference between the pooled profile's top two
    dimensions, which is where a wording that changes the headline moves it most (a test of one
    comparison has more power there than one spread over every dimension). Each labelling's two
    permutation p-values are combined by their minimum, and the observed minimum is referred to
    the minima of all labellings, so the combined test keeps its level exactly (the pooled profile,
    and with it the top two, is the same under every labelling).

    References: Anderson, M. J. & ter Braak, C. J. F. (2003). Permutation tests for multi-factorial
    analysis of variance. Journal of Statistical Computation and Simulation 73(2), 85-113. Pesarin,
    F. (2001). Multivariate Permutation Tests. Chichester: Wiley (the min-p combination).

    >>> import numpy as np
    >>> y = np.array([[1, -1]] * 6 + [[-1, 1]] * 6, float)  # the two wordings give opposite profiles
    >>> permutation_p(y, np.repeat([0, 1], 6), np.random.default_rng(0), 199) < 0.05
    True
    """
    v = int(groups.max()) + 1
    first, second = np.argsort(-y.mean(axis=0), kind="stable")[:2]
    labellings = np.eye(v)[np.vstack([groups, [rng.permutation(groups) for _ in range(n)]])]
    p_profile = _p_each(interaction_f(y, labellings))
    p_top = _p_each(interaction_f((y[:, first] - y[:, second])[:, None], labellings))
    smallest = np.minimum(p_profile, p_top)
    return float(np.mean(smallest <= smallest[0] * (1 + 1e-9)))


def profile_p(y: np.ndarray, groups: np.ndarray, rng: np.random.Generator, n: int = PERMUTATIONS) -> float:
    """Permutation p-value of "the model has no profile in any wording": each trial's values shuffled
    across the dimensions n times (every order equally likely within a trial under that null); the
    statistic is the energy of the wordings' mean profiles, sum over v of m_v |mean_v|^2, so that a
    model whose wordings give opposite profiles (which cancel when pooled) has a profile too. It
    reduces to Friedman's test for one wording. Robustness is not measured where it does not reject:
    with no profile there is nothing for a wording to move, and the wording share is 0 / 0.

    >>> import numpy as np
    >>> y = np.array([[1, -1]] * 6 + [[-1, 1]] * 6, float)  # opposite profiles, flat when pooled
    >>> profile_p(y, np.repeat([0, 1], 6), np.random.default_rng(0), 199) < 0.05
    True
    """
    v = int(groups.max()) + 1
    onehot = np.eye(v)[groups]
    observed = _energy(y, onehot)
    rows = np.arange(y.shape[0])[:, None]
    null = np.array([_energy(y[rows, rng.random(y.shape).argsort(axis=1)], onehot) for _ in range(n)])
    return float((1 + np.sum(null >= observed * (1 - 1e-9))) / (n + 1))


def _energy(y: np.ndarray, onehot: np.ndarray) -> float:
    counts = onehot.sum(axis=0)
    means = (onehot.T @ y) / np.maximum(counts, 1)[:, None]
    return float((counts[:, None] * means ** 2).sum())


def _p_each(statistic: np.ndarray) -> np.ndarray:
    """Each labelling's permutation p-value among all: the share of labellings at least as extreme."""
    ordered = np.sort(statistic)
    at_least = len(statistic) - np.searchsorted(ordered, statistic - 1e-9 * np.abs(statistic), side="left")
    return at_least / len(statistic)


def share_interval(y: np.ndarray, groups: np.ndarray, rng: np.random.Generator, b: int,
                   level: float = 0.95) -> tuple[float, float]:
    """Basic (pivotal) bootstrap interval of the wording share, trials resampled within each variant.

    In the bootstrap world the truth is the share of the observed means themselves (uncorrected for
    noise), which lies above the estimate; the percentile interval would inherit that shift and miss a
    share of 0 most of the time. The basic interval [2 s - q_hi, 2 s - q_lo], with the bootstrap
    world's truth in place of s inside the quantiles' shift, removes it (Davison & Hinkley 1997,
    section 5.2); it is clipped to [0, 1]. Coverage by simulation: bench/validity.py.

    References: Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application.
    Cambridge University Press.
    """
    replicates = _resampled_shares(y, groups, rng, b)
    low, high = (float(q[0]) for q in stats.percentile_ci(replicates[:, None], level))
    estimate, world = wording_share(y, groups), wording_share(y, groups, corrected=False)
    return max(0.0, estimate - (high - world)) + 0.0, min(1.0, estimate - (low - world)) + 0.0


def _resampled_shares(y: np.ndarray, groups: np.ndarray, rng: np.random.Generator, b: int) -> np.ndarray:
    """The wording share of b resamples (trials drawn with replacement within each variant), from
    count matrices: each resample's means and variances are matrix products, not a loop."""
    v, k = int(groups.max()) + 1, y.shape[1]
    means, noise = np.empty((b, v, k)), np.empty((b, v, k))
    for g in range(v):
        part = y[groups == g]
        m = part.shape[0]
        counts = stats.bootstrap_counts(rng, m, b)
        mean = counts @ part / m
        means[:, g] = mean
        noise[:, g] = np.maximum(counts @ part ** 2 / m - mean ** 2, 0.0) * m / (m - 1) / m
    pooled = means.mean(axis=1)
    total_noise = noise.sum(axis=(1, 2))
    w = (((means - pooled[:, None, :]) ** 2).sum(axis=(1, 2)) - (1 - 1 / v) * total_noise) / ((v - 1) * (k - 1))
    theta = ((pooled ** 2).sum(axis=1) - total_noise / v ** 2) / (k - 1)
    w, theta = np.where(w > TOLERANCE, w, 0.0), np.where(theta > TOLERANCE, theta, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w + theta > 0, w / (w + theta), np.nan)


# ------------------------------------------------------------------------------- position bias


def position_bias(y: np.ndarray, positions: np.ndarray, cells: np.ndarray, level: float = 0.95):
    """The importance an item gains per place nearer the top of the list, with a cluster-robust interval.

    Parameters
    ----------
    y : numpy.ndarray
        Trials x dimensions: importance, centred within trials.
    positions : numpy.ndarray
        Trials x dimensions: the position each item was shown at (1 = first).
    cells : numpy.ndarray
        Trials: the variant index of each trial; the model has a fixed effect per dimension and
        variant, so neither the profile nor a wording's effect on it is read as position.
    level : float
        Confidence level.

    Returns
    -------
    tuple of float
        (bias, low, high): minus the OLS slope of importance on position (positive: items shown
        earlier are preferred, primacy), and its interval: CR1 cluster-robust standard error with
        trials as clusters, t distribution with G - 1 degrees of freedom (Cameron & Miller 2015).
        NaN where positions do not vary within a cell.

    Notes
    -----
    By the Frisch-Waugh-Lovell theorem the slope is that of the within-cell deviations; the
    small-sample factor G/(G-1) (N-1)/(N-K) counts every fixed effect in K, as statsmodels'
    `OLS(...).fit(cov_type="cluster")` does, which the tests check it against.

    References
    ----------
    Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    Journal of Human Resources 50(2), 317-372.

    Examples
    --------
    >>> import numpy as np
    >>> pos = np.array([[1, 2], [2, 1], [1, 2], [2, 1.]])
    >>> y = np.array([[1, -1], [-1, 1], [1, -1], [-1, 1.]])  # whatever is shown first wins
    >>> round(position_bias(y, pos, np.zeros(4, int))[0], 3)
    2.0
    """
    g, k = y.shape
    cell = (cells[:, None] * k + np.arange(k)[None, :]).ravel()
    x, z = positions.ravel().astype(float), y.ravel()
    x_dev = x - (np.bincount(cell, x) / np.bincount(cell))[cell]
    z_dev = z - (np.bincount(cell, z) / np.bincount(cell))[cell]
    sxx = (x_dev ** 2).sum()
    if sxx <= 1e-12 or g < 2:
        return float("nan"), float("nan"), float("nan")
    slope = (x_dev * z_dev).sum() / sxx
    resid = (z_dev - slope * x_dev).reshape(g, k)
    scores = (x_dev.reshape(g, k) * resid).sum(axis=1)
    n, params = g * k, 1 + np.unique(cell).size
    factor = g / (g - 1) * (n - 1) / max(n - params, 1)
    se = np.sqrt(factor * (scores ** 2).sum()) / sxx
    t = sps.t.ppf(0.5 + level / 2, g - 1)
    return float(-slope) + 0.0, float(-slope - t * se) + 0.0, float(-slope + t * se) + 0.0  # + 0.0: no -0.0


# ------------------------------------------------------------------------------- per group


def split_trials(answers: pl.DataFrame, shown: dict[str, tuple[str, ...]]) -> list[Trials]:
    """One `Trials` per model x condition x task of long answers (model, condition, task,
    response_id, variant, item_order, dimension, value), trials missing a dimension dropped."""
    out = []
    if answers.height == 0:
        return out
    keys = ["model", "condition", "task"]
    for key, part in answers.sort([*keys, "response_id"]).group_by(keys, maintain_order=True):
        dims = shown[key[1]]
        wide = part.pivot(on="dimension", index=["response_id", "variant"], values="value", aggregate_function="first")
        wide = wide.select("response_id", "variant",
                           *[pl.col(d) if d in wide.columns else pl.lit(None, pl.Float64).alias(d) for d in dims])
        wide = wide.drop_nulls()
        orders = dict(part.unique("response_id", keep="first").select("response_id", "item_order").iter_rows())
        listed = [orders.get(r) for r in wide["response_id"]]
        positions = None
        if listed and all(o and set(dims) <= set(o) for o in listed):
            positions = np.array([[list(o).index(d) + 1 for d in dims] for o in listed], float)
        out.append(Trials(tuple(key), dims, wide.select(dims).to_numpy().astype(float),
                          wide["variant"].to_numpy().astype(str), positions))
    return out


def robustness(answers: pl.DataFrame, shown: dict[str, tuple[str, ...]], rng: np.random.Generator,
               b: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`result_robustness` and `result_variant_profiles`: how far each model's profile moves across
    the variants it was asked in.

    Parameters
    ----------
    answers : polars.DataFrame
        Valid answers: model, condition, task, response_id, variant, item_order, dimension, value
        (ranks, or ratings on the task's scale with higher more important).
    shown : dict
        Condition -> the dimension keys it shows.
    rng : numpy.random.Generator
        Seeded generator of the bootstrap and the permutations.
    b : int
        Bootstrap resamples.

    Returns
    -------
    tuple of polars.DataFrame
        The robustness row of every group, and the profile of every variant (mean rank or rating
        per dimension with a percentile bootstrap interval over the variant's trials).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> ranks = {"default": {"B": 1, "A": 2, "C": 3}, "w2": {"A": 1, "B": 2, "C": 3}}  # C last in both
    >>> rows = [{"model": "m", "condition": "c", "task": "rank", "response_id": f"{v}{t}", "variant": v,
    ...          "item_order": ["A", "B", "C"] if t % 2 else ["C", "B", "A"], "dimension": d,
    ...          "value": float(ranks[v][d])} for v in ranks for t in range(6) for d in "ABC"]
    >>> table, per_variant = robustness(pl.DataFrame(rows), {"c": ("A", "B", "C")}, np.random.default_rng(1), 200)
    >>> table.select("n_variants", "top_variants", "top_same", "robust").row(0)  # A first in one, B in the other
    (2, 1, False, False)
    """
    rows, variant_rows = [], []
    if "variant" not in answers.columns:
        answers = answers.with_columns(variant=pl.lit("default"))
    if "item_order" not in answers.columns:
        answers = answers.with_columns(item_order=pl.lit(None, pl.List(pl.String)))
    for trials in split_trials(answers, shown):
        row, per_variant = _group(trials, rng, b)
        rows.append(row)
        variant_rows += per_variant
    for model in {r["model"] for r in rows}:
        _holm_verdicts([r for r in rows if r["model"] == model])
    return pl.DataFrame(rows, schema=SCHEMA), pl.DataFrame(variant_rows, schema=VARIANT_SCHEMA)


def _holm_verdicts(rows: list[dict]) -> None:
    """Adjust one model's wording tests across its conditions and tasks (Holm), and give each row its
    verdict and reason from the adjusted p (in place).

    The family is every situation with enough wordings to be tested (MIN_VARIANTS), including those
    where no order of priorities was found (counted with p = 1). A family cut down to the situations
    that passed the gate is only sound if the gate is independent of the wording test: the earlier
    gate ("some wording has an order") was not, and called a model with a flat or weak profile not
    robust in 10-13% of runs (bench/robustness.py). With the whole family, Holm's bound holds
    whatever the gate does: it can only remove rejections."""
    measured = [r for r in rows if r.get("wording_p") is not None and r.get("wording_share") is not None]
    testable = sum(r["n_variants"] >= MIN_VARIANTS for r in rows)  # the measured ones and those with no order
    family = [r["wording_p"] for r in measured] + [1.0] * (testable - len(measured))
    adjusted = stats.holm(np.array(family, float)) if measured else []
    for r, p in zip(measured, adjusted):
        r["wording_p_holm"] = float(p)
        r.update(_verdict(r))


def _group(trials: Trials, rng: np.random.Generator, b: int) -> tuple[dict, list[dict]]:
    model, condition, task = trials.key
    names, counts = np.unique(trials.variant, return_counts=True)
    kept = [str(v) for v, n in zip(names, counts) if n >= MIN_VARIANT_TRIALS]
    row = {"model": model, "condition": condition, "task": task, "n_variants": len(kept),
           "n_trials": int(sum(n for v, n in zip(names, counts) if str(v) in kept)), "variants": kept}
    per_variant = _variant_profiles(trials, kept, rng, b)
    bias, no_bias = _position_row(trials)
    if len(kept) < MIN_VARIANTS:
        why = (f"only {len(names)} wording asked" if len(names) < MIN_VARIANTS else
               f"fewer than {MIN_VARIANT_TRIALS} valid trials in all but {len(kept)} wording")
        return {**row, **_declined(_notes(f"robustness: {why}: robustness to wording needs {MIN_VARIANTS} wordings of "
                                          f"{MIN_VARIANT_TRIALS} valid trials or more", no_bias)), **bias}, per_variant
    mask = np.isin(trials.variant, kept)
    groups = np.searchsorted(np.array(kept), trials.variant[mask])
    y = trials.importance[mask]
    # the gate asks whether the pooled answers have an order of priorities, not whether any wording
    # has one: the latter grows with the wordings' chance differences, so it would pass most where
    # the wording test rejects by chance (bench/robustness.py: "not robust" for 10-13% of flat or weak
    # profiles, the share's interval covering 56%); the pooled order is blind to the wording.
    flat = profile_p(y, np.zeros_like(groups), rng)
    if flat >= ALPHA:  # no order of priorities: nothing for the wording to move
        why = (f"robustness: no order of priorities in the pooled answers beyond chance (p = {_p(flat)}), so "
               "nothing for the wording to move")
        return {**row, **_declined(_notes(why, no_bias)), **bias}, per_variant
    measured = _measure(y, groups, kept, trials.dims, per_variant, rng, b)
    if measured["wording_share"] is None:  # flat in every wording: nothing for the wording to move
        return {**row, **_declined(_notes("robustness: no profile in any wording", no_bias)), **bias}, per_variant
    return {**row, **measured, **bias, "note": _notes(None, no_bias)}, per_variant


def _notes(*segments: str | None) -> str | None:
    """The row's note: the reasons of what it declines, "statistic: reason" segments joined by "; "."""
    kept = [s for s in segments if s]
    return "; ".join(kept) if kept else None


def _declined(note: str) -> dict:
    return {"wording_share": None, "wording_share_ci_low": None, "wording_share_ci_high": None, "wording_p": None,
            "wording_p_holm": None, "min_rho": None, "mean_rho": None, "top": None, "top_variants": None, "top_same": None,
            "top_by_variant": None, "robust": None, "reason": None, "note": note}


def _measure(y: np.ndarray, groups: np.ndarray, kept: list[str], dims: tuple[str, ...], per_variant: list[dict],
             rng: np.random.Generator, b: int) -> dict:
    share = wording_share(y, groups)
    low, high = share_interval(y, groups, rng, b) if np.isfinite(share) else (None, None)
    p = permutation_p(y, groups, rng)
    if low is not None and p >= ALPHA:
        # the test does not reject "no wording effect", so 0 is a plausible share: the interval says so.
        # A bootstrap alone misses a truth on the boundary (a share of 0 under a weak profile is
        # covered in about half the runs, bench/robustness.py); inverting the test restores it.
        low = 0.0
    means = np.stack([y[groups == g].mean(axis=0) for g in range(len(kept))])
    rhos = [_rho(means[g], np.delete(means, g, axis=0).mean(axis=0)) for g in range(len(kept))]
    pooled = means.mean(axis=0)
    top = dims[int(np.argmax(pooled))]
    own = [dims[int(np.argmax(m))] for m in means]
    return {
        "wording_share": share if np.isfinite(share) else None, "wording_share_ci_low": low,
        "wording_share_ci_high": high, "wording_p": p,
        "min_rho": _finite(min(rhos)), "mean_rho": _finite(float(np.nanmean(rhos))) if any(np.isfinite(rhos)) else None,
        "top": top, "top_variants": sum(t == top for t in own),
        "top_same": all(top in _could_be_first(per_variant, v) for v in kept),
        "top_by_variant": "; ".join(f"{v}: {t}" for v, t in zip(kept, own)),
    }


def _rho(a: np.ndarray, b: np.ndarray) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(sps.spearmanr(a, b)[0])


def _finite(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _could_be_first(per_variant: list[dict], variant: str) -> set[str]:
    """The dimensions whose interval in this variant overlaps the leader's: any of them may be its top."""
    mine = [r for r in per_variant if r["variant"] == variant]
    rank = mine[0]["task"] == "rank"
    leader = min(mine, key=lambda r: r["mean"]) if rank else max(mine, key=lambda r: r["mean"])
    if rank:
        return {r["dimension"] for r in mine if r["ci_low"] <= leader["ci_high"]}
    return {r["dimension"] for r in mine if r["ci_high"] >= leader["ci_low"]}


def _variant_profiles(trials: Trials, kept: list[str], rng: np.random.Generator, b: int) -> list[dict]:
    rows = []
    model, condition, task = trials.key
    for variant in kept:
        x = trials.values[trials.variant == variant]
        boot = stats.bootstrap_counts(rng, x.shape[0], b) @ x / x.shape[0]
        low, high = stats.percentile_ci(boot)
        for j, d in enumerate(trials.dims):
            rows.append({"model": model, "condition": condition, "task": task, "variant": variant, "dimension": d,
                         "n": x.shape[0], "mean": float(x[:, j].mean()), "ci_low": float(low[j]),
                         "ci_high": float(high[j])})
    return rows


def _position_row(trials: Trials) -> tuple[dict, str | None]:
    """The position bias columns, and the note segment saying why they are empty (or None)."""
    none = {"position_bias": None, "position_bias_ci_low": None, "position_bias_ci_high": None}
    if trials.positions is None:
        return none, "position_bias: the order the items were shown in is not recorded"
    if trials.values.shape[0] < MIN_VARIANT_TRIALS:
        return none, f"position_bias: only {trials.values.shape[0]} trials: position bias needs {MIN_VARIANT_TRIALS}"
    _, cells = np.unique(trials.variant, return_inverse=True)
    bias, low, high = position_bias(trials.importance, trials.positions, cells)
    if not np.isfinite(bias) or not high > low:
        return none, "position_bias: the items were shown in one order only, or every answer is the same"
    return {"position_bias": bias, "position_bias_ci_low": low, "position_bias_ci_high": high}, None


def _verdict(r: dict) -> dict:
    """Robust unless the Holm-adjusted test rejects and a conclusion moves (a wording's own top is
    another dimension, or the wording share reaches MIN_SHARE); the reason in words."""
    share, p, n = r["wording_share"], r["wording_p_holm"], r["n_variants"]
    moved = r["top_variants"] < n
    robust = not (p < ALPHA and (moved or share >= MIN_SHARE))
    figure = (f"wording explains {share:.0%} [{r['wording_share_ci_low']:.0%}, "
              f"{r['wording_share_ci_high']:.0%}] of the profile's variance, p = {_p(p)} (Holm)")
    if robust:
        return {"robust": True, "reason": f"the profile holds across the {n} wordings ({figure})"}
    others = _others(r["top_by_variant"], r["top"])
    reason = (f"{r['top']} comes first in {r['top_variants']} of {n} wordings" +
              (f"; in {others}" if others else "; the order below it moves") + f" ({figure})")
    return {"robust": False, "reason": reason}


def _others(top_by_variant: str, top: str) -> str:
    """'thrive-positions and best-lines RF does' for the variants whose own top is another dimension."""
    pairs = [item.split(": ") for item in top_by_variant.split("; ")]
    by_top: dict[str, list[str]] = {}
    for variant, own in pairs:
        if own != top:
            by_top.setdefault(own, []).append(variant)
    return "; in ".join(f"{' and '.join(vs)} {d} does" for d, vs in by_top.items())


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
