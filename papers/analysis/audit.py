"""The statistics of an audit: frames in, result frames out (no database, no printing).

`compute_audit` takes the selected rows (model answers, outcome counts, human answers, items,
codes) and the instrument's layout, and returns one polars frame per `result_*` table. Every
bootstrap is seeded from `seed` and uses B resamples; resampled means come from multinomial
count matrices (`stats.bootstrap_counts`), so each group's bootstrap is a matrix product.
Where a statistic cannot be estimated the row says why, in a `note` column, instead of leaving an
unexplained NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import stats as sps
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform

from papers.analysis import stats
from papers.analysis.declines import decline, settle, shortfall
from papers.analysis.revealed import CHOICE_COLUMNS, revealed
from papers.analysis.robustness import robustness
from papers.analysis.structure import (
    cluster_label,
    orientation_bounds,
    orientation_per_trial,
    orientation_test,
    structure_test,
    type_models,
)
from papers.outcomes import RANKING_STATUSES


@dataclass
class Layout:
    """What the statistics need to know of the instrument."""

    shown: dict[str, tuple[str, ...]]  # condition -> dimension keys, in instrument order
    orientation: dict[str, str]  # dimension -> humanistic | utility | neutral
    scale: tuple[int, int] = (1, 7)
    scenarios: dict[str, tuple[str, str]] = field(default_factory=dict)  # a dilemma -> the dimensions of its actions


THEME_RULES = ("all", "majority", "any")


@dataclass
class Settings:
    """The choices an audit's numbers depend on; stored in `audits.settings`."""

    seed: int = 20260101
    b: int = 2000
    linkage: str = "ward"
    k: int | None = None
    stability_b: int = 200
    type_margin: float = 0.25  # orientation index units (rank places, scale points on a 1-7 scale)
    permutations: int = 199  # null draws of the cluster-structure tests
    theme_rule: str | None = None  # None: all coders when two, a majority when more

    def as_dict(self) -> dict:
        """The settings as stored in `audits.settings` (and compared when an audit is re-run).

        >>> Settings(b=500).as_dict()["bootstrap_b"], Settings().as_dict()["theme_rule"]
        (500, 'default')
        """
        return {"seed": self.seed, "bootstrap_b": self.b, "linkage": self.linkage, "k": self.k,
                "cluster_stability_b": self.stability_b, "type_margin": self.type_margin,
                "structure_permutations": self.permutations, "theme_rule": self.theme_rule or "default",
                "ci": "percentile bootstrap, 95%; mean_rho: jackknife; orientation: t"}


@dataclass
class Group:
    """The valid trials of one model x condition x task as a trials x dimensions matrix."""

    key: tuple
    dims: tuple[str, ...]
    x: np.ndarray
    positions: np.ndarray | None  # presented position (1-based) of each cell, NaN if unknown
    boot: np.ndarray | None = None  # B x k resampled means
    moments: stats.ProfileMoments | None = None  # the means and their noise, for profile fidelity
    boot_moments: stats.ProfileMoments | None = None  # the same per bootstrap resample
    ranks: np.ndarray | None = None  # within-trial ranks (ratings ranked, ties averaged)
    ties: np.ndarray | None = None  # per trial sum(t^3 - t)
    counts: np.ndarray | None = None  # B x units bootstrap counts, kept for the fidelity intervals of each pair
    bounds: tuple[float, float] = (1.0, 7.0)  # the least and greatest value a unit can give

    @property
    def span(self) -> float:
        """The range of the scale, against which a variance counts as zero (`stats.is_flat`)."""
        return self.bounds[1] - self.bounds[0]


@dataclass
class Results:
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)


def _example_answers() -> pl.DataFrame:
    """The answers the examples in this module's docstrings use: three models ranking two
    dimensions A and B over twenty trials each; h puts A first every time, u puts A second, m
    alternates. The same rows as the first lines of `wide_groups`' example."""
    def trials(model, ranks_of_a):
        return [{"model": model, "condition": "c", "task": "rank", "response_id": f"{model}{t}", "dimension": d,
                 "value": float(r if d == "A" else 3 - r)} for t, r in enumerate(ranks_of_a) for d in "AB"]

    return pl.DataFrame(trials("h", [1] * 20) + trials("u", [2] * 20) + trials("m", [1, 2] * 10))


def _example_layout() -> Layout:
    return Layout({"c": ("A", "B")}, {"A": "humanistic", "B": "utility"})


def _example_groups(rng: np.random.Generator | None = None, with_ranks: bool = False) -> list[Group]:
    """`wide_groups` of `_example_answers`, condition c showing A (humanistic) and B (utility), as
    `wide_groups`' example builds them; with `rng`, the bootstrap attached (`attach_bootstrap`, B = 50)."""
    groups = wide_groups(_example_answers(), _example_layout(), ("model", "condition", "task"), "response_id")
    if rng is not None:
        attach_bootstrap(groups, rng, 50, with_ranks=with_ranks)
    return groups


def wide_groups(answers: pl.DataFrame, layout: Layout, keys: tuple[str, ...], unit: str) -> list[Group]:
    """Split long answers into one trials x dimensions matrix per group.

    Parameters
    ----------
    answers : polars.DataFrame
        Long rows: the `keys` columns (one of them "condition"), `unit`, "dimension", "value", and
        optionally "item_order" (the dimensions in the order shown).
    layout : Layout
        Which dimensions each condition shows, in instrument order.
    keys : tuple of str
        The grouping columns, e.g. ("model", "condition", "task").
    unit : str
        The column naming one trial or participant ("response_id", "participant").

    Returns
    -------
    list of Group
        One per group, in sorted key order: x (units x the condition's dimensions, units sorted;
        a unit missing any dimension is dropped) and positions (the shown position of each cell,
        NaN where unknown; None without item_order).

    Notes
    -----
    A pivot from long (one row per answer) to wide (one row per unit) form, the layout every
    statistic of the audit reads; a dimension no unit answered becomes a column of nulls, so
    its units are dropped rather than silently filled.

    References
    ----------
    Wickham, H. (2014). Tidy data. Journal of Statistical Software 59(10), 1-23.

    Examples
    --------
    >>> def trials(model, ranks_of_a):  # A's rank in each trial; B takes the other place
    ...     return [{"model": model, "condition": "c", "task": "rank", "response_id": f"{model}{t}", "dimension": d,
    ...              "value": float(r if d == "A" else 3 - r)} for t, r in enumerate(ranks_of_a) for d in "AB"]
    >>> answers = pl.DataFrame(trials("h", [1] * 20) + trials("u", [2] * 20) + trials("m", [1, 2] * 10))
    >>> answers.equals(_example_answers())  # the rows the other examples here start from
    True
    >>> layout = Layout({"c": ("A", "B")}, {"A": "humanistic", "B": "utility"})
    >>> groups = wide_groups(answers, layout, ("model", "condition", "task"), "response_id")
    >>> [(g.key, g.x.shape) for g in groups]
    [(('h', 'c', 'rank'), (20, 2)), (('m', 'c', 'rank'), (20, 2)), (('u', 'c', 'rank'), (20, 2))]
    >>> groups[1].x[:2].tolist()
    [[1.0, 2.0], [2.0, 1.0]]
    """
    groups = []
    if answers.height == 0:
        return groups
    for key, part in answers.sort([*keys, unit]).group_by(list(keys), maintain_order=True):
        condition = key[list(keys).index("condition")]
        dims = layout.shown[condition]
        wide = part.pivot(on="dimension", index=unit, values="value", aggregate_function="first")
        wide = wide.select(unit, *[pl.col(d) if d in wide.columns else pl.lit(None, pl.Float64).alias(d) for d in dims])
        wide = wide.drop_nulls()
        x = wide.select(dims).to_numpy().astype(np.float64)
        positions = None
        if "item_order" in part.columns:
            orders = part.unique(unit, keep="first", maintain_order=True).select(unit, "item_order")
            orders = wide.select(unit).join(orders, on=unit, how="left")["item_order"].to_list()
            positions = np.array([[o.index(d) + 1 if o and d in o else np.nan for d in dims] for o in orders], float) \
                if orders else None
        task = key[list(keys).index("task")]
        bounds = (1.0, float(len(dims))) if task == "rank" else tuple(float(v) for v in layout.scale)
        groups.append(Group(tuple(key), dims, x, positions, bounds=bounds))
    return groups


def attach_bootstrap(groups: list[Group], rng: np.random.Generator, b: int, with_ranks: bool = False) -> None:
    """Resample each group's units B times and keep what the statistics need (in place).

    Parameters
    ----------
    groups : list of Group
        From `wide_groups`.
    rng : numpy.random.Generator
        The audit's seeded generator; the groups draw from it in order, so a seed repeats an audit.
    b : int
        Bootstrap resamples.
    with_ranks : bool
        Also the within-trial ranks and tie terms (model groups).

    Returns
    -------
    None
        Sets `counts` (B x units), `moments` and `boot_moments` (`stats.profile_moments` of the
        data and of each resample), `boot` (the resampled means, B x k) and with_ranks `ranks` and
        `ties`.

    Notes
    -----
    One count matrix per group (`stats.bootstrap_counts`) gives every resampled moment by matrix
    products; it is kept for the fidelity intervals, which resample each pair of a model and a
    sample from units moved to its own estimate. Ratings are ranked within trials (ties averaged)
    for Friedman's test, W and mean_rho; ranks are used as given.

    References
    ----------
    Efron & Tibshirani (1993), cited in full at `papers.analysis.stats.bootstrap_counts`.

    Examples
    --------
    >>> groups = _example_groups()  # h ranks A first in 20 trials, u second, m alternates
    >>> attach_bootstrap(groups, np.random.default_rng(1), 50, with_ranks=True)
    >>> groups[0].boot.shape, groups[0].moments.means.tolist(), groups[0].ties.tolist()[:2]
    ((50, 2), [1.0, 2.0], [0.0, 0.0])
    """
    for g in groups:
        m = g.x.shape[0]
        if m == 0:
            continue
        g.counts = stats.bootstrap_counts(rng, m, b)
        g.moments = stats.profile_moments(g.x)
        g.boot_moments = stats.profile_moments(g.x, g.counts)
        g.boot = g.boot_moments.means
        if with_ranks:
            task = g.key[-1]
            g.ranks = g.x if task == "rank" else stats.rank_rows(g.x)
            g.ties = np.zeros(m) if task == "rank" else stats.tie_term(g.ranks)


# --------------------------------------------------------------------------- within models


def profiles(groups: list[Group]) -> pl.DataFrame:
    """`result_profiles`: each model's mean rank or rating per dimension, with its interval.

    Parameters
    ----------
    groups : list of Group
        Model groups with their bootstrap attached (`attach_bootstrap`).

    Returns
    -------
    polars.DataFrame
        One row per model, condition, task and dimension: n (valid trials), mean with a 95% interval
        over trials (`mean_intervals`), median, sd, top1_share (the share of trials that put the
        dimension first: rank 1, or the trial's highest rating, ties included) and a note saying
        what was declined and why (a single trial has no interval and no SD).

    Notes
    -----
    Trials are the units resampled: the interval says how far the mean might move with another run
    of the same number of trials. It is the percentile bootstrap read at Hesterberg's expanded level
    (`stats.expanded_level`), which keeps 95% with few trials; where every trial gave the same
    value, the bootstrap would give a zero-width interval, and `stats.constant_interval` bounds the
    mean instead. Ratings' top1_share counts a dimension as first in every trial where it shares
    the highest rating.

    References
    ----------
    Efron & Tibshirani (1993), cited in full at `papers.analysis.stats.bootstrap_counts`.

    Examples
    --------
    >>> groups = _example_groups(np.random.default_rng(1))
    >>> profiles(groups).filter(pl.col("model") == "m").select("dimension", "mean", "top1_share").rows()
    [('A', 1.5, 0.5), ('B', 1.5, 0.5)]
    """
    rows = []
    for g in groups:
        model, condition, task = g.key
        m = g.x.shape[0]
        if task == "rank":
            top = (g.x == 1).mean(axis=0)
        else:
            top = (g.x == g.x.max(axis=1, keepdims=True)).mean(axis=0)
        for j, (dim, (low, high), sd) in enumerate(zip(g.dims, *mean_intervals(g, "trials"))):
            rows.append({
                "model": model, "condition": condition, "task": task, "dimension": dim, "n": m,
                "mean": float(g.x[:, j].mean()), "ci_low": low, "ci_high": high,
                "median": float(np.median(g.x[:, j])), "sd": sd, "top1_share": float(top[j]), "note": None})
            _decline_spread(rows[-1], "result_profiles", "profile interval", trials=m)
    return settle("result_profiles", pl.DataFrame(rows, schema=PROFILE_SCHEMA))


def mean_intervals(g: Group, unit: str) -> tuple[list[tuple[float, float]], list[float]]:
    """Each dimension's 95% interval for the mean, and its SD, over a group's units.

    Parameters
    ----------
    g : Group
        A model's trials or a sample's participants, with its bootstrap attached (`attach_bootstrap`).
    unit : str
        What the units are ("trials", "participants"), for the reader of the call.

    Returns
    -------
    (intervals, sds) : list of (float, float), list of float
        Per dimension, in the group's order; NaN with fewer than two units (the caller declines them).

    Notes
    -----
    The bootstrap's resampled means read at the expanded level (`stats.expanded_level`), which
    keeps 95% with few units; where every unit gave the same value the bootstrap would return it
    as both ends, and `stats.constant_interval` on the group's scale bounds the mean instead (the
    SD is then 0). bench/validity.py shows the coverage of both, degenerate samples included.

    References
    ----------
    Hesterberg (2015), cited in full at `papers.analysis.stats.expanded_level`.
    Clopper & Pearson (1934), cited in full at `papers.analysis.stats.constant_interval`.

    Examples
    --------
    >>> import numpy as np
    >>> g = Group(("m", "c", "rank"), ("A", "B"), np.array([[1.0, 2]] * 10), None, bounds=(1.0, 2.0))
    >>> attach_bootstrap([g], np.random.default_rng(1), 100)
    >>> intervals, sds = mean_intervals(g, "trials")
    >>> [tuple(round(v, 3) for v in i) for i in intervals], sds  # ten identical trials: a bound, not [1, 1]
    ([(1.0, 1.308), (1.692, 2.0)], [0.0, 0.0])
    """
    m, k = g.x.shape
    if m < 2 or g.boot is None:
        return [(np.nan, np.nan)] * k, [np.nan] * k
    low, high = stats.percentile_ci(g.boot, stats.expanded_level(m))
    sd = g.x.std(axis=0, ddof=1)
    flat = stats.is_flat(sd**2, g.span)
    intervals = [stats.constant_interval(g.x[0, j], *g.bounds, m) if flat[j] else (float(low[j]), float(high[j]))
                 for j in range(k)]
    return intervals, [0.0 if flat[j] else float(sd[j]) for j in range(k)]


def _decline_spread(row: dict, table: str, minimum: str, **have: int) -> None:
    """Decline a mean's interval and SD when there are too few units for them (MINIMUMS)."""
    why = shortfall(minimum, **have)
    if why:
        for statistic in ("ci", "sd"):
            decline(row, table, statistic, why)


PROFILE_SCHEMA = {
    "model": pl.String, "condition": pl.String, "task": pl.String, "dimension": pl.String, "n": pl.Int64,
    "mean": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "median": pl.Float64, "sd": pl.Float64,
    "top1_share": pl.Float64, "note": pl.String,
}


def stability(groups: list[Group], outcomes: pl.DataFrame) -> pl.DataFrame:
    """`result_stability`: is each model's ordering non-random, and how strongly do its trials agree?

    Parameters
    ----------
    groups : list of Group
        Model groups with ranks attached (`attach_bootstrap(..., with_ranks=True)`).
    outcomes : polars.DataFrame
        model, condition, task, status, n: every response's outcome, valid or not.

    Returns
    -------
    polars.DataFrame
        One row per model, condition and task: Friedman's chi-square, df and p; Kendall's W; the
        mean inter-trial Spearman correlation with its jackknife interval; position bias (Spearman
        rho of shown position and answer); the share of each outcome; a note where a value cannot
        be estimated. Groups with responses but no valid trial get a row of NaN and "no valid trials".

    Notes
    -----
    Friedman's test (trials as blocks, tie-corrected for ratings) asks whether the ordering is
    non-random; W describes agreement but grows as the number of trials m falls, so mean_rho,
    (m W - 1) / (m - 1) without ties, is the quantity to compare across models (`stats.friedman_w`,
    `stats.mean_spearman`). Position bias pools every cell whose shown position is known.

    References
    ----------
    Friedman (1937) and Kendall & Babington Smith (1939), cited in full at `papers.analysis.stats.friedman_w`.

    Examples
    --------
    >>> groups = _example_groups(np.random.default_rng(1), with_ranks=True)
    >>> outcomes = pl.DataFrame({"model": ["h", "m", "u"], "condition": "c", "task": "rank", "status": "valid", "n": 20})
    >>> table = stability(groups, outcomes)
    >>> table.select("model", pl.col("kendall_w").round(3), "mean_rho", "valid_share").rows()
    [('h', 1.0, None, 1.0), ('m', 0.0, None, 1.0), ('u', 1.0, None, 1.0)]
    >>> for segment in table["note"][0].split("; "):  # with two dimensions, any two trials correlate +1 or -1
    ...     print(segment)
    mean_rho: only 2 dimensions: mean_rho (the mean Spearman correlation between trials) needs 3
    position_bias_rho: item order not recorded
    """
    shares = _outcome_shares(outcomes)
    rows = []
    seen = set()
    for g in groups:
        model, condition, task = g.key
        seen.add(g.key)
        m, k = g.x.shape
        chi2, p, w = stats.friedman_w(g.ranks.sum(axis=0), m, k, g.ties.sum())
        rho, rho_low, rho_high = stats.mean_spearman(g.ranks)
        row = {"model": model, "condition": condition, "task": task, "n_trials": m,
               "friedman_chi2": float(chi2), "friedman_df": k - 1, "friedman_p": float(p), "kendall_w": float(w),
               "mean_rho": rho, "mean_rho_ci_low": rho_low, "mean_rho_ci_high": rho_high,
               "position_bias_rho": _position_bias(g), **shares.get(g.key, _no_outcomes()), "note": None}
        rows.append(_stability_declines(row, g))
    for key, share in shares.items():  # groups with answers but none valid
        if key not in seen and key[2] in ("rank", "rate"):
            row = {"model": key[0], "condition": key[1], "task": key[2], "n_trials": 0, **share, "note": None}
            for statistic in ("friedman", "kendall_w", "mean_rho", "position_bias_rho"):
                decline(row, "result_stability", statistic, "no valid trials")
            rows.append(row)
    return settle("result_stability", pl.DataFrame(rows, schema=STABILITY_SCHEMA))


def _stability_declines(row: dict, g: Group) -> dict:
    """Decline, with the reason, what a group's trials cannot support (MINIMUMS and degenerate data)."""
    m, k = g.x.shape
    table = "result_stability"
    tied = "every trial gives every dimension the same value" if np.isnan(row["friedman_chi2"]) else None
    no_interval = np.isnan(row["mean_rho_ci_low"])
    if why := shortfall("stability", trials=m, dimensions=k) or tied:
        for statistic in ("friedman", "kendall_w"):
            decline(row, table, statistic, why)
    if why := shortfall("mean_rho", trials=m, dimensions=k) or tied:
        decline(row, table, "mean_rho", why)
    elif why := shortfall("mean_rho interval", trials=m, dimensions=k):
        decline(row, table, "mean_rho_ci", why)
    elif no_interval:
        decline(row, table, "mean_rho_ci", "the leave-one-out estimates do not vary: no jackknife interval")
    if np.isnan(row["position_bias_rho"]):
        decline(row, table, "position_bias_rho", _position_note(g))
    if row["n_responses"] == 0:
        decline(row, table, "shares", "no outcome counts for this model, condition and task")
    return row


def _position_bias(g: Group) -> float:
    """Spearman correlation of presented position and answer over all cells with a known position."""
    if g.positions is None or np.isnan(g.positions).all():
        return float("nan")
    ok = ~np.isnan(g.positions)
    if stats.is_flat(np.var(g.x[ok]), g.span):
        return float("nan")
    return float(sps.spearmanr(g.positions[ok], g.x[ok]).statistic)


def _position_note(g: Group) -> str:
    if g.positions is None or np.isnan(g.positions).all():
        return "item order not recorded"
    return "every answer with a recorded position is the same value"


STABILITY_SCHEMA = {
    "model": pl.String, "condition": pl.String, "task": pl.String, "n_trials": pl.Int64, "friedman_chi2": pl.Float64,
    "friedman_df": pl.Int64, "friedman_p": pl.Float64, "kendall_w": pl.Float64, "mean_rho": pl.Float64,
    "mean_rho_ci_low": pl.Float64, "mean_rho_ci_high": pl.Float64, "position_bias_rho": pl.Float64,
    "valid_share": pl.Float64, "refused_share": pl.Float64, "unparseable_share": pl.Float64,
    "incomplete_share": pl.Float64, "error_share": pl.Float64, "n_responses": pl.Int64, "note": pl.String,
}


def _no_outcomes() -> dict:
    return {f"{s}_share": np.nan for s in RANKING_STATUSES} | {"n_responses": 0}


def _outcome_shares(outcomes: pl.DataFrame) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for (model, condition, task), part in outcomes.group_by(["model", "condition", "task"]):
        counts = dict(zip(part["status"].to_list(), part["n"].to_list()))
        total = sum(counts.values())
        out[(model, condition, task)] = ({f"{s}_share": counts.get(s, 0) / total for s in RANKING_STATUSES}
                                         | {"n_responses": total})
    return out


# --------------------------------------------------------------------------- between models


def differences(groups: list[Group]) -> pl.DataFrame:
    """`result_differences`: does each dimension's rank (or rating) differ between models?

    Parameters
    ----------
    groups : list of Group
        Model groups (`wide_groups`).

    Returns
    -------
    polars.DataFrame
        One row per condition, task and dimension: Kruskal-Wallis H with its df and p, p_holm
        (Holm-adjusted across the dimensions of the condition and task), epsilon-squared, n, and a
        note when there is nothing to compare or no variation.

    Notes
    -----
    scipy.stats.kruskal (tie-corrected) over the models' trials; the effect size is
    `stats.epsilon_squared`; one family of tests per condition and task, adjusted by
    `stats.holm`. When every answer is the same, H = 0 and p = 1 with a note.

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
    Journal of the American Statistical Association 47(260), 583-621.
    Tomczak & Tomczak (2014), cited in full at `papers.analysis.stats.epsilon_squared`.
    Holm (1979), cited in full at `papers.analysis.stats.holm`.

    Examples
    --------
    >>> groups = _example_groups()
    >>> row = differences(groups).row(0, named=True)
    >>> row["dimension"], row["df"], row["p"] < 0.001, round(row["epsilon2"], 3)
    ('A', 2, True, 0.667)
    """
    rows = []
    by_ct: dict[tuple, list[Group]] = {}
    for g in groups:
        by_ct.setdefault(g.key[1:], []).append(g)
    for (condition, task), members in sorted(by_ct.items()):
        dims = members[0].dims
        block = []
        for j, dim in enumerate(dims):
            samples = [g.x[:, j] for g in members if g.x.shape[0] > 0]
            n = sum(len(s) for s in samples)
            h = p = eps = np.nan
            note = None
            if len(samples) < 2:
                note = "kruskal_h: one model only, nothing to compare"
            elif stats.is_flat(np.var(np.concatenate(samples)), members[0].span):
                h, p, eps, note = 0.0, 1.0, 0.0, "every model gives this dimension the same value"
            else:
                h, p = sps.kruskal(*samples)
                eps = stats.epsilon_squared(h, n)
            block.append({"condition": condition, "task": task, "dimension": dim, "kruskal_h": float(h),
                          "df": len(samples) - 1, "p": float(p), "epsilon2": float(eps), "n": n, "note": note})
        adjusted = stats.holm(np.array([r["p"] for r in block]))
        for r, q in zip(block, adjusted):
            r["p_holm"] = float(q)
        rows += block
    return settle("result_differences", pl.DataFrame(rows, schema={
        "condition": pl.String, "task": pl.String, "dimension": pl.String, "kruskal_h": pl.Float64, "df": pl.Int64,
        "p": pl.Float64, "p_holm": pl.Float64, "epsilon2": pl.Float64, "n": pl.Int64, "note": pl.String}))


def type_margin(settings: Settings, layout: Layout, task: str) -> float:
    """The equivalence margin of the orientation index in the task's units.

    Parameters
    ----------
    settings : Settings
        The audit's settings; `type_margin` is given in rank places, or in scale points of a 1-7
        scale.
    layout : Layout
        The instrument's rating scale.
    task : {"rank", "rate"}

    Returns
    -------
    float
        The margin for ranks as given; for ratings scaled by (max - min) / 6 to the instrument's
        scale.

    Notes
    -----
    A type needs the orientation index to lie beyond +-margin (`structure.orientation_test`, after
    Schuirmann's two one-sided tests); scaling keeps the same margin meaning the same share of the
    scale whatever its length.

    References
    ----------
    Schuirmann (1987), cited in full at `papers.analysis.structure.orientation_test`.

    Examples
    --------
    >>> type_margin(Settings(), Layout({}, {}, (1, 5)), "rate"), type_margin(Settings(), Layout({}, {}), "rank")
    (0.16666666666666666, 0.25)
    """
    if task == "rank":
        return settings.type_margin
    low, high = layout.scale
    return settings.type_margin * (high - low) / 6


def structure(groups: list[Group], layout: Layout, settings: Settings, rng: np.random.Generator):
    """Types, clusters and the map of the models, per condition and task.

    Parameters
    ----------
    groups : list of Group
        Model groups with their bootstrap attached (cluster stability resamples them).
    layout : Layout
        Dimension orientations and the rating scale.
    settings : Settings
        Linkage, k, the type margin, permutations and stability resamples.
    rng : numpy.random.Generator
        The audit's generator, drawn from in sorted condition and task order.

    Returns
    -------
    (clusters, mds, summary) : polars.DataFrame
        `result_clusters` (per model: cluster and its label, orientation index with its interval,
        Holm-adjusted type p and type, cluster stability), `result_mds` (per model: a classical MDS
        map of the mean profiles) and `result_structure` (per condition and task: k, cophenetic r,
        silhouette, the two structure p-values, the MDS variance share).

    Notes
    -----
    Types come from the orientation test of each model with Holm's correction across models
    (`structure.orientation_test`, `structure.type_models`); clusters from Ward clustering of the
    mean profiles, reported only when they beat identical models (`structure.structure_test`), with
    clusterwise Jaccard stability (Hennig 2007) and a label from the cluster's centroid interval;
    the map from classical MDS (`stats.classical_mds`). Fewer than three models are not clustered.

    References
    ----------
    Ward (1963), cited in full at `papers.analysis.structure.within_ss`.
    Hennig (2007), cited in full at `papers.analysis.stats.jaccard`.
    Torgerson (1952), cited in full at `papers.analysis.stats.classical_mds`.

    Examples
    --------
    Three models along one line (h, m, u) differ, but form no separate groups:

    >>> rng = np.random.default_rng(1)
    >>> groups = _example_groups(rng)
    >>> clusters, mds, summary = structure(groups, _example_layout(), Settings(permutations=99), rng)
    >>> clusters.select("model", "model_type").rows()
    [('h', 'human-centric'), ('m', 'no clear type'), ('u', 'utility-driven')]
    >>> summary.row(0, named=True)["note"].split("; ")
    ['silhouette: no cluster structure to measure', 'no cluster structure: the models differ, but not in separate groups']
    """
    cluster_rows, mds_rows, summary_rows = [], [], []
    by_ct: dict[tuple, list[Group]] = {}
    for g in groups:
        if g.x.shape[0] > 0:
            by_ct.setdefault(g.key[1:], []).append(g)
    for (condition, task), members in sorted(by_ct.items()):
        clusters, mds, summary = _structure_of(condition, task, sorted(members, key=lambda g: g.key[0]), layout,
                                               settings, rng)
        cluster_rows += clusters
        mds_rows += mds
        summary_rows.append(summary)
    return (settle("result_clusters", pl.DataFrame(cluster_rows, schema=CLUSTER_SCHEMA)),
            settle("result_mds", pl.DataFrame(mds_rows, schema=MDS_SCHEMA)),
            settle("result_structure", pl.DataFrame(summary_rows, schema=STRUCTURE_SCHEMA)))


def _structure_of(condition: str, task: str, members: list[Group], layout: Layout, settings: Settings,
                  rng: np.random.Generator) -> tuple[list[dict], list[dict], dict]:
    """The cluster, map and summary rows of the models of one condition and task (sorted by model)."""
    margin = type_margin(settings, layout, task)
    tests = [orientation_test(orientation_per_trial(g.x, g.dims, layout.orientation, task), margin,
                              bounds=orientation_bounds(g.dims, layout.orientation, task, layout.scale))
             for g in members]
    types, adjusted = type_models(tests)
    found = _clusters(members, settings, rng)
    labels = {c: cluster_label([t for t, lab in zip(tests, found.labels) if lab == c], margin)
              for c in np.unique(found.labels)}
    if found.k == 1:
        labels = dict.fromkeys(labels, "no cluster structure")
    clusters = [{"condition": condition, "task": task, "model": g.key[0], "cluster": int(found.labels[i]),
                 "label": labels[found.labels[i]], "orientation_index": t.index,
                 "orientation_ci_low": t.ci_low, "orientation_ci_high": t.ci_high, "type_margin": margin,
                 "type_p_holm": float(adjusted[i]), "model_type": types[i],
                 "stability_jaccard": float(found.jaccard[i]), "note": None}
                for i, (g, t) in enumerate(zip(members, tests))]
    for row, g in zip(clusters, members):
        _cluster_declines(row, g, found)
    mds = _mds_rows(condition, task, members, found.profile)
    summary = {"condition": condition, "task": task, "n_models": len(members), "k": found.k,
               "linkage": settings.linkage, "cophenetic_r": found.cophenetic,
               "silhouette": found.silhouette, "p_heterogeneity": found.p_heterogeneity,
               "p_clustering": found.p_clustering, "candidate_k": found.candidate_k,
               "mds_variance_share": mds[-1]["variance_share"], "note": found.note}
    if found.declined:
        for statistic in ("cophenetic_r", "silhouette", "p_heterogeneity", "p_clustering"):
            decline(summary, "result_structure", statistic, found.declined)
    elif found.k == 1 and not settings.k:
        decline(summary, "result_structure", "silhouette", "no cluster structure to measure")
    return clusters, mds, summary


def _cluster_declines(row: dict, g: Group, found: _Found) -> None:
    """Decline a model's orientation, type and cluster where its trials or the audit cannot support them."""
    table = "result_clusters"
    if np.isnan(row["orientation_index"]):
        decline(row, table, "orientation_index", "the condition shows no humanistic or no utility dimension")
    elif why := shortfall("orientation", trials=g.x.shape[0]):
        decline(row, table, "orientation_ci", why)
    elif np.isnan(row["orientation_ci_low"]):
        decline(row, table, "orientation_ci", "every trial gives the same index and its bounds are not known")
    if found.declined:
        decline(row, table, "cluster", found.declined)
    elif found.k == 1:
        decline(row, table, "stability_jaccard", "one cluster: nothing to find again in resamples")


@dataclass
class _Found:
    profile: np.ndarray
    k: int = 1
    labels: np.ndarray | None = None
    jaccard: np.ndarray | None = None
    cophenetic: float = float("nan")
    silhouette: float = float("nan")
    p_heterogeneity: float = float("nan")
    p_clustering: float = float("nan")
    candidate_k: int | None = None
    note: str | None = None
    declined: str | None = None  # why the models were not clustered at all


def _clusters(members: list[Group], settings: Settings, rng: np.random.Generator) -> _Found:
    profile = np.vstack([g.x.mean(axis=0) for g in members])
    n = len(members)
    found = _Found(profile, labels=np.ones(n, dtype=int), jaccard=np.full(n, np.nan))
    if n < 3:
        found.note = "fewer than three models, so not clustered"
        found.declined = shortfall("clusters", models=n)
        return found
    distances = pdist(profile)
    if stats.is_flat(distances.max() ** 2, members[0].span):
        found.note = "all models have the same profile, so not clustered"
        found.declined = "all models have the same profile"
        return found
    z = hierarchy.linkage(profile, method=settings.linkage, metric="euclidean")
    found.cophenetic = float(hierarchy.cophenet(z, distances)[0])
    test = structure_test([g.x for g in members], settings.linkage, rng, settings.permutations, k_given=settings.k)
    found.k, found.labels, found.silhouette = test.k, test.labels, test.silhouette
    found.p_heterogeneity, found.p_clustering, found.candidate_k = test.p_heterogeneity, test.p_clustering, test.candidate_k
    if test.k > 1:
        found.jaccard = _cluster_stability(members, test.labels, test.k, settings, rng)
    elif test.p_heterogeneity >= 0.05:
        found.note = "no cluster structure: the models differ by no more than their trial noise"
    else:
        found.note = "no cluster structure: the models differ, but not in separate groups"
    return found


def _mds_rows(condition: str, task: str, members: list[Group], profile: np.ndarray) -> list[dict]:
    n = len(members)
    coords, share = stats.classical_mds(squareform(pdist(profile)) if n > 1 else np.zeros((1, 1)))
    return [{"condition": condition, "task": task, "model": g.key[0], "x": float(coords[i, 0]), "y": float(coords[i, 1]),
             "variance_share": share, "note": None if n > 2 else "fewer than three models, so the map is trivial"}
            for i, g in enumerate(members)]


CLUSTER_SCHEMA = {
    "condition": pl.String, "task": pl.String, "model": pl.String, "cluster": pl.Int64, "label": pl.String,
    "orientation_index": pl.Float64, "orientation_ci_low": pl.Float64, "orientation_ci_high": pl.Float64,
    "type_margin": pl.Float64, "type_p_holm": pl.Float64, "model_type": pl.String, "stability_jaccard": pl.Float64,
    "note": pl.String}
MDS_SCHEMA = {
    "condition": pl.String, "task": pl.String, "model": pl.String, "x": pl.Float64, "y": pl.Float64,
    "variance_share": pl.Float64, "note": pl.String}
STRUCTURE_SCHEMA = {
    "condition": pl.String, "task": pl.String, "n_models": pl.Int64, "k": pl.Int64, "linkage": pl.String,
    "cophenetic_r": pl.Float64, "silhouette": pl.Float64, "p_heterogeneity": pl.Float64, "p_clustering": pl.Float64,
    "candidate_k": pl.Int64, "mds_variance_share": pl.Float64, "note": pl.String}


def _cluster_stability(members: list[Group], labels: np.ndarray, k: int, settings: Settings,
                       rng: np.random.Generator) -> np.ndarray:
    """Clusterwise Jaccard stability (Hennig 2007): re-cluster bootstrap profiles (resampled
    trials within each model) into k clusters; for each original cluster, the best Jaccard match
    among the new clusters; averaged over re-clusterings. Each model gets its cluster's value."""
    b = min(settings.stability_b, members[0].boot.shape[0])
    original = {c: set(np.flatnonzero(labels == c)) for c in np.unique(labels)}
    scores = {c: [] for c in original}
    for r in range(b):
        profile = np.vstack([g.boot[r] for g in members])
        new = hierarchy.fcluster(hierarchy.linkage(profile, method=settings.linkage), k, criterion="maxclust")
        clusters = [set(np.flatnonzero(new == c)) for c in np.unique(new)]
        for c, members_c in original.items():
            scores[c].append(max(stats.jaccard(members_c, other) for other in clusters))
    per_cluster = {c: float(np.mean(v)) for c, v in scores.items()}
    return np.array([per_cluster[c] for c in labels])


# --------------------------------------------------------------------------- human benchmark


def human_profiles(groups: list[Group], excluded: dict[str, int]) -> pl.DataFrame:
    """`result_human_profiles`: each sample's mean per dimension, with its interval.

    Parameters
    ----------
    groups : list of Group
        Human groups keyed (sample, condition, task), bootstrap attached.
    excluded : dict
        Sample -> number of excluded participants, reported beside the profile.

    Returns
    -------
    polars.DataFrame
        One row per sample, condition, task and dimension: n (participants), mean with a 95%
        interval over participants (`mean_intervals`), sd, n_excluded and a note saying what was
        declined and why.

    Notes
    -----
    Participants are the units resampled, as trials are for models.

    References
    ----------
    Efron & Tibshirani (1993), cited in full at `papers.analysis.stats.bootstrap_counts`.

    Examples
    --------
    >>> human = pl.DataFrame({"sample": "s", "condition": "c", "task": "rate",
    ...                       "participant": ["p1", "p1", "p2", "p2", "p3", "p3"],
    ...                       "dimension": ["A", "B"] * 3, "value": [6.0, 3, 7, 4, 5, 2]})
    >>> layout = Layout({"c": ("A", "B")}, {"A": "humanistic", "B": "utility"})
    >>> groups = wide_groups(human, layout, ("sample", "condition", "task"), "participant")
    >>> attach_bootstrap(groups, np.random.default_rng(1), 50)
    >>> human_profiles(groups, {"s": 2}).select("dimension", "n", "mean", "sd", "n_excluded").rows()
    [('A', 3, 6.0, 1.0, 2), ('B', 3, 3.0, 1.0, 2)]
    """
    rows = []
    for g in groups:
        sample, condition, task = g.key
        for j, (dim, (low, high), sd) in enumerate(zip(g.dims, *mean_intervals(g, "participants"))):
            rows.append({"sample": sample, "condition": condition, "task": task, "dimension": dim,
                         "n": g.x.shape[0], "mean": float(g.x[:, j].mean()), "ci_low": low, "ci_high": high, "sd": sd,
                         "n_excluded": excluded.get(sample, 0), "note": None})
            _decline_spread(rows[-1], "result_human_profiles", "human interval", participants=g.x.shape[0])
    return settle("result_human_profiles", pl.DataFrame(rows, schema={
        "sample": pl.String, "condition": pl.String, "task": pl.String, "dimension": pl.String, "n": pl.Int64,
        "mean": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "sd": pl.Float64, "n_excluded": pl.Int64,
        "note": pl.String}))


FIDELITY = ("pearson_r", "spread_ratio", "level_shift", "ccc", "icc_a1", "icc_c1")
CI_PREFIX = {"pearson_r": "r"}  # the public schema's names of r's interval: r_ci_low, r_ci_high
RANK_REASON = "rank task: every ranking has the same mean, so there is no level and no absolute agreement to measure"
PROFILE_STATISTICS = ("pearson_r", "spearman_rho", "spread_ratio", "ccc", "icc_a1", "icc_c1")


def agreement(model_groups: list[Group], human_groups: list[Group]) -> pl.DataFrame:
    """Profile fidelity of each model to each human sample on the matched condition and task.

    Parameters
    ----------
    model_groups, human_groups : list of Group
        With their bootstrap attached; matched on (condition, task).

    Returns
    -------
    polars.DataFrame
        `result_agreement`: one row per model and sample with n_participants, n_trials, pearson_r,
        spearman_rho, spread_ratio, level_shift, ccc, icc_a1, icc_c1 (each with its interval), for
        ratings the F-based ICC(A,1) interval and a Koo & Li band, mad, rank_by_ccc within sample,
        condition and task, and a note saying what was declined and why.

    Notes
    -----
    Order (Pearson r, Spearman rho), calibration (spread ratio), level (ratings), Lin's CCC and,
    for ratings, ICC(A,1) and ICC(C,1), all noise-corrected (`stats.fidelity`), with the intervals
    of `stats.fidelity_intervals` (a bootstrap of trials and participants moved to satisfy the
    estimate, read at the expanded level; Welch's interval for the level); for ratings also the
    McGraw & Wong F-based interval of ICC(A,1), which treats the dimensions as a sample of possible
    ones. The Koo & Li band is named from the bootstrap interval printed beside ICC(A,1), and only
    when that whole interval lies in one band. Declined, with the reason in the note: every
    statistic but the level and the MAD below the MINIMUMS of papers.analysis.declines (trials,
    participants, dimensions) or when either profile is flat within its noise (a corrected variance
    of 0, where r is undefined and CCC and ICC would be forced to 0); the level and the ICCs for rank
    tasks, where every profile has the same mean. Spearman's rho and the MAD are of the observed
    means.

    References
    ----------
    Lin, L. I.-K. (1989). A concordance correlation coefficient to evaluate reproducibility.
    Biometrics 45(1), 255-268.
    McGraw & Wong (1996), cited in full at `papers.analysis.stats.icc_two_way`.
    Koo & Li (2016), cited in full at `papers.analysis.stats.koo_li_band`.

    Examples
    --------
    A model that rates in the people's order with wider gaps (30 trials, 40 people):

    >>> rng = np.random.default_rng(1)
    >>> def rows(unit, key, centre, n):
    ...     data = np.clip(np.round(np.array(centre) + rng.normal(0, 0.7, (n, 4))), 1, 7)
    ...     return [{key[0]: key[1], "condition": "c", "task": "rate", unit: f"{unit}{i}", "dimension": d, "value": v}
    ...             for i, row in enumerate(data) for d, v in zip("ABCD", row)]
    >>> layout = Layout({"c": tuple("ABCD")}, {"A": "humanistic", "B": "utility", "C": "neutral", "D": "neutral"})
    >>> model = pl.DataFrame(rows("response_id", ("model", "m"), [6.5, 4, 1.5, 3], 30))
    >>> people = pl.DataFrame(rows("participant", ("sample", "s"), [5.5, 4, 2.5, 3.5], 40))
    >>> mg = wide_groups(model, layout, ("model", "condition", "task"), "response_id")
    >>> hg = wide_groups(people, layout, ("sample", "condition", "task"), "participant")
    >>> attach_bootstrap(mg, rng, 200); attach_bootstrap(hg, rng, 200)
    >>> row = agreement(mg, hg).row(0, named=True)
    >>> [round(row[k], 2) for k in ("pearson_r", "spread_ratio", "spread_ratio_ci_low", "ccc", "icc_a1")], row["band"]
    ([0.98, 1.58, 1.43, 0.89, 0.91], 'between good and excellent')

    With 12 of those trials, every statistic but the level is declined:

    >>> few = wide_groups(model.filter(pl.col("response_id").str.slice(11).cast(int) < 12), layout,
    ...                   ("model", "condition", "task"), "response_id")
    >>> attach_bootstrap(few, rng, 200)
    >>> row = agreement(few, hg).row(0, named=True)
    >>> from papers.analysis.declines import reasons
    >>> row["ccc"], row["band"], reasons(row["note"])["ccc"]
    (None, None, 'only 12 trials: profile fidelity (r, rho, spread ratio, CCC, ICC) needs 20')
    """
    humans: dict[tuple, list[Group]] = {}
    for g in human_groups:
        humans.setdefault(g.key[1:], []).append(g)
    rows = [fidelity_row(mg, hg) for mg in model_groups for hg in humans.get(mg.key[1:], [])
            if mg.x.shape[0] > 0 and hg.x.shape[0] > 0]
    frame = settle("result_agreement", pl.DataFrame(rows, schema=AGREEMENT_SCHEMA))
    return frame.with_columns(
        rank_by_ccc=pl.col("ccc").rank("ordinal", descending=True).over("sample", "condition", "task").cast(pl.Int64)
    ).sort("sample", "condition", "task", "rank_by_ccc", nulls_last=True)


def fidelity_row(mg: Group, hg: Group) -> dict:
    """One row of `agreement`: the profile fidelity of a model to a human sample, before
    `declines.settle`.

    Parameters
    ----------
    mg, hg : Group
        The model's trials and the sample's participants on the same condition and task, with
        their bootstrap attached (`attach_bootstrap`).

    Returns
    -------
    dict
        The columns of `result_agreement` but rank_by_ccc: NaN where a value is missing, and what
        the pair's data cannot support declined with its reason (`_fidelity_declines`).

    Notes
    -----
    The statistics of `stats.fidelity`, their intervals from `stats.fidelity_intervals` (computed
    only when MINIMUMS allows profile fidelity; the level's Welch interval always), Spearman's rho
    and the MAD of the observed means, McGraw & Wong's F-based ICC(A,1) interval, and the Koo & Li
    band of the bootstrap ICC(A,1) interval. bench/validity.py reads its intervals to show their
    coverage.

    References
    ----------
    Koo & Li (2016), cited in full at `papers.analysis.stats.koo_li_band`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> model = Group(("m", "c", "rate"), tuple("ABCD"), np.clip(np.round(rng.normal([6, 3, 5, 2], 1, (25, 4))), 1, 7),
    ...               None)
    >>> people = Group(("s", "c", "rate"), tuple("ABCD"), np.clip(np.round(rng.normal([5, 4, 5, 3], 1, (40, 4))), 1, 7),
    ...                None)
    >>> attach_bootstrap([model, people], rng, 200)
    >>> row = fidelity_row(model, people)
    >>> row["r_ci_low"] < row["pearson_r"] <= row["r_ci_high"], row["note"]
    (True, None)
    """
    model, condition, task = mg.key
    point = stats.fidelity(mg.moments, hg.moments, mg.span)
    if shortfall("fidelity", trials=mg.x.shape[0], participants=hg.x.shape[0], dimensions=len(mg.dims)) is None:
        intervals = stats.fidelity_intervals(mg.x, hg.x, mg.counts, hg.counts, span=mg.span)
    else:  # declined below (`_fidelity_declines`) but for the level, whose Welch interval needs two of each
        intervals = dict.fromkeys(FIDELITY, (np.nan, np.nan)) | {
            "level_shift": stats.welch_interval(mg.x.mean(axis=1), hg.x.mean(axis=1))}
    row = {"model": model, "sample": hg.key[0], "condition": condition, "task": task,
           "n_participants": hg.x.shape[0], "n_trials": mg.x.shape[0], "note": None}
    for name in FIDELITY:
        prefix = CI_PREFIX.get(name, name)
        row |= {name: float(point[name]), f"{prefix}_ci_low": intervals[name][0], f"{prefix}_ci_high": intervals[name][1]}
    a, h = mg.x.mean(axis=0), hg.x.mean(axis=0)
    ordered = not (stats.is_flat(np.var(a), mg.span) or stats.is_flat(np.var(h), mg.span))
    row["spearman_rho"] = float(sps.spearmanr(a, h).statistic) if ordered else np.nan
    row["mad"] = float(np.abs(a - h).mean())
    f = stats.icc_f_intervals(a, h)
    row |= {"icc_a1_f_ci_low": f["icc_a1"][0], "icc_a1_f_ci_high": f["icc_a1"][1],
            "band": stats.koo_li_interval_band((row["icc_a1_ci_low"], row["icc_a1_ci_high"]))}
    return _fidelity_declines(row, mg, hg)


def _fidelity_declines(row: dict, mg: Group, hg: Group) -> dict:
    """Decline, with the reason, every fidelity statistic the pair's data cannot support."""
    table, (m, k), n = "result_agreement", mg.x.shape, hg.x.shape[0]
    if row["task"] == "rank":
        for statistic in ("level_shift", "icc_a1", "icc_c1"):
            decline(row, table, statistic, RANK_REASON)
    why = shortfall("fidelity", trials=m, participants=n, dimensions=k)
    if why is None and np.isnan(row["spread_ratio"]):
        why = "the humans' profile is flat within its sampling noise"
    elif why is None and row["spread_ratio"] == 0:
        why = "the model's profile is flat within its trial noise"
    for statistic in PROFILE_STATISTICS if why else ():
        decline(row, table, statistic, why)
    if row["task"] != "rank":
        if why := shortfall("level", trials=m, participants=n):
            decline(row, table, "level_shift_ci", why)
        elif np.isnan(row["level_shift_ci_low"]):
            decline(row, table, "level_shift_ci", "no trial's or participant's mean rating differs from another's")
        if why := shortfall("icc f interval", dimensions=k):
            decline(row, table, "icc_a1_f_ci", why)
        elif row["icc_a1_f_ci_low"] is not None and np.isnan(row["icc_a1_f_ci_low"]):
            decline(row, table, "icc_a1_f_ci", "the residual mean square is 0 (the profiles agree exactly up to a "
                                               "shift): no F-based interval")
    return row


AGREEMENT_SCHEMA = {
    "model": pl.String, "sample": pl.String, "condition": pl.String, "task": pl.String,
    "n_participants": pl.Int64, "n_trials": pl.Int64,
    **{column: pl.Float64 for name in FIDELITY
       for column in (name, f"{CI_PREFIX.get(name, name)}_ci_low", f"{CI_PREFIX.get(name, name)}_ci_high")},
    "icc_a1_f_ci_low": pl.Float64, "icc_a1_f_ci_high": pl.Float64, "spearman_rho": pl.Float64, "mad": pl.Float64,
    "band": pl.String, "note": pl.String,
}


def items_summary(items: pl.DataFrame, rng: np.random.Generator, b: int) -> pl.DataFrame:
    """`result_items`: each survey item's mean per sample, with its interval.

    Parameters
    ----------
    items : polars.DataFrame
        sample, item, value: one row per participant and item.
    rng : numpy.random.Generator
        The audit's generator.
    b : int
        Bootstrap resamples.

    Returns
    -------
    polars.DataFrame
        One row per sample and item: n, mean with a percentile bootstrap 95% interval over
        participants (read at the expanded level, `stats.expanded_level`), sd, median and a note
        saying what was declined and why.

    Notes
    -----
    The resampled means are one product of bootstrap counts with the values
    (`stats.bootstrap_counts`). With one participant, or when every participant gave the same
    value (an item's scale is not recorded, so no `stats.constant_interval` can stand in), the
    interval is declined.

    References
    ----------
    Efron & Tibshirani (1993), cited in full at `papers.analysis.stats.bootstrap_counts`.

    Examples
    --------
    >>> items = pl.DataFrame({"sample": "s", "item": "endorse", "value": [2.0, 4, 5, 7]})
    >>> items_summary(items, np.random.default_rng(1), 200).select("n", "mean", "median").row(0)
    (4, 4.5, 4.5)
    """
    rows = []
    # sorted by value too: the bootstrap draws rows by position, so their order must not depend on the store
    for (sample, item), part in items.sort("sample", "item", "value").group_by(["sample", "item"], maintain_order=True):
        x = part["value"].to_numpy().astype(float)
        boot = stats.bootstrap_counts(rng, len(x), b) @ x / len(x)
        low, high = stats.percentile_ci(boot, stats.expanded_level(len(x))) if len(x) > 1 else (np.nan, np.nan)
        row = {"sample": sample, "item": item, "n": len(x), "mean": float(x.mean()), "ci_low": float(low),
               "ci_high": float(high), "sd": float(x.std(ddof=1)) if len(x) > 1 else np.nan,
               "median": float(np.median(x)), "note": None}
        _decline_spread(row, "result_items", "item interval", participants=len(x))
        if len(x) > 1 and stats.is_flat(np.var(x), max(float(np.abs(x).max()), 1.0)):
            decline(row, "result_items", "ci", "every participant gave the same value, and an item's scale is not "
                                               "recorded, so no bound can replace the resampling")
        rows.append(row)
    return settle("result_items", pl.DataFrame(rows, schema={
        "sample": pl.String, "item": pl.String, "n": pl.Int64, "mean": pl.Float64, "ci_low": pl.Float64,
        "ci_high": pl.Float64, "sd": pl.Float64, "median": pl.Float64, "note": pl.String}))


# --------------------------------------------------------------------------- Study 1


def themes(codes: pl.DataFrame, rule: str | None = None) -> pl.DataFrame:
    """`result_themes`: the share of open answers showing each theme, with a Wilson 95% interval.

    Parameters
    ----------
    codes : polars.DataFrame
        model, condition, response_id, coder, dimension, is_present: one row per code.
    rule : {"all", "majority", "any"}, optional
        The consensus rule; None for the default below.

    Returns
    -------
    polars.DataFrame
        One row per model, condition and dimension: n (answers), share with its Wilson interval,
        coders (the most coders of any answer) and the rule used.

    Raises
    ------
    ValueError
        For an unknown rule.

    Notes
    -----
    Whether a theme is present in an answer follows a stated consensus rule over the coders of
    that answer: "all" (every coder marked it), "majority" (more than half did) or "any" (at least
    one did). By default "all" when two coders coded the answer (two coders cannot form a
    majority short of agreeing) and "majority" when more did; with one coder, that coder's code.
    The rule used is stored in the `rule` column.

    References
    ----------
    Wilson (1927), cited in full at `papers.analysis.stats.wilson_ci`.

    Examples
    --------
    Three coders, two answers: two coders see theme A in the first, one in the second.

    >>> import polars as pl
    >>> codes = pl.DataFrame({"model": "m", "condition": "c", "response_id": ["r1"] * 3 + ["r2"] * 3,
    ...                       "coder": ["ann", "bob", "cy"] * 2, "dimension": "A",
    ...                       "is_present": [True, True, False, False, False, True]})
    >>> themes(codes).select("n", "share", "coders", "rule").row(0), themes(codes, "any").select("share", "rule").row(0)
    ((2, 0.5, 3, 'majority'), (1.0, 'any'))
    """
    if rule is not None and rule not in THEME_RULES:
        raise ValueError(f"theme rule must be one of {', '.join(THEME_RULES)}")
    schema = {"model": pl.String, "condition": pl.String, "dimension": pl.String, "n": pl.Int64, "share": pl.Float64,
              "ci_low": pl.Float64, "ci_high": pl.Float64, "coders": pl.Int64, "rule": pl.String, "note": pl.String}
    if codes.height == 0:
        return pl.DataFrame(schema=schema)
    votes = codes.group_by("model", "condition", "response_id", "dimension").agg(
        yes=pl.col("is_present").cast(pl.Int64).sum(), coders=pl.col("coder").n_unique())
    chosen = pl.lit(rule) if rule else pl.when(pl.col("coders") >= 3).then(pl.lit("majority")).otherwise(pl.lit("all"))
    votes = votes.with_columns(rule=chosen).with_columns(present=(
        pl.when(pl.col("rule") == "all").then(pl.col("yes") == pl.col("coders"))
        .when(pl.col("rule") == "majority").then(pl.col("yes") * 2 > pl.col("coders"))
        .otherwise(pl.col("yes") >= 1)))
    summary = votes.group_by("model", "condition", "dimension").agg(
        n=pl.len(), k=pl.col("present").sum(), coders=pl.col("coders").max(),
        rule=pl.col("rule").unique().sort().str.join(", ")).sort("model", "condition", "dimension")
    low, high = stats.wilson_ci(summary["k"].to_numpy(), summary["n"].to_numpy())
    frame = summary.with_columns(share=pl.col("k") / pl.col("n"), ci_low=pl.Series(low), ci_high=pl.Series(high),
                                 note=pl.lit(None, pl.String))
    return settle("result_themes", frame.select(list(schema)).cast(schema))


def coder_agreement(codes: pl.DataFrame, rng: np.random.Generator, b: int) -> pl.DataFrame:
    """`result_coder_agreement`: how well the coders of open answers agree, per dimension.

    Parameters
    ----------
    codes : polars.DataFrame
        model, condition, response_id, coder, dimension, is_present.
    rng : numpy.random.Generator
        The audit's generator.
    b : int
        Bootstrap resamples (at most 1,000 are used).

    Returns
    -------
    polars.DataFrame
        One row per dimension coded by at least two coders: the coders, the statistic's name and
        value, a percentile bootstrap 95% interval over answers, n_units (answers with at least two
        codes) and a note when the codes do not vary.

    Notes
    -----
    Cohen's kappa when exactly two coders coded the dimension, Krippendorff's alpha (nominal,
    missing codes allowed) for more (`stats.cohen_kappa`, `stats.krippendorff_alpha_nominal`).
    Answers are sorted by id before resampling, so the interval does not depend on the order of
    rows in the store.

    References
    ----------
    Cohen (1960), cited in full at `papers.analysis.stats.cohen_kappa`.
    Krippendorff (2011), cited in full at `papers.analysis.stats.krippendorff_alpha_nominal`.

    Examples
    --------
    >>> codes = pl.DataFrame({"model": "m", "condition": "c", "response_id": [f"r{i // 2}" for i in range(8)],
    ...                       "coder": ["ann", "bob"] * 4, "dimension": "A",
    ...                       "is_present": [True, True, False, False, True, False, False, False]})
    >>> coder_agreement(codes, np.random.default_rng(1), 100).select("statistic", "value", "n_units").row(0)
    ('cohen_kappa', 0.5, 4)
    """
    schema = {"dimension": pl.String, "coders": pl.String, "statistic": pl.String, "value": pl.Float64,
              "ci_low": pl.Float64, "ci_high": pl.Float64, "n_units": pl.Int64, "note": pl.String}
    rows = []
    for (dimension,), part in codes.sort("dimension").group_by(["dimension"], maintain_order=True):
        # sorted by answer: the bootstrap below draws rows by position, so their order must not depend on the store
        wide = part.pivot(on="coder", index="response_id", values="is_present", aggregate_function="first") \
            .sort("response_id")
        coders = sorted(c for c in wide.columns if c != "response_id")
        if len(coders) < 2:
            continue
        matrix = wide.select(coders).cast(pl.Float64).to_numpy()
        matrix = matrix[(~np.isnan(matrix)).sum(axis=1) >= 2]
        if len(coders) == 2:
            name = "cohen_kappa"

            def statistic(m):
                return stats.cohen_kappa(m[:, 0], m[:, 1])
        else:
            name = "krippendorff_alpha"
            statistic = stats.krippendorff_alpha_nominal
        n = matrix.shape[0]
        value = statistic(matrix) if n else np.nan
        replicates = np.array([statistic(matrix[rng.integers(0, n, n)]) for _ in range(min(b, 1000))]) if n else np.array([])
        low, high = stats.percentile_ci(replicates) if n else (np.nan, np.nan)
        row = {"dimension": dimension, "coders": ", ".join(coders), "statistic": name, "value": value,
               "ci_low": float(low), "ci_high": float(high), "n_units": n, "note": None}
        if why := shortfall("coder agreement", answers=n):
            decline(row, "result_coder_agreement", "value", why)
        elif np.isnan(value):
            decline(row, "result_coder_agreement", "value", "no variation in the codes")
        rows.append(row)
    return settle("result_coder_agreement", pl.DataFrame(rows, schema=schema))


# --------------------------------------------------------------------------- the whole audit


def compute_audit(answers: pl.DataFrame, outcomes: pl.DataFrame, human: pl.DataFrame, excluded: dict[str, int],
                  items: pl.DataFrame, codes: pl.DataFrame, layout: Layout, settings: Settings,
                  choices: pl.DataFrame | None = None) -> Results:
    """Every `result_*` table of an audit, from the selected rows.

    Parameters
    ----------
    answers : polars.DataFrame
        Valid model answers: model, condition, task, response_id, trial, item_order, dimension, value
        (ranks, or ratings on the task's scale with higher more important) and optionally variant
        (the wording asked; without it, every answer is the default wording).
    outcomes : polars.DataFrame
        model, condition, task, status, n: the outcome counts of all responses.
    human : polars.DataFrame
        Included participants' answers: sample, condition, task, participant, dimension, value.
    excluded : dict
        Sample -> number of excluded participants.
    items : polars.DataFrame
        sample, item, value.
    codes : polars.DataFrame
        Study 1 codes: model, condition, response_id, coder, dimension, is_present.
    layout : Layout
        What the statistics need of the instrument.
    settings : Settings
        Seed, bootstrap B and the other choices the numbers depend on.
    choices : polars.DataFrame, optional
        Valid answers to dilemmas (papers.analysis.revealed.revealed): model, condition,
        response_id, scenario, chosen, other, first.

    Returns
    -------
    Results
        `tables`: result_profiles, result_stability, result_differences, result_clusters,
        result_mds, result_structure, result_human_profiles, result_agreement, result_items,
        result_themes, result_coder_agreement, result_robustness, result_variant_profiles,
        result_revealed, result_consistency and result_dilemmas.

    Notes
    -----
    One generator seeded with `settings.seed` serves every resampling, in a fixed order, so the
    same rows and settings give the same tables. The statistics follow the PAPERS method's three
    studies (Lau et al. 2025) with this project's own definitions; see each table's function.

    References
    ----------
    Lau et al. (2025), cited in full at `papers.analysis.structure.orientation_per_trial`.

    Examples
    --------
    >>> answers = _example_answers()  # h ranks A first in 20 trials, u second, m alternates (see wide_groups)
    >>> layout = Layout({"c": ("A", "B")}, {"A": "humanistic", "B": "utility"})
    >>> outcomes = pl.DataFrame({"model": ["h", "m", "u"], "condition": "c", "task": "rank", "status": "valid", "n": 8})
    >>> human = pl.DataFrame(schema={"sample": pl.String, "condition": pl.String, "task": pl.String,
    ...                              "participant": pl.String, "dimension": pl.String, "value": pl.Float64})
    >>> items = pl.DataFrame(schema={"sample": pl.String, "item": pl.String, "value": pl.Float64})
    >>> codes = pl.DataFrame(schema={"model": pl.String, "condition": pl.String, "response_id": pl.String,
    ...                              "coder": pl.String, "dimension": pl.String, "is_present": pl.Boolean})
    >>> tables = compute_audit(answers, outcomes, human, {}, items, codes, layout, Settings(b=50, permutations=99)).tables
    >>> len(tables), tables["result_clusters"].select("model", "model_type").rows()
    (16, [('h', 'human-centric'), ('m', 'no clear type'), ('u', 'utility-driven')])
    """
    rng = np.random.default_rng(settings.seed)
    model_groups = wide_groups(answers, layout, ("model", "condition", "task"), "response_id")
    attach_bootstrap(model_groups, rng, settings.b, with_ranks=True)
    human_groups = wide_groups(human, layout, ("sample", "condition", "task"), "participant")
    attach_bootstrap(human_groups, rng, settings.b)
    clusters, mds, structure_summary = structure(model_groups, layout, settings, rng)
    results = Results()
    results.tables = {
        "result_profiles": profiles(model_groups),
        "result_stability": stability(model_groups, outcomes),
        "result_differences": differences(model_groups),
        "result_clusters": clusters,
        "result_mds": mds,
        "result_structure": structure_summary,
        "result_human_profiles": human_profiles(human_groups, excluded),
        "result_agreement": agreement(model_groups, human_groups),
        "result_items": items_summary(items, rng, settings.b),
        "result_themes": themes(codes, settings.theme_rule),
        "result_coder_agreement": coder_agreement(codes, rng, settings.b),
    }
    # a generator of its own, so that audits computed before robustness existed keep their numbers
    robust, per_variant = robustness(answers, layout.shown, np.random.default_rng([settings.seed, 11]), settings.b)
    results.tables.update({"result_robustness": robust, "result_variant_profiles": per_variant})
    # and one for dilemmas (says vs does), for the same reason
    choices = pl.DataFrame(schema=CHOICE_COLUMNS) if choices is None else choices
    said_done = revealed(choices, answers, outcomes, layout.shown, layout.scenarios,
                         np.random.default_rng([settings.seed, 23]), settings.b)
    results.tables.update(zip(("result_revealed", "result_consistency", "result_dilemmas"), said_done))
    return results
