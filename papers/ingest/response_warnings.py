"""A responses load that is mostly lost says so: when more than 20% of its rows are unparseable,
incomplete or rejected, the load warns with the main reason and the likely fix (and --strict
refuses it, changing nothing)."""

from __future__ import annotations

import re
from collections import Counter

from papers.ingest.common import WARN_SHARE

# the start of a parser's reason (before the excerpt of the answer) -> what to do about it
FIXES = {
    "position without the order shown": "the answers give positions ('3, 5, 1 ...'), which mean the order the "
                                        "prompt listed the dimensions in: add that order as an item_order column",
    "no known dimensions": "the answers name dimensions the instrument does not know: check --instrument (papers "
                           "instrument list), or give the instrument aliases for these names",
    "no shown dimension named": "the answers name none of the shown dimensions: check the task and condition "
                                "columns, and --instrument",
    "names dimensions but gives no order": "the answers list dimensions without an order: check that the task "
                                           "column says rank only for rankings",
    "missing": "the answers stop before every shown dimension is ranked or rated: check max_tokens where they were "
               "collected, or whether the condition column matches the prompt (sentient shows one more dimension)",
}
GENERIC = "read a few of them (papers export, table llm_responses, columns raw_text and error)"


def response_warnings(records: list[dict], bad: int) -> list[str]:
    """The warnings of one responses load: rows rejected, and answers stored but not usable."""
    rows = len(records) + bad
    warnings = []
    if rows and bad / rows > WARN_SHARE:
        warnings.append(f"{bad:,} of {rows:,} rows were not loaded (see the rejects table): the file's columns may "
                        "not be what papers expects (model, task, condition, trial, raw_text).")
    lost = [r for r in records if r["status"] in ("unparseable", "incomplete")]
    if records and len(lost) / len(records) > WARN_SHARE:
        reason, n = Counter(_kind(r["error"]) for r in lost).most_common(1)[0]
        warnings.append(f"{len(lost):,} of {len(records):,} answers could not be read, most for '{reason}' ({n:,}): "
                        f"{FIXES.get(reason, GENERIC)}.")
    return warnings


def _kind(error: str | None) -> str:
    """A parser's reason without the part that quotes the answer: 'no known dimensions: Foo' -> the key."""
    text = (error or "no reason given").strip()
    if text.startswith("missing ") or " missing " in text[:40]:
        return "missing"
    return re.split(r"[:(]", text, maxsplit=1)[0].strip() or text[:60]
