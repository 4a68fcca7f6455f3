"""A survey load that loses most of its people says so: when more than 20% of the rows are excluded
or rejected, the load warns, naming the main reason and the likely fix (and --strict refuses it)."""

from __future__ import annotations

from papers.ingest.common import WARN_SHARE
from papers.store import Store, query

FIXES = {
    "unfinished": "the file holds responses still in progress; export completed responses only, or check the "
                  "Finished/Progress columns",
    "failed attention check": "check the attention column's coding in the mapping (values: {attention_check_passed: "
                              "{right answer: 1, '*': 0}})",
    "duplicate participant": "the same participant IDs repeat; check --id-column (a column that is the same for "
                             "everyone makes every row after the first a duplicate)",
    "incomplete ranking": "rank columns are missing values; check that every shown dimension's column is mapped",
    "invalid ranking": "ranks are not 1..n once each; the export may hold labels or positions that need recoding",
    "incomplete ratings": "rating columns are missing values; check that every shown dimension's column is mapped",
    "no answers": "no answer columns hold values; check the column names and the mapping",
    "preview or test response": "the file holds the survey's preview and test responses; they are kept, excluded",
    "spam": "the survey platform marked these responses as spam",
}


def load_warnings(store: Store, load, run_id: int, counts: dict[str, int], rows: int, rejected: int) -> list[str]:
    """The warnings of one load, read from what it staged (inside its transaction)."""
    warnings = []
    records = counts.get("participants", 0) + counts.get("duplicates", 0)
    if rows and rejected / rows > WARN_SHARE:
        warnings.append(f"{rejected:,} of {rows:,} rows were not loaded (see the rejects table): the file may not "
                        "match its layout or mapping.")
    if records and counts.get("excluded_records", 0) / records > WARN_SHARE:
        reasons = store.sql(query("ingest/exclusion_reasons"), {"run_id": run_id}).fetchall()
        reason, n = reasons[0]
        warnings.append(f"{counts['excluded_records']:,} of {records:,} records excluded, most for '{reason}' "
                        f"({n:,}): {_fix(store, load, run_id, reason)}.")
    return warnings


def _fix(store: Store, load, run_id: int, reason: str) -> str:
    if reason != "rating out of range":
        return FIXES.get(reason, "check the file against its layout and mapping")
    lowest, highest = store.sql(query("ingest/rating_range"), {"run_id": run_id}).fetchall()[0]
    scale = load.inst.task("rate").scale
    if lowest is None:
        return f"ratings lie outside the instrument's {scale.min}-{scale.max} scale"
    return (f"values run {lowest:g}-{highest:g}, the instrument's scale is {scale.min}-{scale.max}: recode with "
            f"values: in a mapping, or use an instrument with a {lowest:g}-{highest:g} scale")
