"""Declining a statistic: one decision, applied to every column that belongs to it.

A statistic the data cannot support is declined: every column of it (point, interval, band,
label) is NULL, and the row's note gives the reason as a segment "statistic: reason" (several
statistics declined for one reason share a segment, "pearson_r, ccc: reason"; segments are joined
by "; "). Reports print "not computed: <reason>" in its place, and nothing else
(papers.report.wording). `settle` applies the rule to every result table once its rows are built:
NaN becomes NULL, -0.0 becomes 0.0, the columns of a declined statistic are emptied, and a value
left missing without a stated reason gets one, so that no column is ever empty unexplained.

MINIMUMS is the one table of the sample sizes below which each statistic is declined; the README's
statistics section prints the same table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

SEPARATOR = "; "
UNEXPLAINED = "not estimable from these data"


@dataclass(frozen=True)
class Minimum:
    """The least data a statistic is computed from; below any of them it is declined."""

    what: str
    trials: int = 0
    participants: int = 0
    dimensions: int = 0
    models: int = 0
    answers: int = 0
    choices: int = 0  # answers to dilemmas


MINIMUMS: dict[str, Minimum] = {
    # a bootstrap of one unit's value says nothing of another unit
    "profile interval": Minimum("an interval or SD of a mean", trials=2),
    "human interval": Minimum("an interval or SD of a mean", participants=2),
    "item interval": Minimum("an interval or SD of a mean", participants=2),
    # dilemmas: the choices that offered a dimension, that were made, or that compare two stated values
    "revealed worth": Minimum("a dimension's revealed worth", choices=5),
    "revealed interval": Minimum("the revealed worths' intervals", choices=20),
    "consistency": Minimum("the consistency of choices with stated priorities, and its label", choices=20, trials=2),
    "stated_revealed_rho": Minimum("the correlation of stated and revealed priorities", dimensions=3, trials=2),
    "stability": Minimum("Friedman's test", trials=2, dimensions=2),
    # with two dimensions every pair of trials correlates +1 or -1
    "mean_rho": Minimum("mean_rho (the mean Spearman correlation between trials)", trials=2, dimensions=3),
    "mean_rho interval": Minimum("mean_rho's jackknife interval", trials=3, dimensions=3),
    "orientation": Minimum("the orientation index's interval, and with it a type", trials=2),
    "clusters": Minimum("clustering", models=3),
    # below these, bench/validity.py shows the fidelity intervals covering less than 92%
    "fidelity": Minimum("profile fidelity (r, rho, spread ratio, CCC, ICC)", trials=20, participants=10, dimensions=4),
    "level": Minimum("the level shift's interval", trials=2, participants=2),
    "icc f interval": Minimum("the F-based ICC(A,1) interval", dimensions=3),
    "coder agreement": Minimum("agreement between coders", answers=2),
    # per audit: Welch's interval needs a variance in each; the drift test, a few trials to permute
    "drift interval": Minimum("the change's interval and test", trials=2),
    "drift": Minimum("the drift test of a profile", trials=5),
}

UNITS = ("trials", "participants", "dimensions", "models", "answers", "choices")


def shortfall(statistic: str, **have: int) -> str | None:
    """Why the data are too few for a statistic (MINIMUMS), or None when they suffice.

    >>> shortfall("fidelity", trials=12, participants=352, dimensions=5)
    'only 12 trials: profile fidelity (r, rho, spread ratio, CCC, ICC) needs 20'
    >>> shortfall("fidelity", trials=30, participants=352, dimensions=5) is None
    True
    """
    need = MINIMUMS[statistic]
    for unit in UNITS:
        if unit in have and have[unit] < getattr(need, unit):
            return f"only {have[unit]} {_unit(unit, have[unit])}: {need.what} needs {getattr(need, unit)}"
    return None


def _unit(unit: str, n: int) -> str:
    return unit if n != 1 else unit[:-1]


# ----------------------------------------------------------------------------- the columns of each statistic

COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "result_profiles": {"ci": ("ci_low", "ci_high"), "sd": ("sd",)},
    "result_stability": {
        "friedman": ("friedman_chi2", "friedman_df", "friedman_p"), "kendall_w": ("kendall_w",),
        "mean_rho": ("mean_rho", "mean_rho_ci_low", "mean_rho_ci_high"),
        "mean_rho_ci": ("mean_rho_ci_low", "mean_rho_ci_high"), "position_bias_rho": ("position_bias_rho",),
        "shares": ("valid_share", "refused_share", "unparseable_share", "incomplete_share", "error_share")},
    "result_differences": {"kruskal_h": ("kruskal_h", "df", "p", "p_holm", "epsilon2")},
    "result_clusters": {
        "orientation_index": ("orientation_index", "orientation_ci_low", "orientation_ci_high", "type_p_holm",
                              "model_type"),
        "orientation_ci": ("orientation_ci_low", "orientation_ci_high", "type_p_holm", "model_type"),
        "cluster": ("cluster", "label", "stability_jaccard"), "stability_jaccard": ("stability_jaccard",)},
    "result_structure": {"cophenetic_r": ("cophenetic_r",), "silhouette": ("silhouette",),
                         "p_heterogeneity": ("p_heterogeneity",), "p_clustering": ("p_clustering", "candidate_k"),
                         "mds_variance_share": ("mds_variance_share",)},
    "result_mds": {"map": ("x", "y", "variance_share")},
    "result_human_profiles": {"ci": ("ci_low", "ci_high"), "sd": ("sd",)},
    "result_agreement": {
        "pearson_r": ("pearson_r", "r_ci_low", "r_ci_high"), "spearman_rho": ("spearman_rho",),
        "spread_ratio": ("spread_ratio", "spread_ratio_ci_low", "spread_ratio_ci_high"),
        "level_shift": ("level_shift", "level_shift_ci_low", "level_shift_ci_high"),
        "level_shift_ci": ("level_shift_ci_low", "level_shift_ci_high"),
        "ccc": ("ccc", "ccc_ci_low", "ccc_ci_high", "rank_by_ccc"),
        "icc_a1": ("icc_a1", "icc_a1_ci_low", "icc_a1_ci_high", "icc_a1_f_ci_low", "icc_a1_f_ci_high", "band"),
        "icc_a1_ci": ("icc_a1_ci_low", "icc_a1_ci_high", "band"),
        "icc_a1_f_ci": ("icc_a1_f_ci_low", "icc_a1_f_ci_high"),
        "icc_c1": ("icc_c1", "icc_c1_ci_low", "icc_c1_ci_high"), "mad": ("mad",)},
    "result_items": {"ci": ("ci_low", "ci_high"), "sd": ("sd",)},
    "result_themes": {"ci": ("ci_low", "ci_high")},
    "result_revealed": {"worth": ("worth", "ci_low", "ci_high"), "ci": ("ci_low", "ci_high")},
    "result_consistency": {
        "consistency": ("consistency_share", "consistency_ci_low", "consistency_ci_high", "label"),
        "consistency_ci": ("consistency_ci_low", "consistency_ci_high", "label"),
        "stated_revealed_rho": ("stated_revealed_rho", "rho_ci_low", "rho_ci_high"),
        "rho_ci": ("rho_ci_low", "rho_ci_high")},
    "result_coder_agreement": {"value": ("value", "ci_low", "ci_high"), "ci": ("ci_low", "ci_high")},
    "result_robustness": {
        "robustness": ("robust", "reason", "wording_share", "wording_share_ci_low", "wording_share_ci_high", "wording_p",
                       "wording_p_holm", "min_rho", "mean_rho", "top", "top_variants", "top_same", "top_by_variant"),
        "wording_share_ci": ("wording_share_ci_low", "wording_share_ci_high"),
        "position_bias": ("position_bias", "position_bias_ci_low", "position_bias_ci_high")},
    "result_drift": {"change_ci": ("change_ci_low", "change_ci_high"), "welch_t": ("t", "df", "p", "p_holm")},
    "result_drift_profiles": {"distance": ("distance", "max_t", "p", "p_holm", "changed"), "rho": ("rho",)},
}


# ----------------------------------------------------------------------------- notes

def reasons(note: str | None) -> dict[str, str]:
    """The declined statistics of a note and why: "pearson_r, ccc: reason; sd: other" ->
    {"pearson_r": "reason", "ccc": "reason", "sd": "other"}. Segments without a statistic (free
    remarks, notes of audits computed before declines were structured) are left out.

    >>> reasons("pearson_r, ccc: the model's profile is flat; one model only")
    {'pearson_r': "the model's profile is flat", 'ccc': "the model's profile is flat"}
    """
    out: dict[str, str] = {}
    for segment in (note or "").split(SEPARATOR):
        names, sep, why = segment.partition(": ")
        if sep and all(n.strip() and " " not in n.strip() for n in names.split(",")):
            out.update({n.strip(): why for n in names.split(",")})
    return out


def compose(declined: dict[str, str], remarks: list[str] | tuple[str, ...] = ()) -> str | None:
    """A note from declined statistics (grouped by reason, in order) and free remarks.

    >>> compose({"pearson_r": "flat", "ccc": "flat", "sd": "one trial"}, ["item order not recorded"])
    'pearson_r, ccc: flat; sd: one trial; item order not recorded'
    """
    by_reason: dict[str, list[str]] = {}
    for name, why in declined.items():
        by_reason.setdefault(why, []).append(name)
    segments = [f"{', '.join(names)}: {why}" for why, names in by_reason.items()]
    return SEPARATOR.join([*segments, *remarks]) or None


def decline(row: dict, table: str, statistic: str, reason: str) -> dict:
    """Empty every column of `statistic` in a result row and add the reason to its note (in place).

    >>> row = {"pearson_r": 0.3, "r_ci_low": -0.8, "r_ci_high": 1.0, "note": None}
    >>> decline(row, "result_agreement", "pearson_r", "flat")
    {'pearson_r': None, 'r_ci_low': None, 'r_ci_high': None, 'note': 'pearson_r: flat'}
    """
    if SEPARATOR in reason:
        raise ValueError(f"a reason must not contain {SEPARATOR!r}: {reason!r}")
    for column in COLUMNS[table][statistic]:
        row[column] = None
    declined = reasons(row.get("note"))
    remarks = [s for s in (row.get("note") or "").split(SEPARATOR) if s and not reasons(s)]
    declined.setdefault(statistic, reason)
    row["note"] = compose(declined, remarks)
    return row


def missing(value) -> bool:
    """None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


# ----------------------------------------------------------------------------- the rule, applied

def settle(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A result table as stored: the declining rule applied to every row.

    Parameters
    ----------
    table : str
        The result table's name (COLUMNS says which columns belong to which statistic; a table
        it does not know gets the first two steps only).
    frame : polars.DataFrame
        The table's rows as computed.

    Returns
    -------
    polars.DataFrame
        The same rows and schema, where (1) NaN is NULL and -0.0 is 0.0 in every float column;
        (2) the columns of every statistic the note declines are NULL; (3) a statistic whose point
        is missing, or whose interval lost an end, is declined whole (or its interval alone) with
        the reason UNEXPLAINED when the note gave none; (4) an interval of zero width is declined
        likewise, since no finite sample shows a value exactly.

    Notes
    -----
    The statistics' functions decline what they know they cannot support, with the reason;
    this pass makes sure nothing else leaks: an interval beside a missing point, a band or label
    beside a missing ICC or index, a value missing with no reason. The tests check that the
    demo's audit and every edge case in tests/test_analyze.py leave nothing UNEXPLAINED.

    Examples
    --------
    >>> frame = pl.DataFrame({"ci_low": [float("nan"), -0.0], "ci_high": [1.0, 0.5], "sd": [0.2, 0.3],
    ...                       "note": [None, None]})
    >>> settle("result_items", frame).rows()
    [(None, None, 0.2, 'ci: not estimable from these data'), (0.0, 0.5, 0.3, None)]
    """
    floats = [c for c, t in frame.schema.items() if t in (pl.Float64, pl.Float32)]
    frame = frame.with_columns(
        pl.when(pl.col(c).is_nan()).then(None).when(pl.col(c) == 0).then(0.0).otherwise(pl.col(c)).alias(c)
        for c in floats)
    statistics = COLUMNS.get(table)
    if not statistics or "note" not in frame.columns or frame.height == 0:
        return frame
    rows = [_settle_row(row, table, statistics) for row in frame.iter_rows(named=True)]
    return pl.DataFrame(rows, schema={**frame.schema, "note": pl.String})


ZERO_WIDTH = "zero-width interval: the sample cannot show how far the estimate could move"


def _settle_row(row: dict, table: str, statistics: dict[str, tuple[str, ...]]) -> dict:
    for name in reasons(row["note"]):
        for column in statistics.get(name, ()):
            row[column] = None
    for name, columns in statistics.items():
        columns = tuple(c for c in columns if c in row)
        declined = reasons(row["note"])
        emptied = {c for d in declined for c in statistics.get(d, ())}
        if not columns or name in declined or set(columns) <= emptied:
            continue  # declined, or emptied whole by a statistic that holds it (a cluster holds its stability)
        parent = _parent(statistics, name)
        if parent is not None and (parent in reasons(row["note"]) or missing(row.get(statistics[parent][0]))):
            continue  # an interval of a point that is itself declined
        ends = _ends(columns)
        if not _is_interval(name, columns) and missing(row[columns[0]]):
            decline(row, table, name, UNEXPLAINED)
        elif ends and not _sub_covers(statistics, name, ends):
            why = _interval_problem(row, ends, required=_is_interval(name, columns) or parent is None)
            if why:
                decline(row, table, name, why)
    return row


def _is_interval(name: str, columns: tuple[str, ...]) -> bool:
    """An interval-only statistic ("ci", "mean_rho_ci"): its first column is an interval's end."""
    return columns[0].endswith("_low")


def _parent(statistics: dict[str, tuple[str, ...]], name: str) -> str | None:
    """The point statistic whose columns hold this interval-only statistic's."""
    columns = statistics[name]
    if not columns[0].endswith("_low"):
        return None
    return next((p for p, cs in statistics.items() if p != name and not cs[0].endswith("_low")
                 and set(columns) <= set(cs)), None)


def _sub_covers(statistics: dict[str, tuple[str, ...]], name: str, ends: tuple[str, str]) -> bool:
    """Whether an interval-only statistic of its own declines this point's interval."""
    return not statistics[name][0].endswith("_low") and any(
        other != name and cs[0].endswith("_low") and ends[0] in cs for other, cs in statistics.items())


def _ends(columns: tuple[str, ...]) -> tuple[str, str] | None:
    lows, highs = [c for c in columns if c.endswith("_low")], [c for c in columns if c.endswith("_high")]
    return (lows[0], highs[0]) if lows and highs else None


def _interval_problem(row: dict, ends: tuple[str, str], required: bool) -> str | None:
    """Why an interval cannot be printed: an end missing (or both, where an interval is required
    beside its point), or zero width."""
    low, high = row[ends[0]], row[ends[1]]
    if missing(low) or missing(high):
        return UNEXPLAINED if (required or missing(low) != missing(high)) else None
    return ZERO_WIDTH if low == high else None
