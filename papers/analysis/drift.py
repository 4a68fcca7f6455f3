"""Drift: did a model's profile change between two audits? (`papers drift`, result_drift*).

Providers update models behind a stable name, so the second audit of a model asks first whether it
changed beyond sampling noise. `drift` compares, for every model in both audits, per condition x
task, the valid trials of the earlier audit (a) with those of the later one (b):

- per dimension, the **change** in mean rank or rating (b minus a) with Welch's 95% interval and
  Welch's t test, Holm-adjusted across the dimensions of the condition and task;
- the **profile test**: a permutation test of "the two audits' trials come from one distribution of
  profiles". It combines two statistics by the minimum of their permutation p-values: the squared
  distance between the two mean profiles, each dimension scaled by the variance of its values in
  both audits together, D = sum_d (mean_b,d - mean_a,d)^2 / s_d^2 (a change spread over the
  profile), and the largest Welch |t| over the dimensions (one dimension that moved). The trials
  (whole answers, all their dimensions together) are permuted between the two audits within each
  variant of the task, so that a plan's balance over wordings is kept; the test is exact at any
  number of trials. The p-values of a model's conditions and tasks are Holm-adjusted together, so
  that a model whose answers did not change is flagged with probability at most alpha whatever the
  number of conditions and tasks;
- the **Spearman correlation** of the two mean profiles, a description of how much of the order
  survived;
- `changed`: some condition x task's Holm-adjusted profile p is below alpha; with the **reason** in
  words, and the model string the provider reported in each audit (`model_reported`), shown
  whether or not the profile moved.

Only the variants (wordings, formats, scales) both audits asked of a model are compared: the same
model under another variant plan is compared on what the two plans share. Ratings are read on the
task's scale (the caller maps each variant's scale onto it, as `papers analyze` does).

`bench/drift.py` (run by `bench/validity.py`) shows by simulation how often a model whose answers
did not change is flagged, and how often one that moved a dimension by one rank position in half
of its trials is caught.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats as sps

from papers.analysis import stats
from papers.analysis.declines import compose, shortfall

ALPHA = 0.05
PERMUTATIONS = 1999
TOLERANCE = 1e-12  # a variance below this is rounding residue: the dimension did not vary

KEYS = ("model", "condition", "task")
DIMENSION_SCHEMA = {
    "model": pl.String, "condition": pl.String, "task": pl.String, "dimension": pl.String,
    "n_a": pl.Int64, "n_b": pl.Int64, "mean_a": pl.Float64, "mean_b": pl.Float64, "change": pl.Float64,
    "change_ci_low": pl.Float64, "change_ci_high": pl.Float64, "t": pl.Float64, "df": pl.Float64,
    "p": pl.Float64, "p_holm": pl.Float64, "note": pl.String,
}
PROFILE_SCHEMA = {
    "model": pl.String, "condition": pl.String, "task": pl.String, "n_a": pl.Int64, "n_b": pl.Int64,
    "variants": pl.List(pl.String), "distance": pl.Float64, "max_t": pl.Float64, "p": pl.Float64, "p_holm": pl.Float64,
    "rho": pl.Float64, "changed": pl.Boolean, "note": pl.String,
}
MODEL_SCHEMA = {
    "model": pl.String, "changed": pl.Boolean, "reason": pl.String, "reported_a": pl.List(pl.String),
    "reported_b": pl.List(pl.String), "reported_changed": pl.Boolean, "permutations": pl.Int64, "seed": pl.Int64,
}


@dataclass(frozen=True)
class DriftSettings:
    """The choices drift's numbers depend on. Each condition x task draws its permutations from its
    own generator, seeded by (seed, model, condition, task), so that comparing a subset of the
    models gives each the same numbers."""

    seed: int = 20260101
    permutations: int = PERMUTATIONS
    alpha: float = ALPHA


@dataclass
class Side:
    """The valid trials of one model x condition x task in one audit."""

    values: np.ndarray  # trials x dimensions: ranks, or ratings on the task's scale
    variants: np.ndarray  # trials: the variant id of each


@dataclass
class DriftTables:
    dimensions: pl.DataFrame  # result_drift: per model, condition, task and dimension
    profiles: pl.DataFrame  # result_drift_profiles: per model, condition and task
    models: pl.DataFrame  # result_drift_models: per model


# ----------------------------------------------------------------------------- the statistics


def welch_test(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float, float, float]:
    """Welch's t test and interval of mean(b) - mean(a).

    Parameters
    ----------
    a, b : numpy.ndarray
        The two samples (1-d), the earlier audit's and the later one's values of one dimension.
    level : float
        Confidence level of the interval.

    Returns
    -------
    (change, low, high, t, df, p) : float
        change = mean(b) - mean(a); the interval change +- t(df) sqrt(s_a^2/n_a + s_b^2/n_b) with
        Welch-Satterthwaite's df; t = change / that standard error; the two-sided p. Everything but
        the change is NaN when a sample has fewer than two values or neither varies (the standard
        error is zero: no interval or test can be read from such samples).

    Notes
    -----
    Validated against scipy.stats.ttest_ind(b, a, equal_var=False) (statistic, df, pvalue and
    confidence_interval) and pingouin.ttest(correction=True).

    References
    ----------
    Welch (1947), cited in full at `papers.analysis.stats.fidelity_intervals`.

    Examples
    --------
    >>> [round(v, 4) for v in welch_test(np.array([4.0, 5, 4, 3, 4]), np.array([5.0, 6, 7, 6]))]
    [2.0, 0.7388, 3.2612, 3.873, 6.0472, 0.0081]
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    change = float(b.mean() - a.mean()) if len(a) and len(b) else float("nan")
    nan = float("nan")
    if len(a) < 2 or len(b) < 2:
        return change, nan, nan, nan, nan, nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se2 = va + vb
    if se2 <= TOLERANCE:
        return change, nan, nan, nan, nan, nan
    df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    se = float(np.sqrt(se2))
    half = float(sps.t.ppf(0.5 + level / 2, df)) * se
    t = change / se
    return change, change - half, change + half, t, float(df), float(2 * sps.t.sf(abs(t), df))


def statistics(values: np.ndarray, labels: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two statistics of the profile test, for each labelling of the trials (labelled 1: the
    later audit, 0: the earlier one): the scaled squared distance between the two mean profiles,
    sum_d (mean_1,d - mean_0,d)^2 / scale_d, and the largest Welch |t| over the dimensions.

    `labels` is one labelling (trials) or several (labellings x trials); `scale` holds each
    dimension's variance in both audits together (dimensions that did not vary are left out by
    the caller). A dimension constant within both groups of a labelling but different between them
    has an infinite t.

    >>> values = np.array([[1.0, 2], [2, 1], [1, 2], [2, 1]])
    >>> [float(s) for s in statistics(values, np.array([1, 1, 0, 0]), np.array([0.25, 0.25]))]
    [0.0, 0.0]
    """
    labels = np.asarray(labels, float)
    k = values.shape[1]
    both = np.hstack([values, values**2])  # one product gives each group's sums and sums of squares
    n1 = labels.sum(axis=-1, keepdims=True)
    n0 = labels.shape[-1] - n1
    sums1 = labels @ both
    sums0 = both.sum(axis=0) - sums1
    mean1, mean0 = sums1[..., :k] / n1, sums0[..., :k] / n0
    var1 = (sums1[..., k:] / n1 - mean1**2) * n1 / np.maximum(n1 - 1, 1)
    var0 = (sums0[..., k:] / n0 - mean0**2) * n0 / np.maximum(n0 - 1, 1)
    diff = mean1 - mean0
    se = np.sqrt(np.clip(var1 / n1 + var0 / n0, 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > TOLERANCE, np.abs(diff) / np.where(se > TOLERANCE, se, 1), np.where(
            np.abs(diff) > TOLERANCE, np.inf, 0.0))
    return (diff**2 / scale).sum(axis=-1), t.max(axis=-1)


def permuted_labels(labels: np.ndarray, strata: np.ndarray, rng: np.random.Generator, r: int) -> np.ndarray:
    """r labellings (r x trials), each a random permutation of `labels` within every stratum: every
    stratum keeps its number of trials of each audit.

    >>> out = permuted_labels(np.array([1, 1, 0, 0, 1, 0]), np.array([0, 0, 0, 0, 1, 1]), np.random.default_rng(0), 5)
    >>> out[:, :4].sum(axis=1).tolist(), out[:, 4:].sum(axis=1).tolist()
    ([2, 2, 2, 2, 2], [1, 1, 1, 1, 1])
    """
    out = np.empty((r, len(labels)), dtype=labels.dtype)
    for stratum in np.unique(strata):
        where = np.flatnonzero(strata == stratum)
        out[:, where] = rng.permuted(np.tile(labels[where], (r, 1)), axis=1)
    return out


def p_each(statistic: np.ndarray) -> np.ndarray:
    """Each labelling's permutation p-value among all labellings: the share at least as extreme.

    >>> p_each(np.array([3.0, 1.0, 2.0, 3.0])).tolist()
    [0.5, 1.0, 0.75, 0.5]
    """
    ordered = np.sort(statistic)
    finite = np.where(np.isfinite(statistic), statistic, 0.0)
    at_least = len(statistic) - np.searchsorted(ordered, statistic - 1e-9 * np.abs(finite), side="left")
    return at_least / len(statistic)


def profile_test(a: Side, b: Side, rng: np.random.Generator, r: int = PERMUTATIONS) -> tuple[float, float, float]:
    """(distance, largest |t|, permutation p) of "the two audits' trials come from one distribution
    of profiles".

    Notes
    -----
    Two statistics are computed for the observed labelling of the trials and for r labellings with
    the trials permuted between the audits within each variant (`permuted_labels`): the scaled
    squared distance between the two mean profiles, which sees a change spread over many
    dimensions, and the largest Welch |t| over the dimensions, which sees one dimension that moved
    (`statistics`). Each labelling's two permutation p-values are combined by their minimum, and
    the observed minimum is referred to the minima of all labellings (the observed one among them),
    so the combined test keeps its level exactly at any number of trials (Pesarin 2001; Westfall &
    Young 1993 for the maximum t; Phipson & Smyth 2010 for counting the observed labelling). The
    null is that within each variant the two audits' trials are exchangeable: the model did not
    change. Scaling the distance by each dimension's variance in both audits together, which no
    permutation changes, weights the dimensions by their noise. (nan, nan, nan) when no dimension
    varies. Validated against scipy.stats.permutation_test (permutation_type="independent") for
    each statistic, and against every labelling enumerated for the combination.

    References
    ----------
    Pesarin, F. (2001). Multivariate Permutation Tests. Chichester: Wiley.
    Westfall, P. H. & Young, S. S. (1993). Resampling-Based Multiple Testing. New York: Wiley.
    Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be zero. Statistical
    Applications in Genetics and Molecular Biology 9(1), 39.

    Examples
    --------
    >>> a = Side(np.array([[1.0, 2, 3], [2, 1, 3]] * 4), np.array(["default"] * 8))
    >>> b = Side(np.array([[3.0, 2, 1], [2, 3, 1]] * 4), np.array(["default"] * 8))
    >>> d, t, p = profile_test(a, b, np.random.default_rng(0), 999)
    >>> round(d, 2), p < 0.01
    (8.0, True)
    """
    values = np.vstack([a.values, b.values])
    scale = values.var(axis=0)
    varies = scale > TOLERANCE
    if not varies.any():
        return float("nan"), float("nan"), float("nan")
    values, scale = values[:, varies], scale[varies]
    labels = np.concatenate([np.zeros(len(a.values), int), np.ones(len(b.values), int)])
    strata = np.concatenate([a.variants, b.variants])
    labellings = np.vstack([labels, permuted_labels(labels, strata, rng, r)])
    d, t = statistics(values, labellings, scale)
    smallest = np.minimum(p_each(d), p_each(t))
    return float(d[0]), float(t[0]), float(np.mean(smallest <= smallest[0] * (1 + 1e-9)))


def profile_rho(mean_a: np.ndarray, mean_b: np.ndarray) -> float:
    """Spearman's rho of the two mean profiles (NaN when either is flat or has fewer than three
    dimensions). Validated against pingouin.corr(method="spearman").

    >>> round(profile_rho(np.array([1.2, 2.5, 3.1, 4.0]), np.array([1.5, 2.2, 3.9, 3.0])), 6)
    0.8
    """
    if len(mean_a) < 3 or np.ptp(mean_a) == 0 or np.ptp(mean_b) == 0:
        return float("nan")
    return float(sps.spearmanr(mean_a, mean_b)[0])


# ----------------------------------------------------------------------------- per condition x task


def compare_group(key: tuple, dims: tuple[str, ...], a: Side, b: Side, settings: DriftSettings
                  ) -> tuple[dict, list[dict]]:
    """The profile row and the dimension rows of one model x condition x task, on the variants
    both audits asked (the profile row's p_holm and changed are set later, across the model's
    conditions and tasks)."""
    common = sorted(set(a.variants.tolist()) & set(b.variants.tolist()))
    a, b = _only(a, common), _only(b, common)
    base = dict(zip(KEYS, key))
    profile = {**base, "n_a": len(a.values), "n_b": len(b.values), "variants": common, "distance": None,
               "max_t": None, "p": None, "p_holm": None, "rho": None, "changed": None, "note": None}
    if not common:
        profile["note"] = compose({"distance": "the two audits asked this task in no variant in common"})
        return profile, []
    rows = [_dimension_row(base, dim, a.values[:, j], b.values[:, j]) for j, dim in enumerate(dims)]
    tested = [row for row in rows if row["p"] is not None]
    for row, q in zip(tested, stats.holm(np.array([row["p"] for row in tested], float))):
        row["p_holm"] = float(q)
    why = shortfall("drift", trials=min(len(a.values), len(b.values)))
    if why:
        profile["note"] = compose({"distance": why})
        return profile, rows
    d, largest_t, p = profile_test(a, b, group_rng(settings.seed, key), settings.permutations)
    if np.isnan(d):
        profile["note"] = compose({"distance": "no dimension varies in either audit: both gave every trial the same "
                                               "answer"}, ["the profiles are identical"] * _same(a, b))
    else:
        profile.update(distance=d, max_t=largest_t, p=p)
    rho = profile_rho(a.values.mean(axis=0), b.values.mean(axis=0))
    profile["rho"] = None if np.isnan(rho) else rho
    if profile["rho"] is None:
        profile["note"] = compose({"rho": "a profile is flat, or shows fewer than three dimensions"},
                                  [profile["note"]] if profile["note"] else [])
    return profile, rows


def _same(a: Side, b: Side) -> bool:
    return bool(np.allclose(a.values.mean(axis=0), b.values.mean(axis=0)))


def _only(side: Side, variants: list[str]) -> Side:
    keep = np.isin(side.variants, variants)
    return Side(side.values[keep], side.variants[keep])


def _dimension_row(base: dict, dim: str, a: np.ndarray, b: np.ndarray) -> dict:
    change, low, high, t, df, p = welch_test(a, b)
    row = {**base, "dimension": dim, "n_a": len(a), "n_b": len(b), "mean_a": _num(a.mean()) if len(a) else None,
           "mean_b": _num(b.mean()) if len(b) else None, "change": _num(change), "change_ci_low": _num(low),
           "change_ci_high": _num(high), "t": _num(t), "df": _num(df), "p": _num(p), "p_holm": None, "note": None}
    if row["p"] is None:
        why = shortfall("drift interval", trials=min(len(a), len(b))) or (
            "neither audit's answers vary on this dimension: no interval or test can be read from them")
        row["note"] = compose({"change_ci": why, "welch_t": why})
    return row


def _num(value) -> float | None:
    return float(value) + 0.0 if value is not None and np.isfinite(value) else None


def group_rng(seed: int, key: tuple) -> np.random.Generator:
    """The generator of one model x condition x task's permutations, from the seed and the key alone."""
    digest = hashlib.sha256(repr((int(seed), *map(str, key))).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def settle_model(profiles: list[dict], alpha: float) -> bool | None:
    """Holm-adjust one model's profile tests across its conditions and tasks and decide each (in
    place); the model changed when any did, None when none was tested."""
    tested = [r for r in profiles if r["p"] is not None]
    for r, q in zip(tested, stats.holm(np.array([r["p"] for r in tested], float))):
        r["p_holm"] = float(q)
        r["changed"] = bool(q < alpha)
    return any(r["changed"] for r in tested) if tested else None


# ----------------------------------------------------------------------------- per model, in words


def reason(model: dict, profiles: list[dict], dimensions: list[dict], names: dict[str, str], alpha: float) -> str:
    """Why a model is called changed, or not, in words: the conditions and tasks whose profile moved
    with the dimensions that moved on their own, or the smallest adjusted p; then the model strings
    the provider reported in each audit (shown whether or not the profile moved)."""
    tested = [p for p in profiles if p["p_holm"] is not None]
    if model["changed"]:
        moved = [p for p in tested if p["changed"]]
        text = "changed: " + "; ".join(_moved(p, dimensions, names, alpha) for p in moved)
    elif tested:
        low = min(tested, key=lambda p: (p["p_holm"], p["condition"], p["task"]))
        text = (f"no change detected: in no condition and task did the profile move beyond sampling noise (smallest "
                f"Holm-adjusted p {_p(low['p_holm'])}, {low['condition']} / {low['task']}, {low['n_a']} and "
                f"{low['n_b']} trials)")
    else:
        notes = sorted({p["note"] for p in profiles if p["note"]})
        text = "not tested: " + ("; ".join(notes) if notes else "no condition and task in both audits")
    return text + ". " + reported_text(model["reported_a"], model["reported_b"])


def _moved(profile: dict, dimensions: list[dict], names: dict[str, str], alpha: float) -> str:
    key = (profile["condition"], profile["task"])
    rows = [d for d in dimensions if (d["condition"], d["task"]) == key and d["p_holm"] is not None
            and d["p_holm"] < alpha]
    what = "mean rank" if profile["task"] == "rank" else "mean rating"
    head = (f"in {key[0]} / {key[1]} the profile moved (permutation p {_p(profile['p'])}; Holm-adjusted p "
            f"{_p(profile['p_holm'])}; {profile['n_a']} and {profile['n_b']} trials)")
    if not rows:
        return head + ", though no single dimension moved detectably on its own"
    moves = [f"{names.get(d['dimension'], d['dimension'])} {what} {d['mean_a']:.2f} to {d['mean_b']:.2f} "
             f"({d['change']:+.2f} [{d['change_ci_low']:+.2f}, {d['change_ci_high']:+.2f}])" for d in rows]
    return head + ": " + ", ".join(moves)


def reported_text(before: list[str], after: list[str]) -> str:
    """The model strings the provider reported, in words.

    >>> reported_text(["gpt-4o-2024-08-06"], ["gpt-4o-2024-11-20"])
    'The provider reported gpt-4o-2024-08-06 in the earlier audit and gpt-4o-2024-11-20 in the later one.'
    >>> reported_text(["m-1"], ["m-1"])
    'The provider reported the same model string in both audits (m-1).'
    """
    if not before and not after:
        return "The provider reported no model string in either audit."
    if set(before) == set(after):
        return f"The provider reported the same model string in both audits ({', '.join(before)})."
    return (f"The provider reported {', '.join(before) or 'no model string'} in the earlier audit and "
            f"{', '.join(after) or 'no model string'} in the later one.")


def _p(p: float) -> str:
    """'< 0.001' or '= 0.042', to follow a 'p'."""
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


# ----------------------------------------------------------------------------- the tables


def drift(before: pl.DataFrame, after: pl.DataFrame, shown: dict[str, tuple[str, ...]], names: dict[str, str],
          reported: dict[str, tuple[list[str], list[str]]], settings: DriftSettings = DriftSettings()) -> DriftTables:
    """Compare every model of both audits, condition by condition and task by task.

    Parameters
    ----------
    before, after : polars.DataFrame
        The valid answers of the earlier audit (a) and the later one (b): model, condition, task,
        response_id, variant, dimension, value (ranks, or ratings on the task's scale). A trial
        missing a dimension is left out.
    shown : dict
        Condition -> the dimension keys it shows.
    names : dict
        Dimension key -> its name, for the reasons.
    reported : dict
        Model -> (the model strings the provider reported in a, those in b), sorted.
    settings : DriftSettings
        Seed, permutations and alpha.

    Returns
    -------
    DriftTables
        result_drift, result_drift_profiles and result_drift_models (without the audit keys); only
        models with answers in both audits are compared. `nested` gives one object per model.

    Examples
    --------
    >>> rows = lambda first, n: [{"model": "m", "condition": "c", "task": "rank", "response_id": f"{first}{t}",
    ...     "variant": "default", "dimension": d, "value": float(r)}
    ...     for t in range(n) for d, r in zip("ABC", (1, 2, 3) if first == "A" or t % 4 == 0 else (2, 1, 3))]
    >>> out = drift(pl.DataFrame(rows("A", 20)), pl.DataFrame(rows("B", 20)), {"c": ("A", "B", "C")},
    ...             {"A": "Alpha", "B": "Beta", "C": "Gamma"}, {"m": (["m-1"], ["m-2"])}, DriftSettings(permutations=499))
    >>> out.models.select("model", "changed").row(0)
    ('m', True)
    """
    from papers.analysis.robustness import split_trials

    a = {t.key: t for t in split_trials(_answers(before), shown)}
    b = {t.key: t for t in split_trials(_answers(after), shown)}
    models = sorted({k[0] for k in a} & {k[0] for k in b})
    profile_rows, dimension_rows, model_rows = [], [], []
    for model in models:
        keys = sorted(k for k in set(a) & set(b) if k[0] == model)
        groups = [compare_group(k, a[k].dims, Side(a[k].values, a[k].variant), Side(b[k].values, b[k].variant),
                                settings) for k in keys]
        profiles, dims = [g[0] for g in groups], [d for g in groups for d in g[1]]
        before_strings, after_strings = reported.get(model, ([], []))
        row = {"model": model, "changed": settle_model(profiles, settings.alpha), "reported_a": before_strings,
               "reported_b": after_strings, "reported_changed": set(before_strings) != set(after_strings),
               "permutations": settings.permutations, "seed": settings.seed}
        row["reason"] = reason(row, profiles, dims, names, settings.alpha)
        profile_rows += profiles
        dimension_rows += dims
        model_rows.append(row)
    return DriftTables(pl.DataFrame(dimension_rows, schema=DIMENSION_SCHEMA),
                       pl.DataFrame(profile_rows, schema=PROFILE_SCHEMA), pl.DataFrame(model_rows, schema=MODEL_SCHEMA))


def _answers(frame: pl.DataFrame) -> pl.DataFrame:
    if "variant" not in frame.columns:
        frame = frame.with_columns(variant=pl.lit("default"))
    if "item_order" not in frame.columns:  # split_trials reads it; drift does not
        frame = frame.with_columns(item_order=pl.lit(None, pl.List(pl.String)))
    return frame.with_columns(variant=pl.col("variant").fill_null("default"))


def nested(tables: DriftTables, names: dict[str, str]) -> list[dict]:
    """One object per model with stable keys (`papers drift --json`; the README lists them): model,
    changed, reason, model_reported {a, b, changed}, permutations, seed, and groups, one per
    condition x task, each with its dimensions."""
    out = []
    for model in tables.models.iter_rows(named=True):
        groups = []
        for p in tables.profiles.filter(pl.col("model") == model["model"]).iter_rows(named=True):
            rows = tables.dimensions.filter((pl.col("model") == p["model"]) & (pl.col("condition") == p["condition"])
                                            & (pl.col("task") == p["task"]))
            dims = [{"dimension": d["dimension"], "name": names.get(d["dimension"], d["dimension"]),
                     **{k: d[k] for k in DIMENSION_SCHEMA if k not in (*KEYS, "dimension")}}
                    for d in rows.iter_rows(named=True)]
            groups.append({k: p[k] for k in PROFILE_SCHEMA if k != "model"} | {"dimensions": dims})
        out.append({"model": model["model"], "changed": model["changed"], "reason": model["reason"],
                    "model_reported": {"a": model["reported_a"], "b": model["reported_b"],
                                       "changed": model["reported_changed"]},
                    "permutations": model["permutations"], "seed": model["seed"], "groups": groups})
    return out
